"""Pulling the program out of a completion."""

from __future__ import annotations

import re

__all__ = ["FENCE_TAGS", "canonical_language", "extract_code"]

FENCE_TAGS: dict[str, tuple[str, ...]] = {
    "python": ("python", "python3", "py"),
    "cpp": ("cpp", "c++", "cc", "cxx"),
    "c": ("c",),
    "java": ("java",),
    "javascript": ("javascript", "js"),
    "rust": ("rust", "rs"),
    "bash": ("bash", "sh"),
}
_CANONICAL = {tag: lang for lang, tags in FENCE_TAGS.items() for tag in tags}
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9+#_-]*)[ \t]*\n(.*?)```", re.DOTALL)


def canonical_language(language: str | None, default: str = "python") -> str:
    """``python3`` → ``python``, ``c++`` → ``cpp``; unknown names pass through lower-cased."""
    lang = (language or default).strip().lower()
    return _CANONICAL.get(lang, lang)


def extract_code(text: str, language: str) -> str:
    """The last fenced block tagged with ``language`` (or one of its aliases); "" if none."""
    lang = canonical_language(language)
    blocks = [body for tag, body in _FENCE.findall(text) if canonical_language(tag, "") == lang]
    return blocks[-1] if blocks else ""
