"""Where a benchmark's rows come from: the Hub when reachable, else the sample bundled with r1.

Offline detection is :func:`r1_core.hub.hub_reachable` (environment switches, then one short probe).
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

from r1_core.errors import DataError, MissingExtraError
from r1_core.hub import hub_reachable

__all__ = ["HubSource", "load_rows", "read_sample"]


@dataclass(frozen=True)
class HubSource:
    """A Hub dataset split, as lighteval reads it, plus the bundled sample's file name."""

    dataset: str
    split: str
    sample: str
    config: str | None = None
    revision: str | None = None
    data_files: tuple[str, ...] = field(default=())

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, ())}


def read_sample(name: str) -> tuple[list[dict[str, Any]], str]:
    """Rows of a bundled sample and the sha256 of its file (the sample's revision)."""
    data = resources.files("r1_cli.samples").joinpath(name).read_bytes()
    rows = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    return rows, hashlib.sha256(data).hexdigest()


def _load_hub(src: HubSource) -> tuple[list[dict[str, Any]], str | None]:
    try:
        import datasets
    except ImportError:
        raise MissingExtraError("datasets", "datasets>=3") from None
    try:
        if src.data_files:
            files = [f"hf://datasets/{src.dataset}@{src.revision or 'main'}/{f}" for f in src.data_files]
            ds = datasets.load_dataset("json", data_files=files, split="train")
        else:
            ds = datasets.load_dataset(src.dataset, src.config, split=src.split, revision=src.revision)
    except Exception as exc:  # gated, renamed, or network failure mid-way
        raise DataError(f"cannot load {src.dataset} from the Hub: {type(exc).__name__}: {exc}",
                        "log in with `hf auth login` for gated sets, or pass --offline to use the "
                        "bundled sample") from None
    return [dict(r) for r in ds], _hub_sha(src)


def _hub_sha(src: HubSource) -> str | None:
    try:
        from huggingface_hub import HfApi

        return HfApi().dataset_info(src.dataset, revision=src.revision).sha
    except Exception:  # the revision is informative; never fail a load over it
        return src.revision


def load_rows(name: str, src: HubSource, *, limit: int | None = None,
              offline: bool | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows of a benchmark and a provenance record (dataset, split, revision, bundled)."""
    if offline is None:
        offline = not hub_reachable(datasets=True)
        if offline:
            print(f"note: Hugging Face Hub unreachable; {name} uses the bundled sample "
                  f"({src.sample}), not the full {src.dataset}", file=sys.stderr)
    if offline:
        rows, sha = read_sample(src.sample)
        provenance = {**src.describe(), "bundled": True, "revision": f"r1-sample-sha256:{sha[:16]}"}
    else:
        rows, sha = _load_hub(src)
        provenance = {**src.describe(), "bundled": False, "revision": sha}
    if limit is not None:
        if limit < 1:
            raise DataError(f"--limit must be at least 1 (got {limit})", "pass a positive number")
        rows = rows[:limit]
    return rows, provenance
