from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field
from r1_core import ConfigError
from r1_core.config import load_config, parse_cli_overrides
from r1_core.files import atomic_write_text


class Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_steps: int = Field(10, gt=0)
    reward_funcs: list[str] = Field(default_factory=lambda: ["accuracy"])
    bf16: bool = True
    learning_rate: float = 1e-5


def test_overrides_parse_repeats_flags_and_negation():
    got = parse_cli_overrides(["--max-steps", "5", "--reward-funcs", "a", "--reward-funcs", "b",
                               "--no-bf16", "--learning-rate=1e-4"])
    assert got == {"max_steps": "5", "reward_funcs": ["a", "b"], "bf16": False, "learning_rate": "1e-4"}


def test_yaml_then_cli_with_coercion(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("max_steps: 3\nreward_funcs: [format]\n")
    cfg = load_config(Cfg, p, {"learning_rate": "2e-4", "reward_funcs": "x,y"})
    assert cfg == Cfg(max_steps=3, reward_funcs=["x", "y"], learning_rate=2e-4)


def test_unknown_option_suggests(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown option 'max_step'.*did you mean 'max_steps'"):
        load_config(Cfg, None, {"max_step": "3"})


def test_invalid_value_names_field_and_source(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("max_steps: -1\n")
    with pytest.raises(ConfigError, match=r"invalid value for 'max_steps' in .*r.yaml"):
        load_config(Cfg, p)


def test_bad_yaml_gives_line(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("max_steps: 3\n  bad: [\n")
    with pytest.raises(ConfigError, match=r"invalid YAML in .*r.yaml:\d+"):
        load_config(Cfg, p)
    p.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(Cfg, p)


def test_atomic_write_keeps_old_content_when_serialisation_fails(tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    atomic_write_text(target, "old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in Path(tmp_path).iterdir()] == ["out.json"]


def test_parse_key_values_reads_json_values_and_keeps_other_text():
    from r1_core.config import parse_key_values

    assert parse_key_values(["workers=4", "name=x", "flags=[1, 2]", "day=2024-08-01", "on=true"]) == {
        "workers": 4, "name": "x", "flags": [1, 2], "day": "2024-08-01", "on": True}
    with pytest.raises(ConfigError, match="-o 'bad' is not KEY=VALUE"):
        parse_key_values(["bad"], flag="-o")
