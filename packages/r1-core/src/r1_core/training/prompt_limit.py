"""``max_prompt_length``: prompts longer than N tokens keep their last N tokens, as TRL 0.18 (which
open-r1's recipes were written for) did. TRL 1.x dropped the option; r1 restores it by truncating
the token ids the trainer generates from (the chat template's generation prompt, at the end, stays).
Rewards still see the whole prompt. Multimodal prompts are left alone (image tokens must stay whole).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from r1_core.errors import ConfigError

__all__ = ["limit_prompt_length"]


def limit_prompt_length(trainer: Any, max_tokens: int | None, say: Callable[[str], None]) -> None:
    """Make ``trainer`` (a TRL ``GRPOTrainer``) keep only the last ``max_tokens`` prompt tokens."""
    if not max_tokens:
        return
    original = getattr(trainer, "_tokenize_prompts", None)
    if original is None:
        raise ConfigError("max_prompt_length is not supported with the installed TRL (no prompt "
                          "tokenization hook)", "drop max_prompt_length or keep prompts short in the data")
    noted = False

    def truncating(prompts: list[Any]) -> Any:
        nonlocal noted
        prompt_ids, images, fields = original(prompts)
        if images is not None or fields:
            return prompt_ids, images, fields
        cut = [ids[-max_tokens:] if len(ids) > max_tokens else ids for ids in prompt_ids]
        if not noted and any(len(a) != len(b) for a, b in zip(cut, prompt_ids, strict=True)):
            noted = True
            say(f"max_prompt_length: prompts longer than {max_tokens} tokens keep their last {max_tokens}")
        return cut, images, fields

    trainer._tokenize_prompts = truncating
