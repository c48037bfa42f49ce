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

* **a bounded work dir.** Without a memory cgroup, files written to a work dir on the host's
  ``/dev/shm`` would be charged to nobody and bounded only per file. Here ``/box`` is a tmpfs of
  the run's size inside the sandbox; the reaper copies the host work dir in before the program
  starts and copies regular files and directories back (at most 4096 entries, no links) once
  every process of the sandbox is gone, through a directory fd the program never sees. The
  stdin file (the caller's, so the program's too) is made read-only first: reopened through
  ``/proc/self/fd/0`` it would be a host file the program could grow.

It writes ``r1-reap <exit code> <signal> <cpu µs> <max rss KiB> <copy errno>`` to the status fd
(close-on-exec, so the program never holds it; the reaper is not dumpable, so nobody can open it
through /proc) and exits as its child did.
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
WALL_MARGIN_MS = 100  # the reaper's wall limit comes this much before the supervisor's

SOURCE = r"""
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_DEPTH 32
#define MAX_ENTRIES 4096

static long entries;
static volatile sig_atomic_t wall_hit;
static void on_alarm(int sig) { (void)sig; wall_hit = 1; }

/* Copy regular files and directories from dir fd `from` into dir fd `to` (no links, no special
   files, at most MAX_DEPTH levels and MAX_ENTRIES entries). Returns 0 or the first errno of a
   failed write on the `to` side; what cannot be read is skipped. */
static int copy_tree(int from, int to, int depth) {
    int err = 0, d = dup(from);
    DIR *dir = d < 0 ? NULL : fdopendir(d);
    if (dir == NULL) { if (d >= 0) close(d); return 0; }
    struct dirent *e;
    while ((e = readdir(dir)) != NULL && entries < MAX_ENTRIES) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        struct stat st;
        if (fstatat(from, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
        entries++;
        if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH) {
            if (mkdirat(to, e->d_name, 0755) < 0 && errno != EEXIST) { err = err ? err : errno; continue; }
            int a = openat(from, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int b = openat(to, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (a >= 0 && b >= 0) { int r = copy_tree(a, b, depth + 1); err = err ? err : r; }
            if (a >= 0) close(a);
            if (b >= 0) close(b);
        } else if (S_ISREG(st.st_mode)) {
            int a = openat(from, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
            if (a < 0) continue;
            int b = openat(to, e->d_name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (b < 0) { err = err ? err : errno; close(a); continue; }
            char buf[1 << 16];
            ssize_t n;
            while ((n = read(a, buf, sizeof buf)) > 0) {
                for (ssize_t off = 0; off < n;) {
                    ssize_t w = write(b, buf + off, (size_t)(n - off));
                    if (w < 0) { err = err ? err : errno; n = -1; break; }
                    off += w;
                }
                if (n < 0) break;
            }
            fchmod(b, (st.st_mode & 0111) ? 0755 : 0644);
            close(a);
            close(b);
        }
    }
    closedir(dir);
    return err;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fputs("r1-reap: STATUSFD NPROC BOXFD GOFD WALLMS PROGRAM ARGS...\n", stderr);
        return 127;
    }
    int fd = atoi(argv[1]), box = atoi(argv[3]), go = atoi(argv[4]), work = -1;
    long wall_ms = atol(argv[5]);
    rlim_t n = (rlim_t)strtoull(argv[2], NULL, 10);
    struct rlimit nproc = {n, n};
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || setrlimit(RLIMIT_NPROC, &nproc) < 0 ||
        prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 || prctl(PR_SET_DUMPABLE, 0) < 0) {
        perror("r1-reap: setup");
        return 127;
    }
    struct stat in;  /* stdin is the run's host file, ours: not reopenable for writing via /proc */
    if (fstat(0, &in) == 0 && S_ISREG(in.st_mode)) fchmod(0, 0400);
    if (box >= 0) {  /* the work dir is a sized tmpfs here: bring the host's files in */
        work = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fcntl(box, F_SETFD, FD_CLOEXEC) < 0 || work < 0 || copy_tree(box, work, 0) != 0) {
            perror("r1-reap: work dir");
            return 127;
        }
    }
    if (go >= 0) {  /* take the supervisor's go here and pass one on to the helper: the wall clock
                       of the run starts now, as the supervisor's does */
        char byte;
        ssize_t r;
        do r = read(go, &byte, 1); while (r < 0 && errno == EINTR);
        if (r != 1) return 126;  /* the supervisor gave up */
        int p[2];
        if (pipe(p) < 0 || write(p[1], "g", 1) != 1 || dup2(p[0], go) < 0) {
            perror("r1-reap: go");
            return 127;
        }
        close(p[0]);
        close(p[1]);
    }
    if (wall_ms > 0) {  /* a little before the supervisor's own wall limit, so the tree is accounted */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;  /* no SA_RESTART: waitpid returns EINTR */
        struct itimerval t = {{0, 0}, {wall_ms / 1000, (wall_ms % 1000) * 1000}};
        if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &t, NULL) < 0) {
            perror("r1-reap: timer");
            return 127;
        }
    }
    pid_t child = fork();
    if (child < 0) { perror("r1-reap: fork"); return 127; }
    if (child == 0) {
        execv(argv[6], argv + 6);
        perror("r1-reap: exec");
        _exit(127);
    }
    int status = 0, st, alive = 1;
    for (;;) {
        pid_t p = waitpid(-1, &st, 0);
        if (p == child) { status = st; alive = 0; break; }
        if (p < 0 && (errno != EINTR || wall_hit)) break;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    kill(-1, SIGKILL);  /* everyone else in this pid namespace except its init */
    for (;;) {
        pid_t p = waitpid(-1, &st, 0);
        if (p == child && alive) { status = st; alive = 0; }
        if (p < 0 && errno != EINTR) break;
    }
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    long long cpu = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL
                    + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    entries = 0;
    int copy_err = box >= 0 ? copy_tree(work, box, 0) : 0;  /* nobody else is left to race with */
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    dprintf(fd, "r1-reap %d %d %lld %ld %d %d\n", code, sig, cpu, (long)ru.ru_maxrss, copy_err,
            wall_hit && sig == SIGKILL);
    return sig ? 128 + sig : code;
}
"""


@dataclass(frozen=True)
class ReaperStatus:
    exit_code: int | None
    signal: int | None
    cpu_s: float
    peak_memory_bytes: int
    copy_errno: int = 0  # writing the work dir back to the host failed
    wall: bool = False  # the reaper stopped the run at its wall limit


def parse_status(data: bytes) -> ReaperStatus | None:
    """The reaper's last status line; None when it wrote none (it was killed with the sandbox)."""
    line = data.rstrip(b"\n").rpartition(b"\n")[2]
    if not line.startswith(TAG):
        return None
    try:
        code, sig, cpu_us, rss_kib, copy_errno, wall = (int(x) for x in line[len(TAG):].split())
    except ValueError:
        return None
    return ReaperStatus(None if sig else code, sig or None, cpu_us / 1e6, rss_kib * 1024, copy_errno,
                        bool(wall))


class _Outcome(Protocol):  # supervise.Outcome (not imported: supervise imports this module)
    started: bool
    killed_for: str | None
    setup_error: str
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
        self.box_fd: int | None = None

    def argv(self, limits: Limits, box: Path, go_fd: int | None) -> list[str]:
        """What precedes the program inside the sandbox; it may have ``limits.pids`` processes +
        threads, ``box`` (the host work dir) is copied in and back, and the reaper takes the
        supervisor's go on ``go_fd`` (passing one on to the helper) to start its wall clock, which
        stops the run a little before the supervisor would (whose kill leaves nothing to account)."""
        self._xcpu_s = cpu_rlimit_s(limits, cgroup=False)
        if self.box_fd is None:
            self.box_fd = os.open(box, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        wall_ms = limits.wall_s * 1000
        wall_ms = max(1, int(wall_ms - min(WALL_MARGIN_MS, wall_ms / 10)))
        return [REAPER, str(self._status_w), str(limits.pids + SLACK_TASKS), str(self.box_fd),
                str(-1 if go_fd is None else go_fd), str(wall_ms)]

    @property
    def pass_fds(self) -> list[int]:
        return [fd for fd in (self._status_w, self.binary_fd, self.box_fd) if fd is not None]

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
        if status.copy_errno:  # the host could not take the work dir back: the sandbox's failure
            out.started = False
            out.setup_error = f"r1-reap could not copy the work dir back: {os.strerror(status.copy_errno)}"
        out.exit_code, out.signal = status.exit_code, status.signal
        if status.wall:
            out.killed_for = out.killed_for or "wall"
        if not cgroup_cpu:
            # SIGXCPU means the kernel's exact count reached the soft limit; rusage's tick-sampled
            # times can read a little lower
            floor = self._xcpu_s if status.signal == signal.SIGXCPU else 0
            out.cpu_s = max(status.cpu_s, floor)
        if not cgroup_memory:
            out.peak_memory_bytes = status.peak_memory_bytes

    def close(self) -> None:
        self.started()
        for fd in (self.status_r, self.binary_fd, self.box_fd):
            if fd is not None:
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
