"""Question-answering rewards: ``exact_match`` and ``rouge_l`` against a reference answer."""

from __future__ import annotations

import re
import string
from typing import Any

from r1_rewards.completions import answer_region, completion_text, require_column
from r1_rewards.reward_options import RewardConfig, parse_config, reward_factory

__all__ = ["exact_match", "final_answer", "normalize_answer", "rouge_l"]

_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def final_answer(completion: Any) -> str:
    """The answer text: after ``</think>``, inside ``<answer>…</answer>`` when present ("" if cut off)."""
    region = answer_region(completion_text(completion))
    if region is None:
        return ""
    tagged = _ANSWER_TAG.findall(region)
    return tagged[-1] if tagged else region


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split())


def _references(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


class QAConfig(RewardConfig):
    column: str = "solution"
    """the dataset column holding the reference answer (a string or a list of accepted answers)."""


@reward_factory(QAConfig)
def exact_match(**config: Any) -> Any:
    """Build ``exact_match``: 1.0 if the final answer equals a reference after SQuAD normalisation.

    The final answer is the text after ``</think>`` (inside ``<answer>`` tags if present); the
    reference column (default ``solution``) holds a string or a list of accepted answers.
    """
    cfg = parse_config(QAConfig, "exact_match", config)

    def exact_match(completions: list[Any], **kwargs: Any) -> list[float | None]:
        refs = require_column("exact_match", kwargs, cfg.column, len(completions))
        out: list[float | None] = []
        for c, ref in zip(completions, refs, strict=True):
            answer = normalize_answer(final_answer(c))
            out.append(1.0 if answer and answer in {normalize_answer(r) for r in _references(ref)} else 0.0)
        return out

    exact_match.required_columns = [cfg.column]  # type: ignore[attr-defined]
    return exact_match


@reward_factory(QAConfig)
def rouge_l(**config: Any) -> Any:
    """Build ``rouge_l``: the best ROUGE-L F1 (rouge-score, stemmed) between the final answer and
    any reference in the column (default ``solution``); 0.0 for an empty answer."""
    cfg = parse_config(QAConfig, "rouge_l", config)
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)

    def rouge_l(completions: list[Any], **kwargs: Any) -> list[float | None]:
        refs = require_column("rouge_l", kwargs, cfg.column, len(completions))
        out: list[float | None] = []
        for c, ref in zip(completions, refs, strict=True):
            answer = final_answer(c)
            if not answer.strip():
                out.append(0.0)
                continue
            out.append(max(scorer.score(r, answer)["rougeL"].fmeasure for r in _references(ref)))
        return out

    rouge_l.required_columns = [cfg.column]  # type: ignore[attr-defined]
    return rouge_l
