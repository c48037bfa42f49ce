"""open-r1 keys that change training, for real: an eval split, benchmarks on checkpoints, QLoRA's
refusal on CPU, per-step Hub revisions."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from r1_core.cli import main
from trainkit import metrics, run_r1, tiny_flags


def run_main(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    return exc.value.code, capsys.readouterr()


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    from r1_core.tinymodel import build_tiny_model

    tmp = tmp_path_factory.mktemp("openr1")
    build_tiny_model(tmp / "tiny")
    data = tmp / "data"
    data.mkdir()
    for split, n in (("train", 16), ("test", 4)):
        rows = [json.dumps({"prompt": f"{split} {i}: write some digits", "solution": str(i)})
                for i in range(n)]
        (data / f"{split}.jsonl").write_text("\n".join(rows) + "\n")
    return tmp


@pytest.mark.slow
def test_eval_split_and_benchmark_on_checkpoint(work):
    """open-r1's dataset_test_split + eval_strategy/eval_steps build an eval set that TRL evaluates,
    and `benchmarks` run r1's benchmark on each saved checkpoint (run dir + metrics)."""
    out = work / "run"
    proc = run_r1(work, "train", "grpo", "--model", str(work / "tiny"), "--reward", "r1_test_rewards:digits",
                  "--dataset", str(work / "data"), "--dataset-test-split", "test",
                  "--eval-strategy", "steps", "--eval-steps", "2", "--per-device-eval-batch-size", "4",
                  "--max-steps", "2", "--benchmarks", "math_500", "--benchmark-limit", "2",
                  "--max-prompt-length", "4",
                  "--output-dir", str(out), *tiny_flags(save_steps=2))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "prompts longer than 4 tokens keep their last 4" in proc.stderr  # open-r1's max_prompt_length
    rows = metrics(out)
    evals = [r for r in rows if "eval_loss" in r]
    assert [r["step"] for r in evals] == [2]
    assert "eval_rewards/digits/mean" in evals[0]
    bench = [r for r in rows if "benchmarks/math_500/score" in r]
    assert [r["step"] for r in bench] == [2]
    assert 0.0 <= bench[0]["benchmarks/math_500/pass@1"] <= 1.0
    result = json.loads((out / "benchmarks" / "checkpoint-2" / "math_500.json").read_text())
    assert result["rows"] == 2 and len(result["results"]) == 2 and result["step"] == 2
    assert all(isinstance(r["completion"], str) for r in result["results"])


def test_eval_split_needs_a_real_split(work, capsys, monkeypatch):
    monkeypatch.chdir(work)
    single = work / "data" / "train.jsonl"
    code, out = run_main(["train", "grpo", "--model", str(work / "tiny"), "--reward", "format",
                          "--dataset", str(single), "--eval-strategy", "steps", "--output-dir",
                          str(work / "nosplit")], capsys)
    assert code == 2
    assert "has no separate 'test' split" in out.err.strip().splitlines()[-1]


def test_unknown_benchmark_fails_before_training(work, capsys, monkeypatch):
    monkeypatch.chdir(work)
    code, out = run_main(["train", "grpo", "--model", "/nonexistent/model", "--reward", "format",
                          "--benchmarks", "aime2O24", "--output-dir", str(work / "nobench")], capsys)
    assert code == 2
    line = out.err.strip().splitlines()[-1]
    assert "aime2O24" in line and "aime24" in line
    assert "cannot load model" not in out.err


def test_open_r1_benchmark_names_map_to_r1s(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, out = run_main(["train", "grpo", "--reward", "format", "--benchmarks", "lcb_v4", "--dry-run",
                          "--json"], capsys)
    assert code == 0, out.err
    info = json.loads(out.out)["keys"]["benchmarks"]
    assert info["status"] == "mapped" and "'lcb'" in info["to"]


def test_qlora_on_cpu_is_a_one_line_refusal(capsys, monkeypatch, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    monkeypatch.chdir(tmp_path)
    for flag in ("--load-in-4bit", "--load-in-8bit"):
        code, out = run_main(["train", "sft", "--model", "/nonexistent/model", flag, "true"], capsys)
        assert code == 2
        lines = out.err.strip().splitlines()
        assert len(lines) == 1 and "needs a CUDA GPU" in lines[0] and flag[2:].replace("-", "_") in lines[0]
    # the dry run reports the same need without failing
    code, out = run_main(["train", "sft", "--load-in-4bit", "true", "--dry-run", "--json"], capsys)
    assert code == 0
    report = json.loads(out.out)
    needs = {r["package"]: r for r in report["requires"]}
    assert needs["CUDA GPU"]["available"] is False and "QLoRA" in needs["CUDA GPU"]["for"]
    assert report["keys"]["load_in_4bit"]["status"] == "applied"


def test_qlora_config_is_built_from_model_config_keys():
    from r1_core.training import SFTOptions
    from r1_core.training.model import quantization_config

    opts = SFTOptions.model_validate({"load_in_4bit": True, "bnb_4bit_quant_type": "fp4",
                                      "use_bnb_nested_quant": True})
    cfg = quantization_config(opts, "bfloat16")
    assert cfg.load_in_4bit and cfg.bnb_4bit_quant_type == "fp4" and cfg.bnb_4bit_use_double_quant
    assert quantization_config(SFTOptions(), "bfloat16") is None


def test_checkpoints_go_to_per_step_hub_revisions(monkeypatch, tmp_path):
    """open-r1's push_to_hub_revision: checkpoint N of revision v01.00 goes to branch
    v01.00-step-000000N, without optimizer states."""
    import huggingface_hub
    from r1_core.training.callbacks import HubRevisionCallback

    calls = []
    monkeypatch.setattr(huggingface_hub, "create_repo", lambda *a, **k: calls.append(("repo", a, k)))
    monkeypatch.setattr(huggingface_hub, "create_branch", lambda *a, **k: calls.append(("branch", a, k)))
    monkeypatch.setattr(huggingface_hub, "upload_folder", lambda **k: calls.append(("upload", (), k)))
    cb = HubRevisionCallback("me/model", "v01.00", online=True)
    args = SimpleNamespace(output_dir=str(tmp_path))
    for step in (50, 100):
        cb.on_save(args, SimpleNamespace(is_world_process_zero=True, global_step=step), None)
    assert cb.pushed == ["v01.00-step-000000050", "v01.00-step-000000100"]
    uploads = [k for kind, _, k in calls if kind == "upload"]
    assert [u["revision"] for u in uploads] == cb.pushed
    assert uploads[1]["folder_path"] == f"{tmp_path}/checkpoint-100"
    assert "*.pt" in uploads[0]["ignore_patterns"]
    branches = [k["branch"] for kind, _, k in calls if kind == "branch"]
    assert branches == cb.pushed
    # offline or without a repo: inactive, nothing pushed
    off = HubRevisionCallback(None, "main", online=True)
    off.on_save(args, SimpleNamespace(is_world_process_zero=True, global_step=1), None)
    assert off.pushed == [] and not off.active
