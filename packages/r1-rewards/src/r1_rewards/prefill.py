"""Chat templates that pre-fill ``<think>`` (DeepSeek-R1 style) put the opening tag in the prompt,
so the completion starts inside the reasoning. Tag-based rewards must see the tag anyway."""

from __future__ import annotations

import re
from typing import Any

from r1_rewards.completions import completion_text

__all__ = ["prompt_prefills_think", "with_prefill"]

_ENDS_WITH_THINK = re.compile(r"<think>\s*\Z")


def prompt_prefills_think(prompt: Any) -> bool:
    """True when the prompt (text or the last chat message) ends with an opened ``<think>``."""
    if prompt is None:
        return False
    return bool(_ENDS_WITH_THINK.search(completion_text(prompt)))


def with_prefill(text: str, prompt: Any) -> str:
    """``text`` as the model really produced it: prefixed with the prompt's ``<think>\\n`` if pre-filled."""
    if prompt_prefills_think(prompt) and not text.lstrip().startswith("<think>"):
        return "<think>\n" + text
    return text
