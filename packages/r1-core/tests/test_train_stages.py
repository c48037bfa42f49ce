"""`r1 train combined` and `pipeline` (SFT then GRPO) on the tiny model and the bundled math set."""

from __future__ import annotations

import pytest
import yaml
from trainkit import metrics, run_r1, tiny_flags

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    from r1_core.tinymodel import build_tiny_model

    tmp = tmp_path_factory.mktemp("stages")
    build_tiny_model(tmp / "tiny")
    return tmp


def test_combined_logs_both_losses_in_one_update(work):
    out = work / "combined"
    proc = run_r1(work, "train", "combined", "--model", str(work / "tiny"), "--reward",
                  "r1_test_rewards:digits", "--max-steps", "3", "--sft-weight", "0.5",
                  "--output-dir", str(out), *tiny_flags(),
                  # offline, Hub pushes must switch themselves off instead of failing the run
                  "--push-to-hub", "true", "--hub-model-id", "me/model",
                  "--callbacks", "push_to_hub_revision")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "push_to_hub is inactive" in proc.stderr and "push_to_hub_revision is inactive" in proc.stderr
    for row in metrics(out):
        assert row["sft_loss"] > 1.0  # a random model is far from the demonstrations
        assert row["loss"] == pytest.approx(row["grpo_loss"] + 0.5 * row["sft_loss"], rel=1e-3, abs=1e-4)


def test_pipeline_stage_two_starts_from_stage_one(work):
    out = work / "pipe"
    recipe = work / "pipe.yaml"
    recipe.write_text(yaml.safe_dump({
        "model_name_or_path": str(work / "tiny"), "use_peft": False, "output_dir": str(out),
        "stages": [{"trainer": "sft", "max_steps": 2, "max_length": 128, "system_prompt": "Be brief."},
                   {"trainer": "grpo", "reward_funcs": ["r1_test_rewards:digits"], "max_steps": 2,
                    "num_generations": 4, "max_completion_length": 8}],
    }))
    proc = run_r1(work, "train", "pipeline", "--config", str(recipe))
    assert proc.returncode == 0, proc.stderr[-3000:]
    first, second = out / "stage-0-sft", out / "stage-1-grpo"
    assert yaml.safe_load((first / "config.yaml").read_text())["model_name_or_path"] == str(work / "tiny")
    assert yaml.safe_load((second / "config.yaml").read_text())["model_name_or_path"] == str(first / "final")
    assert [r["step"] for r in metrics(first)] == [1, 2] and all(r["loss"] > 0 for r in metrics(first))
    assert "sft on CPU" in proc.stderr and "data bundled:math (50 rows)" in proc.stderr
    assert [r["step"] for r in metrics(second)] == [1, 2]
    assert (first / "final" / "model.safetensors").is_file()
    assert (second / "final" / "r1_final.json").is_file()
    again = run_r1(work, "train", "pipeline", "--config", str(recipe), "--resume")
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stderr.count("already finished; skipping") == 2
