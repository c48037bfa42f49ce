import json
import subprocess
import sys

from r1_core import ToolError, get_environment, list_plugins
from r1_env_example import UnitsEnvironment


def test_plugin_is_discovered():
    names = {p.distribution: p for p in list_plugins()}
    assert names["r1-env-example"].provides == {"environments": ["units"]}
    assert names["r1-env-example"].hooks == ["r1_register_environments"]


def test_tools_are_what_trl_will_offer():
    env = get_environment("units", max_calls=2)
    assert env.tools == ["convert"]
    from transformers.utils import get_json_schema

    schema = get_json_schema(UnitsEnvironment.convert)
    assert schema["function"]["name"] == "convert"
    assert set(schema["function"]["parameters"]["required"]) == {"value", "from_unit", "to_unit"}


def test_episode_converts_and_keeps_a_budget():
    env = get_environment("units", max_calls=2)
    episode = env()
    assert episode.reset(question="5 km in mi?") is None
    assert episode.convert(value=5, from_unit="km", to_unit="mi") == "3.10686 mi"
    assert isinstance(episode.convert(value=1, from_unit="kg", to_unit="h"), ToolError)
    assert episode.convert(value=1.5, from_unit="h", to_unit="min") == "90 min"
    assert "at most 2" in episode.convert(value=1, from_unit="m", to_unit="cm")
    [stats] = env.drain()
    assert (stats.calls, stats.errors) == (4, 2)
    episode.reset()
    assert episode.history == []


def test_listed_by_cli():
    out = subprocess.run([sys.executable, "-m", "r1_core.cli", "environments", "list", "--json"],
                         capture_output=True, text=True, check=True).stdout
    assert "units" in {e["name"] for e in json.loads(out)}
