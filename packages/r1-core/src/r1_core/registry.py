"""Typed registries of named plugin objects (rewards, sandboxes, scorers, benchmarks, trainers,
environments, datasets)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeVar

from r1_core.errors import DuplicateNameError, PluginError, UnknownNameError

__all__ = ["KINDS", "META", "Entry", "Register", "Registry"]

T = TypeVar("T")

KINDS = ("rewards", "sandboxes", "scorers", "benchmarks", "trainers", "environments", "datasets")
"""The registry kinds, each filled by the hook ``r1_register_<kind>``."""

META: dict[str, dict[str, tuple[type, str]]] = {
    "rewards": {
        "dataset": (str, "the registered dataset (``bundled:<name>``) this reward trains on by default"),
        "default": (bool, "part of the rewards `r1 train grpo` uses when none is named"),
    },
    "datasets": {
        "cold_start": (str, "the registered dataset of demonstrations the embedded job cold-starts "
                            "from when this set is its default training data"),
    },
}
"""The extra keyword arguments ``register`` accepts per kind: ``{kind: {key: (type, meaning)}}``."""


class Register(Protocol):
    """The callback a hook implementation receives.

    ``meta`` are the kind's extra registration keywords (:data:`META`), e.g. a reward's
    ``dataset="ioi-warmup"`` or ``default=True``; other kinds take none.
    """

    def __call__(
        self, name: str, obj: Any, *, description: str = "", aliases: Sequence[str] = (), **meta: Any
    ) -> None: ...


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered object and who provided it."""

    name: str
    obj: T
    description: str = ""
    aliases: tuple[str, ...] = ()
    provider: str = "<in-process>"
    meta: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


def singular(kind: str) -> str:
    return {"sandboxes": "sandbox"}.get(kind, kind.removesuffix("s"))


def normalize(name: str) -> str:
    return name.strip().lower().replace("-", "_")


@dataclass
class Registry(Generic[T]):
    """Name → :class:`Entry`. Duplicates are errors naming both providers; unknown names suggest."""

    kind: str
    _entries: dict[str, Entry[T]] = field(default_factory=dict)
    _aliases: dict[str, str] = field(default_factory=dict)

    def add(
        self,
        name: str,
        obj: T,
        *,
        description: str = "",
        aliases: Sequence[str] = (),
        provider: str = "<in-process>",
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        key = normalize(name)
        meta = dict(meta or {})
        allowed = META.get(self.kind, {})
        for k, value in meta.items():
            if k not in allowed:
                known = ", ".join(allowed) or "none"
                raise PluginError(f"{singular(self.kind)} {key!r} is registered with unknown keyword {k!r}"
                                  f" by {provider}",
                                  f"{self.kind} take: description, aliases; extra: {known}")
            if not isinstance(value, allowed[k][0]):
                raise PluginError(f"{singular(self.kind)} {key!r}: {k}={value!r} from {provider} is not a "
                                  f"{allowed[k][0].__name__}", f"{k}: {allowed[k][1]}")
        for k in (key, *map(normalize, aliases)):
            owner = self._owner(k)
            if owner is not None:
                raise DuplicateNameError(
                    f"{singular(self.kind)} {k!r} is registered twice: by {owner.provider}"
                    f" and by {provider}",
                    "uninstall one of them or block one with R1_DISABLE_PLUGINS",
                )
        self._entries[key] = Entry(name=key, obj=obj, description=description,
                                   aliases=tuple(map(normalize, aliases)), provider=provider,
                                   meta=MappingProxyType(meta))
        for alias in aliases:
            self._aliases[normalize(alias)] = key

    def _owner(self, key: str) -> Entry[T] | None:
        if key in self._entries:
            return self._entries[key]
        if key in self._aliases:
            return self._entries[self._aliases[key]]
        return None

    def entry(self, name: str) -> Entry[T]:
        key = normalize(name)
        found = self._owner(key)
        if found is not None:
            return found
        known = sorted([*self._entries, *self._aliases])
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        what = f"unknown {singular(self.kind)} {name!r}"
        if close:
            what += f"; did you mean {close[0]!r}?"
        listing = ", ".join(sorted(self._entries)) or "none registered"
        raise UnknownNameError(
            what, f"available: {listing} (run `r1 plugins` or install the plugin that provides it)"
        )

    def get(self, name: str) -> T:
        return self.entry(name).obj

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._owner(normalize(name)) is not None

    def __iter__(self) -> Iterator[Entry[T]]:
        return iter(sorted(self._entries.values(), key=lambda e: e.name))

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def in_order(self) -> list[Entry[T]]:
        """The entries in registration order (plugins load sorted by entry-point name)."""
        return list(self._entries.values())
