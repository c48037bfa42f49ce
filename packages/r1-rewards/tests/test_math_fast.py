"""The exact fast path and direct gold construction agree with math-verify."""

from __future__ import annotations

import logging
import warnings

import pytest
from r1_rewards.math.fast import fast_judge
from r1_rewards.math.gold import simple_gold

GOLDS = ["$5$", "5", "$-7$", r"$\frac{1}{2}$", r"$\frac{2}{4}$", r"$-\frac{3}{7}$", r"$\frac{-3}{7}$",
         r"$3\sqrt{2}$", r"$\sqrt{8}$", r"$\{1,2,3\}$", r"$\{-1,\frac{1}{2}\}$", r"$\dfrac{5}{3}$", "$0$",
         r"$\{3,1\}$", "$12345678901234567890$", r"\(42\)", r"$\{1,1,2\}$", "$007$", r"$\frac{0}{5}$"]


@pytest.mark.parametrize("gold", GOLDS)
def test_simple_gold_builds_exactly_what_math_verify_parses(gold):
    import sympy
    from math_verify import parse

    warnings.simplefilter("ignore")
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    expected = parse(gold, extraction_mode="first_match")
    built = simple_gold(gold)
    assert built is not None
    assert [sympy.srepr(built[0]), built[1]] == [sympy.srepr(expected[0]), expected[1]]


@pytest.mark.parametrize("gold", [r"$x+1$", r"$\pi$", "$0.5$", r"$\frac{1}{0}$", "$1, 2$", r"$(1,2)$", ""])
def test_simple_gold_leaves_everything_else_to_math_verify(gold):
    assert simple_gold(gold) is None


@pytest.mark.parametrize(("gold", "boxed", "expected"), [
    (r"$\frac{1}{2}$", ("0.5",), 1.0),
    (r"$3\sqrt{2}$", (r"\sqrt{18}",), 1.0),
    (r"$\{1,2,3\}$", (r"\{3, 2, 1\}",), 1.0),
    ("42", ("41",), 0.0),
    ("$42$", ("42", "41"), None),  # several boxes: math-verify reads them joined
    (r"$\frac{1}{2}$", ("0.5", r"\frac{2}{4}"), 1.0),  # every box equals the gold on its own
    (r"$\{1,2\}$", ("1", "2"), None),  # a set split into boxes: math-verify joins them
    ("-5", ("-5.0",), 1.0),
    (r"$\frac{7}{3}$", (r"\dfrac{14}{6}",), 1.0),
    ("$x$", ("x",), None),  # not simple: math-verify decides
    (r"$\frac{1}{3}$", ("0.33333333",), None),  # close values: math-verify's tolerance decides
    ("$5$", (), None),
    (r"$\{1,2\}$", ("1",), None),
    (r"$\frac{\sqrt{2}}{2}$", (r"\frac{1}{\sqrt{2}}",), 1.0),
    (r"$\frac{\sqrt{3}}{2}$", (r"\sqrt{3}/2",), 1.0),
    (r"$3\sqrt{2}$", (r"\sqrt{2} \cdot 4",), 0.0),
    (r"$\frac{7}{9}$", ("7/9",), 1.0),
    (r"$\{1,2\}$", (r"\left\{2,1\right\}",), 1.0),
    (r"$\frac{5}{2}$", (r"2\frac{1}{2}",), None),  # a mixed number? math-verify decides
    ("$3$", ("(1+2)",), None),
    ("$0$", (r"\frac{1}{0}",), None),
])
def test_fast_path_decides_only_what_is_exact(gold, boxed, expected):
    assert fast_judge(gold, boxed) == expected


def _random_pairs(n: int, seed: int = 3):
    import random

    rng = random.Random(seed)

    def number():
        kind = rng.randrange(5)
        a, b = rng.randint(-30, 30), rng.randint(1, 12)
        return [str(a), rf"\frac{{{a}}}{{{b}}}", f"{a}/{b}", f"{a / b:.3f}" if a % b else str(a // b),
                rf"{abs(a) or 1}\sqrt{{{b}}}"][kind]

    pairs = []
    for _ in range(n):
        g = number()
        a = g if rng.random() < 0.3 else number()
        if rng.random() < 0.2:
            g, a = r"\{" + g + "," + number() + r"\}", r"\{" + a + "," + number() + r"\}"
        pairs.append((f"${g}$", a))
    return pairs


def test_fast_path_agrees_with_math_verify_on_random_pairs():
    from math_verify import parse, verify
    from r1_rewards.math.worker import _answer_config

    warnings.simplefilter("ignore")
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    decided = 0
    for gold, answer in _random_pairs(150):
        fast = fast_judge(gold, (answer,))
        if fast is None:
            continue
        decided += 1
        slow = float(verify(parse(gold, extraction_mode="first_match"),
                            parse(rf"\boxed{{{answer}}}", extraction_config=_answer_config(),
                                  extraction_mode="first_match")))
        assert fast == slow, (gold, answer)
    assert decided > 100
