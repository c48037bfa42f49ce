"""Trainer configs: YAML + flags, open-r1 recipes unchanged, one-line errors naming the field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from r1_core.cli import main
from r1_core.config_parsing import load_config
from r1_core.errors import ConfigError
from r1_core.training import CombinedOptions, GRPOOptions, PipelineOptions, SFTOptions
from r1_core.training.rewards import default_dataset_for

RECIPES = Path(__file__).resolve().parents[3] / "recipes"


def run_main(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    return exc.value.code, capsys.readouterr()


@pytest.mark.parametrize("recipe, model", [
    ("Qwen2.5-1.5B-Instruct/grpo/config_demo.yaml", GRPOOptions),
    ("Qwen2.5-1.5B-Instruct/grpo/config_demo_code.yaml", GRPOOptions),
    ("Qwen2.5-1.5B-Instruct/grpo/config_demo_code_ioi.yaml", GRPOOptions),
    ("Qwen2.5-Coder-7B-Instruct/grpo/config_codeforces.yaml", GRPOOptions),
    ("OpenR1-Distill-7B/sft/config_distill.yaml", SFTOptions),
    ("cpu_demo/grpo_math.yaml", GRPOOptions),
    ("cpu_demo/grpo_ioi.yaml", GRPOOptions),
    ("cpu_demo/pipeline_sft_grpo.yaml", PipelineOptions),
])
def test_recipes_load_unchanged(recipe, model):
    cfg = load_config(model, RECIPES / recipe)
    if model is PipelineOptions:
        assert [type(cfg.stage_options(i)).__name__ for i in range(2)] == ["SFTOptions", "GRPOOptions"]
        return
    extra = cfg.passthrough()
    assert "max_prompt_length" not in extra and "overwrite_output_dir" not in extra  # dropped with a note
    if recipe.startswith("Qwen2.5-Coder"):
        assert cfg.reward_funcs == ["cf_code", "code_format"] and cfg.scale_rewards == "none"
        assert extra["max_grad_norm"] == 0.2 and cfg.save_total_limit == 2  # 1 is raised: resume needs 2
        assert cfg.dtype == "bfloat16"  # open-r1's torch_dtype


def test_flags_override_yaml_and_lists_split(tmp_path):
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("reward_funcs: [accuracy]\nmax_steps: 5\nbeta: 0.04\n")
    cfg = load_config(GRPOOptions, cfg_file, {"reward": "format,tag_count", "max_steps": "7",
                                              "lr_scheduler_type": "cosine", "max_grad_norm": "0.5"})
    assert cfg.reward_funcs == ["format", "tag_count"] and cfg.max_steps == 7 and cfg.beta == 0.04
    assert cfg.passthrough() == {"max_grad_norm": 0.5}  # TRL field, string converted


@pytest.mark.parametrize("overrides, needle", [
    ({"num_generatons": "4"}, "'num_generatons' for `r1 train grpo` — did you mean 'num_generations'"),
    ({"num_generations": "1"}, "'num_generations'"),
    ({"reward": "a,b", "reward_weights": "1.0"}, "reward_weights has 1 values but reward_funcs has 2"),
    ({"vllm_mode": "remote"}, "'vllm_mode'"),
])
def test_bad_options_name_the_field(overrides, needle):
    with pytest.raises(ConfigError) as exc:
        load_config(GRPOOptions, None, overrides)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_pipeline_stage_errors_name_the_stage():
    with pytest.raises(ConfigError, match=r"stages\[1\].trainer is 'dpo'"):
        PipelineOptions.model_validate({"stages": [{"trainer": "sft"}, {"trainer": "dpo"}]})
    with pytest.raises(ConfigError, match=r"'max_steps' in stages\[0\] \(sft\)"):
        PipelineOptions.model_validate({"stages": [{"trainer": "sft", "max_steps": "many"}]})


def test_combined_has_grpo_and_sft_options():
    cfg = CombinedOptions.model_validate({"sft_weight": "0.5", "reward": "accuracy"})
    assert cfg.sft_weight == 0.5 and cfg.reward_funcs == ["accuracy"]


def test_default_dataset_follows_the_rewards():
    assert default_dataset_for(["ioi"]) == "bundled:ioi-warmup"  # the IOI benchmark stays held out
    assert default_dataset_for(["format", "cf_code"]) == "bundled:codeforces"
    assert default_dataset_for(["usaco"]) == "bundled:usaco"
    assert default_dataset_for(["accuracy", "format"]) == "bundled:math"


def test_misspelled_reward_fails_before_any_model_loads(r1_register, capsys):
    r1_register("trainers", "grpo", __import__("r1_core.training.entries", fromlist=["x"]).GRPOEntry())
    r1_register("rewards", "accuracy", lambda completions, **kw: [1.0] * len(completions))
    code, out = run_main(["train", "grpo", "--reward", "acuracy"], capsys)
    assert code == 2
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and "acuracy" in lines[0] and "accuracy" in lines[0]


def test_trainer_help_lists_options(capsys):
    code, out = run_main(["train", "grpo", "--help"], capsys)
    assert code == 0
    for flag in ("--num-generations", "--reward-funcs", "--use-vllm", "--loss-type", "--resume"):
        assert flag in out.out


def test_registering_trainers_does_not_import_torch():
    code = ("import sys; from r1_core import plugin; names = []; "
            "plugin.r1_register_trainers(lambda name, obj, **kw: names.append(name)); "
            "assert names == ['sft', 'grpo', 'combined', 'pipeline'], names; "
            "assert 'torch' not in sys.modules and 'trl' not in sys.modules, 'heavy import'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_use_vllm_without_vllm_is_one_line(r1_register, capsys, tmp_path, monkeypatch):
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed here")
    monkeypatch.chdir(tmp_path)
    r1_register("trainers", "grpo", __import__("r1_core.training.entries", fromlist=["x"]).GRPOEntry())
    r1_register("rewards", "accuracy", lambda completions, **kw: [1.0] * len(completions))
    code, out = run_main(["train", "grpo", "--reward", "accuracy", "--use-vllm"], capsys)
    assert code == 2
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and "vLLM" in lines[0] and 'pip install "r1-core[vllm]"' in lines[0]
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
