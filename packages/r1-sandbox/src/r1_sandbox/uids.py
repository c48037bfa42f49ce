"""One uid per concurrent run: per-user kernel quotas are per run.

The kernel counts some resources per user: inotify instances (``fs.inotify.max_user_instances``,
128 by default), pending signals and POSIX timers (``RLIMIT_SIGPENDING``), POSIX message queue
bytes (``RLIMIT_MSGQUEUE``), processes (``RLIMIT_NPROC``), locked memory. A user namespace does not
help: bubblewrap's namespace is owned by the uid that created it, and every charge made inside is
also counted against that uid in the host's namespace. With one uid for every run, a program that
exhausts one of these makes a concurrent innocent program fail — reported as that program's own
failure. So runs take a uid from a range (``uid`` … ``uid + uid_count - 1`` of the local sandbox's
configuration), one that no other run holds at the same time:

* **within a process** a uid is lent to one run at a time and comes back only once every process of
  the run is gone (the run's cgroup removed; when the janitor had to take the group over, only once
  its directories are gone), and at the earliest ``REUSE_AFTER_S`` later — the kernel frees some
  charges of a dead run a little later (an IPC namespace's message queues go in a worker after an
  RCU grace period), so a uid rests before the next run gets it; among free uids the least
  recently used comes first.
* **across processes** (a trainer's reward workers, two test workers) a uid is claimed by holding
  an exclusive ``flock`` on ``/run/r1-sandbox/uids/<uid>`` (root-owned, 0700) for the life of the
  process; the kernel drops the lock when the process dies, so nothing has to be cleaned up. A
  forked child closes its copies of the parent's locks and claims its own.

Claiming costs an ``open`` and a ``flock`` once per uid and process; a run takes a uid from an
in-memory list (a few µs). When the whole range is claimed by other processes a run shares the
least recently used of this process's uids (logged once): make the range larger then.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import logging
import os
import stat
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = ["LOCK_DIR", "REUSE_AFTER_S", "UidPool", "hold", "uid_pool"]

log = logging.getLogger("r1.sandbox")

LOCK_DIR = Path("/run/r1-sandbox/uids")
REUSE_AFTER_S = 0.25
_RESCAN_S = 1.0  # after finding the range fully claimed elsewhere, look again at most this often


def _lock_dir(path: Path) -> Path | None:
    """``path`` made (0700) and checked: a directory of ours nobody else can write; else None."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
        return None
    return path


class UidPool:
    """The uids ``first`` … ``first + count - 1``, lent to one run at a time (see the module doc)."""

    def __init__(self, first: int, count: int, lock_dir: Path | None = LOCK_DIR) -> None:
        self.first, self.count = first, count
        self._wanted_dir = lock_dir
        self._reset()

    def _reset(self) -> None:
        """Also the state of a forked child: the parent's claims are not ours (their locks are held
        through the parent's open file descriptions; closing our copies leaves them to it)."""
        for fd in getattr(self, "_claimed", {}).values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._cond = threading.Condition(threading.Lock())
        self._claimed: dict[int, int] = {}  # uid -> fd holding its flock (-1: no lock dir)
        self._free: collections.deque[tuple[float, int]] = collections.deque()  # (released, uid)
        self._busy: set[int] = set()
        self._held: dict[int, tuple[str, ...]] = {}  # uid -> paths that must be gone before reuse
        self._next = 0
        self._exhausted_at = -_RESCAN_S
        self._warned = False
        self._dir = _lock_dir(self._wanted_dir) if self._wanted_dir is not None else None
        if self._wanted_dir is not None and self._dir is None:
            log.warning("r1 sandbox: %s is unusable; sandbox uids are distinct within this process only",
                        self._wanted_dir)

    @property
    def claimed(self) -> int:
        with self._cond:
            return len(self._claimed)

    @contextlib.contextmanager
    def lease(self) -> Iterator[int]:
        uid = self.acquire()
        try:
            yield uid
        finally:
            self.release(uid)

    def acquire(self) -> int:
        with self._cond:
            while True:
                self._unhold()
                now = time.monotonic()
                if self._free and now - self._free[0][0] >= REUSE_AFTER_S:
                    return self._take(self._free.popleft()[1])
                uid = self._claim(now)
                if uid is not None:
                    return self._take(uid)
                if self._free:  # the range is claimed elsewhere: a resting uid of ours, oldest first
                    return self._take(self._free.popleft()[1])
                if not self._busy and not self._held:  # nothing of ours will come back: share
                    return self._shared()
                self._cond.wait(0.05)

    def release(self, uid: int) -> None:
        with self._cond:
            self._busy.discard(uid)
            if uid in self._claimed and uid not in self._held:
                self._free.append((time.monotonic(), uid))
            self._cond.notify()

    def hold(self, uid: int, paths: Sequence[os.PathLike[str] | str]) -> bool:
        """``uid`` comes back only once none of ``paths`` exists (a run group left to the janitor)."""
        with self._cond:
            if uid not in self._claimed:
                return False
            self._held[uid] = tuple(os.fspath(p) for p in paths)
            return True

    def _take(self, uid: int) -> int:
        self._busy.add(uid)
        return uid

    def _unhold(self) -> None:
        for uid, paths in list(self._held.items()):
            if not any(os.path.exists(p) for p in paths):
                del self._held[uid]
                if uid not in self._busy:
                    self._free.append((time.monotonic() - REUSE_AFTER_S, uid))

    def _claim(self, now: float) -> int | None:
        """A uid of the range nobody (no other process, no other run here) holds, or None."""
        if len(self._claimed) >= self.count or now - self._exhausted_at < _RESCAN_S:
            return None
        for _ in range(self.count):
            uid = self.first + self._next
            self._next = (self._next + 1) % self.count
            if uid in self._claimed:
                continue
            if self._dir is None:
                self._claimed[uid] = -1
                return uid
            try:
                flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
                fd = os.open(self._dir / str(uid), flags, 0o600)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self._claimed[uid] = fd
            return uid
        self._exhausted_at = now
        return None

    def _shared(self) -> int:
        if not self._warned:
            self._warned = True
            log.warning("r1 sandbox: all %d sandbox uids from %d are held by other processes: runs "
                        "share one (raise uid_count)", self.count, self.first)
        return self.first


_pools: dict[tuple[int, int], UidPool] = {}
_pools_lock = threading.Lock()


def uid_pool(first: int, count: int) -> UidPool:
    """The process-wide pool of a range (every sandbox of the process with that range shares it)."""
    with _pools_lock:
        pool = _pools.get((first, count))
        if pool is None:
            pool = _pools[(first, count)] = UidPool(first, count)
        return pool


def hold(uid: int | None, paths: Sequence[os.PathLike[str] | str]) -> None:
    """Keep ``uid`` out of use until ``paths`` are gone (whichever pool lent it)."""
    if uid is None:
        return
    with _pools_lock:
        pools = list(_pools.values())
    for pool in pools:
        if pool.first <= uid < pool.first + pool.count and pool.hold(uid, paths):
            return


def _after_fork() -> None:
    global _pools_lock
    _pools_lock = threading.Lock()
    for pool in _pools.values():
        pool._reset()


os.register_at_fork(after_in_child=_after_fork)
