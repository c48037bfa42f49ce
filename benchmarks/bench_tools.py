"""Tool calls of the ``python`` environment: a warm episode session vs a fresh sandbox run.

Prints a Markdown section. Side by side in one process, interleaved in rounds (the machine may be
shared): the latency of ``print(1)`` as a tool call in a warm session (the episode's interpreter
already running) and as a fresh run of the local sandbox (what a stateless tool would pay), the
cost of an episode's first call (the session starts), and tool calls per second with several
episodes calling at once. Target (issue 17): warm ≤ 0.5 × fresh.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from r1_core import get_environment
from r1_core.protocols import ExecRequest
from r1_sandbox.local import LocalSandbox
from r1_sandbox.session import LocalPythonSession

ROUNDS = 5
FRESH_PER_ROUND = 10
WARM_PER_ROUND = 50
STARTS = 10
THROUGHPUT_CALLS = 200


def fresh_call(sb: LocalSandbox) -> float:
    t = time.perf_counter()
    res = sb.run([ExecRequest(language="python", source="print(1)")])[0]
    assert res.verdict.value == "OK" and res.stdout == "1\n", res
    return time.perf_counter() - t


def warm_call(session: LocalPythonSession) -> float:
    t = time.perf_counter()
    res = session.run("print(1)")
    assert res.ok and res.output == "1\n", res
    return time.perf_counter() - t


def first_call(sb: LocalSandbox) -> float:
    with LocalPythonSession(sb) as s:
        return warm_call(s)


def prestarted_first_call(sb: LocalSandbox) -> float:
    """The first call of an episode whose session was launched at reset, 0.3 s of "generation" ago."""
    with LocalPythonSession(sb) as s:
        s.prestart()
        time.sleep(0.3)
        return warm_call(s)


def throughput(episodes: int) -> float:
    """Tool calls per second with ``episodes`` episodes calling at once (warm sessions)."""
    env = get_environment("python", max_calls=THROUGHPUT_CALLS + 1, episode_time_s=1e6)
    eps = [env() for _ in range(episodes)]
    for ep in eps:
        ep.reset()
        ep.python(code="x = 0")
    per = THROUGHPUT_CALLS // episodes

    def work(ep) -> None:
        for _ in range(per):
            out = ep.python(code="x += 1\nprint(x)")
            assert not out.startswith("Traceback"), out

    t = time.perf_counter()
    with ThreadPoolExecutor(episodes) as pool:
        list(pool.map(work, eps))
    elapsed = time.perf_counter() - t
    for ep in eps:
        ep._close()
    return per * episodes / elapsed


def main() -> int:
    sb = LocalSandbox()
    session = LocalPythonSession(sb)
    warm_call(session)
    fresh_call(sb)
    fresh: list[float] = []
    warm: list[float] = []
    for _ in range(ROUNDS):
        fresh += [fresh_call(sb) for _ in range(FRESH_PER_ROUND)]
        warm += [warm_call(session) for _ in range(WARM_PER_ROUND)]
    session.close()
    starts = [first_call(sb) for _ in range(STARTS)]
    prestarted = [prestarted_first_call(sb) for _ in range(STARTS)]
    rates = {n: throughput(n) for n in (1, 2, 4)}
    f, w, s = statistics.median(fresh), statistics.median(warm), statistics.median(starts)
    ratio = w / f
    ok = "yes" if ratio <= 0.5 else "NO"
    print("## bench_tools — python tool calls: warm episode session vs fresh sandbox run\n")
    print(f"Machine: {os.cpu_count()} cores; tier {sb.tier}. Medians of {len(fresh)} fresh and "
          f"{len(warm)} warm "
          f"calls of `print(1)`, interleaved in {ROUNDS} rounds.\n")
    print("| measure | value |")
    print("|---|---|")
    print(f"| fresh sandbox run of `print(1)` | {f * 1000:.1f} ms |")
    print(f"| warm session call of `print(1)` | {w * 1000:.2f} ms |")
    print(f"| warm / fresh (target ≤ 0.5) | {ratio:.3f} ({ok}) |")
    print(f"| first call of an episode (session start + call) | {s * 1000:.1f} ms |")
    print(f"| first call, session prestarted at reset (`prestart=True`) | "
          f"{statistics.median(prestarted) * 1000:.2f} ms |")
    for n, rate in rates.items():
        print(f"| tool calls/s, {n} episode(s) calling at once | {rate:.0f} |")
    print()
    sb.close()
    return 0 if ratio <= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
