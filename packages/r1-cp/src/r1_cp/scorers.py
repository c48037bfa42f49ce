"""The three scorers: ``ioi`` (subtasks), ``codeforces`` (all tests) and ``usaco`` (1000 points).

Each implements :class:`r1_core.Scorer`: ``score(problem, source, language, sandbox)``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Literal

from r1_core.errors import ConfigError
from r1_core.protocols import Sandbox

from r1_cp.errors import ProblemError
from r1_cp.judge import Judge
from r1_cp.problem import Problem
from r1_cp.results import ScoreResult, SubtaskResult, TestResult, TestVerdict

__all__ = ["CodeforcesScorer", "IOIScorer", "USACOScorer", "score_tests"]


def _check_kind(problem: Problem, scorer: str) -> None:
    if not isinstance(problem, Problem):
        raise ProblemError(
            f"scorer {scorer!r} needs an r1_cp.Problem, got {type(problem).__name__}",
            "load it with r1_cp.load_problem(DIR) or problem_from_row(row, kind)",
        )


def _result(
    judge: Judge, subtasks: list[SubtaskResult], score: float, max_score: float, tests: list[TestResult]
) -> ScoreResult:
    return ScoreResult(
        score=score,
        max_score=max_score,
        subtasks=subtasks,
        tests=tests,
        compile=judge.compile,
        system_errors=sum(t.verdict == TestVerdict.SE for t in tests),
    )


def _chunks(names: Sequence[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(names), size):
        yield list(names[i : i + size])


class IOIScorer:
    """IOI: subtask score = min over its tests × points; total = sum over subtasks.

    Args:
        skip_after_zero: stop running a subtask's tests once one scores 0 (its score is 0 anyway).
        test_batch_size: tests per sandbox batch while a subtask may still be skipped; ``None``
            means twice the CPU count with skipping and everything at once without; ≤ 0 means
            everything at once (open-r1's ``-1``, which there ran no test at all).
        patch_code: add the includes (``bits/stdc++.h``, the grader header) models forget.
    """

    name = "ioi"

    def __init__(
        self, skip_after_zero: bool = True, test_batch_size: int | None = None, patch_code: bool = True
    ) -> None:
        self.skip_after_zero = skip_after_zero
        self.test_batch_size = test_batch_size
        self.patch_code = patch_code

    def _batch_size(self, pending: int) -> int:
        if self.test_batch_size is not None and self.test_batch_size > 0:
            return self.test_batch_size
        if self.test_batch_size is None and self.skip_after_zero:
            return 2 * (os.cpu_count() or 1)
        return max(pending, 1)

    def _run_subtask(self, judge: Judge, names: list[str]) -> None:
        if judge.compile_failed:
            judge.run(names)  # every test is CE; nothing runs
            return
        if self.skip_after_zero and any(judge.results[n].score == 0 for n in names if n in judge.results):
            return
        pending = [n for n in names if n not in judge.results]
        for chunk in _chunks(pending, self._batch_size(len(pending))):
            done = judge.run(chunk)
            if self.skip_after_zero and any(t.score == 0 for t in done):
                return

    def score(self, problem: Problem, source: str, language: str, sandbox: Sandbox) -> ScoreResult:
        _check_kind(problem, self.name)
        judge = Judge(problem, source, language, sandbox, patch=self.patch_code)
        subtasks = []
        order: list[str] = []
        for sub in problem.effective_subtasks():
            names = problem.expand(sub)
            self._run_subtask(judge, names)
            order.extend(n for n in names if n not in order)
            # a test never run (skipped after a zero) counts as 0: the subtask's minimum is 0 anyway
            frac = min((judge.results[n].score if n in judge.results else 0.0) for n in names)
            frac = round(frac, problem.score_precision)
            subtasks.append(
                SubtaskResult(
                    name=sub.name,
                    points=sub.points,
                    score=frac,
                    weighted_score=round(frac * sub.points, problem.score_precision),
                    tests=names,
                )
            )
        tests = [judge.results[n] for n in order if n in judge.results]
        total = round(sum(s.weighted_score for s in subtasks), problem.score_precision)
        return _result(judge, subtasks, total, sum(s.points for s in subtasks), tests)


def score_tests(judge: Judge, problem: Problem) -> list[TestResult]:
    """Run every test of ``problem`` (one compile, then one parallel batch)."""
    return judge.run([t.name for t in problem.tests])


class CodeforcesScorer:
    """Codeforces: every test, checker support, three scoring modes (open-r1's).

    ``pass_fail`` (default) = 1 if all tests pass else 0; ``partial`` = passed / total;
    ``weighted_sum`` = pass_fail + 0.1 × passed / total (max 1.1). A checker's partial score
    counts as that fraction of a pass. ``scoring_mode=None`` uses the problem's own mode.
    """

    name = "codeforces"
    MODES = ("pass_fail", "partial", "weighted_sum")

    def __init__(
        self,
        scoring_mode: Literal["pass_fail", "partial", "weighted_sum"] | None = None,
        patch_code: bool = True,
    ) -> None:
        if scoring_mode is not None and scoring_mode not in self.MODES:
            raise ConfigError(
                f"unknown codeforces scoring_mode {scoring_mode!r}", f"use one of: {', '.join(self.MODES)}"
            )
        self.scoring_mode = scoring_mode
        self.patch_code = patch_code

    def score(self, problem: Problem, source: str, language: str, sandbox: Sandbox) -> ScoreResult:
        _check_kind(problem, self.name)
        mode = self.scoring_mode or problem.scoring_mode
        judge = Judge(problem, source, language, sandbox, patch=self.patch_code)
        tests = score_tests(judge, problem)
        passed = sum(t.score for t in tests) / len(tests)
        all_pass = float(all(t.verdict == TestVerdict.AC for t in tests))
        score, max_score = {
            "pass_fail": (all_pass, 1.0),
            "partial": (passed, 1.0),
            "weighted_sum": (all_pass + 0.1 * passed, 1.1),
        }[mode]
        sub = SubtaskResult(
            name=mode,
            points=max_score,
            score=score / max_score,
            weighted_score=score,
            tests=[t.name for t in tests],
        )
        return _result(judge, [sub], score, max_score, tests)


class USACOScorer:
    """USACO: equal-weight tests; score = fraction passed × 1000 (stdio or file I/O)."""

    name = "usaco"
    MAX_SCORE = 1000.0

    def __init__(self, patch_code: bool = False) -> None:
        self.patch_code = patch_code

    def score(self, problem: Problem, source: str, language: str, sandbox: Sandbox) -> ScoreResult:
        _check_kind(problem, self.name)
        judge = Judge(problem, source, language, sandbox, patch=self.patch_code)
        tests = score_tests(judge, problem)
        frac = sum(t.score for t in tests) / len(tests)
        score = round(frac * self.MAX_SCORE, 2)
        sub = SubtaskResult(
            name="all",
            points=self.MAX_SCORE,
            score=round(frac, 6),
            weighted_score=score,
            tests=[t.name for t in tests],
        )
        return _result(judge, [sub], score, self.MAX_SCORE, tests)
