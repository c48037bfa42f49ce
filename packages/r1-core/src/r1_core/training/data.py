"""Training data: loading (Hub, local files, bundled sets), mixtures and chat formatting.

Dataset names follow :mod:`r1_core.dataset_names`. ``bundled:<name>`` is a dataset a plugin
registered (hook ``r1_register_datasets``; ``r1 datasets list``), e.g. r1-rewards' ``math`` and
r1-cp's ``ioi``, ``ioi-warmup``, ``codeforces`` ...

A directory is one written by ``Dataset.save_to_disk`` or one holding data files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from r1_core.dataset_names import BUNDLED_PREFIX, parse_dataset_name
from r1_core.errors import ConfigError, DataError

if TYPE_CHECKING:
    from datasets import Dataset

    from r1_core.training.options import RunOptions

__all__ = [
    "build_mixture", "load_dataset_named", "load_train_dataset", "to_prompt_dataset",
    "to_sft_dataset",
]

_FORMATS = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}


def _bundled(name: str) -> Dataset:
    from datasets import Dataset

    from r1_core.plugin_host import get_host
    from r1_core.registry import normalize

    registry = get_host().registry("datasets")
    if name not in registry:
        known = ", ".join(registry.names()) or "none (pip install r1-rewards or r1-cp)"
        raise DataError(f"no bundled dataset {name!r}",
                        f"registered datasets: {known} (`r1 datasets list`)")
    entry = registry.entry(name)
    rows = entry.obj()
    if isinstance(rows, Dataset):
        return rows
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise DataError(f"dataset {BUNDLED_PREFIX}{normalize(name)} ({entry.provider}) did not return rows",
                        "a registered dataset returns a list of dicts or a datasets.Dataset")
    return Dataset.from_list(rows)


def _from_files(files: list[Path], split: str) -> Dataset:
    from datasets import load_dataset

    kinds = {_FORMATS.get(f.suffix) for f in files}
    if None in kinds or len(kinds) != 1:
        raise DataError(f"cannot read {', '.join(map(str, files))}",
                        "use .jsonl, .json, .parquet or .csv files")
    try:
        return load_dataset(kinds.pop(), data_files=[str(f) for f in files], split="train")
    except Exception as exc:  # datasets raises many types for malformed files
        raise DataError(f"cannot read {files[0]}: {str(exc).splitlines()[0]}", "fix the file") from None


def load_dataset_named(name: str, config: str | None = None, split: str = "train") -> Dataset:
    """One split of a dataset named as :mod:`r1_core.dataset_names` describes."""
    parsed = parse_dataset_name(name, config)
    if parsed.kind == "bundled":
        return _bundled(parsed.name)
    if parsed.kind == "file":
        return _from_files([parsed.path], split)
    if parsed.kind == "dir":
        return _from_dir(parsed.path, split)
    return _from_hub(parsed.name, parsed.config, split)


def _from_dir(path: Path, split: str) -> Dataset:
    from datasets import DatasetDict, load_from_disk

    if (path / "dataset_info.json").is_file() or (path / "dataset_dict.json").is_file():
        loaded = load_from_disk(str(path))
        if isinstance(loaded, DatasetDict):
            if split not in loaded:
                raise DataError(f"{path} has no split {split!r} (has {', '.join(loaded)})",
                                "set --dataset-train-split")
            return loaded[split]
        return loaded
    files = sorted(f for f in path.iterdir() if f.suffix in _FORMATS and split in f.stem) or sorted(
        f for f in path.iterdir() if f.suffix in _FORMATS)
    if not files:
        raise DataError(f"{path} holds no dataset files", "use .jsonl, .json, .parquet or .csv files")
    return _from_files(files, split)


def _from_hub(name: str, config: str | None, split: str) -> Dataset:
    from datasets import load_dataset

    try:
        return load_dataset(name, config, split=split)
    except Exception as exc:  # offline, unknown id, bad config: all mean "cannot get it"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(f"cannot load dataset {name!r} (split {split!r}): {first[:200]}",
                        "pass a local file/dir or bundled:<name>; the Hub may be unreachable") from None


def load_train_dataset(opts: RunOptions, default: str | None) -> Dataset:
    """The training split from ``dataset_name`` or ``dataset_mixture`` (or ``default``; None: the
    rewards name no dataset, so one must be given)."""

    mixture = opts.dataset_mixture
    if mixture is None:
        name = opts.dataset_name or default
        if name is None:
            rewards = ", ".join(getattr(opts, "reward_funcs", None) or []) or "none"
            raise DataError(f"no dataset given and no reward of this run ({rewards}) names a default one",
                            "pass --dataset (a Hub id, a .jsonl/.parquet file or bundled:<name>; "
                            "see `r1 datasets list`)")
        ds = load_dataset_named(name, opts.dataset_config, opts.dataset_train_split)
    else:
        ds = build_mixture(mixture)[0]
    if opts.max_train_samples is not None:
        ds = ds.select(range(min(opts.max_train_samples, len(ds))))
    if len(ds) == 0:
        raise DataError("the training dataset is empty", "check --dataset and its split")
    return ds


def _prompt_column(ds: Dataset, wanted: str) -> str:
    for col in (wanted, "problem", "question"):
        if col in ds.column_names:
            return col
    raise DataError(f"the dataset has no prompt column {wanted!r}",
                    f"set --dataset-prompt-column to one of: {', '.join(ds.column_names)}")


def _messages(system: str | None, turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if system and not (turns and turns[0].get("role") == "system"):
        return [{"role": "system", "content": system}, *turns]
    return turns


def to_prompt_dataset(ds: Dataset, prompt_column: str, system_prompt: str | None) -> Dataset:
    """Rows with a conversational ``prompt`` (system + user turns); other columns stay for the rewards."""
    col = _prompt_column(ds, prompt_column)

    def convert(row: dict[str, Any]) -> dict[str, Any]:
        value = row[col]
        turns = value if isinstance(value, list) else [{"role": "user", "content": str(value)}]
        return {"prompt": _messages(system_prompt, turns)}

    drop = [c for c in ("messages",) if c in ds.column_names]
    if col != "prompt" and "prompt" in ds.column_names:
        drop.append("prompt")
    return ds.map(convert, remove_columns=drop)


def to_sft_dataset(ds: Dataset, opts: RunOptions, completion_column: str) -> Dataset:
    """Rows with chat ``messages`` (system prompt added), from messages or prompt + completion columns."""
    if "messages" in ds.column_names:
        return ds.map(lambda r: {"messages": _messages(opts.system_prompt, r["messages"])},
                      remove_columns=[c for c in ds.column_names if c != "messages"])
    prompt = _prompt_column(ds, opts.dataset_prompt_column)
    answer = next((c for c in (completion_column, "solution", "response") if c in ds.column_names), None)
    if answer is None:
        raise DataError(f"the dataset has no 'messages' column and no answer column {completion_column!r}",
                        f"set --completion-column to one of: {', '.join(ds.column_names)}")

    def convert(row: dict[str, Any]) -> dict[str, Any]:
        turns = [{"role": "user", "content": str(row[prompt])},
                 {"role": "assistant", "content": str(row[answer])}]
        return {"messages": _messages(opts.system_prompt, turns)}

    return ds.map(convert, remove_columns=ds.column_names)


def build_mixture(mixture: Any) -> tuple[Any, Any | None, list[dict[str, Any]]]:
    """The mixed train split, the test split (or None) and per-source row counts."""
    import datasets

    bars_were_on = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # per-file "Generating split" bars would bury the result
    try:
        return _build(mixture)
    finally:
        if bars_were_on:
            datasets.enable_progress_bars()


def _build(mixture: Any) -> tuple[Any, Any | None, list[dict[str, Any]]]:
    from datasets import concatenate_datasets

    parts, counts = [], []
    for src in mixture.datasets:
        part = load_dataset_named(src.id, src.config, src.split)
        if src.columns:
            missing = [c for c in src.columns if c not in part.column_names]
            if missing:
                raise DataError(f"dataset {src.id!r} has no column(s) {', '.join(missing)}",
                                f"it has: {', '.join(part.column_names)}")
            part = part.select_columns(src.columns)
        if src.weight is not None:
            if src.weight < 0:
                raise ConfigError(f"weight of {src.id!r} is negative ({src.weight})",
                                  "use a fraction in [0, 1]")
            part = part.shuffle(seed=mixture.seed).select(range(min(len(part), int(len(part) * src.weight))))
        counts.append({"id": src.id, "config": src.config, "split": src.split, "weight": src.weight,
                       "rows": len(part)})
        parts.append(part)
    first = parts[0].column_names
    for src, part in zip(mixture.datasets[1:], parts[1:], strict=True):
        if set(part.column_names) != set(first):
            raise DataError(f"mixture sources have different columns: {mixture.datasets[0].id!r} has "
                            f"{sorted(first)}, {src.id!r} has {sorted(part.column_names)}",
                            "select the same columns in every source with `columns:`")
    try:
        mixed = concatenate_datasets(parts).shuffle(seed=mixture.seed)
    except ValueError as exc:
        raise DataError(f"the datasets of the mixture have different columns: {exc}",
                        "select the same columns in every source with `columns:`") from None
    if mixture.test_split_size:
        split = mixed.train_test_split(test_size=mixture.test_split_size, seed=mixture.seed)
        return split["train"], split["test"], counts
    return mixed, None, counts
