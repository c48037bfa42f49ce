"""The problem model and its on-disk layout (docs/problems.md).

A problem is a directory::

    DIR/problem.yaml       name, scorer, time_limit, memory_limit, checker, grader, io, subtasks ...
    DIR/statement.md       optional statement (the prompt of training and benchmark rows)
    DIR/tests/<t>.in       test inputs, each with DIR/tests/<t>.out

Problems also come from dataset rows (:mod:`r1_cp.rows`); then ``root`` is ``None`` and every
file lives in memory.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from r1_core.config_parsing import validation_message

from r1_cp.errors import ProblemError

__all__ = ["CHECKER_LANGUAGES", "SCORERS", "Checker", "Problem", "Subtask", "TestCase", "load_problem"]

SCORERS = ("ioi", "codeforces", "usaco")
CHECKER_LANGUAGES = {".py": "python", ".cpp": "cpp", ".cc": "cpp"}
CheckerArg = Literal["input", "output", "expected"]


class TestCase(BaseModel):
    """One test: its name, input and expected output."""

    __test__ = False  # not a pytest class

    name: str
    input: str
    output: str


class Subtask(BaseModel):
    """A group of tests worth ``points``; ``tests`` are names or globs (``"small-*"``)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    points: float = Field(ge=0)
    tests: list[str]


class Checker(BaseModel):
    """A program that judges one output: ``checker <args>`` with files named by ``args``."""

    language: Literal["python", "cpp"]
    source: str
    filename: str = "checker"
    args: list[CheckerArg] = Field(
        default_factory=lambda: ["input", "output", "expected"],
        description="argument order; testlib's is input output expected",
    )


class ProblemSpec(BaseModel):
    """What ``problem.yaml`` may hold (unknown keys are an error, so typos are caught)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    scorer: str
    time_limit: float = Field(1.0, gt=0, description="CPU seconds per test")
    memory_limit: int = Field(256, gt=0, description="MB per test")
    checker: str | None = Field(None, description="checker file in DIR (.py or .cpp)")
    checker_args: list[CheckerArg] = Field(default_factory=lambda: ["input", "output", "expected"])
    grader: list[str] = Field(default_factory=list, description="files compiled with the solution")
    io: Literal["stdio", "file"] = "stdio"
    file_name: str | None = Field(None, description="base of <file_name>.in/.out when io: file")
    subtasks: list[Subtask] = Field(default_factory=list)
    scoring_mode: Literal["pass_fail", "partial", "weighted_sum"] = "pass_fail"
    score_precision: int = Field(2, ge=0)
    title: str | None = None


class Problem(BaseModel):
    """A loaded problem: the spec plus statement, tests, checker and grader files in memory."""

    name: str
    scorer: str
    title: str | None = None
    statement: str = ""
    time_limit: float = Field(1.0, gt=0)
    memory_limit: int = Field(256, gt=0)
    io: Literal["stdio", "file"] = "stdio"
    file_name: str | None = None
    tests: list[TestCase]
    subtasks: list[Subtask] = Field(default_factory=list)
    checker: Checker | None = None
    grader_files: dict[str, str] = Field(default_factory=dict, description="relative path -> text")
    scoring_mode: Literal["pass_fail", "partial", "weighted_sum"] = "pass_fail"
    score_precision: int = 2
    root: Path | None = None

    @field_validator("scorer")
    @classmethod
    def _known_scorer(cls, v: str) -> str:
        if v not in SCORERS:
            raise ValueError(f"unknown scorer {v!r}; use one of {', '.join(SCORERS)}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Problem:
        if not self.tests:
            raise ValueError("the problem has no tests")
        names = [t.name for t in self.tests]
        if len(set(names)) != len(names):
            raise ValueError("test names must be unique")
        if self.io == "file" and not self.file_name:
            self.file_name = self.name
        for sub in self.subtasks:
            self.expand(sub)
        return self

    def expand(self, subtask: Subtask) -> list[str]:
        """The test names of ``subtask`` (globs expanded, in test order, no duplicates)."""
        names = [t.name for t in self.tests]
        picked: list[str] = []
        for pattern in subtask.tests:
            hits = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
            if not hits:
                raise ValueError(f"subtask {subtask.name!r}: no test matches {pattern!r}")
            picked.extend(h for h in hits if h not in picked)
        order = {n: i for i, n in enumerate(names)}
        return sorted(picked, key=order.__getitem__)

    def effective_subtasks(self) -> list[Subtask]:
        """The declared subtasks, or one subtask holding every test (worth 100 points)."""
        return self.subtasks or [Subtask(name="all", points=100, tests=[t.name for t in self.tests])]

    def test(self, name: str) -> TestCase:
        for t in self.tests:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def headers(self) -> list[str]:
        return [p for p in self.grader_files if p.endswith((".h", ".hpp"))]


def describe_validation_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(x) for x in err["loc"])
    return f"{where}: {err['msg']}" if where else str(err["msg"]).removeprefix("Value error, ")


def _fail(directory: Path, what: str, hint: str) -> ProblemError:
    return ProblemError(f"problem {str(directory)!r}: {what}", hint)


def _read_spec(directory: Path) -> ProblemSpec:
    path = directory / "problem.yaml"
    if not directory.is_dir():
        raise ProblemError(f"problem directory {str(directory)!r} does not exist", "check --problem")
    if not path.is_file():
        raise _fail(directory, "has no problem.yaml", "add one (see docs/problems.md)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise _fail(
            directory, f"problem.yaml is not valid YAML: {getattr(exc, 'problem', exc)}", "fix the syntax"
        ) from None
    if not isinstance(data, dict):
        raise _fail(directory, "problem.yaml must be a mapping", "see docs/problems.md")
    if "scorer" in data and data["scorer"] not in SCORERS:
        raise _fail(
            directory,
            f"unknown scorer {data['scorer']!r} in problem.yaml",
            f"use one of: {', '.join(SCORERS)}",
        )
    try:
        return ProblemSpec.model_validate(data)
    except ValidationError as exc:
        raise _fail(
            directory, validation_message(exc, ProblemSpec, "problem.yaml"), "see docs/problems.md"
        ) from None


def _read_tests(directory: Path) -> list[TestCase]:
    tests_dir = directory / "tests"
    inputs = sorted(tests_dir.glob("*.in")) if tests_dir.is_dir() else []
    if not inputs:
        raise _fail(directory, "has no tests (tests/<name>.in)", "add tests/<name>.in and tests/<name>.out")
    tests = []
    for inp in inputs:
        out = inp.with_suffix(".out")
        if not out.is_file():
            raise _fail(
                directory,
                f"test {inp.stem!r} has no expected output tests/{out.name}",
                "add the .out file or remove the .in file",
            )
        tests.append(
            TestCase(
                name=inp.stem, input=inp.read_text(encoding="utf-8"), output=out.read_text(encoding="utf-8")
            )
        )
    return tests


def _read_file(directory: Path, rel: str, role: str) -> str:
    path = directory / rel
    if not path.is_file():
        raise _fail(
            directory,
            f"{role} file {rel!r} named in problem.yaml does not exist",
            f"add {rel} or remove it from problem.yaml",
        )
    return path.read_text(encoding="utf-8")


def _read_checker(directory: Path, spec: ProblemSpec) -> Checker | None:
    if spec.checker is None:
        return None
    language = CHECKER_LANGUAGES.get(Path(spec.checker).suffix)
    if language is None:
        raise _fail(directory, f"checker {spec.checker!r} must be a .py or .cpp file", "rename it")
    source = _read_file(directory, spec.checker, "checker")
    return Checker(
        language=language,
        source=source,
        filename=Path(spec.checker).name,  # type: ignore[arg-type]
        args=spec.checker_args,
    )


def load_problem(path: str | Path) -> Problem:
    """Load the problem directory ``path``; every defect is a one-line :class:`ProblemError`."""
    directory = Path(path)
    spec = _read_spec(directory)
    statement_path = directory / "statement.md"
    fields: dict[str, Any] = spec.model_dump(exclude={"checker", "checker_args", "grader"})
    fields.update(
        statement=statement_path.read_text(encoding="utf-8") if statement_path.is_file() else "",
        tests=_read_tests(directory),
        checker=_read_checker(directory, spec),
        grader_files={Path(rel).name: _read_file(directory, rel, "grader") for rel in spec.grader},
        root=directory.resolve(),
    )
    try:
        return Problem.model_validate(fields)
    except ValidationError as exc:
        raise _fail(directory, describe_validation_error(exc), "see docs/problems.md") from None
