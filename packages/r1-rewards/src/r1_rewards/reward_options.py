"""Validated reward configuration: one pydantic model per configurable reward is the single
source of its defaults (so config defaults and function defaults cannot disagree)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from r1_core.config_parsing import validation_message
from r1_core.errors import ConfigError

__all__ = ["RewardConfig", "parse_config", "reward_factory"]

C = TypeVar("C", bound="RewardConfig")
F = TypeVar("F", bound=Callable[..., Any])


class RewardConfig(BaseModel):
    """Base of reward configs: unknown keys are errors, values are validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_config(model: type[C], reward: str, config: dict[str, Any]) -> C:
    try:
        return model.model_validate(config)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, model, f"the {reward!r} reward config"),
                          f"options: {', '.join(model.model_fields)}") from None


def reward_factory(model: type[RewardConfig]) -> Callable[[F], F]:
    """Mark ``fn(**config)`` as a reward factory whose visible signature is ``model``'s fields.

    ``get_reward`` calls factories with config; tools that introspect the signature (the GRPO
    trainer forwarding open-r1 recipe keys, ``help()``) see each option with its one default.
    """
    def mark(fn: F) -> F:
        params = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=field.annotation,
                                    default=field.get_default(call_default_factory=True))
                  for name, field in model.model_fields.items()]
        fn.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        fn.r1_factory = True  # type: ignore[attr-defined]
        fn.config_model = model  # type: ignore[attr-defined]
        return fn

    return mark
