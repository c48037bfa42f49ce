"""One grammar for dataset names: bundled sets, local files and directories, Hub ids with a config."""

import pytest
from r1_core import ConfigError, DataError
from r1_core.dataset_names import DatasetName, parse_dataset_name


def test_the_grammar(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rows.jsonl").write_text('{"prompt": "x"}\n')
    (tmp_path / "dir").mkdir()
    assert parse_dataset_name("bundled:math") == DatasetName("bundled", "math")
    assert parse_dataset_name("rows.jsonl") == DatasetName("file", "rows.jsonl")
    assert parse_dataset_name("dir") == DatasetName("dir", "dir")
    assert parse_dataset_name("org/set") == DatasetName("hub", "org/set")
    assert parse_dataset_name("org/set:cfg") == DatasetName("hub", "org/set", "cfg")
    assert parse_dataset_name("org/set", "cfg") == DatasetName("hub", "org/set", "cfg")
    assert parse_dataset_name("org/set:cfg", "cfg") == DatasetName("hub", "org/set", "cfg")


def test_a_missing_data_file_is_not_a_hub_id(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=r"dataset file missing\.parquet does not exist"):
        parse_dataset_name("missing.parquet")


def test_two_different_configs_are_refused():
    with pytest.raises(ConfigError, match="names config 'a' but the dataset config is 'b'"):
        parse_dataset_name("org/set:a", "b")


def test_training_and_eval_split_read_names_the_same_way(tmp_path, monkeypatch):
    from r1_core.training.data import load_dataset_named

    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=r"dataset file gone\.jsonl does not exist"):
        load_dataset_named("gone.jsonl")
    assert len(load_dataset_named("bundled:math")) > 0
