"""``r1 train sft``: TRL's SFTTrainer on chat demonstrations (distillation of reasoning traces)."""

from __future__ import annotations

from r1_core.training.data import load_train_dataset, to_sft_dataset
from r1_core.training.evalsplit import load_eval_split
from r1_core.training.grpo import dataset_label
from r1_core.training.model import load_model, load_tokenizer, lora_config, resolve_model_path
from r1_core.training.options import SFTOptions
from r1_core.training.rewards import default_dataset_for
from r1_core.training.session import (
    TrainResult,
    callbacks,
    describe,
    save_config,
    start_session,
    train_and_save,
    trl_args,
)

__all__ = ["run_sft"]


def run_sft(opts: SFTOptions) -> TrainResult:
    s = start_session(opts, "sft")
    o = s.opts
    # the set the default rewards train on (r1-rewards' math demonstrations), asked of the registry
    default = default_dataset_for([])
    ds = to_sft_dataset(load_train_dataset(o, default), o, o.completion_column)

    from trl import SFTConfig, SFTTrainer

    args = trl_args(s, SFTConfig, {"max_length": o.max_length, "packing": o.packing})
    eval_raw = load_eval_split(o, args, default)  # open-r1's dataset_test_split, when evaluating
    eval_ds = None if eval_raw is None else to_sft_dataset(eval_raw, o, o.completion_column)
    model_path = resolve_model_path(o)
    tokenizer = load_tokenizer(model_path, o)
    model = load_model(model_path, o, o.dtype)
    save_config(s)
    describe(s, model_path, dataset_label(o, default), len(ds))
    peft_config = lora_config(o, model, s.on_gpu) if o.use_peft else None
    trainer = SFTTrainer(model=model, args=args, train_dataset=ds, eval_dataset=eval_ds,
                         processing_class=tokenizer,
                         callbacks=callbacks(s), peft_config=peft_config)
    return train_and_save(s, trainer, tokenizer)

