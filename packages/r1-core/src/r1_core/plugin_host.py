"""Plugin discovery and loading: entry points of group ``r1``, one at a time, failures isolated.

Nothing happens at import time. The first façade call (``get_reward`` ...) builds the host,
loads every entry point and fills the registries. Environment switches:

* ``R1_DISABLE_PLUGINS=a,b`` — block plugins by entry-point or distribution name;
* ``R1_LOAD_PLUGINS=a,b`` — load only these (empty string: no entry-point plugins at all);
* ``R1_STRICT_PLUGINS=1`` — a plugin that fails to load is an error instead of a warning.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any, Literal

import pluggy

from r1_core import hookspecs
from r1_core.errors import DuplicateNameError, PluginError
from r1_core.registry import KINDS, Registry

__all__ = ["PluginHost", "PluginInfo", "get_host", "reset", "use_host"]

Status = Literal["active", "disabled", "failed"]


@dataclass
class PluginInfo:
    """One plugin as ``r1 plugins`` shows it."""

    name: str
    distribution: str | None = None
    version: str | None = None
    module: str = ""
    status: Status = "active"
    hooks: list[str] = field(default_factory=list)
    provides: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None
    builtin: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.distribution or self.name,
            "entry_point": self.name,
            "version": self.version,
            "module": self.module,
            "status": self.status,
            "hooks": self.hooks,
            "provides": self.provides,
            "error": self.error,
        }


def _env_list(var: str) -> set[str] | None:
    raw = os.environ.get(var)
    if raw is None:
        return None
    return {x.strip() for x in raw.split(",") if x.strip()}


def _strict() -> bool:
    return os.environ.get("R1_STRICT_PLUGINS", "").lower() in {"1", "true", "yes", "on"}


def _warn(msg: str) -> None:
    sys.stderr.write(f"r1: warning: {msg}\n")


class PluginHost:
    """A pluggy manager plus the registries it fills.

    Args:
        entry_points: discover installed plugins (group ``r1``). Tests pass ``False`` for an
            isolated host and add plugins with :meth:`add_plugin`.
    """

    def __init__(self, *, entry_points: bool = True) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.use_entry_points = entry_points
        self.plugins: dict[str, PluginInfo] = {}
        self.registries: dict[str, Registry[Any]] = {k: Registry(k) for k in KINDS}
        self._discovered = False
        self._loaded = False
        self._filled = False
        # Façades may be called from many threads at once (reward workers, data loaders): the
        # first use loads plugins and fills the registries exactly once, under this lock.
        self._lock = threading.RLock()

    # -- discovery -------------------------------------------------------------------------
    def discover(self) -> None:
        if self._loaded:
            return
        with self._lock:  # other threads wait here until loading is over
            if self._discovered:  # done, or a plugin being imported by this thread calls back
                return
            self._discovered = True
            try:
                if self.use_entry_points:
                    self._load_entry_points()
            finally:
                self._loaded = True

    def _load_entry_points(self) -> None:
        blocked = _env_list("R1_DISABLE_PLUGINS") or set()
        allowed = _env_list("R1_LOAD_PLUGINS")
        for ep in sorted(metadata.entry_points(group=hookspecs.PROJECT), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist else None
            info = PluginInfo(name=ep.name, distribution=dist, module=ep.value,
                              version=ep.dist.version if ep.dist else None)
            if ep.name in self.plugins:
                continue
            self.plugins[ep.name] = info
            if blocked & {ep.name, dist} or (allowed is not None and not allowed & {ep.name, dist}):
                info.status = "disabled"
                continue
            module = None
            try:
                module = ep.load()
                self.pm.register(module, name=ep.name)
                self.pm.check_pending()
            except Exception as exc:  # a broken plugin must not break r1
                if module is not None and self.pm.is_registered(module):
                    self.pm.unregister(module)
                self._fail(info, f"failed to load: {type(exc).__name__}: {exc}")
                continue
            info.hooks = self._hooks_of(ep.name)

    def add_plugin(self, plugin: ModuleType | object, name: str | None = None,
                   *, distribution: str | None = None, version: str | None = None) -> str:
        """Register an in-process plugin (a module or an object with hook functions)."""
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        with self._lock:
            self.pm.register(plugin, name=name)
            self.plugins[name] = PluginInfo(name=name, distribution=distribution, version=version,
                                            module=getattr(plugin, "__name__", ""), builtin=True)
            self.plugins[name].hooks = self._hooks_of(name)
            self._filled = False
        return name

    def remove_plugin(self, name: str) -> None:
        with self._lock:
            self.pm.unregister(name=name)
            self.plugins.pop(name, None)
            self._filled = False

    def _hooks_of(self, name: str) -> list[str]:
        plugin = self.pm.get_plugin(name)
        if plugin is None:
            return []
        return sorted(c.name for c in self.pm.get_hookcallers(plugin) or [])

    def _fail(self, info: PluginInfo, msg: str) -> None:
        info.status = "failed"
        info.error = msg
        label = info.distribution or info.name
        if _strict():
            raise PluginError(f"plugin {label!r} ({info.module}) {msg}",
                              "fix or uninstall it, or unset R1_STRICT_PLUGINS")
        _warn(f"plugin {label!r} ({info.module}) {msg}; the other plugins keep working"
              f" (block it with R1_DISABLE_PLUGINS={info.name})")

    # -- registries ------------------------------------------------------------------------
    def _provider(self, plugin_name: str) -> str:
        info = self.plugins.get(plugin_name)
        return (info.distribution or info.name) if info else plugin_name

    def fill(self) -> None:
        """Call every ``r1_register_<kind>`` implementation, one plugin at a time."""
        self.discover()
        if self._filled:
            return
        with self._lock:
            if self._filled:
                return
            registries: dict[str, Registry[Any]] = {k: Registry(k) for k in KINDS}
            for info in self.plugins.values():
                info.provides = {}
            for kind in KINDS:
                caller = getattr(self.pm.hook, f"r1_register_{kind}")
                for impl in reversed(caller.get_hookimpls()):  # registration order
                    self._call_register(kind, impl, registries[kind])
            self.registries = registries  # readers see the old set or the whole new one
            self._filled = True

    def _plugin_hook(self, hook_name: str, plugin_name: str) -> Any:
        """A caller of ``hook_name`` that reaches one plugin only, through pluggy's hook machinery
        (so ``pm.add_hookcall_monitoring`` / ``pm.enable_tracing`` see every call), while a failing
        plugin stays isolated from the others."""
        others = [p for name, p in self.pm.list_name_plugin() if name != plugin_name]
        return self.pm.subset_hook_caller(hook_name, others)

    def _call_register(self, kind: str, impl: pluggy.HookImpl, registry: Registry[Any]) -> None:
        info = self.plugins.get(impl.plugin_name)
        if info is not None and info.status != "active":
            return
        provider = self._provider(impl.plugin_name)

        def register(name: str, obj: Any, *, description: str = "", aliases: Any = (), **meta: Any) -> None:
            registry.add(name, obj, description=description, aliases=tuple(aliases),
                         provider=provider, meta=meta)
            if info is not None:
                info.provides.setdefault(kind, []).append(name)

        try:
            self._plugin_hook(f"r1_register_{kind}", impl.plugin_name)(register=register)
        except DuplicateNameError:
            raise
        except Exception as exc:
            if info is None:
                raise
            self._fail(info, f"failed in r1_register_{kind}: {type(exc).__name__}: {exc}")

    def registry(self, kind: str) -> Registry[Any]:
        self.fill()
        return self.registries[kind]

    def register_commands(self, cli: Any) -> None:
        self.discover()
        for impl in reversed(self.pm.hook.r1_register_commands.get_hookimpls()):
            info = self.plugins.get(impl.plugin_name)
            if info is not None and info.status != "active":
                continue
            try:
                self._plugin_hook("r1_register_commands", impl.plugin_name)(cli=cli)
            except Exception as exc:
                if info is None:
                    raise
                self._fail(info, f"failed in r1_register_commands: {type(exc).__name__}: {exc}")

    def infos(self, *, include_builtin: bool = True) -> list[PluginInfo]:
        self.fill()
        return [p for p in self.plugins.values() if include_builtin or not p.builtin]


_host: PluginHost | None = None
_host_lock = threading.Lock()


def get_host() -> PluginHost:
    """The process-wide host, built on first use (once, whichever thread gets there first)."""
    global _host
    host = _host
    if host is None:
        with _host_lock:
            if _host is None:
                _host = PluginHost()
            host = _host
    return host


def reset() -> None:
    """Forget the process-wide host (environment switches are re-read on next use)."""
    global _host
    _host = None


@contextmanager
def use_host(host: PluginHost) -> Iterator[PluginHost]:
    """Make ``host`` the process-wide host inside the block (tests, embedders)."""
    global _host
    previous, _host = _host, host
    try:
        yield host
    finally:
        _host = previous
