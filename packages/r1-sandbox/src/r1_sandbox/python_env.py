"""The built-in ``python`` environment: one stateful, sandboxed Python session per episode.

``get_environment("python")`` (or ``r1 train grpo --environment python``) gives each episode a
tool ``python(code)``. Variables persist between the calls of one episode and never cross into the
next (``reset`` ends the session; the next call starts a fresh one). Every call has a CPU, wall
and output budget, the episode a maximum number of calls and a total tool-time budget; errors,
timeouts and killed sessions come back as the tool's output. The session runs in the registered
sandbox ``sandbox`` (``local`` by default: a warm process in the strict tier; any other provider
through replay, see :mod:`r1_sandbox.session`).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Any

from r1_core.environments import ToolError, ToolSystemError

from r1_sandbox.session import PythonSession, SessionLimits, open_python_session

__all__ = ["PythonEnvironment"]

log = logging.getLogger("r1.environments")

_sandboxes: dict[tuple[str, str], Any] = {}
_sandboxes_lock = threading.Lock()


def _shared_sandbox(name: str, options: dict[str, Any]) -> Any:
    """One sandbox per (provider, options) for every episode of the process: building a local
    sandbox probes the machine, which an episode should not pay for."""
    from r1_core import get_sandbox

    key = (name, repr(sorted(options.items())))
    with _sandboxes_lock:
        if key not in _sandboxes:
            _sandboxes[key] = get_sandbox(name, **options)
        return _sandboxes[key]


class PythonEnvironment:
    """A Python interpreter the model can use while it reasons (one session per episode)."""

    def __init__(self, sandbox: str = "local", sandbox_options: dict[str, Any] | None = None,
                 max_calls: int = 8, episode_time_s: float = 60.0, call_cpu_s: float = 5.0,
                 call_wall_s: float = 10.0, output_chars: int = 2000, memory_mb: int = 512,
                 episode_cpu_s: float = 60.0, prestart: bool = False) -> None:
        if max_calls < 1 or episode_time_s <= 0 or call_cpu_s <= 0 or call_wall_s <= 0 or output_chars < 1:
            from r1_core.errors import ConfigError

            raise ConfigError("python environment: max_calls, output_chars and the time budgets must be "
                              "positive", "e.g. max_calls=8 call_wall_s=10")
        self.sandbox_name = sandbox
        self.sandbox_options = dict(sandbox_options or {})
        self.max_calls = max_calls
        self.episode_time_s = episode_time_s
        self.limits = SessionLimits(cell_cpu_s=call_cpu_s, cell_wall_s=call_wall_s, output_bytes=output_chars,
                                    memory_mb=memory_mb, session_cpu_s=episode_cpu_s)
        self.prestart = prestart
        self._sandbox = _shared_sandbox(sandbox, self.sandbox_options)  # a bad provider fails here
        self._session: PythonSession | None = None
        self.calls = 0
        self.time_used_s = 0.0

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> PythonEnvironment:
        """Build from user options (``--environment-options``): an unknown name is a one-line error."""
        import inspect

        known = [n for n in inspect.signature(cls).parameters]
        unknown = sorted(set(options) - set(known))
        if unknown:
            from r1_core.errors import ConfigError

            raise ConfigError(f"python environment: unknown option(s) {', '.join(unknown)}",
                              f"its options are: {', '.join(known)}")
        return cls(**options)

    def reset(self, **row: Any) -> str | None:
        """Start a new episode: the previous one's session (and all its variables) is gone."""
        self._close()
        self.calls = 0
        self.time_used_s = 0.0
        if self.prestart:  # boot the session while the model generates (costs one per episode)
            self._session = open_python_session(self._sandbox, self.limits)
            start = getattr(self._session, "prestart", None)
            if callable(start):
                start()
        return None

    def python(self, code: str) -> str:
        """Run Python code in a persistent interpreter and return what it printed.

        Variables, functions and imports stay defined for later calls. The value of the last line,
        if it is an expression, is shown as well. There is no network and no access to files
        outside the working directory.

        Args:
            code: Python source code to execute.

        Returns:
            The printed output and the value of the last expression, or the error.
        """
        if self.calls >= self.max_calls:
            return ToolError(f"tool budget exhausted: at most {self.max_calls} python calls per episode")
        left = self.episode_time_s - self.time_used_s
        if left <= 0:
            return ToolError(f"tool budget exhausted: {self.episode_time_s:g} s of python time per episode")
        self.calls += 1
        if self._session is None:
            self._session = open_python_session(self._sandbox, self.limits)
        self._session.limits = self._limits_within(left)
        result = self._session.run(str(code))
        self.time_used_s += result.wall_s
        text = result.text()
        if result.status == "sandbox_error":  # not the model's fault: surfaced, counted apart
            log.warning("python environment: %s", result.error)
            return ToolSystemError(text)
        return text if result.ok else ToolError(text)

    def _limits_within(self, left: float) -> SessionLimits:
        lim = self.limits
        return dataclasses.replace(lim, cell_wall_s=min(lim.cell_wall_s, left),
                                   cell_cpu_s=min(lim.cell_cpu_s, left))

    def _close(self) -> None:
        """Release the episode's session (its process and work dir). Private: TRL offers every
        public method to the model as a tool."""
        if self._session is not None:
            self._session.close()
            self._session = None
