"""Converters between problems and dataset rows (open-r1's IOI and Codeforces columns; USACO alike).

IOI (``open-r1/ioi``): one row per subtask — ``id``, ``subtask``, ``score``, ``score_precision``,
``test_names``, ``test_cases`` ({name: [input, output]}, or a list aligned with ``test_names``;
r1 writes a list of {input, output}; absent on the Hub's rows, whose ``year`` then says where in
``open-r1/ioi-test-cases`` they are), ``grader_files`` ([[path, text]]),
``time_limit``, ``memory_limit``, ``problem`` (the statement). r1 adds an optional ``subtasks``
column ([{name, points, test_names}]) so that one row can carry a whole problem.

Codeforces (``open-r1/codeforces``): ``id``, ``title``, ``description``, ``official_tests``
([{input, output}]), ``generated_checker`` (Python or null), ``time_limit``, ``memory_limit``,
``input_mode``, ``language``. USACO rows use the same columns as Codeforces plus ``file_name``.
r1 adds optional ``test_names`` and ``checker`` ({language, source, args}) columns so that any
problem survives a round trip.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any, Literal

from pydantic import ValidationError

from r1_cp.errors import ProblemError
from r1_cp.judge import PYTHON_GRADER
from r1_cp.problem import CHECKER_LANGUAGES, Checker, Problem, Subtask, TestCase, describe_validation_error
from r1_cp.testcase_store import IOI_TESTS_DATASET, codeforces_generated_tests, ioi_tests_for_year

__all__ = ["Kind", "problem_from_row", "problem_to_row", "problem_to_rows"]

Kind = Literal["ioi", "codeforces", "usaco"]
# CMS checkers (IOI) and open-r1's Codeforces checkers take the expected output second
CMS_CHECKER_ARGS = ["input", "expected", "output"]


def _need(row: Mapping[str, Any], column: str, kind: str) -> Any:
    if column not in row or row[column] is None:
        raise ProblemError(
            f"{kind} row is missing column {column!r} (has: {', '.join(sorted(row))})",
            "pass a row with the open-r1 columns (see docs/problems.md)",
        )
    return row[column]


def _pair(value: Any) -> tuple[str, str]:
    if isinstance(value, Mapping):
        return str(value.get("input", "")), str(value.get("output", ""))
    inp, out = value
    return str(inp), str(out)


def _ioi_tests(row: Mapping[str, Any], names: list[str]) -> list[TestCase]:
    cases = row.get("test_cases")
    if not cases and row.get("year") not in (None, ""):  # an open-r1/ioi row: tests live on the Hub
        store = ioi_tests_for_year(str(row["year"]))
        cases = store.get(str(row.get("id")))
        if not cases:
            raise ProblemError(
                f"IOI row {row.get('id')!r}: {IOI_TESTS_DATASET} has no tests for it in {row['year']}",
                "check the row's id and year, or add test_cases to the row",
            )
    if not cases:
        raise ProblemError(
            f"IOI row {row.get('id')!r} has no test_cases",
            "open-r1 keeps them in the Hub dataset open-r1/ioi-test-cases (rows with a year load them "
            "from there); or add them to the row as {name: [input, output]}",
        )
    if isinstance(cases, Mapping):
        missing = [n for n in names if n not in cases]
        if missing:
            raise ProblemError(
                f"IOI row {row.get('id')!r}: test_cases lacks {missing[:3]}",
                "every name in test_names needs a case",
            )
        return [TestCase(name=n, input=_pair(cases[n])[0], output=_pair(cases[n])[1]) for n in names]
    cases = list(cases)
    if len(cases) != len(names):
        raise ProblemError(
            f"IOI row {row.get('id')!r}: {len(cases)} test_cases for {len(names)} test_names",
            "give one case per test name",
        )
    return [
        TestCase(name=n, input=_pair(c)[0], output=_pair(c)[1]) for n, c in zip(names, cases, strict=True)
    ]


def _grader_entries(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        return [(str(k), str(v)) for k, v in value.items()]
    out = []
    for item in value or []:
        if isinstance(item, Mapping):
            out.append((str(item.get("name") or item.get("path")), str(item.get("content", ""))))
        else:
            out.append((str(item[0]), str(item[1])))
    return out


def _ioi_files(row: Mapping[str, Any]) -> tuple[dict[str, str], Checker | None]:
    graders: dict[str, str] = {}
    # open-r1 writes the submission over graders/<id>.cpp, so a stub of that name is not a grader
    solution_slot = f"{str(row.get('id', '')).lower()}.cpp"
    checker = None
    args = list(row.get("checker_args") or CMS_CHECKER_ARGS)
    for path, content in _grader_entries(row.get("grader_files")):
        base = PurePosixPath(path).name
        if not content or base.lower() == solution_slot:
            continue
        if base.startswith("manager."):
            raise ProblemError(
                f"IOI row {row.get('id')!r} is a communication task (it has {path})",
                "only batch tasks are supported; filter these rows out",
            )
        if PurePosixPath(path).parts[0] == "checker" and PurePosixPath(path).suffix in CHECKER_LANGUAGES:
            checker = Checker(
                language=CHECKER_LANGUAGES[PurePosixPath(path).suffix],  # type: ignore[arg-type]
                source=content,
                filename=base,
                args=args,
            )
        elif base.endswith((".cpp", ".cc", ".h", ".hpp")) or base == PYTHON_GRADER:
            graders[base] = content
    return graders, checker


def _ioi_from_row(row: Mapping[str, Any]) -> Problem:
    problem_id = str(_need(row, "id", "ioi"))
    if row.get("subtasks"):
        subtasks = [
            Subtask(
                name=str(s["name"]),
                points=float(s["points"]),
                tests=list(s.get("test_names") or s.get("tests") or []),
            )
            for s in row["subtasks"]
        ]
    else:
        subtasks = [
            Subtask(
                name=str(row.get("subtask") or "all"),
                points=float(_need(row, "score", "ioi")),
                tests=list(_need(row, "test_names", "ioi")),
            )
        ]
    names = list(dict.fromkeys(n for s in subtasks for n in s.tests))
    graders, checker = _ioi_files(row)
    return Problem(
        name=problem_id,
        scorer="ioi",
        title=row.get("title"),
        statement=str(row.get("problem") or ""),
        time_limit=float(_need(row, "time_limit", "ioi")),
        memory_limit=int(_need(row, "memory_limit", "ioi")),
        tests=_ioi_tests(row, names),
        subtasks=subtasks,
        checker=checker,
        grader_files=graders,
        score_precision=int(row.get("score_precision") or 2),
    )


def _row_checker(row: Mapping[str, Any]) -> Checker | None:
    if row.get("checker"):
        return Checker.model_validate(row["checker"])
    if row.get("generated_checker"):
        return Checker(
            language="python",
            source=str(row["generated_checker"]),
            filename="checker.py",
            args=list(row.get("checker_args") or CMS_CHECKER_ARGS),
        )  # type: ignore[arg-type]
    return None


def _stdio_from_row(row: Mapping[str, Any], kind: Kind) -> Problem:
    problem_id = str(_need(row, "id", kind))
    tests_raw = list(_need(row, "official_tests", kind))
    names = list(row.get("test_names") or [f"{i + 1:02d}" for i in range(len(tests_raw))])
    if len(names) != len(tests_raw):
        raise ProblemError(
            f"{kind} row {problem_id!r}: {len(tests_raw)} tests but {len(names)} test_names",
            "give one name per test",
        )
    tests = [
        TestCase(name=n, input=_pair(t)[0], output=_pair(t)[1]) for n, t in zip(names, tests_raw, strict=True)
    ]
    if kind == "codeforces":  # open-r1 judges on the official plus the generated tests
        taken = set(names)
        for i, (given, expected) in enumerate(codeforces_generated_tests(problem_id), 1):
            name = f"gen-{i:03d}"
            if name not in taken:
                tests.append(TestCase(name=name, input=given, output=expected))
    mode = row.get("input_mode") or "stdio"
    io = "file" if mode == "file" else "stdio"
    return Problem(
        name=problem_id.replace("/", "-"),
        scorer=kind,
        title=row.get("title"),
        statement=str(row.get("description") or row.get("problem") or ""),
        time_limit=float(row.get("time_limit") or 1.0),
        memory_limit=int(row.get("memory_limit") or 256),
        io=io,
        file_name=row.get("file_name"),
        tests=tests,
        checker=_row_checker(row),
        scoring_mode=row.get("scoring_mode") or "pass_fail",
    )


def problem_from_row(row: Mapping[str, Any], kind: Kind) -> Problem:
    """Build a :class:`Problem` from an open-r1 IOI / Codeforces row (or an r1 USACO row)."""
    if kind not in ("ioi", "codeforces", "usaco"):
        raise ProblemError(f"unknown problem kind {kind!r}", "use ioi, codeforces or usaco")
    try:
        return _ioi_from_row(row) if kind == "ioi" else _stdio_from_row(row, kind)
    except ValidationError as exc:
        raise ProblemError(
            f"{kind} row {row.get('id')!r}: {describe_validation_error(exc)}",
            "fix the row's columns (see docs/problems.md)",
        ) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ProblemError(
            f"{kind} row {row.get('id')!r} is malformed: {exc}", "see docs/problems.md for the columns"
        ) from None


def _ioi_row(problem: Problem, subtasks: Iterable[Subtask], label: str, points: float) -> dict[str, Any]:
    subs = list(subtasks)
    names = list(dict.fromkeys(n for s in subs for n in problem.expand(s)))
    files: list[list[str]] = [[f"graders/{p}", text] for p, text in problem.grader_files.items()]
    if problem.checker is not None:
        files.append([f"checker/{problem.checker.filename}", problem.checker.source])
    return {
        "id": problem.name,
        "title": problem.title or problem.name,
        "subtask": label,
        "score": points,
        "score_precision": problem.score_precision,
        "test_names": names,
        # aligned with test_names (open-r1 accepts this form): one Arrow type for every row
        "test_cases": [{"input": problem.test(n).input, "output": problem.test(n).output} for n in names],
        "grader_files": files,
        "time_limit": problem.time_limit,
        "memory_limit": problem.memory_limit,
        "problem": problem.statement,
        "subtasks": [{"name": s.name, "points": s.points, "test_names": problem.expand(s)} for s in subs],
        "checker_args": problem.checker.args if problem.checker else None,
    }


def problem_to_row(problem: Problem) -> dict[str, Any]:
    """One row holding the whole problem (for IOI, every subtask in the ``subtasks`` column)."""
    if problem.scorer == "ioi":
        subs = problem.effective_subtasks()
        label = subs[0].name if len(subs) == 1 else "all"
        return _ioi_row(problem, subs, label, sum(s.points for s in subs))
    checker = problem.checker
    return {
        "id": problem.name,
        "title": problem.title or problem.name,
        "description": problem.statement,
        "official_tests": [{"input": t.input, "output": t.output} for t in problem.tests],
        "test_names": [t.name for t in problem.tests],
        "generated_checker": checker.source if checker and checker.language == "python" else None,
        "checker": checker.model_dump() if checker else None,
        "time_limit": problem.time_limit,
        "memory_limit": problem.memory_limit,
        "input_mode": problem.io,
        "file_name": problem.file_name if problem.io == "file" else None,
        "language": "cpp",
        "scoring_mode": problem.scoring_mode,
    }


def problem_to_rows(problem: Problem) -> list[dict[str, Any]]:
    """open-r1's IOI layout — one row per subtask — or ``[problem_to_row(problem)]`` otherwise."""
    if problem.scorer != "ioi":
        return [problem_to_row(problem)]
    return [_ioi_row(problem, [s], s.name, s.points) for s in problem.effective_subtasks()]
