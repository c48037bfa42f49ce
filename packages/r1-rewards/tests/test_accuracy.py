"""accuracy: math-verify in worker processes, answer after </think>, hedging, cache, timeouts."""

from __future__ import annotations

import threading

import pytest
from r1_core import DataError, get_reward
from r1_rewards.math.pool import TIMEOUT, VerifierPool
from r1_rewards.math.verifier import MathVerifier

HALF = r"$\frac{1}{2}$"


def chat(text):
    return [{"role": "assistant", "content": text}]


def acc(completions, solution, **config):
    return get_reward("accuracy", **config)(completions=completions, solution=solution)


def test_equivalent_forms_score_one_and_wrong_answers_zero():
    out = acc([r"so \boxed{0.5}", r"\boxed{\frac{2}{4}}", r"\boxed{3}", "no answer at all",
               r"\boxed{\sqrt{18}}", r"\boxed{\{3,1,2\}}"],
              [HALF, HALF, "6", HALF, r"$3\sqrt{2}$", r"$\{1,2,3\}$"])
    assert out == [1.0, 1.0, 0.0, 0.0, 1.0, 1.0]


def test_chat_completions_are_read_from_the_last_message():
    assert acc([chat(r"\boxed{7}")], ["7"]) == [1.0]


def test_answer_is_taken_after_the_closing_think():
    # the reasoning tries candidates; only the text after </think> is the answer
    assert acc([r"<think>maybe \boxed{3}?</think> The answer is \boxed{\frac{1}{2}}.",
                r"<think>it is \boxed{\frac{1}{2}}</think> The answer is \boxed{3}."],
               [HALF, HALF]) == [1.0, 0.0]


def test_unclosed_think_means_no_answer():
    assert acc([r"<think>cut off while thinking \boxed{\frac{1}{2}}"], [HALF]) == [0.0]


def test_several_boxes_are_read_as_one_list_so_hedges_score_zero():
    out = acc([r"\boxed{\frac{1}{2}} or maybe \boxed{3}", r"\boxed{3} or \boxed{\frac{1}{2}}",
               r"\boxed{\frac{1}{2}} so again \boxed{\frac{1}{2}}", r"\boxed{0.5} = \boxed{\frac{1}{2}}",
               r"\boxed{1}, \boxed{2}, \boxed{3}", r"\boxed{1}, \boxed{2}",
               r"\boxed{1}, \boxed{2}, \boxed{3}, \boxed{4}",
               r"\boxed{(2, 2)} and \boxed{(6, 2)}", r"\boxed{(2, 2)}"],
              [HALF] * 4 + [r"$\{1,2,3\}$"] * 3 + ["$(2, 2), (6, 2)$"] * 2)
    assert out == [0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0]


def test_unparseable_gold_skips_the_sample_and_is_counted(stats):
    assert acc([r"\boxed{1}", ""], [r"\text{not math", r"\text{not math"]) == [None, None]
    assert stats.get("accuracy", "skipped") == 2


def test_missing_solution_column_is_a_data_error_naming_reward_and_columns():
    with pytest.raises(DataError, match=r"'accuracy'.*'solution'.*'answer'"):
        get_reward("accuracy")(completions=[r"\boxed{1}"], answer=["1"])


def test_cache_answers_repeated_pairs_without_the_workers():
    verifier = MathVerifier(timeout_s=10)
    golds, answers = ["$17$", "$18$"], [r"\boxed{17}", r"\boxed{17}"]
    assert verifier.check(golds, answers) == [1.0, 0.0]
    misses = verifier.cache.misses
    assert verifier.check(golds * 3, answers * 3) == [1.0, 0.0] * 3
    assert verifier.cache.misses == misses and verifier.cache.hits >= 2


def test_works_from_a_background_thread_like_trl_async_rewards():
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("v", acc([r"\boxed{12}"], ["12"])))
    thread.start()
    thread.join(60)
    assert box["v"] == [1.0]


def test_pool_kills_a_hung_worker_and_keeps_going():
    pool = VerifierPool(workers=1)
    try:
        # inner (signal) timeout 60 s, hard limit 6 s: only the kill can stop this item
        tasks = [("$5$", r"\boxed{5}", (), 60), ("$5$", r"\boxed{(10^{8})!}", (), 60),
                 ("$6$", r"\boxed{6}", (), 60)]
        out = pool.run(tasks, timeout_s=6)
        assert out == [1.0, TIMEOUT, 1.0]
        assert pool.kills == 1
    finally:
        pool.close()


def test_pool_replaces_workers_that_died_between_batches():
    pool = VerifierPool(workers=2)
    try:
        assert pool.run([("$1$", r"\boxed{1}", (), 5)] * 3, timeout_s=30) == [1.0] * 3
        for worker in pool._workers:  # e.g. the OOM killer took them
            worker.proc.kill()
            worker.proc.wait()
        tasks = [("$1$", r"\boxed{1}", (), 5), ("$2$", r"\boxed{3}", (), 5)]
        assert pool.run(tasks, timeout_s=30) == [1.0, 0.0]
    finally:
        pool.close()


def test_a_bare_answer_in_answer_tags_counts_as_boxed():
    """open-r1 extracted LaTeX only, so the R1 format's plain <answer>42</answer> scored 0."""
    out = acc(["<think>\nx\n</think>\n<answer>\n42\n</answer>", "<answer>41</answer>",
               r"<answer>$\frac{1}{2}$</answer>", "<answer>42 or 43</answer>", "<answer>42, 43</answer>"],
              ["42", "42", "$0.5$", "42", "42"])
    assert out == [1.0, 0.0, 1.0, 0.0, 0.0]
