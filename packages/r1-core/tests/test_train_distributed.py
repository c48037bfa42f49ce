"""Scale-out paths on CPU: `accelerate launch` with the recipes' DDP and DeepSpeed ZeRO-2 configs,
two processes over gloo, through the `r1_core.training.launch` module entry point."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from trainkit import env_for, metrics, tiny_flags

pytestmark = pytest.mark.slow
ACCELERATE = Path(__file__).resolve().parents[3] / "recipes" / "accelerate_configs"


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    from r1_core.tinymodel import build_tiny_model

    tmp = tmp_path_factory.mktemp("dist")
    build_tiny_model(tmp / "tiny")
    return tmp


def launch(work: Path, config: str, out: Path) -> subprocess.CompletedProcess[str]:
    env = env_for(work)
    # The DeepSpeed CPU comm op is JIT-compiled once; keep it across runs of the suite.
    env["TORCH_EXTENSIONS_DIR"] = os.path.join(env["R1_CACHE_DIR"], "torch_extensions")
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(ACCELERATE / config),
           "--num_processes", "2", "--mixed_precision", "no", "-m", "r1_core.training.launch",
           "grpo", "--model", str(work / "tiny"), "--reward", "r1_test_rewards:digits", "--max-steps", "3",
           "--output-dir", str(out), *tiny_flags(save_steps=2)]
    return subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=900)


def check_run(proc: subprocess.CompletedProcess[str], out: Path) -> None:
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "CPU × 2 processes" in proc.stderr
    assert [r["step"] for r in metrics(out)] == [1, 2, 3]  # written once, by rank 0
    assert (out / "checkpoint-2" / "r1_checkpoint.json").is_file()
    assert (out / "final" / "r1_final.json").is_file()


def test_ddp_two_cpu_processes(work):
    out = work / "ddp"
    check_run(launch(work, "ddp.yaml", out), out)


@pytest.mark.skipif(importlib.util.find_spec("deepspeed") is None,
                    reason="DeepSpeed not installed (pip install 'r1-core[deepspeed]')")
def test_deepspeed_zero2_two_cpu_processes(work):
    out = work / "zero2"
    check_run(launch(work, "zero2.yaml", out), out)
    assert (out / "checkpoint-3" / "global_step3").is_dir()  # DeepSpeed's own sharded state
