"""GPQA-Diamond: 198 graduate-level multiple-choice questions, options shuffled with a fixed seed."""

from __future__ import annotations

import random
import re
from typing import Any, ClassVar

from r1_cli.benchmarks.base import HubBenchmark
from r1_cli.benchmarks.source import HubSource

__all__ = ["GPQADiamond", "extract_choice"]

LETTERS = "ABCD"

GPQA_PROMPT = (
    "Answer the following multiple-choice question. Think it through step by step, then end "
    "your response with a line of the form 'Answer: X', where X is one of A, B, C or D.\n\n"
    "{problem}\n\n{options}"
)

_ANSWER = re.compile(r"(?i:answer)\s*(?:is)?\s*[:：]?\s*[*_]*\s*\(?\s*([ABCD])\b")
_BOXED = re.compile(r"\\boxed\{\s*(?:\\text\{)?\s*\(?([ABCD])\)?\s*\}?\s*\}")


def extract_choice(text: str) -> str | None:
    """The letter a completion commits to: the last 'Answer: X', else the last ``\\boxed{X}``."""
    for pattern in (_ANSWER, _BOXED):
        found = pattern.findall(text)
        if found:
            return found[-1].upper()
    return None


class GPQADiamond(HubBenchmark):
    """GPQA-Diamond (Idavidrein/gpqa, gated on the Hub). The order of the four options depends
    only on ``seed`` and the question text, so it is the same whatever rows are selected."""

    name = "gpqa_diamond"
    source = HubSource("Idavidrein/gpqa", config="gpqa_diamond", split="train",
                       sample="gpqa_diamond.jsonl")
    text_column: ClassVar[str] = "Question"
    prompt_template: ClassVar[str] = GPQA_PROMPT

    def __init__(self, seed: int = 0, revision: str | None = None) -> None:
        super().__init__(revision)
        self.seed = seed

    def options(self, row: dict[str, Any]) -> tuple[list[str], str]:
        """The shuffled options and the letter of the correct one."""
        correct = str(row["Correct Answer"]).strip()
        options = [correct] + [str(row[f"Incorrect Answer {i}"]).strip() for i in (1, 2, 3)]
        random.Random(f"{self.seed}:{row[self.text_column]}").shuffle(options)
        return options, LETTERS[options.index(correct)]

    def prompt(self, row: dict[str, Any]) -> str:
        options, _ = self.options(row)
        lines = "\n".join(f"{letter}) {text}" for letter, text in zip(LETTERS, options, strict=True))
        return self.prompt_template.format(problem=str(row[self.text_column]).strip(), options=lines)

    def score(self, row: dict[str, Any], completions: list[str]) -> list[float]:
        _, gold = self.options(row)
        return [1.0 if extract_choice(c) == gold else 0.0 for c in completions]
