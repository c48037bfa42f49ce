"""Rewards for GRPO: names → configured callables, the dataset that fits them, column checks.

A reward factory declares its options (:mod:`r1_core.reward_options`: an options model with the recipe
keys it accepts as aliases, or its keyword parameters). Each config key that is not one of the
trainer's or TRL's fields goes to the rewards of the run that declare it (``cosine_max_len`` →
``cosine``'s ``max_len``); ``reward_kwargs: {name: {...}}`` passes one reward's options explicitly
and wins. A key no installed reward declares is refused when the config is validated.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from r1_core.api import get_reward, load_object
from r1_core.dataset_names import BUNDLED_PREFIX
from r1_core.errors import ConfigError, DataError
from r1_core.plugin_host import get_host
from r1_core.reward_options import declared_options, options_model

if TYPE_CHECKING:
    from r1_core.training.options import GRPOOptions

__all__ = ["RewardPlan", "build_reward_funcs", "check_reward_columns", "default_dataset_for",
           "default_rewards", "plan_rewards", "redact", "reward_option_keys"]

_SECRET_WORDS = ("token", "key", "secret", "password", "passwd", "credentials")
_TOKEN_NOT_SECRET = {"eos_token", "pad_token", "bos_token", "unk_token", "sep_token", "cls_token",
                     "mask_token"}
_TRL_KWARGS = {"prompts", "completions", "completion_ids", "trainer_state", "log_extra", "log_metric",
               "environments"}


def default_rewards() -> list[str]:
    """The rewards registered with ``default=True``, in registration order (``r1 train grpo`` without
    ``--reward``); a one-line error when none is."""
    names = [e.name for e in get_host().registry("rewards").in_order() if e.meta.get("default")]
    if not names:
        raise ConfigError("no reward given (--reward) and no installed plugin registers a default one",
                          "name a reward with --reward (`r1 rewards list`), or pip install r1-rewards")
    return names


def default_dataset_for(reward_names: Sequence[str]) -> str | None:
    """The dataset a run of these rewards trains on when it names none: ``bundled:<name>`` of the
    first reward whose registration names one (``register(..., dataset="ioi-warmup")``); when none
    does (rewards that fit any data, such as ``format``), the one the default rewards name (what
    ``r1 train grpo`` without ``--reward`` trains on); else None (the run must name a dataset)."""
    rewards = get_host().registry("rewards")
    for name in reward_names:
        if ":" not in name and name in rewards and rewards.entry(name).meta.get("dataset"):
            return f"{BUNDLED_PREFIX}{rewards.entry(name).meta['dataset']}"
    for entry in rewards.in_order():
        if entry.meta.get("default") and entry.meta.get("dataset"):
            return f"{BUNDLED_PREFIX}{entry.meta['dataset']}"
    return None


def reward_option_keys(extra_rewards: Sequence[str] = ()) -> dict[str, list[tuple[str, str, Any]]]:
    """Every config key some reward declares → ``[(reward, option, declared type), ...]``, over the
    registered rewards and the ``module:function`` rewards named in ``extra_rewards``."""
    found: dict[str, list[tuple[str, str, Any]]] = {}
    objs = [(e.name, e.obj) for e in get_host().registry("rewards").in_order()]
    objs += [(name, load_object(name)) for name in extra_rewards if ":" in name]
    for reward, obj in objs:
        for key, (option, annotation) in declared_options(obj).items():
            found.setdefault(key, []).append((reward, option, annotation))
    return found


def _factory_of(name: str) -> Any | None:
    """The registered factory for ``name`` (None for plain reward functions)."""
    obj = load_object(name) if ":" in name else get_host().registry("rewards").entry(name).obj
    if inspect.isclass(obj) or getattr(obj, "r1_factory", False):
        return obj
    return None


def _canonical(name: str) -> str | None:
    if ":" in name:
        return None
    return get_host().registry("rewards").entry(name).name


@dataclass
class RewardPlan:
    """One reward as it will be built: its factory options, and the config key(s) each came from."""

    name: str
    canonical: str | None
    weight: float
    options: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    is_factory: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "registered_as": self.canonical, "weight": self.weight,
                "options": redact(self.options), "sources": self.sources}


def _is_secret(key: str) -> bool:
    words = key.lower().split("_")
    if key.lower() in _TOKEN_NOT_SECRET:
        return False
    return any(w in _SECRET_WORDS for w in words) or key.lower().endswith(("apikey", "api_key"))


def redact(value: Any, key: str = "") -> Any:
    """``value`` with secrets (keys naming a token/key/secret/password, URL credentials) hidden."""
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, key) for v in value]
    if _is_secret(key) and value not in (None, "", False):
        return "***"
    if isinstance(value, str) and "://" in value and "@" in value.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = value.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return value


def _given_options(name: str, factory: Any, settings: dict[str, Any],
                   explicit: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(options by name, {option: the config key that set it}) for one reward: the routed config keys
    (an option's bare name first, so a recipe's alias such as ``cosine_max_len`` wins over it), then
    ``reward_kwargs`` (by name or alias; an unknown one is left for the factory check to name)."""
    keys = declared_options(factory)
    given: dict[str, Any] = {}
    sources: dict[str, str] = {}
    routed = [k for k in settings if k in keys]
    for key in sorted(routed, key=lambda k: keys[k][0] != k):
        option = keys[key][0]
        given[option], sources[option] = settings[key], key
    for key, value in explicit.items():
        option = keys.get(key, (key, None))[0]
        given[option], sources[option] = value, f"reward_kwargs.{name}"
    return given, sources


def plan_rewards(opts: GRPOOptions) -> list[RewardPlan]:
    """What each reward will be built with; unknown rewards (and options a reward's declaration
    refuses while deriving, such as an unregistered sandbox) fail here, before any model loads."""
    names = list(opts.reward_funcs or [])
    weights = opts.reward_weights or [1.0] * len(names)
    settings = opts.reward_settings()
    plans = []
    for name, weight in zip(names, weights, strict=True):
        factory = _factory_of(name)
        plan = RewardPlan(name=name, canonical=_canonical(name), weight=float(weight),
                          is_factory=factory is not None)
        explicit = dict(opts.reward_kwargs.get(name, {}))
        if factory is None:
            plan.options = explicit
            plans.append(plan)
            continue
        given, sources = _given_options(name, factory, settings, explicit)
        model = options_model(factory)
        derived: dict[str, tuple[str, ...]] = {}
        if model is not None:
            given, derived = model.derive(given)
        plan.options = given
        for option in given:
            keys = [sources[o] for o in derived.get(option, (option,)) if o in sources]
            if keys:
                plan.sources[option] = " + ".join(dict.fromkeys(keys))
        plans.append(plan)
    return plans


def build_reward_funcs(opts: GRPOOptions, plans: list[RewardPlan] | None = None) -> list[Callable[..., Any]]:
    """Configured reward callables, in order; unknown names fail here, before any model loads."""
    funcs = []
    for plan in plans if plans is not None else plan_rewards(opts):
        try:
            funcs.append(get_reward(plan.name, **plan.options))
        except ConfigError:
            raise
        except ValueError as exc:  # a TypeError here is a bug in the factory: get_reward judged the call
            raise ConfigError(f"reward {plan.name!r} rejects its options: {str(exc).splitlines()[0]}",
                              f"check reward_kwargs.{plan.name} and the config keys it takes "
                              f"(`r1 train grpo --help`)") from None
    return funcs


def _required_columns(fn: Callable[..., Any]) -> list[str]:
    declared = getattr(fn, "required_columns", None)
    if declared is not None:
        return list(declared)
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params
            if p.default is inspect.Parameter.empty and p.name not in _TRL_KWARGS
            and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]


def check_reward_columns(funcs: Sequence[Callable[..., Any]], columns: Sequence[str],
                         dataset: str) -> None:
    """Fail before training when a reward needs a dataset column that is not there."""
    for fn in funcs:
        missing = [c for c in _required_columns(fn) if c not in columns]
        if missing:
            raise DataError(
                f"reward {fn.__name__!r} needs column(s) {', '.join(missing)} but dataset {dataset!r} "
                f"has: {', '.join(columns)}",
                "choose a dataset with those columns (--dataset) or another reward")
