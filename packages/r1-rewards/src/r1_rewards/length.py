"""Length-shaped rewards: ``length`` (Kimi 1.5), ``cosine`` and ``soft_overlong_punishment`` (DAPO)."""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field, model_validator

from r1_rewards.accuracy import judge_math
from r1_rewards.completions import completion_text, require_column
from r1_rewards.reward_options import RewardConfig, option, parse_config, reward_factory

__all__ = ["cosine", "length", "soft_overlong_punishment"]


class LengthConfig(RewardConfig):
    timeout_s: float = Field(10.0, gt=0)
    """wall-clock limit per math verification."""


@reward_factory(LengthConfig)
def length(**config: Any) -> Any:
    """Build ``length`` (Kimi 1.5 length penalty) over the completions of one call.

    With ``λ = 0.5 − (len − min_len) / (max_len − min_len)`` (lengths in characters, min and max
    over the call's completions), a correct answer gets ``λ`` and a wrong one ``min(0, λ)``; if
    all completions have the same length every score is 0.0. Correctness is exactly the
    ``accuracy`` reward's (gold first, answer after ``</think>``, hedging is wrong); an
    unparseable gold gives ``None`` (open-r1 counted it as correct).
    """
    cfg = parse_config(LengthConfig, "length", config)

    def length(completions: list[Any], **kwargs: Any) -> list[float | None]:
        correct = judge_math("length", completions, kwargs, cfg.timeout_s)
        lengths = [len(completion_text(c)) for c in completions]
        lo, hi = min(lengths, default=0), max(lengths, default=0)
        out: list[float | None] = []
        for ok, n in zip(correct, lengths, strict=True):
            if ok is None:
                out.append(None)
            elif hi == lo:
                out.append(0.0)
            else:
                lam = 0.5 - (n - lo) / (hi - lo)
                out.append(lam if ok == 1.0 else min(0.0, lam))
        return out

    length.required_columns = ["solution"]  # type: ignore[attr-defined]
    return length


class CosineConfig(RewardConfig):
    min_value_wrong: float = option(-1.0, aliases=["cosine_min_value_wrong"])
    """value of a wrong answer of length 0 (open-r1's trainer config had 0.0 here, its reward -1.0)."""
    max_value_wrong: float = option(-0.5, aliases=["cosine_max_value_wrong"])
    """value of a wrong answer of length max_len."""
    min_value_correct: float = option(0.5, aliases=["cosine_min_value_correct"])
    """value of a correct answer of length max_len."""
    max_value_correct: float = option(1.0, aliases=["cosine_max_value_correct"])
    """value of a correct answer of length 0."""
    max_len: int = option(1000, aliases=["cosine_max_len"], gt=0)
    """length (characters) at which the cosine reaches its end values."""
    timeout_s: float = Field(10.0, gt=0)
    """wall-clock limit per math verification."""

    @model_validator(mode="after")
    def _ordered(self) -> CosineConfig:
        if self.min_value_correct > self.max_value_correct:
            raise ValueError("min_value_correct must be <= max_value_correct")
        return self


def cosine_value(progress: float, lo: float, hi: float) -> float:
    """``lo + (hi − lo)·(1 + cos(π·p))/2`` with ``p`` clamped to [0, 1]: ``hi`` at 0, ``lo`` at 1."""
    p = min(1.0, max(0.0, progress))
    return lo + 0.5 * (hi - lo) * (1.0 + math.cos(math.pi * p))


@reward_factory(CosineConfig)
def cosine(**config: Any) -> Any:
    """Build ``cosine`` (length-scaled correctness, "Demystifying Long CoT").

    ``p = len_chars / max_len`` clamped to [0, 1] (open-r1 let it exceed 1, so the reward
    oscillated past ``max_len``). Correct: from ``max_value_correct`` at length 0 down to
    ``min_value_correct`` at ``max_len``. Wrong: from ``min_value_wrong`` at length 0 up to
    ``max_value_wrong`` at ``max_len`` (long wrong answers are penalised less). Defaults
    (−1, −0.5, 0.5, 1, 1000) are the same wherever the reward is built. Correctness as in
    ``accuracy``; an unparseable gold gives ``None`` (open-r1 gave 1.0).
    """
    cfg = parse_config(CosineConfig, "cosine", config)

    def cosine(completions: list[Any], **kwargs: Any) -> list[float | None]:
        correct = judge_math("cosine", completions, kwargs, cfg.timeout_s)
        out: list[float | None] = []
        for ok, c in zip(correct, completions, strict=True):
            p = len(completion_text(c)) / cfg.max_len
            if ok is None:
                out.append(None)
            elif ok == 1.0:
                out.append(cosine_value(p, cfg.min_value_correct, cfg.max_value_correct))
            else:
                out.append(cosine_value(p, cfg.max_value_wrong, cfg.min_value_wrong))
        return out

    cosine.required_columns = ["solution"]  # type: ignore[attr-defined]
    return cosine


class SoftOverlongConfig(RewardConfig):
    max_completion_len: int = Field(16384, gt=0)
    """tokens from which a completion gets -1."""
    soft_punish_cache: int = Field(4096, ge=0)
    """width (tokens) of the ramp from 0 to -1 before max_completion_len."""

    @model_validator(mode="after")
    def _fits(self) -> SoftOverlongConfig:
        if self.soft_punish_cache > self.max_completion_len:
            raise ValueError("soft_punish_cache must be <= max_completion_len")
        return self


@reward_factory(SoftOverlongConfig)
def soft_overlong_punishment(**config: Any) -> Any:
    """Build ``soft_overlong_punishment`` (DAPO eq. 13) over the token count ``L``.

    ``L ≤ max − cache`` → 0; ``max − cache < L ≤ max`` → ``(max − cache − L) / cache`` (a ramp
    from 0 to −1); ``L > max`` → −1. ``L`` is ``len(completion_ids[i])`` (tokens, not characters);
    defaults ``max_completion_len=16384``, ``soft_punish_cache=4096``.
    """
    cfg = parse_config(SoftOverlongConfig, "soft_overlong_punishment", config)
    start = cfg.max_completion_len - cfg.soft_punish_cache

    def soft_overlong_punishment(completions: list[Any], **kwargs: Any) -> list[float | None]:
        ids = require_column("soft_overlong_punishment", kwargs, "completion_ids", len(completions))
        out: list[float | None] = []
        for tokens in ids:
            n = len(tokens)
            if n <= start:
                out.append(0.0)
            elif n <= cfg.max_completion_len:
                out.append((start - n) / cfg.soft_punish_cache)
            else:
                out.append(-1.0)
        return out

    return soft_overlong_punishment
