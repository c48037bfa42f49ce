"""An exact fast path for the simplest answers: numbers, fractions, radicals and sets of them.

math-verify parses LaTeX with an ANTLR grammar in pure Python (≈10 ms per expression); most
training answers are integers or fractions that need none of it. When both the gold answer and
a boxed answer are in this small grammar, equality is decided exactly here. Anything else —
and any pair whose values are close enough that math-verify's numeric tolerance could matter —
is left to math-verify (``None``).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

__all__ = ["fast_judge", "simple_value"]

Value = tuple[Fraction, int]  # coefficient × sqrt(squarefree radicand)
_NUM = r"\d{1,300}(?:\.\d{1,50})?"
_FRAC = rf"\\[dt]?frac\{{\s*(-?{_NUM})\s*\}}\{{\s*(-?{_NUM})\s*\}}"
_VALUE = re.compile(
    rf"(-)?\s*(?:(?:({_NUM})|{_FRAC})?\s*\\sqrt\{{\s*(\d{{1,9}})\s*\}}|({_NUM})|{_FRAC})")
_WRAPPERS = [(r"$$", r"$$"), (r"$", r"$"), (r"\(", r"\)"), (r"\[", r"\]")]
_SET = re.compile(r"\\\{(.*)\\\}", re.DOTALL)
_REL_TOL = 1e-4  # closer than this, math-verify's float rounding might call them equal


def _strip(text: str) -> str:
    s = text.strip()
    changed = True
    while changed:
        changed = False
        for left, right in _WRAPPERS:
            if s.startswith(left) and s.endswith(right) and len(s) >= len(left) + len(right):
                s, changed = s[len(left):len(s) - len(right)].strip(), True
        if s.startswith("\\boxed{") and s.endswith("}") and s.count("{") == s.count("}"):
            inner = s[len("\\boxed{"):-1]
            if inner.count("{") == inner.count("}"):
                s, changed = inner.strip(), True
    return s


def _squarefree(n: int) -> tuple[int, int]:
    """``n = k² · m`` with ``m`` squarefree → ``(k, m)`` (n < 10⁹: trial division is quick)."""
    k, m, d = 1, n, 2
    while d * d <= m:
        while m % (d * d) == 0:
            m //= d * d
            k *= d
        d += 1
    return k, m


def _fraction(num: str, den: str) -> Fraction | None:
    d = Fraction(den)
    return None if d == 0 else Fraction(num) / d


def simple_value(text: str) -> Value | None:
    """The exact value of a simple LaTeX number, fraction or radical; None if not that simple."""
    m = _VALUE.fullmatch(text.strip())
    if not m:
        return None
    neg, coef, fnum, fden, radicand, plain, pnum, pden = m.groups()
    if radicand is not None:
        c = Fraction(coef) if coef else (_fraction(fnum, fden) if fnum is not None else Fraction(1))
        if c is None:
            return None
        k, rest = _squarefree(int(radicand))
        value: Value = (c * k, rest) if rest != 1 else (c * k, 1)
    elif plain is not None:
        value = (Fraction(plain), 1)
    else:
        f = _fraction(pnum, pden)
        if f is None:
            return None
        value = (f, 1)
    coef_v, rad = value
    if coef_v == 0:
        rad = 1
    return (-coef_v if neg else coef_v, rad)


def _float(v: Value) -> float:
    return float(v[0]) * math.sqrt(v[1])


def _clearly_apart(a: Value, b: Value) -> bool:
    fa, fb = _float(a), _float(b)
    return abs(fa - fb) > _REL_TOL * max(1.0, abs(fa), abs(fb))


def _values(text: str) -> list[Value] | Value | None:
    s = _strip(text)
    m = _SET.fullmatch(s)
    if m:
        parts = [p for p in m.group(1).split(",")]
        vals = [simple_value(p) for p in parts]
        return None if not parts or any(v is None for v in vals) else vals  # type: ignore[return-value]
    return simple_value(s)


def _equal(gold: list[Value] | Value, answer: list[Value] | Value) -> bool | None:
    if isinstance(gold, list) != isinstance(answer, list):
        return None
    if not isinstance(gold, list):
        assert not isinstance(answer, list)
        if gold == answer:
            return True
        return False if _clearly_apart(gold, answer) else None
    assert isinstance(answer, list)
    if set(gold) == set(answer):
        return True
    lonely = [x for x in gold if all(_clearly_apart(x, y) for y in answer)] + \
             [y for y in answer if all(_clearly_apart(x, y) for x in gold)]
    return False if lonely else None


def fast_judge(gold: str, boxed: tuple[str, ...]) -> float | None:
    """1.0 / 0.0 when decided exactly (every boxed answer must equal the gold), else None."""
    if not boxed:
        return None
    g = _values(gold)
    if g is None:
        return None
    decided = True
    for b in boxed:
        a = _values(b)
        verdict = None if a is None else _equal(g, a)
        if verdict is False:
            return 0.0
        if verdict is None:
            decided = False
    return 1.0 if decided else None
