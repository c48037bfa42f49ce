"""``r1-reap``: the first process inside a rootless sandbox (no root, so no per-run cgroup limits).

Two things need a process inside the sandbox's own user namespace:

* **a process limit.** ``RLIMIT_NPROC`` counts the tasks of a uid *per user namespace*. Set before
  bubblewrap creates the namespace it would count every task of the calling user on the host (a
  trainer with 200 threads could not start a sandbox at all); set inside, it counts this run's
  tasks only, which is the per-run process limit a cgroup's ``pids.max`` gives as root.
* **accounting.** bubblewrap returns as soon as its init reports the exit status, so ``wait4`` on
  it holds none of the program's CPU time or memory. The reaper becomes the child subreaper of the
  program's tree, and when the program's main process exits it kills and reaps every other process
  of the sandbox; its ``RUSAGE_CHILDREN`` is then the CPU time of the whole tree (a child left
  running by a parent that never waits is charged too) and the peak RSS of its largest process.
  It also tells an exit status apart from a death by signal.

It writes ``r1-reap <exit code> <signal> <cpu µs> <max rss KiB>`` to the status fd (close-on-exec,
so the program never holds it; the reaper is not dumpable, so nobody can open it through /proc)
and exits as its child did.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from r1_sandbox.isolation import Limits, cpu_rlimit_s

__all__ = ["REAPER", "ReaperRun", "ReaperStatus", "build_reaper", "parse_status"]

REAPER = "/.r1-reap"  # where the binary is copied inside the sandbox
TAG = b"r1-reap "
SLACK_TASKS = 2  # bubblewrap's init and the reaper share the program's process limit

SOURCE = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 4) { fputs("r1-reap: STATUSFD NPROC PROGRAM ARGS...\n", stderr); return 127; }
    int fd = atoi(argv[1]);
    rlim_t n = (rlim_t)strtoull(argv[2], NULL, 10);
    struct rlimit nproc = {n, n};
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || setrlimit(RLIMIT_NPROC, &nproc) < 0 ||
        prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 || prctl(PR_SET_DUMPABLE, 0) < 0) {
        perror("r1-reap: setup");
        return 127;
    }
    pid_t child = fork();
    if (child < 0) { perror("r1-reap: fork"); return 127; }
    if (child == 0) {
        execv(argv[3], argv + 3);
        perror("r1-reap: exec");
        _exit(127);
    }
    int status = 0, st;
    for (;;) {
        pid_t p = waitpid(-1, &st, 0);
        if (p == child) { status = st; break; }
        if (p < 0 && errno != EINTR) break;
    }
    kill(-1, SIGKILL);  /* everyone else in this pid namespace except its init */
    for (;;) {
        pid_t p = waitpid(-1, &st, 0);
        if (p < 0 && errno != EINTR) break;
    }
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    long long cpu = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL
                    + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    dprintf(fd, "r1-reap %d %d %lld %ld\n", code, sig, cpu, (long)ru.ru_maxrss);
    return sig ? 128 + sig : code;
}
"""


@dataclass(frozen=True)
class ReaperStatus:
    exit_code: int | None
    signal: int | None
    cpu_s: float
    peak_memory_bytes: int


def parse_status(data: bytes) -> ReaperStatus | None:
    """The reaper's last status line; None when it wrote none (it was killed with the sandbox)."""
    line = data.rstrip(b"\n").rpartition(b"\n")[2]
    if not line.startswith(TAG):
        return None
    try:
        code, sig, cpu_us, rss_kib = (int(x) for x in line[len(TAG):].split())
    except ValueError:
        return None
    return ReaperStatus(None if sig else code, sig or None, cpu_us / 1e6, rss_kib * 1024)


class _Outcome(Protocol):  # supervise.Outcome (not imported: supervise imports this module)
    exit_code: int | None
    signal: int | None
    cpu_s: float
    peak_memory_bytes: int


class ReaperRun:
    """The reaper's part of one execution: its binary (copied into the sandbox root from
    ``binary_fd``), the status pipe, and what it reported."""

    def __init__(self, binary: str) -> None:
        self.binary_fd = os.open(binary, os.O_RDONLY | os.O_CLOEXEC)
        self.status_r, self._status_w = os.pipe()
        self.status_w: int | None = self._status_w
        self._xcpu_s = 0

    def argv(self, limits: Limits) -> list[str]:
        """What precedes the program inside the sandbox; it may have ``limits.pids`` processes +
        threads."""
        self._xcpu_s = cpu_rlimit_s(limits, cgroup=False)
        return [REAPER, str(self._status_w), str(limits.pids + SLACK_TASKS)]

    @property
    def pass_fds(self) -> list[int]:
        return [self._status_w, self.binary_fd]

    def started(self) -> None:
        """The sandbox holds the write end now: drop ours, so the pipe ends with the sandbox."""
        if self.status_w is not None:
            os.close(self.status_w)
            self.status_w = None

    def apply(self, out: _Outcome, *, cgroup_cpu: bool, cgroup_memory: bool) -> None:
        """Exit status, CPU time and peak RSS (each unless a cgroup measured it) as the reaper saw them
        (``wait4`` on bubblewrap has neither: its rusage is its own, and a vforked child's max RSS is
        the supervisor's)."""
        os.set_blocking(self.status_r, False)
        data = b""
        with contextlib.suppress(OSError):
            while chunk := os.read(self.status_r, 4096):
                data += chunk
        status = parse_status(data)
        if status is None:  # killed with the sandbox (limits) or by the program: keep bwrap's view
            return
        out.exit_code, out.signal = status.exit_code, status.signal
        if not cgroup_cpu:
            # SIGXCPU means the kernel's exact count reached the soft limit; rusage's tick-sampled
            # times can read a little lower
            floor = self._xcpu_s if status.signal == signal.SIGXCPU else 0
            out.cpu_s = max(status.cpu_s, floor)
        if not cgroup_memory:
            out.peak_memory_bytes = status.peak_memory_bytes

    def close(self) -> None:
        self.started()
        for fd in (self.status_r, self.binary_fd):
            os.close(fd)


def _private(path: Path) -> bool:
    try:
        stats = [p.stat() for p in (path, path.parent)]
    except OSError:
        return False
    return all(st.st_uid == os.geteuid() and not st.st_mode & 0o022 for st in stats)


def build_reaper(cache: Path, cc: str) -> Path | None:
    """The compiled reaper in ``<cache>/launcher`` (built once per machine and compiler); None when
    it cannot be built."""
    digest = hashlib.sha256(f"{cc}\0{SOURCE}".encode()).hexdigest()[:16]
    target = cache / "launcher" / f"r1-reap-{digest}"
    if target.is_file() and _private(target):
        return target
    if shutil.which(cc) is None:
        return None
    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        for flags in (["-static"], []):  # static: no loader work per run; libc.a may be missing
            proc = subprocess.run([cc, "-O2", *flags, "-x", "c", "-", "-o", str(tmp)], input=SOURCE,
                                  text=True, capture_output=True, timeout=60)
            if proc.returncode == 0:
                break
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            return None
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)
    except (OSError, subprocess.TimeoutExpired):
        tmp.unlink(missing_ok=True)
        return None
    return target if _private(target) else None
