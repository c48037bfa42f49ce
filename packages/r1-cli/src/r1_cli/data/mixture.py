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

from r1_core.config_parsing import read_yaml
from r1_core.errors import ConfigError
from r1_core.training.data import build_mixture

__all__ = ["build_mixture", "load_mixture_config"]


def load_mixture_config(path: str | Path) -> Any:
    """The ``dataset_mixture`` of a YAML file (top-level or under ``dataset_mixture:``)."""
    from pydantic import ValidationError
    from r1_core.training.options import DatasetMixture

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
