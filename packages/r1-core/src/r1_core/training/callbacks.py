"""Trainer callbacks: metrics.jsonl, checkpoint markers, pushing checkpoints to the Hub."""

from __future__ import annotations

import json
import math
import os
import sys
import time
from typing import IO, Any

from transformers import TrainerCallback

from r1_core.training.rundir import RunDir

__all__ = ["HubRevisionCallback", "MetricsCallback"]

_SKIP = {"total_flos"}


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


class MetricsCallback(TrainerCallback):
    """One JSON line per logging step (main process only) and the marker of each saved checkpoint.

    Each line has ``step``, ``time``, ``loss`` and everything the trainer logged (GRPO:
    ``rewards/<name>/mean`` and ``/std``, ``reward``, ``completions/mean_length``, ``kl`` ...), plus
    ``step_time``: TRL's where it measures it, else the mean wall time of the steps since the last line.

    Lines are flushed at once (a kill -9 loses nothing the OS has) but fsync'd only when a
    checkpoint is marked: lines after the last checkpoint are re-logged on resume anyway, and an
    fsync per step costs more than a tiny model's whole step.
    """

    def __init__(self, run: RunDir) -> None:
        self.run = run
        self._step_started = 0.0
        self._durations: list[float] = []
        self._last_step = -1
        self._file: IO[str] | None = None

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._step_started = time.perf_counter()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._durations.append(time.perf_counter() - self._step_started)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
        if not state.is_world_process_zero or not logs or "train_runtime" in logs:
            return
        if state.global_step <= self._last_step and not any(k.startswith("eval_") for k in logs):
            return
        row: dict[str, Any] = {"step": state.global_step, "time": round(time.time(), 3)}
        row.update({k: _clean(v) for k, v in logs.items() if k not in _SKIP})
        if "step_time" not in row and self._durations:
            row["step_time"] = sum(self._durations) / len(self._durations)
        self._durations.clear()
        self._last_step = state.global_step
        if self._file is None:
            self.run.metrics.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.run.metrics.open("a", encoding="utf-8")
        self._file.write(json.dumps(row, default=str) + "\n")
        self._file.flush()

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.is_world_process_zero:
            if self._file is not None:
                os.fsync(self._file.fileno())
            self.run.mark_checkpoint(state.global_step)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._file is not None:
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None


class HubRevisionCallback(TrainerCallback):
    """open-r1's ``push_to_hub_revision``: each checkpoint goes to its own Hub branch,
    ``<hub_model_revision>-step-<global step, 9 digits>`` (as open-r1 names them), pushed in the
    background without optimizer states.

    Inactive (one warning) when the Hub is unreachable or no ``hub_model_id`` is set, so the same
    recipe runs offline.
    """

    def __init__(self, repo_id: str | None, revision: str, online: bool) -> None:
        self.repo_id = repo_id
        self.revision = revision
        self.active = bool(repo_id) and online
        self.pushed: list[str] = []
        if not self.active and int(os.environ.get("RANK", "0")) == 0:
            print("r1: push_to_hub_revision is inactive (the Hub is unreachable or no hub_model_id)",
                  file=sys.stderr)

    def branch(self, step: int) -> str:
        return f"{self.revision}-step-{step:09d}"

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not (self.active and state.is_world_process_zero):
            return
        from huggingface_hub import create_branch, create_repo, upload_folder

        branch = self.branch(state.global_step)
        create_repo(self.repo_id, private=True, exist_ok=True)
        create_branch(self.repo_id, branch=branch, exist_ok=True)
        upload_folder(repo_id=self.repo_id, folder_path=f"{args.output_dir}/checkpoint-{state.global_step}",
                      revision=branch, commit_message=f"Add {branch} checkpoint",
                      ignore_patterns=["*.pt", "*.pth", "checkpoint-*"], run_as_future=True)
        self.pushed.append(branch)
