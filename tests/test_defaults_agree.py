"""Regression (open-r1 defect): trainer config defaults and reward factory defaults must agree.

open-r1's GRPO config defaulted ``cosine_min_value_wrong`` to 0.0 while its reward factory used
-1.0, so the same reward scored differently in training and in isolation.
"""

import inspect

import pytest
from r1_core.plugin_host import get_host
from r1_core.training.options import GRPOOptions

PAIRS = [
    ("cosine", "cosine_min_value_wrong", "min_value_wrong"),
    ("cosine", "cosine_max_value_wrong", "max_value_wrong"),
    ("cosine", "cosine_min_value_correct", "min_value_correct"),
    ("cosine", "cosine_max_value_correct", "max_value_correct"),
    ("cosine", "cosine_max_len", "max_len"),
    ("repetition_penalty", "repetition_n_grams", "ngram_size"),
    ("repetition_penalty", "repetition_max_penalty", "max_penalty"),
    ("soft_overlong_punishment", "max_completion_len", "max_completion_len"),
    ("soft_overlong_punishment", "soft_punish_cache", "soft_punish_cache"),
]


@pytest.mark.parametrize("reward, option, param", PAIRS)
def test_trainer_option_default_equals_reward_default(reward, option, param):
    factory = get_host().registry("rewards").get(reward)
    reward_default = inspect.signature(factory).parameters[param].default
    assert GRPOOptions.model_fields[option].default == reward_default
