"""Training benchmarks: the embedded default job, and `r1 train grpo` vs a plain TRL GRPOTrainer.

1. The default job (issue 14): `r1 train grpo --reward ioi` exactly as `make run` starts it, several
   runs in a row, each recording steps, wall and CPU time, the share of steps with a non-zero
   gradient and the mean `ioi` reward over the first and the last third of the steps. The goal: on
   2 cores within 10 minutes (15 with the first model conversion and cold start), a gradient in at
   least half the steps and the last third at least 0.05 above the first. The load average is
   recorded with each run: on a shared machine wall time says more about the neighbours than r1.
   ``--unseen`` adds the same defaults on a reward r1 never saw (shorter completions score higher,
   passed as module:function) for 30 steps: the goal is a rise of more than 0.1 between the first
   and the last 5 steps.
2. Overhead: both trainers in this process, alternating, several rounds. The figure is the wall time
   between consecutive logged steps (so it includes everything r1 adds around TRL: the metrics
   callback with its fsync'd metrics.jsonl line, reward wrapping, data formatting), first steps
   dropped as warm-up.

``python benchmarks/bench_train.py`` prints both sections; ``--default-job [--runs N] [--unseen]``
only the first, ``--overhead`` only the second.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import resource
import statistics
import subprocess
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
        # the same work per step as the TRL run: one group per step, float32 (not r1's CPU defaults)
        "per_device_train_batch_size": SETTINGS["num_generations"], "gradient_accumulation_steps": 1,
        "bf16": False, **SETTINGS})
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


UNSEEN = '''
def shorter(completions, **kwargs):
    """1 for an empty answer, 0 for 400 characters (about 96 tokens) or more: shorter scores higher."""
    texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]
    return [1.0 - min(len(t), 400) / 400 for t in texts]
'''


def _r1() -> str:
    return str(Path(sys.executable).with_name("r1"))


def run_job(out: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    """One `r1 train grpo` run as a user starts it; its figures from metrics.jsonl and the clock."""
    load_before = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    proc = subprocess.run([_r1(), "train", "grpo", *args, "--output-dir", str(out)], capture_output=True,
                          text=True, env={**os.environ, **(env or {})})
    wall = time.time() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"r1 train grpo {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    rows = [r for r in rows if "reward" in r]
    return {"rows": rows, "wall": wall, "load": (load_before + os.getloadavg()[0]) / 2,
            "cpu": (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime),
            "cold": "cold start: SFT on" in proc.stderr or "converting the default model" in proc.stderr}


def thirds(values: list[float]) -> tuple[float, float]:
    k = max(1, len(values) // 3)
    return statistics.mean(values[:k]), statistics.mean(values[-k:])


def default_job(runs: int, unseen: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-default-job-"))
    print("## Training: the default job (`make run` = `r1 train grpo --reward ioi`)\n")
    print(f"{runs} runs in a row, embedded defaults, {os.cpu_count()} cores. Gradient share = steps with "
          "grad_norm > 0; thirds = mean `ioi` reward over the first and last third of the steps. CPU s = "
          "user + system time of the run (what an idle machine would also spend); load = 1-minute load "
          "average around the run (other processes on the machine). A run marked *first* built the "
          "cached cold-start model (and converted the model) before training.\n")
    print("| run | steps | wall s | CPU s | median s/step | load | gradient share | ioi first third "
          "| ioi last third | rise | goal |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for i in range(runs):
        r = run_job(tmp / f"run-{i}", "--reward", "ioi")
        rows = r["rows"]
        grads = sum(1 for x in rows if (x.get("grad_norm") or 0) > 0) / len(rows)
        first, last = thirds([x["rewards/ioi/mean"] for x in rows])
        limit = 15 * 60 if r["cold"] else 10 * 60
        ok = grads >= 0.5 and last - first >= 0.05 and r["wall"] <= limit
        steps = statistics.median(x["step_time"] for x in rows if "step_time" in x)
        print(f"| {i + 1}{' (first)' if r['cold'] else ''} | {len(rows)} | {r['wall']:.0f} | {r['cpu']:.0f} "
              f"| {steps:.1f} | {r['load']:.1f} | {grads:.0%} | {first:.3f} | {last:.3f} "
              f"| {last - first:+.3f} | {'met' if ok else 'missed'} |", flush=True)
    if unseen:
        mod = tmp / "unseen"
        mod.mkdir()
        (mod / "bench_unseen.py").write_text(UNSEEN)
        r = run_job(tmp / "unseen-run", "--reward", "bench_unseen:shorter", "--max-steps", "30",
                    env={"PYTHONPATH": str(mod)})
        values = [x["rewards/shorter/mean"] for x in r["rows"]]
        head, tail = statistics.mean(values[:5]), statistics.mean(values[-5:])
        print(f"\nUnseen reward (shorter completions score higher, `module:function`, same defaults, "
              f"{len(values)} steps on bundled:math): first 5 steps {head:.3f}, last 5 {tail:.3f}, rise "
              f"**{tail - head:+.3f}** (goal > +0.1); {r['wall']:.0f} s wall, {r['cpu']:.0f} CPU s, "
              f"load {r['load']:.1f}.")
    print()


def from_make_runs(dirs: list[Path]) -> None:
    """The default-job section from `make run` directories (their summary.json, written by
    benchmarks/run_summary.py at the end of each run), in the order given."""
    print("## Training: the default job (`make run` = `r1 train grpo --reward ioi`)\n")
    print(f"{len(dirs)} `make run`s in a row on a fresh clone, embedded defaults, {os.cpu_count()} cores. "
          "Train s = wall time of `r1 train grpo --reward ioi` (the goal: 600 s, 900 s when the run first "
          "builds the cached cold-start model); make run s = the whole target (model conversion, held-out "
          "evals before and after, report). Gradient share = steps with grad_norm > 0; thirds = mean `ioi` "
          "reward over the first and last third of the steps. Load = 1-minute load average at the end.\n")
    print("| run | steps | train s | make run s | median s/step | load | gradient share | ioi first third "
          "| ioi last third | rise | held-out warm-up before → after | goal |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i, d in enumerate(dirs):
        s = json.loads((d / "summary.json").read_text())
        before, after = s["eval_before"]["warmup"], s["eval_after"]["warmup"]
        held = (f"{before['mean_score']:.3f} → {after['mean_score']:.3f}" if before and after else "–")
        print(f"| {i + 1}{' (first: builds the cold start)' if s['built_cold_start'] else ''} | {s['steps']} "
              f"| {s['train_wall_s']:.0f} | {s['make_run_wall_s']:.0f} | {s['median_step_s']:.1f} "
              f"| {s['load_1min']:.1f} | {s['gradient_steps'] / s['steps']:.0%} | {s['ioi_first_third']:.3f} "
              f"| {s['ioi_last_third']:.3f} | {s['rise']:+.3f} | {held} "
              f"| {'met' if s['goal_met'] else 'missed'} |")
    print()


def overhead() -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--default-job", action="store_true", help="only the default job section")
    parser.add_argument("--overhead", action="store_true", help="only the r1 vs TRL step-time section")
    parser.add_argument("--runs", type=int, default=3, help="default-job runs in a row")
    parser.add_argument("--unseen", action="store_true", help="also 30 steps on an unseen reward")
    parser.add_argument("--make-runs", nargs="+", type=Path, metavar="RUN_DIR",
                        help="tabulate finished `make run` directories instead of running the job")
    args = parser.parse_args()
    if args.make_runs:
        from_make_runs(args.make_runs)
        return
    if args.overhead:
        overhead()
        return
    default_job(args.runs, args.unseen)
    if not args.default_job:
        overhead()


if __name__ == "__main__":
    main()
