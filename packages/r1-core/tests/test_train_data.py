"""Training data: bundled sets, local files, open-r1 mixtures, chat formatting, clear errors."""

from __future__ import annotations

import json

import pytest
from r1_core.errors import DataError
from r1_core.training import GRPOOptions, SFTOptions
from r1_core.training.data import load_dataset_named, load_train_dataset, to_prompt_dataset, to_sft_dataset


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_bundled_math_fits_accuracy_and_sft():
    ds = load_dataset_named("bundled:math")
    assert len(ds) == 50 and {"prompt", "solution", "completion"} <= set(ds.column_names)
    assert all(s.startswith("$") and s.endswith("$") for s in ds["solution"])
    assert all("\\boxed{" in c and "<think>" in c for c in ds["completion"])


def test_mixture_keeps_weighted_fractions_and_selected_columns(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [{"problem": f"a{i}", "solution": "1", "x": i} for i in range(10)])
    b = write_jsonl(tmp_path / "b.jsonl", [{"problem": f"b{i}", "solution": "2", "y": i} for i in range(20)])
    opts = GRPOOptions.model_validate({"dataset_mixture": {"seed": 1, "datasets": [
        {"id": a, "columns": ["problem", "solution"], "weight": 0.5},
        {"id": b, "columns": ["problem", "solution"], "weight": 0.25}]}})
    ds = load_train_dataset(opts, "bundled:math")
    assert len(ds) == 5 + 5 and ds.column_names == ["problem", "solution"]
    assert sum(p.startswith("a") for p in ds["problem"]) == 5


def test_prompt_formatting_adds_system_and_keeps_reward_columns(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"problem": "1+1?", "solution": "$2$"}])
    ds = to_prompt_dataset(load_dataset_named(path), "prompt", "Be brief.")  # falls back to `problem`
    assert ds[0]["prompt"] == [{"role": "system", "content": "Be brief."},
                               {"role": "user", "content": "1+1?"}]
    assert ds[0]["solution"] == "$2$"


def test_sft_formatting_from_prompt_and_completion():
    opts = SFTOptions.model_validate({"system_prompt": "S"})
    ds = to_sft_dataset(load_dataset_named("bundled:math"), opts, "completion")
    assert ds.column_names == ["messages"]
    assert [m["role"] for m in ds[0]["messages"]] == ["system", "user", "assistant"]


@pytest.mark.parametrize("name, needle", [
    ("bundled:nope", "no bundled dataset 'nope'"),
    ("/no/such/org-or-file", "cannot load dataset '/no/such/org-or-file'"),
])
def test_unknown_datasets_are_data_errors(name, needle, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(DataError) as exc:
        load_dataset_named(name)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_missing_prompt_column_names_the_columns(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "hi"}])
    with pytest.raises(DataError, match=r"no prompt column 'prompt'.*one of: text"):
        to_prompt_dataset(load_dataset_named(path), "prompt", None)
