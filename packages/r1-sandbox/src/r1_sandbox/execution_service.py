"""The router's core: admission control, bounded concurrency and metrics around any Sandbox.

Kept free of FastAPI so it can be driven directly (tests, benchmarks, other front ends). The unit
of capacity is one execution, not one HTTP request: a batch of 64 counts 64 against the queue, so
back-pressure stays global however trainers batch their work (open-r1's routers only bounded
sandboxes, never the waiting line).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Sequence

from r1_core.protocols import ExecRequest, ExecResult, Sandbox, Verdict

__all__ = ["BatchTooLargeError", "ExecutionService", "QueueFullError"]

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
MAX_WAIT_S = 3600.0


class QueueFullError(Exception):
    """The batch does not fit in the free queue slots now (HTTP 429)."""


class BatchTooLargeError(Exception):
    """The batch is larger than the whole capacity and could never be admitted (HTTP 413)."""


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
        max_concurrency: executions running at the same time (a provider with an ``in_flight_limit``,
            like the local sandbox, bounds its programs itself and gets that many calls at once).
        queue_size: executions admitted but waiting for a slot; beyond that, batches are refused.
        grace_s: added to each request's wall limit to bound the provider call (compilation,
            provider start-up); a provider that overruns it yields ``SE``, never a hang.
    """

    def __init__(self, sandbox: Sandbox, *, max_concurrency: int, queue_size: int,
                 grace_s: float = 30.0) -> None:
        if max_concurrency < 1 or queue_size < 0:
            raise ValueError("max_concurrency must be >= 1 and queue_size >= 0")
        self.sandbox = sandbox
        self.max_concurrency = max_concurrency
        self.queue_size = queue_size
        self.grace_s = grace_s
        self.pending = 0  # admitted and not finished (running + waiting)
        self.running = 0
        self.rejected = 0
        self.verdicts: Counter[str] = Counter()
        self.latency = _Histogram(LATENCY_BUCKETS_S)
        # a provider that bounds its programs itself (the local sandbox) may say how many calls are
        # worth having in flight: its next sandboxes are built while the current programs run
        advertised = getattr(sandbox, "in_flight_limit", None)
        self.in_flight = max(max_concurrency, advertised) if isinstance(advertised, int) else max_concurrency
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
        return str(getattr(self.sandbox, "tier", "") or "")

    def admit(self, n: int) -> None:
        """Reserve ``n`` slots or raise; admission is all-or-nothing so a batch never half-runs."""
        if n > self.capacity:
            self.rejected += 1
            raise BatchTooLargeError(f"batch of {n} exceeds this router's capacity of {self.capacity}; "
                                     "split it (GET /health reports capacity)")
        if self.pending + n > self.capacity:
            self.rejected += 1
            raise QueueFullError(f"queue full: {self.pending} pending, capacity {self.capacity}")
        self.pending += n

    async def execute(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        """Admit and run a batch; results come back in request order."""
        self.admit(len(requests))
        return list(await asyncio.gather(*(self._run_admitted(r) for r in requests)))

    async def _run_admitted(self, request: ExecRequest) -> ExecResult:
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
        return ExecResult(verdict=Verdict.SE, message=message, provider=self.provider, tier=self.tier,
                          id=request.id)

    def health(self) -> dict[str, object]:
        return {
            "status": "ok",
            "provider": self.provider,
            "tier": self.tier,
            "capacity": self.capacity,
            "max_concurrency": self.max_concurrency,
            "queue_size": self.queue_size,
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
        }
        for name, (help_text, value) in gauges.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value}"]
        lines += ["# HELP r1_rejected_total Batches refused because the queue was full or too small.",
                  "# TYPE r1_rejected_total counter", f"r1_rejected_total {self.rejected}"]
        return "\n".join(lines) + "\n"
