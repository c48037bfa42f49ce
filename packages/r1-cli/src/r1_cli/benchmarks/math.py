"""Math benchmarks with a single final answer: AIME 2024, AIME 2025, MATH-500.

Completions are scored by the registered ``accuracy`` reward (math-verify), with the gold answer
passed as the ``solution`` column the way TRL datasets carry it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from r1_core.api import get_reward
from r1_core.reward_call import call_reward

from r1_cli.benchmarks.base import HubBenchmark
from r1_cli.benchmarks.source import HubSource

__all__ = ["AIME24", "AIME25", "Math500", "MathBenchmark"]

MATH_PROMPT = (
    "Solve the following math problem. Think it through step by step, then write the final "
    "answer on the last line as $\\boxed{{ANSWER}}$, where ANSWER is only the final number or "
    "expression.\n\n{problem}"
)


class MathBenchmark(HubBenchmark):
    """A math benchmark scored by a reward (default ``accuracy``) against the ``answer`` column."""

    text_column: ClassVar[str] = "problem"
    answer_column: ClassVar[str] = "answer"
    prompt_template: ClassVar[str] = MATH_PROMPT

    def __init__(self, reward: str = "accuracy", revision: str | None = None) -> None:
        super().__init__(revision)
        self.reward = reward
        self._reward_fn: Any = None

    def gold(self, row: dict[str, Any]) -> str:
        return f"${row[self.answer_column]}$"

    def score(self, row: dict[str, Any], completions: list[str]) -> list[float]:
        if self._reward_fn is None:
            self._reward_fn = get_reward(self.reward)
        k = len(completions)
        values = call_reward(self._reward_fn, prompts=[self.prompt(row)] * k, completions=completions,
                             solution=[self.gold(row)] * k, answer=[row[self.answer_column]] * k)
        return [float(v) if v is not None else 0.0 for v in values]


class AIME24(MathBenchmark):
    """AIME 2024 (30 problems, integer answers 0-999)."""

    name = "aime24"
    source = HubSource("HuggingFaceH4/aime_2024", split="train", sample="aime24.jsonl")


class AIME25(MathBenchmark):
    """AIME 2025 (30 problems, integer answers 0-999)."""

    name = "aime25"
    source = HubSource("yentinglin/aime_2025", split="train", sample="aime25.jsonl")


class Math500(MathBenchmark):
    """MATH-500: the 500-problem subset of MATH from "Let's Verify Step by Step"."""

    name = "math_500"
    source = HubSource("HuggingFaceH4/MATH-500", split="test", sample="math_500.jsonl")
