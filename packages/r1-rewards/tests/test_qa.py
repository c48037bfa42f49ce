"""exact_match and rouge_l."""

from __future__ import annotations

import pytest
from r1_core import get_reward


def test_exact_match_normalises_and_reads_the_final_answer():
    fn = get_reward("exact_match")
    out = fn(completions=["<think>Paris? no</think><answer>The Eiffel Tower.</answer>", "eiffel tower",
                          "<think>eiffel tower", "Tower Eiffel",
                          [{"role": "assistant", "content": "an apple"}]],
             solution=["Eiffel Tower", "eiffel  TOWER!", "Eiffel Tower", "Eiffel Tower", ["pear", "Apple"]])
    assert out == [1.0, 1.0, 0.0, 0.0, 1.0]


def test_rouge_l_is_the_best_f1_over_references():
    fn = get_reward("rouge_l")
    exact, partial, none, empty = fn(
        completions=["the cat sat on the mat", "the cat sat", "dogs bark", "<think>x"],
        solution=["the cat sat on the mat", ["something else", "the cat sat on the mat"], "the cat", "cat"])
    assert exact == pytest.approx(1.0)
    assert partial == pytest.approx(2 * 1.0 * 0.5 / 1.5)  # precision 1, recall 3/6
    assert none == 0.0 and empty == 0.0


def test_reference_column_is_configurable():
    fn = get_reward("exact_match", column="answer")
    assert fn(completions=["42"], answer=["42"]) == [1.0]
