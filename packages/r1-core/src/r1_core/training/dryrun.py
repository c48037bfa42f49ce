"""``r1 train KIND --config F --dry-run [--json]``: everything short of loading weights and data.

The TRL config object is built (so TRL's own validation runs), the reward functions are built with
their options (each with the config key it came from), accelerate / DeepSpeed settings are checked, and the
optional packages the config needs are looked up. Every key of the config is reported as applied,
mapped (with where it went) or ignored (with why). Nothing is written to disk.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import yaml

from r1_core.errors import ConfigError
from r1_core.training.options import IGNORED_KEYS, SYNONYMS, PipelineOptions, RunOptions
from r1_core.training.requires import require_training_stack
from r1_core.training.rewards import plan_rewards, redact

__all__ = ["accelerate_settings", "classify_keys", "dry_run", "key_notes", "render"]

# TRL ModelConfig keys r1 reads itself (from the passthrough) rather than passing to TRL's config.
_MODEL_KEYS_USED = {
    "lora_modules_to_save": "LoRA modules_to_save", "use_rslora": "LoRA use_rslora",
    "use_dora": "LoRA use_dora", "load_in_4bit": "QLoRA: 4-bit base model (bitsandbytes, GPU only)",
    "load_in_8bit": "QLoRA: 8-bit base model (bitsandbytes, GPU only)",
    "bnb_4bit_quant_type": "QLoRA quantization type", "use_bnb_nested_quant": "QLoRA nested quantization",
    "bnb_4bit_quant_storage": "QLoRA quantized storage dtype",
}
# r1 fields that are not TRL fields: where they go.
_R1_TARGETS = {
    "model_name_or_path": "the model loaded", "model_revision": "the model's Hub revision",
    "dtype": "the model's dtype", "attn_implementation": "the model's attention implementation",
    "trust_remote_code": "model and tokenizer loading", "chat_template": "the tokenizer's chat template",
    "use_peft": "LoRA adapters", "lora_r": "LoRA rank", "lora_alpha": "LoRA alpha",
    "lora_dropout": "LoRA dropout", "lora_target_modules": "LoRA target modules",
    "dataset_name": "the training data", "dataset_config": "the dataset's config",
    "dataset_train_split": "the training split",
    "dataset_test_split": "the eval split (built when eval_strategy is not 'no')",
    "dataset_mixture": "the training data (a mixture)", "dataset_prompt_column": "the prompt column",
    "system_prompt": "a system message before every prompt", "max_train_samples": "the training data",
    "output_dir": "the run directory", "resume": "resume from the last complete checkpoint",
    "reward_funcs": "the reward functions", "reward_kwargs": "reward factory options",
    "push_to_hub_revision": "each checkpoint pushed to its own Hub branch",
    "hub_model_revision": "the Hub branch prefix of checkpoint pushes",
    "callbacks": "trainer callbacks", "wandb_entity": "WANDB_ENTITY", "wandb_project": "WANDB_PROJECT",
    "wandb_run_group": "WANDB_RUN_GROUP", "defaults": "which defaults fill unset TRL keys",
    "benchmarks": "r1 benchmarks run on each saved checkpoint",
    "sft_dataset_name": "the demonstrations", "sft_dataset_config": "the demonstrations' config",
    "sft_weight": "the SFT loss weight", "sft_batch_size": "demonstrations per micro-step",
    "sft_max_length": "tokens per demonstration", "completion_column": "the answer column",
    "max_prompt_length": "longer prompts keep their last N tokens (as TRL 0.18 did; TRL 1.x dropped it)",
}
def _trl_fields(opts: RunOptions) -> set[str]:
    from r1_core.training.options import _dataclass_fields

    return set(_dataclass_fields(opts.trl_config))


def _model_fields() -> set[str]:
    from r1_core.training.options import _dataclass_fields

    return set(_dataclass_fields("trl:ModelConfig"))


_CHANGED_REASONS = {
    "save_total_limit": "r1 keeps at least 2 checkpoints, so a complete one survives a crash while the "
                        "next is written",
    "push_to_hub": "inactive: the Hub is unreachable from here (HF_HUB_OFFLINE or no network)",
}


def _norm(value: Any) -> Any:
    value = getattr(value, "value", value)  # TRL turns strategy strings into enums
    return list(value) if isinstance(value, tuple) else value


def _given(opts: RunOptions, key: str) -> Any:
    if key in type(opts).model_fields:
        return getattr(opts, key)
    return (opts.model_extra or {}).get(key)


def classify_keys(raw: dict[str, Any], opts: RunOptions, trl_cls: Any,
                  plans: list[Any], built: Any = None) -> dict[str, dict[str, Any]]:
    """``{key: {"status": applied|mapped|ignored, "to": ..., "reason": ...}}`` for every given key.

    With ``built`` (the TRL config object), a TRL key whose value r1 changed is reported as mapped,
    with the value TRL got and why.
    """
    out = _classify(list(raw), opts, trl_cls, plans)
    for name, info in out.items():
        key = SYNONYMS.get(name, name)
        if info["status"] != "applied":
            continue
        value = raw[name]
        if (key in type(opts).model_fields and not isinstance(value, str)
                and _norm(value) != _norm(getattr(opts, key))):
            info.update(status="mapped", reason=f"r1 uses {getattr(opts, key)!r} instead of {value!r}: "
                        + _CHANGED_REASONS.get(key, "r1 adjusts this value"))
            continue
        if built is None or not str(info["to"]).startswith("trl."):
            continue
        given, actual = _norm(_given(opts, key)), _norm(getattr(built, key, None))
        if given != actual:
            info.update(status="mapped", reason=f"TRL gets {actual!r} instead of {given!r}: "
                        + _CHANGED_REASONS.get(key, "set by r1 for this machine / run"))
    return out


def _classify(raw_keys: list[str], opts: RunOptions, trl_cls: Any,
              plans: list[Any]) -> dict[str, dict[str, Any]]:
    trl_name = f"trl.{trl_cls.__name__}"
    trl_fields = {f.name for f in dataclasses.fields(trl_cls)}
    routed = opts.reward_settings() if hasattr(opts, "reward_settings") else {}
    out: dict[str, dict[str, Any]] = {}
    for raw in raw_keys:
        key = SYNONYMS.get(raw, raw)
        if key != raw:
            out[raw] = {"status": "mapped", "to": key, "reason": f"r1's name for {raw!r}"}
            if raw == "torch_dtype":
                out[raw]["reason"] = "transformers 5 renamed torch_dtype to dtype"
            continue
        if key in IGNORED_KEYS and key not in type(opts).model_fields:
            out[raw] = {"status": "ignored", "to": None, "reason": IGNORED_KEYS[key]}
        elif key in routed:
            out[raw] = _reward_key(key, opts, plans)
        elif key == "warmup_ratio" and "warmup_ratio" not in trl_fields:
            out[raw] = {"status": "mapped", "to": f"{trl_name}.warmup_steps",
                        "reason": "transformers 5 folded warmup_ratio into warmup_steps (a value < 1 is "
                                  "a fraction of the steps)"}
        elif key == "callbacks":
            names = list(getattr(opts, "callbacks", []))
            unknown = [n for n in names if n != "push_to_hub_revision"]
            out[raw] = ({"status": "mapped", "to": "push_to_hub_revision",
                         "reason": "open-r1's callback = r1's per-step Hub revisions"} if not unknown else
                        {"status": "ignored", "to": None,
                         "reason": f"unknown callback(s) {unknown}: r1 has push_to_hub_revision only"})
        elif key == "scale_rewards" and key in opts.model_fields_set:
            out[raw] = {"status": "mapped", "to": f"{trl_name}.scale_rewards",
                        "reason": f"as {getattr(opts, key)!r} (TRL 1.x: group | batch | none; "
                                  "true = group, false = none)"}
        elif key == "benchmarks":
            from r1_core.training.checkpoint_benchmarks import resolve_benchmarks

            names = resolve_benchmarks(list(getattr(opts, "benchmarks", [])))
            out[raw] = {"status": "mapped", "to": f"r1 benchmarks {names} on each saved checkpoint",
                        "reason": "open-r1 submitted LightEval jobs per pushed checkpoint; r1 runs its own "
                                  "benchmarks in the training process (results in <run>/benchmarks/ and "
                                  "metrics.jsonl)"}
        elif key in type(opts).model_fields:
            if key in trl_fields:
                out[raw] = {"status": "applied", "to": f"{trl_name}.{key}", "reason": None}
            else:
                out[raw] = {"status": "applied", "to": "r1: " + _R1_TARGETS.get(key, "r1's own option"),
                            "reason": None}
        elif key in trl_fields:
            out[raw] = {"status": "applied", "to": f"{trl_name}.{key}", "reason": None}
        elif key in _MODEL_KEYS_USED:
            out[raw] = {"status": "applied", "to": "r1: " + _MODEL_KEYS_USED[key], "reason": None}
        elif key in _model_fields():
            out[raw] = {"status": "ignored", "to": None,
                        "reason": f"a TRL ModelConfig key r1 does not use (r1 equivalents: "
                                  f"`r1 train {opts.trainer_name} --help`)"}
        else:
            out[raw] = {"status": "ignored", "to": None,
                        "reason": f"not a {trl_cls.__name__} field in TRL {_trl_version()}"}
    return out


def _reward_key(key: str, opts: RunOptions, plans: list[Any]) -> dict[str, Any]:
    """Where a config key routed to the rewards went: each reward option it set (directly, or through
    the options the reward derives from it), or nowhere, with the rewards of the run."""
    users = [f"{p.name}.{option}" for p in plans for option, source in p.sources.items()
             if key in source.split(" + ")]
    if not users:
        rewards = ", ".join(getattr(opts, "reward_funcs", None) or [])
        return {"status": "ignored", "to": None,
                "reason": f"no reward of this config uses it (rewards: {rewards})"}
    return {"status": "mapped", "to": f"rewards: {', '.join(users)}", "reason": "reward option"}


def _trl_version() -> str:
    import trl

    return str(getattr(trl, "__version__", "?"))


_DISTRIBUTED = {"NO", "MULTI_GPU", "MULTI_CPU", "MULTI_XPU", "MULTI_NPU", "MULTI_MLU", "MULTI_HPU",
                "DEEPSPEED", "FSDP", "XLA", "MEGATRON_LM"}
_PRECISION = {"no", "fp16", "bf16", "fp8"}


def accelerate_settings(path: str | None) -> dict[str, Any] | None:
    """An accelerate config file, checked: known distributed type, ZeRO stage, mixed precision."""
    if not path:
        env = os.environ.get("ACCELERATE_CONFIG_FILE")
        if not env:
            return None
        path = env
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"accelerate config {path!r} does not exist", "check --accelerate-config")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML in accelerate config {path}: {exc}", "fix the syntax") from None
    if not isinstance(data, dict):
        raise ConfigError(f"accelerate config {path} must be a mapping", "see recipes/accelerate_configs/")
    kind = str(data.get("distributed_type", "NO"))
    if kind not in _DISTRIBUTED:
        raise ConfigError(f"{path}: distributed_type {kind!r} is not an accelerate distributed type",
                          f"use one of: {', '.join(sorted(_DISTRIBUTED))}")
    precision = str(data.get("mixed_precision", "no"))
    if precision not in _PRECISION:
        raise ConfigError(f"{path}: mixed_precision {precision!r} is invalid", "use no, fp16, bf16 or fp8")
    if kind == "DEEPSPEED":
        ds = data.get("deepspeed_config") or {}
        stage = ds.get("zero_stage")
        config_file = ds.get("deepspeed_config_file")
        if stage not in (0, 1, 2, 3) and not config_file:
            raise ConfigError(f"{path}: deepspeed_config.zero_stage is {stage!r}", "use 0, 1, 2 or 3")
        if config_file and not Path(config_file).is_file():
            raise ConfigError(f"{path}: deepspeed_config_file {config_file!r} does not exist",
                              "fix the path")
    if kind == "FSDP" and not isinstance(data.get("fsdp_config"), dict):
        raise ConfigError(f"{path}: distributed_type FSDP needs an fsdp_config mapping",
                          "see recipes/accelerate_configs/fsdp.yaml")
    processes = data.get("num_processes", 1)
    if not isinstance(processes, int) or processes < 1:
        raise ConfigError(f"{path}: num_processes must be a positive integer (got {processes!r})",
                          "fix num_processes")
    return {"file": str(path), "distributed_type": kind, "mixed_precision": precision,
            "num_processes": processes,
            "zero_stage": (data.get("deepspeed_config") or {}).get("zero_stage") if kind == "DEEPSPEED"
            else None}


def _check_deepspeed_key(extra: dict[str, Any]) -> None:
    value = extra.get("deepspeed")
    if isinstance(value, str) and value.strip() and not value.strip().startswith("{"):
        path = Path(value)
        if not path.is_file():
            raise ConfigError(f"deepspeed config {value!r} does not exist", "fix the deepspeed: path")
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"deepspeed config {value} is not valid JSON: {exc}", "fix the file") from None


def _with_world_size(config_cls: Any, processes: int) -> Any:
    """``config_cls`` validating as if ``processes`` processes ran (TRL's GRPO batch arithmetic
    depends on it; a dry run is one process)."""
    return type(config_cls.__name__, (config_cls,), {"world_size": property(lambda self: processes)})


def _stage(kind: str, opts: RunOptions, raw_keys: dict[str, Any], accelerate: dict[str, Any] | None,
           processes: int) -> dict[str, Any]:
    from r1_core.training.evalsplit import wants_eval
    from r1_core.training.requires import requirements
    from r1_core.training.rewards import build_reward_funcs
    from r1_core.training.rundir import RunDir, resolve_output_dir
    from r1_core.training.session import Session, _apply_machine_defaults, _gpu, trl_args

    plans: list[Any] = []
    if kind in ("grpo", "combined"):
        plans = plan_rewards(opts)  # type: ignore[arg-type]
        build_reward_funcs(opts, plans)  # type: ignore[arg-type]  # really built: options validated
    _check_deepspeed_key(opts.passthrough())
    if opts.benchmarks:
        from r1_core.training.checkpoint_benchmarks import resolve_benchmarks

        resolve_benchmarks(opts.benchmarks)
    user_keys = set(opts.model_fields_set) | set(opts.model_extra or {})
    out = resolve_output_dir(opts.output_dir, kind, False)
    s = Session(kind=kind, opts=opts.model_copy(update={"output_dir": str(out), "resume": False}),
                run=RunDir(out), resume_from=None, on_gpu=_gpu(), user_keys=user_keys)
    _apply_machine_defaults(s)
    if kind == "sft":
        from trl import SFTConfig as config_cls

        own = {"max_length": s.opts.max_length, "packing": s.opts.packing}
    else:
        from trl import GRPOConfig as config_cls

        from r1_core.training.grpo import grpo_trl_fields

        own = grpo_trl_fields(s.opts)
    try:
        built = trl_args(s, _with_world_size(config_cls, processes), own)
    except ConfigError as exc:
        exc.hint = (f"checked for {processes} training process(es); pass --num-processes N (the count "
                    "accelerate launch starts) to check another, or adjust the options named above")
        raise
    return {
        "trainer": kind,
        "machine": "GPU" if s.on_gpu else "CPU",
        "processes": processes,
        "r1": {k: getattr(s.opts, k) for k in ("dtype", "use_peft", "max_prompt_length", "benchmarks")
               if k in type(s.opts).model_fields},
        "trl": redact({f.name: _norm(getattr(built, f.name, None)) for f in dataclasses.fields(built)
                       if f.init and not f.name.startswith("_")}),
        "rewards": [p.as_json() for p in plans],
        "keys": classify_keys(raw_keys, opts, config_cls, plans, built),
        "requires": list(requirements(s.opts, accelerate)),
        "defaults_changed": s.defaults_changed,
        "accelerate": accelerate,
        "eval": ({"split": opts.dataset_test_split, "strategy": _norm(built.eval_strategy),
                  "steps": built.eval_steps} if wants_eval(built) else None),
    }


def dry_run(kind: str, cfg: Any, raw_keys: dict[str, Any], accelerate_config: str | None = None,
            num_processes: int | None = None) -> dict[str, Any]:
    """The dry-run report of ``cfg`` (validated options of trainer ``kind``); raises on an invalid one.

    ``num_processes``: the training processes to validate for (default: the accelerate config's
    ``num_processes``, else ``$WORLD_SIZE``, else 1).
    """
    require_training_stack(f"r1 train {kind} --dry-run")  # it builds TRL's config
    accelerate = accelerate_settings(accelerate_config)
    processes = (num_processes or (accelerate or {}).get("num_processes")
                 or int(os.environ.get("WORLD_SIZE", "1")))
    if processes < 1:
        raise ConfigError(f"--num-processes must be at least 1 (got {processes})", "pass a positive count")
    if isinstance(cfg, PipelineOptions):
        stages = []
        for i, stage in enumerate(cfg.stages):
            stage_kind = str(stage.get("trainer"))
            stage_opts = cfg.stage_options(i)
            stage_keys = {k: v for k, v in {**raw_keys, **stage}.items()
                          if k not in ("stages", "trainer", "output_dir", "resume", "model_name_or_path",
                                       "model")}
            stages.append(_stage(stage_kind, stage_opts, stage_keys, accelerate, processes))
        return {"trainer": "pipeline", "stages": stages,
                "requires": [r for st in stages for r in st["requires"]],
                "defaults_changed": [d for st in stages for d in st["defaults_changed"]]}
    return _stage(kind, cfg, raw_keys, accelerate, processes)


def key_notes(kind: str, cfg: Any, raw: dict[str, Any]) -> list[str]:
    """For a real run: one line per config key r1 maps elsewhere or ignores (applied keys are silent;
    the ignored TRL 1.x leftovers were already noted while the config was read)."""
    if isinstance(cfg, PipelineOptions) or not raw:
        return []
    if kind == "sft":
        from trl import SFTConfig as config_cls
    else:
        from trl import GRPOConfig as config_cls
    plans = plan_rewards(cfg) if kind in ("grpo", "combined") else []
    lines = []
    for key, info in classify_keys(raw, cfg, config_cls, plans).items():
        if info["status"] == "applied" or (info["status"] == "ignored" and key in IGNORED_KEYS):
            continue
        target = f" → {info['to']}" if info.get("to") else ""
        lines.append(f"{key}: {info['status']}{target} ({info['reason']})")
    return lines


def render(report: dict[str, Any]) -> str:
    """The human-readable report: one line per key, reward, requirement and changed default."""
    done = "config OK (dry run: nothing was loaded or written)"
    if report.get("trainer") == "pipeline":
        stages = (f"stage {i}:\n" + render(st).removesuffix("\n" + done)
                  for i, st in enumerate(report["stages"]))
        return "\n\n".join(stages) + "\n\n" + done
    lines = [f"trainer: {report['trainer']} (TRL config built on this {report['machine']} machine, "
             f"checked for {report['processes']} training process(es))"]
    if report.get("accelerate"):
        a = report["accelerate"]
        lines.append(f"accelerate: {a['distributed_type']}, {a['num_processes']} processes, "
                     f"mixed precision {a['mixed_precision']}"
                     + (f", ZeRO-{a['zero_stage']}" if a.get("zero_stage") is not None else ""))
    for r in report["rewards"]:
        origin = ", ".join(f"{o} ← {k}" for o, k in r["sources"].items())
        lines.append(f"reward {r['name']} × {r['weight']:g}; options {r['options']}"
                     + (f" (from {origin})" if origin else ""))
    for key, info in report["keys"].items():
        text = f"key {key}: {info['status']}"
        if info.get("to"):
            text += f" → {info['to']}"
        if info.get("reason"):
            text += f" ({info['reason']})"
        lines.append(text)
    for req in report["requires"]:
        state = "available" if req["available"] else f"MISSING — {req['install']}"
        lines.append(f"requires {req['package']} for {req['for']}: {state}")
    for d in report["defaults_changed"]:
        if d.get("removed"):
            lines.append(f"default changed: {d['key']} (open-r1 {d['open_r1']!r}): {d['note']}")
        else:
            lines.append(f"default changed: {d['key']} = {d['value']!r} (open-r1: {d['open_r1']!r}; "
                         "--defaults open-r1 restores it)")
    lines.append(done)
    return "\n".join(lines)
