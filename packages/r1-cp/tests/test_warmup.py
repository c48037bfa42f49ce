"""The IOI-style warm-up problems: Python graders, easy subtasks worth partial points, disjoint sets."""

from __future__ import annotations

import pytest
import yaml
from r1_cp import WARMUP, ProblemError, dataset_rows, load_problem, score_submission, warmup_problems
from r1_cp.dataset import WARMUP_SETS

CASES = [
    (d, name, float(score))
    for s in WARMUP_SETS
    for d in warmup_problems(s)
    for name, score in yaml.safe_load((d / "solutions" / "expected.yaml").read_text()).items()
]


def test_the_three_sets_are_disjoint_and_the_benchmark_problems_are_in_none() -> None:
    names = {s: {d.name for d in warmup_problems(s)} for s in WARMUP_SETS}
    train, cold, held = names["ioi-warmup"], names["ioi-cold-start"], names["ioi-held-out"]
    assert len(train) >= 10 and len(cold) >= 6 and len(held) >= 4
    assert not (train & cold) and not (train & held) and not (cold & held)
    assert not (train | cold | held) & {"stairs", "balance"}
    with pytest.raises(ProblemError, match="unknown warm-up set"):
        warmup_problems("ioi-test")


def test_rows_state_the_signature_and_ask_for_one_python_block() -> None:
    rows = dataset_rows(WARMUP)
    assert {r["language"] for r in rows} == {"python"} and {r["kind"] for r in rows} == {"ioi"}
    for row in rows:
        problem = load_problem(next(d for d in warmup_problems() if d.name == row["id"]))
        assert f"def {problem.name}(" in row["prompt"] and "```python" in row["prompt"]
        assert row["reference_solution"].startswith("```python\n")
        subtasks = problem.effective_subtasks()
        assert len(subtasks) >= 2 and subtasks[0].points < 100  # an easy subtask worth partial points
    assert all(r["language"] == "cpp" for r in dataset_rows("ioi"))


def test_a_cpp_answer_to_a_python_grader_is_a_one_line_error(local_sandbox) -> None:
    problem = load_problem(warmup_problems()[0])
    with pytest.raises(ProblemError, match="Python grader"):
        score_submission(problem, "int main() {}", "cpp", local_sandbox)


@pytest.mark.slow
@pytest.mark.parametrize(("directory", "solution", "expected"), CASES,
                         ids=[f"{d.parent.name}/{d.name}/{s}" for d, s, _ in CASES])
def test_reference_solution_scores_exactly(local_sandbox, directory, solution, expected) -> None:
    source = (directory / "solutions" / solution).read_text()
    result = score_submission(load_problem(directory), source, "python", local_sandbox)
    assert result.score == pytest.approx(expected), {t.name: t.verdict.value for t in result.tests}
    assert result.system_errors == 0


@pytest.mark.slow
def test_example_calls_and_input_reads_at_the_bottom_do_not_break_the_grader(local_sandbox) -> None:
    directory = next(d for d in warmup_problems() if d.name == "maximum")
    source = ("def maximum(values):\n    return max(values)\n\nprint(maximum([1, 5]))\n"
              "values = list(map(int, input().split()))\nprint(maximum(values))\n")
    assert score_submission(load_problem(directory), source, "python", local_sandbox).score == 100
    misnamed = "def largest(values):\n    return max(values)\n"
    assert score_submission(load_problem(directory), misnamed, "python", local_sandbox).score == 0


@pytest.mark.slow
def test_a_training_row_keeps_its_python_grader(local_sandbox) -> None:
    """Regression: rows dropped grader.py (only C++ graders survived), so every answer scored 0."""
    from r1_cp import problem_from_row

    row = dataset_rows(WARMUP)[0]
    problem = problem_from_row(row, "ioi")
    assert "grader.py" in problem.grader_files
    source = row["reference_solution"].removeprefix("```python\n").removesuffix("```")
    result = score_submission(problem, source, "python", local_sandbox)
    assert result.score == result.max_score == row["score"]


def test_the_ioi_benchmark_evaluates_the_held_out_warmup_problems_on_request() -> None:
    from r1_core import ConfigError
    from r1_cp.benchmarks import CPBenchmark

    held = {d.name for d in warmup_problems("ioi-held-out")}
    assert {r["id"] for r in CPBenchmark("ioi", problems="warmup").load()} == held
    assert {r["id"] for r in CPBenchmark("ioi").load()} == {"stairs", "balance"}
    with pytest.raises(ConfigError, match="problems"):
        CPBenchmark("codeforces", problems="warmup")


@pytest.mark.slow
def test_an_answer_in_the_wrong_language_scores_0_instead_of_failing_the_eval() -> None:
    from r1_cp.benchmarks import CPBenchmark

    bench = CPBenchmark("ioi")
    stairs = next(r for r in bench.load() if r["id"] == "stairs")
    try:
        [detail] = bench.score_details(stairs, ["```python\ndef count_ways(n, steps):\n    return 1\n```"])
    finally:
        bench.close()
    assert detail["score"] == 0 and "C++ grader" in detail["note"]
