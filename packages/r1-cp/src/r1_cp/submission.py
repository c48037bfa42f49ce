"""``score_submission``: the one call rewards, benchmarks and the CLI use to judge a program."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from r1_core.api import get_sandbox, get_scorer
from r1_core.protocols import Sandbox

from r1_cp.problem import Problem, load_problem
from r1_cp.results import ScoreResult

__all__ = ["extract_code", "score_submission"]

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+#-]*)[^\n]*\n(.*?)```", re.S)
_LANGUAGE_TAGS = {
    "cpp": "cpp",
    "c++": "cpp",
    "cc": "cpp",
    "cxx": "cpp",
    "python": "python",
    "py": "python",
    "python3": "python",
}


def extract_code(completion: str, default_language: str = "cpp") -> tuple[str, str]:
    """The last fenced code block of ``completion`` and its language (``""`` if there is none)."""
    blocks = _FENCE.findall(completion)
    if not blocks:
        return "", default_language
    tag, code = blocks[-1]
    return code, _LANGUAGE_TAGS.get(tag.lower(), default_language)


def score_submission(
    problem: Problem | str | Path,
    source: str,
    language: str = "cpp",
    sandbox: Sandbox | None = None,
    **options: Any,
) -> ScoreResult:
    """Judge ``source`` on ``problem`` with the problem's scorer.

    Args:
        problem: a :class:`Problem` or a problem directory.
        sandbox: where to run; ``None`` opens ``get_sandbox("local")`` for this call.
        options: scorer options, e.g. ``skip_after_zero=False`` (ioi), ``scoring_mode="partial"``
            (codeforces), ``patch_code=False``.
    """
    loaded = problem if isinstance(problem, Problem) else load_problem(problem)
    scorer = get_scorer(loaded.scorer, **options)
    if sandbox is not None:
        return scorer.score(loaded, source, language, sandbox)
    own = get_sandbox("local")
    try:
        return scorer.score(loaded, source, language, own)
    finally:
        own.close()
