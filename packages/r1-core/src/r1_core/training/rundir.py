"""The run directory: resolved config, metrics.jsonl, complete checkpoints, resume.

A checkpoint counts only once r1 has written ``r1_checkpoint.json`` into it, after TRL finished
writing everything else (weights, optimizer, RNG, trainer state). A run killed mid-save leaves a
checkpoint without the marker; resume deletes it and continues from the newest marked one, and
cuts ``metrics.jsonl`` back to that step so no step is lost or logged twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import yaml

from r1_core.errors import ConfigError
from r1_core.files import atomic_write_json, atomic_write_text

__all__ = ["CHECKPOINT_MARKER", "RunDir", "resolve_output_dir"]

CHECKPOINT_MARKER = "r1_checkpoint.json"
FINAL_MARKER = "r1_final.json"
_CKPT = re.compile(r"^checkpoint-(\d+)$")


def resolve_output_dir(requested: str | None, trainer: str, resume: bool) -> Path:
    """``requested``, or with ``--resume`` the newest ``runs/<trainer>-*``, or a new timestamped dir."""
    if requested:
        return Path(requested)
    runs = Path("runs")
    if resume:
        previous = sorted(runs.glob(f"{trainer}-*"), key=lambda p: p.stat().st_mtime)
        if not previous:
            raise ConfigError(f"--resume found no runs/{trainer}-* directory", "pass --output-dir RUN_DIR")
        return previous[-1]
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # Every rank must agree on the directory; torchrun gives all ranks the same run id.
        run_id = os.environ.get("TORCHELASTIC_RUN_ID", "none")
        if run_id == "none":
            raise ConfigError("several processes need one run directory", "pass --output-dir DIR")
        return runs / f"{trainer}-{run_id[:12]}"
    return runs / f"{trainer}-{time.strftime('%Y%m%d-%H%M%S')}"


class RunDir:
    """Paths and bookkeeping of one training run."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.metrics = self.path / "metrics.jsonl"
        self.config = self.path / "config.yaml"
        self.final = self.path / "final"

    # checkpoints -------------------------------------------------------------------------------
    def checkpoints(self) -> list[tuple[int, Path]]:
        if not self.path.is_dir():
            return []
        found = [(int(m.group(1)), p) for p in self.path.iterdir()
                 if (m := _CKPT.match(p.name)) and p.is_dir()]
        return sorted(found)

    def last_complete_checkpoint(self) -> Path | None:
        complete = [p for _, p in self.checkpoints() if (p / CHECKPOINT_MARKER).is_file()]
        return complete[-1] if complete else None

    def mark_checkpoint(self, step: int) -> None:
        path = self.path / f"checkpoint-{step}"
        if path.is_dir():
            atomic_write_json(path / CHECKPOINT_MARKER, {"step": step, "time": time.time()})

    def has_run(self) -> bool:
        return self.metrics.is_file() or bool(self.checkpoints()) or (self.final / FINAL_MARKER).is_file()

    def prepare_resume(self) -> Path | None:
        """Drop half-written checkpoints and metrics past the last complete checkpoint; return it."""
        last = self.last_complete_checkpoint()
        for _, path in self.checkpoints():
            if not (path / CHECKPOINT_MARKER).is_file():
                shutil.rmtree(path, ignore_errors=True)
        step = int(json.loads((last / CHECKPOINT_MARKER).read_text())["step"]) if last else 0
        self.truncate_metrics(step)
        return last

    def truncate_metrics(self, step: int) -> None:
        if not self.metrics.is_file():
            return
        kept = []
        for line in self.metrics.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by kill -9
            if row.get("step", 0) <= step:
                kept.append(line)
        atomic_write_text(self.metrics, "".join(f"{line}\n" for line in kept))

    # config and results ------------------------------------------------------------------------
    def save_config(self, trainer: str, options: dict[str, Any]) -> None:
        atomic_write_text(self.config, yaml.safe_dump({"trainer": trainer, **options}, sort_keys=False))

    def saved_config(self) -> dict[str, Any] | None:
        if not self.config.is_file():
            return None
        data = yaml.safe_load(self.config.read_text(encoding="utf-8")) or {}
        data.pop("trainer", None)
        return data

    def mark_final(self, info: dict[str, Any]) -> None:
        atomic_write_json(self.final / FINAL_MARKER, info)

    def final_done(self) -> bool:
        return (self.final / FINAL_MARKER).is_file()
