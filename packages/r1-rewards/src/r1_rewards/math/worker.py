"""A math-verify worker process: ``python -m r1_rewards.math.worker``.

math-verify enforces its timeouts with ``signal.alarm``, which only works on a process's main
thread; here every item runs on this process's main thread, and the parent kills the whole
process when an item hangs in C code (huge integer powers) where no signal can interrupt it.

Protocol (multiprocessing Connections over stdin/stdout): the worker sends ``("ready", None)``,
then for each received list of ``(index, gold, answer, boxed, inner_timeout)`` sends one
``(index, outcome)`` per item, where outcome is 1.0, 0.0, None (gold unparseable) or
``"error: ..."``. ``None`` as a message ends the worker.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["judge", "main"]

_ANSWER_CONFIG: Any = None
_GOLD_CACHE: dict[tuple[str, int], Any] = {}


def _answer_config() -> Any:
    global _ANSWER_CONFIG
    if _ANSWER_CONFIG is None:
        from latex2sympy2_extended import NormalizationConfig
        from math_verify import LatexExtractionConfig

        # open-r1's answer extraction: LaTeX only, boxed first, no anchor-less guessing. (open-r1
        # also passes equations=True, a no-op since latex2sympy2_extended 1.x that only warns.)
        _ANSWER_CONFIG = [LatexExtractionConfig(
            normalization_config=NormalizationConfig(nits=False, malformed_operators=False,
                                                     basic_latex=True, boxed="all", units=True),
            boxed_match_priority=0, try_extract_without_anchor=False)]
    return _ANSWER_CONFIG


def _parse_gold(gold: str, timeout: int) -> Any:
    from r1_rewards.math.gold import parse_gold

    key = (gold, timeout)
    if key not in _GOLD_CACHE:  # a group of G completions shares one gold answer
        if len(_GOLD_CACHE) > 4096:
            _GOLD_CACHE.clear()
        _GOLD_CACHE[key] = parse_gold(gold, timeout)
    return _GOLD_CACHE[key]


def _equal(gold_parsed: Any, text: str, timeout: int) -> bool:
    from math_verify import parse, verify

    parsed = parse(text, extraction_config=_answer_config(), extraction_mode="first_match",
                   parsing_timeout=timeout)
    return bool(parsed) and bool(verify(gold_parsed, parsed, timeout_seconds=timeout))


def judge(gold: str, answer: str, boxed: tuple[str, ...], timeout: int = 5) -> float | None:
    """1.0 if the answer equals ``gold`` (``boxed``: its distinct boxed answers), else 0.0.

    At most one distinct box: math-verify reads ``answer`` as open-r1 does. Several: all the boxes
    joined into one list (``\\boxed{a}, \\boxed{b}`` → ``a,b``) must equal the gold, wherever
    they stand (math-verify joins only a trailing run of nearby boxes, so a far earlier hedge
    went unseen), or else every box on its own must (``\\boxed{x=7}``, ``\\boxed{7}``).
    ``None`` when the gold answer cannot be parsed: the sample cannot be judged.
    """
    gold_parsed = _parse_gold(gold, timeout)
    if not gold_parsed:
        return None
    if len(boxed) <= 1:
        return float(_equal(gold_parsed, answer, timeout))
    if _equal(gold_parsed, "\\boxed{" + ",".join(boxed) + "}", timeout):
        return 1.0
    return float(all(_equal(gold_parsed, f"\\boxed{{{b}}}", timeout) for b in boxed))


def _quiet() -> None:
    warnings.simplefilter("ignore")
    for name in ("math_verify", "latex2sympy2_extended"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _limit_memory() -> None:
    """Cap the address space so a runaway answer (a huge power or factorial) fails with
    MemoryError here instead of exhausting the host; ``R1_MATH_WORKER_MEMORY_MB`` (default 4096)."""
    import resource

    mb = int(os.environ.get("R1_MATH_WORKER_MEMORY_MB", "4096") or 0)
    if mb > 0:
        resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))


def main() -> None:
    _limit_memory()
    # Take the real stdout for the protocol; anything printed by libraries goes to stderr.
    out_fd = os.dup(1)
    os.dup2(2, 1)
    inbox = Connection(0, writable=False)
    outbox = Connection(out_fd, readable=False)
    _quiet()
    import math_verify  # noqa: F401  (import before "ready" so item timeouts exclude it)

    _answer_config()
    outbox.send(("ready", None))
    while True:
        try:
            batch = inbox.recv()
        except EOFError:
            return
        if batch is None:
            return
        for index, gold, answer, boxed, timeout in batch:
            try:
                outcome: Any = judge(gold, answer, tuple(boxed), timeout)
            except MemoryError:
                outcome = "timeout"  # the answer exhausted the worker: no credit, as for a hang
            except BaseException as exc:  # math-verify's TimeoutException is a BaseException
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                outcome = f"error: {type(exc).__name__}: {exc}"[:300]
            outbox.send((index, outcome))


if __name__ == "__main__":
    sys.exit(main())
