"""length (Kimi), cosine, soft_overlong_punishment, repetition_penalty."""

from __future__ import annotations

import math

import pytest
from r1_core import ConfigError, get_reward
from r1_rewards.length import CosineConfig

RIGHT, WRONG = r"\boxed{\frac{63}{400}}", r"\boxed{\frac{64}{400}}"
GOLD = r"$\frac{63}{400}$"


def test_cosine_matches_open_r1_values_below_max_len():
    fn = get_reward("cosine", max_len=100)
    pad = lambda s, n: s + " " * (n - len(s))  # noqa: E731
    out = fn(completions=[pad(RIGHT, 20), pad(RIGHT, 80), pad(WRONG, 20), pad(WRONG, 80)],
             solution=[GOLD] * 4)
    assert out == pytest.approx([0.943, 0.547, -0.942, -0.547], abs=1e-3)


def test_cosine_clamps_beyond_max_len():
    """open-r1 let len/max_len exceed 1, so at 2×max_len a correct answer was back at the top (D12)."""
    fn = get_reward("cosine", max_len=30)
    long_right = RIGHT + " " * (60 - len(RIGHT))
    long_wrong = WRONG + " " * (90 - len(WRONG))
    assert fn(completions=[long_right, long_wrong], solution=[GOLD] * 2) == pytest.approx([0.5, -0.5])


def test_cosine_defaults_are_one_set_everywhere_and_unparseable_gold_is_skipped():
    built = get_reward("cosine")
    cfg = CosineConfig()
    assert (cfg.min_value_wrong, cfg.max_value_wrong, cfg.min_value_correct, cfg.max_value_correct,
            cfg.max_len) == (-1.0, -0.5, 0.5, 1.0, 1000)
    # open-r1 gave 1.0 to any completion when the gold could not be parsed (#215)
    assert built(completions=[RIGHT], solution=[r"\text{no math here"]) == [None]
    with pytest.raises(ConfigError, match="max_len"):
        get_reward("cosine", max_len=0)
    with pytest.raises(ConfigError, match="unknown option"):
        get_reward("cosine", max_length=10)


def test_length_reward_kimi_values():
    fn = get_reward("length")
    same = fn(completions=[RIGHT, RIGHT], solution=[GOLD, GOLD])
    assert same == [0.0, 0.0]
    short, long = RIGHT, RIGHT + " and some more words to be long"
    assert fn(completions=[short, long], solution=[GOLD] * 2) == pytest.approx([0.5, -0.5])
    wrong_short, wrong_long = WRONG, WRONG + " and some more words to be long"
    out = fn(completions=[wrong_short, wrong_long], solution=[GOLD] * 2)
    assert out == pytest.approx([0.0, -0.5])
    mixed = fn(completions=[short, wrong_long], solution=[GOLD] * 2)
    assert mixed == pytest.approx([0.5, -0.5])
    # open-r1 counted an unparseable gold as correct (D13)
    assert fn(completions=[short, long], solution=[r"\text{??", GOLD])[0] is None


GOLD_FORMS = ["7", "$7$", r"\boxed{7}", r"\(7\)", "$x = 7$", "The answer is 7.", r"$\{7\}$", r"\text{??"]


@pytest.mark.parametrize("gold", GOLD_FORMS)
def test_accuracy_length_and_cosine_read_the_gold_the_same_way(gold):
    """One gold parser for all three (open-r1's length/cosine could not read a plain ``7``)."""
    right, wrong = r"so \boxed{7}", r"after a much longer search the answer is \boxed{8}"
    rows = {"completions": [right, wrong], "solution": [gold, gold]}
    correct = get_reward("accuracy")(**rows)
    lengths = get_reward("length")(**rows)
    cosines = get_reward("cosine")(**rows)
    if gold == r"\text{??":
        assert correct == lengths == cosines == [None, None]
        return
    assert correct == [1.0, 0.0]
    assert lengths == pytest.approx([0.5, -0.5])
    assert cosines[0] >= 0.5 and cosines[1] <= -0.5


def test_the_gold_parser_is_math_verify_default_extraction():
    from math_verify import LatexExtractionConfig, parse
    from r1_rewards.math.gold import parse_gold

    for gold in ["7", "$x = 7$", "The answer is 7.", r"$\{7, 8\}$", r"$\frac{1}{2}$"]:
        assert str(parse_gold(gold)) == str(parse(gold, extraction_mode="first_match"))
    assert parse("7", extraction_mode="first_match", extraction_config=[LatexExtractionConfig()]) == []


def test_soft_overlong_punishment_dapo_values():
    fn = get_reward("soft_overlong_punishment", max_completion_len=100, soft_punish_cache=20)
    ids = [[1] * 50, [1] * 110, [1] * 90, [1] * 80, [1] * 100]
    assert fn(completions=[""] * 5, completion_ids=ids) == pytest.approx([0, -1, -0.5, 0, -1])
    with pytest.raises(ConfigError):
        get_reward("soft_overlong_punishment", max_completion_len=10, soft_punish_cache=20)


@pytest.mark.parametrize(("text", "kwargs", "expected"), [
    ("that is a very long sentence without repetition", {}, 0.0),
    ("this this this this this this", {}, -0.75),  # 4 trigrams, 1 distinct
    ("this is a this is a test", {}, -0.2),  # 5 trigrams, 4 distinct
    ("This IS a this is A test", {}, -0.2),  # case-insensitive
    ("", {}, 0.0),
    ("one two", {}, 0.0),
    ("A B A B C", {"ngram_size": 2}, -0.25),
    ("this this this this this this", {"max_penalty": -0.5}, -0.375),
])
def test_repetition_penalty_values(text, kwargs, expected):
    (value,) = get_reward("repetition_penalty", **kwargs)(completions=[text])
    assert value == pytest.approx(expected)
    assert math.copysign(1.0, value) > 0 or value != 0  # never -0.0


def test_repetition_penalty_rejects_a_positive_penalty():
    with pytest.raises(ConfigError, match="max_penalty"):
        get_reward("repetition_penalty", max_penalty=1.0)


def test_chinese_segmentation_needs_jieba_and_says_how_to_get_it():
    import importlib.util

    from r1_core import MissingExtraError

    if importlib.util.find_spec("jieba") is None:
        with pytest.raises(MissingExtraError, match=r"r1-rewards\[zh\]"):
            get_reward("repetition_penalty", text_language="zh")
    else:
        fn = get_reward("repetition_penalty", text_language="zh")
        assert fn(completions=["我 爱 你 我 爱 你 我 爱 你"])[0] < 0
