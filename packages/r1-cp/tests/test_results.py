"""Judging verdicts live in r1-cp, on top of the execution outcomes every sandbox reports (issue 16)."""

import pytest
from r1_core.protocols import ScoreSummary, Verdict
from r1_cp import ScoreResult, TestResult, TestVerdict


def test_test_verdicts_are_the_outcomes_that_stop_a_run_plus_the_judgements():
    outcomes = {v.value for v in Verdict}
    assert {v.value for v in TestVerdict} == (outcomes - {"OK"}) | {"AC", "WA", "PA"}
    assert not {"AC", "WA", "PA"} & outcomes  # the core knows no judging


@pytest.mark.parametrize("outcome", [v for v in Verdict if v != Verdict.OK])
def test_an_outcome_that_stopped_the_run_carries_over(outcome):
    assert TestVerdict.of(outcome) == outcome and isinstance(TestVerdict.of(outcome), TestVerdict)


def test_an_ok_run_is_judged_on_its_output_not_by_its_outcome():
    with pytest.raises(ValueError, match="judged on its output"):
        TestVerdict.of(Verdict.OK)


def test_a_score_result_is_what_the_core_scorer_protocol_asks_for():
    result = ScoreResult(score=50.0, max_score=100.0, tests=[TestResult(name="t", verdict="PA", score=0.5)])
    assert isinstance(result, ScoreSummary) and result.fraction == 0.5
    assert result.tests[0].verdict is TestVerdict.PA
    assert ScoreResult.model_validate_json(result.model_dump_json()) == result
