"""open-r1's reward keys reach the rewards through their declared aliases, and r1-core keeps no copy.

Regression (open-r1 defect): its GRPO config defaulted ``cosine_min_value_wrong`` to 0.0 while its
reward factory used -1.0, so the same reward scored differently in training and in isolation. Now a
reward option has one default, in the reward's options model; the trainer only forwards the keys a
config sets, through the aliases the reward declares.
"""

from __future__ import annotations

import pytest
from r1_core.errors import ConfigError
from r1_core.training.options import GRPOOptions
from r1_core.training.rewards import build_reward_funcs, plan_rewards

OPEN_R1_REWARD_KEYS = {
    "cosine_min_value_wrong", "cosine_max_value_wrong", "cosine_min_value_correct",
    "cosine_max_value_correct", "cosine_max_len", "repetition_n_grams", "repetition_max_penalty",
    "code_language",
    "code_eval_test_batch_size", "code_eval_scoring_mode", "parallel_code_exec_per_proc", "code_provider",
    "ioi_provider", "e2b_router_url", "morph_router_url", "max_completion_len", "soft_punish_cache",
}


def test_r1_core_declares_no_reward_option():
    assert OPEN_R1_REWARD_KEYS.isdisjoint(GRPOOptions.model_fields)
    assert GRPOOptions.model_fields["reward_funcs"].default is None  # resolved from the registry


def _built(config):
    opts = GRPOOptions.model_validate(config)
    plans = plan_rewards(opts)
    return {p.name: p for p in plans}, dict(zip(opts.reward_funcs, build_reward_funcs(opts, plans),
                                                strict=True))


def test_open_r1_keys_reach_the_factories_through_the_declared_aliases():
    plans, funcs = _built({
        "reward_funcs": ["cosine", "repetition_penalty", "soft_overlong_punishment"],
        "cosine_max_len": "100", "cosine_min_value_wrong": 0.0, "cosine_min_value_correct": 0.25,
        "repetition_n_grams": 2, "repetition_max_penalty": -0.5,
        "max_completion_len": 100, "soft_punish_cache": 50,
    })
    assert plans["cosine"].options == {"max_len": 100, "min_value_wrong": 0.0, "min_value_correct": 0.25}
    assert plans["cosine"].sources["max_len"] == "cosine_max_len"
    # the built rewards behave with the recipe's values, not the defaults
    correct = "<think>x</think><answer>$2$</answer>"
    long_correct = correct + " " * 200  # past max_len=100 (characters): the minimum for a correct answer
    assert funcs["cosine"](completions=[long_correct], solution=["$2$"]) == [pytest.approx(0.25)]
    assert funcs["cosine"](completions=["<answer>$3$</answer>"], solution=["$2$"])[0] < 0
    assert funcs["repetition_penalty"](completions=["a b a b"]) == [pytest.approx(-0.5 * (1 - 2 / 3))]
    assert funcs["soft_overlong_punishment"](completions=["x"], completion_ids=[[0] * 75]) == [-0.5]
    assert plans["repetition_penalty"].options == {"ngram_size": 2, "max_penalty": -0.5}


def test_unset_keys_leave_the_reward_defaults_and_explicit_kwargs_win():
    plans, _ = _built({"reward_funcs": ["cosine"], "cosine_max_len": 500,
                       "reward_kwargs": {"cosine": {"cosine_max_len": 700, "max_value_wrong": -0.25}}})
    assert plans["cosine"].options == {"max_len": 700, "max_value_wrong": -0.25}
    assert plans["cosine"].sources == {"max_len": "reward_kwargs.cosine",
                                       "max_value_wrong": "reward_kwargs.cosine"}
    plans, _ = _built({"reward_funcs": ["cosine"]})
    assert plans["cosine"].options == {}


def test_a_key_no_reward_declares_is_refused_with_the_closest_reward_option():
    with pytest.raises(ConfigError, match=r"option 'cosine_max_lenght'.*did you mean 'cosine_max_len'"):
        GRPOOptions.model_validate({"reward_funcs": ["format"], "cosine_max_lenght": 5})
    with pytest.raises(ConfigError, match=r"unknown option 'repetition_ngrams'.*'repetition_n_grams'"):
        GRPOOptions.model_validate({"repetition_ngrams": 2})


def test_reward_keys_do_not_reach_trl():
    opts = GRPOOptions.model_validate({"reward_funcs": ["format"], "cosine_max_len": 5, "max_grad_norm": 0.5})
    assert opts.passthrough() == {"max_grad_norm": 0.5}
    assert opts.reward_settings() == {"cosine_max_len": 5}
