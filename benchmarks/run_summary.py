"""What `make run` did, in a few lines: the training figures, the goal, and the held-out evals.

    python benchmarks/run_summary.py RUN_DIR     (RUN_DIR holds train/, eval-before/, eval-after/)

Also writes RUN_DIR/summary.json, which `benchmarks/bench_train.py --make-runs` tabulates.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

from r1_core.files import atomic_write_json

GOAL_S, GOAL_FIRST_S = 600, 900  # issue 14: 10 minutes, 15 when the run built the cold start first


def _eval(path: Path) -> dict | None:
    file = path / "results.json"
    if not file.is_file():
        return None
    res = json.loads(file.read_text())
    return {"mean_score": res["mean_score"], "pass@1": res["metrics"].get("pass@1", {}).get("value", 0.0)}


def _fmt(ev: dict | None) -> str:
    return "not run" if ev is None else f"mean score {ev['mean_score']:.3f}, pass@1 {ev['pass@1']:.3f}"


def _number(path: Path) -> float | None:
    try:
        return float(path.read_text().strip())
    except (OSError, ValueError):
        return None


def summarize(run_dir: Path) -> dict:
    rows = [json.loads(x) for x in (run_dir / "train" / "metrics.jsonl").read_text().splitlines()]
    rows = [r for r in rows if "rewards/ioi/mean" in r]
    k = max(1, len(rows) // 3)
    first = statistics.mean(r["rewards/ioi/mean"] for r in rows[:k])
    last = statistics.mean(r["rewards/ioi/mean"] for r in rows[-k:])
    grads = sum(1 for r in rows if (r.get("grad_norm") or 0) > 0)
    log = run_dir / "train.log"
    built = log.is_file() and "cold start: SFT on" in log.read_text(errors="replace")
    train_s = _number(run_dir / "train_wall_s")
    started = _number(run_dir / "started_at")
    limit = GOAL_FIRST_S if built else GOAL_S
    step_times = [r["step_time"] for r in rows if "step_time" in r]
    return {
        "run_dir": str(run_dir), "steps": len(rows), "gradient_steps": grads,
        "ioi_first_third": first, "ioi_last_third": last, "rise": last - first,
        "train_wall_s": train_s, "make_run_wall_s": None if started is None else time.time() - started,
        "median_step_s": statistics.median(step_times) if step_times else None,
        "built_cold_start": built, "cores": os.cpu_count(), "load_1min": os.getloadavg()[0],
        "goal_met": (grads * 2 >= len(rows) and last - first >= 0.05
                     and train_s is not None and train_s <= limit),
        "limit_s": limit,
        "eval_before": {n: _eval(run_dir / "eval-before" / n) for n in ("warmup", "samples")},
        "eval_after": {n: _eval(run_dir / "eval-after" / n) for n in ("warmup", "samples")},
    }


def main(run_dir: Path) -> None:
    s = summarize(run_dir)
    atomic_write_json(run_dir / "summary.json", s)
    wall = "?" if s["train_wall_s"] is None else f"{s['train_wall_s']:.0f} s"
    built = "built the cold start first, " if s["built_cold_start"] else ""
    print(f"\nmake run: {s['steps']} GRPO steps in {wall} ({built}goal ≤ {s['limit_s']} s); gradient in "
          f"{s['gradient_steps']}/{s['steps']} steps; mean ioi reward first third {s['ioi_first_third']:.3f} "
          f"→ last third {s['ioi_last_third']:.3f} ({s['rise']:+.3f}); "
          f"goal {'met' if s['goal_met'] else 'MISSED'}")
    sets = (("warmup", "held-out warm-up problems (Python)"), ("samples", "IOI sample problems (C++)"))
    for name, label in sets:
        print(f"  {label}: before {_fmt(s['eval_before'][name])}; after {_fmt(s['eval_after'][name])}")
    print(f"  curves: {run_dir / 'train'}/*.png (r1 report)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
