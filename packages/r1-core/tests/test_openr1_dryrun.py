"""open-r1 drop-in: recipes in open-r1's shapes pass `r1 train KIND --config F --dry-run`, every key is
applied / mapped / ignored with a reason, values keep their YAML types, code-execution keys reach
the rewards they belong to, and TRL defaults that changed since open-r1's TRL 0.18 are listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from r1_core.cli import main
from r1_core.config_parsing import load_config
from r1_core.errors import ConfigError, R1Error
from r1_core.training import GRPOOptions, SFTOptions
from r1_core.training.openr1 import TRL_018_DEFAULTS

ROOT = Path(__file__).resolve().parents[3]
RECIPES = ROOT / "recipes"
FIXTURES = Path(__file__).parent / "fixtures" / "openr1"

# Every top-level key of open-r1's recipes (recipes/**/config_*.yaml and recipes/dataset_filtering/*
# at huggingface/open-r1 main), gathered once by reading them; the fixtures must use each one.
OPEN_R1_RECIPE_KEYS = {
    "attn_implementation", "benchmarks", "beta", "callbacks", "chat_template", "code_eval_scoring_mode",
    "code_eval_test_batch_size", "code_language", "dataset_config", "dataset_name", "dataset_num_proc",
    "dataset_prompt_column", "dataset_split", "dataset_test_split", "dataset_train_split", "do_eval",
    "e2b_router_url", "eos_token", "eval_strategy", "gradient_accumulation_steps", "gradient_checkpointing",
    "gradient_checkpointing_kwargs", "hub_always_push", "hub_model_id", "hub_model_revision",
    "hub_strategy", "learning_rate", "log_completions", "log_level", "logging_first_step", "logging_steps",
    "logging_strategy", "loss_type", "lr_scheduler_kwargs", "lr_scheduler_type",
    "mask_truncated_completions", "max_completion_length", "max_grad_norm", "max_length",
    "max_prompt_length", "max_steps", "model_name_or_path", "model_revision", "num_generations",
    "num_train_epochs", "optim", "output_dataset_name", "output_dir", "overwrite_output_dir", "packing",
    "pass_rate_max", "pass_rate_min", "per_device_eval_batch_size", "per_device_train_batch_size",
    "push_to_hub", "report_to", "reward_funcs", "reward_weights", "save_only_model", "save_steps",
    "save_strategy", "save_total_limit", "scale_rewards", "seed", "system_prompt", "temperature",
    "top_p", "torch_dtype", "use_liger_kernel", "use_vllm", "vllm_device", "vllm_gpu_memory_utilization",
    "wandb_entity", "wandb_project", "warmup_ratio",
}
# open-r1's code-execution / reward-shaping keys (GRPOScriptArguments) that no recipe sets.
OPEN_R1_SCRIPT_KEYS = {
    "code_provider", "ioi_provider", "parallel_code_exec_per_proc", "cosine_min_value_wrong",
    "cosine_max_value_wrong", "cosine_min_value_correct", "cosine_max_value_correct", "cosine_max_len",
    "repetition_n_grams", "repetition_max_penalty", "max_completion_len", "soft_punish_cache",
}


def run_main(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    return exc.value.code, capsys.readouterr()


def dry(capsys, *args):
    code, out = run_main(["train", *args, "--dry-run", "--json"], capsys)
    assert code == 0, out.err
    return json.loads(out.out)


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)


def test_every_recipe_file_is_dry_run_somewhere():
    """recipes/ holds training configs (here), accelerate configs (here) and filtering configs
    (dry-run by r1-cli's tests): nothing under recipes/ escapes a dry run."""
    every = set(RECIPES.rglob("*.yaml"))
    filtering = set((RECIPES / "dataset_filtering").glob("*.yaml"))
    accelerate = set((RECIPES / "accelerate_configs").glob("*.yaml"))
    assert every == set(TRAINING_RECIPES) | filtering | accelerate


def test_fixtures_use_every_key_open_r1_uses():
    used = set()
    for f in FIXTURES.glob("*.yaml"):
        used |= set(yaml.safe_load(f.read_text()))
    assert OPEN_R1_RECIPE_KEYS - used == set()
    assert OPEN_R1_SCRIPT_KEYS - used == set()


def _kind(path: Path) -> str:
    text = path.read_text()
    if "stages:" in text:
        return "pipeline"
    return "sft" if "/sft/" in str(path) or path.name.startswith("sft") else "grpo"


# open-r1 ran the code recipes on 7 training processes (8 GPUs, one serving vLLM):
# 16 per device × 7 × 4 accumulation steps is divisible by 14 generations.
PROCESSES = {"config_demo_code.yaml": 7, "config_demo_code_ioi.yaml": 7, "grpo_code.yaml": 7}
TRAINING_RECIPES = sorted(p for p in RECIPES.rglob("*.yaml")
                          if "accelerate_configs" not in p.parts and "dataset_filtering" not in p.parts)
FIXTURE_RECIPES = sorted(p for p in FIXTURES.glob("*.yaml") if p.name != "filter.yaml")


@pytest.mark.parametrize("recipe", TRAINING_RECIPES + FIXTURE_RECIPES, ids=lambda p: p.name)
def test_every_recipe_passes_dry_run_and_every_key_is_accounted_for(recipe, capsys):
    args = [_kind(recipe), "--config", str(recipe)]
    if recipe.name in PROCESSES:
        args += ["--num-processes", str(PROCESSES[recipe.name])]
    report = dry(capsys, *args)
    stages = report["stages"] if report["trainer"] == "pipeline" else [report]
    raw = yaml.safe_load(recipe.read_text())
    for stage in stages:
        assert stage["trl"]["output_dir"]  # the TRL config object was really built
        for key, info in stage["keys"].items():
            assert info["status"] in ("applied", "mapped", "ignored"), (key, info)
            if info["status"] != "applied":
                assert info["reason"], (key, info)
            if info["status"] != "ignored":
                assert info["to"], (key, info)
    if report["trainer"] != "pipeline":
        assert set(report["keys"]) == set(raw)  # every key of the recipe, nothing more


@pytest.mark.parametrize("accelerate", sorted((RECIPES / "accelerate_configs").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_accelerate_configs_pass_dry_run(accelerate, capsys):
    report = dry(capsys, "grpo", "--config", str(RECIPES / "cpu_demo" / "grpo_math.yaml"),
                 "--accelerate-config", str(accelerate))
    settings = yaml.safe_load(accelerate.read_text())
    assert report["accelerate"]["distributed_type"] == settings["distributed_type"]
    assert report["processes"] == settings["num_processes"]
    ds = [r for r in report["requires"] if r["package"] == "deepspeed"]
    assert bool(ds) == (settings["distributed_type"] == "DEEPSPEED")


def test_bad_accelerate_config_is_one_line(tmp_path, capsys):
    bad = tmp_path / "acc.yaml"
    bad.write_text("distributed_type: DEEPSPEED\ndeepspeed_config:\n  zero_stage: 5\nnum_processes: 2\n")
    code, out = run_main(["train", "grpo", "--dry-run", "--accelerate-config", str(bad)], capsys)
    assert code == 2 and len(out.err.strip().splitlines()) == 1
    assert "zero_stage is 5" in out.err


def test_quoted_no_stays_a_string_and_cli_values_follow_the_field_type(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("eval_strategy: 'no'\nlog_level: 'off'\nmax_grad_norm: '1e-3'\n"
                   "reward_funcs: [format]\n")
    opts = load_config(GRPOOptions, cfg)
    extra = opts.passthrough()
    assert extra["eval_strategy"] == "no" and extra["log_level"] == "off"  # not False (YAML 1.1)
    assert extra["max_grad_norm"] == 0.001  # a float field: its text converted
    report = dry(capsys, "grpo", "--config", str(cfg))
    assert report["trl"]["eval_strategy"] == "no" and report["trl"]["max_grad_norm"] == 0.001
    # flags arrive as text and are converted by the declared type, never guessed
    opts = load_config(GRPOOptions, None, {"eval_strategy": "no", "max_grad_norm": "1e-3",
                                           "logging_first_step": "true", "save_only_model": "no",
                                           "per_device_eval_batch_size": "4", "hub_model_id": "123",
                                           "gradient_checkpointing_kwargs": '{"use_reentrant": false}'})
    extra = opts.passthrough()
    assert extra["eval_strategy"] == "no" and extra["max_grad_norm"] == 0.001
    assert extra["logging_first_step"] is True and extra["save_only_model"] is False
    assert extra["per_device_eval_batch_size"] == 4 and opts.hub_model_id == "123"


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError) and issubclass(ConfigError, R1Error)
    with pytest.raises(ValueError, match="did you mean 'num_generations'"):
        GRPOOptions.model_validate({"num_generatons": 4})


def test_code_execution_keys_reach_their_rewards(capsys):
    report = dry(capsys, "grpo", "--config", str(FIXTURES / "grpo_code.yaml"), "--num-processes", "7")
    rewards = {r["name"]: r for r in report["rewards"]}
    # code_provider (+ its router URL) → the test-case code rewards only
    for name in ("code", "binary_code"):
        assert rewards[name]["options"]["provider"] == "router"
        assert rewards[name]["sources"]["provider"] == "code_provider + e2b_router_url"
        assert rewards[name]["options"]["provider_config"] == {"urls": ["http://ip-10-0-0-1:8000"]}
    # ioi_provider → IOI only, with the parallelism the provider understands
    ioi = rewards["ioi_code"]
    assert ioi["options"]["provider"] == "local" and ioi["sources"]["provider"] == "ioi_provider"
    assert ioi["options"]["provider_config"] == {"max_workers": 4}
    assert ioi["sources"]["provider_config"] == "parallel_code_exec_per_proc"
    assert ioi["options"]["test_batch_size"] == 3
    assert ioi["sources"]["test_batch_size"] == "code_eval_test_batch_size"
    assert rewards["format"]["options"] == {} and rewards["format"]["sources"] == {}
    assert rewards["cosine"]["options"]["min_value_wrong"] == 0.0
    assert rewards["cosine"]["sources"]["min_value_wrong"] == "cosine_min_value_wrong"
    assert rewards["soft_overlong_punishment"]["options"] == {"max_completion_len": 16384,
                                                             "soft_punish_cache": 4096}
    assert report["keys"]["e2b_router_url"]["status"] == "mapped"


def test_ioi_provider_does_not_touch_code_rewards(capsys):
    report = dry(capsys, "grpo", "--reward", "code", "--reward", "cf_code", "--reward", "ioi",
                 "--code-provider", "e2b", "--ioi-provider", "local", "--parallel-code-exec-per-proc", "3")
    rewards = {r["name"]: r for r in report["rewards"]}
    assert rewards["code"]["options"]["provider"] == "e2b"
    assert rewards["code"]["options"]["provider_config"] == {"max_parallel": 3}
    assert rewards["cf_code"]["options"]["provider"] == rewards["ioi"]["options"]["provider"] == "local"
    assert rewards["ioi"]["options"]["provider_config"] == {"max_workers": 3}


def test_unregistered_provider_is_refused_before_any_model_loads(capsys):
    code, out = run_main(["train", "grpo", "--reward", "ioi_code", "--ioi-provider", "piston",
                          "--model", "/nonexistent/model"], capsys)
    assert code == 2
    lines = out.err.strip().splitlines()
    assert len(lines) == 1, out.err
    assert "'piston'" in lines[0] and "registered sandboxes:" in lines[0] and "local" in lines[0]
    assert "cannot load model" not in out.err


def test_router_credentials_are_redacted(capsys):
    report = dry(capsys, "grpo", "--reward", "code", "--code-provider", "e2b",
                 "--e2b-router-url", "http://user:hunter2@router:8000", "--hub-token", "hf_secret")
    text = json.dumps(report)
    assert "hunter2" not in text and "hf_secret" not in text
    assert report["rewards"][0]["options"]["provider_config"]["urls"] == ["http://***@router:8000"]


def test_defaults_changed_lists_unset_keys_and_defaults_open_r1_restores_them(tmp_path, capsys):
    report = dry(capsys, "grpo", "--reward", "format")
    changed = {d["key"]: d for d in report["defaults_changed"]}
    assert changed["beta"] == {"key": "beta", "value": 0.0, "open_r1": 0.04}
    assert changed["loss_type"]["open_r1"] == "bnpo" and changed["vllm_mode"]["open_r1"] == "server"
    assert changed["max_prompt_length"]["removed"] is True
    assert "num_generations" not in changed  # r1 sets it for this machine: not TRL's default

    report = dry(capsys, "grpo", "--reward", "format", "--beta", "0.02")
    assert "beta" not in {d["key"] for d in report["defaults_changed"]}  # set: not a default

    report = dry(capsys, "grpo", "--reward", "format", "--defaults", "open-r1")
    assert report["trl"]["beta"] == 0.04 and report["trl"]["loss_type"] == "bnpo"
    assert report["trl"]["vllm_mode"] == "server"
    assert report["r1"]["max_prompt_length"] == 512  # TRL 1.x dropped it; r1 truncates itself
    assert report["defaults_changed"] == []

    cfg = tmp_path / "c.yaml"
    cfg.write_text("defaults: open-r1\nloss_type: grpo\nreward_funcs: [format]\n")
    report = dry(capsys, "grpo", "--config", str(cfg))
    assert report["trl"]["loss_type"] == "grpo" and report["trl"]["beta"] == 0.04


def test_trl_018_table_matches_what_open_r1_relied_on():
    grpo = TRL_018_DEFAULTS["grpo"]
    assert (grpo["beta"], grpo["loss_type"], grpo["vllm_mode"], grpo["max_prompt_length"]) == (
        0.04, "bnpo", "server", 512)
    assert TRL_018_DEFAULTS["sft"]["max_length"] == 1024


def test_sft_recipe_lists_what_this_machine_lacks(capsys):
    report = dry(capsys, "sft", "--config", str(FIXTURES / "sft.yaml"))
    needs = {r["package"]: r for r in report["requires"]}
    assert needs["bitsandbytes"]["for"] == "optim: paged_adamw_8bit"
    assert needs["flash-attn"]["install"].startswith('pip install "flash-attn"')
    assert report["trl"]["eos_token"] == "<|im_end|>" and report["trl"]["dataset_num_proc"] == 12
    assert isinstance(SFTOptions.model_validate({"eval_strategy": "no"}).passthrough()["eval_strategy"], str)


def test_unrunnable_recipe_fails_in_one_line_before_loading(capsys):
    """A real run of a recipe that needs flash-attn here: one line with the pip line, no model loaded."""
    import importlib.util

    if importlib.util.find_spec("flash_attn") is not None:
        pytest.skip("flash-attn is installed here")
    code, out = run_main(["train", "grpo", "--reward", "format", "--attn-implementation",
                          "flash_attention_2", "--model", "/nonexistent/model"], capsys)
    assert code == 2
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and 'pip install "flash-attn"' in lines[-1], out.err
    assert "cannot load model" not in out.err


@pytest.mark.parametrize("overrides, needle", [
    (["--eval-strategy", "sometimes"], "invalid training options"),
    (["--num-generations", "3", "--per-device-train-batch-size", "4"], "divisible"),
    (["--lr-scheduler-type", "cosine_sometimes"], "invalid training options"),
])
def test_invalid_trl_values_are_one_line_in_dry_run(overrides, needle, capsys):
    code, out = run_main(["train", "grpo", "--reward", "format", *overrides, "--dry-run"], capsys)
    assert code == 2, out
    lines = out.err.strip().splitlines()
    assert needle in lines[-1] and lines[-1].startswith("error:")
    assert "Traceback" not in out.err


class _Raises:
    """A trainer whose run raises ``exc``: the CLI edge must turn it into one line."""

    config_class = GRPOOptions

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
        self.name = "boom"

    def run(self, config):
        raise self.exc


@pytest.mark.parametrize("exc, code, needle", [
    (RuntimeError("something broke\nsecond line"), 1, "unexpected RuntimeError: something broke"),
    (ModuleNotFoundError("No module named 'liger_kernel'", name="liger_kernel"), 2,
     'pip install "liger-kernel"'),
    (__import__("typer").Abort(), 130, "aborted"),
])
def test_cli_edge_handles_any_exception_in_one_line(r1_register, capsys, monkeypatch, exc, code, needle):
    monkeypatch.delenv("R1_TRACEBACK", raising=False)
    r1_register("trainers", "boom", _Raises(exc))
    r1_register("rewards", "format", lambda completions, **kw: [0.0] * len(completions))
    got, out = run_main(["train", "boom", "--reward", "format"], capsys)
    assert got == code
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], out.err
    assert "Traceback" not in out.err


def test_a_router_url_alone_routes_code_rewards_to_it(capsys):
    """open-r1's code_provider defaulted to e2b, so its configs name only e2b_router_url."""
    report = dry(capsys, "grpo", "--reward", "binary_code", "--reward", "ioi",
                 "--e2b-router-url", "host:8000")
    rewards = {r["name"]: r for r in report["rewards"]}
    assert rewards["binary_code"]["options"]["provider"] == "router"
    assert rewards["binary_code"]["sources"]["provider"] == "e2b_router_url"
    assert rewards["ioi"]["options"]["provider"] == "router"  # no ioi_provider: the code provider decides
    report = dry(capsys, "grpo", "--reward", "binary_code", "--code-provider", "local",
                 "--e2b-router-url", "host:8000")
    assert report["rewards"][0]["options"]["provider"] == "local"
    assert report["keys"]["e2b_router_url"]["status"] == "ignored"


def test_a_real_run_prints_what_it_maps_and_ignores(tmp_path, capsys, monkeypatch):
    import r1_core.training.options as config_module

    monkeypatch.setattr(config_module, "_WARNED", set())  # each leftover key is noted once per process
    cfg = tmp_path / "recipe.yaml"
    cfg.write_text("torch_dtype: float32\nwarmup_ratio: 0.1\noverwrite_output_dir: true\n"
                   "save_total_limit: 1\nreward_funcs: [format]\nlearning_rate: 1.0e-05\n"
                   "max_prompt_length: 10\n")
    code, out = run_main(["train", "grpo", "--config", str(cfg), "--model", str(tmp_path / "no-model"),
                          "--output-dir", str(tmp_path / "run")], capsys)
    assert code == 2 and "cannot load model" in out.err.strip().splitlines()[-1]
    assert "option torch_dtype: mapped → dtype" in out.err
    assert "option warmup_ratio: mapped" in out.err and "option save_total_limit: mapped" in out.err
    assert "'overwrite_output_dir' is ignored" in out.err
    assert "learning_rate" not in out.err and "max_prompt_length" not in out.err  # applied: silent


@pytest.mark.parametrize("value, annotation, expected", [
    ("no", "IntervalStrategy | str", "no"),  # a field that takes strings keeps them
    ("off", "str", "off"),
    ("1e-3", "float", 0.001),
    ("4", "int", 4),
    ("4.0", "int", 4),
    ("no", "bool", False),
    ("True", "bool | None", True),
    ("none", "float | None", None),
    ("a,b", "list[str] | None", ["a", "b"]),
    ('["a", "b"]', "list[str]", ["a", "b"]),
    ('{"use_reentrant": false}', "dict | None", {"use_reentrant": False}),
    ("4.5", "int", "4.5"),  # does not convert: left for the validator to reject by name
    (["1", "2"], "list[float]", [1.0, 2.0]),
    (0.5, "float", 0.5),  # not text: untouched
])
def test_values_convert_by_the_declared_type(value, annotation, expected):
    from r1_core.config_parsing import convert_by_type
    from transformers.trainer_utils import IntervalStrategy

    hint = eval(annotation, {"IntervalStrategy": IntervalStrategy})
    assert convert_by_type(value, hint) == expected


def test_max_prompt_length_keeps_the_last_tokens():
    from r1_core.training.prompt_limit import limit_prompt_length

    class Trainer:
        def _tokenize_prompts(self, prompts):
            return [list(range(n)) for n in prompts], None, {}

    trainer, said = Trainer(), []
    limit_prompt_length(trainer, 3, said.append)
    ids, images, fields = trainer._tokenize_prompts([5, 2, 3])
    assert ids == [[2, 3, 4], [0, 1], [0, 1, 2]] and images is None and fields == {}
    assert len(said) == 1 and "last 3" in said[0]
    trainer._tokenize_prompts([9])
    assert len(said) == 1  # noted once
    untouched = Trainer()
    limit_prompt_length(untouched, None, said.append)
    assert untouched._tokenize_prompts([5])[0] == [[0, 1, 2, 3, 4]]
    with pytest.raises(ConfigError, match="max_prompt_length is not supported"):
        limit_prompt_length(object(), 3, said.append)


def test_max_prompt_length_is_applied_for_grpo_and_ignored_for_sft(capsys):
    report = dry(capsys, "grpo", "--reward", "format", "--max-prompt-length", "256")
    assert report["keys"]["max_prompt_length"]["status"] == "applied"
    assert report["r1"]["max_prompt_length"] == 256
    assert "max_prompt_length" not in {d["key"] for d in report["defaults_changed"]}
    report = dry(capsys, "sft", "--max-prompt-length", "256")
    assert report["keys"]["max_prompt_length"]["status"] == "ignored"
