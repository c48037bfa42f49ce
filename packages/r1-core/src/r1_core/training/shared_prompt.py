"""A GRPO group's prompt computed once, not once per completion (issue 14).

GRPO samples ``num_generations`` completions of each prompt, and TRL hands both ``generate`` and the
loss forward every prompt that many times. On the default CPU job the prompt is ~160 of a row's
~200 tokens, so most of a step recomputed the same prompt four times. Here, without changing what is
sampled or the gradient:

- **Generation: one prefill per distinct prompt.** All but the last prompt token are encoded for
  the distinct rows only, and the key/value cache is indexed out to the rows that share it;
  ``generate`` continues from that cache (transformers' documented re-use of a prompt cache) with
  the positions and the attention mask it would use itself.
- **Generation: LoRA merged while sampling.** An unmerged adapter adds two small matmuls to each
  adapted layer at every decoding step; the adapters are merged for the call, and the base weights
  are then copied back exactly (no rounding drift accumulates over steps).
- **Loss: one forward of each distinct prompt.** The prompt goes through the decoder once per
  group, with gradients; its cache is indexed out to the group's rows and the completions run on
  top of it. Autograd sums the group's gradients through the shared prompt, so log-probs and
  gradients equal TRL's full forward (``packages/r1-core/tests/test_shared_prompt.py`` checks both
  against TRL's fused LM head).

Measured on 2 cores with SmolLM2-135M (``benchmarks/bench_shared_prompt.py``).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["install_shared_prompt", "merged_lora", "shared_prefix_generate", "shared_prompt_logps"]


@contextlib.contextmanager
def merged_lora(model: Any) -> Iterator[None]:
    """LoRA adapters merged into the base weights for the block; the base weights are restored exactly."""
    merge = getattr(model, "merge_adapter", None)
    if merge is None or getattr(model, "peft_config", None) is None:
        yield
        return
    import torch
    from peft.tuners.lora import LoraLayer

    layers = [m for m in model.modules() if isinstance(m, LoraLayer) and not m.merged]
    weights = [getattr(m.get_base_layer(), "weight", None) for m in layers]
    if not layers or any(type(w) is not torch.nn.Parameter or not w.is_floating_point() for w in weights):
        yield  # quantized (QLoRA) or unusual base layers: sample with the adapters unmerged
        return
    saved = [(w, w.detach().clone()) for w in weights]
    merge()
    try:
        yield
    finally:
        model.unmerge_adapter()
        with torch.no_grad():
            for weight, original in saved:
                weight.copy_(original)


def _prefill_positions(mask: Any) -> Any:
    """Position ids as ``generate`` derives them from a left-padded attention mask."""
    pos = mask.long().cumsum(-1) - 1
    return pos.masked_fill(mask == 0, 0)


def shared_prefix_generate(model: Any, generate: Callable[..., Any], input_ids: Any, attention_mask: Any,
                           **kwargs: Any) -> Any:
    """``generate(input_ids, attention_mask, **kwargs)`` with one prefill per distinct row.

    All but the last prompt token are encoded for the distinct rows only; the cache is then indexed
    out to every row and ``generate`` encodes the last token and samples from there."""
    import torch
    from transformers import DynamicCache

    width = input_ids.size(1)
    shared = _distinct_prompts(input_ids, attention_mask, width) if width >= 2 else None
    if shared is None:
        return generate(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
    unique, inverse = shared
    u_ids, u_mask = unique[:, : width - 1], unique[:, width:2 * width - 1].to(attention_mask.dtype)
    cache = DynamicCache(config=getattr(model, "config", None))
    name = _cache_keyword(model)
    with torch.no_grad():
        model(input_ids=u_ids, attention_mask=u_mask, position_ids=_prefill_positions(u_mask),
              use_cache=True, logits_to_keep=1, **{name: cache})
    cache.batch_select_indices(inverse.to(u_ids.device))
    return generate(input_ids=input_ids, attention_mask=attention_mask, **{name: cache}, **kwargs)


def _cache_keyword(model: Any) -> str:
    """``cache`` (transformers ≥ 5.2x) or ``past_key_values`` (before), as the model's forward names it."""
    import inspect

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "cache" if "cache" in inspect.signature(type(base).forward).parameters else "past_key_values"


_PLAIN_KEYS = {"input_ids", "attention_mask", "generation_config"}
_SCALED_HEAD = ("final_logit_softcapping", "logit_scale", "output_multiplier", "lm_head_multiplier",
                "logits_scaling")


def _distinct_prompts(input_ids: Any, attention_mask: Any, width: int) -> tuple[Any, Any] | None:
    """The distinct prompt rows (ids and mask side by side) and each row's index among them, or None
    when no two rows share a prompt."""
    import torch

    rows = torch.cat([input_ids[:, :width], attention_mask[:, :width].to(input_ids.dtype)], dim=1)
    unique, inverse = torch.unique(rows, dim=0, return_inverse=True)
    return None if unique.size(0) == rows.size(0) else (unique, inverse)


def shared_prompt_logps(model: Any, input_ids: Any, attention_mask: Any, logits_to_keep: int, *,
                        temperature: float = 1.0, compute_entropy: bool = False,
                        lm_head_fp32: bool = False) -> tuple[Any, Any] | None:
    """Per-token log-probs (and entropies) of the last ``logits_to_keep`` tokens of each row, as TRL's
    fused LM head returns them (0 where the mask is 0), with each distinct prompt encoded once.

    ``input_ids`` is TRL's prompt (left-padded) + completion (right-padded). Returns None when the
    rows share no prompt or the model is not a plain decoder + LM head; the caller then runs its own
    forward."""
    import torch
    from transformers import DynamicCache

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = getattr(base, "config", None)
    text = config.get_text_config() if config is not None and hasattr(config, "get_text_config") else config
    if text is None or any(getattr(text, k, None) is not None for k in _SCALED_HEAD):
        return None
    decoder, head = getattr(base, "base_model", None), base.get_output_embeddings()
    if decoder is None or decoder is base or head is None or getattr(head, "bias", None) is not None:
        return None
    width = input_ids.size(1) - logits_to_keep  # prompt columns
    if width < 2:
        return None
    shared = _distinct_prompts(input_ids, attention_mask, width)
    if shared is None:
        return None
    unique, inverse = shared
    name = _cache_keyword(model)
    cache = DynamicCache(config=config)
    prompt_mask = unique[:, width:2 * width - 1].to(attention_mask.dtype)
    decoder(input_ids=unique[:, : width - 1], attention_mask=prompt_mask, use_cache=True, **{name: cache})
    if cache.get_seq_length() != width - 1:
        return None  # the model kept no cache (gradient checkpointing drops it while training)
    cache.batch_select_indices(inverse.to(input_ids.device))  # differentiable: gradients sum over the group
    hidden = decoder(input_ids=input_ids[:, width - 1:], attention_mask=attention_mask, use_cache=True,
                     **{name: cache}).last_hidden_state[:, :-1]
    labels, valid = input_ids[:, width:], attention_mask[:, width:].bool()
    picked = hidden[valid]
    ctx = torch.autocast(picked.device.type, enabled=False) if lm_head_fp32 else contextlib.nullcontext()
    with ctx:
        logits = head(picked.float() if lm_head_fp32 else picked).float() / temperature
    logp_all = torch.log_softmax(logits, dim=-1)
    logps = hidden.new_zeros(valid.shape, dtype=torch.float32).masked_scatter(
        valid, logp_all.gather(-1, labels[valid].unsqueeze(-1)).squeeze(-1))
    entropy = None
    if compute_entropy:
        entropy = hidden.new_zeros(valid.shape, dtype=torch.float32).masked_scatter(
            valid, -(logp_all.exp() * logp_all).sum(-1))
    return logps, entropy


_MULTIMODAL = ("pixel_values", "image_grid_thw", "num_images", "pixel_attention_mask", "spatial_shapes",
               "num_tiles", "image_sizes", "token_type_ids", "mm_token_type_ids", "image_position_ids")


def _eligible(trainer: Any) -> bool:
    """TRL's plain transformers path on one process: no vLLM, no continuous batching, nothing sharded."""
    args = getattr(trainer, "args", None)
    if args is None or getattr(args, "use_vllm", False):
        return False
    if getattr(trainer, "use_transformers_continuous_batching", False):
        return False
    acc = getattr(trainer, "accelerator", None)
    if acc is None or getattr(acc, "num_processes", 1) != 1:
        return False
    return not (getattr(acc, "is_deepspeed_enabled", False) or getattr(acc, "is_fsdp2", False)
                or getattr(getattr(acc, "state", None), "fsdp_plugin", None) is not None)


def install_shared_prompt(trainer: Any, say: Callable[[str], None] | None = None) -> bool:
    """Give a GRPO trainer the shared-prompt generation and loss forward; returns whether installed.

    Any call outside the plain case (a multimodal batch, a caller's own cache, rows that share no
    prompt, an MoE auxiliary loss) goes to TRL's own code untouched."""
    if not _eligible(trainer):
        return False
    model = trainer.model
    original_generate = model.generate

    @functools.wraps(original_generate)
    def generate(*a: Any, **kw: Any) -> Any:
        if a or not set(kw) <= _PLAIN_KEYS or "input_ids" not in kw or "attention_mask" not in kw:
            return original_generate(*a, **kw)
        ids, mask = kw.pop("input_ids"), kw.pop("attention_mask")
        with merged_lora(model):
            return shared_prefix_generate(model, original_generate, ids, mask, **kw)

    model.generate = generate
    original_logps = getattr(trainer, "_get_per_token_logps_and_entropies", None)
    if original_logps is not None:
        @functools.wraps(original_logps)
        def logps_and_entropies(model: Any, input_ids: Any, attention_mask: Any, logits_to_keep: int,
                                batch_size: int | None = None, compute_entropy: bool = False,
                                compute_aux_loss: bool = False, **mm: Any) -> Any:
            text_only = set(mm) <= set(_MULTIMODAL) and all(v is None for v in mm.values())
            if text_only and not compute_aux_loss:
                fp32_head = bool(getattr(trainer.args, "cast_lm_head_to_fp32", False))
                with trainer.accelerator.autocast():
                    out = shared_prompt_logps(model, input_ids, attention_mask, logits_to_keep,
                                              temperature=trainer.temperature,
                                              compute_entropy=compute_entropy, lm_head_fp32=fp32_head)
                if out is not None:
                    return out[0], out[1], None
            return original_logps(model, input_ids, attention_mask, logits_to_keep, batch_size=batch_size,
                                  compute_entropy=compute_entropy, compute_aux_loss=compute_aux_loss, **mm)

        trainer._get_per_token_logps_and_entropies = logps_and_entropies
    if say is not None:
        say("shared prompt: each distinct prompt is encoded once per step (generation and loss), "
            "LoRA merged while sampling")
    return True
