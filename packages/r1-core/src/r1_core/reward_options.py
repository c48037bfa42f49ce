"""How a reward factory declares its options, and how the trainers read the declaration.

A configurable reward is a factory ``(**options) -> reward function``. It declares its options with a
pydantic model: each field is one option (its type, its one default, its validation, its docstring as
the description), and :func:`option` adds the recipe keys the option is also known by::

    class CosineOptions(RewardOptions):
        max_len: int = option(1000, aliases=["cosine_max_len"], gt=0)
        \"\"\"length (characters) at which the cosine reaches its end value.\"\"\"

    @reward_options(CosineOptions)
    def cosine(**options):
        opts = CosineOptions.parse("cosine", options)
        ...

``r1 train grpo`` routes each config key that is not one of its own or TRL's fields to the rewards of
the run that declare it (by option name or alias: :func:`declared_options`), so an open-r1 recipe's
``cosine_max_len: 500`` reaches ``cosine`` as ``max_len=500``; keys no installed reward declares are
refused. A factory without a model still works: its keyword parameters are its options, by name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, model_validator

from r1_core.errors import ConfigError

__all__ = ["RewardOptions", "declared_options", "option", "options_model", "reward_options"]

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound="RewardOptions")


def option(default: Any = ..., *, aliases: Sequence[str] = (), **field: Any) -> Any:
    """A field of a :class:`RewardOptions` model, also accepted under the recipe keys ``aliases``
    (``option(1000, aliases=["cosine_max_len"], gt=0)``); other keywords go to ``pydantic.Field``."""
    if aliases:
        field["validation_alias"] = AliasChoices(*aliases)
    if "default_factory" in field:
        return Field(**field)
    return Field(default, **field)


class RewardOptions(BaseModel):
    """Base of reward option models: unknown options are errors, values are validated, an option is
    accepted under its name and its aliases, and the field docstrings are the descriptions."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True,
                              use_attribute_docstrings=True)

    @classmethod
    def keys(cls) -> dict[str, str]:
        """Every key the model accepts → the option it sets (each option's name, then its aliases)."""
        out: dict[str, str] = {}
        for name, info in cls.model_fields.items():
            out[name] = name
            for alias in _aliases(info):
                out.setdefault(alias, name)
        return out

    @classmethod
    def derive(cls, given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
        """Options computed from others, before validation: ``(options, {option: the options it came
        from})``. ``given`` holds the options that were set, by name. The default changes nothing;
        override it when one option decides another (the result must derive to itself again)."""
        return dict(given), {}

    @model_validator(mode="before")
    @classmethod
    def _derive(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        keys = cls.keys()
        return cls.derive({keys.get(k, k): v for k, v in data.items()})[0]

    @classmethod
    def parse(cls: type[M], reward: str, options: Mapping[str, Any]) -> M:
        """The validated options of ``reward``; a one-line :class:`ConfigError` when they are not valid
        (an r1 error raised while deriving comes out as itself)."""
        from r1_core.config_parsing import r1_error_in, validation_message

        try:
            return cls.model_validate(dict(options))
        except ValidationError as exc:
            inner = r1_error_in(exc)
            if inner is not None:
                raise inner from None
            raise ConfigError(validation_message(exc, cls, f"the {reward!r} reward's options"),
                              f"its options: {', '.join(cls.model_fields)}") from None


def _aliases(info: Any) -> list[str]:
    found: list[str] = []
    for alias in (info.alias, info.validation_alias):
        if isinstance(alias, str):
            found.append(alias)
        elif isinstance(alias, AliasChoices):
            found.extend(a for a in alias.choices if isinstance(a, str))
    return found


def reward_options(model: type[RewardOptions]) -> Callable[[F], F]:
    """Mark ``fn(**options)`` as a reward factory whose options ``model`` declares.

    The factory's visible signature becomes the model's fields (keyword-only, with their defaults),
    so ``get_reward(name, **options)`` checks option names and ``help()`` shows them;
    :func:`options_model` finds the model again.
    """
    def mark(fn: F) -> F:
        params = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=info.annotation,
                                    default=info.get_default(call_default_factory=True))
                  for name, info in model.model_fields.items()]
        fn.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        fn.r1_factory = True  # type: ignore[attr-defined]
        fn.r1_options = model  # type: ignore[attr-defined]
        return fn

    return mark


def options_model(obj: Any) -> type[RewardOptions] | None:
    """The options model a factory declared with :func:`reward_options` (None without one)."""
    model = getattr(obj, "r1_options", None)
    return model if inspect.isclass(model) and issubclass(model, RewardOptions) else None


def declared_options(obj: Any) -> dict[str, tuple[str, Any]]:
    """Every config key a reward factory takes → ``(option name, declared type)``.

    With a declared model: each option's name and aliases. Otherwise the factory's keyword parameters,
    by name. A plain reward function (not a factory) takes none.
    """
    model = options_model(obj)
    if model is not None:
        return {key: (name, model.model_fields[name].annotation) for key, name in model.keys().items()}
    if not (inspect.isclass(obj) or getattr(obj, "r1_factory", False)):
        return {}
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: (p.name, None if p.annotation is inspect.Parameter.empty else p.annotation)
            for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
