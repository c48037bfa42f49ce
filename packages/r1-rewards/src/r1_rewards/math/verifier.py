"""Math answer checking with math-verify in worker processes, behind a content-addressed cache."""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from r1_rewards.math.answer import distinct_boxed
from r1_rewards.math.fast import fast_judge
from r1_rewards.math.pool import CRASH, TIMEOUT, VerifierPool, default_pool

__all__ = ["CRASH", "TIMEOUT", "MathVerifier", "Outcome", "verdict_cache_key"]

Outcome = Any  # 1.0 | 0.0 | None (gold unparseable) | TIMEOUT | "error: ..."
_VERSION = "r1-math-2"  # multi-box answers: boxes joined (issue 15)
# math-verify ranks "final answer is $X$. I hope" with boxed answers and takes the rightmost:
# a box before such a sentence is not necessarily what it reads, so math-verify decides.
_FINAL_ANSWER = re.compile(r"final answer is", re.IGNORECASE)


@functools.cache
def _math_verify_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("math-verify")
    except PackageNotFoundError:
        return "?"


def verdict_cache_key(gold: str, answer: str, timeout: int) -> bytes:
    """Content address of one judgement: the verifier's version, its settings and both texts."""
    h = hashlib.blake2b(digest_size=16)
    for part in (_VERSION, _math_verify_version(), str(timeout), gold, answer):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.digest()


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[bytes, Outcome] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: bytes) -> tuple[bool, Outcome]:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return True, self._data[key]
            self.misses += 1
            return False, None

    def put(self, key: bytes, value: Outcome) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class MathVerifier:
    """``check(golds, answers)`` → one outcome per pair; identical pairs are judged once.

    Args:
        timeout_s: hard wall-clock limit per item; a worker stuck longer is killed.
        pool: the worker pool (the process-wide one by default).
        cache_size: entries kept in the in-memory LRU cache.
        fast_path: decide simple numeric answers exactly without math-verify (``math.fast``).
    """

    def __init__(self, timeout_s: float = 5.0, pool: VerifierPool | None = None,
                 cache_size: int = 200_000, fast_path: bool = True) -> None:
        self.timeout_s = timeout_s
        self.fast_path = fast_path
        self.fast_hits = 0
        self.inner_timeout = max(1, int(timeout_s * 0.4))  # parse + verify each get this
        self._pool = pool
        self.cache = _LRU(cache_size)

    @property
    def pool(self) -> VerifierPool:
        return self._pool or default_pool()

    def check(self, golds: Sequence[str], answers: Sequence[str | None]) -> list[Outcome]:
        out: list[Outcome] = [0.0] * len(golds)
        todo: dict[bytes, list[int]] = {}
        tasks: list[tuple[str, str, tuple[str, ...], int]] = []
        for i, (gold, answer) in enumerate(zip(golds, answers, strict=True)):
            answer = answer or ""  # no final answer: 0.0, or None if the gold is unparseable
            key = verdict_cache_key(gold, answer, self.inner_timeout)
            if key in todo:
                todo[key].append(i)
                continue
            hit, value = self.cache.get(key)
            if hit:
                out[i] = value
                continue
            boxed = distinct_boxed(answer)
            quick = None
            if self.fast_path and not _FINAL_ANSWER.search(answer):
                quick = fast_judge(gold, boxed)
            if quick is not None:
                self.fast_hits += 1
                self.cache.put(key, quick)
                out[i] = quick
                continue
            todo[key] = [i]
            tasks.append((gold, answer, boxed, self.inner_timeout))
        if tasks:
            results = self.pool.run(tasks, self.timeout_s)
            for (key, indices), value in zip(todo.items(), results, strict=True):
                if not (isinstance(value, str) and value.startswith("error")):
                    self.cache.put(key, value)  # hangs are cached too: a repeat costs nothing
                for i in indices:
                    out[i] = value
        return out
