"""``r1 data filter-pass-rate``: keep prompts a model solves sometimes but not always.

For each row, ``N`` completions are generated and scored with the rewards; the row's pass rate
is the mean reward over its completions (with several rewards, the mean of their means; ``None``
rewards are ignored). Rows with ``min < pass_rate < max`` (strict, as in open-r1) are kept —
those carry a learning signal for GRPO.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from r1_core.api import get_reward
from r1_core.errors import ConfigError, R1Error
from r1_core.reward_call import call_reward

from r1_cli.generation import Generator, SamplingParams

__all__ = ["filter_by_pass_rate", "pass_rates"]


def _nanmean(values: Sequence[float]) -> float:
    real = [v for v in values if not math.isnan(v)]
    return sum(real) / len(real) if real else math.nan


def pass_rates(rows: Sequence[dict[str, Any]], conversations: Sequence[list[dict[str, str]]],
               generator: Generator, params: SamplingParams,
               rewards: Sequence[str] | Mapping[str, Callable[..., Any]],
               progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """Each row plus ``pass_rate_generations``, ``pass_rate_rewards`` (per completion) and
    ``pass_rate``."""
    if not rewards:
        raise ConfigError("filter-pass-rate needs at least one --reward", "e.g. --reward accuracy")
    fns = dict(rewards) if isinstance(rewards, Mapping) else {name: get_reward(name) for name in rewards}
    outputs = generator.generate(conversations, params, progress)
    annotated = []
    for row, conv, outs in zip(rows, conversations, outputs, strict=True):
        texts = [c.text for c in outs]
        k = len(texts)
        columns = {key: [value] * k for key, value in row.items()
                   if key not in ("prompts", "completions", "completion_ids")}
        per_reward = []
        for name, fn in fns.items():
            values = call_reward(fn, prompts=[conv] * k, completions=texts, **columns)
            if len(values) != k:
                raise R1Error(f"reward {name!r} returned {len(values)} values for {k} completions",
                              "a reward returns one float or None per completion")
            per_reward.append([math.nan if v is None else float(v) for v in values])
        per_completion = [_nanmean(vals) for vals in zip(*per_reward, strict=True)]
        rate = _nanmean(per_completion)
        annotated.append({**row, "pass_rate_generations": texts,
                          "pass_rate_rewards": [None if math.isnan(v) else v for v in per_completion],
                          "pass_rate": None if math.isnan(rate) else rate})
    return annotated


def filter_by_pass_rate(annotated: Sequence[dict[str, Any]], low: float, high: float) -> list[dict[str, Any]]:
    """Rows whose pass rate lies strictly between ``low`` and ``high``."""
    if not 0 <= low <= high <= 1:
        raise ConfigError(f"need 0 <= --min <= --max <= 1 (got {low}, {high})", "e.g. --min 0.1 --max 0.9")
    return [r for r in annotated if r["pass_rate"] is not None and low < r["pass_rate"] < high]
