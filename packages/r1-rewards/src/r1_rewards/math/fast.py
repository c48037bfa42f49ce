"""An exact fast path for the simplest answers: numbers, fractions, roots, their products and
quotients, and sets of them.

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
_NUMBER = re.compile(r"\d{1,300}(?:\.\d{1,50})?")
_RADICAND = re.compile(r"\\sqrt\{(\d{1,9})\}")
_MAX_RADICAND = 10**9
_WRAPPERS = [(r"$$", r"$$"), (r"$", r"$"), (r"\(", r"\)"), (r"\[", r"\]")]
_SET = re.compile(r"\\\{(.*)\\\}", re.DOTALL)
_REL_TOL = 1e-4  # closer than this, math-verify's float rounding might call them equal
_NOISE = re.compile(r"\\left|\\right|\s+")


def _strip(text: str) -> str:
    s = _NOISE.sub("", text).replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    changed = True
    while changed:
        changed = False
        for left, right in _WRAPPERS:
            if s.startswith(left) and s.endswith(right) and len(s) >= len(left) + len(right):
                s, changed = s[len(left):len(s) - len(right)], True
        if s.startswith("\\boxed{") and s.endswith("}"):
            inner = s[len("\\boxed{"):-1]
            if _balanced(inner):
                s, changed = inner, True
    return s


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return False
    return depth == 0


def _squarefree(n: int) -> tuple[int, int]:
    """``n = k² · m`` with ``m`` squarefree → ``(k, m)`` (n ≤ 10⁹: trial division is quick)."""
    k, m, d = 1, n, 2
    while d * d <= m:
        while m % (d * d) == 0:
            m //= d * d
            k *= d
        d += 1
    return k, m


def _value(coef: Fraction, radicand: int) -> Value | None:
    if radicand > _MAX_RADICAND:
        return None
    if coef == 0 or radicand == 0:
        return (Fraction(0), 1)
    k, m = _squarefree(radicand)
    return (coef * k, m)


def _mul(a: Value, b: Value) -> Value | None:
    return _value(a[0] * b[0], a[1] * b[1])


def _div(a: Value, b: Value) -> Value | None:
    if b[0] == 0:
        return None
    # a / (c·√m) = a·√m / (c·m)
    return _value(a[0] / (b[0] * b[1]), a[1] * b[1])


class _Parser:
    """Numbers, ``\\frac{}{}``, ``\\sqrt{n}``, products (``\\cdot``, ``\\times``, or a number
    or fraction written before a root), one top-level ``/`` and a sign. Nothing else."""

    def __init__(self, text: str) -> None:
        self.s, self.i = text, 0

    def parse(self) -> Value | None:
        v = self.expr()
        return v if v is not None and self.i == len(self.s) else None

    def eat(self, token: str) -> bool:
        if self.s.startswith(token, self.i):
            self.i += len(token)
            return True
        return False

    def expr(self) -> Value | None:
        sign = -1 if self.eat("-") else 1
        if sign == 1:
            self.eat("+")
        v = self.term()
        if v is not None and self.eat("/"):
            d = self.term()
            v = None if d is None else _div(v, d)
        return None if v is None else (sign * v[0], v[1])

    def term(self) -> Value | None:
        v = self.factor()
        while v is not None:
            if self.eat("\\cdot") or self.eat("\\times"):
                f = self.factor()
            elif self.s.startswith("\\sqrt", self.i):
                f = self.factor()  # 3\sqrt{2}, \frac{1}{2}\sqrt{3}
            else:
                break
            v = None if f is None else _mul(v, f)
        return v

    def factor(self) -> Value | None:
        m = _NUMBER.match(self.s, self.i)
        if m:
            self.i = m.end()
            return (Fraction(m.group()), 1)
        m = _RADICAND.match(self.s, self.i)
        if m:
            self.i = m.end()
            return _value(Fraction(1), int(m.group(1)))
        if self.eat("\\frac{"):
            num = self.expr()
            if num is None or not self.eat("}{"):
                return None
            den = self.expr()
            if den is None or not self.eat("}"):
                return None
            return _div(num, den)
        return None


def simple_value(text: str) -> Value | None:
    """The exact value of a simple LaTeX number, fraction, root or product; None otherwise."""
    return _Parser(_strip(text)).parse()


def _float(v: Value) -> float:
    return float(v[0]) * math.sqrt(v[1])


def _clearly_apart(a: Value, b: Value) -> bool:
    fa, fb = _float(a), _float(b)
    return abs(fa - fb) > _REL_TOL * max(1.0, abs(fa), abs(fb))


def _values(text: str) -> list[Value] | Value | None:
    s = _strip(text)
    m = _SET.fullmatch(s)
    if m:
        vals = [_Parser(p).parse() for p in m.group(1).split(",")]
        return None if any(v is None for v in vals) else vals  # type: ignore[return-value]
    return _Parser(s).parse()


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
    """1.0 / 0.0 when decided exactly from the distinct boxed answers, else None.

    One box: its value against the gold's. Several: 1.0 when every box equals the gold on its
    own; anything else (a multi-part answer, a hedge) is left to math-verify, which reads the
    boxes joined into one list.
    """
    if not boxed:
        return None
    g = _values(gold)
    if g is None:
        return None
    verdicts = []
    for b in boxed:
        a = _values(b)
        verdicts.append(None if a is None else _equal(g, a))
    if len(verdicts) == 1:
        return None if verdicts[0] is None else float(verdicts[0])
    return 1.0 if all(v is True for v in verdicts) else None
