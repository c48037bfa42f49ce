"""A GRPO step's two heavy parts, TRL's way vs r1's shared prompt (training/shared_prompt.py).

The model is the one the default job trains (SmolLM2-135M-Instruct, LoRA r=16 on every linear layer
of the upper half, as `r1 train grpo` sets it on CPU), the batch a default step's: 4 bundled warm-up
prompts × 4 completions. In one process, alternating, several rounds, medians:

1. Sampling 48 tokens per row: TRL's call (`generate` on all 16 rows, adapters unmerged) vs r1's
   (each distinct prompt prefilled once, adapters merged while sampling).
2. The loss forward + backward on those 16 rows: TRL's (its fused LM head, one group of 4 rows per
   micro-batch, as r1's CPU default was) vs r1's (each prompt encoded once for its group, all 16
   rows in one micro-batch), in float32 and under bfloat16 autocast (r1's CPU default where the CPU
   computes bf16 natively).
"""

from __future__ import annotations

import contextlib
import statistics
import time

ROUNDS = 3
NEW_TOKENS = 48


def setup():
    import torch
    from peft import LoraConfig, get_peft_model
    from r1_core.training.model import default_model_dir
    from r1_cp.dataset import dataset_rows
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl.trainer.utils import add_fused_lm_head

    path = str(default_model_dir())
    tok = AutoTokenizer.from_pretrained(path)
    tok.padding_side = "left"
    rows = dataset_rows("ioi-warmup")[:8:2]
    chats = [[{"role": "user", "content": r["prompt"]}] for r in rows for _ in range(4)]
    enc = tok.apply_chat_template(chats, add_generation_prompt=True, return_tensors="pt", padding=True,
                                  return_dict=True)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    add_fused_lm_head(model, outputs=("log_probs", "entropy"))
    names = sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules()
                    if isinstance(m, torch.nn.Linear) and "lm_head" not in n})
    layers = model.config.num_hidden_layers
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules=names, task_type="CAUSAL_LM",
                                             layers_to_transform=list(range(layers // 2, layers))))
    torch.manual_seed(0)
    for n, p in model.named_parameters():
        if "lora_B" in n:
            p.data.normal_(0, 0.01)  # an adapter after some training, not peft's zero init
    return torch, tok, enc, model


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    torch, tok, enc, model = setup()
    from r1_core.training.shared_prompt import merged_lora, shared_prefix_generate, shared_prompt_logps

    ids, mask = enc["input_ids"], enc["attention_mask"]
    kw = dict(max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=True, top_k=0,
              pad_token_id=tok.pad_token_id)
    model.eval()

    def trl_generate():
        with torch.no_grad():
            return model.generate(input_ids=ids, attention_mask=mask, **kw)

    def r1_generate():
        with torch.no_grad(), merged_lora(model):
            return shared_prefix_generate(model, model.generate, ids, mask, **kw)

    seqs = trl_generate()
    full = torch.cat([mask, torch.ones(ids.size(0), NEW_TOKENS, dtype=mask.dtype)], dim=1)
    model.train()

    def trl_loss(ctx):
        def run():
            for start in range(0, seqs.size(0), 4):
                s, m = seqs[start:start + 4], full[start:start + 4]
                labels = s.masked_fill(m == 0, -100)
                labels[:, :-NEW_TOKENS] = -100
                with ctx():
                    out = model(input_ids=s, attention_mask=m, labels=labels, fused_lm_head=True)
                (out.log_probs[:, -NEW_TOKENS:].sum() + out.entropy.sum() * 0).backward()
            model.zero_grad()
        return run

    def r1_loss(ctx):
        def run():
            with ctx():
                lp, ent = shared_prompt_logps(model, seqs, full, NEW_TOKENS, compute_entropy=True)
            (lp.sum() + ent.sum() * 0).backward()
            model.zero_grad()
        return run

    f32 = contextlib.nullcontext
    def bf16():
        return torch.autocast("cpu", dtype=torch.bfloat16)

    cases = [
        (f"sampling {NEW_TOKENS} tokens × 16 rows", trl_generate, r1_generate),
        ("loss forward + backward, float32", trl_loss(f32), r1_loss(f32)),
        ("loss forward + backward, bf16 autocast", trl_loss(bf16), r1_loss(bf16)),
        ("loss forward + backward: TRL float32 vs r1 bf16", trl_loss(f32), r1_loss(bf16)),
    ]
    times = {name: ([], []) for name, _, _ in cases}
    for _ in range(ROUNDS):
        for name, base, ours in cases:
            times[name][0].append(timed(base))
            times[name][1].append(timed(ours))
    print("## Training: a GRPO step's prompt shared within its group (`training/shared_prompt.py`)\n")
    print(f"SmolLM2-135M-Instruct with the CPU default LoRA, 4 bundled warm-up prompts × 4 completions "
          f"({ids.size(1)} prompt columns, {NEW_TOKENS} completion tokens), {torch.get_num_threads()} torch "
          f"threads; median of {ROUNDS} alternating rounds.\n")
    print("| part | TRL s | r1 s | speed-up |")
    print("|---|---|---|---|")
    for name, (base, ours) in times.items():
        b, o = statistics.median(base), statistics.median(ours)
        print(f"| {name} | {b:.2f} | {o:.2f} | {b / o:.2f}× |")
    print()


if __name__ == "__main__":
    main()
