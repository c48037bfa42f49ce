"""Empty network namespaces made once and lent to one run at a time.

A new network namespace per run costs ~1 ms of CPU to create plus as much again in a kernel worker
to tear down (``cleanup_net``) — on a 2-core machine running 100 short programs a second, that is a
tenth of everything. A run instead enters (``setns``, done by the C launcher as root, before it
drops privileges and execs bubblewrap) an empty namespace owned by the host's user namespace: the
program gets no network (loopback is down and nobody inside may bring it up; internet sockets are
refused by seccomp as well).

A namespace holds nothing that outlives its processes and that an unprivileged program could
create: sockets and abstract unix names die with their process, routes, addresses, firewall rules
and ``/proc/sys/net`` need privileges over the host's user namespace. It is lent to one run at a
time and goes back to the pool only once that run's cgroup is empty and removed, so two programs
never share one. Anything unusual (the cgroup stayed busy, a fork, an error) simply drops the
namespace; when namespaces cannot be made here runs fall back to bubblewrap's own ``--unshare-net``.
"""

from __future__ import annotations

import ctypes
import os
import threading

__all__ = ["NETNS", "NetnsPool"]

CLONE_NEWNET = 0x40000000


class NetnsPool:
    MAX_IDLE = 64

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        """Also the state of a forked child: the parent's namespaces may be in use by its runs, so
        the child closes its copies and makes its own."""
        owned = getattr(self, "_owned", set())
        self._lock = threading.Lock()
        self._idle: list[int] = []
        self._owned: set[int] = set()
        self._broken = os.environ.get("R1_SANDBOX_NETNS_POOL") == "0" or os.geteuid() != 0
        for fd in owned:
            try:
                os.close(fd)
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
        fd = _new_netns()
        with self._lock:
            if fd is None:
                self._broken = True
            else:
                self._owned.add(fd)
        return fd

    def release(self, fd: int, *, reusable: bool) -> None:
        """Give ``fd`` back; ``reusable`` only when every process of the run that used it is gone."""
        with self._lock:
            if fd not in self._owned:  # acquired before a fork: not ours to keep
                return
            if reusable and len(self._idle) < self.MAX_IDLE:
                self._idle.append(fd)
                return
            self._owned.discard(fd)
        os.close(fd)

    def idle(self) -> int:
        with self._lock:
            return len(self._idle)


def _new_netns() -> int | None:
    """unshare(CLONE_NEWNET) in a throwaway thread (namespaces are per thread) and keep an fd."""
    result: list[int | None] = [None]

    def make() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(CLONE_NEWNET) != 0:
                return
            result[0] = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return

    thread = threading.Thread(target=make, name="r1-sandbox-netns", daemon=True)
    thread.start()
    thread.join()
    return result[0]


NETNS = NetnsPool()
os.register_at_fork(after_in_child=NETNS._reset)
