"""Start one process in an isolation tier and watch it until it is gone: limits, output, accounting.

The loop waits on the process's pidfd and its pipes, polls the cgroup's CPU time (the time limit
is on CPU summed over every process and thread), enforces the wall limit and the output caps, and
when the main process exits kills the whole cgroup *before* draining the pipes, so a daemonised
child holding stdout cannot stall the run.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import resource
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from r1_sandbox.cgroup import JANITOR, WARMER, RunCgroup
from r1_sandbox.isolation import BOX, Isolation, Limits, Mount, bwrap_argv, child_setup, program_env, rlimits
from r1_sandbox.launcher import launcher_argv

__all__ = ["Outcome", "execute"]

POLL_S = 0.02
_seq = itertools.count()
# memory of bwrap's own processes and the launcher shell, charged to the run's cgroup
SANDBOX_SLACK_BYTES = 8 << 20
SANDBOX_PIDS = 3
REMOVE_WAIT_S = 0.2


@dataclass
class Outcome:
    """What the supervisor saw; verdicts are decided elsewhere."""

    started: bool
    exit_code: int | None = None
    signal: int | None = None
    cpu_s: float = 0.0
    wall_s: float = 0.0
    peak_memory_bytes: int = 0
    oom_kills: int = 0
    stdout: bytes = b""
    stderr: bytes = b""
    killed_for: str | None = None  # cpu | wall | stdout | stderr
    setup_error: str = ""


# Written by the launcher shell to stderr right before it execs the program: it proves the sandbox
# was set up. Without it a failure is the sandbox's (SE), never the program's. The program cannot
# remove it (it is written before the program exists), and bwrap's own errors never start with it.
MARKER = b"\x00r1-sandbox-started\x00"


class _Pipes:
    """Reads stdout (kept up to its cap) and stderr (first bytes kept, the rest counted)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.stderr_total = 0
        self.overflow: str | None = None
        self.started: bool | None = None  # None until the first bytes of stderr arrived
        self._head = b""

    def feed(self, which: str, data: bytes) -> None:
        if which == "stderr" and self.started is None:
            self._head += data
            if len(self._head) < len(MARKER) and MARKER.startswith(self._head):
                return
            self.started = self._head.startswith(MARKER)
            data = self._head[len(MARKER):] if self.started else self._head
        if which == "stdout":
            self.stdout += data
            if len(self.stdout) > self.limits.stdout_bytes:
                del self.stdout[self.limits.stdout_bytes:]
                self.overflow = self.overflow or "stdout"
        else:
            room = self.limits.stderr_keep_bytes - len(self.stderr)
            if room > 0:
                self.stderr += data[:room]
            self.stderr_total += len(data)
            if self.stderr_total > self.limits.stderr_hard_bytes:
                self.overflow = self.overflow or "stderr"


def _launcher(argv: Sequence[str]) -> list[str]:
    marker = "".join(f"\\{b:03o}" for b in MARKER)
    return ["/bin/sh", "-c", f"printf '{marker}' >&2 && exec \"$@\"", "sh", *argv]


def _host_argv(argv: Sequence[str], box: Path, mounts: Sequence[Mount]) -> list[str]:
    """Without namespaces, sandbox paths in the command line point at their host sources."""
    table = [(m.dest, str(m.src)) for m in mounts] + [(BOX, str(box))]
    out = []
    for arg in argv:
        for dest, src in table:
            arg = arg.replace(dest, src)
        out.append(arg)
    return out


def execute(iso: Isolation, argv: Sequence[str], *, box: Path, stdin_path: Path, limits: Limits,
            mounts: Sequence[Mount] = ()) -> Outcome:
    """Run ``argv`` (sandbox paths, cwd = the work dir) and return what happened. Never raises for
    the program's behaviour; a failure to set up the sandbox is ``Outcome(started=False)``."""
    if iso.cgroup is None:
        return _execute(iso, None, argv, box=box, stdin_path=stdin_path, limits=limits, mounts=mounts)
    with WARMER.active(iso.cgroup):
        return _execute_grouped(iso, argv, box=box, stdin_path=stdin_path, limits=limits, mounts=mounts)


def _execute_grouped(iso: Isolation, argv: Sequence[str], *, box: Path, stdin_path: Path, limits: Limits,
                     mounts: Sequence[Mount]) -> Outcome:
    assert iso.cgroup is not None
    group = RunCgroup(iso.cgroup, f"{os.getpid()}-{next(_seq)}",
                      memory_bytes=limits.memory_bytes + SANDBOX_SLACK_BYTES,
                      pids_max=limits.pids + SANDBOX_PIDS)
    try:
        return _execute(iso, group, argv, box=box, stdin_path=stdin_path, limits=limits, mounts=mounts)
    finally:
        group.kill()
        # killed processes may still be tearing down (large address spaces take ms): give them a
        # moment so a run normally returns with its group gone; zombies of a slow reaper go to
        # the janitor
        deadline = time.monotonic() + REMOVE_WAIT_S
        while not group.remove():
            if time.monotonic() > deadline:
                JANITOR.adopt(group)
                break
            time.sleep(0.002)
            group.kill()


def _execute(iso: Isolation, group: RunCgroup | None, argv: Sequence[str], *, box: Path,
             stdin_path: Path, limits: Limits, mounts: Sequence[Mount]) -> Outcome:
    seccomp_fd = _seccomp_fd(iso.seccomp) if iso.bwrap is not None and iso.seccomp is not None else None
    try:
        cmd, env, cwd, setup = _command(iso, group, argv, box=box, limits=limits, mounts=mounts,
                                        seccomp_fd=seccomp_fd)
        with open(stdin_path, "rb") as stdin:
            start = time.monotonic()
            try:
                proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=env, cwd=cwd, preexec_fn=setup, close_fds=True,
                                        pass_fds=[] if seccomp_fd is None else [seccomp_fd])
            except (OSError, subprocess.SubprocessError) as exc:
                return Outcome(started=False, setup_error=f"cannot start the sandbox: {exc}")
        return _watch(proc, group, iso, start, limits)
    finally:
        if seccomp_fd is not None:
            os.close(seccomp_fd)


def _seccomp_fd(bpf: bytes) -> int:
    fd = os.memfd_create("r1-seccomp", 0)
    os.write(fd, bpf)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _command(iso: Isolation, group: RunCgroup | None, argv: Sequence[str], *, box: Path, limits: Limits,
             mounts: Sequence[Mount], seccomp_fd: int | None
             ) -> tuple[list[str], dict[str, str], str, Callable[[], None] | None]:
    """Command line, environment, cwd and child setup (None when the C launcher does it)."""
    if iso.bwrap is not None:
        cmd = bwrap_argv(iso.bwrap, box, mounts, program_env("/tmp"), tmpfs_bytes=limits.tmpfs_bytes,
                         seccomp_fd=seccomp_fd) + _launcher(argv)
        env: dict[str, str] = {}  # bwrap's own pid 1 keeps its environment: give it none
        cwd = "/"
    else:
        cmd = _launcher(_host_argv(argv, box, mounts))
        env, cwd = program_env(str(box)), str(box)
    hard = rlimits(limits, cgroup=group is not None, uid_dropped=iso.uid is not None)
    if iso.launcher is None:
        return cmd, env, cwd, child_setup(group, hard, iso.uid, iso.gid, new_session=iso.bwrap is None)
    # vfork + exec of a C helper: the supervisor is never forked
    cmd = launcher_argv(iso.launcher, uid=iso.uid, gid=iso.gid, new_session=iso.bwrap is None,
                        cgroup_files=group.procs_files if group else [], limits=hard) + cmd
    return cmd, env, cwd, None


def _watch(proc: subprocess.Popen[bytes], group: RunCgroup | None, iso: Isolation, start: float,
           limits: Limits) -> Outcome:
    assert proc.stdout is not None and proc.stderr is not None
    pipes = _Pipes(limits)
    sel = selectors.DefaultSelector()
    pidfd = os.pidfd_open(proc.pid)
    streams = {proc.stdout.fileno(): "stdout", proc.stderr.fileno(): "stderr"}
    for fd in streams:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    sel.register(pidfd, selectors.EVENT_READ)
    killed_for = None
    usage = None
    try:
        while killed_for is None:
            for key, _ in sel.select(POLL_S):
                if key.fd != pidfd:
                    _read(key.fd, streams, pipes, sel)
            if pipes.overflow:
                killed_for = pipes.overflow
            elif (usage := _reap(proc, block=False)) is not None:
                break
            elif group is not None and group.cpu_time_s() > limits.cpu_s:
                killed_for = "cpu"
            elif time.monotonic() - start > limits.wall_s:
                killed_for = "wall"
            if killed_for is not None:
                _kill(proc, group, iso)
        wall = time.monotonic() - start
        _kill(proc, group, iso)  # the main process is gone: nobody else may keep running
        _drain(sel, streams, pipes, pidfd)
        if usage is None:
            usage = _reap(proc, block=True)
    finally:
        sel.close()
        os.close(pidfd)
        proc.stdout.close()
        proc.stderr.close()
    out = Outcome(started=bool(pipes.started), wall_s=wall, stdout=bytes(pipes.stdout),
                  stderr=bytes(pipes.stderr), killed_for=killed_for or pipes.overflow)
    _status(out, proc.returncode, bwrap=iso.bwrap is not None)
    if group is not None:
        out.cpu_s = group.cpu_time_s()
        out.peak_memory_bytes = group.peak_memory_bytes()
        out.oom_kills = group.oom_kills()
    elif usage is not None:
        out.cpu_s = usage.ru_utime + usage.ru_stime
        out.peak_memory_bytes = usage.ru_maxrss * 1024
    if not out.started:
        out.setup_error = out.stderr.decode(errors="replace").strip()[-500:] or "the sandbox did not start"
    return out


def _reap(proc: subprocess.Popen[bytes], *, block: bool) -> resource.struct_rusage | None:
    """wait4 instead of Popen.poll: the rusage of the direct child is the accounting without cgroups."""
    pid, status, usage = os.wait4(proc.pid, 0 if block else os.WNOHANG)
    if pid == 0:
        return None
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage


def _read(fd: int, streams: dict[int, str], pipes: _Pipes, sel: selectors.BaseSelector) -> None:
    try:
        data = os.read(fd, 1 << 16)
    except (BlockingIOError, InterruptedError):
        return
    except OSError:
        data = b""
    if data:
        pipes.feed(streams[fd], data)
    else:
        with contextlib.suppress(KeyError, ValueError):
            sel.unregister(fd)


def _drain(sel: selectors.BaseSelector, streams: dict[int, str], pipes: _Pipes, pidfd: int) -> None:
    with contextlib.suppress(KeyError):
        sel.unregister(pidfd)
    deadline = time.monotonic() + 2.0
    while sel.get_map() and time.monotonic() < deadline:
        for key, _ in sel.select(0.05):
            _read(key.fd, streams, pipes, sel)
        if pipes.overflow:
            break


def _kill(proc: subprocess.Popen[bytes], group: RunCgroup | None, iso: Isolation) -> None:
    if group is not None:
        group.kill()
        return
    # no cgroup: bwrap's pid namespace dies with its init; otherwise the session's process group
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if iso.bwrap is None:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()


def _status(out: Outcome, returncode: int, *, bwrap: bool) -> None:
    if returncode < 0:
        out.signal = -returncode
    elif bwrap and 128 < returncode <= 128 + 64:  # bwrap reports "killed by N" as 128 + N
        out.signal = returncode - 128
    else:
        out.exit_code = returncode
