"""A tiny exec helper so that starting a sandbox does not fork the supervisor with a Python
``preexec_fn``, and does not spend a shell on proving that the sandbox started.

``subprocess`` can only use ``vfork`` when there is no ``preexec_fn`` and no uid change; a plain
``fork`` copies the supervisor's page tables (large in a trainer holding a model) and runs Python
in the child. The helper does the same child setup in C — join the cgroups, enter a network
namespace, set hard rlimits, drop to the sandbox uid — and execs bubblewrap. It is compiled once
per machine into the cache dir (on x86-64 without the C library: raw system calls, so an exec of it
costs ~0.1 ms instead of ~0.4 ms of loader and libc start-up) and only used when that file and its
dir belong to us and nobody else can write them; otherwise the supervisor falls back to
``preexec_fn``.

The same binary, called as ``r1-launch --start GOFD STATUSFD PROGRAM ARGS...``, is the first thing
executed inside the sandbox: it waits for the supervisor's go on ``GOFD`` (so a sandbox can be set
up while the slot it will run in is still busy), writes the start marker to stderr and starts the
program (what ``sh -c 'printf MARKER; exec "$@"'`` did, for a tenth of the cost).

**Exit status versus signal.** bubblewrap (and any shell) reports a child killed by signal N as exit
status 128 + N, so a program calling ``exit(152)`` looked killed by SIGXCPU. With ``STATUSFD`` the
helper does not exec the program but forks it and waits for it, and writes the raw wait status
(``"<status>\\n"``) to ``STATUSFD``, which the supervisor reads. Run as the sandbox's pid 1
(``bwrap --as-pid-1``) it also reaps orphans, nothing inside can signal it (the kernel ignores
signals sent to a pid namespace's init from inside it, SIGKILL and SIGSTOP included), it is not
dumpable (nobody can open its fds through ``/proc/1/fd``), and the status fd is close-on-exec, so
the program never holds it: the status it reports is the kernel's, not the program's word. With
``STATUSFD`` = -1 it execs the program as before (the rootless tier's reaper reports there).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

__all__ = ["MARKER", "START", "build_launcher", "launcher_argv", "start_argv"]

# Written to stderr right before the program is exec'd: it proves the sandbox was set up. Without
# it a failure is the sandbox's (SE), never the program's. The program cannot remove it (it is
# written before the program exists), and bwrap's own errors never start with it.
MARKER = b"\x00r1-sandbox-started\x00"
START = "/.r1-start"  # where the helper is bound inside the sandbox

SOURCE = r"""
/* r1-launch UID GID NEWSESSION NETNSFD NCGROUPS cgroup.procs... NLIMITS (resource soft hard)... -- argv
   r1-launch --start GOFD STATUSFD argv  (inside the sandbox: wait for a byte on GOFD unless it is
   -1, write the start marker, exec argv; with STATUSFD >= 0 fork argv instead, reap every child
   until argv's process exits, write its raw wait status to STATUSFD, exit)
   Built without the C library on x86-64 (R1_FREESTANDING: raw system calls, no loader, no libc
   start-up — each exec costs ~0.1 ms instead of ~0.4 ms), with it elsewhere. System calls return
   -errno on failure in both builds. */
#ifdef R1_FREESTANDING
typedef unsigned long size_t;
#define NR_read 0
#define NR_write 1
#define NR_close 3
#define NR_clone 56
#define NR_wait4 61
#define NR_fcntl 72
#define NR_prctl 157
#define NR_setgroups 116
#define NR_setresuid 117
#define NR_setresgid 119
#define NR_setsid 112
#define NR_execve 59
#define NR_exit_group 231
#define NR_openat 257
#define NR_prlimit64 302
#define NR_setns 308
#define AT_FDCWD -100
#define O_WRONLY 01
#define O_CLOEXEC 02000000
#define CLONE_NEWNET 0x40000000
#define EINTR 4
#define ENOENT 2
#define EACCES 13
#define SIGCHLD 17
#define F_SETFD 2
#define FD_CLOEXEC 1
#define PR_SET_DUMPABLE 4
static long sys4(long n, long a, long b, long c, long d) {
    long r;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return r;
}
#define k_read(fd, buf, n) sys4(NR_read, fd, (long)(buf), n, 0)
#define k_write(fd, buf, n) sys4(NR_write, fd, (long)(buf), n, 0)
#define k_close(fd) sys4(NR_close, fd, 0, 0, 0)
#define k_open_w(path) sys4(NR_openat, AT_FDCWD, (long)(path), O_WRONLY | O_CLOEXEC, 0)
#define k_setsid() sys4(NR_setsid, 0, 0, 0, 0)
#define k_setns_net(fd) sys4(NR_setns, fd, CLONE_NEWNET, 0, 0)
#define k_setlimit(res, lim) sys4(NR_prlimit64, 0, res, (long)(lim), 0)
#define k_setgroups0() sys4(NR_setgroups, 0, 0, 0, 0)
#define k_setresgid(g) sys4(NR_setresgid, g, g, g, 0)
#define k_setresuid(u) sys4(NR_setresuid, u, u, u, 0)
#define k_execve(path, argv, envp) sys4(NR_execve, (long)(path), (long)(argv), (long)(envp), 0)
#define k_exit(code) sys4(NR_exit_group, code, 0, 0, 0)
#define k_fork() sys4(NR_clone, SIGCHLD, 0, 0, 0)
#define k_wait_any(status) sys4(NR_wait4, -1, (long)(status), 0, 0)
#define k_cloexec(fd) sys4(NR_fcntl, fd, F_SETFD, FD_CLOEXEC, 0)
#define k_undumpable() sys4(NR_prctl, PR_SET_DUMPABLE, 0, 0, 0)
static int r1_main(int argc, char **argv, char **envp);
__attribute__((used)) void r1_cstart(long *sp) {
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    k_exit(r1_main(argc, argv, argv + argc + 1));
    for (;;) {}
}
__asm__(".text\n.global _start\n_start:\n xor %rbp, %rbp\n mov %rsp, %rdi\n and $-16, %rsp\n"
        " call r1_cstart\n hlt\n");
#else
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
static long chk(long r) { return r < 0 ? -errno : r; }
#define k_read(fd, buf, n) chk(read(fd, buf, n))
#define k_write(fd, buf, n) chk(write(fd, buf, n))
#define k_close(fd) chk(close(fd))
#define k_open_w(path) chk(open(path, O_WRONLY | O_CLOEXEC))
#define k_setsid() chk(setsid())
#define k_setns_net(fd) chk(setns(fd, CLONE_NEWNET))
#define k_setlimit(res, lim) chk(setrlimit(res, (const struct rlimit *)(lim)))
#define k_setgroups0() chk(setgroups(0, NULL))
#define k_setresgid(g) chk(setresgid(g, g, g))
#define k_setresuid(u) chk(setresuid(u, u, u))
#define k_execve(path, argv, envp) chk(execve(path, argv, envp))
#define k_exit(code) _exit(code)
#define k_fork() chk(fork())
#define k_wait_any(status) chk(waitpid(-1, status, 0))
#define k_cloexec(fd) chk(fcntl(fd, F_SETFD, FD_CLOEXEC))
#define k_undumpable() chk(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
static int r1_main(int argc, char **argv, char **envp);
int main(int argc, char **argv, char **envp) { return r1_main(argc, argv, envp); }
#endif

static const char MARKER[] = MARKER_BYTES;

static size_t len(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
static int same(const char *a, const char *b) { while (*a && *a == *b) a++, b++; return *a == *b; }
static void put(const char *s) { k_write(2, s, len(s)); }
static long num(const char *s) {  /* a decimal, maybe negative ("-1": none / RLIM_INFINITY) */
    long sign = 1, v = 0;
    if (*s == '-') sign = -1, s++;
    while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
    return sign * v;
}
/* the decimal digits of v, written backwards into the end of buf; returns where they start */
static char *decimal(char *end, unsigned long v) {
    do *--end = (char)('0' + v % 10), v /= 10; while (v);
    return end;
}
static void fail(const char *what, long err) {
    char digits[24];
    digits[23] = 0;
    put("r1-launch: "); put(what); put(": errno ");
    put(decimal(digits + 23, (unsigned long)(err < 0 ? -err : err))); put("\n");
    k_exit(127);
}

/* execvp without the C library: PATH from the program's environment */
static void exec_path(char **argv, char **envp) {
    const char *file = argv[0], *path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = file; *p; p++)
        if (*p == '/') { fail(file, k_execve(file, argv, envp)); }
    for (char **e = envp; *e; e++) {
        const char *v = *e;
        if (v[0] == 'P' && v[1] == 'A' && v[2] == 'T' && v[3] == 'H' && v[4] == '=') path = v + 5;
    }
    long err = -ENOENT;
    char buf[4096];
    size_t flen = len(file);
    while (*path) {
        size_t n = 0;
        while (path[n] && path[n] != ':') n++;
        if (n + flen + 2 <= sizeof buf) {
            for (size_t i = 0; i < n; i++) buf[i] = path[i];
            buf[n] = '/';
            for (size_t i = 0; i <= flen; i++) buf[n + 1 + i] = file[i];
            long r = k_execve(buf, argv, envp);
            if (r == -EACCES || err != -EACCES) err = r == -ENOENT ? err : r;
        }
        path += n + (path[n] == ':');
    }
    fail(file, err);
}

/* fork argv, reap every child until argv's process is gone (as the sandbox's pid 1, orphans come
   to us), report its raw wait status on fd st, exit as a shell would */
static int run_child(int st, char **argv, char **envp) {
    long r;
    if ((r = k_undumpable()) < 0) fail("prctl", r);  /* nobody opens our fds through /proc */
    if ((r = k_cloexec(st)) < 0) fail("status fd", r);  /* the program never holds it */
    long pid = k_fork();
    if (pid < 0) fail("fork", pid);  /* before the marker: the sandbox's failure, SE */
    if (pid == 0) {
        if (k_write(2, MARKER, sizeof MARKER - 1) != (long)(sizeof MARKER - 1)) k_exit(127);
        exec_path(argv, envp);
    }
    int status = 0;
    for (;;) {
        int s = 0;
        long w = k_wait_any(&s);
        if (w == pid) { status = s; break; }
        if (w < 0 && w != -EINTR) fail("wait", w);
    }
    char line[24];
    line[23] = '\n';
    char *start = decimal(line + 23, (unsigned long)(unsigned)status);
    do r = k_write(st, start, line + 24 - start); while (r == -EINTR);
    return (status & 0x7f) ? 128 + (status & 0x7f) : (status >> 8) & 0xff;
}

static int r1_main(int argc, char **argv, char **envp) {
    int i = 1;
    if (argc > 4 && same(argv[1], "--start")) {
        int go = (int)num(argv[2]), st = (int)num(argv[3]);
        if (go >= 0) {  /* the sandbox is set up: wait for the supervisor's go (EOF: it gave up) */
            char byte;
            long n;
            do n = k_read(go, &byte, 1); while (n == -EINTR);
            if (n != 1) k_exit(126);
            k_close(go);
        }
        if (st >= 0) return run_child(st, argv + 4, envp);
        if (k_write(2, MARKER, sizeof MARKER - 1) != (long)(sizeof MARKER - 1)) k_exit(127);
        exec_path(argv + 4, envp);
    }
    if (argc < 8) { put("r1-launch: too few arguments\n"); return 127; }
    long uid = num(argv[i++]), gid = num(argv[i++]), r;
    if (num(argv[i++]) && (r = k_setsid()) < 0) fail("setsid", r);
    long netns = num(argv[i++]);
    if (netns >= 0) {  /* a prepared, empty network namespace instead of a new one per run */
        if ((r = k_setns_net(netns)) < 0) fail("enter network namespace", r);
        k_close(netns);
    }
    for (long n = num(argv[i++]); n > 0 && i < argc; n--) {
        long fd = k_open_w(argv[i++]);
        if (fd < 0) fail("join cgroup", fd);
        if ((r = k_write(fd, "0", 1)) != 1) fail("join cgroup", r);
        k_close(fd);
    }
    for (long n = num(argv[i++]); n > 0 && i + 2 < argc; n--) {
        long res = num(argv[i++]);
        unsigned long lim[2];
        lim[0] = (unsigned long)num(argv[i++]);
        lim[1] = (unsigned long)num(argv[i++]);
        if ((r = k_setlimit(res, lim)) < 0) fail("setrlimit", r);
    }
    if (uid >= 0) {
        if ((r = k_setgroups0()) < 0 || (r = k_setresgid(gid)) < 0 || (r = k_setresuid(uid)) < 0)
            fail("drop privileges", r);
    }
    if (i >= argc || !same(argv[i++], "--") || i >= argc) { put("r1-launch: bad arguments\n"); return 127; }
    fail("exec", k_execve(argv[i], &argv[i], envp));
    return 127;
}
""".replace("MARKER_BYTES", '"' + "".join(f"\\{b:03o}" for b in MARKER) + '"')


def _private(path: Path) -> bool:
    """Owned by us and writable by nobody else (we exec it as root)."""
    try:
        for p in (path, path.parent):
            st = p.stat()
            if st.st_uid != os.geteuid() or st.st_mode & 0o022:
                return False
    except OSError:
        return False
    return True


def _build_flags() -> list[list[str]]:
    """Cheapest first: no C library at all (x86-64), static (libc.a may be missing), dynamic."""
    free = ["-static", "-nostdlib", "-ffreestanding", "-fno-builtin", "-fno-stack-protector",
            "-DR1_FREESTANDING"]
    return ([free] if platform.machine() in ("x86_64", "amd64") else []) + [["-static"], []]


def build_launcher(cache: Path, cc: str) -> Path | None:
    """The compiled helper (built once per machine and compiler); None when it cannot be built."""
    digest = hashlib.sha256(f"{cc}\0{SOURCE}".encode()).hexdigest()[:16]
    target = cache / "launcher" / f"r1-launch-{digest}"
    if target.is_file() and _private(target):
        return target
    if shutil.which(cc) is None:
        return None
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        tmp = target.with_name(f".{target.name}.{os.getpid()}")
        for flags in _build_flags():
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
        return None
    return target if _private(target) else None


def launcher_argv(launcher: str, *, uid: int | None, gid: int | None, new_session: bool, netns_fd: int | None,
                  cgroup_files: Sequence[str], limits: Sequence[tuple[int, int, int]]) -> list[str]:
    argv = [launcher, str(-1 if uid is None else uid), str(-1 if gid is None else gid),
            "1" if new_session else "0", str(-1 if netns_fd is None else netns_fd), str(len(cgroup_files)),
            *cgroup_files, str(len(limits))]
    for res, soft, hard in limits:  # RLIM_INFINITY is -1 in Python; strtoull("-1") is ~0 in C
        argv += [str(res), str(soft), str(hard)]
    return [*argv, "--"]


def start_argv(launcher: str | None, argv: Sequence[str], go_fd: int | None = None,
               status_fd: int | None = None) -> list[str]:
    """``argv`` preceded by what writes the start marker: the helper where there is one (``launcher``
    is its path as the program sees it; it first waits for a byte on ``go_fd`` when given, and with
    ``status_fd`` forks the program and reports its raw wait status there), else a shell (which
    cannot tell an exit status 128+N from a death by signal N)."""
    if launcher is not None:
        return [launcher, "--start", str(-1 if go_fd is None else go_fd),
                str(-1 if status_fd is None else status_fd), *argv]
    marker = "".join(f"\\{b:03o}" for b in MARKER)
    return ["/bin/sh", "-c", f"printf '{marker}' >&2 && exec \"$@\"", "sh", *argv]
