"""`r1 train grpo` vs a plain TRL GRPOTrainer: same tiny model, data, reward and config.

Both run in this process, alternating, several rounds. The figure is the wall time between
consecutive logged steps (so it includes everything r1 adds around TRL: the metrics callback with
its fsync'd metrics.jsonl line, reward wrapping, data formatting), first steps dropped as warm-up.
"""

from __future__ import annotations

import contextlib
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

STEPS, WARMUP, ROUNDS = 40, 5, 4
SETTINGS = {"num_generations": 4, "max_completion_length": 16, "learning_rate": 1e-3, "seed": 0}


def digits(completions, **kwargs):
    texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]
    return [sum(ch.isdigit() for ch in t) / max(1, len(t)) for t in texts]


def intervals(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)][WARMUP:]


def run_trl(model_dir: Path, out: Path) -> list[float]:
    from r1_core.training.data import load_dataset_named, to_prompt_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    stamps: list[float] = []

    class Stamp(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            stamps.append(time.time())

    ds = to_prompt_dataset(load_dataset_named("bundled:math"), "prompt", None)
    args = GRPOConfig(output_dir=str(out), use_cpu=True, bf16=False, fp16=False,
                      gradient_checkpointing=False, per_device_train_batch_size=SETTINGS["num_generations"],
                      max_steps=STEPS, logging_steps=1, save_strategy="steps", save_steps=1000,
                      report_to="none", dataloader_num_workers=0, **SETTINGS)
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    GRPOTrainer(model=model, reward_funcs=[digits], args=args, train_dataset=ds, processing_class=tok,
                callbacks=[Stamp()]).train()
    return intervals(stamps)


def run_r1(model_dir: Path, out: Path) -> list[float]:
    import json

    from r1_core.training import GRPOOptions, run_grpo

    opts = GRPOOptions.model_validate({
        "model_name_or_path": str(model_dir), "reward_funcs": ["__main__:digits"], "use_peft": False,
        "dataset_name": "bundled:math", "max_steps": STEPS, "save_steps": 1000, "output_dir": str(out),
        **SETTINGS})
    run_grpo(opts)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return intervals([r["time"] for r in rows])


def measure() -> tuple[list[float], list[float]]:
    import torch
    from r1_core.tinymodel import build_tiny_model

    torch.set_num_threads(1)
    tmp = Path(tempfile.mkdtemp(prefix="bench-train-"))
    model_dir = build_tiny_model(tmp / "tiny")
    trl_times: list[float] = []
    r1_times: list[float] = []
    for i in range(ROUNDS):  # alternate who goes first: later runs in a process start warmer
        if i % 2:
            r1_times += run_r1(model_dir, tmp / f"r1-{i}")
            trl_times += run_trl(model_dir, tmp / f"trl-{i}")
        else:
            trl_times += run_trl(model_dir, tmp / f"trl-{i}")
            r1_times += run_r1(model_dir, tmp / f"r1-{i}")
        print(f"round {i + 1}/{ROUNDS} done", file=sys.stderr, flush=True)
    return trl_times, r1_times


def main() -> None:
    with contextlib.redirect_stdout(sys.stderr):  # trainers and imports print; keep stdout Markdown
        trl_times, r1_times = measure()
    t, r = statistics.median(trl_times), statistics.median(r1_times)
    print("## Training: `r1 train grpo` vs plain TRL `GRPOTrainer`\n")
    print(f"Tiny random llama (~100K params), bundled math prompts, one reward, "
          f"{SETTINGS['num_generations']} generations × {SETTINGS['max_completion_length']} tokens, "
          f"CPU, 1 thread; {ROUNDS} alternating rounds × {STEPS - WARMUP - 1} timed steps. "
          "Median wall time between logged steps.\n")
    print("| trainer | median s/step | mean s/step |")
    print("|---|---|---|")
    print(f"| TRL GRPOTrainer (baseline) | {t:.4f} | {statistics.mean(trl_times):.4f} |")
    print(f"| r1 train grpo | {r:.4f} | {statistics.mean(r1_times):.4f} |")
    print(f"\nr1 / TRL step time: **{r / t:.3f}×** ({(r / t - 1) * 100:+.1f}% overhead; target ≤ +5%).")


if __name__ == "__main__":
    main()
