"""Typed errors. Every error a user can cause is an :class:`R1Error`; the CLI prints it as one line."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataError",
    "DuplicateNameError",
    "MissingExtraError",
    "PluginError",
    "R1Error",
    "SandboxError",
    "UnknownNameError",
]


class R1Error(Exception):
    """Base class of errors caused by user input or environment, printed without a traceback.

    Args:
        message: what went wrong and where.
        hint: how to fix it (appended after " — ").
    """

    exit_code: int = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class ConfigError(R1Error, ValueError):
    """A configuration file, flag or field is invalid (also a ``ValueError``, as code written against
    open-r1 / HfArgumentParser expects for a bad option value)."""


class DataError(R1Error):
    """A dataset, input file or column is missing or malformed."""


class UnknownNameError(R1Error, KeyError):
    """A name is not registered; the message lists what exists and the closest match."""

    def __str__(self) -> str:  # KeyError would quote the message
        return R1Error.__str__(self)


class DuplicateNameError(R1Error):
    """Two plugins registered the same name."""


class PluginError(R1Error):
    """A plugin failed to load or to register (raised in strict mode)."""


class MissingExtraError(R1Error, ImportError):
    """An optional dependency is not installed; the hint is the exact pip command."""

    def __init__(self, what: str, pip_spec: str) -> None:
        super().__init__(f"{what} is not installed", f'run: pip install "{pip_spec}"')
        self.pip_spec = pip_spec


class SandboxError(R1Error):
    """The sandbox cannot run (no isolation tier available, bad request)."""
