"""Shape rewards: ``format``, ``tag_count``, ``reasoning_steps`` and ``code_format``."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from r1_rewards.completions import completion_text
from r1_rewards.prefill import with_prefill
from r1_rewards.reward_options import RewardConfig, option, parse_config, reward_factory

__all__ = ["code_format", "format_reward", "reasoning_steps", "tag_count_reward"]

_NO_TAG = r"(?:(?!</?think>|</?answer>).)*?"
_FORMAT = re.compile(rf"<think>\n{_NO_TAG}\n</think>\n<answer>\n({_NO_TAG})\n</answer>\s*", re.DOTALL)


def _texts(completions: list[Any], prompts: Any) -> list[str]:
    if not isinstance(prompts, list) or len(prompts) != len(completions):
        prompts = [None] * len(completions)
    return [with_prefill(completion_text(c), p) for c, p in zip(completions, prompts, strict=True)]


def _answer_if_formatted(text: str) -> str | None:
    m = _FORMAT.fullmatch(text)
    return m.group(1) if m else None


def format_reward(completions: list[Any], prompts: Any = None, **kwargs: Any) -> list[float | None]:
    """1.0 if the completion is exactly ``<think>\\n…\\n</think>\\n<answer>\\n…\\n</answer>``, else 0.0.

    The whole completion must match (only trailing whitespace may follow ``</answer>``), and each
    tag appears exactly once: text after the closing tag and repeated think/answer blocks score
    0.0 (both scored 1.0 in open-r1). When the prompt ends with ``<think>`` (a chat template that
    pre-fills it), the completion is judged as if it began with ``<think>\\n``.
    """
    return [1.0 if _answer_if_formatted(t) is not None else 0.0 for t in _texts(completions, prompts)]


_TAGS = ("<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>")


def tag_count_reward(completions: list[Any], prompts: Any = None, **kwargs: Any) -> list[float | None]:
    """0.25 for each of ``<think>\\n``, ``\\n</think>\\n``, ``\\n<answer>\\n``, ``\\n</answer>`` that
    occurs exactly once (open-r1's semantics; a pre-filled ``<think>`` counts as present)."""
    return [sum(0.25 for tag in _TAGS if t.count(tag) == 1) for t in _texts(completions, prompts)]


class ReasoningStepsConfig(RewardConfig):
    min_steps: int = Field(3, ge=1)
    """steps that earn the full reward."""


_STEP = re.compile(r"(Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,)", re.MULTILINE)


@reward_factory(ReasoningStepsConfig)
def reasoning_steps(**config: Any) -> Any:
    """Build ``reasoning_steps``: ``min(1, steps / min_steps)`` (default ``min_steps=3``).

    A step is ``Step N:``, a numbered item ``N.`` at the start of *any* line (open-r1 only
    counted one at the start of the text), a line starting with ``-`` or ``*``, or one of
    ``First,`` ``Second,`` ``Next,`` ``Finally,``.
    """
    cfg = parse_config(ReasoningStepsConfig, "reasoning_steps", config)
    def reasoning_steps(completions: list[Any], **kwargs: Any) -> list[float | None]:
        return [min(1.0, len(_STEP.findall(completion_text(c))) / cfg.min_steps) for c in completions]

    return reasoning_steps


class CodeFormatConfig(RewardConfig):
    language: str = option("python", aliases=["code_language"])
    """the code block's language when the rows have no ``language`` column."""


@reward_factory(CodeFormatConfig)
def code_format(**config: Any) -> Any:
    """Build ``code_format``: 1.0 if the completion has the ``format`` shape and its answer holds a
    fenced code block tagged with the sample's language (the ``language`` column when the rows
    have one, else the configured ``language``, default ``python``), else 0.0."""
    cfg = parse_config(CodeFormatConfig, "code_format", config)

    def code_format(completions: list[Any], prompts: Any = None, **kwargs: Any) -> list[float | None]:
        langs = kwargs.get("language")
        if not isinstance(langs, list) or len(langs) != len(completions):
            langs = [cfg.language] * len(completions)
        out: list[float | None] = []
        for text, lang in zip(_texts(completions, prompts), langs, strict=True):
            answer = _answer_if_formatted(text)
            fence = re.compile(rf"```{re.escape(str(lang or cfg.language))}[ \t]*\n.*?```", re.DOTALL)
            out.append(1.0 if answer is not None and fence.search(answer) else 0.0)
        return out

    return code_format
