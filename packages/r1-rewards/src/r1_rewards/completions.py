"""What a reward sees of a completion: its text, the answer part, and the dataset columns it needs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from r1_core.errors import DataError

__all__ = ["TRL_KWARGS", "answer_region", "completion_text", "require_column"]

# Keyword arguments TRL passes that are not dataset columns.
TRL_KWARGS = frozenset({"prompts", "completions", "completion_ids", "trainer_state", "log_extra",
                        "log_metric", "environments"})

_THINK_OPEN = re.compile(r"<think>")
_THINK_CLOSE = re.compile(r"</think>")


def completion_text(completion: Any) -> str:
    """The text of one completion: a string as is, or the content of the last chat message.

    TRL passes conversational completions as ``[{"role": "assistant", "content": ...}]``.
    """
    if completion is None:
        return ""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return str(completion.get("content") or "")
    if isinstance(completion, Sequence) and completion:
        last = completion[-1]
        if isinstance(last, dict):
            content = last.get("content") or ""
            if isinstance(content, list):  # multimodal content parts
                return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            return str(content)
        return str(last)
    return ""


def answer_region(text: str) -> str | None:
    """The part of ``text`` that holds the final answer.

    After the last ``</think>`` when there is one (the reasoning may try many candidate answers);
    ``None`` when a ``<think>`` was opened and never closed (the completion was cut off before it
    answered); otherwise the whole text.
    """
    closes = list(_THINK_CLOSE.finditer(text))
    if closes:
        return text[closes[-1].end():]
    if _THINK_OPEN.search(text):
        return None
    return text


def require_column(reward: str, kwargs: dict[str, Any], column: str, n: int) -> list[Any]:
    """The dataset column ``column`` (one value per completion) or a :class:`DataError` naming it."""
    values = kwargs.get(column)
    if values is None:
        present = sorted(k for k in kwargs if k not in TRL_KWARGS)
        raise DataError(
            f"reward {reward!r} needs the dataset column {column!r}, but the rows only have "
            f"{', '.join(map(repr, present)) or 'no columns'}",
            f"add a {column!r} column to the dataset (or rename yours to it)")
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise DataError(f"reward {reward!r}: column {column!r} must be a list with one value per "
                        f"completion, got {type(values).__name__}", "pass one value per row")
    if len(values) != n:
        raise DataError(f"reward {reward!r}: column {column!r} has {len(values)} values for {n} "
                        "completions", "pass one value per completion")
    return list(values)
