"""`r1 train grpo` end to end on a tiny random model: it learns, logs, checkpoints and resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from r1_core.report import write_report
from r1_core.training.rundir import CHECKPOINT_MARKER
from trainkit import env_for, metrics, r1_cmd, run_r1, tiny_flags

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    from r1_core.tinymodel import build_tiny_model

    tmp = tmp_path_factory.mktemp("grpo")
    build_tiny_model(tmp / "tiny")
    return tmp


@pytest.fixture(scope="module")
def learned(work):
    """20 GRPO steps with a reward the tiny model can learn (digit fraction)."""
    out = work / "learned"
    proc = run_r1(work, "train", "grpo", "--model", str(work / "tiny"), "--reward", "r1_test_rewards:digits",
                  "--max-steps", "20", "--output-dir", str(out), *tiny_flags(num_generations=8))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc


def test_tiny_model_learns_the_reward(learned):
    out, _ = learned
    rewards = [row["rewards/digits/mean"] for row in metrics(out)]
    assert len(rewards) == 20
    early, late = sum(rewards[:4]) / 4, sum(rewards[-4:]) / 4
    assert late > early + 0.25, rewards


def test_metrics_config_and_final_model(learned):
    out, proc = learned
    rows = metrics(out)
    assert [r["step"] for r in rows] == list(range(1, 21))
    for key in ("loss", "rewards/digits/mean", "rewards/digits/std", "completions/mean_length", "step_time",
                "time"):
        assert all(isinstance(r[key], float | int) for r in rows), key
    config = (out / "config.yaml").read_text()
    assert "reward_funcs:\n- r1_test_rewards:digits" in config and "max_steps: 20" in config
    assert (out / "final" / "config.json").is_file() and (out / "final" / "r1_final.json").is_file()
    assert "grpo on CPU" in proc.stderr and "20 steps" in proc.stderr


def test_report_of_a_real_run(learned, tmp_path):
    out, _ = learned
    summary = write_report(out, tmp_path)
    assert {p.rsplit("/", 1)[-1] for p in summary["plots"]} == {"rewards.png", "loss.png", "length.png"}
    assert summary["metrics"]["rewards/digits/mean"]["change"] > 0.2
    assert (tmp_path / "rewards.png").read_bytes()[:4] == b"\x89PNG"


def test_existing_run_is_not_overwritten(learned, work):
    out, _ = learned
    proc = run_r1(work, "train", "grpo", "--model", str(work / "tiny"), "--reward", "r1_test_rewards:digits",
                  "--output-dir", str(out))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "already holds a run" in proc.stderr and "--resume" in proc.stderr


def test_missing_reward_column_is_one_line(work):
    proc = run_r1(work, "train", "grpo", "--model", str(work / "tiny"), "--reward",
                  "r1_test_rewards:needs_gold", "--output-dir", str(work / "nogold"))
    assert proc.returncode == 2, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert "needs_gold" in last and "gold" in last and "solution" in last and "Traceback" not in proc.stderr


def test_kill_9_then_resume_loses_and_repeats_no_step(work):
    out = work / "killed"
    cmd = r1_cmd("train", "grpo", "--model", str(work / "tiny"), "--reward", "r1_test_rewards:slow_digits",
                 "--max-steps", "12", "--output-dir", str(out), *tiny_flags(save_steps=3))
    proc = subprocess.Popen(cmd, cwd=work, env=env_for(work), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        done = (out / "metrics.jsonl").read_text().count("\n") if (out / "metrics.jsonl").exists() else 0
        if done >= 7:
            break
        time.sleep(0.2)
    assert proc.poll() is None, proc.stderr.read()[-2000:]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    last = max(int(p.name.split("-")[1]) for p in out.glob("checkpoint-*"))
    # A half-written checkpoint (as a crash mid-save leaves it) must never be resumed from.
    (out / f"checkpoint-{last + 1}").mkdir()
    (out / f"checkpoint-{last + 1}" / "model.safetensors").write_bytes(b"partial")

    resumed = run_r1(work, "train", "grpo", "--output-dir", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming from checkpoint-" in resumed.stderr
    rows = metrics(out)
    assert [r["step"] for r in rows] == list(range(1, 13))
    assert all("rewards/slow_digits/mean" in r for r in rows)  # the saved config came back with --resume
    assert not (out / f"checkpoint-{last + 1}").exists()
    assert all((p / CHECKPOINT_MARKER).is_file() for p in out.glob("checkpoint-*"))
    assert (out / "final" / "r1_final.json").is_file()
