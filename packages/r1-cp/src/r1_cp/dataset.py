"""The bundled sample problems as a dataset: training / evaluation rows with prompts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from r1_core.errors import ProblemError

from r1_cp.problem import SCORERS, Problem, load_problem
from r1_cp.rows import problem_to_rows

__all__ = ["PROBLEMS_DIR", "build_prompt", "bundled_problems", "dataset_rows", "reference_solution"]

PROBLEMS_DIR = Path(__file__).resolve().parent / "problems"


def bundled_problems(scorer: str | None = None) -> list[Path]:
    """Directories of the sample problems shipped with r1-cp, optionally of one scorer."""
    if scorer is not None and scorer not in SCORERS:
        raise ProblemError(f"unknown scorer {scorer!r}", f"use one of: {', '.join(SCORERS)}")
    dirs = sorted(p.parent for p in PROBLEMS_DIR.glob("*/problem.yaml"))
    if scorer is None:
        return dirs
    return [d for d in dirs if load_problem(d).scorer == scorer]


def _instructions(problem: Problem) -> str:
    lines = ["", "## Your task", ""]
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


def reference_solution(directory: Path) -> str | None:
    """The problem's full-score reference solution (``solutions/full.cpp``), if it has one."""
    path = Path(directory) / "solutions" / "full.cpp"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def dataset_rows(scorer: str) -> list[dict[str, Any]]:
    """Rows built from the bundled problems of ``scorer`` (IOI: one row per subtask, as open-r1).

    Each row has ``prompt`` plus the columns :func:`r1_cp.problem_from_row` reads, ``kind``
    and ``reference_solution`` (a fenced answer that scores full marks, for reward doctors).
    """
    rows = []
    for directory in bundled_problems(scorer):
        problem = load_problem(directory)
        gold = reference_solution(directory)
        for row in problem_to_rows(problem):
            row.update(
                prompt=build_prompt(problem),
                kind=scorer,
                reference_solution=f"```cpp\n{gold}```" if gold else None,
            )
            rows.append(row)
    return rows
