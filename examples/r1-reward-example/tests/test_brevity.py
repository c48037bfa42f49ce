import json
import subprocess
import sys

from r1_core import get_reward, list_plugins
from r1_core.testing import check_reward_contract
from r1_reward_example import make_brevity_reward


def test_plugin_is_discovered():
    names = {p.distribution: p for p in list_plugins()}
    assert "r1-reward-example" in names
    assert names["r1-reward-example"].provides == {"rewards": ["brevity"]}
    assert names["r1-reward-example"].hooks == ["r1_register_rewards"]


def test_reward_contract():
    check_reward_contract(get_reward("brevity"), name="brevity")


def test_scores():
    fn = make_brevity_reward(max_chars=10)
    assert fn(completions=["", "12345", "x" * 50]) == [1.0, 0.5, 0.0]
    assert fn(completions=[[{"role": "assistant", "content": "12345"}]]) == [0.5]


def test_config_passes_through_get_reward():
    assert get_reward("brevity", max_chars=4)(completions=["ab"]) == [0.5]


def test_listed_by_cli():
    out = subprocess.run([sys.executable, "-m", "r1_core.cli", "plugins", "--json"],
                         capture_output=True, text=True, check=True).stdout
    assert "r1-reward-example" in {p["name"] for p in json.loads(out)}
