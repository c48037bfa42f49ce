"""Code patching: make submissions written for old judges compile and run on today's toolchain.

Models trained on Codeforces/IOI archives often emit C++ that relies on the judge's implicit
headers and Python 2-era idioms that Python 3.11 rejects. Patching is idempotent and never
changes a program that already works.
"""

from __future__ import annotations

import re

__all__ = ["patch_code", "patch_cpp", "patch_python"]

_PY_RULES: list[tuple[re.Pattern[str], str]] = [
    # ABCs moved to collections.abc in 3.3 and left collections in 3.10
    (
        re.compile(
            r"\bfrom collections import (Mapping|MutableMapping|Sequence|MutableSequence|Iterable|"
            r"Callable|Hashable|Set|MutableSet)\b"
        ),
        r"from collections.abc import \1",
    ),
    (
        re.compile(r"\bcollections\.(Mapping|MutableMapping|Sequence|Iterable|Callable|Hashable)\b"),
        r"collections.abc.\1",
    ),
    (re.compile(r"^import imp$", re.M), "import importlib as imp"),
    (re.compile(r"\basyncio\.async\("), "asyncio.ensure_future("),
    (re.compile(r"\binspect\.getargspec\("), "inspect.getfullargspec("),
    (re.compile(r"\bfrom fractions import gcd\b"), "from math import gcd"),
    (re.compile(r"\bfractions\.gcd\("), "math.gcd("),
    (re.compile(r"""\barray\(\s*(['"])c\1"""), r"array(\1b\1"),
    (re.compile(r"\bos\.getlogin\(\)"), "False"),
]


def patch_python(source: str) -> str:
    """Rewrite removed stdlib idioms and lift the 4300-digit int/str limit of Python ≥ 3.11."""
    out = source
    for pattern, repl in _PY_RULES:
        out = pattern.sub(repl, out)
    prelude = []
    if "math.gcd(" in out and not re.search(r"^import math\b", out, re.M):
        prelude.append("import math")
    if "set_int_max_str_digits" not in out:
        prelude += ["import sys", "sys.set_int_max_str_digits(0)"]
    return _insert_after_future(out, prelude) if prelude else out


def _insert_after_future(source: str, lines: list[str]) -> str:
    """``from __future__`` imports must stay first, so new lines go right after them."""
    body = source.splitlines(keepends=True)
    at = 0
    for i, line in enumerate(body):
        if line.startswith("from __future__ import"):
            at = i + 1
    return "".join(body[:at]) + "\n".join(lines) + "\n" + "".join(body[at:])


def patch_cpp(source: str, headers: list[str] | None = None) -> str:
    """Add the includes and ``using namespace std`` that judges' precompiled headers used to imply.

    ``headers`` are IOI grader headers (``task.h``) the solution must include.
    """
    lines: list[str] = []
    if "<bits/stdc++.h>" not in source:
        lines.append("#include <bits/stdc++.h>")
    for header in headers or []:
        if not re.search(rf'#\s*include\s*"{re.escape(header)}"', source):
            lines.append(f'#include "{header}"')
    if "using namespace std" not in source and "std::" not in source:
        lines.append("using namespace std;")
    return "\n".join([*lines, source]) if lines else source


def patch_code(source: str, language: str, headers: list[str] | None = None) -> str:
    """Patch ``source`` for ``language`` (``cpp`` or ``python``); other languages are unchanged."""
    if not source.strip():
        return source
    if language == "cpp":
        return patch_cpp(source, headers)
    if language == "python":
        return patch_python(source)
    return source
