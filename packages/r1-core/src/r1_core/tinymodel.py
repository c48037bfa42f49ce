"""A tiny random causal LM with a locally trained tokenizer, built in about a second, offline.

Tests and CPU demos use it where no Hub access exists. Llama architecture on purpose: with
``qwen2`` AutoTokenizer would swap in Qwen's pre-tokenizer and ignore the trained one.
"""

from __future__ import annotations

import random
from pathlib import Path

from r1_core.training.chat_template import CHAT_TEMPLATE

__all__ = ["CHAT_TEMPLATE", "SPECIAL_TOKENS", "build_tiny_model"]

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>",
                  "<answer>", "</answer>"]


def _corpus(seed: int) -> list[str]:
    rng = random.Random(seed)
    words = [
        "the", "answer", "is", "think", "step", "first", "then", "so", "we", "get", "sum",
        "product", "of", "and", "number", "problem", "solve", "code", "print", "input",
        "return", "int", "def", "for", "while", "if", "else",
    ]
    lines = []
    for _ in range(1500):
        a, b = rng.randint(0, 99), rng.randint(0, 99)
        lines.append(f"What is {a} + {b}? <think>{' '.join(rng.choices(words, k=6))}</think>"
                     f" <answer>{a + b}</answer>")
        lines.append(" ".join(rng.choices(words, k=12)) + f" {rng.random():.3f} \\boxed{{{a * b}}}")
    return lines


def build_tiny_model(out_dir: str | Path, *, vocab_size: int = 512, hidden_size: int = 64,
                     layers: int = 2, seed: int = 0) -> Path:
    """Write a random llama model (~100K params) and a byte-level BPE tokenizer to ``out_dir``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoConfig, AutoModelForCausalLM, PreTrainedTokenizerFast

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_corpus(seed), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
        bos_token="<|im_start|>", unk_token="<|endoftext|>",
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(out)

    torch.manual_seed(seed)
    config = AutoConfig.for_model(
        "llama", vocab_size=len(tokenizer), hidden_size=hidden_size,
        intermediate_size=hidden_size * 2, num_hidden_layers=layers, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=1024, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = AutoModelForCausalLM.from_config(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(out)
    return out
