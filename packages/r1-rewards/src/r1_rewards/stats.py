"""Counters of what went wrong inside rewards, so failures are surfaced instead of turned into 0.

Every reward counts its internal errors (``error``), hung verifications (``timeout``), sandbox
failures (``sandbox_error``), skipped samples (``skipped``) and submissions the judge refused
(``rejected``, e.g. Python for a problem with a C++ grader: 0.0). The counts are process-wide
(:data:`reward_stats`), logged as warnings, and forwarded to TRL's ``log_metric`` as
``<reward>/<kind>`` when the trainer passes it.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

__all__ = ["BatchReport", "RewardStats", "reward_stats"]

log = logging.getLogger("r1.rewards")


class RewardStats:
    """Thread-safe process-wide counters: ``(reward, kind) -> count``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()

    def add(self, reward: str, kind: str, n: int = 1) -> None:
        if n:
            with self._lock:
                self._counts[(reward, kind)] += n

    def get(self, reward: str, kind: str) -> int:
        with self._lock:
            return self._counts[(reward, kind)]

    def snapshot(self) -> dict[str, int]:
        """``{"<reward>/<kind>": count}`` for everything counted so far."""
        with self._lock:
            return {f"{r}/{k}": n for (r, k), n in sorted(self._counts.items())}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


reward_stats = RewardStats()


class BatchReport:
    """Collects one call's problems, then counts, warns and logs them in one place."""

    def __init__(self, reward: str, kwargs: dict[str, Any]) -> None:
        self.reward = reward
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, str] = {}
        self._log_metric: Callable[[str, float], None] | None = kwargs.get("log_metric")

    def note(self, kind: str, detail: str = "") -> None:
        self.counts[kind] += 1
        if detail and kind not in self.examples:
            self.examples[kind] = detail[:300]

    def finish(self, n: int) -> None:
        for kind, count in self.counts.items():
            reward_stats.add(self.reward, kind, count)
            log.warning("reward %s: %d of %d samples had %s%s", self.reward, count, n, kind,
                        f" (e.g. {self.examples[kind]})" if kind in self.examples else "")
        if self._log_metric is not None:
            for kind in ("error", "timeout", "sandbox_error"):
                try:
                    self._log_metric(f"{self.reward}/{kind}", float(self.counts.get(kind, 0)))
                except Exception:  # a logging hook must never break scoring
                    log.debug("log_metric failed", exc_info=True)
