"""The bundled problems as datasets: training / evaluation rows with prompts.

``problems/`` holds the sample problems of each scorer (the CP benchmarks evaluate on them).
``warmup/`` holds IOI-style warm-up problems: one small Python function each, called by a Python
grader, with an easy first subtask worth partial points. They come in three disjoint sets:
``train`` (what ``r1 train grpo --reward ioi`` trains on by default), ``cold_start`` (whose
reference solutions are the cold-start SFT demonstrations) and ``held_out`` (evaluation only:
``r1 eval ioi -o problems=warmup``), so no evaluated problem is ever trained on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from r1_cp.errors import ProblemError
from r1_cp.judge import PYTHON_GRADER
from r1_cp.problem import SCORERS, Problem, load_problem
from r1_cp.rows import problem_to_rows

__all__ = [
    "PROBLEMS_DIR",
    "WARMUP",
    "WARMUP_DIR",
    "WARMUP_SETS",
    "build_prompt",
    "bundled_problems",
    "dataset_rows",
    "reference_solution",
    "warmup_problems",
]

PROBLEMS_DIR = Path(__file__).resolve().parent / "problems"
WARMUP_DIR = Path(__file__).resolve().parent / "warmup"
# dataset_rows() names of the warm-up sets (bundled:<name> in r1 train) -> their directory
WARMUP_SETS = {"ioi-warmup": "train", "ioi-cold-start": "cold_start", "ioi-held-out": "held_out"}
WARMUP = "ioi-warmup"


def bundled_problems(scorer: str | None = None) -> list[Path]:
    """Directories of the sample problems shipped with r1-cp, optionally of one scorer."""
    if scorer is not None and scorer not in SCORERS:
        raise ProblemError(f"unknown scorer {scorer!r}", f"use one of: {', '.join(SCORERS)}")
    dirs = sorted(p.parent for p in PROBLEMS_DIR.glob("*/problem.yaml"))
    if scorer is None:
        return dirs
    return [d for d in dirs if load_problem(d).scorer == scorer]


def warmup_problems(name: str = WARMUP) -> list[Path]:
    """Directories of one set of warm-up problems: ``ioi-warmup`` (GRPO training),
    ``ioi-cold-start`` (SFT demonstrations) or ``ioi-held-out`` (evaluation)."""
    if name not in WARMUP_SETS:
        raise ProblemError(f"unknown warm-up set {name!r}", f"use one of: {', '.join(WARMUP_SETS)}")
    return sorted(p.parent for p in (WARMUP_DIR / WARMUP_SETS[name]).glob("*/problem.yaml"))


def solution_language(problem: Problem) -> str:
    """``python`` for function-style problems with a Python grader, else ``cpp``."""
    return "python" if PYTHON_GRADER in problem.grader_files else "cpp"


def _instructions(problem: Problem) -> str:
    lines = ["", "## Your task", ""]
    if solution_language(problem) == "python":
        # short on purpose: every prompt token is in every forward and backward pass of GRPO
        return ("\nAnswer with the function alone in one ```python code block; the grader calls it "
                "(no input, no print).")
    if problem.headers:
        header = problem.headers[0]
        lines.append(
            f"Write a C++17 implementation of the function(s) declared in `{header}`. Do not write "
            "`main` and do not read input or print output: the grader does. Contents of "
            f"`{header}`:\n\n```cpp\n{problem.grader_files[header].strip()}\n```\n"
        )
    elif problem.io == "file":
        lines.append(
            f"Write a complete C++17 program that reads `{problem.file_name}.in` and writes "
            f"`{problem.file_name}.out` in its working directory."
        )
    else:
        lines.append("Write a complete C++17 program that reads standard input and writes standard output.")
    lines.append(f"Time limit: {problem.time_limit:g} s per test. Memory limit: {problem.memory_limit} MB.")
    lines.append("Think it through, then give your final solution in a single ```cpp code block.")
    return "\n".join(lines)


def build_prompt(problem: Problem) -> str:
    """The statement followed by instructions to answer with one fenced C++ block."""
    return problem.statement.strip() + "\n" + _instructions(problem)


def reference_solution(directory: Path, language: str = "cpp") -> str | None:
    """The problem's full-score reference solution (``solutions/full.cpp`` or ``full.py``), if any."""
    path = Path(directory) / "solutions" / ("full.py" if language == "python" else "full.cpp")
    return path.read_text(encoding="utf-8") if path.is_file() else None


def dataset_rows(scorer: str) -> list[dict[str, Any]]:
    """Rows built from the bundled problems of ``scorer`` (IOI: one row per subtask, as open-r1);
    ``ioi-warmup`` / ``ioi-cold-start`` / ``ioi-held-out`` give a warm-up set's IOI rows.

    Each row has ``prompt`` plus the columns :func:`r1_cp.problem_from_row` reads, ``kind``,
    ``language`` (what the solution is written in) and ``reference_solution`` (a fenced answer
    that scores full marks, for reward doctors and cold-start demonstrations).
    """
    warmup = scorer in WARMUP_SETS
    directories = warmup_problems(scorer) if warmup else bundled_problems(scorer)
    kind = "ioi" if warmup else scorer
    rows = []
    for directory in directories:
        problem = load_problem(directory)
        language = solution_language(problem)
        gold = reference_solution(directory, language)
        for row in problem_to_rows(problem):
            row.update(
                prompt=build_prompt(problem),
                kind=kind,
                reference_solution=f"```{language}\n{gold}```" if gold else None,
            )
            row.setdefault("language", language)
            rows.append(row)
    return rows
