"""Tool environments: what ``r1_register_environments`` registers and ``get_environment`` returns.

An *environment* is a class (or factory) whose instances are *episodes*, exactly the objects TRL's
``GRPOTrainer(environment_factory=...)`` expects:

* ``reset(**row) -> str | None`` starts a new episode for one dataset row (TRL passes the row's
  columns); a returned string is appended to the prompt. TRL reuses instances across batches, so
  ``reset`` must forget everything of the previous episode.
* every other public method defined on the class is a tool the model may call: typed arguments and
  a Google-style docstring (TRL renders them into the chat template's tool schema).
* optional ``get_reward() -> float``: the environment scores the finished episode itself.
* optional ``_close()``: release what the episode holds (processes, sandboxes). It is private on
  purpose: TRL offers every public method except ``reset`` and ``get_reward`` as a tool.

A tool reports a failure of the model's call (bad input, an exception in its code) by returning
:class:`ToolError` text; an exception raised by a tool is reported by TRL as a failed call. Either
way the model sees the message and the trainer keeps running.

:func:`get_environment` returns an :class:`EnvironmentFactory`: a zero-argument callable that
builds instrumented episodes (tool calls, errors and time per episode are recorded for the
``tools/*`` metrics) and can be passed straight to TRL.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "EnvironmentFactory",
    "Episode",
    "EpisodeStats",
    "ToolError",
    "ToolSystemError",
    "close_episode",
    "summarize_episodes",
    "tool_methods",
]

RESERVED = frozenset({"reset", "get_reward"})
"""Public method names of an episode that are not tools."""


@runtime_checkable
class Episode(Protocol):
    """One episode of an environment (its tools are its other public methods)."""

    def reset(self, **row: Any) -> str | None: ...


class ToolError(str):
    """Tool output that tells the model its call failed (counted as a tool error in the metrics)."""

    __slots__ = ()


class ToolSystemError(ToolError):
    """Tool output for a failure of the tool itself (its sandbox did not start ...), not of the
    model's call: counted apart (``tools/system_errors_per_episode``), never as the model's error."""

    __slots__ = ()


def tool_methods(cls: type) -> list[str]:
    """The tool names of an episode class, discovered the way TRL does (public functions of the class)."""
    return sorted(name for name, _ in inspect.getmembers(cls, predicate=inspect.isfunction)
                  if not name.startswith("_") and name not in RESERVED)


@dataclass
class EpisodeStats:
    """What one episode did with its tools."""

    calls: int = 0
    errors: int = 0
    system_errors: int = 0
    tool_time_s: float = 0.0
    by_tool: dict[str, int] = field(default_factory=dict)


def summarize_episodes(episodes: list[EpisodeStats]) -> dict[str, float]:
    """The ``tools/*`` metrics of a step: per-episode means over ``episodes``."""
    if not episodes:
        return {}
    n = len(episodes)
    calls = sum(e.calls for e in episodes)
    out = {
        "tools/calls_per_episode": calls / n,
        "tools/errors_per_episode": sum(e.errors for e in episodes) / n,
        "tools/system_errors_per_episode": sum(e.system_errors for e in episodes) / n,
        "tools/time_s_per_episode": sum(e.tool_time_s for e in episodes) / n,
        "tools/episodes_with_calls": sum(1 for e in episodes if e.calls) / n,
    }
    if calls:
        out["tools/time_s_per_call"] = sum(e.tool_time_s for e in episodes) / calls
    return out


_RAISED = object()  # the tool raised: TRL reports it to the model as a failed call


class _Tracker:
    """Episodes begun since the metrics were last read (thread-safe: tools may run on TRL's loop)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._episodes: list[EpisodeStats] = []

    def begin(self) -> EpisodeStats:
        stats = EpisodeStats()
        with self._lock:
            self._episodes.append(stats)
        return stats

    def drain(self) -> list[EpisodeStats]:
        with self._lock:
            out, self._episodes = self._episodes, []
        return out


def _instrumented(cls: type, tracker: _Tracker) -> type:
    """A subclass of ``cls`` whose ``reset`` opens an :class:`EpisodeStats` and whose tools record
    into it. Wrappers keep name, signature and docstring, so TRL renders the same tool schema."""

    def wrap_reset(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def reset(self: Any, *args: Any, **kwargs: Any) -> Any:
            self._r1_episode = tracker.begin()
            return fn(self, *args, **kwargs)
        return reset

    def wrap_tool(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def record(self: Any, started: float, result: Any) -> None:
            stats = getattr(self, "_r1_episode", None)
            if stats is None:  # a tool called before any reset: count it in an episode of its own
                stats = self._r1_episode = tracker.begin()
            stats.calls += 1
            if isinstance(result, ToolSystemError):
                stats.system_errors += 1
            elif result is _RAISED or isinstance(result, ToolError):
                stats.errors += 1
            stats.tool_time_s += time.perf_counter() - started
            stats.by_tool[name] = stats.by_tool.get(name, 0) + 1

        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def tool_async(self: Any, *args: Any, **kwargs: Any) -> Any:
                started, result = time.perf_counter(), _RAISED
                try:
                    result = await fn(self, *args, **kwargs)
                    return result
                finally:
                    record(self, started, result)
            return tool_async

        @functools.wraps(fn)
        def tool(self: Any, *args: Any, **kwargs: Any) -> Any:
            started, result = time.perf_counter(), _RAISED
            try:
                result = fn(self, *args, **kwargs)
                return result
            finally:
                record(self, started, result)
        return tool

    members: dict[str, Any] = {"__module__": cls.__module__, "__doc__": cls.__doc__,
                               "__qualname__": cls.__qualname__}
    members["reset"] = wrap_reset(cls.reset)
    for name in tool_methods(cls):
        members[name] = wrap_tool(name, getattr(cls, name))
    return type(cls.__name__, (cls,), members)


def close_episode(episode: Any) -> None:
    """Call the episode's optional ``_close()``."""
    close = getattr(episode, "_close", None)
    if callable(close):
        close()


class EnvironmentFactory:
    """A registered environment with its options: each call builds one (instrumented) episode.

    Pass it as TRL's ``environment_factory``; read the ``tools/*`` metrics with :meth:`drain`.
    """

    def __init__(self, name: str, build: Callable[..., Any], options: dict[str, Any] | None = None) -> None:
        self.name = name
        self.options = dict(options or {})
        self._build = build
        self._tracker = _Tracker()
        self._classes: dict[type, type] = {}
        self._episodes: weakref.WeakSet[Any] = weakref.WeakSet()

    def __call__(self) -> Any:
        if inspect.isclass(self._build):
            episode = self._subclass(self._build)(**self.options)
        else:
            episode = self._build(**self.options)
            episode.__class__ = self._subclass(type(episode))
        with contextlib.suppress(TypeError):  # an episode class with __slots__ cannot be tracked
            self._episodes.add(episode)
        return episode

    def close_episodes(self) -> None:
        """Call ``_close()`` on every episode built so far that is still alive (they stay usable:
        a later ``reset`` starts afresh). Trainers call it once an episode batch is scored."""
        for episode in list(self._episodes):
            close_episode(episode)

    def _subclass(self, cls: type) -> type:
        sub = self._classes.get(cls)
        if sub is None:
            if not callable(getattr(cls, "reset", None)):
                from r1_core.errors import PluginError

                raise PluginError(f"environment {self.name!r}: {cls.__name__} has no reset() method",
                                  "define reset(self, **row) on the episode class (see docs/environments.md)")
            sub = self._classes[cls] = _instrumented(cls, self._tracker)
        return sub

    @property
    def tools(self) -> list[str]:
        """The tool names of this environment's episodes (builds and closes one episode)."""
        episode = self()
        try:
            return tool_methods(type(episode))
        finally:
            close_episode(episode)

    def drain(self) -> list[EpisodeStats]:
        """The stats of the episodes begun since the last call (their tool calls are done by the
        time a training step logs)."""
        return self._tracker.drain()

    def __repr__(self) -> str:
        return f"EnvironmentFactory({self.name!r}, options={self.options!r})"
