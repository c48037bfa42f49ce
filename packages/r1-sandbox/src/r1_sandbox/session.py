"""Stateful Python sessions: one interpreter that keeps its variables between calls.

:class:`LocalPythonSession` keeps one process alive inside the local sandbox, set up exactly as a
one-shot run is (the same tier, cgroup, namespaces, seccomp filter, uid and rlimits — it *is* a
run of :func:`r1_sandbox.supervise.execute`, only a long one). Cells travel on its stdin (a FIFO
outside its box) and replies come back on a FIFO in its box; ``session_kernel.py`` runs the cells.

Budgets:

* per cell — CPU and wall time (the kernel raises ``TimeoutError`` into the cell, the variables
  survive), output bytes (the rest is dropped and counted). A cell that does not come back by its
  wall budget plus a grace period gets the whole session killed here, whatever it did to the
  kernel's timers;
* per session — memory and processes (cgroup, the whole tree), total CPU (cgroup) and a wall-clock
  backstop. A session that dies (memory bomb, CPU budget, ``os._exit``) reports why; the next
  cell starts a fresh session.

:class:`ReplayPythonSession` gives the same interface over any sandbox's one-shot ``run``: each
cell re-runs the earlier successful cells silently, then itself (state by replay: slower, and
side effects or randomness of earlier cells are repeated).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import resource
import selectors
import signal
import stat
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from r1_core.protocols import ExecRequest, Sandbox, Verdict

from r1_sandbox.isolation import BOX, Limits
from r1_sandbox.supervise import Outcome, execute
from r1_sandbox.verdicts import decide
from r1_sandbox.workdir import WorkDir

__all__ = ["CellResult", "LocalPythonSession", "PythonSession", "ReplayPythonSession", "SessionLimits",
           "open_python_session"]

KERNEL = (Path(__file__).with_name("session_kernel.py")).read_text(encoding="utf-8")
REPLY = ".r1-session-reply"
GRACE_S = 5.0  # a cell past its wall budget by this much is not coming back: kill the session
START_S = 20.0  # building a sandbox and starting the interpreter

Status = Literal["ok", "error", "timeout", "died", "sandbox_error"]


@dataclass(frozen=True)
class SessionLimits:
    """Budgets of one session and of each cell run in it."""

    cell_cpu_s: float = 5.0
    cell_wall_s: float = 10.0
    output_bytes: int = 4096
    memory_mb: int = 512
    session_cpu_s: float = 60.0
    session_wall_s: float = 3600.0  # a backstop: an episode also waits for the model between calls


@dataclass
class CellResult:
    """What one cell did. ``output`` is what it printed (stdout and stderr interleaved, capped),
    then the value of its last expression; ``error`` the traceback or why the session ended."""

    status: Status
    output: str = ""
    error: str = ""
    dropped_bytes: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    restarted: bool = False  # the session ended with this cell: earlier variables are gone

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def text(self) -> str:
        """The tool output a model sees."""
        parts = [self.output.rstrip("\n")] if self.output.strip() else []
        if self.dropped_bytes:
            parts.append(f"[... {self.dropped_bytes} more bytes of output dropped]")
        if self.error:
            parts.append(self.error.rstrip("\n"))
        if self.restarted:
            parts.append("[the Python session was restarted: earlier variables are gone]")
        return "\n".join(parts) if parts else "[no output]"


class PythonSession(Protocol):
    """A Python interpreter that keeps state between :meth:`run` calls until :meth:`close`
    (``limits`` may change between calls; memory and session budgets apply from the next start)."""

    limits: SessionLimits

    def run(self, code: str) -> CellResult: ...

    def close(self) -> None: ...


class LocalPythonSession:
    """A long-lived sandboxed interpreter in a :class:`~r1_sandbox.local.LocalSandbox` (started on
    the first cell). Not thread-safe: one episode, one caller."""

    def __init__(self, sandbox: Any, limits: SessionLimits | None = None) -> None:
        self.sandbox = sandbox
        self.limits = limits or SessionLimits()
        self._proc: _Process | None = None
        self._cells = 0
        self.starts = 0

    def prestart(self) -> None:
        """Start the interpreter now without waiting for it (it boots while the model generates);
        the first :meth:`run` waits for it if needed."""
        if self._proc is None or not self._proc.alive:
            self._proc = _Process.launch(self.sandbox, self.limits)
            self.starts += 1

    def run(self, code: str) -> CellResult:
        started = time.monotonic()
        proc = self._proc
        if proc is None or not proc.alive:
            proc = self._proc = _Process.launch(self.sandbox, self.limits)
            self.starts += 1
        try:
            proc.ready()
        except _StartFailed as exc:
            self._proc = None
            return CellResult("sandbox_error", error=f"the Python sandbox could not start: {exc}",
                              wall_s=time.monotonic() - started)
        self._cells += 1
        result = proc.call(self._cells, code, self.limits)
        if not proc.alive:
            self._proc = None
        result.wall_s = round(time.monotonic() - started, 4)
        return result

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.alive

    def close(self) -> None:
        if self._proc is not None:
            self._proc.stop()
            self._proc = None

    def __enter__(self) -> LocalPythonSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


class _StartFailed(Exception):
    pass


_live: weakref.WeakSet[_Process] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    """At exit, end the sessions still open (their cgroups and work dirs go with them)."""
    for proc in list(_live):
        with contextlib.suppress(Exception):
            proc.stop()


class _Process:
    """One incarnation of a session: the work dir, the two FIFOs and the thread running ``execute``."""

    def __init__(self, sandbox: Any, limits: SessionLimits) -> None:
        self.sandbox = sandbox
        self.exec_limits = _exec_limits(sandbox, limits)
        self.workdir = WorkDir(sandbox.work_root, sandbox._owner)
        self.workdir.populate({})
        self.requests = self.workdir.path / "requests"
        os.mkfifo(self.requests, 0o600)
        reply = self.workdir.box / REPLY
        os.mkfifo(reply, 0o600)
        if sandbox._owner is not None:
            os.chown(reply, *sandbox._owner)
        # O_RDWR: opening never blocks, and neither end sees EOF while we hold it; the reply fd is
        # ours alone to read, whatever the cell does to the path afterwards
        self.req_fd = os.open(self.requests, os.O_RDWR | os.O_CLOEXEC)
        self.reply_fd = os.open(reply, os.O_RDWR | os.O_CLOEXEC | os.O_NONBLOCK)
        st = os.fstat(self.req_fd)
        self.fifo_id = (st.st_dev, st.st_ino)
        self.wake_r, self.wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self.outcome: Outcome | None = None
        self.buffer = b""
        self.greeted = False
        self.deadline = 0.0
        self.thread = threading.Thread(target=self._supervise, name="r1-python-session", daemon=True)

    @classmethod
    def launch(cls, sandbox: Any, limits: SessionLimits) -> _Process:
        """Start building the sandbox and the interpreter; :meth:`ready` waits for them."""
        _allow_many_files()
        proc = cls(sandbox, limits)
        _live.add(proc)
        proc.thread.start()
        proc.deadline = time.monotonic() + START_S
        return proc

    def ready(self) -> None:
        """Wait (once) for the interpreter's hello; :class:`_StartFailed` if it never comes."""
        if self.greeted:
            return
        hello = self._reply(self.deadline)
        if hello is None or not hello.get("ready"):
            why = self._death() if not self.alive else "no answer from the interpreter"
            self.stop()
            raise _StartFailed(why)
        self.greeted = True

    def _supervise(self) -> None:
        python = self.sandbox.config.python
        argv = [python, "-I", "-u", "-c", KERNEL, "serve", f"{BOX}/{REPLY}"]
        try:
            self.outcome = execute(self.sandbox.isolation, argv, box=self.workdir.box,
                                   stdin_path=self.requests, limits=self.exec_limits, tools=False)
        except Exception as exc:  # the sandbox's own failure
            self.outcome = Outcome(started=False, setup_error=f"{type(exc).__name__}: {exc}")
        finally:
            self.workdir.__exit__(None, None, None)
            with contextlib.suppress(OSError):
                os.write(self.wake_w, b"x")

    @property
    def alive(self) -> bool:
        return self.outcome is None and self.thread.is_alive()

    def call(self, n: int, code: str, limits: SessionLimits) -> CellResult:
        request = {"id": n, "code": code, "cpu_s": limits.cell_cpu_s, "wall_s": limits.cell_wall_s,
                   "output_bytes": limits.output_bytes}
        try:
            _write_all(self.req_fd, (json.dumps(request) + "\n").encode())
        except OSError as exc:
            self.stop()
            return CellResult("died", error=f"the Python session is gone ({exc})", restarted=True)
        deadline = time.monotonic() + limits.cell_wall_s + GRACE_S
        while True:
            reply = self._reply(deadline)
            if reply is None:
                break
            if reply.get("id") == n:  # anything else was written by the cell itself: ignore it
                return _cell_result(reply)
        if self.alive:
            self.stop()
            return CellResult("timeout", restarted=True,
                              error=f"TimeoutError: the cell did not finish within {limits.cell_wall_s:g} s "
                                    "wall time and the session was killed")
        return CellResult("died", error=self._death(), restarted=True)

    def _reply(self, deadline: float) -> dict[str, Any] | None:
        """The next JSON line from the kernel, or None at the deadline or when the session ended."""
        sel = selectors.DefaultSelector()
        sel.register(self.reply_fd, selectors.EVENT_READ)
        sel.register(self.wake_r, selectors.EVENT_READ)
        try:
            while True:
                line, sep, rest = self.buffer.partition(b"\n")
                if sep:
                    self.buffer = rest
                    with contextlib.suppress(ValueError):
                        msg = json.loads(line)
                        if isinstance(msg, dict):
                            return msg
                    continue
                if len(self.buffer) > 64 << 20:  # the cell floods the reply FIFO
                    self.buffer = b""
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                events = sel.select(left)
                if any(key.fd == self.reply_fd for key, _ in events):
                    with contextlib.suppress(BlockingIOError):
                        self.buffer += os.read(self.reply_fd, 1 << 20)
                elif events:  # the session ended: take what it wrote before
                    with contextlib.suppress(BlockingIOError, OSError):
                        self.buffer += os.read(self.reply_fd, 1 << 20)
                    if b"\n" not in self.buffer:
                        return None
        finally:
            sel.close()

    def _death(self) -> str:
        self.thread.join(timeout=5.0)
        out = self.outcome
        if out is None:
            return "the Python session stopped answering and was killed"
        verdict, why = decide(out, self.exec_limits)
        if verdict == Verdict.MLE:
            return f"MemoryError: the session exceeded its memory limit ({why}) and was killed"
        if verdict == Verdict.TLE:
            return f"TimeoutError: the session used up its time budget ({why}) and was killed"
        if verdict == Verdict.SE:
            return f"the sandbox failed: {why}"
        if verdict == Verdict.OLE:
            return f"the session wrote too much output ({why}) and was killed"
        return f"the Python process ended ({why or 'exit code 0'})"

    def stop(self) -> None:
        """End the session: EOF on its stdin, then (if it is still there) kill it."""
        if self.thread.is_alive():
            with contextlib.suppress(OSError):
                os.close(self.req_fd)
            self.req_fd = -1
            self.thread.join(timeout=0.5)
            if self.thread.is_alive():
                _kill_holders(self.fifo_id)
                self.thread.join(timeout=10.0)
        for fd in (self.req_fd, self.reply_fd, self.wake_r, self.wake_w):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.req_fd = self.reply_fd = self.wake_r = self.wake_w = -1
        if self.outcome is None:
            self.outcome = Outcome(started=True, killed_for="wall")


@functools.cache
def _allow_many_files() -> None:
    """A live session holds about ten descriptors here (FIFOs, pipes, pidfd, namespace): a batch of
    hundreds of episodes needs more than the usual soft limit of 1024, so raise it to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _cell_result(reply: dict[str, Any]) -> CellResult:
    error = str(reply.get("error") or "")
    status: Status = "timeout" if reply.get("timed_out") else ("error" if error else "ok")
    return CellResult(status, output=str(reply.get("output") or ""), error=error,
                      dropped_bytes=int(reply.get("dropped") or 0), cpu_s=float(reply.get("cpu_s") or 0.0))


def _kill_holders(fifo_id: tuple[int, int]) -> None:
    """SIGKILL every process whose stdin is the session's request FIFO: the sandbox launcher (our
    child) and whatever runs inside. ``execute`` then sees its program gone and kills the cgroup."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            st = os.stat(f"/proc/{entry.name}/fd/0")
            if stat.S_ISFIFO(st.st_mode) and (st.st_dev, st.st_ino) == fifo_id:
                os.kill(int(entry.name), signal.SIGKILL)


def _exec_limits(sandbox: Any, limits: SessionLimits) -> Limits:
    cfg = sandbox.config
    return Limits(cpu_s=limits.session_cpu_s, wall_s=limits.session_wall_s,
                  memory_bytes=limits.memory_mb << 20, pids=cfg.pids_max,
                  file_size_bytes=cfg.file_size_mb << 20, open_files=cfg.open_files,
                  stdout_bytes=1 << 20, stderr_keep_bytes=64 << 10,
                  stderr_hard_bytes=cfg.stderr_hard_limit_bytes, tmpfs_bytes=cfg.tmpfs_mb << 20)


class ReplayPythonSession:
    """A session over any sandbox's one-shot ``run`` (e2b, morph, router ...): every cell is a fresh
    run that first replays the earlier successful cells with their output discarded."""

    def __init__(self, sandbox: Sandbox, limits: SessionLimits | None = None) -> None:
        self.sandbox = sandbox
        self.limits = limits or SessionLimits()
        self.history: list[str] = []

    def run(self, code: str) -> CellResult:
        lim = self.limits
        payload = {"history": self.history, "code": code, "cpu_s": lim.cell_cpu_s, "wall_s": lim.cell_wall_s}
        replay_s = lim.cell_cpu_s * (len(self.history) + 1)
        req = ExecRequest(language="python", source=KERNEL, args=["replay"], stdin=json.dumps(payload),
                          time_limit_s=min(replay_s, lim.session_cpu_s),
                          wall_limit_s=lim.cell_wall_s * (len(self.history) + 1) + GRACE_S,
                          memory_limit_mb=lim.memory_mb, output_limit_bytes=max(lim.output_bytes, 1024) * 4)
        started = time.monotonic()
        res = self.sandbox.run([req])[0]
        wall = round(time.monotonic() - started, 4)
        output = res.stdout
        dropped = max(0, len(output.encode()) - lim.output_bytes)
        output = output.encode()[:lim.output_bytes].decode("utf-8", errors="replace")
        if res.verdict == Verdict.OK:
            self.history.append(code)
            return CellResult("ok", output=output, dropped_bytes=dropped, wall_s=wall, cpu_s=res.cpu_time_s)
        if res.verdict == Verdict.RE and res.exit_code in (1, 3):
            status: Status = "timeout" if res.exit_code == 3 else "error"
            return CellResult(status, output=output, error=res.stderr, dropped_bytes=dropped, wall_s=wall,
                              cpu_s=res.cpu_time_s)
        if res.verdict == Verdict.SE:
            return CellResult("sandbox_error", error=f"the sandbox failed: {res.message}", wall_s=wall)
        return CellResult("died", output=output, error=f"{res.verdict.value}: {res.message}".strip(),
                          dropped_bytes=dropped, wall_s=wall, cpu_s=res.cpu_time_s)

    def close(self) -> None:
        self.history = []


def open_python_session(sandbox: Any, limits: SessionLimits | None = None) -> PythonSession:
    """A warm session in the local sandbox; a replaying one over any other provider."""
    from r1_sandbox.local import LocalSandbox

    if isinstance(sandbox, LocalSandbox):
        return LocalPythonSession(sandbox, limits)
    return ReplayPythonSession(sandbox, limits)
