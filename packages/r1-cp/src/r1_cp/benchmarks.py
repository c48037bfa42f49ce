"""CP benchmarks over the bundled problems: ``ioi``, ``codeforces`` and ``usaco``."""

from __future__ import annotations

from typing import Any

from r1_core.api import get_sandbox
from r1_core.errors import ConfigError
from r1_core.protocols import Sandbox

from r1_cp.dataset import dataset_rows
from r1_cp.errors import ProblemError
from r1_cp.rows import problem_from_row
from r1_cp.submission import extract_code, score_submission

__all__ = ["CPBenchmark"]


class CPBenchmark:
    """Rows = the bundled problems of one scorer; a completion scores its fraction of the max score.

    Args:
        kind: ``ioi``, ``codeforces`` or ``usaco``.
        sandbox: provider name used to run submissions (``local`` by default).
        problems: ``samples`` (the bundled sample problems) or, for ``ioi``, ``warmup`` (the held-out
            warm-up problems: Python functions no default run trains on; ``r1 eval ioi -o problems=warmup``).
    """

    def __init__(self, kind: str, sandbox: str = "local", problems: str = "samples") -> None:
        if problems not in ("samples", "warmup") or (problems == "warmup" and kind != "ioi"):
            raise ConfigError(f"{kind} benchmark: unknown problems={problems!r}",
                              "use problems=samples" + (" or problems=warmup" if kind == "ioi" else ""))
        self.kind = kind
        self.name = kind
        self.sandbox_name = sandbox
        self.problems = problems
        self._sandbox: Sandbox | None = None

    def load(self, *, limit: int | None = None, offline: bool | None = None) -> list[dict[str, Any]]:
        """The bundled rows (there is no Hub source for these sample problems, so ``offline`` is moot)."""
        del offline
        rows = dataset_rows("ioi-held-out" if self.problems == "warmup" else self.kind)
        return rows[:limit] if limit is not None else rows

    def prompt(self, row: dict[str, Any]) -> str:
        return str(row["prompt"])

    def score(self, row: dict[str, Any], completions: list[str]) -> list[float]:
        """Fraction of the maximum score of each completion's last fenced code block (none → 0)."""
        return [d["score"] for d in self.score_details(row, completions)]

    def score_details(self, row: dict[str, Any], completions: list[str]) -> list[dict[str, Any]]:
        """Per completion: ``score`` (fraction), ``points``, ``max_score``, ``verdicts``, SE count."""
        problem = problem_from_row(row, self.kind)  # type: ignore[arg-type]
        if self._sandbox is None:
            self._sandbox = get_sandbox(self.sandbox_name)
        details: list[dict[str, Any]] = []
        for completion in completions:
            code, language = extract_code(completion)
            if not code.strip():
                details.append(
                    {
                        "score": 0.0,
                        "points": 0.0,
                        "max_score": None,
                        "verdicts": {},
                        "system_errors": 0,
                        "note": "no fenced code block",
                    }
                )
                continue
            try:
                result = score_submission(problem, code, language, self._sandbox)
            except ProblemError as exc:  # e.g. Python for a C++ grader: the answer's fault, scores 0
                details.append({"score": 0.0, "points": 0.0, "max_score": None, "verdicts": {},
                                "system_errors": 0, "note": exc.message})
                continue
            details.append(
                {
                    "score": result.fraction,
                    "points": result.score,
                    "max_score": result.max_score,
                    "verdicts": {t.name: t.verdict.value for t in result.tests},
                    "system_errors": result.system_errors,
                }
            )
        return details

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None


def ioi_benchmark(**config: Any) -> CPBenchmark:
    return CPBenchmark("ioi", **config)


def codeforces_benchmark(**config: Any) -> CPBenchmark:
    return CPBenchmark("codeforces", **config)


def usaco_benchmark(**config: Any) -> CPBenchmark:
    return CPBenchmark("usaco", **config)
