"""ioi, codeforces and usaco rewards on r1-cp's bundled problems, through the local sandbox."""

from __future__ import annotations

import pytest
from r1_core import DataError, get_reward
from r1_cp import dataset_rows
from r1_rewards.calling import call_reward

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
