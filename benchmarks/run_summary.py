"""What `make run` did, in a few lines: the training figures and the held-out evals before and after.

    python benchmarks/run_summary.py RUN_DIR     (RUN_DIR holds train/, eval-before/, eval-after/)
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def _eval(path: Path) -> str:
    file = path / "results.json"
    if not file.is_file():
        return "not run"
    res = json.loads(file.read_text())
    pass1 = res["metrics"].get("pass@1", {}).get("value", 0.0)
    return f"mean score {res['mean_score']:.3f}, pass@1 {pass1:.3f}"


def main(run_dir: Path) -> None:
    rows = [json.loads(x) for x in (run_dir / "train" / "metrics.jsonl").read_text().splitlines()]
    rows = [r for r in rows if "rewards/ioi/mean" in r]
    k = max(1, len(rows) // 3)
    first = statistics.mean(r["rewards/ioi/mean"] for r in rows[:k])
    last = statistics.mean(r["rewards/ioi/mean"] for r in rows[-k:])
    grads = sum(1 for r in rows if (r.get("grad_norm") or 0) > 0)
    print(f"\nmake run: {len(rows)} GRPO steps; gradient in {grads}/{len(rows)} steps; mean ioi reward "
          f"first third {first:.3f} → last third {last:.3f} ({last - first:+.3f})")
    sets = (("warmup", "held-out warm-up problems (Python)"), ("samples", "IOI sample problems (C++)"))
    for name, label in sets:
        print(f"  {label}: before {_eval(run_dir / 'eval-before' / name)}; "
              f"after {_eval(run_dir / 'eval-after' / name)}")
    print(f"  curves: {run_dir / 'train'}/*.png (r1 report)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
