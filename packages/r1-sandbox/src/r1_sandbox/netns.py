"""Empty network namespaces made once and lent to one run at a time.

A new network namespace per run costs ~1 ms of CPU to create plus as much again in a kernel worker
to tear down (``cleanup_net``) — on a 2-core machine running 100 short programs a second, that is a
tenth of everything. A run instead enters (``setns``, done by the C launcher as root, before it
drops privileges and execs bubblewrap) an empty namespace owned by the host's user namespace: the
program gets no network (loopback is down and nobody inside may bring it up; internet sockets are
refused by seccomp as well).

What a program can leave in a namespace is sockets (seccomp lets it make ``AF_UNIX`` ones only):
routes, addresses, firewall rules and ``/proc/sys/net`` need privileges over the host's user
namespace. Sockets normally die with their processes — but not all: a unix socket sent over
another with ``SCM_RIGHTS`` in a cycle (each in flight in the other's queue) outlives every process
and keeps its abstract name, listed in ``/proc/net/unix``, until the kernel's unix garbage
collector happens to run. So a namespace goes back to the pool only when it is **provably empty**:
once the run's cgroup is empty and removed, its ``sockets: used`` count (``/proc/net/sockstat`` as
seen from inside it: every socket a process created there, of any family, until the kernel frees
it) must be 0. The supervisor keeps that file open from the moment it made the namespace (the
seq file stays bound to it), so the check is one ``pread`` (~3 µs), no ``setns``. A namespace that
still holds anything is closed and replaced by a fresh one; the leftovers die with it, unreachable:
abstract unix names are scoped by network namespace and nobody else enters that one.

A namespace is lent to one run at a time, so two programs never share one. Anything unusual (the
cgroup stayed busy, a fork, an error, a socket left) drops it; when namespaces cannot be made here
runs fall back to bubblewrap's own ``--unshare-net``.
"""

from __future__ import annotations

import ctypes
import os
import threading

__all__ = ["NETNS", "NetnsPool", "sockets_in"]

CLONE_NEWNET = 0x40000000


class NetnsPool:
    MAX_IDLE = 64

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        """Also the state of a forked child: the parent's namespaces may be in use by its runs, so
        the child closes its copies and makes its own."""
        owned: dict[int, int] = getattr(self, "_owned", {})
        self._lock = threading.Lock()
        self._idle: list[int] = []
        self._owned: dict[int, int] = {}  # namespace fd -> fd of /proc/net/sockstat seen from it
        self._broken = os.environ.get("R1_SANDBOX_NETNS_POOL") == "0" or os.geteuid() != 0
        self.discarded = 0  # namespaces closed because a run left something in them
        for fd, sockstat in owned.items():
            for x in (fd, sockstat):
                try:
                    os.close(x)
                except OSError:
                    pass

    def acquire(self) -> int | None:
        """An fd (close-on-exec) of an empty network namespace that nobody else uses; None: unshare
        per run instead."""
        with self._lock:
            if self._broken:
                return None
            if self._idle:
                return self._idle.pop()
        made = _new_netns()
        with self._lock:
            if made is None:
                self._broken = True
                return None
            self._owned[made[0]] = made[1]
        return made[0]

    def release(self, fd: int, *, reusable: bool) -> None:
        """Give ``fd`` back; ``reusable`` only when every process of the run that used it is gone.
        It goes back to the pool only if no socket is left in it (see the module doc)."""
        with self._lock:
            sockstat = self._owned.get(fd)
            if sockstat is None:  # acquired before a fork: not ours to keep
                return
            if reusable and len(self._idle) < self.MAX_IDLE:
                if sockets_in(sockstat) == 0:
                    self._idle.append(fd)
                    return
                self.discarded += 1
            del self._owned[fd]
        for x in (fd, sockstat):
            os.close(x)

    def idle(self) -> int:
        with self._lock:
            return len(self._idle)


def sockets_in(sockstat_fd: int) -> int:
    """Sockets alive in the namespace a ``/proc/net/sockstat`` fd was opened from (``sockets: used``,
    counted per namespace); -1 when it cannot be read (treated as not empty)."""
    try:
        head = os.pread(sockstat_fd, 64, 0)
    except OSError:
        return -1
    line = head.split(b"\n", 1)[0]
    if not line.startswith(b"sockets: used "):
        return -1
    try:
        return int(line[len(b"sockets: used "):])
    except ValueError:
        return -1


def _new_netns() -> tuple[int, int] | None:
    """unshare(CLONE_NEWNET) in a throwaway thread (namespaces are per thread): an fd of the
    namespace and one of its ``/proc/net/sockstat`` (opened from inside, so bound to it)."""
    result: list[tuple[int, int] | None] = [None]

    def make() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(CLONE_NEWNET) != 0:
                return
            ns = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
            try:
                sockstat = os.open("/proc/thread-self/net/sockstat", os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                os.close(ns)
                return
            if sockets_in(sockstat) != 0:  # the check would never pass here: no pool
                os.close(ns)
                os.close(sockstat)
                return
            result[0] = (ns, sockstat)
        except OSError:
            return

    thread = threading.Thread(target=make, name="r1-sandbox-netns", daemon=True)
    thread.start()
    thread.join()
    return result[0]


NETNS = NetnsPool()
os.register_at_fork(after_in_child=NETNS._reset)
