"""``r1 train combined``: one update = GRPO loss + ``sft_weight`` × SFT loss on demonstrations.

The "SFT+GRPO simultaneous training" stage: each micro-step adds the cross-entropy of a batch of
demonstrations (prompt tokens masked) to TRL's GRPO loss, so the policy keeps imitating good
traces while it learns from rewards. Both terms are logged (``grpo_loss``, ``sft_loss``).
"""

from __future__ import annotations

import random
from typing import Any

from r1_core.errors import DataError
from r1_core.training.data import load_dataset_named, to_sft_dataset
from r1_core.training.grpo import run_grpo
from r1_core.training.options import CombinedOptions
from r1_core.training.session import Session, TrainResult

__all__ = ["run_combined", "tokenize_demonstrations"]


def tokenize_demonstrations(messages: list[list[dict[str, Any]]], tokenizer: Any,
                            max_length: int) -> list[tuple[list[int], list[int]]]:
    """(input_ids, labels) per conversation; labels are -100 except on the last assistant turn."""
    out = []
    for conv in messages:
        full = tokenizer.apply_chat_template(conv, tokenize=False)
        prompt = tokenizer.apply_chat_template(conv[:-1], tokenize=False, add_generation_prompt=True)
        ids = tokenizer(full, add_special_tokens=False)["input_ids"][:max_length]
        n_prompt = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
        labels = [-100] * min(n_prompt, len(ids)) + ids[n_prompt:]
        if any(t != -100 for t in labels):
            out.append((ids, labels))
    return out


def _make_trainer_class() -> type:
    import torch
    from trl import GRPOTrainer

    class SFTPlusGRPOTrainer(GRPOTrainer):
        """GRPOTrainer whose loss also carries a weighted SFT term on demonstrations."""

        def __init__(self, *args: Any, demonstrations: list[tuple[list[int], list[int]]],
                     sft_weight: float, sft_batch_size: int, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            rank, world = self.accelerator.process_index, self.accelerator.num_processes
            shard = demonstrations[rank::world] or demonstrations
            self._demos = shard
            self._sft_weight = sft_weight
            self._sft_batch = sft_batch_size
            self._rng = random.Random(self.args.seed + rank)
            self._order: list[int] = []

        def _next_demos(self) -> dict[str, torch.Tensor]:
            batch = []
            for _ in range(self._sft_batch):
                if not self._order:
                    self._order = list(range(len(self._demos)))
                    self._rng.shuffle(self._order)
                batch.append(self._demos[self._order.pop()])
            width = max(len(ids) for ids, _ in batch)
            pad = self.processing_class.pad_token_id
            ids = [x + [pad] * (width - len(x)) for x, _ in batch]
            labels = [y + [-100] * (width - len(y)) for _, y in batch]
            mask = [[1] * len(x) + [0] * (width - len(x)) for x, _ in batch]
            device = self.accelerator.device
            return {"input_ids": torch.tensor(ids, device=device),
                    "labels": torch.tensor(labels, device=device),
                    "attention_mask": torch.tensor(mask, device=device)}

        def compute_loss(self, model: Any, inputs: Any, return_outputs: bool = False,
                         num_items_in_batch: Any = None) -> Any:
            loss = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            if not model.training or self._sft_weight == 0:
                return loss
            sft_loss = model(**self._next_demos(), use_cache=False).loss
            metrics = self._metrics["train"]
            ga = self.current_gradient_accumulation_steps
            # GRPO's loss is already divided by the accumulation steps; log it per update.
            metrics["grpo_loss"].append(self.accelerator.gather(loss.detach() * ga).mean().item())
            metrics["sft_loss"].append(self.accelerator.gather(sft_loss.detach()).mean().item())
            return loss + self._sft_weight * sft_loss / ga

    return SFTPlusGRPOTrainer


def _demonstrations(s: Session, raw: Any) -> Any:
    o: CombinedOptions = s.opts
    if o.sft_dataset_name:
        raw = load_dataset_named(o.sft_dataset_name, o.sft_dataset_config, "train")
    try:
        return to_sft_dataset(raw, o, o.completion_column)
    except DataError as exc:
        raise DataError(f"combined training needs demonstrations: {exc.message}",
                        "set --sft-dataset-name to a dataset with 'messages' or prompt + completion columns"
                        ) from None


def run_combined(opts: CombinedOptions) -> TrainResult:
    def make(s: Session, raw: Any, kwargs: dict[str, Any]) -> Any:
        o: CombinedOptions = s.opts
        demos = tokenize_demonstrations(_demonstrations(s, raw)["messages"], kwargs["processing_class"],
                                        o.sft_max_length)
        if not demos:
            raise DataError("no usable demonstrations (every answer was truncated away)",
                            "raise --sft-max-length")
        per_step = max(1, (o.per_device_train_batch_size or 1) // (o.num_generations or 1))
        cls = _make_trainer_class()
        return cls(**kwargs, demonstrations=demos, sft_weight=o.sft_weight,
                   sft_batch_size=o.sft_batch_size or per_step)

    return run_grpo(opts, kind="combined", make_trainer=make)

