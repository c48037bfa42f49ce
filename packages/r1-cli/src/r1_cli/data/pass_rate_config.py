"""open-r1's pass-rate filtering configs (``recipes/dataset_filtering/*.yaml``) for
``r1 data filter-pass-rate --config F``: every key is applied to a command option, given to the
rewards, or ignored with the reason. Rewards are built the way ``r1 train grpo`` builds them, so the
code-execution keys (``code_provider``, ``e2b_router_url`` ...) reach the rewards that use them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from r1_core.config_parsing import read_yaml
from r1_core.errors import ConfigError

__all__ = ["PassRateConfig", "load_pass_rate_config"]

# config key → the command option it sets
OPTIONS = {
    "model_name_or_path": "model", "model": "model", "dataset_name": "dataset", "dataset": "dataset",
    "dataset_split": "split", "dataset_train_split": "split", "dataset_prompt_column": "column",
    "system_prompt": "system_prompt", "max_completion_length": "max_new_tokens",
    "num_generations": "num_samples", "temperature": "temperature", "top_p": "top_p", "seed": "seed",
    "pass_rate_min": "min_rate", "pass_rate_max": "max_rate",
}
FLAGS = {"min_rate": "--min", "max_rate": "--max"}
# keys that choose the rewards; every other reward key is one a registered reward declares
# (r1_core.reward_options: cosine_max_len, code_provider, e2b_router_url ...), as in `r1 train grpo`
REWARD_KEYS = {"reward_funcs", "reward_kwargs"}
IGNORED = {
    "reward_weights": "open-r1's pass rate is the unweighted mean of the rewards, and so is r1's",
    "torch_dtype": "the transformers backend loads the model's own dtype",
    "attn_implementation": "the generator picks the attention implementation",
    "output_dataset_name": "r1 writes generations.jsonl and filtered.jsonl to --output; push them with "
                           "`huggingface-cli upload` if you want them on the Hub",
    "chat_template": "the model's own chat template is used",
    "dataset_config": "r1 data commands read a Hub dataset's default config",
    "model_revision": "the generator loads the default revision: pass a local directory for another",
}


@dataclass
class PassRateConfig:
    """What a filtering config sets: command options, built rewards, and each key's fate."""

    options: dict[str, Any]
    rewards: dict[str, Callable[..., Any]]
    plans: list[dict[str, Any]]
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)


def load_pass_rate_config(path: str | Path, reward_override: list[str] | None = None) -> PassRateConfig:
    """Read ``path``; rewards are built now, so bad names or providers fail before any model loads."""
    from r1_core.training import GRPOOptions
    from r1_core.training.rewards import build_reward_funcs, plan_rewards, reward_option_keys

    data = read_yaml(path)
    named = reward_override or data.get("reward_funcs") or []
    declared = reward_option_keys([named] if isinstance(named, str) else list(named))
    options: dict[str, Any] = {}
    keys: dict[str, dict[str, Any]] = {}
    reward_data: dict[str, Any] = {}
    for key, value in data.items():
        if key in OPTIONS:
            options[OPTIONS[key]] = value
            flag = FLAGS.get(OPTIONS[key], "--" + OPTIONS[key].replace("_", "-"))
            keys[key] = {"status": "applied", "to": flag, "reason": None}
        elif key in REWARD_KEYS or key in declared:
            reward_data[key] = value
            keys[key] = {"status": "applied", "to": "the rewards", "reason": None}
        elif key in IGNORED:
            keys[key] = {"status": "ignored", "to": None, "reason": IGNORED[key]}
        else:
            raise ConfigError(f"unknown key {key!r} in the filtering config {path}",
                              "see `r1 data filter-pass-rate --help` and docs/data.md")
    if reward_override:
        reward_data["reward_funcs"] = reward_override
    if not reward_data.get("reward_funcs"):
        raise ConfigError(f"{path} sets no reward_funcs", "add reward_funcs: [accuracy] or pass --reward")
    opts = GRPOOptions.model_validate(reward_data)
    plans = plan_rewards(opts)
    funcs = build_reward_funcs(opts, plans)
    rewards = {plan.name: fn for plan, fn in zip(plans, funcs, strict=True)}
    return PassRateConfig(options=options, rewards=rewards, plans=[p.as_json() for p in plans], keys=keys)
