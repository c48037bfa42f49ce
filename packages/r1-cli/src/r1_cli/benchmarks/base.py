"""Shared behaviour of r1's Hub-backed benchmarks: loading, provenance, prompt rendering."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from r1_core.errors import DataError

from r1_cli.benchmarks.source import HubSource, load_rows

__all__ = ["HubBenchmark"]


class HubBenchmark:
    """A benchmark whose rows come from a Hub dataset (or its bundled sample).

    Subclasses set ``name``, ``source``, ``text_column``, ``prompt_template`` and implement
    ``score``; ``revision`` pins the Hub dataset (commit sha, branch or tag). ``provenance``
    describes the rows last loaded (dataset, split, revision, bundled),
    so results record exactly what was evaluated.
    """

    name: ClassVar[str]
    source: HubSource
    text_column: ClassVar[str]
    prompt_template: ClassVar[str]

    def __init__(self, revision: str | None = None) -> None:
        if revision is not None:  # pin the Hub dataset to a commit, branch or tag
            self.source = dataclasses.replace(self.source, revision=revision)
        self.provenance: dict[str, Any] = self.source.describe()

    @property
    def revision(self) -> str | None:
        return self.provenance.get("revision")

    def load(self, *, limit: int | None = None, offline: bool | None = None) -> list[dict[str, Any]]:
        rows, self.provenance = load_rows(self.name, self.source, limit=limit, offline=offline)
        for i, row in enumerate(rows):
            if self.text_column not in row:
                raise DataError(f"{self.name} row {i} has no column {self.text_column!r} "
                                f"(columns: {', '.join(sorted(row))})",
                                "the dataset schema changed; pin a revision or use --offline")
        return rows

    def text(self, row: dict[str, Any]) -> str:
        """The problem statement (used for decontamination)."""
        return str(row[self.text_column])

    def prompt(self, row: dict[str, Any]) -> str | list[dict[str, str]]:
        return self.prompt_template.format(problem=self.text(row))

    def score(self, row: dict[str, Any], completions: list[str]) -> list[float]:
        raise NotImplementedError
