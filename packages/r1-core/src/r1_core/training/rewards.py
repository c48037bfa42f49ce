"""Rewards for GRPO: names → configured callables, the dataset that fits them, column checks.

open-r1's reward options (``cosine_max_len``, ``repetition_n_grams``, ``code_provider`` ...) are
offered to each reward factory under both their open-r1 name and the short name a factory would
use (``max_len``, ``ngram_size``, ``provider``); a factory receives only the ones its signature
takes. ``reward_kwargs: {name: {...}}`` passes options explicitly.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from r1_core.api import get_reward, load_object
from r1_core.errors import DataError
from r1_core.plugins import get_host

if TYPE_CHECKING:
    from r1_core.training.config import GRPOOptions

__all__ = ["build_reward_funcs", "check_reward_columns", "default_dataset_for"]

# The bundled dataset whose columns each competitive-programming reward needs.
_CP_REWARDS = {"ioi": "ioi", "ioi_code": "ioi", "codeforces": "codeforces", "cf_code": "codeforces",
               "usaco": "usaco"}
_TRL_KWARGS = {"prompts", "completions", "completion_ids", "trainer_state", "log_extra", "log_metric",
               "environments"}


def default_dataset_for(reward_names: Sequence[str]) -> str:
    """``bundled:ioi`` for ``--reward ioi`` (likewise codeforces / usaco), else ``bundled:math``."""
    for name in reward_names:
        key = name.strip().lower().replace("-", "_")
        if key in _CP_REWARDS:
            return f"bundled:{_CP_REWARDS[key]}"
    return "bundled:math"


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
        "code_provider": o.code_provider, "provider": o.ioi_provider or o.code_provider,
        "provider_type": o.code_provider,
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


def _factory_kwargs(factory: Any, name: str, opts: GRPOOptions) -> dict[str, Any]:
    explicit = dict(opts.reward_kwargs.get(name, {}))
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return explicit
    chosen = {k: v for k, v in _candidates(opts).items()
              if k in params and v is not None and params[k].kind is not inspect.Parameter.VAR_KEYWORD}
    return {**chosen, **explicit}


def build_reward_funcs(opts: GRPOOptions) -> list[Callable[..., Any]]:
    """Configured reward callables, in order; unknown names fail here, before any model loads."""
    funcs = []
    for name in opts.reward_funcs:
        factory = _factory_of(name)
        kwargs = _factory_kwargs(factory, name, opts) if factory is not None else dict(
            opts.reward_kwargs.get(name, {}))
        funcs.append(get_reward(name, **kwargs))
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
