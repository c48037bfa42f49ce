"""Running a submission's tests in a sandbox: one batch per call, each test at most once.

The first test of a submission runs alone so that the sandbox compiles the program once (its
compile cache then serves every parallel request of the batch); a compile error ends judging
with every test ``CE``. Outputs are judged by token comparison or by the problem's checker,
whose runs form one more batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from r1_core.errors import ConfigError
from r1_core.protocols import ExecRequest, ExecResult, Sandbox, Verdict

from r1_cp.checking import Judgement, checker_request, compare_tokens, interpret_checker
from r1_cp.errors import ProblemError
from r1_cp.patching import patch_code
from r1_cp.problem import Problem
from r1_cp.results import TestResult, TestVerdict

__all__ = ["LANGUAGES", "PYTHON_GRADER", "PYTHON_SOLUTION", "Judge"]

LANGUAGES = ("cpp", "python")
PYTHON_GRADER = "grader.py"  # a Python grader runs as the program and imports solution.py
PYTHON_SOLUTION = "solution.py"
COMPILED = frozenset({"cpp"})  # the first run of these compiles; the rest hit the compile cache


class Judge:
    """Judges one submission on one problem; results are cached by test name."""

    def __init__(
        self, problem: Problem, source: str, language: str, sandbox: Sandbox, *, patch: bool = True
    ) -> None:
        if language not in LANGUAGES:
            raise ConfigError(f"unsupported language {language!r}", f"use one of: {', '.join(LANGUAGES)}")
        has_grader = any(p.endswith((".cpp", ".cc")) for p in problem.grader_files)
        if has_grader and language != "cpp":
            raise ProblemError(
                f"problem {problem.name!r} has a C++ grader; a {language} solution cannot link with it",
                "submit C++ (--language cpp)",
            )
        if PYTHON_GRADER in problem.grader_files and language != "python":
            raise ProblemError(
                f"problem {problem.name!r} has a Python grader; a {language} solution cannot be called by it",
                "submit Python (--language python)",
            )
        self.problem = problem
        self.language = language
        self.sandbox = sandbox
        self.source = patch_code(source, language, problem.headers) if patch else source
        self.results: dict[str, TestResult] = {}
        self.compile: dict[str, Any] = {}
        self._compile_failed: Judgement | None = None
        if not source.strip():
            self._fail_compile("empty submission", TestVerdict.CE)

    @property
    def compile_failed(self) -> bool:
        return self._compile_failed is not None

    def run(self, names: Sequence[str]) -> list[TestResult]:
        """Judge the tests ``names`` (those already judged are not run again), in that order."""
        todo = [n for n in dict.fromkeys(names) if n not in self.results]
        if todo and not self.compile_failed:
            if not self.compile and self.language not in COMPILED:
                self.compile = {"verdict": "OK", "output": "", "time_s": 0.0, "cached": False}
            if not self.compile:
                first = self._execute(todo[:1])
                self._record_compile(first[0])
                todo_results = [] if self.compile_failed else first + self._execute(todo[1:])
            else:
                todo_results = self._execute(todo)
            if todo_results:
                self._judge(todo, todo_results)
        if self._compile_failed is not None:
            for name in todo:
                self.results.setdefault(name, self._ce_result(name))
        return [self.results[n] for n in names]

    # -- execution ------------------------------------------------------------------------------

    def request(self, name: str) -> ExecRequest:
        problem, test = self.problem, self.problem.test(name)
        source = self.source
        files = dict(problem.grader_files) if self.language == "cpp" else {}
        if self.language == "python" and PYTHON_GRADER in problem.grader_files:
            # function-style: the grader is the program and imports the submission as a module
            files = {p: t for p, t in problem.grader_files.items() if p != PYTHON_GRADER}
            files[PYTHON_SOLUTION], source = self.source, problem.grader_files[PYTHON_GRADER]
        stdin, read_files = test.input, []
        if problem.io == "file":
            files[f"{problem.file_name}.in"] = test.input
            stdin, read_files = "", [f"{problem.file_name}.out"]
        return ExecRequest(
            language=self.language,
            source=source,
            stdin=stdin,
            files=files,
            read_files=read_files,
            time_limit_s=problem.time_limit,
            # the judged limit is CPU time; the wall backstop is generous so that a busy host
            # (parallel tests, noisy neighbours) does not turn a correct program into a TLE
            wall_limit_s=3 * problem.time_limit + 5,
            memory_limit_mb=problem.memory_limit,
            id=name,
        )

    def _execute(self, names: Sequence[str]) -> list[ExecResult]:
        if not names:
            return []
        results = self.sandbox.run([self.request(n) for n in names])
        if len(results) != len(names):
            raise RuntimeError(
                f"sandbox {self.sandbox.name!r} returned {len(results)} results for {len(names)} requests"
            )
        return results

    def _record_compile(self, result: ExecResult) -> None:
        failed = result.verdict == Verdict.CE
        self.compile = {
            "verdict": "CE" if failed else "OK",
            "output": result.compile_output or (result.message if failed else ""),
            "time_s": result.compile_time_s,
            "cached": bool(result.details.get("cached_compile", False)),
        }
        if failed:
            self._compile_failed = Judgement(TestVerdict.CE, 0.0, "compilation failed (see compile output)")

    def _fail_compile(self, message: str, verdict: TestVerdict) -> None:
        self._compile_failed = Judgement(verdict, 0.0, message)
        self.compile = {"verdict": verdict.value, "output": message, "time_s": 0.0, "cached": False}

    def _ce_result(self, name: str) -> TestResult:
        assert self._compile_failed is not None
        return TestResult(
            name=name,
            verdict=self._compile_failed.verdict,
            score=0.0,
            message=self._compile_failed.message,
        )

    # -- judging outputs ------------------------------------------------------------------------

    def _output_of(self, result: ExecResult) -> str | None:
        if self.problem.io == "file":
            return result.files.get(f"{self.problem.file_name}.out")
        return result.stdout

    def _judge(self, names: Sequence[str], results: Sequence[ExecResult]) -> None:
        to_check: list[tuple[str, ExecResult, str]] = []
        for name, res in zip(names, results, strict=True):
            output = self._output_of(res) if res.verdict == Verdict.OK else None
            if res.verdict != Verdict.OK:
                judgement = Judgement(TestVerdict.of(res.verdict), 0.0, res.message or res.stderr[:300])
                self._store(name, res, judgement)
            elif output is None:
                self._store(
                    name,
                    res,
                    Judgement(TestVerdict.WA, 0.0, f"the program wrote no {self.problem.file_name}.out"),
                )
            elif self.problem.checker is None:
                self._store(name, res, compare_tokens(output, self.problem.test(name).output))
            else:
                to_check.append((name, res, output))
        if to_check:
            self._run_checker(to_check)

    def _run_checker(self, items: list[tuple[str, ExecResult, str]]) -> None:
        checker = self.problem.checker
        assert checker is not None
        requests = [
            checker_request(checker, self.problem.test(n).input, out, self.problem.test(n).output, tag=n)
            for n, _, out in items
        ]
        # a C++ checker's first run compiles it; the rest reuse the sandbox's compile cache
        split = 1 if checker.language in COMPILED else 0
        results = self.sandbox.run(requests[:split]) if split else []
        if len(requests) > split:
            results += self.sandbox.run(requests[split:])
        for (name, res, _), chk in zip(items, results, strict=True):
            self._store(name, res, interpret_checker(chk))

    def _store(self, name: str, res: ExecResult, judgement: Judgement) -> None:
        self.results[name] = TestResult(
            name=name,
            verdict=judgement.verdict,
            score=judgement.score,
            time_s=round(res.cpu_time_s, 4),
            memory_bytes=res.peak_memory_bytes,
            message=judgement.message,
        )
