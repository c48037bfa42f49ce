"""Finding the final answer of a math completion (pure text, no math-verify)."""

from __future__ import annotations

import re

__all__ = ["boxed_answers", "distinct_boxed", "math_answer_text"]

_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_LATEX_DELIMITERS = ("$", "\\(", "\\[")


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


def math_answer_text(region: str) -> str:
    """The text math-verify should read for the final answer.

    Without any ``\\boxed{}``, a bare ``<answer>42</answer>`` (the R1 format) is read as if it
    were boxed: open-r1 extracted LaTeX only, so plain answers in the tags scored 0.
    """
    if _BOXED.search(region):
        return region
    tagged = _ANSWER_TAG.findall(region)
    if not tagged:
        return region
    content = tagged[-1].strip()
    if not content or any(d in content for d in _LATEX_DELIMITERS):
        return region
    return "\\boxed{" + content + "}"
