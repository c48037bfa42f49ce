"""Decontamination throughput: r1's hashed, parallel n-gram matcher vs per-row set intersection.

100,000 synthetic training rows (40-160 words, Zipf-like vocabulary, 1% with a planted 8-gram
copied from a benchmark) against three MATH-500-sized benchmarks (500 texts each). Both sides
normalise text the same way and must flag exactly the same rows.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import time

from r1_cli.data.decontaminate import find_contamination

ROWS, BENCH_ROWS, N = 100_000, 500, 8


def corpus(seed: int = 0) -> tuple[list[str], dict[str, list[str]]]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(20_000)] + ["the", "of", "a", "is", "$x$", "let", "find", "sum,"]
    cum = list(itertools.accumulate(1 / (i + 1) for i in range(len(vocab))))

    def text(k: int) -> str:
        return " ".join(rng.choices(vocab, cum_weights=cum, k=k)).capitalize() + "."

    benches = {f"bench{b}": [text(rng.randint(20, 120)) for _ in range(BENCH_ROWS)] for b in range(3)}
    rows = []
    for _ in range(ROWS):
        row = text(rng.randint(40, 160))
        if rng.random() < 0.01:
            src = rng.choice(rng.choice(list(benches.values()))).split()
            start = rng.randint(0, max(0, len(src) - N))
            row += " " + " ".join(src[start:start + N]).upper()
        rows.append(row)
    return rows, benches


def baseline(rows: list[str], benches: dict[str, list[str]]) -> dict[str, list[int]]:
    """The straightforward way: a set of n-gram tuples per row, intersected with each benchmark's."""
    punct = re.compile(r"[^\w\s]")

    def grams(text: str) -> set[tuple[str, ...]]:
        w = punct.sub(" ", text.lower()).split()
        return {tuple(w[i:i + N]) for i in range(len(w) - N + 1)}

    bench_sets = {name: set().union(*(grams(t) for t in texts)) for name, texts in benches.items()}
    out: dict[str, list[int]] = {name: [] for name in benches}
    for i, row in enumerate(rows):
        g = grams(row)
        for name, bs in bench_sets.items():
            if not g.isdisjoint(bs):
                out[name].append(i)
    return out


def best_of(repeats: int, fn):
    """Fastest of a few runs: on a shared machine the minimum is the least disturbed measurement."""
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    rows, benches = corpus()
    t_base, base = best_of(2, lambda: baseline(rows, benches))
    timings = {}
    for workers in sorted({1, 2, os.cpu_count() or 1}):
        run = lambda w=workers: find_contamination(rows, benches, n=N, workers=w)  # noqa: E731
        timings[workers], ours = best_of(3, run)
        assert ours.by_benchmark == base, "flags differ from the baseline"
    flagged = len(set().union(*map(set, base.values())))
    print("## Decontamination: 100,000 rows vs 3 × 500-text benchmarks, 8-grams\n")
    print(f"{flagged} rows flagged by both implementations (identical flags per benchmark). "
          "Best of 2 (baseline) / 3 (r1) runs.\n")
    print("| implementation | seconds | rows/s | speed-up |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| per-row set intersection (baseline) | {t_base:.2f} | {ROWS / t_base:,.0f} | 1.0× |")
    for workers, t in timings.items():
        print(f"| r1 `find_contamination`, {workers} process(es) | {t:.2f} | {ROWS / t:,.0f} | "
              f"{t_base / t:.1f}× |")


if __name__ == "__main__":
    main()
