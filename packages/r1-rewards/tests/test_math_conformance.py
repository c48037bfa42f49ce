"""``accuracy`` agrees with open-r1's math-verify verdict, except the differences docs/rewards.md lists.

The oracle is open-r1's ``accuracy_reward`` logic run in this process: gold parsed with
math-verify's default extraction, the completion with open-r1's LaTeX-only, boxed-first config,
``verify(gold, answer)``. r1 is checked three ways on every pair: the default verifier (exact fast
path, then worker processes), a verifier with the fast path off (worker processes only), and the
default verifier again (answered from its cache).

r1's one deliberate difference for math answers written in plain LaTeX is the multi-box rule:
with several distinct boxed answers, all of them joined into one list (``\\boxed{a}, \\boxed{b}``
reads as ``a,b``) must equal the gold, or else each box on its own must. math-verify joins only a
trailing run of nearby boxes (and lets a later "final answer is $x$. I hope" sentence win), and
reads two restatements of one value (``x = 7`` and ``7``) as a two-element set.
"""

from __future__ import annotations

import functools
import logging
import os
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from r1_core import get_reward
from r1_rewards import accuracy as accuracy_module
from r1_rewards.math.verifier import MathVerifier

pytestmark = pytest.mark.timeout(300)

POOL_ONLY_TIMEOUT = 9.75  # a timeout no other test uses: its shared verifier is ours


@functools.cache
def open_r1_oracle():
    """open-r1's ``accuracy_reward`` verdict for one (gold, completion), with math-verify."""
    warnings.simplefilter("ignore")
    for name in ("math_verify", "latex2sympy2_extended"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    from latex2sympy2_extended import NormalizationConfig
    from math_verify import LatexExtractionConfig, parse, verify

    answer_config = [LatexExtractionConfig(
        normalization_config=NormalizationConfig(nits=False, malformed_operators=False, basic_latex=True,
                                                 equations=True, boxed="all", units=True),
        boxed_match_priority=0, try_extract_without_anchor=False)]

    def reading(completion: str) -> str:
        parsed = parse(completion, extraction_config=answer_config, extraction_mode="first_match")
        return str(parsed[0]) if parsed else ""

    def open_r1(gold: str, completion: str) -> float | None:
        gold_parsed = parse(gold, extraction_mode="first_match")
        if not gold_parsed:
            return None
        answer = parse(completion, extraction_config=answer_config, extraction_mode="first_match")
        try:
            return float(verify(gold_parsed, answer))
        except Exception:
            return None

    open_r1.reading = reading  # type: ignore[attr-defined]
    return open_r1


@pytest.fixture(scope="module")
def oracle():
    return open_r1_oracle()


def several_boxes_rule(oracle, gold: str, boxes: list[str]) -> float | None:
    """r1's documented verdict for several distinct boxes, computed with math-verify itself."""
    joined = oracle(gold, "\\boxed{" + ",".join(boxes) + "}")
    if joined != 0.0:
        return joined
    return float(all(oracle(gold, f"\\boxed{{{b}}}") == 1.0 for b in boxes))


def distinct(boxes: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for b in boxes:
        seen.setdefault("".join(b.split()), b)
    return list(seen.values())


@pytest.fixture(scope="module")
def r1_three_ways():
    """Judge (gold, completion) pairs with the fast path, with workers only, and from the cache."""
    default = get_reward("accuracy")
    pool_only = MathVerifier(timeout_s=POOL_ONLY_TIMEOUT, fast_path=False)
    saved = accuracy_module._verifiers.get(POOL_ONLY_TIMEOUT)
    accuracy_module._verifiers[POOL_ONLY_TIMEOUT] = pool_only
    workers = get_reward("accuracy", timeout_s=POOL_ONLY_TIMEOUT)

    def judge(golds: list[str], completions: list[str]) -> list[list[float | None]]:
        fast = default(completions=completions, solution=golds)
        slow = workers(completions=completions, solution=golds)
        cached = default(completions=completions, solution=golds)
        return [list(v) for v in zip(fast, slow, cached, strict=True)]

    yield judge
    if saved is None:
        accuracy_module._verifiers.pop(POOL_ONLY_TIMEOUT, None)
    else:
        accuracy_module._verifiers[POOL_ONLY_TIMEOUT] = saved


# ---- the shapes of math-verify's own test suite that r1 used to score 0 (issue 15) ----

SPLIT_ACROSS_BOXES = [
    ("$$(3, 1), (5, 4)$$", r"$$\boxed{(3, 1)} \quad \text{and} \quad \boxed{(5, 4)}$$"),
    ("$$(12, 7), (40, 9)$$", r"$$\boxed{(12, 7)} \quad \text{and} \quad \boxed{(40, 9)}$$"),
    ("$$(4, 4), (2, 2)$$", r"$$\boxed{(4, 4)} \text{ for the first part and } \boxed{(2, 2)}$$"),
    ("$$a = 12, b = 7$$", r"$$\boxed{a = 12} \quad \text{and} \quad \boxed{b = 7}$$"),
    ("$${2,4,6}$$", r"\boxed{2} and \boxed{4} and \boxed{6}"),
    ("$${2,4,6}$$", r"\boxed{2},\boxed{4},\boxed{6}"),
    (r"$\{1,2,3\}$", r"\boxed{1}, \boxed{2}, \boxed{3}"),
    ("$(3,1),(1,3),(-2,-5),(-5,-2)$", "the solutions are:\n\n\\[\n\\boxed{(1, 3)}, \\boxed{(3, 1)}, "
     "\\boxed{(-2, -5)}, \\boxed{(-5, -2)}\n\\]"),
    (r"$x_{1}=2^{\frac{-3+\sqrt{5}}{2}},\quad x_{2}=2^{\frac{-3-\sqrt{5}}{2}}$",
     r"$\boxed{2^{\frac{\sqrt{5} - 3}{2}}} \quad \text{and} \quad \boxed{2^{-\frac{3 + \sqrt{5}}{2}}}$"),
    (r"$x_{1}=\frac{1}{3}+\frac{2\sqrt{7}}{9},\quad x_{2}=\frac{1}{3}-\frac{2\sqrt{7}}{9}$",
     r"$\boxed{\dfrac{3 + 2\sqrt{7}}{9}} \quad \text{and} \quad \boxed{\dfrac{3 - 2\sqrt{7}}{9}}$"),
    (r"$y_{1}=x^{2}-2 x+5, y_{2}=2 x^{2}+4 x+1$",
     r"\(y_1 = \boxed{(x - 1)^2 + 4} \) and \( y_2 = \boxed{2(x + 1)^2 - 1} \) "),
    (r"$1 \pm \sqrt{3}$", r"The roots are \boxed{1 + \sqrt{3}} and \boxed{1 - \sqrt{3}}."),
    (r"so the solutions are $n = \boxed{1,-3}.$", r"The integers are \boxed{-3} and \boxed{1}."),
]


@pytest.mark.parametrize(("gold", "completion"), SPLIT_ACROSS_BOXES)
def test_answers_split_across_boxes_score_one_like_math_verify(oracle, r1_three_ways, gold, completion):
    assert oracle(gold, completion) == 1.0
    assert r1_three_ways([gold], [completion]) == [[1.0, 1.0, 1.0]]


# ---- more pairs in the style of math-verify's tests: r1 and open-r1 agree ----

AGREE = [
    ("$5$", r"\boxed{5}"), ("5", r"\boxed{5}"), ("$-7$", r"the answer is $\boxed{-7}$."),
    (r"$\frac{3}{4}$", r"\boxed{0.75}"), (r"$\frac{3}{4}$", r"\boxed{\dfrac{6}{8}}"),
    (r"$\frac{3}{4}$", r"\boxed{3/5}"), (r"$2\sqrt{3}$", r"\boxed{\sqrt{12}}"),
    (r"$[1, 4)$", r"\boxed{[1,4)}"), (r"$[1, 4)$", r"\boxed{(1,4]}"),
    (r"$(-\infty, 2]$", r"\boxed{(-\infty, 2]}"), (r"$\{1, 5\}$", r"\boxed{\{5, 1\}}"),
    ("$(1, 2)$", r"\boxed{(2, 1)}"), ("$(1, 2)$", r"\boxed{2}, \boxed{1}"),
    ("$x = 4$", r"\boxed{x = 4}"), ("$x = 4$", r"\boxed{4}"), ("$4$", r"\boxed{x = 4}"),
    (r"$\pm 2$", r"\boxed{2} and \boxed{-2}"), (r"$\pm 2$", r"\boxed{2}"),
    ("$2$", r"\boxed{2} and \boxed{-2}"),
    ("$7$", r"\boxed{7} or \boxed{8}"), ("$7$", r"\boxed{8}, \boxed{7}"),
    ("$7$", r"\boxed{7}. So again \boxed{7}."), (r"$\frac{1}{2}$", r"\boxed{0.5} = \boxed{\frac{1}{2}}"),
    (r"$\{1,2\}$", r"\boxed{1} or \boxed{2}"), (r"$\{1,2\}$", r"\boxed{1} or \boxed{3}"),
    ("$k = 45, n = 2$", r"\boxed{k = 45}, \boxed{n = 2}"),
    ("$k = 45, n = 2$", r"\boxed{k = 45}, \boxed{n = 3}"),
    ("$7$", "no boxed answer, just 7"), ("$7$", r"The final answer is $7$. I hope it is correct."),
    ("$7$", r"\boxed{7}. The final answer is $8$. I hope it is correct."),
    (r"$\text{odd}$", r"\boxed{\text{odd}}"), ("$10\\%$", r"\boxed{10\%}"),
    (r"$x^2 + 1$", r"\boxed{1 + x^2}"), (r"\text{not math", r"\boxed{3}"),
]


def test_math_verify_style_pairs_agree_with_open_r1(oracle, r1_three_ways):
    golds, completions = [g for g, _ in AGREE], [c for _, c in AGREE]
    expected = [oracle(g, c) for g, c in AGREE]
    assert 0.0 in expected and 1.0 in expected and None in expected
    got = r1_three_ways(golds, completions)
    assert got == [[e] * 3 for e in expected]
    assert accuracy_module.shared_verifier(10.0).fast_hits > 0  # the fast path took part


# ---- the deliberate differences (docs/rewards.md, "Several boxed answers") ----

FILLER = " Let me double-check this by substituting it back into the original equation once more."


@pytest.mark.parametrize(("gold", "completion", "open_r1", "r1"), [
    # a hedge whose boxes stand far apart: math-verify reads only the last one
    ("$7$", r"It is \boxed{8}." + FILLER + r" So it is \boxed{7}.", 1.0, 0.0),
    # a part of the answer far from the rest: math-verify misses it, r1 joins every box
    (r"$\{1, 2\}$", r"One root is \boxed{1}." + FILLER + r" The other is \boxed{2}.", 0.0, 1.0),
    # boxed intermediate results followed by a Minerva-style final sentence: every box counts
    ("$10455$", r"$0.04 \cdot 10000 = \boxed{400}$ and then $\boxed{55}$." + FILLER
     + " The final answer is $10,455$. I hope it is correct.", 1.0, 0.0),
    # one value restated in two forms is not a hedge: each box equals the gold on its own
    ("$7$", r"\boxed{7}, that is \boxed{x = 7}.", 0.0, 1.0),
    ("$7$", r"\boxed{7 \text{ cm}} and \boxed{7}", 0.0, 1.0),
    (r"$\frac{1}{2}$", r"\boxed{\frac{1}{2}} or \boxed{50\%}", 0.0, 1.0),
])
def test_several_boxes_deliberate_differences(oracle, r1_three_ways, gold, completion, open_r1, r1):
    assert oracle(gold, completion) == open_r1
    assert r1_three_ways([gold], [completion]) == [[r1, r1, r1]]


# ---- generated inputs ----

def _frac(a: int, b: int) -> str:
    return f"\\frac{{{a}}}{{{b}}}"


def _set(values) -> str:
    return "\\{" + ", ".join(map(str, values)) + "\\}"


@st.composite
def problems(draw):
    """(gold, candidates): a gold answer and lists of boxes answering it, right or wrong."""
    kind = draw(st.sampled_from(["int", "frac", "root", "interval", "set", "tuple", "tuples", "equation",
                                 "system", "pm"]))
    n = draw(st.integers(-60, 60))
    m = n + draw(st.integers(1, 40))
    if kind == "int":
        gold = draw(st.sampled_from([f"${n}$", str(n), f"\\boxed{{{n}}}", f"\\({n}\\)"]))
        return gold, [[str(n)], [_frac(2 * n, 2)], [f"{n}.0"], [str(n + 1)], [f"x = {n}"],
                      [str(n), str(n + 3)]]
    if kind == "frac":
        a, b, k = draw(st.integers(1, 30)), draw(st.integers(2, 12)), draw(st.integers(2, 5))
        f = _frac(a, b)
        gold = draw(st.sampled_from([f"${f}$", f, f"{a}/{b}", f"\\boxed{{{f}}}", f"$\\dfrac{{{a}}}{{{b}}}$"]))
        return gold, [[f], [_frac(k * a, k * b)], [f"{a}/{b}"], [_frac(a + 1, b)], [f"-{f}"],
                          [f, f"{a}/{b}"], [f, _frac(b, a)]]
    if kind == "root":
        c, r = draw(st.integers(2, 9)), draw(st.sampled_from([2, 3, 5, 6, 7]))
        root = f"{c}\\sqrt{{{r}}}"
        return f"${root}$", [[root], [f"\\sqrt{{{c * c * r}}}"], [f"{c + 1}\\sqrt{{{r}}}"],
                             [root, f"-{root}"]]
    if kind == "interval":
        lo, hi = draw(st.sampled_from(["[", "("])), draw(st.sampled_from(["]", ")"]))
        top = draw(st.sampled_from([str(m), "\\infty"]))
        hi = ")" if top == "\\infty" else hi
        body, flipped = f"{n}, {top}", "(" if lo == "[" else "["
        return f"${lo}{body}{hi}$", [[f"{lo}{body}{hi}"], [f"\\left{lo}{body}\\right{hi}"],
                                     [f"{flipped}{body}{hi}"], [str(n), top], [f"{lo}{n}, {m + 1}{hi}"]]
    if kind == "set":
        vals = draw(st.lists(st.integers(-20, 20), min_size=2, max_size=4, unique=True))
        shuffled = draw(st.permutations(vals))
        extra = [*vals, max(vals) + 1]
        return f"${_set(vals)}$", [[_set(shuffled)], [", ".join(map(str, shuffled))],
                                   [str(v) for v in shuffled], [str(v) for v in vals[:-1]],
                                   [str(v) for v in extra], [_set(extra)]]
    if kind == "tuple":
        return f"$({n}, {m})$", [[f"({n}, {m})"], [f"({m}, {n})"], [str(n), str(m)], [f"x = {n}", f"y = {m}"],
                                 [f"({n}, {m + 1})"]]
    if kind == "tuples":
        coords = st.tuples(st.integers(-9, 9), st.integers(-9, 9))
        pts = draw(st.lists(coords, min_size=2, max_size=3, unique=True))
        text = [f"({x}, {y})" for x, y in pts]
        order = draw(st.permutations(text))
        return "$" + ", ".join(text) + "$", [[", ".join(order)], list(order), list(order[:-1]),
                                              [*order, f"({pts[0][0] + 20}, 0)"]]
    if kind == "equation":
        return f"$x = {n}$", [[f"x = {n}"], [str(n)], [f"x = {n + 1}"], [f"x = {n}", f"x = {n + 1}"],
                              [f"x = {n}", str(n)]]
    if kind == "system":
        k_, n_ = f"k = {n}", f"n = {m}"
        return f"${k_}, {n_}$", [[k_, n_], [n_, k_], [f"{k_}, {n_}"], [k_, f"n = {m + 1}"], [k_]]
    c, r = draw(st.integers(1, 9)), draw(st.sampled_from([2, 3, 5, 7]))
    plus, minus = f"{c} + \\sqrt{{{r}}}", f"{c} - \\sqrt{{{r}}}"
    return f"${c} \\pm \\sqrt{{{r}}}$", [[plus, minus], [minus, plus], [plus], [f"{c} \\pm \\sqrt{{{r}}}"],
                                         [plus, f"{c} + \\sqrt{{{r + 1}}}"]]


NEAR = [", ", " and ", " or ", ",\\quad ", " \\quad \\text{and} \\quad ", "; "]
WRAP = ["\\boxed{%s}", "$\\boxed{%s}$", "\\(\\boxed{%s}\\)", "\\[\\boxed{%s}\\]"]
LEAD = ["", "The answer is ", "Therefore, ", "So we get ", "Solving, we find "]
TAIL = ["", ".", " is the answer.", "\n\nDone."]


@st.composite
def pairs(draw):
    """(gold, completion, boxes): a completion built around boxed candidate answers."""
    gold, candidates = draw(problems())
    boxes = draw(st.sampled_from(candidates))
    if draw(st.integers(0, 9)) == 0:  # no box: an anchored inline answer
        text = draw(st.sampled_from(["The answer is $%s$.", "Answer: \\(%s\\)", "so $%s$", "%s"]))
        return gold, text % ", ".join(boxes), []
    if draw(st.booleans()) and len(boxes) == 1:
        boxes = boxes * 2  # a repeated box is still one answer
    wraps = draw(st.lists(st.sampled_from(WRAP), min_size=len(boxes), max_size=len(boxes)))
    if draw(st.booleans()):
        wraps = [wraps[0]] * len(boxes)  # usually one style throughout
    far = len(boxes) > 1 and draw(st.integers(0, 4)) == 0
    sep = FILLER + " " if far else draw(st.sampled_from(NEAR))
    body = sep.join(w % b for w, b in zip(wraps, boxes, strict=True))
    if draw(st.integers(0, 9)) == 0:
        other = draw(st.sampled_from(candidates))[0]
        body += f" The final answer is ${other}$. I hope it is correct."
    return gold, draw(st.sampled_from(LEAD)) + body + draw(st.sampled_from(TAIL)), boxes


EXAMPLES = int(os.environ.get("R1_CONFORMANCE_EXAMPLES", "40"))


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=EXAMPLES <= 40,
          suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(pairs(), min_size=1, max_size=4))
def test_generated_answers_agree_with_open_r1_except_the_multi_box_rule(oracle, r1_three_ways, batch):
    golds, completions = [p[0] for p in batch], [p[1] for p in batch]
    got = r1_three_ways(golds, completions)
    for (gold, completion, boxes), verdicts in zip(batch, got, strict=True):
        open_r1 = oracle(gold, completion)
        several = distinct(boxes)
        expected = several_boxes_rule(oracle, gold, several) if len(several) > 1 else open_r1
        assert verdicts == [expected] * 3, (gold, completion, open_r1)
        if expected != open_r1:  # only where math-verify does not read the boxes as one list, or
            joined = oracle.reading("\\boxed{" + ",".join(several) + "}")  # each box is the gold
            restated = all(oracle(gold, f"\\boxed{{{b}}}") == 1.0 for b in several)
            assert oracle.reading(completion) != joined or restated, (gold, completion, open_r1)
