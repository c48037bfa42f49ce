"""``r1 data generate``: completions for every row of a dataset from an OpenAI-compatible server.

Requests run concurrently (bounded), each finished row is appended to the JSONL output at once
(fsync'd), and a rerun skips rows already there — keyed by ``--key-column`` or by a hash of the
prompt — so an interrupted run resumes where it stopped. Output rows are the input row plus
``generations``, ``finish_reasons`` and ``api_metadata`` (open-r1's generate_reasoning format).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from r1_core.errors import ConfigError, DataError, R1Error
from r1_core.files import append_jsonl

from r1_cli.generation import OpenAIGenerator, SamplingParams, as_messages

__all__ = ["GenerateStats", "build_messages", "generate_rows", "row_key"]


@dataclass
class GenerateStats:
    rows: int = 0
    skipped: int = 0
    written: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "skipped": self.skipped, "written": self.written,
                "failed": self.failed, "errors": self.errors[:5]}


def build_messages(row: dict[str, Any], column: str, template: str | None,
                   system_prompt: str | None) -> list[dict[str, str]]:
    """The chat prompt of one row: its ``column`` text, optionally put into ``template``."""
    if column not in row:
        raise DataError(f"row has no column {column!r} (columns: {', '.join(sorted(row))})",
                        "pass --column with one of those")
    value = row[column]
    if isinstance(value, list):  # already chat messages
        return as_messages(value, system_prompt)
    text = str(value)
    if template:
        try:
            text = template.format_map({**row, "prompt": text})
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"--prompt-template cannot be filled: {exc!r}",
                              "use {prompt} or {<column>} placeholders; double literal braces") from None
    return as_messages(text, system_prompt)


def row_key(row: dict[str, Any], messages: list[dict[str, str]], key_column: str | None) -> str:
    if key_column:
        if key_column not in row:
            raise DataError(f"row has no key column {key_column!r}", "check --key-column")
        return str(row[key_column])
    return hashlib.md5(json.dumps(messages, sort_keys=True).encode()).hexdigest()


def _done_keys(output: Path) -> set[str]:
    """Keys already written; a torn last line (crash mid-write) is cut off so appends stay valid."""
    if not output.exists():
        return set()
    data = output.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[:data.rfind(b"\n") + 1]
        output.write_bytes(data)
    keys = set()
    for line in data.decode("utf-8").splitlines():
        try:
            keys.add(str(json.loads(line)["r1_key"]))
        except (ValueError, KeyError, TypeError):
            continue
    return keys


async def _run(rows: Sequence[dict[str, Any]], todo: list[tuple[int, str, list[dict[str, str]]]],
               generator: OpenAIGenerator, params: SamplingParams, output: Path, stats: GenerateStats,
               progress: Callable[[int], None] | None) -> None:
    gate = asyncio.Semaphore(generator.concurrency)

    async def one(client: Any, index: int, key: str, messages: list[dict[str, str]]) -> None:
        async with gate:
            try:
                outs, usage = await generator.complete(client, messages, params)
            except R1Error as exc:
                stats.failed += 1
                stats.errors.append(f"row {index}: {exc}")
            else:
                append_jsonl(output, {**rows[index], "generations": [c.text for c in outs],
                                      "finish_reasons": [c.finish_reason for c in outs],
                                      "api_metadata": usage, "r1_key": key})
                stats.written += 1
        if progress:
            progress(1)

    async with generator.client() as client:
        await asyncio.gather(*(one(client, i, k, m) for i, k, m in todo))


def generate_rows(rows: Sequence[dict[str, Any]], generator: OpenAIGenerator, params: SamplingParams,
                  output: str | Path, *, column: str, template: str | None = None,
                  system_prompt: str | None = None, key_column: str | None = None,
                  progress: Callable[[int], None] | None = None,
                  on_start: Callable[[int], None] | None = None) -> GenerateStats:
    """Generate for every row not yet in ``output``; returns counts (written, skipped, failed)."""
    out = Path(output)
    done = _done_keys(out)
    stats = GenerateStats(rows=len(rows))
    todo = []
    for i, row in enumerate(rows):
        messages = build_messages(row, column, template, system_prompt)
        key = row_key(row, messages, key_column)
        if key in done:
            stats.skipped += 1
        else:
            todo.append((i, key, messages))
            done.add(key)  # duplicates within the input are generated once
    if on_start:
        on_start(len(todo))
    asyncio.run(_run(rows, todo, generator, params, out, stats, progress))
    if todo and stats.failed == len(todo):
        raise R1Error(f"every request failed ({stats.errors[0]})",
                      "check --base-url and --model; rerun to resume")
    return stats
