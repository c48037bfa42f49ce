"""How one process is started inside an isolation tier: the bwrap command line and the child setup.

A tier is a set of layers, strongest first: a per-run cgroup (memory, pids, CPU accounting,
kill-all), hard rlimits, an unprivileged uid, bubblewrap namespaces (no network, read-only minimal
root, private /tmp and /dev, empty environment) and a seccomp deny-list. Without root the program
runs as the calling user inside bubblewrap's own user namespace, and ``r1-reap`` (reaper.py) sets
the per-run process limit and accounts for the tree when no delegated cgroup does.
"""

from __future__ import annotations

import functools
import math
import os
import resource
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from r1_sandbox.cgroup import CgroupLayout, RunCgroup

__all__ = ["BOX", "TIERS", "Isolation", "Limits", "Mount", "bwrap_argv", "child_setup", "cpu_rlimit_s",
           "etc_files", "program_env", "rlimits"]

BOX = "/box"  # the work dir as the program sees it (bwrap tiers)
TIERS = ("strict", "rootless", "namespaces", "rlimits")


@dataclass(frozen=True)
class Isolation:
    """The layers of a tier, resolved on this machine."""

    tier: str
    cgroup: CgroupLayout | None
    uid: int | None  # drop to this uid/gid before exec (None: keep ours, we are not root)
    gid: int | None
    bwrap: str | None  # path of bwrap, None: no namespaces
    seccomp: bytes | None  # BPF program, None: no filter
    launcher: str | None = None  # compiled child-setup helper (r1_sandbox.launcher); None: preexec_fn
    seccomp_blocks_userns: bool = False  # the filter refuses new user namespaces (no --disable-userns)
    reaper: str | None = None  # r1-reap (reaper.py) inside: process limit and accounting without root

    @property
    def tree_limits(self) -> bool:
        """Memory and processes are bounded for the whole tree by a cgroup (else per process)."""
        return self.cgroup is not None and self.cgroup.limits

    @property
    def layers(self) -> list[str]:
        names = [("cgroup", self.cgroup), ("uid", self.uid), ("bwrap", self.bwrap), ("seccomp", self.seccomp),
                 ("reaper", self.reaper)]
        return ["rlimits"] + [n for n, v in names if v is not None]


@dataclass(frozen=True)
class Limits:
    cpu_s: float
    wall_s: float
    memory_bytes: int
    pids: int
    file_size_bytes: int
    open_files: int
    stdout_bytes: int
    stderr_keep_bytes: int
    stderr_hard_bytes: int
    tmpfs_bytes: int = 64 << 20


@dataclass(frozen=True)
class Mount:
    """A host path shown read-only (or writable) at ``dest`` inside the sandbox."""

    src: Path
    dest: str
    writable: bool = False


def program_env(home: str) -> dict[str, str]:
    """The whole environment a program sees: nothing of the caller's."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


def _root_links() -> list[str]:
    """Merged-/usr hosts link /bin, /lib... into /usr; others get read-only binds of the real dirs."""
    args: list[str] = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), f"/{name}"]
        elif host.is_dir():
            args += ["--ro-bind", str(host), f"/{name}"]
    return args


@functools.lru_cache(maxsize=1)
def _java_config() -> tuple[str, ...]:
    """Debian's JDK keeps its configuration under /etc/java-<N>-openjdk (links from /usr/lib/jvm)."""
    return tuple(sorted(str(p) for p in Path("/etc").glob("java-*") if p.is_dir()))


def etc_files(*, tools: bool) -> tuple[str, ...]:
    """The host's /etc entries a program sees: the loader cache always; with ``tools`` also what
    compilers and the JVM resolve through (alternatives links, JDK configuration). Every bind costs
    bubblewrap a parse of the mount table, so runs of Python or of a built binary get just one."""
    return ("/etc/ld.so.cache", "/etc/alternatives", *_java_config()) if tools else ("/etc/ld.so.cache",)


def bwrap_argv(bwrap: str, box: Path, mounts: Sequence[Mount], env: dict[str, str], *,
               tmpfs_bytes: int, seccomp_fd: int | None, netns_entered: bool = False,
               disable_userns: bool = True, etc: Sequence[str] | None = None,
               executables: Sequence[tuple[int, str]] = (), as_pid_1: bool = False,
               box_tmpfs: bool = False) -> list[str]:
    """``netns_entered``: the launcher already put us in an empty network namespace (no new one);
    ``box_tmpfs``: the work dir is a tmpfs of ``tmpfs_bytes`` that r1-reap fills from ``box`` and
    copies back (rootless tier: nothing else bounds what a program writes there);
    ``as_pid_1``: the command is the sandbox's pid 1 (the C helper that reaps and reports the exit
    status; bubblewrap's own init would fold a death by signal N into exit status 128+N);
    ``disable_userns``: bubblewrap forbids new user namespaces (not needed when seccomp does);
    ``executables``: (fd, path) pairs copied into the read-only root as mode 0555 files (cheaper
    than a bind: no mount, no parse of the mount table)."""
    net = [] if netns_entered else ["--unshare-net"]
    argv = [bwrap, "--unshare-user", "--unshare-ipc", "--unshare-pid", *net, "--unshare-uts",
            "--unshare-cgroup-try", *(["--disable-userns"] if disable_userns else []), "--die-with-parent",
            "--new-session", "--hostname", "sandbox", "--ro-bind", "/usr", "/usr", *_root_links()]
    for entry in etc_files(tools=True) if etc is None else etc:
        argv += ["--ro-bind-try", entry, entry]
    argv += ["--proc", "/proc", *_dev(tmpfs_bytes), "--size", str(tmpfs_bytes), "--tmpfs", "/tmp"]
    argv += ["--size", str(tmpfs_bytes), "--tmpfs", BOX] if box_tmpfs else ["--bind", str(box), BOX]
    for m in mounts:
        argv += ["--bind" if m.writable else "--ro-bind", str(m.src), m.dest]
    for fd, dest in executables:
        argv += ["--perms", "0555", "--file", str(fd), dest]
    argv += ["--chdir", BOX, "--remount-ro", "/", "--clearenv"]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    if seccomp_fd is not None:
        argv += ["--seccomp", str(seccomp_fd)]
    if as_pid_1:
        argv.append("--as-pid-1")
    return [*argv, "--"]


DEVICES = ("null", "zero", "full", "random", "urandom")


def _dev(tmpfs_bytes: int) -> list[str]:
    """A /dev with what programs use: the five data devices, the stdio links, a writable /dev/shm
    (POSIX semaphores, multiprocessing). Like bubblewrap's ``--dev`` without the tty and pts
    mounts — each bind costs bubblewrap a parse of the mount table (~0.4 ms a run in all)."""
    argv = ["--size", str(tmpfs_bytes), "--tmpfs", "/dev"]
    for name in DEVICES:
        argv += ["--dev-bind", f"/dev/{name}", f"/dev/{name}"]
    argv += ["--symlink", "/proc/self/fd", "/dev/fd"]
    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        argv += ["--symlink", f"/proc/self/fd/{fd}", f"/dev/{name}"]
    return [*argv, "--dir", "/dev/shm"]


def cpu_rlimit_s(limits: Limits, *, cgroup: bool) -> int:
    """The soft RLIMIT_CPU (SIGXCPU; SIGKILL a second later). With a cgroup it is a backstop behind
    the polled ``cpu.stat``; without one nobody polls, so it comes at the limit rounded up to whole
    seconds and the program dies while its reaper can still account for it."""
    return math.ceil(limits.cpu_s) + (1 if cgroup else 0)


def rlimits(limits: Limits, *, cgroup: bool, uid_dropped: bool) -> list[tuple[int, int, int]]:
    """Hard limits (soft = hard, so a program cannot raise them back), CPU as a backstop (see
    :func:`cpu_rlimit_s`)."""
    cpu = cpu_rlimit_s(limits, cgroup=cgroup)
    out = [
        (resource.RLIMIT_CPU, cpu, cpu + 1),
        (resource.RLIMIT_FSIZE, limits.file_size_bytes, limits.file_size_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
        (resource.RLIMIT_CORE, 0, 0),
        # judges give the whole memory limit to the stack; memory is bounded by the cgroup, or by
        # RLIMIT_AS (a finite RLIMIT_STACK would also be every thread's default stack size: with
        # stack = the memory limit not even a second thread fits in the address space)
        (resource.RLIMIT_STACK, resource.RLIM_INFINITY, resource.RLIM_INFINITY),
    ]
    if not cgroup:
        out.append((resource.RLIMIT_AS, limits.memory_bytes, limits.memory_bytes))
        if uid_dropped:  # per-uid and counts unreaped zombies: generous slack (pitfall 2)
            out.append((resource.RLIMIT_NPROC, limits.pids + 256, limits.pids + 256))
    return out


def child_setup(group: RunCgroup | None, limits: list[tuple[int, int, int]], uid: int | None,
                gid: int | None, *, new_session: bool) -> Callable[[], None]:
    """Runs in the forked child before exec: cgroup, rlimits, then drop privileges (in this order:
    only root may join the groups and set hard limits)."""

    def setup() -> None:
        if new_session:
            os.setsid()
        if group is not None:
            group.enter()
        for res, soft, hard in limits:
            resource.setrlimit(res, (soft, hard))
        if uid is not None and gid is not None:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)

    return setup
