"""open-r1 compatibility facts: the TRL 0.18 defaults open-r1's recipes were written against, and
what r1 does with each open-r1 recipe key that is not simply a TRL field.

``TRL_018_DEFAULTS`` is data, not code: the literal defaults of ``trl.GRPOConfig`` and
``trl.SFTConfig`` at TRL tag ``v0.18.0`` (the version open-r1 pins), read from
``trl/trainer/grpo_config.py`` and ``trl/trainer/sft_config.py`` of github.com/huggingface/trl at that
tag (``git show v0.18.0:trl/trainer/grpo_config.py``). Fields whose default is computed (a factory)
are left out. Keys inherited from transformers' ``TrainingArguments`` are not listed: r1 sets those
it cares about itself (learning rate, bf16, gradient checkpointing, logging steps).
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["TRL_018_DEFAULTS", "apply_open_r1_defaults", "defaults_changed"]

TRL_018_DEFAULTS: dict[str, dict[str, Any]] = {
    "grpo": {
        "model_init_kwargs": None, "disable_dropout": False, "remove_unused_columns": False,
        "max_prompt_length": 512, "num_generations": 8, "max_completion_length": 256,
        "ds3_gather_for_generation": True, "shuffle_dataset": True, "generation_batch_size": None,
        "steps_per_generation": None, "temperature": 1.0, "top_p": 1.0, "top_k": None, "min_p": None,
        "repetition_penalty": 1.0, "cache_implementation": None, "use_vllm": False,
        "vllm_server_base_url": None, "vllm_mode": "server", "vllm_guided_decoding_regex": None,
        "vllm_server_host": "0.0.0.0", "vllm_server_port": 8000, "vllm_server_timeout": 240.0,
        "vllm_gpu_memory_utilization": 0.3, "vllm_tensor_parallel_size": 1, "learning_rate": 1e-06,
        "beta": 0.04, "num_iterations": 1, "epsilon": 0.2, "delta": None, "epsilon_high": None,
        "reward_weights": None, "scale_rewards": True, "loss_type": "bnpo",
        "mask_truncated_completions": False, "sync_ref_model": False, "ref_model_mixup_alpha": 0.6,
        "ref_model_sync_steps": 512, "use_liger_loss": False, "log_completions": False,
        "num_completions_to_print": None, "wandb_log_unique_prompts": False,
    },
    "sft": {
        "model_init_kwargs": None, "dataset_text_field": "text", "dataset_kwargs": None,
        "dataset_num_proc": None, "eos_token": None, "pad_token": None, "max_length": 1024,
        "packing": False, "padding_free": False, "pad_to_multiple_of": None, "eval_packing": None,
        "learning_rate": 2e-05, "completion_only_loss": None, "activation_offloading": False,
        "max_seq_length": None,
    },
}

# Values that mean the same in both versions (TRL 1.x spells some settings differently).
_SAME = {
    "scale_rewards": {True: "group", False: "none"},
    "top_k": {None: 0},
}
# What removing a key changed, for keys TRL 1.x dropped whose 0.18 default did something.
_REMOVED_NOTES = {
    "max_prompt_length": "TRL 1.x has no max_prompt_length, so prompts are not truncated (open-r1 cut "
                         "them to 512 tokens); r1 does it when max_prompt_length is set or with "
                         "--defaults open-r1",
}


def _table(kind: str) -> dict[str, Any]:
    return TRL_018_DEFAULTS["sft" if kind == "sft" else "grpo"]


def _same(key: str, old: Any, new: Any) -> bool:
    return old == new or _SAME.get(key, {}).get(old, object()) == new


def _translate(key: str, old: Any) -> Any:
    return _SAME.get(key, {}).get(old, old)


def _installed_defaults(config_cls: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config_cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


def defaults_changed(kind: str, config_cls: Any, user_keys: set[str],
                     r1_keys: set[str]) -> list[dict[str, Any]]:
    """Defaults that differ between TRL 0.18 and the installed TRL, for keys neither the config
    (``user_keys``) nor r1 (``r1_keys``: values r1 passes to TRL itself) sets.

    Each item: ``{"key", "value", "open_r1"}`` (``value`` is None and ``removed`` true for a key the
    installed TRL no longer has; ``note`` says what that changes).
    """
    installed = _installed_defaults(config_cls)
    out: list[dict[str, Any]] = []
    for key, old in _table(kind).items():
        if key in user_keys or key in r1_keys:
            continue
        if key not in installed:
            if key in _REMOVED_NOTES:
                out.append({"key": key, "value": None, "open_r1": old, "removed": True,
                            "note": _REMOVED_NOTES[key]})
            continue
        if not _same(key, old, installed[key]):
            out.append({"key": key, "value": installed[key], "open_r1": old})
    return out


def apply_open_r1_defaults(kind: str, config_cls: Any, args: dict[str, Any],
                           user_keys: set[str]) -> list[str]:
    """``--defaults open-r1``: the keys :func:`defaults_changed` would list get their TRL 0.18 value
    (translated to today's spelling), in ``args`` in place. Values r1 chooses for the machine (CPU
    batch sizes, learning rate with LoRA ...) stay r1's. Returns the keys set."""
    r1_keys = {k for k, v in args.items() if v is not None}
    applied = []
    for item in defaults_changed(kind, config_cls, user_keys, r1_keys):
        if not item.get("removed"):
            args[item["key"]] = _translate(item["key"], item["open_r1"])
            applied.append(item["key"])
    return applied


def describe_changes(items: list[dict[str, Any]]) -> str:
    """One line for the start-up message."""
    parts = []
    for item in items:
        if item.get("removed"):
            parts.append(f"{item['key']} removed (open-r1: {item['open_r1']!r})")
        else:
            parts.append(f"{item['key']}={item['value']!r} (open-r1: {item['open_r1']!r})")
    return "; ".join(parts)
