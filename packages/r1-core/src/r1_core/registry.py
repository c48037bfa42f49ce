"""Typed registries of named plugin objects (rewards, sandboxes, scorers, benchmarks, trainers,
environments)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from r1_core.errors import DuplicateNameError, UnknownNameError

__all__ = ["KINDS", "Entry", "Register", "Registry"]

T = TypeVar("T")

KINDS = ("rewards", "sandboxes", "scorers", "benchmarks", "trainers", "environments")
"""The registry kinds, each filled by the hook ``r1_register_<kind>``."""


class Register(Protocol):
    """The callback a hook implementation receives."""

    def __call__(
        self, name: str, obj: Any, *, description: str = "", aliases: Sequence[str] = ()
    ) -> None: ...


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered object and who provided it."""

    name: str
    obj: T
    description: str = ""
    aliases: tuple[str, ...] = ()
    provider: str = "<in-process>"


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
    ) -> None:
        key = normalize(name)
        for k in (key, *map(normalize, aliases)):
            owner = self._owner(k)
            if owner is not None:
                raise DuplicateNameError(
                    f"{singular(self.kind)} {k!r} is registered twice: by {owner.provider}"
                    f" and by {provider}",
                    "uninstall one of them or block one with R1_DISABLE_PLUGINS",
                )
        self._entries[key] = Entry(name=key, obj=obj, description=description,
                                   aliases=tuple(map(normalize, aliases)), provider=provider)
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
