"""Start one process in an isolation tier and watch it until it is gone: limits, output, accounting.

The loop waits on the process's pidfd and its pipes, polls the cgroup's CPU time (the time limit
is on CPU summed over every process and thread), enforces the wall limit and the output caps, and
when the main process exits kills the whole cgroup *before* draining the pipes, so a daemonised
child holding stdout cannot stall the run.

The main process's exit status comes from the C helper inside the sandbox (its pid 1, see
launcher.py) through a status pipe: bubblewrap alone would report a death by signal N as exit
status 128 + N, which a program can also choose. Only without the helper (the shell fallback) or
when a report is missing is bubblewrap's folded status used.
"""

from __future__ import annotations

import contextlib
import dataclasses
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
from typing import Protocol

from r1_sandbox import uids
from r1_sandbox.cgroup import JANITOR, WARMER, RunCgroup
from r1_sandbox.isolation import (
    BOX,
    Isolation,
    Limits,
    Mount,
    bwrap_argv,
    child_setup,
    etc_files,
    program_env,
    rlimits,
)
from r1_sandbox.launcher import MARKER, START, launcher_argv, start_argv
from r1_sandbox.netns import NETNS
from r1_sandbox.reaper import REAPER, ReaperRun

__all__ = ["Gate", "Outcome", "execute"]


class Gate(Protocol):
    """What bounds the programs running at once (a ``threading.Semaphore``)."""

    def acquire(self) -> bool: ...

    def release(self) -> None: ...

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
    pids_refused: int = 0  # forks/threads the cgroup's process limit refused
    status_reported: bool = False  # exit_code/signal come from the helper's wait status


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


def _host_argv(argv: Sequence[str], box: Path, mounts: Sequence[Mount]) -> list[str]:
    """Without namespaces, sandbox paths in the command line point at their host sources."""
    table = [(m.dest, str(m.src)) for m in mounts] + [(BOX, str(box))]
    out = []
    for arg in argv:
        for dest, src in table:
            arg = arg.replace(dest, src)
        out.append(arg)
    return out


@dataclass(frozen=True)
class _Run:
    """What one execution needs besides the isolation."""

    argv: Sequence[str]
    box: Path
    stdin_path: Path
    limits: Limits
    mounts: Sequence[Mount]
    etc: tuple[str, ...]
    netns_fd: int | None = None


def execute(iso: Isolation, argv: Sequence[str], *, box: Path, stdin_path: Path, limits: Limits,
            mounts: Sequence[Mount] = (), tools: bool = True, gate: Gate | None = None) -> Outcome:
    """Run ``argv`` (sandbox paths, cwd = the work dir) and return what happened. Never raises for
    the program's behaviour; a failure to set up the sandbox is ``Outcome(started=False)``.
    ``tools``: the program runs compilers or the JVM (they need more of /etc). ``gate``: a
    semaphore held while the program runs (not while its sandbox is built or torn down)."""
    run = _Run(argv, box, stdin_path, limits, mounts, etc_files(tools=tools))
    if iso.cgroup is None:
        return _execute(iso, None, run, gate)
    with WARMER.active(iso.cgroup):
        return _execute_grouped(iso, run, gate)


def _execute_grouped(iso: Isolation, run: _Run, gate: Gate | None) -> Outcome:
    assert iso.cgroup is not None
    group = RunCgroup(iso.cgroup, f"{os.getpid()}-{next(_seq)}",
                      memory_bytes=run.limits.memory_bytes + SANDBOX_SLACK_BYTES,
                      pids_max=run.limits.pids + SANDBOX_PIDS)
    # a pooled network namespace needs the launcher (it enters it as root) and a cgroup (it goes
    # back to the pool only once the group shows every process of the run gone)
    pooled = iso.launcher is not None and iso.bwrap is not None and iso.uid is not None
    netns = NETNS.acquire() if pooled else None
    removed = False
    try:
        return _execute(iso, group, dataclasses.replace(run, netns_fd=netns), gate)
    finally:
        group.kill()
        # killed processes may still be tearing down (large address spaces take ms): give them a
        # moment so a run normally returns with its group gone; zombies of a slow reaper go to
        # the janitor
        deadline = time.monotonic() + REMOVE_WAIT_S
        pause = 0.0002  # the last processes usually need well under a ms: look again soon, then less often
        while not (removed := group.remove()):
            if time.monotonic() > deadline:
                JANITOR.adopt(group)
                uids.hold(iso.uid, group.dirs)  # its uid rests until the group is really gone
                break
            time.sleep(pause)
            pause = min(2 * pause, 0.002)
            group.kill()
        if netns is not None:
            NETNS.release(netns, reusable=removed)


class _Slot:
    """The run's share of ``gate`` (at most N programs run at once), taken at most once and given
    back as soon as the program's main process is gone."""

    def __init__(self, gate: Gate | None) -> None:
        self.gate, self.held = gate, False

    def take(self) -> None:
        if self.gate is not None and not self.held:
            self.gate.acquire()
            self.held = True

    def give_back(self) -> None:
        if self.held:
            assert self.gate is not None
            self.gate.release()
            self.held = False


def _execute(iso: Isolation, group: RunCgroup | None, run: _Run, gate: Gate | None) -> Outcome:
    seccomp_fd = _seccomp_fd(iso.seccomp) if iso.bwrap is not None and iso.seccomp is not None else None
    # with the C helper the sandbox is set up before the slot is taken: the helper waits inside
    # for a byte on this pipe, so building the next sandbox overlaps the programs running now
    go_r, go_w = os.pipe() if iso.launcher is not None else (None, None)
    # the helper also writes the start marker inside: bubblewrap copies it into the sandbox's root
    helper_fd = os.open(iso.launcher, os.O_RDONLY | os.O_CLOEXEC) if iso.bwrap and iso.launcher else None
    reap = ReaperRun(iso.reaper) if iso.bwrap and iso.reaper else None  # rootless tier only
    # the helper, as the sandbox's pid 1, reports the program's true wait status here (the
    # rootless tier's reaper does that there; without bwrap wait4 on the helper already is exact)
    status = _StatusPipe() if helper_fd is not None and reap is None else None
    slot = _Slot(gate)
    try:
        cmd, env, cwd, setup = _command(iso, group, run, seccomp_fd=seccomp_fd, go_fd=go_r,
                                        helper_fd=helper_fd, reap=reap,
                                        status_fd=status.write_fd if status else None)
        pass_fds = [fd for fd in (seccomp_fd, run.netns_fd, go_r, helper_fd) if fd is not None]
        pass_fds += [status.write_fd] if status else []
        pass_fds += reap.pass_fds if reap else []
        with open(run.stdin_path, "rb") as stdin:
            if go_w is None:
                slot.take()
            try:
                proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=env, cwd=cwd, preexec_fn=setup, close_fds=True,
                                        pass_fds=pass_fds)
            except (OSError, subprocess.SubprocessError) as exc:
                return Outcome(started=False, setup_error=f"cannot start the sandbox: {exc}")
        _give_pipes(proc, iso)
        if reap is not None:
            reap.started()
        if status is not None:
            status.started()
        if go_r is not None and go_w is not None:
            os.close(go_r)
            go_r = None
            slot.take()
            with contextlib.suppress(OSError):  # the sandbox died while setting up: _watch sees it
                os.write(go_w, b"g")
        out = _watch(proc, group, iso, time.monotonic(), run.limits, slot, status)
        if reap is not None:
            reap.apply(out, cgroup_cpu=group is not None,
                       cgroup_memory=group is not None and group.bounds_memory)
        return out
    finally:
        slot.give_back()
        if reap is not None:
            reap.close()
        if status is not None:
            status.close()
        for fd in (seccomp_fd, go_r, go_w, helper_fd):
            if fd is not None:
                os.close(fd)


def _give_pipes(proc: subprocess.Popen[bytes], iso: Isolation) -> None:
    """Let the sandbox uid reopen its stdout/stderr pipes (``open('/dev/stdout')`` goes through
    /proc/self/fd, which checks the pipe's owner): done before the go, so before the program runs."""
    if iso.uid is None or iso.gid is None:
        return
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                os.fchown(stream.fileno(), iso.uid, iso.gid)


def _seccomp_fd(bpf: bytes) -> int:
    fd = os.memfd_create("r1-seccomp", 0)
    os.write(fd, bpf)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _command(iso: Isolation, group: RunCgroup | None, run: _Run, *, seccomp_fd: int | None,
             go_fd: int | None, helper_fd: int | None, reap: ReaperRun | None = None,
             status_fd: int | None = None
             ) -> tuple[list[str], dict[str, str], str, Callable[[], None] | None]:
    """Command line, environment, cwd and child setup (None when the C launcher does it)."""
    if iso.bwrap is not None:
        # the helper writes the start marker inside (else: a shell)
        helper = [(helper_fd, START)] if helper_fd is not None else []
        helper += [(reap.binary_fd, REAPER)] if reap is not None else []
        cmd = bwrap_argv(iso.bwrap, run.box, run.mounts, program_env("/tmp"),
                         tmpfs_bytes=run.limits.tmpfs_bytes, seccomp_fd=seccomp_fd,
                         netns_entered=run.netns_fd is not None,
                         disable_userns=not (seccomp_fd is not None and iso.seccomp_blocks_userns),
                         etc=run.etc, executables=helper, as_pid_1=status_fd is not None,
                         box_tmpfs=reap is not None)
        cmd += reap.argv(run.limits, run.box, go_fd) if reap else []
        cmd += start_argv(START if helper_fd is not None else None, run.argv, go_fd, status_fd)
        env: dict[str, str] = {}  # bwrap's own pid 1 keeps its environment: give it none
        cwd = "/"
    else:
        cmd = start_argv(iso.launcher, _host_argv(run.argv, run.box, run.mounts), go_fd)
        env, cwd = program_env(str(run.box)), str(run.box)
    hard = rlimits(run.limits, cgroup=group is not None and group.bounds_memory,
                   uid_dropped=iso.uid is not None)
    if iso.launcher is None:
        return cmd, env, cwd, child_setup(group, hard, iso.uid, iso.gid, new_session=iso.bwrap is None)
    # vfork + exec of a C helper: the supervisor is never forked
    cmd = launcher_argv(iso.launcher, uid=iso.uid, gid=iso.gid, new_session=iso.bwrap is None,
                        netns_fd=run.netns_fd, cgroup_files=group.procs_files if group else [],
                        limits=hard) + cmd
    return cmd, env, cwd, None


class _StatusPipe:
    """The pipe on which the helper reports the program's raw wait status (``"<status>\\n"``).
    Only the helper holds the write end inside (close-on-exec, not dumpable, pid 1)."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        self._ours: int | None = self.write_fd
        self._data = b""
        self.status: int | None = None

    def started(self) -> None:
        """The sandbox holds the write end now: drop ours."""
        if self._ours is not None:
            os.close(self._ours)
            self._ours = None

    def read(self) -> bool:
        """Take what arrived; True once the report is complete (the main process is gone)."""
        if self.status is None:
            with contextlib.suppress(BlockingIOError, InterruptedError):
                while chunk := os.read(self.read_fd, 64):
                    self._data += chunk
            line, newline, _ = self._data.partition(b"\n")
            if newline and line.isdigit() and len(line) <= 10:
                self.status = int(line)
        return self.status is not None

    def close(self) -> None:
        self.started()
        os.close(self.read_fd)


def _watch(proc: subprocess.Popen[bytes], group: RunCgroup | None, iso: Isolation, start: float,
           limits: Limits, slot: _Slot, status: _StatusPipe | None = None) -> Outcome:
    assert proc.stdout is not None and proc.stderr is not None
    pipes = _Pipes(limits)
    sel = selectors.DefaultSelector()
    pidfd = os.pidfd_open(proc.pid)
    streams = {proc.stdout.fileno(): "stdout", proc.stderr.fileno(): "stderr"}
    for fd in streams:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    sel.register(pidfd, selectors.EVENT_READ)
    # the report means the main process is gone (its own descendants may still live): react to it
    # like to bubblewrap's exit (only with a cgroup to kill the rest with)
    reported = status is not None and group is not None
    if reported:
        assert status is not None
        sel.register(status.read_fd, selectors.EVENT_READ)
    killed_for = None
    usage = None
    try:
        while killed_for is None:
            for key, _ in sel.select(POLL_S):
                if key.fd in streams:
                    _read(key.fd, streams, pipes, sel)
                elif reported and status is not None and key.fd == status.read_fd and status.read():
                    sel.unregister(status.read_fd)
            if pipes.overflow:
                killed_for = pipes.overflow
            elif (reported and status is not None and status.status is not None) or \
                    (usage := _reap(proc, block=False)) is not None:
                break
            elif group is not None and group.cpu_time_s() > limits.cpu_s:
                killed_for = "cpu"
            elif time.monotonic() - start > limits.wall_s:
                killed_for = "wall"
            if killed_for is not None:
                _kill(proc, group, iso)
        wall = time.monotonic() - start
        _kill(proc, group, iso)  # the main process is gone: nobody else may keep running
        slot.give_back()  # what is left (draining, accounting, teardown) overlaps the next program
        if reported and status is not None and status.status is None:
            with contextlib.suppress(KeyError, ValueError):
                sel.unregister(status.read_fd)
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
    _status(out, proc.returncode, bwrap=iso.bwrap is not None,
            report=status.status if status is not None and status.read() else None)
    if group is not None:
        out.cpu_s = group.cpu_time_s()
        out.peak_memory_bytes = group.peak_memory_bytes()
        out.oom_kills = group.oom_kills()
        out.pids_refused = group.pids_refused()
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
        else:  # not proc.kill(): its poll() would reap bwrap, and _reap's wait4 would find no child
            os.kill(proc.pid, signal.SIGKILL)


def _status(out: Outcome, returncode: int, *, bwrap: bool, report: int | None = None) -> None:
    """Exit code or signal: the helper's report of the raw wait status when there is one, else
    what we reaped (bubblewrap folds a death by signal N into exit status 128 + N: unfolded here,
    which misreads a program that exits with 128 + N — only without the helper's report)."""
    if report is not None:
        with contextlib.suppress(ValueError):
            code = os.waitstatus_to_exitcode(report)
            out.exit_code, out.signal = (code, None) if code >= 0 else (None, -code)
            out.status_reported = True
            return
    if returncode < 0:
        out.signal = -returncode
    elif bwrap and 128 < returncode <= 128 + 64:  # bwrap reports "killed by N" as 128 + N
        out.signal = returncode - 128
    else:
        out.exit_code = returncode
