"""Parsing gold answers: the one gold parser of ``accuracy``, ``length`` and ``cosine``.

``parse_gold`` is math-verify's ``parse(gold, extraction_mode="first_match")`` with its default
targets (LaTeX, then plain expressions), as open-r1's ``accuracy_reward`` does; open-r1's
``len_reward`` and ``cosine_scaled_reward`` parsed gold with LaTeX extraction only, which cannot
read a plain ``7``. For integers, fractions, plain radicals and sets of those ``simple_gold``
builds exactly the sympy objects math-verify's parser would (same types, same unevaluated
forms), skipping its ≈10 ms ANTLR parse.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["parse_gold", "simple_gold"]

_INT = r"-?\d{1,300}"
_FRAC = rf"(-)?\\[dt]?frac\{{({_INT})\}}\{{(\d{{1,300}})\}}"
_ELEMENT = re.compile(rf"({_INT})|{_FRAC}")
_RADICAL = re.compile(r"(\d{1,9})?\\sqrt\{(\d{1,9})\}")
_WRAPPED = re.compile(r"\$\$(.*)\$\$|\$(.*)\$|\\\((.*)\\\)|\\\[(.*)\\\]|(.*)", re.DOTALL)
_SET = re.compile(r"\\\{(.*)\\\}")


def _element(text: str) -> Any:
    import sympy

    m = _ELEMENT.fullmatch(text)
    if not m:
        return None
    integer, neg, num, den = m.groups()
    if integer is not None:
        return sympy.Integer(int(integer))
    if int(den) == 0:
        return None
    value = sympy.Rational(int(num), int(den))
    return -value if neg else value


def _radical(text: str) -> Any:
    import sympy

    m = _RADICAL.fullmatch(text)
    if not m:
        return None
    coef, radicand = m.groups()
    root = sympy.Pow(sympy.Integer(int(radicand)), sympy.Rational(1, 2), evaluate=False)
    return sympy.Mul(sympy.Integer(int(coef)), root, evaluate=False) if coef else root


def simple_gold(gold: str) -> list[Any] | None:
    """``[sympy value, latex string]`` as math-verify's ``parse(gold)`` gives, or None."""
    body = next(g for g in _WRAPPED.fullmatch(gold.strip()).groups() if g is not None).strip()  # type: ignore[union-attr]
    if not body or any(c.isspace() for c in body):
        return None
    latex = body.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    s = _SET.fullmatch(body)
    if s:
        import sympy

        items = [_element(p) for p in s.group(1).split(",")]
        if not items or any(v is None for v in items):
            return None
        return [sympy.FiniteSet(*items), latex]
    value = _element(body)
    if value is None:
        value = _radical(body)
    return None if value is None else [value, latex]


def parse_gold(gold: str, timeout: int = 5) -> list[Any]:
    """math-verify's parse result for a gold answer (``[]`` when it cannot be read)."""
    simple = simple_gold(gold)
    if simple is not None:
        return simple
    from math_verify import parse

    return parse(gold, extraction_mode="first_match", parsing_timeout=timeout)
