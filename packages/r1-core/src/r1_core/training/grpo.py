"""``r1 train grpo``: TRL's GRPOTrainer with registry rewards, embedded defaults and a run dir."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from r1_core.training.coldstart import cold_start_dataset, cold_start_model
from r1_core.training.data import load_train_dataset, to_prompt_dataset
from r1_core.training.environments import (
    build_environment,
    close_environments,
    prepare_tool_tokenizer,
    tool_metrics_callback,
)
from r1_core.training.evalsplit import load_eval_split
from r1_core.training.model import load_model, load_tokenizer, lora_config, resolve_model_path
from r1_core.training.options import GRPOOptions
from r1_core.training.prompt_limit import limit_prompt_length
from r1_core.training.rewards import build_reward_funcs, check_reward_columns, default_dataset_for
from r1_core.training.session import (
    TrainResult,
    callbacks,
    describe,
    save_config,
    start_session,
    train_and_save,
    trl_args,
    with_saved_config,
)
from r1_core.training.shared_prompt import install_shared_prompt

__all__ = ["grpo_trl_fields", "run_grpo"]

_GRPO_FIELDS = ("num_generations", "max_completion_length", "loss_type", "beta", "epsilon", "epsilon_high",
                "scale_rewards", "temperature", "top_p", "num_iterations", "mask_truncated_completions",
                "use_vllm", "vllm_mode", "vllm_gpu_memory_utilization", "log_completions", "reward_weights")


def grpo_trl_fields(opts: GRPOOptions) -> dict[str, Any]:
    """r1's GRPO fields that map one-to-one onto ``trl.GRPOConfig``."""
    return {k: getattr(opts, k) for k in _GRPO_FIELDS}


def dataset_label(opts: Any, default: str | None) -> str:
    if opts.dataset_mixture is not None:
        return "mixture of " + ", ".join(d.id for d in opts.dataset_mixture.datasets)
    return opts.dataset_name or default or "?"


TrainerFactory = Callable[..., Any]


def run_grpo(opts: GRPOOptions, kind: str = "grpo",
             make_trainer: TrainerFactory | None = None) -> TrainResult:
    """Validate rewards and data, then train. ``make_trainer`` lets ``combined`` swap the trainer class."""
    opts = with_saved_config(opts, kind)  # a resumed run keeps its rewards
    funcs = build_reward_funcs(opts)  # unknown reward names fail before anything heavy happens
    env = build_environment(opts)  # likewise an unknown environment or a bad option
    s = start_session(opts, kind)
    o = s.opts
    default = default_dataset_for(o.reward_funcs)
    raw = load_train_dataset(o, default)
    ds = to_prompt_dataset(raw, o.dataset_prompt_column, o.system_prompt)
    label = dataset_label(o, default)
    check_reward_columns(funcs, ds.column_names, label)

    from trl import GRPOConfig, GRPOTrainer

    args = trl_args(s, GRPOConfig, grpo_trl_fields(o))
    eval_raw = load_eval_split(o, args, default)  # open-r1's dataset_test_split, when evaluating
    eval_ds = None if eval_raw is None else to_prompt_dataset(eval_raw, o.dataset_prompt_column,
                                                              o.system_prompt)
    if eval_ds is not None:
        check_reward_columns(funcs, eval_ds.column_names, f"{label} ({o.dataset_test_split} split)")
    model_path = resolve_model_path(o)
    demos = cold_start_dataset(o)
    if demos is not None:
        model_path = cold_start_model(model_path, demos, o, s.on_gpu, s.say)
    tokenizer = load_tokenizer(model_path, o)
    if env is not None:
        prepare_tool_tokenizer(tokenizer, s.say)
    model = load_model(model_path, o, o.dtype)
    save_config(s)
    names = ", ".join(f.__name__ for f in funcs)
    tools = f"; environment {env.name} (tools: {', '.join(env.tools)})" if env is not None else ""
    describe(s, model_path, label, len(ds), f"; rewards {names}{tools}; {args.num_generations} generations × "
                                            f"{args.max_completion_length} tokens")
    kwargs = dict(model=model, reward_funcs=funcs, args=args, train_dataset=ds, eval_dataset=eval_ds,
                  processing_class=tokenizer,
                  callbacks=callbacks(s), peft_config=lora_config(o, model, s.on_gpu) if o.use_peft else None)
    if env is not None:
        kwargs.update(environment_factory=env, callbacks=[tool_metrics_callback(env), *kwargs["callbacks"]])
    trainer = GRPOTrainer(**kwargs) if make_trainer is None else make_trainer(s, raw, kwargs)
    limit_prompt_length(trainer, s.opts.max_prompt_length, s.say)  # open-r1's max_prompt_length
    if not s.on_gpu:
        install_shared_prompt(trainer, s.say)
    try:
        return train_and_save(s, trainer, tokenizer)
    finally:
        close_environments(trainer)

