"""Validated reward configuration on r1-core's declaration (:mod:`r1_core.reward_options`): one pydantic
model per configurable reward is the single source of its defaults and of the recipe keys (open-r1's
``cosine_max_len`` ...) it accepts, so config defaults and function defaults cannot disagree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from r1_core.reward_options import RewardOptions, option, reward_options

__all__ = ["RewardConfig", "option", "parse_config", "reward_factory"]

C = TypeVar("C", bound="RewardConfig")
F = TypeVar("F", bound=Callable[..., Any])


class RewardConfig(RewardOptions):
    """Base of r1-rewards' option models: unknown keys are errors, values are validated."""


def parse_config(model: type[C], reward: str, config: dict[str, Any]) -> C:
    """``config`` validated by ``model`` (options by name or alias); one line when invalid."""
    return model.parse(reward, config)


def reward_factory(model: type[RewardConfig]) -> Callable[[F], F]:
    """Mark ``fn(**config)`` as a reward factory whose options ``model`` declares (its visible
    signature is the model's fields, each with its one default; the GRPO trainer routes the recipe
    keys the model declares to it)."""
    return reward_options(model)
