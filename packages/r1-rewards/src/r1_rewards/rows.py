"""Reading ``r1 reward`` input: JSONL rows ``{"completion": ..., <dataset columns>}``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from r1_core.errors import DataError

__all__ = ["read_rows", "reward_kwargs"]


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    if not p.is_file():
        raise DataError(f"input file {str(p)!r} does not exist", "pass a JSONL file with --input")
    rows = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{p}:{n}: not valid JSON ({exc.msg})", "one JSON object per line") from None
        if not isinstance(row, dict) or "completion" not in row:
            raise DataError(f"{p}:{n}: each row needs a 'completion' field",
                            'write rows like {"completion": "...", "solution": "..."}')
        rows.append(row)
    if not rows:
        raise DataError(f"{p} holds no rows", "write one JSON object per line")
    return rows


def reward_kwargs(rows: list[dict[str, Any]], completions: list[Any] | None = None) -> dict[str, Any]:
    """TRL-style keyword arguments: ``completions``, ``prompts`` and one list per column."""
    columns = sorted({k for row in rows for k in row if k != "completion"})
    kwargs: dict[str, Any] = {k: [row.get(k) for row in rows] for k in columns}
    kwargs["completions"] = completions if completions is not None else [r["completion"] for r in rows]
    prompts = kwargs.pop("prompt", None)
    kwargs["prompts"] = prompts if prompts is not None else [None] * len(rows)
    return kwargs
