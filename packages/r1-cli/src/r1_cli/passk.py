"""pass@k with the unbiased estimator (Chen et al. 2021) and a bootstrap confidence interval."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["CI_METHOD", "pass_at_k", "summarize"]

CI_METHOD = "percentile bootstrap over problems, 2000 resamples, seed 0"


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of ``k`` samples drawn without replacement from ``n``
    samples, ``c`` of them correct, is correct: ``1 - C(n-c, k) / C(n, k)``.

    Computed as a running product so large ``n`` neither overflows nor loses precision.
    """
    if not 0 < k <= n:
        raise ValueError(f"k must be in 1..n (n={n}, k={k})")
    if not 0 <= c <= n:
        raise ValueError(f"c must be in 0..n (n={n}, c={c})")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def _per_problem(counts: Sequence[tuple[int, int]], k: int) -> np.ndarray:
    return np.array([pass_at_k(n, c, k) for n, c in counts], dtype=float)


def _bootstrap(values: np.ndarray, resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    if len(values) < 2:
        return float(values.mean()), float(values.mean())
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(values), size=(resamples, len(values)))
    means = values[idx].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def summarize(counts: Sequence[tuple[int, int]]) -> dict[str, dict[str, object]]:
    """pass@k for every k up to the smallest per-problem sample count, with a 95% interval.

    ``counts`` holds ``(n, c)`` per problem: samples drawn and samples correct. Returns
    ``{"pass@1": {"value": .., "ci95": [lo, hi]}, ...}``.
    """
    out: dict[str, dict[str, object]] = {}
    if not counts:
        return out
    max_k = min(n for n, _ in counts)
    for k in range(1, max_k + 1):
        values = _per_problem(counts, k)
        lo, hi = _bootstrap(values)
        out[f"pass@{k}"] = {"value": float(values.mean()), "ci95": [lo, hi]}
    return out
