"""Finding the final answer of a math completion (pure text, no math-verify)."""

from __future__ import annotations

import re

__all__ = ["boxed_answers", "distinct_boxed"]

_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")


def boxed_answers(text: str) -> list[str]:
    """Contents of every ``\\boxed{…}`` / ``\\fbox{…}`` in ``text`` (balanced braces), in order."""
    out = []
    for m in _BOXED.finditer(text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            ch = text[i]
            if ch == "\\":
                i += 2
                continue
            depth += (ch == "{") - (ch == "}")
            i += 1
        if depth == 0:
            out.append(text[m.end():i - 1])
    return out


def distinct_boxed(text: str) -> tuple[str, ...]:
    """The distinct boxed answers (whitespace-insensitive), first occurrence order."""
    seen: dict[str, str] = {}
    for content in boxed_answers(text):
        seen.setdefault("".join(content.split()), content)
    return tuple(seen.values())
