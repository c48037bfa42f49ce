"""The ``repetition_penalty`` reward: penalise repeated word n-grams."""

from __future__ import annotations

from typing import Any, Literal

from r1_core.errors import MissingExtraError

from r1_rewards.completions import completion_text
from r1_rewards.reward_options import RewardConfig, option, parse_config, reward_factory

__all__ = ["repetition_penalty", "word_ngrams"]


class RepetitionConfig(RewardConfig):
    ngram_size: int = option(3, aliases=["repetition_n_grams"], ge=1)
    """words per n-gram."""
    max_penalty: float = option(-1.0, aliases=["repetition_max_penalty"], le=0)
    """the penalty when every n-gram repeats (<= 0)."""
    text_language: Literal["en", "zh"] = "en"
    """how to split words: ``en`` (whitespace) or ``zh`` (jieba)."""


def _words(text: str, language: str) -> list[str]:
    if language == "zh":
        try:
            import jieba  # type: ignore[import-not-found]
        except ImportError:
            raise MissingExtraError("jieba (needed by repetition_penalty text_language='zh')",
                                    "r1-rewards[zh]") from None
        return [w for w in jieba.lcut(text) if w.strip()]
    return text.lower().split()


def word_ngrams(words: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]


@reward_factory(RepetitionConfig)
def repetition_penalty(**config: Any) -> Any:
    """Build ``repetition_penalty``: ``(1 − unique/total) × max_penalty`` over word n-grams.

    ``en`` lower-cases and splits on whitespace, ``zh`` segments with jieba. Fewer words than
    ``ngram_size`` (or an empty text) gives 0.0. Defaults ``ngram_size=3``, ``max_penalty=-1``;
    ``max_penalty`` must be ≤ 0.
    """
    cfg = parse_config(RepetitionConfig, "repetition_penalty", config)
    _words("", cfg.text_language)  # a missing segmenter fails now, not in the middle of training

    def repetition_penalty(completions: list[Any], **kwargs: Any) -> list[float | None]:
        out: list[float | None] = []
        for c in completions:
            grams = word_ngrams(_words(completion_text(c), cfg.text_language), cfg.ngram_size)
            out.append((1.0 - len(set(grams)) / len(grams)) * cfg.max_penalty + 0.0 if grams else 0.0)
        return out

    return repetition_penalty
