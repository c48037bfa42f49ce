from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from r1_core import ConfigError
from r1_core.config_parsing import load_config, parse_cli_overrides
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
    from r1_core.config_parsing import parse_key_values

    assert parse_key_values(["workers=4", "name=x", "flags=[1, 2]", "day=2024-08-01", "on=true"]) == {
        "workers": 4, "name": "x", "flags": [1, 2], "day": "2024-08-01", "on": True}
    with pytest.raises(ConfigError, match="-o 'bad' is not KEY=VALUE"):
        parse_key_values(["bad"], flag="-o")


def test_one_value_grammar_for_every_key_value_flag():
    """parse_key_values (r1 eval -o, sandbox serve -o), r1 reward --reward-config and
    --environment-options all read values the same way (issue 16: three parsers were one too many)."""
    from r1_core.config_parsing import parse_key_values, parse_mapping, parse_value

    for text, value in [("4", 4), ("1e-3", 0.001), ("true", True), ("x", "x"), ("[1, 2]", [1, 2]),
                        ('{"max_calls": 4}', {"max_calls": 4}), ("{max_calls: 4}", {"max_calls": 4}),
                        ("[a, b]", ["a", "b"]), ("{oops", "{oops"), ("yes", "yes")]:
        assert parse_value(text) == value, text
        assert parse_key_values([f"k={text}"]) == {"k": value}
    assert parse_mapping("{max_calls: 4}") == {"max_calls": 4} and parse_mapping(" ") == {}
    with pytest.raises(ValueError, match="mapping"):
        parse_mapping("[1, 2]")


def test_one_list_detector_and_splitter_for_list_fields():
    """load_config and the trainers' configs read a list field's string the same way."""
    from r1_core.config_parsing import is_list_type
    from r1_core.training.options import GRPOOptions

    assert is_list_type(list[str]) and is_list_type(list[float] | None) and is_list_type(set[int])
    assert not is_list_type(dict[str, list[str]]) and not is_list_type(str | None)
    assert load_config(Cfg, None, {"reward_funcs": "x, y,,"}).reward_funcs == ["x", "y"]
    assert GRPOOptions.model_validate({"reward_funcs": "x, y,,"}).reward_funcs == ["x", "y"]


def test_environment_options_from_the_command_line():
    from r1_core.training.options import GRPOOptions

    assert GRPOOptions.model_validate({"environment_options": '{"max_calls": 4}'}).environment_options == {
        "max_calls": 4}
    assert GRPOOptions.model_validate({"environment_options": "{max_calls: 4}"}).environment_options == {
        "max_calls": 4}
    with pytest.raises(ValidationError, match="must be a mapping"):
        GRPOOptions.model_validate({"environment_options": "4"})
