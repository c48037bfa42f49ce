"""``r1 train pipeline``: stages from one YAML, each starting from the previous stage's model.

    stages:
      - {trainer: sft, dataset_name: bundled:math, max_steps: 20}
      - {trainer: grpo, reward_funcs: [accuracy, format], max_steps: 20}

Stage ``i`` writes to ``<output_dir>/stage-<i>-<trainer>``; its ``final/`` (LoRA merged) is the
next stage's model. With ``--resume`` finished stages are skipped and the interrupted one resumes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from r1_core.training.options import PipelineOptions
from r1_core.training.rundir import RunDir, resolve_output_dir
from r1_core.training.session import TrainResult

__all__ = ["run_pipeline"]


def run_pipeline(opts: PipelineOptions) -> list[TrainResult]:
    from r1_core.training.combined import run_combined
    from r1_core.training.grpo import run_grpo
    from r1_core.training.sft import run_sft

    runners = {"sft": run_sft, "grpo": run_grpo, "combined": run_combined}
    root = resolve_output_dir(opts.output_dir, "pipeline", opts.resume)
    results: list[TrainResult] = []
    model = opts.model_name_or_path
    for i, stage in enumerate(opts.stages):
        kind = stage["trainer"]
        stage_opts = opts.stage_options(i)
        run = RunDir(root / f"stage-{i}-{kind}")
        if i == 0:
            model = stage.get("model_name_or_path", stage.get("model", model))
        update = {"output_dir": str(run.path), "model_name_or_path": model,
                  "resume": opts.resume and run.has_run()}
        if run.final_done():
            print(f"r1: pipeline stage {i} ({kind}) already finished; skipping", file=sys.stderr)
        else:
            print(f"r1: pipeline stage {i + 1}/{len(opts.stages)}: {kind}", file=sys.stderr, flush=True)
            stage_opts = type(stage_opts).model_validate({**stage_opts.model_dump(exclude_unset=True),
                                                          **update})
            results.append(runners[kind](stage_opts))
        model = str(run.final)
    print(f"r1: pipeline done at {time.strftime('%H:%M:%S')}; final model: {Path(model)}", file=sys.stderr)
    return results

