from math import comb

import pytest
from r1_cli.passk import pass_at_k, summarize


@pytest.mark.parametrize(("n", "c", "k", "expected"), [
    (5, 2, 1, 0.4),                 # c / n
    (5, 2, 2, 1 - 3 / 10),          # 1 - C(3,2)/C(5,2)
    (5, 2, 3, 1 - 1 / 10),          # 1 - C(3,3)/C(5,3)
    (5, 2, 4, 1.0),                 # fewer than k wrong samples: always a hit
    (4, 0, 3, 0.0),
    (3, 3, 1, 1.0),
    (10, 1, 10, 1.0),
    (16, 4, 8, 1 - comb(12, 8) / comb(16, 8)),
])
def test_pass_at_k_hand_computed(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_large_n_stays_exact():
    assert pass_at_k(1000, 10, 100) == pytest.approx(1 - comb(990, 100) / comb(1000, 100), rel=1e-9)


@pytest.mark.parametrize(("n", "c", "k"), [(3, 1, 0), (3, 1, 4), (3, 4, 1)])
def test_pass_at_k_rejects_bad_arguments(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def test_summarize_every_k_up_to_the_smallest_n():
    metrics = summarize([(5, 2), (5, 0), (4, 4)])
    assert list(metrics) == ["pass@1", "pass@2", "pass@3", "pass@4"]
    assert metrics["pass@1"]["value"] == pytest.approx((0.4 + 0 + 1) / 3)
    assert metrics["pass@2"]["value"] == pytest.approx((0.7 + 0 + 1) / 3)
    for m in metrics.values():
        lo, hi = m["ci95"]
        assert 0 <= lo <= m["value"] <= hi <= 1


def test_confidence_interval_is_deterministic_and_narrows_with_more_problems():
    few = summarize([(1, 1), (1, 0)] * 5)["pass@1"]["ci95"]
    many = summarize([(1, 1), (1, 0)] * 200)["pass@1"]["ci95"]
    assert summarize([(1, 1), (1, 0)] * 5)["pass@1"]["ci95"] == few
    assert many[1] - many[0] < few[1] - few[0]
    assert summarize([(3, 1)])["pass@1"]["ci95"] == [pytest.approx(1 / 3)] * 2
