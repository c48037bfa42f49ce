"""The brevity reward: shorter completions score higher."""

from __future__ import annotations

from typing import Any


def _text(completion: Any) -> str:
    if isinstance(completion, str):
        return completion
    return "".join(m.get("content", "") for m in completion if m.get("role") == "assistant")


def make_brevity_reward(max_chars: int = 1000):
    """Build a brevity reward: ``max(0, 1 - len(text) / max_chars)`` per completion."""
    if max_chars <= 0:
        raise ValueError("max_chars must be positive")

    def brevity(completions: list[Any], **kwargs: Any) -> list[float | None]:
        return [max(0.0, 1.0 - len(_text(c)) / max_chars) for c in completions]

    return brevity


brevity_reward = make_brevity_reward()
