"""Read a dataset named on the command line — a name of :mod:`r1_core.dataset_names` (a local
JSONL/JSON/Parquet file, ``bundled:<name>``, a Hub dataset ``org/name[:config]``) or a registered
benchmark — and write JSONL."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from r1_core.dataset_names import parse_dataset_name
from r1_core.errors import DataError, UnknownNameError
from r1_core.files import atomic_write_text
from r1_core.protocols import BenchmarkWithText

__all__ = ["TEXT_COLUMNS", "Table", "load_table", "text_column", "write_jsonl"]

TEXT_COLUMNS = ("problem", "prompt", "question")


class Table:
    """Rows of a dataset plus where they came from and, for benchmarks, their text column."""

    def __init__(self, name: str, rows: list[dict[str, Any]], *, kind: str,
                 text_column: str | None = None, texts: list[str] | None = None) -> None:
        self.name = name
        self.rows = rows
        self.kind = kind
        self.text_column = text_column
        self._texts = texts

    def __len__(self) -> int:
        return len(self.rows)

    def texts(self, column: str | None = None) -> list[str]:
        """The text of every row from ``column`` (default: the table's own or the first present)."""
        if column is None and self._texts is not None:
            return self._texts
        col = column or self.text_column or text_column(self.rows, self.name)
        missing = next((i for i, r in enumerate(self.rows) if col not in r), None)
        if missing is not None:
            cols = ", ".join(sorted(self.rows[missing]))
            raise DataError(f"{self.name}: row {missing} has no column {col!r} (columns: {cols})",
                            "pass --column with one of those")
        return ["" if r[col] is None else str(r[col]) for r in self.rows]


def text_column(rows: Sequence[dict[str, Any]], name: str) -> str:
    """The first of ``problem``, ``prompt``, ``question`` that the rows have."""
    if not rows:
        raise DataError(f"{name} has no rows", "check the file or split")
    for col in TEXT_COLUMNS:
        if col in rows[0]:
            return col
    raise DataError(f"{name} has none of the columns {', '.join(TEXT_COLUMNS)} "
                    f"(columns: {', '.join(sorted(rows[0]))})", "pass --column NAME")


def _read_local(path: Path) -> list[dict[str, Any]]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return pq.read_table(path).to_pylist()
        except Exception as exc:
            raise DataError(f"cannot read Parquet file {path}: {exc}", "check the file") from None
    if suffix not in (".jsonl", ".json", ".ndjson"):
        raise DataError(f"unsupported file type {path.name!r}", "use .jsonl, .json or .parquet")
    text = path.read_text(encoding="utf-8")
    if suffix == ".json" and text.lstrip().startswith("["):
        return list(json.loads(text))
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{lineno}: invalid JSON ({exc.msg})", "fix or remove that line") from None
    return rows


def _read_benchmark(name: str, offline: bool | None) -> Table | None:
    from r1_core.api import get_benchmark

    try:
        bench = get_benchmark(name)
    except UnknownNameError:
        return None
    rows = bench.load(offline=offline)
    if isinstance(bench, BenchmarkWithText):
        return Table(name, rows, kind="benchmark", text_column=bench.text_column,
                     texts=[bench.text(r) for r in rows])
    return Table(name, rows, kind="benchmark", texts=[_prompt_text(bench.prompt(r)) for r in rows])


def _prompt_text(prompt: Any) -> str:
    if isinstance(prompt, str):
        return prompt
    return "\n".join(str(m.get("content", "")) for m in prompt)


def _read_hub(spec: str, name: str, config: str | None, split: str) -> list[dict[str, Any]]:
    from r1_core.hub import hub_reachable

    if not hub_reachable(datasets=True):
        raise DataError(f"{spec!r} is not a local file or registered benchmark, and the Hub is unreachable",
                        "pass a local .jsonl/.parquet file or a benchmark from `r1 benchmarks list`")
    import datasets

    try:
        ds = datasets.load_dataset(name, config, split=split)
    except Exception as exc:
        raise DataError(f"cannot load Hub dataset {spec!r} split {split!r}: {type(exc).__name__}: {exc}",
                        "check the name, config and --split") from None
    return [dict(r) for r in ds]


def load_table(spec: str, *, split: str = "train", offline: bool | None = None,
               benchmarks: bool = True) -> Table:
    """Resolve ``spec``: a local file, a bundled set, a registered benchmark, then a Hub dataset."""
    parsed = parse_dataset_name(spec)
    if parsed.kind == "file":
        return Table(str(parsed.path), _read_local(parsed.path), kind="file")
    if parsed.kind == "dir":
        raise DataError(f"{spec} is a directory", "pass one .jsonl/.json/.parquet file")
    if parsed.kind == "bundled":
        from r1_core.training.data import load_dataset_named

        return Table(spec, [dict(r) for r in load_dataset_named(spec)], kind="bundled")
    if benchmarks and parsed.config is None:
        table = _read_benchmark(spec, offline)
        if table is not None:
            return table
    if "/" not in parsed.name:
        raise DataError(f"{spec!r} is not a file, a bundled set, a registered benchmark or a Hub dataset id",
                        "see `r1 benchmarks list`, or pass a path to a .jsonl/.parquet file")
    return Table(spec, _read_hub(spec, parsed.name, parsed.config, split), kind="hub")


def write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> Path:
    """Write rows as JSONL atomically."""
    return atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n"
                                           for r in rows))
