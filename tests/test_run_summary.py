"""`make run`'s closing summary judges the issue-14 goal from the run directory it wrote."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("run_summary", ROOT / "benchmarks" / "run_summary.py")
run_summary = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_summary)


def _run(tmp_path: Path, rewards, grads, wall: int, log: str = "") -> Path:
    (tmp_path / "train").mkdir()
    rows = [{"rewards/ioi/mean": r, "grad_norm": g, "step_time": 30.0} for r, g in zip(rewards, grads)]
    rows.insert(2, {"eval_loss": 1.0})  # rows without the reward are not steps
    (tmp_path / "train" / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "train_wall_s").write_text(f"{wall}\n")
    (tmp_path / "train.log").write_text(log)
    return tmp_path


@pytest.mark.parametrize(("rewards", "grads", "wall", "log", "met"), [
    ([0.1, 0.1, 0.2, 0.2, 0.3, 0.3], [1, 1, 0, 1, 0, 1], 590, "", True),
    ([0.1, 0.1, 0.2, 0.2, 0.3, 0.3], [1, 1, 0, 1, 0, 1], 610, "", False),  # over 10 minutes
    ([0.1, 0.1, 0.2, 0.2, 0.3, 0.3], [1, 1, 0, 1, 0, 1], 610, "cold start: SFT on 8 demos", True),
    ([0.1, 0.1, 0.2, 0.2, 0.3, 0.3], [1, 0, 0, 0, 0, 1], 500, "", False),  # gradient in 2/6 steps
    ([0.3, 0.3, 0.3, 0.3, 0.32, 0.34], [1, 1, 1, 1, 1, 1], 500, "", False),  # rise 0.03 < 0.05
])
def test_goal(tmp_path, rewards, grads, wall, log, met):
    s = run_summary.summarize(_run(tmp_path, rewards, grads, wall, log))
    assert s["steps"] == 6
    assert s["goal_met"] is met


def test_summary_json_is_written(tmp_path, capsys):
    run = _run(tmp_path, [0.0, 0.0, 0.5, 0.5, 1.0, 1.0], [1] * 6, 400)
    run_summary.main(run)
    s = json.loads((run / "summary.json").read_text())
    assert s["ioi_first_third"] == 0.0 and s["ioi_last_third"] == 1.0 and s["gradient_steps"] == 6
    assert "goal met" in capsys.readouterr().out
