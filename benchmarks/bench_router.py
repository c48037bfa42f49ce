"""Router overhead: trivial Python executions through `r1 sandbox serve` on loopback vs the local
sandbox called directly, and latency percentiles under 32 concurrent clients.

Both sides use the same local sandbox configuration and the same number of concurrent programs
(one per core); the router runs as its own process, as it would on a worker machine.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import httpx
from r1_core import ExecRequest, Verdict, get_sandbox

N = int(os.environ.get("BENCH_ROUTER_N", "96"))
ROUNDS = int(os.environ.get("BENCH_ROUTER_ROUNDS", "5"))
CLIENTS, CALLS_PER_CLIENT = 32, 4
NAIVE_PROGRAMS = 10


def _requests(n: int, tag: str) -> list[ExecRequest]:
    return [ExecRequest(language="python", source=f"print({i} * 2)", id=f"{tag}{i}") for i in range(n)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_router(port: int, workers: int) -> subprocess.Popen[bytes]:
    log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the router; not a pipe: an unread pipe could fill and stall the router
    proc = subprocess.Popen([sys.executable, "-m", "r1_core.cli", "sandbox", "serve", "--provider", "local",
                             "--port", str(port), "--max-concurrency", str(workers)],
                            stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    log.seek(0)
    raise SystemExit(f"router did not start: {log.read().decode(errors='replace')[-2000:]}")


def _throughput(sandbox, tag: str) -> float:
    reqs = _requests(N, tag)
    start = time.perf_counter()
    results = sandbox.run(reqs)
    elapsed = time.perf_counter() - start
    bad = [r for r in results if r.verdict != Verdict.OK]
    if bad:
        raise SystemExit(f"{tag}: {len(bad)} executions failed, e.g. {bad[0]}")
    if [r.stdout for r in results] != [f"{i * 2}\n" for i in range(N)]:
        raise SystemExit(f"{tag}: results out of order")
    return N / elapsed


def _load_test(url: str) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        sandbox = get_sandbox("router", urls=[url])
        for c in range(CALLS_PER_CLIENT):
            start = time.perf_counter()
            (result,) = sandbox.run(_requests(1, f"c{k}.{c}."))
            took = time.perf_counter() - start
            assert result.verdict == Verdict.OK and result.stdout == "0\n", result
            with lock:
                latencies.append(took)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(latencies)


def _naive_burst(url: str) -> tuple[dict[int, int], int, float]:
    """32 clients that send 10 programs each in one POST and never retry (as open-r1's router
    clients): HTTP statuses, correct results, seconds until the last answer."""
    statuses: dict[int, int] = {}
    correct = 0
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS)

    def client(k: int) -> None:
        nonlocal correct
        reqs = _requests(NAIVE_PROGRAMS, f"n{k}.")
        barrier.wait()
        resp = httpx.post(f"{url}/v1/execute", timeout=300,
                          json={"requests": [r.model_dump(mode="json") for r in reqs]})
        good = 0
        if resp.status_code == 200:
            results = resp.json()["results"]
            good = sum(r["verdict"] == "OK" and r["stdout"] == f"{i * 2}\n" for i, r in enumerate(results))
        with lock:
            statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
            correct += good

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses, correct, time.perf_counter() - start


def _single_call_ms(sandbox, tag: str, calls: int = 20) -> float:
    """Median latency of one execution when nothing else is queued (the router's own cost)."""
    took = []
    for c in range(calls):
        start = time.perf_counter()
        (result,) = sandbox.run(_requests(1, f"{tag}{c}."))
        took.append(time.perf_counter() - start)
        assert result.verdict == Verdict.OK, result
    return statistics.median(took) * 1000


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    workers = os.cpu_count() or 1
    local = get_sandbox("local", max_workers=workers)
    port = _free_port()
    proc = _start_router(port, workers)
    url = f"http://127.0.0.1:{port}"
    try:
        router = get_sandbox("router", urls=[url], chunk_size=16)
        _throughput(local, "warm-local")  # compile caches, PCH, interpreter pages
        _throughput(router, "warm-router")
        direct, routed = [], []
        for r in range(ROUNDS):  # interleaved so machine noise hits both sides alike
            direct.append(_throughput(local, f"d{r}."))
            routed.append(_throughput(router, f"r{r}."))
        idle_direct, idle_routed = _single_call_ms(local, "sd"), _single_call_ms(router, "sr")
        latencies = _load_test(url)
        burst_statuses, burst_correct, burst_s = _naive_burst(url)
        health = httpx.get(f"{url}/health").json()
    finally:
        proc.terminate()
        proc.wait(20)
        local.close()
    d, r = statistics.median(direct), statistics.median(routed)
    ratio = statistics.median(x / y for x, y in zip(routed, direct, strict=True))
    print("## Router overhead (`r1 sandbox serve` on loopback vs the local sandbox directly)\n")
    print(f"{N} trivial Python executions per batch, {workers} concurrent programs on both sides, "
          f"median of {ROUNDS} interleaved rounds; tier `{local.tier}`.\n")
    print("| path | executions/s |")
    print("| --- | ---: |")
    print(f"| local sandbox, direct (baseline) | {d:.1f} |")
    print(f"| router provider → `r1 sandbox serve` → local sandbox | {r:.1f} |")
    print(f"\n**Router throughput = {ratio:.0%} of direct** (median of per-round ratios; target ≥ 80%).\n")
    print("One execution on an idle router, median of 20 calls: "
          f"direct {idle_direct:.0f} ms, through the router {idle_routed:.0f} ms "
          f"(+{idle_routed - idle_direct:.0f} ms: HTTP, JSON, health check).\n")
    print(f"Load test: {CLIENTS} concurrent clients × {CALLS_PER_CLIENT} single-execution calls "
          f"({len(latencies)} calls) on {workers} workers, latency per call (mostly queueing: "
          f"{CLIENTS} callers share {workers} workers):\n")
    print("| p50 | p90 | p99 | max |")
    print("| ---: | ---: | ---: | ---: |")
    print(" | ".join(["", *(f"{_pct(latencies, q) * 1000:.0f} ms" for q in (0.5, 0.9, 0.99)),
                      f"{latencies[-1] * 1000:.0f} ms", ""]).strip())
    total = CLIENTS * NAIVE_PROGRAMS
    shown = ", ".join(f"{code}: {n}" for code, n in sorted(burst_statuses.items()))
    print(f"\nNaive burst at the default router size (capacity {health['capacity']} executions, "
          f"{health['queue_bytes'] / 2**20:.0f} MiB of pending requests): {CLIENTS} clients each POST "
          f"{NAIVE_PROGRAMS} programs at once and never retry, as open-r1's router clients do. HTTP "
          f"statuses {{{shown}}}; **{burst_correct}/{total} results correct** in {burst_s:.1f} s "
          f"(target: all; the old default of 32 × concurrency refused most of these batches with 429).")


if __name__ == "__main__":
    main()
