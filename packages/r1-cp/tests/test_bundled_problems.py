"""Acceptance: every bundled reference solution scores exactly as its expected.yaml says (local sandbox)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from r1_cp import TestVerdict, load_problem, score_submission

PROBLEMS = Path(__file__).resolve().parents[1] / "src" / "r1_cp" / "problems"
CASES = [
    (d.name, name, float(score))
    for d in sorted(p.parent for p in PROBLEMS.glob("*/problem.yaml"))
    for name, score in yaml.safe_load((d / "solutions" / "expected.yaml").read_text()).items()
]


def _score(problem: str, solution: str, sandbox, **options):
    source = (PROBLEMS / problem / "solutions" / solution).read_text()
    language = "python" if solution.endswith(".py") else "cpp"
    return score_submission(load_problem(PROBLEMS / problem), source, language, sandbox, **options)


def test_every_problem_has_the_required_kinds_of_reference_solutions() -> None:
    names = {n for _, n, _ in CASES}
    assert {"full.cpp", "compile_error.cpp", "recursive_tle.cpp", "naive_tle.cpp", "fibonacci_wa.cpp",
            "stdio_wrong.cpp", "wrong.cpp"} <= names
    assert len({p for p, _, _ in CASES}) == 6


@pytest.mark.slow
@pytest.mark.parametrize(("problem", "solution", "expected"), CASES, ids=[f"{p}/{s}" for p, s, _ in CASES])
def test_reference_solution_scores_exactly(local_sandbox, problem, solution, expected) -> None:
    result = _score(problem, solution, local_sandbox)
    verdicts = {t.name: t.verdict.value for t in result.tests}
    assert result.score == pytest.approx(expected, abs=1e-9), verdicts
    assert result.system_errors == 0, verdicts
    if solution.startswith("full"):
        assert all(t.verdict == TestVerdict.AC and t.memory_bytes > 0 for t in result.tests)
    if "tle" in solution:
        assert TestVerdict.TLE in {t.verdict for t in result.tests}
    if "mle" in solution:
        assert TestVerdict.MLE in {t.verdict for t in result.tests}
    if solution == "compile_error.cpp":
        assert result.compile["verdict"] == "CE" and "ways" in result.compile["output"]


@pytest.mark.slow
def test_partial_modes_and_no_skip_on_real_runs(local_sandbox) -> None:
    partial = _score("gcd", "minimum_wa.cpp", local_sandbox, scoring_mode="partial")
    assert partial.score == pytest.approx(2 / 6)
    weighted = _score("twosum", "always_none.cpp", local_sandbox, scoring_mode="weighted_sum")
    assert weighted.score == pytest.approx(0.1 * 2 / 6) and weighted.max_score == pytest.approx(1.1)
    everything = _score("stairs", "wrong.cpp", local_sandbox, skip_after_zero=False)
    assert everything.score == 0 and len(everything.tests) == 9
    assert {t.verdict for t in everything.tests} == {TestVerdict.WA}


@pytest.mark.slow
def test_old_python_idiom_needs_patching(local_sandbox) -> None:
    unpatched = _score("gcd", "old_idiom.py", local_sandbox, patch_code=False)
    assert unpatched.score == 0 and {t.verdict for t in unpatched.tests} == {TestVerdict.RE}


@pytest.mark.slow
def test_ioi_header_is_added_when_the_solution_forgets_it(local_sandbox) -> None:
    source = (PROBLEMS / "stairs" / "solutions" / "full.cpp").read_text().replace('#include "stairs.h"', "")
    problem = load_problem(PROBLEMS / "stairs")
    assert score_submission(problem, source, "cpp", local_sandbox).score == 100
    unpatched = score_submission(problem, source, "cpp", local_sandbox, patch_code=False)
    assert unpatched.compile["verdict"] == "CE"


@pytest.mark.slow
def test_a_failing_checker_is_a_system_error_not_a_wrong_answer(local_sandbox, tmp_path) -> None:
    import shutil

    directory = Path(shutil.copytree(PROBLEMS / "twosum", tmp_path / "twosum"))
    (directory / "checker.cpp").write_text("int main() { return 7; }\n")
    source = (directory / "solutions" / "full.cpp").read_text()
    result = score_submission(load_problem(directory), source, "cpp", local_sandbox, scoring_mode="partial")
    assert {t.verdict for t in result.tests} == {TestVerdict.SE} and result.system_errors == 6
    assert "checker failed" in result.tests[0].message
