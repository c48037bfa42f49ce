"""ioi, codeforces and usaco rewards on r1-cp's bundled problems, through the local sandbox."""

from __future__ import annotations

import pytest
from r1_core import DataError, get_reward
from r1_core.reward_call import call_reward
from r1_cp import dataset_rows

pytestmark = pytest.mark.timeout(300)


def columns(rows):
    return {k: [r.get(k) for r in rows] for k in rows[0]}


def cpp(code: str) -> str:
    return f"```cpp\n{code}\n```"


EMPTY_MAIN = cpp("int main(){return 0;}")
EXIT_EARLY = cpp("#include <cstdlib>\nint main(){std::exit(0);}")
BROKEN = cpp("int main( { syntax error")


@pytest.mark.parametrize("kind", ["ioi", "codeforces", "usaco"])
def test_reference_solutions_score_full_marks_and_hacks_nothing(kind):
    rows = dataset_rows(kind)[:2]
    gold = call_reward(get_reward(kind), completions=[r["reference_solution"] for r in rows], **columns(rows))
    assert gold == [1.1, 1.1] if kind == "codeforces" else gold == [1.0, 1.0]
    hacks = call_reward(get_reward(kind), completions=[EXIT_EARLY, EMPTY_MAIN], **columns(rows))
    assert hacks == [0.0, 0.0]


def test_codeforces_keeps_open_r1_penalties_and_modes():
    rows = dataset_rows("codeforces")[:1] * 3
    out = call_reward(get_reward("cf_code"), completions=["no code at all", BROKEN, EMPTY_MAIN],
                      **columns(rows))
    assert out == [-1.0, -0.1, 0.0]
    gold = [rows[0]["reference_solution"]]
    assert call_reward(get_reward("codeforces", scoring_mode="pass_fail"), completions=gold,
                       **columns(rows[:1])) == [1.0]


def test_ioi_alias_and_the_answer_after_thinking():
    rows = dataset_rows("ioi")[:1]
    thinking = "<think>\n" + EMPTY_MAIN + "\n</think>\n" + rows[0]["reference_solution"]
    assert call_reward(get_reward("ioi_code"), completions=[thinking], **columns(rows)) == [1.0]
    assert get_reward("ioi_code").__name__ == "ioi"


def test_missing_problem_columns_are_data_errors():
    with pytest.raises(DataError, match="'usaco'"):
        call_reward(get_reward("usaco"), completions=[EMPTY_MAIN], solution=["x"])


def test_ioi_reward_on_open_r1_rows_that_leave_their_tests_on_the_hub(monkeypatch):
    """open-r1/ioi rows carry a year instead of test_cases; the reward fetches open-r1/ioi-test-cases
    (here a real Arrow dataset standing in for the download) and scores as with inline tests."""
    import datasets
    from r1_cp.testcase_store import ioi_tests_for_year

    rows = dataset_rows("ioi")[:2]
    store = [{"problem_id": r["id"], "test_name": name, "test_input": case["input"],
              "test_output": case["output"]}
             for r in rows for name, case in zip(r["test_names"], r["test_cases"], strict=True)]
    monkeypatch.setattr(datasets, "load_dataset",
                        lambda path, name=None, split=None, **kw: datasets.Dataset.from_list(store))
    ioi_tests_for_year.cache_clear()
    try:
        hub_rows = [{k: v for k, v in r.items() if k != "test_cases"} | {"year": 2024} for r in rows]
        gold = call_reward(get_reward("ioi"), completions=[r["reference_solution"] for r in rows],
                           **columns(hub_rows))
        assert gold == [1.0, 1.0]
        empty = call_reward(get_reward("ioi"), completions=[EMPTY_MAIN, EMPTY_MAIN], **columns(hub_rows))
        assert empty == [0.0, 0.0]
    finally:
        ioi_tests_for_year.cache_clear()
