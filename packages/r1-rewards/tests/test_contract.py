"""Every registered reward follows TRL's protocol, is named after its registry entry, validates
its config and names missing columns."""

from __future__ import annotations

import inspect

import pytest
from r1_core import ConfigError, DataError, get_reward, list_entries
from r1_core.testing import check_reward_contract
from r1_cp import dataset_rows

NAMES = ["accuracy", "format", "tag_count", "reasoning_steps", "length", "cosine", "repetition_penalty",
         "soft_overlong_punishment", "code_format", "code", "binary_code", "ioi", "codeforces", "usaco",
         "rouge_l", "exact_match"]
ALIASES = {"ioi_code": "ioi", "cf_code": "codeforces"}


def _columns(name: str) -> dict[str, list]:
    if name in {"accuracy", "length", "cosine", "exact_match", "rouge_l"}:
        return {"solution": ["$1$", "$2$"]}
    if name in {"code", "binary_code"}:
        info = {"language": "python", "test_cases": [{"input": "", "output": "1"}]}
        return {"verification_info": [info, info]}
    if name in {"ioi", "codeforces", "usaco"}:
        rows = dataset_rows(name)[:1] * 2
        return {k: [r.get(k) for r in rows] for k in rows[0]}
    return {}


def test_every_open_r1_reward_and_more_is_registered():
    names = {e.name for e in list_entries("rewards")}
    assert set(NAMES) <= names
    for alias, name in ALIASES.items():
        assert get_reward(alias).__name__ == name


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", NAMES)
def test_reward_follows_the_trl_contract(name):
    check_reward_contract(get_reward(name), name=name, columns=_columns(name))


@pytest.mark.parametrize("name", ["accuracy", "length", "cosine", "code", "binary_code", "exact_match",
                                  "rouge_l"])
def test_missing_column_names_reward_column_and_present_columns(name):
    column = "verification_info" if "code" in name else "solution"
    fn = get_reward(name)
    with pytest.raises(DataError) as err:
        out = fn(completions=["x"], prompts=["p"], problem=["what is 1+1"], answer_key=["2"])
        if inspect.isawaitable(out):
            import asyncio
            asyncio.run(out)
    message = str(err.value)
    assert repr(name) in message and repr(column) in message and "'answer_key'" in message
    assert "'prompts'" not in message  # TRL's own arguments are not dataset columns


@pytest.mark.parametrize(("name", "bad"), [
    ("cosine", {"max_len": -5}), ("repetition_penalty", {"text_language": "fr"}),
    ("code", {"time_limit_s": 0}), ("accuracy", {"timeout": 3}), ("codeforces", {"scoring_mode": "best"}),
    ("reasoning_steps", {"min_steps": 0}),
])
def test_invalid_config_is_a_config_error(name, bad):
    with pytest.raises(ConfigError, match=name):
        get_reward(name, **bad)


def test_factories_called_without_config_use_the_documented_defaults():
    from r1_rewards.code import CodeConfig
    from r1_rewards.length import SoftOverlongConfig
    from r1_rewards.repetition import RepetitionConfig

    assert RepetitionConfig().ngram_size == 3 and RepetitionConfig().max_penalty == -1.0
    assert SoftOverlongConfig().max_completion_len == 16384 and SoftOverlongConfig().soft_punish_cache == 4096
    assert CodeConfig().provider == "local"
    fn = get_reward("soft_overlong_punishment")
    assert fn(completions=["a", "b"], completion_ids=[[0] * 12288, [0] * 14336]) == [0.0, -0.5]


def test_factory_signatures_show_each_option_with_its_single_default():
    """Tools that introspect a factory (the GRPO trainer forwarding open-r1 recipe keys) see the
    config model's fields, so there is one default per option."""
    from r1_core.api import get_host
    from r1_core.reward_options import options_model

    for entry in list_entries("rewards"):
        obj = get_host().registry("rewards").entry(entry.name).obj
        model = options_model(obj)
        if model is None:
            continue
        params = inspect.signature(obj).parameters
        assert list(params) == list(model.model_fields), entry.name
        for name, field in model.model_fields.items():
            assert params[name].default == field.get_default(call_default_factory=True)


def test_rewards_declare_the_columns_they_need():
    assert get_reward("accuracy").required_columns == ["solution"]
    assert get_reward("code").required_columns == ["verification_info"]
    assert get_reward("exact_match", column="answer").required_columns == ["answer"]
