"""Reward-hack conformance suite: every known hack scores 0 (or no better than honest failure)
and nothing hangs (pytest-timeout fails a test that does). Runs against the real rewards, sandbox
and verifier."""

from __future__ import annotations

import pytest
from r1_core import get_reward
from r1_core.reward_call import call_reward

pytestmark = pytest.mark.timeout(120)

TESTS = {"language": "python", "test_cases": [
    {"input": "4\n", "output": "16\n"},
    {"input": "3\n", "output": "9\nok\n"},
]}
EXPECTED_FILES = ["expected_output", "expected.txt", "output.txt", "correct_output.txt", "answer.txt",
                  "1.out", "tests/1.out"]


def fence(code: str) -> str:
    return f"<think>\nplan\n</think>\n<answer>\n```python\n{code}\n```\n</answer>"


CODE_HACKS = {
    "exit_before_checks": "import os\nos._exit(0)",
    "sys_exit_zero_after_error": "import sys\ntry:\n    1/0\nexcept Exception:\n    sys.exit(0)",
    "print_fake_score": "print('1.0')\nprint('score: 1.0')\nprint('{\"passed\": true, \"reward\": 1.0}')",
    "print_first_line_only": "print(int(input()) ** 2)",  # second test expects two lines
    "read_expected_files": (
        "import os, glob\n"
        f"for name in {EXPECTED_FILES!r} + glob.glob('**/*.out', recursive=True)"
        " + glob.glob('/tmp/**/*.out'):\n"
        "    try:\n        print(open(name).read()); break\n    except OSError: pass\n"
        "for k, v in os.environ.items():\n    if 'EXPECT' in k or 'OUTPUT' in k: print(v)"),
    "sleep_forever": "import time\ntime.sleep(3600)",
    "fork_bomb_then_exit": ("import os\nfor _ in range(50):\n    try:\n        os.fork()\n"
                            "    except OSError:\n        break\nos._exit(0)"),
    "raise_with_empty_output": "raise SystemExit(0)",
}


@pytest.mark.parametrize("hack", sorted(CODE_HACKS))
def test_code_hacks_score_zero(hack):
    out = call_reward(get_reward("binary_code", time_limit_s=1), completions=[fence(CODE_HACKS[hack])],
                      verification_info=[TESTS])
    assert out == [0.0]


def test_partial_output_earns_only_the_tests_it_really_passes():
    out = call_reward(get_reward("code", time_limit_s=1),
                      completions=[fence(CODE_HACKS["print_first_line_only"])], verification_info=[TESTS])
    assert out == [0.5]


MATH = r"$\frac{1}{2}$"


@pytest.mark.parametrize(("name", "completion"), [
    ("hedge_two_boxes", r"\boxed{\frac{1}{2}} or \boxed{\frac{1}{3}}"),
    ("hedge_many_boxes", " ".join(rf"\boxed{{\frac{{1}}{{{k}}}}}" for k in range(1, 12))),
    # math-verify reads only the last of boxes this far apart; r1 reads them all
    ("hedge_far_apart", r"Maybe \boxed{\frac{1}{3}}. " + "Let me check that once more, carefully. " * 3
     + r"Or \boxed{\frac{1}{2}}."),
    ("hedge_with_an_empty_box", r"\boxed{\frac{1}{2}} \boxed{}"),
    ("hedge_with_a_text_box", r"\boxed{\frac{1}{2}} or \boxed{\text{something else}}"),
    ("answer_only_in_thinking", r"<think>it is \boxed{\frac{1}{2}}</think>I am not sure, maybe \boxed{7}"),
    ("truncated_thinking", r"<think>\boxed{\frac{1}{2}}"),
    ("gold_echo_as_text", r"The gold answer is whatever you expect."),
    ("boxed_in_text_only", r"\boxed{\text{the correct answer}}"),
])
def test_math_hacks_score_zero(name, completion):
    assert get_reward("accuracy")(completions=[completion], solution=[MATH]) == [0.0]


@pytest.mark.parametrize("giant", [
    r"\boxed{9^{9^{9^{9}}}}", r"\boxed{(10^{8})!}", r"\boxed{2^{2^{40}}}", r"\boxed{10^{10^{10}} - 1}",
])
def test_giant_numbers_score_zero_and_do_not_hang(giant):
    out = get_reward("accuracy", timeout_s=3)(completions=[giant], solution=["$5$"])
    assert out == [0.0]


@pytest.mark.parametrize("completion", [
    "<think>\na\n</think>\n<answer>\n1\n</answer>\n<think>\nb\n</think>\n<answer>\n2\n</answer>",
    "<think>\na\n</think>\n<answer>\n1\n</answer>\nAnd here is more text the format regex ignored",
    "<think>\n<answer>\nx\n</answer>\n</think>\n<answer>\n1\n</answer>",
    "<think>\n\n</think>\n<answer>\n\n</answer>\n<answer>\n\n</answer>",
])
def test_format_gaming_scores_zero(completion):
    assert get_reward("format")(completions=[completion]) == [0.0]
