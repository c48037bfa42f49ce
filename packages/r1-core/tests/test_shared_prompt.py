"""The shared-prompt GRPO step (issue 14) against TRL's own computation: TRL's fused LM head is the
oracle for log-probs, entropies and gradients, plain ``generate`` for sampling."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from r1_core.training.shared_prompt import (  # noqa: E402
    install_shared_prompt,
    merged_lora,
    shared_prefix_generate,
    shared_prompt_logps,
)

PAD, VOCAB, C = 0, 97, 5


def _model(seed: int = 0, lora: bool = True):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, AutoModelForCausalLM
    from trl.trainer.utils import add_fused_lm_head

    torch.manual_seed(seed)
    config = AutoConfig.for_model("llama", vocab_size=VOCAB, hidden_size=32, intermediate_size=64,
                                  num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                  pad_token_id=PAD, eos_token_id=1, bos_token_id=2, tie_word_embeddings=True)
    model = AutoModelForCausalLM.from_config(config)
    add_fused_lm_head(model, temperature=0.7, outputs=("log_probs", "entropy"))
    if lora:
        model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                                                 task_type="CAUSAL_LM"))
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.data.normal_(0, 0.2)  # a trained adapter, not peft's zero init
    return model


def _batch():
    """TRL's layout: three prompts (left-padded to one width) × 3 completions, plus a row whose prompt
    no other row has; completions right-padded after their EOS."""
    g = torch.Generator().manual_seed(1)
    prompts = [torch.randint(3, VOCAB, (n,), generator=g) for n in (6, 9, 4, 7)]
    width = max(len(p) for p in prompts)
    rows, masks = [], []
    for i, p in enumerate(prompts):
        for j in range(3 if i < 3 else 1):
            comp = torch.randint(3, VOCAB, (C,), generator=g)
            keep = C - (j + i) % 3  # some completions end early
            cmask = torch.arange(C) < keep
            comp = torch.where(cmask, comp, torch.full_like(comp, PAD))
            pad = width - len(p)
            rows.append(torch.cat([torch.full((pad,), PAD), p, comp]))
            masks.append(torch.cat([torch.zeros(pad, dtype=torch.long), torch.ones(len(p), dtype=torch.long),
                                    cmask.long()]))
    return torch.stack(rows), torch.stack(masks)


def _oracle(model, ids, mask):
    labels = ids.masked_fill(mask == 0, -100)
    labels[:, :-C] = -100
    out = model(input_ids=ids, attention_mask=mask, labels=labels, fused_lm_head=True)
    return out.log_probs[:, -C:], out.entropy[:, -C:]


def _grads(model, logps):
    model.zero_grad()
    weights = torch.linspace(-1, 1, logps.numel()).view_as(logps)
    (logps * weights).sum().backward()
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("lora", [True, False])
def test_log_probs_entropies_and_gradients_equal_trls_fused_head(lora):
    model = _model(lora=lora)
    model.train()
    ids, mask = _batch()
    ref_lp, ref_ent = _oracle(model, ids, mask)
    ref_grads = _grads(model, ref_lp)
    lp, ent = shared_prompt_logps(model, ids, mask, C, temperature=0.7, compute_entropy=True)
    valid = mask[:, -C:].bool()
    assert torch.allclose(lp[valid], ref_lp[valid], atol=1e-5), (lp - ref_lp).abs().max()
    assert torch.allclose(ent[valid], ref_ent[valid], atol=1e-5)
    assert (lp[~valid] == 0).all() and (ent[~valid] == 0).all()
    grads = _grads(model, lp)
    assert set(grads) == set(ref_grads) and len(grads) > 0
    for name, g in grads.items():
        assert torch.allclose(g, ref_grads[name], atol=1e-5, rtol=1e-4), name
    assert any(g.abs().sum() > 0 for g in grads.values())


def test_bf16_autocast_stays_close_to_the_float32_oracle():
    model = _model()
    ids, mask = _batch()
    ref_lp, _ = _oracle(model, ids, mask)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        lp, _ = shared_prompt_logps(model, ids, mask, C, temperature=0.7)
    valid = mask[:, -C:].bool()
    assert lp.dtype == torch.float32
    assert (lp[valid] - ref_lp[valid]).abs().max() < 0.1


def test_rows_that_share_no_prompt_are_left_to_trl():
    model = _model()
    ids, mask = _batch()
    assert shared_prompt_logps(model, ids[[0, 3, 6, 9]], mask[[0, 3, 6, 9]], C) is None


def test_generation_from_a_shared_prefill_equals_plain_generate_and_restores_the_weights():
    model = _model()
    model.eval()
    ids, mask = _batch()
    width = ids.size(1) - C
    ids, mask = ids[:, :width], mask[:, :width]
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    kw = dict(max_new_tokens=8, do_sample=False, pad_token_id=PAD, eos_token_id=1, output_scores=True,
              return_dict_in_generate=True)
    plain = model.generate(input_ids=ids, attention_mask=mask, **kw)
    with merged_lora(model):
        assert any(getattr(m, "merged", False) for m in model.modules())
        fast = shared_prefix_generate(model, model.generate, ids, mask, **kw)
    assert torch.equal(fast.sequences, plain.sequences)
    assert max((a - b).abs().max().item() for a, b in zip(fast.scores, plain.scores, strict=True)) < 1e-4
    assert not any(getattr(m, "merged", False) for m in model.modules())
    for n, p in model.named_parameters():
        assert torch.equal(p, before[n]), n  # copied back, not merged-then-subtracted


class _Args:
    use_vllm = False
    cast_lm_head_to_fp32 = False


class _Accelerator:
    num_processes = 1
    is_deepspeed_enabled = False
    state = None

    def autocast(self):
        import contextlib

        return contextlib.nullcontext()


class _Trainer:
    """The attributes of TRL's GRPOTrainer that the installer reads and replaces."""

    def __init__(self, model):
        self.model, self.args, self.accelerator, self.temperature = model, _Args(), _Accelerator(), 0.7
        self.calls = 0

    def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep,
                                           batch_size=None, compute_entropy=False, compute_aux_loss=False,
                                           **mm):
        self.calls += 1
        lp, ent = _oracle(model, input_ids, attention_mask)
        return lp, ent if compute_entropy else None, None


def test_installed_on_a_trainer_it_routes_plain_batches_and_leaves_the_rest_to_trl():
    model = _model()
    trainer = _Trainer(model)
    said = []
    assert install_shared_prompt(trainer, said.append) and said
    ids, mask = _batch()
    lp, ent, aux = trainer._get_per_token_logps_and_entropies(model, ids, mask, C, compute_entropy=True)
    assert trainer.calls == 0 and aux is None and ent is not None
    ref, _ = _oracle(model, ids, mask)
    valid = mask[:, -C:].bool()
    assert torch.allclose(lp[valid], ref[valid], atol=1e-5)
    trainer._get_per_token_logps_and_entropies(model, ids, mask, C, pixel_values=torch.zeros(1))
    trainer._get_per_token_logps_and_entropies(model, ids, mask, C, compute_aux_loss=True)
    trainer._get_per_token_logps_and_entropies(model, ids[[0, 3]], mask[[0, 3]], C)
    assert trainer.calls == 3


def test_not_installed_with_vllm_or_several_processes():
    trainer = _Trainer(_model())
    trainer.args.use_vllm = True
    assert not install_shared_prompt(trainer)
    trainer = _Trainer(_model())
    trainer.accelerator.num_processes = 2
    assert not install_shared_prompt(trainer)


def test_with_gradient_checkpointing_the_loss_is_left_to_trl():
    """Gradient checkpointing drops the cache while training: the shared path must notice, not score
    the completions without their prompt."""
    model = _model()
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.train()
    ids, mask = _batch()
    assert shared_prompt_logps(model, ids, mask, C) is None


def test_adapters_over_quantized_weights_are_not_merged_for_sampling():
    """QLoRA's base weights are a Parameter subclass (bitsandbytes' Params4bit): merging into them and
    copying back is not exact, so sampling keeps the adapters unmerged."""
    from peft.tuners.lora import LoraLayer

    class Quantized(torch.nn.Parameter):
        pass

    model = _model()
    layer = next(m for m in model.modules() if isinstance(m, LoraLayer))
    base = layer.get_base_layer()
    base.weight = Quantized(base.weight.detach().clone(), requires_grad=False)
    with merged_lora(model):
        assert not any(getattr(m, "merged", False) for m in model.modules())
