"""A pool of math-verify worker processes with a hard per-item timeout.

Items are sent in small chunks; each worker answers item by item, so the parent always knows
which item a worker is on and since when. A worker that spends longer than ``timeout_s`` on one
item is killed (SIGKILL) and replaced; that item's outcome is :data:`TIMEOUT` and the rest of its
chunk goes back to the queue. Safe to call from any thread (TRL calls rewards off the main
thread); one batch runs at a time.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
import time
from collections import deque
from multiprocessing.connection import Connection, wait
from typing import Any

__all__ = ["CRASH", "TIMEOUT", "MathTask", "VerifierPool", "default_pool"]

TIMEOUT = "timeout"
CRASH = "error: the verifier process died"
MathTask = tuple[str, str, tuple[str, ...], int]  # gold, answer, boxed, inner timeout (s)
_START_TIMEOUT_S = 120.0


class _Worker:
    def __init__(self) -> None:
        read_parent, write_child = os.pipe()
        read_child, write_parent = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "r1_rewards.math.worker"], stdin=read_child, stdout=write_child,
            stderr=subprocess.DEVNULL, close_fds=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        os.close(read_child)
        os.close(write_child)
        self.inbox = Connection(read_parent, writable=False)
        self.outbox = Connection(write_parent, readable=False)
        self.started = time.monotonic()
        self.ready = False
        self.chunk: deque[int] = deque()
        self.since = 0.0

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for conn in (self.inbox, self.outbox):
            try:
                conn.close()
            except OSError:
                pass


class VerifierPool:
    """``run(tasks, timeout_s)`` → one outcome per task, in order (see ``math.worker``)."""

    def __init__(self, workers: int | None = None) -> None:
        n = workers or int(os.environ.get("R1_MATH_WORKERS", "0") or 0) or os.cpu_count() or 2
        self.size = max(1, n)
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self.kills = 0

    def start(self) -> None:
        """Start the workers now (otherwise the first ``run`` does)."""
        with self._lock:
            self._fill()

    def _fill(self) -> None:
        self._workers = [w for w in self._workers if w.proc.poll() is None]
        while len(self._workers) < self.size:
            self._workers.append(_Worker())

    def close(self) -> None:
        with self._lock:
            for w in self._workers:
                try:
                    w.outbox.send(None)
                except OSError:
                    pass
                w.kill()
            self._workers = []

    def run(self, tasks: list[MathTask], timeout_s: float) -> list[Any]:
        if not tasks:
            return []
        with self._lock:
            self._fill()
            return self._run(tasks, timeout_s)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._workers[self._workers.index(worker)] = _Worker()

    def _dispatch(self, worker: _Worker, pending: deque[int], tasks: list[MathTask]) -> None:
        size = max(1, min(16, len(pending) // (2 * self.size)))
        chunk = [pending.popleft() for _ in range(min(size, len(pending)))]
        try:
            worker.outbox.send([(i, *tasks[i]) for i in chunk])
        except OSError:  # the worker died while idle: its items go back, a new one starts
            pending.extendleft(reversed(chunk))
            self._replace(worker)
            return
        worker.chunk = deque(chunk)
        worker.since = time.monotonic()

    def _run(self, tasks: list[MathTask], timeout_s: float) -> list[Any]:
        results: list[Any] = [None] * len(tasks)
        done = [False] * len(tasks)
        pending: deque[int] = deque(range(len(tasks)))
        remaining = len(tasks)
        while remaining:
            now = time.monotonic()
            for w in list(self._workers):
                if w.ready and not w.chunk and pending:
                    self._dispatch(w, pending, tasks)
            conns = {w.inbox: w for w in self._workers}
            for conn in wait(list(conns), timeout=min(0.5, timeout_s)):
                w = conns[conn]
                try:
                    index, outcome = conn.recv()
                except (EOFError, OSError):
                    remaining -= self._lost(w, CRASH, results, done, pending)
                    continue
                if index == "ready":
                    w.ready = True
                    continue
                if not done[index]:
                    results[index], done[index] = outcome, True
                    remaining -= 1
                if w.chunk and w.chunk[0] == index:
                    w.chunk.popleft()
                w.since = time.monotonic()
            now = time.monotonic()
            for w in list(self._workers):
                if w.chunk and now - w.since > timeout_s:
                    self.kills += 1
                    remaining -= self._lost(w, TIMEOUT, results, done, pending)
                elif not w.ready and now - w.started > _START_TIMEOUT_S:
                    raise RuntimeError("math-verify worker did not start within "
                                       f"{_START_TIMEOUT_S:.0f} s (is math-verify installed?)")
        return results

    def _lost(self, w: _Worker, outcome: str, results: list[Any], done: list[bool],
              pending: deque[int]) -> int:
        """Worker ``w`` is gone: its current item gets ``outcome``, the rest are re-queued."""
        if not w.ready and w.proc.poll() is not None:
            raise RuntimeError("math-verify worker exited at start (is math-verify installed?)")
        settled = 0
        if w.chunk:
            first = w.chunk.popleft()
            if not done[first]:
                results[first], done[first] = outcome, True
                settled = 1
            pending.extendleft(reversed([i for i in w.chunk if not done[i]]))
            w.chunk.clear()
        self._replace(w)
        return settled


_default: VerifierPool | None = None
_default_lock = threading.Lock()


def default_pool() -> VerifierPool:
    """The process-wide pool (started lazily, closed at exit)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = VerifierPool()
            atexit.register(_default.close)
        return _default
