"""The router's core: admission control, bounded concurrency and metrics around any Sandbox.

Kept free of FastAPI so it can be driven directly (tests, benchmarks, other front ends). Capacity
is counted in executions, not HTTP requests (a batch of 64 counts 64), and in **bytes**: what
the waiting requests hold (source, stdin, files, args) plus the results finished but not yet
answered. The default admits several trainer bursts at once (one GRPO step of 16 prompts × 16
generations × 10 tests is 2,560 programs; open-r1's router clients do not retry a 429, so a
refused batch becomes a reward of 0): the count bound is :data:`DEFAULT_QUEUE_SIZE` and the
byte bound (:func:`default_queue_bytes`) is what really protects the machine, so 429 means true
overload — memory the router would have to hold — not a busy minute.

Flags from a request are checked against the compile-flag allow-list before anything is
admitted (:class:`InvalidRequestError`, HTTP 422), whatever the provider behind the router.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections import Counter
from collections.abc import Sequence

from r1_core.errors import SandboxError
from r1_core.protocols import (
    ExecRequest,
    ExecResult,
    Sandbox,
    SandboxWithInFlightLimit,
    SandboxWithTier,
    Verdict,
)

from r1_sandbox.compile_flags import check_requests

__all__ = ["DEFAULT_QUEUE_SIZE", "BatchTooLargeError", "ExecutionService", "InvalidRequestError",
           "QueueFullError", "default_queue_bytes", "request_bytes", "result_bytes"]

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
MAX_WAIT_S = 3600.0
TRAINER_BURST = 16 * 16 * 10  # one GRPO step: 16 prompts x 16 generations x 10 tests
DEFAULT_QUEUE_SIZE = 16_384  # executions waiting: six such bursts; the byte bound comes first
REQUEST_OVERHEAD_BYTES = 4096  # per admitted execution: its objects, task and future


def default_queue_bytes() -> int:
    """Bytes of pending requests (and unanswered results) a router holds at most by default: an
    eighth of this machine's memory, between 64 MiB and 1 GiB."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (OSError, ValueError):
        total = 8 << 30
    return max(64 << 20, min(1 << 30, total // 8))


def request_bytes(request: ExecRequest) -> int:
    """What a waiting request holds (characters of its texts, plus a fixed overhead)."""
    return (REQUEST_OVERHEAD_BYTES + len(request.source) + len(request.stdin)
            + sum(len(k) + len(v) for k, v in request.files.items()) + sum(map(len, request.args))
            + sum(map(len, request.read_files)) + sum(map(len, request.compile_flags or ())))


def result_bytes(result: ExecResult) -> int:
    """What a finished result holds until its batch is answered."""
    return (len(result.stdout) + len(result.stderr) + len(result.compile_output) + len(result.message)
            + sum(len(k) + len(v) for k, v in result.files.items()))


class QueueFullError(Exception):
    """The batch does not fit in the free queue now, by count or bytes (HTTP 429)."""


class BatchTooLargeError(Exception):
    """The batch is larger than the whole capacity and could never be admitted (HTTP 413)."""


class InvalidRequestError(Exception):
    """A request the router refuses to run at all, e.g. a compile flag off the allow-list (HTTP 422)."""


class _Histogram:
    def __init__(self, buckets: Sequence[float]) -> None:
        self.buckets = tuple(buckets)
        self.counts = [0] * len(self.buckets)
        self.total = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.total += 1
        self.sum += value
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1


class ExecutionService:
    """Runs requests on ``sandbox`` with at most ``max_concurrency`` at once and ``queue_size`` waiting.

    Args:
        sandbox: any provider implementing :class:`r1_core.Sandbox`.
        max_concurrency: executions running at the same time (a provider that is a
            :class:`~r1_core.protocols.SandboxWithInFlightLimit`, like the local sandbox, bounds its
            programs itself and gets up to its ``in_flight_limit`` calls at once).
        queue_size: executions admitted but waiting for a slot (default :data:`DEFAULT_QUEUE_SIZE`).
        queue_bytes: bytes the admitted requests and their unanswered results may hold (default
            :func:`default_queue_bytes`); beyond either bound, batches are refused (429).
        grace_s: added to each request's wall limit to bound the provider call (compilation,
            provider start-up); a provider that overruns it yields ``SE``, never a hang.
    """

    def __init__(self, sandbox: Sandbox, *, max_concurrency: int, queue_size: int | None = None,
                 queue_bytes: int | None = None, grace_s: float = 30.0) -> None:
        queue_size = DEFAULT_QUEUE_SIZE if queue_size is None else queue_size
        queue_bytes = default_queue_bytes() if queue_bytes is None else queue_bytes
        if max_concurrency < 1 or queue_size < 0 or queue_bytes < 1:
            raise ValueError("max_concurrency must be >= 1, queue_size >= 0 and queue_bytes >= 1")
        self.sandbox = sandbox
        self.max_concurrency = max_concurrency
        self.queue_size = queue_size
        self.queue_bytes = queue_bytes
        self.grace_s = grace_s
        self.pending = 0  # admitted and not finished (running + waiting)
        self.pending_bytes = 0  # held by admitted requests and by their results not yet answered
        self.running = 0
        self.rejected = 0
        self.verdicts: Counter[str] = Counter()
        self.latency = _Histogram(LATENCY_BUCKETS_S)
        # a provider that bounds its programs itself (the local sandbox) may say how many calls are
        # worth having in flight: its next sandboxes are built while the current programs run
        self.in_flight = max_concurrency
        if isinstance(sandbox, SandboxWithInFlightLimit):
            self.in_flight = max(max_concurrency, int(sandbox.in_flight_limit))
        self._slots = asyncio.Semaphore(self.in_flight)
        self._walls: Counter[float] = Counter()  # wall limits of the calls in the provider now
        self.started = time.time()

    @property
    def capacity(self) -> int:
        return self.max_concurrency + self.queue_size

    @property
    def queue_depth(self) -> int:
        return self.pending - self.running

    @property
    def provider(self) -> str:
        return str(getattr(self.sandbox, "name", type(self.sandbox).__name__))

    @property
    def tier(self) -> str:
        return self.sandbox.tier if isinstance(self.sandbox, SandboxWithTier) else ""

    def admit(self, n: int, nbytes: int = 0) -> None:
        """Reserve ``n`` executions holding ``nbytes`` or raise; admission is all-or-nothing so a
        batch never half-runs."""
        if n > self.capacity or nbytes > self.queue_bytes:
            self.rejected += 1
            raise BatchTooLargeError(
                f"batch of {n} executions ({nbytes / 2**20:.1f} MiB) exceeds this router's capacity of "
                f"{self.capacity} executions and {self.queue_bytes / 2**20:.0f} MiB; split it "
                "(GET /health reports capacity and queue_bytes)")
        if self.pending + n > self.capacity or self.pending_bytes + nbytes > self.queue_bytes:
            self.rejected += 1
            raise QueueFullError(f"queue full: {self.pending} executions pending (capacity "
                                 f"{self.capacity}), {self.pending_bytes / 2**20:.1f} of "
                                 f"{self.queue_bytes / 2**20:.0f} MiB held")
        self.pending += n
        self.pending_bytes += nbytes

    def validate(self, requests: Sequence[ExecRequest]) -> None:
        """Refuse requests that must not run anywhere (compile flags off the allow-list)."""
        try:
            check_requests(requests)
        except SandboxError as exc:
            self.rejected += 1
            raise InvalidRequestError(str(exc)) from None

    def submit(self, requests: Sequence[ExecRequest]) -> asyncio.Task[list[ExecResult]]:
        """Validate and admit a batch now (raising if it is refused), then run it in a task."""
        self.validate(requests)
        sizes = [request_bytes(r) for r in requests]
        self.admit(len(requests), sum(sizes))
        return asyncio.ensure_future(self._run_batch(requests, sizes))

    async def execute(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        """Admit and run a batch; results come back in request order."""
        return await self.submit(requests)

    async def _run_batch(self, requests: Sequence[ExecRequest], sizes: list[int]) -> list[ExecResult]:
        held = [0]  # results finished and waiting for the rest of their batch
        try:
            return list(await asyncio.gather(*(self._run_admitted(r, n, held) for r, n in zip(
                requests, sizes, strict=True))))
        finally:
            self.pending_bytes -= held[0]

    async def _run_admitted(self, request: ExecRequest, nbytes: int, held: list[int]) -> ExecResult:
        start = time.perf_counter()
        try:
            async with self._slots:
                self.running += 1
                try:
                    result = await self._call_provider(request)
                finally:
                    self.running -= 1
        finally:
            self.pending -= 1
            self.pending_bytes -= nbytes
        size = result_bytes(result)
        held[0] += size
        self.pending_bytes += size
        self.verdicts[str(result.verdict)] += 1
        self.latency.observe(time.perf_counter() - start)
        if result.id is None and request.id is not None:
            result = result.model_copy(update={"id": request.id})
        return result

    async def _call_provider(self, request: ExecRequest) -> ExecResult:
        wall = request.effective_wall_limit_s
        limit = wall + self.grace_s
        if self.in_flight > self.max_concurrency and self._walls:
            limit += max(self._walls)  # it may first wait inside the provider for a program to end
        timeout = limit if math.isfinite(limit) else MAX_WAIT_S
        self._walls[wall] += 1
        try:
            results = await asyncio.wait_for(self.sandbox.arun([request]), min(timeout, MAX_WAIT_S))
            if len(results) != 1:
                raise RuntimeError(f"provider returned {len(results)} results for 1 request")
            return results[0]
        except TimeoutError:
            return self._system_error(request, f"provider did not answer within {timeout:.0f} s")
        except Exception as exc:  # a provider bug must not take the router down
            message = f"provider {self.provider} failed: {type(exc).__name__}: {exc}"
            return self._system_error(request, message)
        finally:
            self._walls[wall] -= 1
            if not self._walls[wall]:
                del self._walls[wall]

    def _system_error(self, request: ExecRequest, message: str) -> ExecResult:
        return ExecResult(verdict=Verdict.SE, message=message, provider=self.provider, id=request.id)

    def health(self) -> dict[str, object]:
        return {
            "status": "ok",
            "provider": self.provider,
            "tier": self.tier,
            "capacity": self.capacity,
            "max_concurrency": self.max_concurrency,
            "queue_size": self.queue_size,
            "queue_bytes": self.queue_bytes,
            "pending_bytes": self.pending_bytes,
            "running": self.running,
            "queue_depth": self.queue_depth,
            "executions_total": sum(self.verdicts.values()),
            "uptime_s": round(time.time() - self.started, 3),
        }

    def prometheus(self) -> str:
        """Prometheus text exposition (format 0.0.4)."""
        lines = [
            "# HELP r1_executions_total Executions finished, by verdict.",
            "# TYPE r1_executions_total counter",
        ]
        for verdict in Verdict:
            lines.append(f'r1_executions_total{{verdict="{verdict}"}} {self.verdicts.get(str(verdict), 0)}')
        lines += ["# HELP r1_execution_seconds Time from admission to result, per execution.",
                  "# TYPE r1_execution_seconds histogram"]
        for bound, count in zip(self.latency.buckets, self.latency.counts, strict=True):
            lines.append(f'r1_execution_seconds_bucket{{le="{bound}"}} {count}')
        lines += [f'r1_execution_seconds_bucket{{le="+Inf"}} {self.latency.total}',
                  f"r1_execution_seconds_sum {self.latency.sum:.6f}",
                  f"r1_execution_seconds_count {self.latency.total}"]
        gauges = {
            "r1_queue_depth": ("Executions admitted and waiting for a slot.", self.queue_depth),
            "r1_running": ("Executions running now.", self.running),
            "r1_capacity": ("Executions the router admits at once (running + queued).", self.capacity),
            "r1_pending_bytes": ("Bytes held by admitted requests and unanswered results.",
                                 self.pending_bytes),
            "r1_capacity_bytes": ("Bytes the router holds at most before answering 429.", self.queue_bytes),
        }
        for name, (help_text, value) in gauges.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value}"]
        lines += ["# HELP r1_rejected_total Batches refused: queue full or too small, or invalid (422).",
                  "# TYPE r1_rejected_total counter", f"r1_rejected_total {self.rejected}"]
        return "\n".join(lines) + "\n"
