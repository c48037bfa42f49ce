"""Scoring rules (aggregation, skipping, modes) on a scripted sandbox: no code runs."""

from __future__ import annotations

import json

import pytest
from r1_core import ConfigError, get_scorer
from r1_cp import Checker, Problem, ProblemError, Subtask, TestCase, TestVerdict, score_submission


def _problem(scorer: str = "ioi", n: int = 4, **fields) -> Problem:
    tests = [TestCase(name=f"t{i}", input=f"in{i}", output=f"out{i}") for i in range(1, n + 1)]
    return Problem(name="p", scorer=scorer, tests=tests, **fields)


def _src(**answers: str) -> str:
    """Script: input ``inK`` -> answer (an output or a verdict name)."""
    return json.dumps({k.replace("t", "in"): v for k, v in answers.items()})


IOI_SUBTASKS = [Subtask(name="a", points=30, tests=["t1", "t2"]), Subtask(name="b", points=70, tests=["t*"])]


def test_ioi_subtask_is_min_times_points_and_shared_tests_run_once(scripted) -> None:
    problem = _problem(subtasks=IOI_SUBTASKS)
    result = score_submission(problem, _src(t1="out1", t2="out2", t3="out3", t4="bad"), "cpp", scripted)
    assert [(s.name, s.score, s.weighted_score) for s in result.subtasks] == [
        ("a", 1.0, 30.0),
        ("b", 0.0, 0.0),
    ]
    assert result.score == 30 and result.max_score == 100
    ran = [r.stdin for r in scripted.requests]
    assert sorted(ran) == ["in1", "in2", "in3", "in4"], "each test runs once although b contains a's tests"
    assert len(scripted.batches[0]) == 1, "the first test runs alone so the program compiles once"


def test_ioi_skips_rest_of_subtask_after_a_zero_unless_disabled(scripted) -> None:
    problem = _problem(n=6, subtasks=[Subtask(name="all", points=100, tests=["*"])])
    src = _src(t1="out1", t2="WA", t3="out3", t4="out4", t5="out5", t6="out6")
    result = score_submission(problem, src, "python", scripted, test_batch_size=1)
    assert result.score == 0
    assert [t.name for t in result.tests] == ["t1", "t2"], "tests after the zero are skipped"
    full = score_submission(problem, src, "python", scripted.__class__(), skip_after_zero=False)
    assert [t.verdict for t in full.tests] == [TestVerdict.AC, TestVerdict.WA] + [TestVerdict.AC] * 4


@pytest.mark.parametrize("size", [0, -1])
def test_ioi_batch_size_below_one_runs_everything_at_once(scripted, size) -> None:
    # open-r1 ran *no* test for test_batch_size <= 0 (research D8); here it means one batch
    problem = _problem(n=5)
    src = _src(**{f"t{i}": f"out{i}" for i in range(1, 6)})
    result = score_submission(problem, src, "cpp", scripted, test_batch_size=size)
    assert result.score == 100 and len(result.tests) == 5
    assert [len(b) for b in scripted.batches] == [1, 4], "C++: one run compiles, then the rest at once"
    python = scripted.__class__()
    score_submission(problem, src, "python", python, test_batch_size=size)
    assert [len(b) for b in python.batches] == [5], "nothing to compile: one batch"


def test_ioi_partial_scores_from_checker_take_the_minimum(scripted) -> None:
    replies = {
        "x": {"exit": 0, "stdout": ""},
        "y": {"exit": 0, "stdout": "0.25\n"},
        "z": {"exit": 0, "stdout": "0.5"},
    }
    checker = Checker(language="python", source=json.dumps(replies))
    problem = _problem(n=3, checker=checker, subtasks=[Subtask(name="s", points=40, tests=["*"])])
    result = score_submission(problem, json.dumps({"in1": "x", "in2": "y", "in3": "z"}), "python", scripted)
    assert [t.verdict for t in result.tests] == [TestVerdict.AC, TestVerdict.PA, TestVerdict.PA]
    assert result.subtasks[0].score == 0.25 and result.score == 10.0


def test_checker_exit_codes_and_failures(scripted) -> None:
    replies = {"a": {"exit": 1}, "b": {"exit": 2}, "c": {"exit": 3}, "d": {"exit": 0, "stdout": "banana"}}
    problem = _problem(scorer="codeforces", n=4, checker=Checker(language="cpp", source=json.dumps(replies)))
    script = {"in1": "a", "in2": "b", "in3": "c", "in4": "d"}
    result = score_submission(problem, json.dumps(script), "python", scripted, scoring_mode="partial")
    wa, se = TestVerdict.WA, TestVerdict.SE
    assert [t.verdict for t in result.tests] == [wa, wa, se, se]
    assert result.system_errors == 2
    checker_runs = [r for r in scripted.requests if r.args]
    assert checker_runs[0].args == ["input.txt", "output.txt", "expected.txt"]  # testlib order
    assert checker_runs[0].files["expected.txt"] == "out1"


def test_compile_error_marks_every_test_and_stops(scripted) -> None:
    problem = _problem(subtasks=IOI_SUBTASKS)
    result = score_submission(problem, "CE", "cpp", scripted)
    assert result.score == 0 and result.compile["verdict"] == "CE"
    assert "expected ';'" in result.compile["output"]
    assert {t.verdict for t in result.tests} == {TestVerdict.CE} and len(result.tests) == 4
    assert len(scripted.requests) == 1


def test_empty_submission_runs_nothing(scripted) -> None:
    result = score_submission(_problem(scorer="usaco"), "  \n", "cpp", scripted)
    assert result.score == 0 and result.compile["verdict"] == "CE" and not scripted.requests


@pytest.mark.parametrize(
    ("mode", "expected", "max_score"),
    [("pass_fail", 0.0, 1.0), ("partial", 0.75, 1.0), ("weighted_sum", 0.075, 1.1)],
)
def test_codeforces_modes(scripted, mode, expected, max_score) -> None:
    src = _src(t1="out1", t2="out2", t3="out3", t4="TLE")
    result = score_submission(_problem(scorer="codeforces"), src, "python", scripted, scoring_mode=mode)
    assert result.score == pytest.approx(expected) and result.max_score == max_score
    assert result.tests[3].verdict == TestVerdict.TLE
    assert len(result.tests) == 4, "codeforces runs every test"


def test_codeforces_uses_problem_mode_by_default(scripted) -> None:
    problem = _problem(scorer="codeforces", scoring_mode="weighted_sum")
    src = _src(t1="out1", t2="out2", t3="out3", t4="out4")
    assert score_submission(problem, src, "python", scripted).score == pytest.approx(1.1)


def test_usaco_fraction_of_1000_and_file_io(scripted) -> None:
    problem = _problem(scorer="usaco", n=4, io="file", file_name="cow")
    result = score_submission(problem, _src(), "python", scripted)
    req = scripted.requests[0]
    assert req.files["cow.in"] == "in1" and req.read_files == ["cow.out"] and req.stdin == ""
    assert result.score == 0 and result.tests[0].verdict == TestVerdict.WA
    assert "cow.out" in result.tests[0].message


def test_usaco_stdio_score(scripted) -> None:
    src = _src(t1="out1", t2="out2", t3="RE", t4="MLE")
    result = score_submission(_problem(scorer="usaco"), src, "python", scripted)
    assert result.score == 500 and result.max_score == 1000
    assert [t.verdict for t in result.tests][2:] == [TestVerdict.RE, TestVerdict.MLE]


def test_token_comparison_ignores_whitespace_layout(scripted) -> None:
    problem = Problem(name="p", scorer="usaco", tests=[TestCase(name="a", input="i", output="1 2\n3\n")])
    ok = score_submission(problem, json.dumps({"i": "  1\n2 3  \n\n"}), "python", scripted)
    bad = score_submission(problem, json.dumps({"i": "1 2"}), "python", scripted)
    assert ok.score == 1000 and bad.score == 0


def test_option_and_language_errors(scripted) -> None:
    with pytest.raises(ConfigError, match="scoring_mode"):
        get_scorer("codeforces", scoring_mode="best")
    with pytest.raises(ConfigError, match="language"):
        score_submission(_problem(), "x", "rust", scripted)
    graded = _problem(grader_files={"grader.cpp": "int main(){}"})
    with pytest.raises(ProblemError, match="C\\+\\+ grader"):
        score_submission(graded, "x", "python", scripted)
