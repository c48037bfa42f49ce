"""The cold start: a short SFT on demonstrations before GRPO, built once and cached.

DeepSeek-R1's answer to a policy that never earns a reward is a little supervised training on good
answers before RL. A 135M model asked for a Python function mostly rambles, writes several blocks or
breaks off mid-answer, so GRPO on the IOI warm-up problems would see zero reward everywhere. The
embedded ``r1 train grpo --reward ioi`` job therefore first fine-tunes the model on the reference
solutions of r1-cp's *cold-start* warm-up problems (a set disjoint from the GRPO and the held-out
problems): the model learns the answer's shape (one fenced function, then stop), not the answers
it is rewarded for.

The result (LoRA merged into the weights) lands in ``$R1_CACHE_DIR/cold-start/<key>``, where the
key hashes the base model, the demonstrations and the SFT settings, so it is built once (like the
default model's conversion) and rebuilt only when one of them changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from r1_core.errors import DataError
from r1_core.files import atomic_write_json

__all__ = ["SFT_SETTINGS", "cold_start_dataset", "cold_start_key", "cold_start_model",
           "demonstrations"]

# 8 demonstrations × 4 epochs at batch 4: enough for the answer's shape, too little to memorise
# anything but the demonstrations themselves (measured: docs/training.md, "Defaults").
SFT_SETTINGS: dict[str, Any] = {"max_steps": 8, "learning_rate": 5e-4, "batch_size": 4, "lora_r": 16,
                                "lora_alpha": 32, "max_length": 512, "seed": 0}
MARKER = "r1_cold_start.json"
_OFF = {"", "none", "off", "false", "no"}


def cold_start_dataset(opts: Any) -> str | None:
    """The demonstrations to cold-start from, or None.

    An explicit ``cold_start`` wins (``none`` turns it off). Unset, the embedded job (the default
    model on the rewards' default dataset, one process) cold-starts from the set that dataset's
    registration names (``register(..., cold_start="ioi-cold-start")``: r1-cp's ``ioi-warmup``, the
    ``ioi`` reward's data); any other run starts from its model as given.
    """
    chosen = getattr(opts, "cold_start", None)
    if chosen is not None:
        return None if str(chosen).strip().lower() in _OFF else str(chosen)
    from r1_core.dataset_names import BUNDLED_PREFIX, parse_dataset_name
    from r1_core.plugin_host import get_host
    from r1_core.training.rewards import default_dataset_for

    embedded = (opts.model_name_or_path is None and opts.dataset_name is None
                and opts.dataset_mixture is None)
    single = int(os.environ.get("WORLD_SIZE", "1")) == 1
    default = default_dataset_for(opts.reward_funcs)
    if not (embedded and single and default):
        return None
    datasets = get_host().registry("datasets")
    name = parse_dataset_name(default).name
    demos = datasets.entry(name).meta.get("cold_start") if name in datasets else None
    return f"{BUNDLED_PREFIX}{demos}" if demos else None


def demonstrations(dataset: str, system_prompt: str | None = None) -> list[dict[str, Any]]:
    """Prompt/completion chat pairs from a dataset with a prompt column and an answer column
    (``reference_solution``, ``completion`` or ``solution``), one per distinct prompt."""
    from r1_core.training.data import load_dataset_named

    ds = load_dataset_named(dataset)
    prompt = next((c for c in ("prompt", "problem", "question") if c in ds.column_names), None)
    answer = next((c for c in ("reference_solution", "completion", "solution") if c in ds.column_names), None)
    if prompt is None or answer is None:
        raise DataError(f"cold-start dataset {dataset!r} needs a prompt and an answer column "
                        f"(reference_solution, completion or solution); it has: {', '.join(ds.column_names)}",
                        "pass --cold-start a dataset of demonstrations, or --cold-start none")
    seen: set[str] = set()
    pairs = []
    for row in ds:
        text, gold = str(row[prompt]), row[answer]
        if gold is None or text in seen:
            continue
        seen.add(text)
        turns = [{"role": "user", "content": text}]
        if system_prompt:
            turns.insert(0, {"role": "system", "content": system_prompt})
        pairs.append({"prompt": turns, "completion": [{"role": "assistant", "content": str(gold)}]})
    if not pairs:
        raise DataError(f"cold-start dataset {dataset!r} has no demonstrations", "check its answer column")
    return pairs


def _base_identity(base: str) -> str:
    path = Path(base)
    for marker in ("r1_converted.json", MARKER, "r1_final.json"):
        if (path / marker).is_file():
            return f"{path.resolve()}:{(path / marker).read_text(encoding='utf-8')}"
    return str(path.resolve()) if path.exists() else base


def cold_start_key(base: str, demos: list[dict[str, Any]], dtype: str) -> str:
    """What the cached model depends on: the base model, the demonstrations, the SFT settings."""
    blob = json.dumps({"base": _base_identity(base), "demos": demos, "settings": SFT_SETTINGS,
                       "dtype": dtype, "format": 1}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def cold_start_model(base: str, dataset: str, opts: Any, on_gpu: bool,
                     say: Callable[[str], None]) -> str:
    """The cached cold-started model for ``base`` and ``dataset``, building it the first time."""
    import filelock

    from r1_core.training.model import cache_dir

    demos = demonstrations(dataset, opts.system_prompt)
    key = cold_start_key(base, demos, opts.dtype)
    target = cache_dir() / "cold-start" / key
    if (target / MARKER).is_file():
        say(f"cold start: {len(demos)} demonstrations of {dataset}, cached in {target}")
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(str(target) + ".lock"):  # parallel runs: one builds, the rest wait
        if not (target / MARKER).is_file():
            say(f"cold start: SFT on {len(demos)} demonstrations of {dataset} "
                f"({SFT_SETTINGS['max_steps']} steps, once; cached in {target}) ...")
            _build(base, demos, dataset, opts, on_gpu, target)
    return str(target)


def _build(base: str, demos: list[dict[str, Any]], dataset: str, opts: Any, on_gpu: bool,
           target: Path) -> None:
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    from r1_core.training.model import load_model, load_tokenizer
    from r1_core.training.session import release_accelerator_state

    started = time.time()
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        tokenizer = load_tokenizer(base, opts)
        model = load_model(base, opts, opts.dtype)
        cfg = SFT_SETTINGS
        args = SFTConfig(output_dir=str(tmp / "run"), max_steps=cfg["max_steps"],
                         learning_rate=cfg["learning_rate"], per_device_train_batch_size=cfg["batch_size"],
                         max_length=cfg["max_length"], seed=cfg["seed"], logging_steps=1, save_strategy="no",
                         report_to="none", use_cpu=not on_gpu, bf16=opts.dtype == "bfloat16", fp16=False,
                         gradient_checkpointing=False, dataloader_num_workers=0, disable_tqdm=True,
                         lr_scheduler_type="constant")  # completion-only loss: prompt/completion rows
        lora = LoraConfig(r=cfg["lora_r"], lora_alpha=cfg["lora_alpha"], lora_dropout=0.0,
                          target_modules="all-linear", task_type="CAUSAL_LM")
        trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(demos),
                             processing_class=tokenizer, peft_config=lora)
        trainer.train()
        release_accelerator_state()  # GRPO follows in this process, maybe with another mixed precision
        losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
        merged = trainer.model.merge_and_unload()
        merged.generation_config.eos_token_id = tokenizer.eos_token_id
        merged.save_pretrained(tmp / "model")
        tokenizer.save_pretrained(tmp / "model")
        atomic_write_json(tmp / "model" / MARKER, {
            "base": base, "dataset": dataset, "demonstrations": len(demos), "settings": SFT_SETTINGS,
            "loss_first": losses[0] if losses else None, "loss_last": losses[-1] if losses else None,
            "seconds": round(time.time() - started, 1)})
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp / "model", target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
