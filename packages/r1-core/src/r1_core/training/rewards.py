"""Rewards for GRPO: names → configured callables, the dataset that fits them, column checks.

open-r1's reward options (``cosine_max_len``, ``repetition_n_grams``, ``code_provider`` ...) are
offered to each reward factory under both their open-r1 name and the short name a factory would
use (``max_len``, ``ngram_size``, ``provider``); a factory receives only the ones its signature
takes. ``reward_kwargs: {name: {...}}`` passes options explicitly.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from r1_core.api import get_reward, load_object
from r1_core.dataset_names import BUNDLED_PREFIX
from r1_core.errors import ConfigError, DataError, UnknownNameError
from r1_core.plugin_host import get_host

if TYPE_CHECKING:
    from r1_core.training.options import GRPOOptions

__all__ = ["RewardPlan", "build_reward_funcs", "check_reward_columns", "default_dataset_for",
           "default_rewards", "plan_rewards", "redact"]

# The bundled dataset whose columns each competitive-programming reward needs. IOI trains on the
# warm-up problems so that the IOI benchmark (bundled:ioi) stays held out.
_CP_REWARDS = {"ioi": "ioi-warmup", "ioi_code": "ioi-warmup", "codeforces": "codeforces",
               "cf_code": "codeforces", "usaco": "usaco"}
# Which recipe key chooses the sandbox of which reward (open-r1: code_provider for the test-case code
# rewards, ioi_provider for IOI; r1 also routes Codeforces through ioi_provider, since open-r1 judged
# both on Piston). Every other reward that runs code uses code_provider.
IOI_PROVIDER_REWARDS = {"ioi", "codeforces"}
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


def _candidates(opts: GRPOOptions) -> dict[str, Any]:
    o = opts
    return {
        # cosine-scaled length reward
        "cosine_min_value_wrong": o.cosine_min_value_wrong, "min_value_wrong": o.cosine_min_value_wrong,
        "cosine_max_value_wrong": o.cosine_max_value_wrong, "max_value_wrong": o.cosine_max_value_wrong,
        "cosine_min_value_correct": o.cosine_min_value_correct,
        "min_value_correct": o.cosine_min_value_correct,
        "cosine_max_value_correct": o.cosine_max_value_correct,
        "max_value_correct": o.cosine_max_value_correct,
        "cosine_max_len": o.cosine_max_len, "max_len": o.cosine_max_len,
        # repetition penalty
        "repetition_n_grams": o.repetition_n_grams, "ngram_size": o.repetition_n_grams,
        "repetition_max_penalty": o.repetition_max_penalty, "max_penalty": o.repetition_max_penalty,
        # code execution
        "code_language": o.code_language, "language": o.code_language,
        "code_eval_test_batch_size": o.code_eval_test_batch_size,
        "test_batch_size": o.code_eval_test_batch_size,
        "code_eval_scoring_mode": o.code_eval_scoring_mode, "scoring_mode": o.code_eval_scoring_mode,
        "parallel_code_exec_per_proc": o.parallel_code_exec_per_proc,
        "num_parallel": o.parallel_code_exec_per_proc,
        "code_provider": o.code_provider, "provider_type": o.code_provider,
        "ioi_provider": o.ioi_provider, "e2b_router_url": o.e2b_router_url,
        "morph_router_url": o.morph_router_url,
        # soft overlong punishment
        "max_completion_len": o.max_completion_len, "soft_punish_cache": o.soft_punish_cache,
    }


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
    """One reward as it will be built: the factory options, and the sandbox it runs code in."""

    name: str
    canonical: str | None
    weight: float
    provider: str | None = None
    provider_from: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    is_factory: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "registered_as": self.canonical, "weight": self.weight,
                "provider": self.provider, "provider_from": self.provider_from,
                "options": redact(self.options)}


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


def _provider(canonical: str | None, opts: GRPOOptions) -> tuple[str, str, dict[str, Any]]:
    """(provider, the recipe key that chose it, provider options) for a reward that runs code."""
    if canonical in IOI_PROVIDER_REWARDS and opts.ioi_provider:
        provider, source = opts.ioi_provider, "ioi_provider"
    elif "code_provider" not in opts.model_fields_set and (opts.e2b_router_url or opts.morph_router_url):
        # open-r1's default code_provider was e2b: a config that only names a router URL means it
        provider = "e2b" if opts.e2b_router_url else "morph"
        source = f"{provider}_router_url"
    else:
        provider, source = opts.code_provider, "code_provider"
    config: dict[str, Any] = {}
    routers = {"e2b": ("e2b_router_url", opts.e2b_router_url),
               "morph": ("morph_router_url", opts.morph_router_url)}
    if provider in routers and routers[provider][1]:
        key, url = routers[provider]
        # open-r1's E2B / Morph router batches executions for many trainers; r1's equivalent is
        # `r1 sandbox serve --provider e2b|morph`, reached through the `router` sandbox.
        url = url if "://" in url else f"http://{url}"
        source = key if source == key else f"{source} + {key}"
        provider, config = "router", {"urls": [url]}
    if "parallel_code_exec_per_proc" in opts.model_fields_set:
        knob = {"e2b": "max_parallel", "morph": "max_parallel", "local": "max_workers"}.get(provider)
        if knob:
            config[knob] = opts.parallel_code_exec_per_proc
    sandboxes = get_host().registry("sandboxes")
    if provider not in sandboxes:
        raise UnknownNameError(
            f"sandbox provider {provider!r} ({source}) is not registered",
            f"registered sandboxes: {', '.join(sandboxes.names()) or 'none (pip install r1-sandbox)'}"
            "; open-r1's 'piston' has no r1 counterpart: use local, router (r1 sandbox serve), e2b or morph")
    return provider, source, config


def _factory_kwargs(factory: Any, name: str, opts: GRPOOptions,
                    params: dict[str, inspect.Parameter] | None = None) -> dict[str, Any]:
    explicit = dict(opts.reward_kwargs.get(name, {}))
    if params is None:
        try:
            params = dict(inspect.signature(factory).parameters)
        except (TypeError, ValueError):
            return explicit
    chosen = {k: v for k, v in _candidates(opts).items()
              if k in params and v is not None and params[k].kind is not inspect.Parameter.VAR_KEYWORD}
    return {**chosen, **explicit}


def plan_rewards(opts: GRPOOptions) -> list[RewardPlan]:
    """What each reward will be built with; unknown rewards and unregistered sandboxes fail here."""
    weights = opts.reward_weights or [1.0] * len(opts.reward_funcs)
    plans = []
    for name, weight in zip(opts.reward_funcs, weights, strict=True):
        factory = _factory_of(name)
        plan = RewardPlan(name=name, canonical=_canonical(name), weight=float(weight),
                          is_factory=factory is not None)
        if factory is None:
            plan.options = dict(opts.reward_kwargs.get(name, {}))
            plans.append(plan)
            continue
        try:
            params = dict(inspect.signature(factory).parameters)
        except (TypeError, ValueError):
            params = {}
        kwargs = _factory_kwargs(factory, name, opts, params)
        if "provider" in params or "sandbox" in params:
            explicit = opts.reward_kwargs.get(name, {})
            if "provider" in explicit or "sandbox" in explicit:
                plan.provider = str(explicit.get("provider") or explicit.get("sandbox"))
                plan.provider_from = f"reward_kwargs.{name}"
            else:
                plan.provider, plan.provider_from, config = _provider(plan.canonical, opts)
                kwargs["provider" if "provider" in params else "sandbox"] = plan.provider
                if config and "provider_config" in params:
                    kwargs["provider_config"] = {**config, **kwargs.get("provider_config", {})}
        plan.options = kwargs
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
                              f"check reward_kwargs.{plan.name} and the open-r1 keys it takes") from None
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
