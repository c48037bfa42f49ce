"""Judging one output: whitespace-token comparison, or a checker program run in the sandbox.

Checker protocol (testlib argument order by default): ``checker input output expected``.
Exit 0 with empty stdout = accepted; exit 0 with a number in [0, 1] on stdout's first line =
that partial score; exit 1 or 2 = wrong answer; anything else = the checker failed (``SE``).
"""

from __future__ import annotations

from dataclasses import dataclass

from r1_core.protocols import ExecRequest, ExecResult, Verdict

from r1_cp.problem import Checker
from r1_cp.results import TestVerdict

__all__ = ["CHECKER_FILES", "Judgement", "checker_request", "compare_tokens", "interpret_checker"]

CHECKER_FILES = {"input": "input.txt", "output": "output.txt", "expected": "expected.txt"}
CHECKER_TIME_LIMIT_S = 10.0
CHECKER_MEMORY_MB = 1024


@dataclass(frozen=True)
class Judgement:
    verdict: TestVerdict
    score: float
    message: str = ""


def _from_score(score: float, message: str = "") -> Judgement:
    if score >= 1.0:
        return Judgement(TestVerdict.AC, 1.0, message)
    if score <= 0.0:
        return Judgement(TestVerdict.WA, 0.0, message)
    return Judgement(TestVerdict.PA, score, message)


def compare_tokens(output: str, expected: str) -> Judgement:
    """The default comparison: equal sequences of whitespace-separated tokens."""
    if output.split() == expected.split():
        return Judgement(TestVerdict.AC, 1.0)
    return Judgement(TestVerdict.WA, 0.0, "output differs from the expected output")


def checker_request(
    checker: Checker, test_input: str, output: str, expected: str, *, tag: str | None = None
) -> ExecRequest:
    """The sandbox request that runs ``checker`` on one output (all three files in its work dir)."""
    contents = {"input": test_input, "output": output, "expected": expected}
    return ExecRequest(
        language=checker.language,
        source=checker.source,
        files={CHECKER_FILES[k]: v for k, v in contents.items()},
        args=[CHECKER_FILES[a] for a in checker.args],
        time_limit_s=CHECKER_TIME_LIMIT_S,
        memory_limit_mb=CHECKER_MEMORY_MB,
        id=tag,
    )


def interpret_checker(result: ExecResult) -> Judgement:
    """Map a checker run to a judgement; a checker that misbehaves is ``SE``, not the program's fault."""
    detail = (result.stderr or result.stdout).strip()[:500]
    if result.verdict == Verdict.OK:
        first = result.stdout.strip().splitlines()[0].strip() if result.stdout.strip() else ""
        if not first:
            return Judgement(TestVerdict.AC, 1.0, detail)
        try:
            value = float(first)
        except ValueError:
            return Judgement(TestVerdict.SE, 0.0, f"checker printed {first[:80]!r}, not a score in [0, 1]")
        if not 0.0 <= value <= 1.0:
            return Judgement(TestVerdict.SE, 0.0, f"checker printed score {value}, outside [0, 1]")
        return _from_score(value, detail)
    if result.verdict == Verdict.RE and result.signal is None and result.exit_code in (1, 2):
        return Judgement(TestVerdict.WA, 0.0, detail)
    reason = result.message or result.compile_output.strip()[:500] or detail
    return Judgement(TestVerdict.SE, 0.0, f"checker failed ({result.verdict.value}): {reason}")
