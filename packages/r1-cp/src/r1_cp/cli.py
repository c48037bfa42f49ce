"""``r1 cp``: score a solution on a problem directory; list the bundled problems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from r1_core.cli.app import command_group, console, print_json
from r1_core.errors import ConfigError

from r1_cp.results import ScoreResult

__all__ = ["register"]

_EXTENSIONS = {".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp", ".py": "python"}


def result_dict(result: ScoreResult) -> dict[str, Any]:
    """The JSON shape of ``r1 cp score --json``."""
    return {
        "score": result.score,
        "max_score": result.max_score,
        "subtasks": [
            {"name": s.name, "points": s.points, "score": s.score, "weighted_score": s.weighted_score}
            for s in result.subtasks
        ],
        "tests": [
            {
                "name": t.name,
                "verdict": t.verdict.value,
                "score": t.score,
                "time_s": t.time_s,
                "memory_bytes": t.memory_bytes,
                "message": t.message,
            }
            for t in result.tests
        ],
        "compile": result.compile,
        "system_errors": result.system_errors,
    }


def _language(solution: Path, language: str | None) -> str:
    if language is not None:
        if language not in ("cpp", "python"):
            raise ConfigError(f"unknown --language {language!r}", "use cpp or python")
        return language
    guessed = _EXTENSIONS.get(solution.suffix)
    if guessed is None:
        raise ConfigError(
            f"cannot tell the language of {str(solution)!r} from its extension",
            "pass --language cpp or --language python",
        )
    return guessed


def _print_table(result: ScoreResult) -> None:
    for t in result.tests:
        console.print(
            f"  {t.name:<16} {t.verdict.value:<4} {t.time_s:6.3f}s {t.memory_bytes / 2**20:7.1f} MB"
            f"  {t.message.splitlines()[0][:60] if t.message else ''}",
            markup=False,
        )
    if result.compile.get("verdict") == "CE":
        console.print("compile error:\n" + str(result.compile.get("output", ""))[:2000], markup=False)
    for s in result.subtasks:
        console.print(f"subtask {s.name}: {s.weighted_score:g} / {s.points:g}", markup=False)
    console.print(f"score: {result.score:g} / {result.max_score:g}", markup=False)


def register(cli: typer.Typer) -> None:
    grp = command_group(
        cli, "cp", help="Competitive programming: judge solutions on IOI/Codeforces/USACO problems."
    )

    @grp.command("score")
    def score(
        problem: Path = typer.Option(..., "--problem", help="problem directory (problem.yaml, tests/)"),
        solution: Path = typer.Option(..., "--solution", help="source file to judge"),
        language: str | None = typer.Option(
            None, "--language", help="cpp or python (default: from extension)"
        ),
        sandbox: str = typer.Option("local", "--sandbox", help="sandbox provider"),
        no_skip: bool = typer.Option(False, "--no-skip", help="ioi: run every test even after a zero"),
        scoring_mode: str | None = typer.Option(
            None, "--scoring-mode", help="codeforces: pass_fail, partial or weighted_sum"
        ),
        as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    ) -> None:
        """Judge SOLUTION on the problem directory and print its score."""
        from r1_core.api import get_sandbox

        from r1_cp.problem import load_problem
        from r1_cp.submission import score_submission

        loaded = load_problem(problem)
        if not solution.is_file():
            raise ConfigError(f"solution file {str(solution)!r} does not exist", "check --solution")
        lang = _language(solution, language)
        options: dict[str, Any] = {}
        if no_skip and loaded.scorer == "ioi":
            options["skip_after_zero"] = False
        if scoring_mode is not None and loaded.scorer == "codeforces":
            options["scoring_mode"] = scoring_mode
        box = get_sandbox(sandbox)
        try:
            result = score_submission(loaded, solution.read_text(encoding="utf-8"), lang, box, **options)
        finally:
            box.close()
        if as_json:
            print_json(result_dict(result))
        else:
            _print_table(result)

    @grp.command("list")
    def list_problems(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
        """The sample problems bundled with r1-cp."""
        from r1_cp.dataset import bundled_problems
        from r1_cp.problem import load_problem

        rows = []
        for d in bundled_problems():
            p = load_problem(d)
            rows.append({"name": p.name, "scorer": p.scorer, "tests": len(p.tests), "path": str(d)})
        if as_json:
            print_json(rows)
        else:
            for r in rows:
                console.print(
                    f"{r['name']:<12} {r['scorer']:<11} {r['tests']:>3} tests  {r['path']}", markup=False
                )
