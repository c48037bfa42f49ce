"""The ``accuracy`` reward: is the final answer mathematically equal to the gold solution?"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from r1_rewards.completions import answer_region, completion_text, require_column
from r1_rewards.math.answer import math_answer_text
from r1_rewards.math.verifier import TIMEOUT, MathVerifier, Outcome
from r1_rewards.reward_options import RewardConfig, parse_config, reward_factory
from r1_rewards.stats import BatchReport

__all__ = ["AccuracyConfig", "accuracy", "judge_math", "shared_verifier"]


class AccuracyConfig(RewardConfig):
    timeout_s: float = Field(10.0, gt=0)
    """hard wall-clock limit per item; a verification that hangs longer is killed and scores 0."""


_verifiers: dict[float, MathVerifier] = {}


def shared_verifier(timeout_s: float) -> MathVerifier:
    """One verifier (and cache) per timeout setting, shared by accuracy, length and cosine."""
    if timeout_s not in _verifiers:
        _verifiers[timeout_s] = MathVerifier(timeout_s=timeout_s)
    return _verifiers[timeout_s]


def judge_math(reward: str, completions: list[Any], kwargs: dict[str, Any],
               timeout_s: float) -> list[float | None]:
    """Correctness (1.0/0.0/None) of each completion against the ``solution`` column."""
    golds = require_column(reward, kwargs, "solution", len(completions))
    regions = [answer_region(completion_text(c)) for c in completions]
    answers = [None if r is None else math_answer_text(r) for r in regions]
    report = BatchReport(reward, kwargs)
    outcomes = shared_verifier(timeout_s).check([str(g) for g in golds], answers)
    out = [_score(o, report) for o in outcomes]
    report.finish(len(out))
    return out


def _score(outcome: Outcome, report: BatchReport) -> float | None:
    if outcome == TIMEOUT:
        report.note("timeout")
        return 0.0  # the answer made the verifier hang: no credit (counted, not silent)
    if isinstance(outcome, str):
        report.note("error", outcome)
        return None  # a verifier failure is not the model's fault: skip the sample
    if outcome is None:
        report.note("skipped", "gold solution is not parseable")
    return outcome


@reward_factory(AccuracyConfig)
def accuracy(**config: Any) -> Any:
    """Build ``accuracy``: 1.0 if the completion's final answer equals the ``solution`` column.

    Semantics (open-r1's, with defects fixed):

    * the answer is read from the text after the last ``</think>`` when there is one; a
      ``<think>`` that is never closed means no answer (0.0);
    * gold is parsed with math-verify (LaTeX and plain expressions, ``math.gold.parse_gold``, the
      same for ``length`` and ``cosine``); if it cannot be parsed the sample is skipped
      (``None``), never 0 or 1;
    * the answer is parsed LaTeX-only, ``\\boxed{}`` first; without any box, the content of a
      bare ``<answer>…</answer>`` counts as boxed; ``verify(gold, answer)`` decides;
    * several distinct boxed answers are read as one list (``\\boxed{1}, \\boxed{2}`` is
      ``1,2``, math-verify's ``boxed="all"``) wherever they stand, so a set or a system split
      across boxes is right and a hedge (``\\boxed{7} or \\boxed{8}``) is wrong; boxes that each
      equal the gold on their own (``\\boxed{7}, that is \\boxed{x = 7}``) are right too;
    * an item that takes longer than ``timeout_s`` is killed and scores 0.0, counted as
      ``accuracy/timeout``; a verifier crash gives ``None``, counted as ``accuracy/error``.

    Simple answers (numbers, fractions, radicals, sets of those) are decided exactly in-process;
    the rest run math-verify in worker processes (safe from any thread). Results are cached by
    (gold, answer, settings, math-verify version).
    """
    cfg = parse_config(AccuracyConfig, "accuracy", config)

    def accuracy(completions: list[Any], **kwargs: Any) -> list[float | None]:
        return judge_math("accuracy", completions, kwargs, cfg.timeout_s)

    accuracy.required_columns = ["solution"]  # type: ignore[attr-defined]
    return accuracy
