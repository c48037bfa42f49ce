"""The library API: typed façades over the plugin registries.

Core code and embedders reach plugins only through these functions::

    from r1_core import get_reward
    trainer = trl.GRPOTrainer(..., reward_funcs=[get_reward("accuracy"), get_reward("format")])
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
from typing import Any

from r1_core.environments import EnvironmentFactory, close_episode
from r1_core.errors import ConfigError, UnknownNameError
from r1_core.plugin_host import PluginInfo, get_host
from r1_core.protocols import Benchmark, RewardFunc, Sandbox, Scorer, Trainer
from r1_core.registry import KINDS, Entry

__all__ = [
    "factory",
    "get_benchmark",
    "get_environment",
    "get_reward",
    "get_sandbox",
    "get_scorer",
    "get_trainer",
    "list_entries",
    "list_plugins",
    "load_object",
]


def factory(obj: Any) -> Any:
    """Mark a registered callable as a factory: ``get_*(name, **config)`` calls it with config.

    Classes are always treated as factories; use this for plain functions that build rewards.
    """
    obj.r1_factory = True
    return obj


def _is_factory(obj: Any) -> bool:
    return inspect.isclass(obj) or bool(getattr(obj, "r1_factory", False))


def _check_options(kind: str, name: str, build: Any, options: dict[str, Any]) -> None:
    """Raise a one-line :class:`ConfigError` when ``build(**options)`` cannot bind its signature.

    Only the call itself is judged: a TypeError raised inside the factory is a bug there and
    propagates with its traceback.
    """
    try:
        signature = inspect.signature(build)
    except (TypeError, ValueError):  # no introspectable signature: the call decides
        return
    params = signature.parameters.values()
    names = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    accepted = f"its options are: {', '.join(names)}" if names else "it takes no options"
    hint = f"check the option names ({accepted})"
    if not any(p.kind is p.VAR_KEYWORD for p in params):
        unknown = [key for key in options if key not in names]
        if unknown:
            close = difflib.get_close_matches(unknown[0], names, n=1)
            suggestion = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"unknown option {unknown[0]!r} for {kind} {name!r}{suggestion}", hint)
    try:
        signature.bind(**options)
    except TypeError as exc:
        raise ConfigError(f"{kind} {name!r}: {exc}", hint) from None


def _build(kind: str, name: str, obj: Any, config: dict[str, Any]) -> Any:
    if _is_factory(obj):
        _check_options(kind, name, obj, config)
        return obj(**config)
    if config:
        raise ConfigError(f"{kind} {name!r} takes no options (got {', '.join(config)})",
                          "remove them")
    return obj


def load_object(spec: str) -> Any:
    """Import ``package.module:attribute`` (the escape hatch for unpackaged callables)."""
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UnknownNameError(f"cannot import {module_name!r} from {spec!r}: {exc}",
                               "check the module path and PYTHONPATH") from None
    try:
        obj: Any = module
        for part in attr.split("."):
            obj = getattr(obj, part)
    except AttributeError:
        raise UnknownNameError(f"{module_name!r} has no attribute {attr!r}",
                               "check the name after ':'") from None
    return obj


def _named(fn: Any, name: str) -> Any:
    """TRL logs ``rewards/<__name__>``: make it the registry name without mutating shared objects."""
    if getattr(fn, "__name__", None) == name:
        return fn
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def wrapped_async(*args: Any, **kwargs: Any) -> Any:
            return await fn(*args, **kwargs)
        wrapped: Any = wrapped_async
    else:
        @functools.wraps(fn)
        def wrapped_sync(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)
        wrapped = wrapped_sync
    wrapped.__name__ = wrapped.__qualname__ = name
    return wrapped


def get_reward(name: str, **config: Any) -> RewardFunc:
    """A TRL-compatible reward function by registry name (or ``module:function``)."""
    if ":" in name:
        obj = load_object(name)
        fn = _build("reward", name, obj, config)
        return _named(fn, name.rpartition(":")[2])
    entry = get_host().registry("rewards").entry(name)
    return _named(_build("reward", entry.name, entry.obj, config), entry.name)


def get_sandbox(name: str = "local", **config: Any) -> Sandbox:
    """A sandbox provider instance (``local`` by default)."""
    entry = get_host().registry("sandboxes").entry(name)
    return _build("sandbox", entry.name, entry.obj, config)


def get_scorer(name: str, **config: Any) -> Scorer:
    """A problem scorer (``ioi``, ``codeforces``, ``usaco`` ...)."""
    entry = get_host().registry("scorers").entry(name)
    return _build("scorer", entry.name, entry.obj, config)


def get_benchmark(name: str, **config: Any) -> Benchmark:
    """An evaluation benchmark (``aime24``, ``math_500`` ...)."""
    entry = get_host().registry("benchmarks").entry(name)
    return _build("benchmark", entry.name, entry.obj, config)


def get_trainer(name: str) -> Trainer:
    """A trainer (``sft``, ``grpo``, ``combined``, ``pipeline``)."""
    entry = get_host().registry("trainers").entry(name)
    return _build("trainer", entry.name, entry.obj, {})


def get_environment(name: str, **options: Any) -> EnvironmentFactory:
    """A tool environment (``python`` ...) as TRL's ``environment_factory``: each call builds one
    episode. ``module:Class`` loads an unregistered one. Options are checked by building one episode."""
    if ":" in name:
        label, obj = name.rpartition(":")[2], load_object(name)
    else:
        entry = get_host().registry("environments").entry(name)
        label, obj = entry.name, entry.obj
    _check_options("environment", label, obj, options)
    env = EnvironmentFactory(label, obj, options)
    probe = env()
    close_episode(probe)
    env.drain()
    return env


def list_entries(kind: str) -> list[Entry[Any]]:
    """Everything registered of one kind (``rewards``, ``sandboxes`` ...), sorted by name."""
    if kind not in KINDS:
        raise UnknownNameError(f"unknown kind {kind!r}", f"one of: {', '.join(KINDS)}")
    return list(get_host().registry(kind))


def list_plugins(*, include_builtin: bool = True) -> list[PluginInfo]:
    """Installed plugins with version, status (active/disabled/failed), hooks and what they provide."""
    return get_host().infos(include_builtin=include_builtin)
