"""What judging a submission produces: a verdict and score per test, per subtask and in total.

Execution outcomes (``OK``, ``RE``, ``TLE``, ``MLE``, ``OLE``, ``CE``, ``SE``) are what any sandbox
reports (:class:`r1_core.protocols.Verdict`); judging adds ``AC``, ``WA`` and ``PA`` on top, for a
program that ran to completion, and keeps the outcome of one that did not.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from r1_core.protocols import Verdict

__all__ = ["ScoreResult", "SubtaskResult", "TestResult", "TestVerdict"]


class TestVerdict(StrEnum):
    """The verdict of one judged test.

    ``AC`` / ``WA`` / ``PA`` judge the output of a run whose execution outcome was ``OK``; a run
    that did not complete keeps its outcome (:meth:`of`). Members compare equal to the
    :class:`~r1_core.protocols.Verdict` of the same name (both are strings).
    """

    __test__ = False  # not a pytest class

    AC = "AC"  # accepted: the output is right
    WA = "WA"  # wrong answer
    PA = "PA"  # partially accepted: a checker's score strictly between 0 and 1
    RE = "RE"
    TLE = "TLE"
    MLE = "MLE"
    OLE = "OLE"
    CE = "CE"
    SE = "SE"  # the sandbox or the checker failed: never the program's fault

    @classmethod
    def of(cls, outcome: Verdict) -> TestVerdict:
        """The test verdict of a run that did not complete (an ``OK`` run is judged on its output)."""
        if outcome == Verdict.OK:
            raise ValueError("an OK run is judged on its output (AC, WA or PA), not by its outcome")
        return cls(outcome.value)


class TestResult(BaseModel):
    """One test of a judged submission."""

    __test__ = False  # not a pytest class

    name: str
    verdict: TestVerdict
    score: float = Field(0.0, description="in [0, 1]")
    time_s: float = 0.0
    memory_bytes: int = 0
    message: str = ""


class SubtaskResult(BaseModel):
    name: str
    points: float
    score: float = Field(description="fraction in [0, 1]")
    weighted_score: float
    tests: list[str] = Field(default_factory=list)


class ScoreResult(BaseModel):
    """Result of scoring one submission on one problem (what every r1-cp scorer returns)."""

    score: float
    max_score: float
    subtasks: list[SubtaskResult] = Field(default_factory=list)
    tests: list[TestResult] = Field(default_factory=list)
    compile: dict[str, Any] = Field(default_factory=dict)
    system_errors: int = Field(0, description="tests whose verdict is SE")

    @property
    def fraction(self) -> float:
        return self.score / self.max_score if self.max_score else 0.0
