"""Validated reward configuration: one pydantic model per configurable reward is the single
source of its defaults (so config defaults and function defaults cannot disagree)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from r1_core.config import validation_message
from r1_core.errors import ConfigError

__all__ = ["RewardConfig", "parse_config"]

C = TypeVar("C", bound="RewardConfig")


class RewardConfig(BaseModel):
    """Base of reward configs: unknown keys are errors, values are validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_config(model: type[C], reward: str, config: dict[str, Any]) -> C:
    try:
        return model.model_validate(config)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, model, f"the {reward!r} reward config"),
                          f"options: {', '.join(model.model_fields)}") from None
