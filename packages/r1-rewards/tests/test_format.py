"""format, tag_count, reasoning_steps, code_format: open-r1's values plus its fixed defects."""

from __future__ import annotations

import pytest
from r1_core import get_reward

GOOD = "<think>\nSome reasoning\n</think>\n<answer>\nThe answer\n</answer>"


def score(name: str, completions, **kwargs):
    return get_reward(name)(completions=completions, **kwargs)


def test_format_accepts_the_exact_shape_in_text_and_chat_form():
    assert score("format", [GOOD, [{"role": "assistant", "content": GOOD}], GOOD + "\n"]) == [1.0] * 3


@pytest.mark.parametrize("bad", [
    "<think>\nreasoning\n</think>",                        # no answer
    "<answer>\n42\n</answer>",                              # no think
    "<think>reasoning</think><answer>42</answer>",          # no newlines
    "Just text",
    "<think>\nr\n</think>\n<answer>\n42\n</answer>\ntrailing text",  # open-r1 gave 1.0 (D1)
    "<think>\na\n</think>\n<answer>\n1\n</answer>\n<think>\nb\n</think>\n<answer>\n2\n</answer>",  # D1, #359
    "<think>\na <think> b\n</think>\n<answer>\n1\n</answer>",  # nested/repeated tag
    "preamble\n" + GOOD,
])
def test_format_rejects_malformed_and_gamed_completions(bad):
    assert score("format", [bad]) == [0.0]


def test_format_and_tag_count_see_a_think_prefilled_by_the_chat_template():
    completion = "Some reasoning\n</think>\n<answer>\n42\n</answer>"
    prompts = [[{"role": "user", "content": "q"}, {"role": "assistant", "content": "<think>\n"}]]
    assert score("format", [completion]) == [0.0]
    assert score("format", [completion], prompts=prompts) == [1.0]
    assert score("tag_count", [completion], prompts=["Question?<think>\n"]) == [1.0]


def test_tag_count_gives_a_quarter_per_tag_present_once():
    assert score("tag_count", [GOOD]) == [1.0]
    assert score("tag_count", [GOOD.replace("<think>\n", "")]) == [0.75]
    assert score("tag_count", [GOOD.replace("\n</answer>", "")]) == [0.75]
    assert score("tag_count", ["nothing"]) == [0.0]
    assert score("tag_count", [GOOD + GOOD]) == [0.0]  # duplicates earn nothing


def test_reasoning_steps_matches_open_r1_values_and_counts_every_numbered_line():
    out = score("reasoning_steps", [
        "Step 1: Do this\nStep 2: Then that\nStep 3: Done",
        "First, x. Second, y. Next, z. Finally, w.",
        "Step 1: only one",
        "First, a.\nSecond, b.",
        "No steps here",
    ])
    assert out == pytest.approx([1.0, 1.0, 1 / 3, 2 / 3, 0.0])
    # open-r1 only counted a numbered item at the very start of the text (D14)
    assert score("reasoning_steps", ["1. a\n2. b\n3. c"]) == [1.0]
    assert get_reward("reasoning_steps", min_steps=1)(completions=["Step 1: x"]) == [1.0]


def test_code_format_uses_the_rows_language_column():
    py = "<think>\nr\n</think>\n<answer>\n```python\nprint(1)\n```\n</answer>"
    js = "<think>\nr\n</think>\n<answer>\n```javascript\nconsole.log(1)\n```\n</answer>"
    assert score("code_format", [py, js, "```python\nprint(1)\n```"]) == [1.0, 0.0, 0.0]
    assert score("code_format", [py, js], language=["python", "javascript"]) == [1.0, 1.0]
    assert get_reward("code_format", language="cpp")(completions=[py]) == [0.0]
