"""``r1 data mix``: build a dataset mixture with open-r1's ``dataset_mixture`` semantics.

Each source is loaded (Hub id, local file/dir, ``bundled:<name>``), optionally reduced to
``columns``, and, when it has a ``weight``, shuffled with the seed and cut to the first
``int(len × weight)`` rows — a weight is the fraction of that source kept, not a sampling
probability. The parts are concatenated, shuffled with the seed and split into train/test when
``test_split_size`` is set. The same config drives ``r1 train --config`` (r1-core validates it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from r1_core.config import read_yaml
from r1_core.errors import ConfigError, DataError

__all__ = ["build_mixture", "load_mixture_config"]


def load_mixture_config(path: str | Path) -> Any:
    """The ``dataset_mixture`` of a YAML file (top-level or under ``dataset_mixture:``)."""
    from pydantic import ValidationError
    from r1_core.training.config import DatasetMixture

    data = read_yaml(path)
    data = data.get("dataset_mixture", data) if isinstance(data, dict) else data
    try:
        return DatasetMixture.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "dataset_mixture"
        raise ConfigError(f"invalid mixture in {path}: {loc}: {first['msg']}",
                          "expected datasets: [{id, config, split, columns, weight}], seed, "
                          "test_split_size") from None


def build_mixture(mixture: Any) -> tuple[Any, Any | None, list[dict[str, Any]]]:
    """The mixed train split, the test split (or None) and per-source row counts."""
    import datasets

    bars_were_on = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # per-file "Generating split" bars would bury the result
    try:
        return _build(mixture)
    finally:
        if bars_were_on:
            datasets.enable_progress_bars()


def _build(mixture: Any) -> tuple[Any, Any | None, list[dict[str, Any]]]:
    from datasets import concatenate_datasets
    from r1_core.training.data import load_dataset_named

    parts, counts = [], []
    for src in mixture.datasets:
        part = load_dataset_named(src.id, src.config, src.split)
        if src.columns:
            missing = [c for c in src.columns if c not in part.column_names]
            if missing:
                raise DataError(f"dataset {src.id!r} has no column(s) {', '.join(missing)}",
                                f"it has: {', '.join(part.column_names)}")
            part = part.select_columns(src.columns)
        if src.weight is not None:
            if src.weight < 0:
                raise ConfigError(f"weight of {src.id!r} is negative ({src.weight})",
                                  "use a fraction in [0, 1]")
            part = part.shuffle(seed=mixture.seed).select(range(min(len(part), int(len(part) * src.weight))))
        counts.append({"id": src.id, "config": src.config, "split": src.split, "weight": src.weight,
                       "rows": len(part)})
        parts.append(part)
    first = parts[0].column_names
    for src, part in zip(mixture.datasets[1:], parts[1:], strict=True):
        if set(part.column_names) != set(first):
            raise DataError(f"mixture sources have different columns: {mixture.datasets[0].id!r} has "
                            f"{sorted(first)}, {src.id!r} has {sorted(part.column_names)}",
                            "select the same columns in every source with `columns:`")
    try:
        mixed = concatenate_datasets(parts).shuffle(seed=mixture.seed)
    except ValueError as exc:
        raise DataError(f"the datasets of the mixture have different columns: {exc}",
                        "select the same columns in every source with `columns:`") from None
    if mixture.test_split_size:
        split = mixed.train_test_split(test_size=mixture.test_split_size, seed=mixture.seed)
        return split["train"], split["test"], counts
    return mixed, None, counts
