"""How a dataset is named, wherever one is named (``--dataset``, ``dataset_name:``, mixtures,
``r1 data`` commands): one grammar, read by :func:`parse_dataset_name`.

- ``bundled:<name>`` — a set shipped with r1 (``bundled:math``, ``bundled:ioi`` ...);
- a path to an existing file (``.jsonl``, ``.json``, ``.ndjson``, ``.parquet``, ``.csv``) or
  directory; a name with one of those suffixes that does not exist is an error, not a Hub id;
- anything else is a Hub id, ``org/name``, optionally with a config: ``org/name:config``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from r1_core.errors import ConfigError, DataError

__all__ = ["BUNDLED_PREFIX", "DATA_SUFFIXES", "DatasetName", "parse_dataset_name"]

BUNDLED_PREFIX = "bundled:"
DATA_SUFFIXES = (".jsonl", ".json", ".ndjson", ".parquet", ".csv")


@dataclass(frozen=True)
class DatasetName:
    """A parsed dataset name: ``name`` is the bundled set's name, the path, or the Hub id."""

    kind: Literal["bundled", "file", "dir", "hub"]
    name: str
    config: str | None = None

    @property
    def path(self) -> Path:
        return Path(self.name)


def parse_dataset_name(text: str, config: str | None = None) -> DatasetName:
    """Read ``text`` by the grammar above; ``config`` is a Hub config given apart (``--dataset-config``)."""
    if text.startswith(BUNDLED_PREFIX):
        return DatasetName("bundled", text[len(BUNDLED_PREFIX):])
    path = Path(text)
    if path.is_file():
        return DatasetName("file", text)
    if path.is_dir():
        return DatasetName("dir", text)
    if path.suffix.lower() in DATA_SUFFIXES:
        raise DataError(f"dataset file {text} does not exist", "check the path")
    hub_id, sep, inline = text.partition(":")
    if sep and config is not None and inline != config:
        raise ConfigError(f"dataset {text!r} names config {inline!r} but the dataset config is {config!r}",
                          "give the config once")
    return DatasetName("hub", hub_id, inline or config)
