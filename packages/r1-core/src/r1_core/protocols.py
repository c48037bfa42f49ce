"""Protocols and data types shared by every r1 package (architecture.md §3).

``ExecRequest`` / ``ExecResult`` are the wire format of every sandbox provider (local, router,
e2b, morph); they are pydantic models so they validate and serialise identically everywhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

__all__ = [
    "OPTIONAL_PROTOCOLS",
    "Benchmark",
    "BenchmarkWithDetails",
    "BenchmarkWithProvenance",
    "BenchmarkWithText",
    "ExecRequest",
    "ExecResult",
    "RewardFunc",
    "Sandbox",
    "SandboxWithInFlightLimit",
    "SandboxWithTier",
    "ScoreSummary",
    "Scorer",
    "Trainer",
    "Verdict",
]


class Verdict(StrEnum):
    """Outcome of one execution: what every sandbox reports.

    Judging an output (accepted, wrong, partial) is not an execution outcome; a package that judges
    (r1-cp) keeps its own verdicts on top of these.
    """

    OK = "OK"  # ran to completion with exit code 0
    RE = "RE"  # runtime error: non-zero exit or killed by a signal
    TLE = "TLE"  # CPU-time or wall-time limit exceeded
    MLE = "MLE"  # memory limit exceeded
    OLE = "OLE"  # output limit exceeded
    CE = "CE"  # compilation failed
    SE = "SE"  # the sandbox itself failed: never the program's fault


class ExecRequest(BaseModel):
    """One program execution.

    ``source`` is the main file; ``files`` adds more files to the work dir (headers, graders,
    USACO input files). ``read_files`` names files the program writes that come back in
    :attr:`ExecResult.files`.
    """

    model_config = ConfigDict(extra="forbid")

    language: str = Field(description="python, cpp, c, ... (what the provider supports)")
    source: str = Field(description="program text of the main file")
    stdin: str = ""
    files: dict[str, str] = Field(default_factory=dict, description="extra files: relative path -> text")
    read_files: list[str] = Field(default_factory=list, description="files to return after the run")
    args: list[str] = Field(default_factory=list, description="command-line arguments")
    time_limit_s: float = Field(2.0, gt=0, description="CPU-time limit, summed over all processes")
    wall_limit_s: float | None = Field(None, gt=0, description="wall-clock backstop; default 3×time+1")
    memory_limit_mb: int = Field(256, gt=0, description="memory limit of the whole process tree")
    output_limit_bytes: int = Field(16 << 20, gt=0, description="stdout cap; more is OLE")
    stderr_limit_bytes: int = Field(64 << 10, gt=0, description="stderr is truncated, not judged")
    compile_flags: list[str] | None = Field(None, description="override the language's default flags")
    id: str | None = Field(None, description="caller's tag, echoed in the result")

    @property
    def effective_wall_limit_s(self) -> float:
        return self.wall_limit_s if self.wall_limit_s is not None else 3 * self.time_limit_s + 1


_LEGACY_DETAILS = ("tier", "cached_compile")  # top-level keys of results before issue 16


class ExecResult(BaseModel):
    """What happened when an :class:`ExecRequest` ran: the facts any sandbox reports.

    What only some providers know goes in ``details`` (the local sandbox: ``tier``, its isolation
    tier, and ``cached_compile``, whether the build came from its compile cache); each provider's
    documentation names its keys. Results written before ``details`` existed, with ``tier`` and
    ``cached_compile`` at the top level, still parse: those keys are moved into ``details``.
    """

    model_config = ConfigDict(extra="ignore")

    verdict: Verdict
    exit_code: int | None = None
    signal: int | None = None
    cpu_time_s: float = 0.0
    wall_time_s: float = 0.0
    peak_memory_bytes: int = 0
    stdout: str = ""
    stderr: str = ""
    compile_output: str = ""
    compile_time_s: float = Field(0.0, description="wall time of the compile step (0: none, or cached)")
    files: dict[str, str] = Field(default_factory=dict)
    provider: str = ""
    message: str = Field("", description="why, for SE/CE/limits; human readable")
    id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict,
                                    description="provider-specific facts (keys documented by the provider)")

    @model_validator(mode="before")
    @classmethod
    def _fold_legacy_details(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not any(key in data for key in _LEGACY_DETAILS):
            return data
        data = dict(data)
        details = dict(data.get("details") or {})
        for key in _LEGACY_DETAILS:
            value = data.pop(key, None)
            if value not in (None, "", False):  # the old defaults said nothing
                details.setdefault(key, value)
        data["details"] = details
        return data

    @property
    def ok(self) -> bool:
        return self.verdict == Verdict.OK

    @computed_field  # type: ignore[prop-decorator]
    @property
    def tier(self) -> str:
        """The isolation tier the program ran under, for providers that have tiers ('' otherwise).

        Read from ``details``; it is also written at the top level of the JSON form, as the
        architecture's result format names it, and folded back into ``details`` on parsing."""
        return str(self.details.get("tier") or "")


@runtime_checkable
class Sandbox(Protocol):
    """A code-execution provider. Batch-first: results come back in request order.

    Providers never raise for a program's misbehaviour; infrastructure failures of one request
    become a result with verdict ``SE`` and a ``message``.
    """

    name: str

    def run(self, requests: Sequence[ExecRequest]) -> list[ExecResult]: ...

    async def arun(self, requests: Sequence[ExecRequest]) -> list[ExecResult]: ...

    def close(self) -> None: ...


RewardFunc = Callable[..., "list[float | None] | Awaitable[list[float | None]]"]
"""TRL's reward protocol: ``f(prompts=..., completions=..., completion_ids=..., **columns)``."""


@runtime_checkable
class ScoreSummary(Protocol):
    """The least a scorer's result offers: the points earned and the points possible.

    A scorer's own package may return more (per-subtask and per-test detail); code that needs it
    uses that package's result type.
    """

    score: float
    max_score: float


@runtime_checkable
class Scorer(Protocol):
    """Scores a submission on a problem using a sandbox (``r1_register_scorers``).

    ``problem`` is whatever the scorer's package loads problems as; the result is a
    :class:`ScoreSummary` (at least ``score`` and ``max_score``).
    """

    name: str

    def score(self, problem: Any, source: str, language: str, sandbox: Sandbox) -> ScoreSummary: ...


@runtime_checkable
class Benchmark(Protocol):
    """An evaluation benchmark: rows, prompts, scoring."""

    name: str

    def load(self, *, limit: int | None = None, offline: bool | None = None) -> list[dict[str, Any]]: ...

    def prompt(self, row: dict[str, Any]) -> str | list[dict[str, str]]: ...

    def score(self, row: dict[str, Any], completions: list[str]) -> list[float]: ...


@runtime_checkable
class Trainer(Protocol):
    """What ``r1 train <name>`` runs: a pydantic config class and ``run(config)``."""

    name: str
    config_class: type[BaseModel]

    def run(self, config: Any) -> Any: ...


# -- optional protocols: extras a plugin object may offer; r1 checks with isinstance and uses them


@runtime_checkable
class BenchmarkWithDetails(Protocol):
    """A benchmark that reports more than a score per completion (``r1 eval`` writes it to
    ``details.jsonl``): each dict has ``score`` and may add ``verdicts``, ``system_errors`` ..."""

    def score_details(self, row: dict[str, Any], completions: list[str]) -> list[dict[str, Any]]: ...


@runtime_checkable
class BenchmarkWithProvenance(Protocol):
    """A benchmark that says what exactly was evaluated (``r1 eval`` records it in ``results.json``).

    ``provenance`` describes the rows last loaded (dataset, split, revision, bundled ...);
    ``revision`` pins the source (commit sha, branch or tag; None: latest); ``prompt_template``
    is the template :meth:`Benchmark.prompt` fills (None when prompts are built otherwise).
    """

    provenance: dict[str, Any]
    revision: str | None
    prompt_template: str | None


@runtime_checkable
class BenchmarkWithText(Protocol):
    """A benchmark that gives the problem statement of a row apart from its prompt
    (``r1 data decontaminate`` matches statements, not prompt boilerplate)."""

    text_column: str | None  # the column holding the statement; None when text() combines several

    def text(self, row: dict[str, Any]) -> str: ...


@runtime_checkable
class SandboxWithInFlightLimit(Protocol):
    """A sandbox that bounds its programs itself and says how many calls are worth having in flight
    (the router admits up to that many at once instead of its ``max_concurrency``)."""

    in_flight_limit: int


@runtime_checkable
class SandboxWithTier(Protocol):
    """A sandbox with isolation tiers that says which one it runs programs under (the router's
    ``/health`` reports it; the local sandbox: ``strict``, ``rootless`` ...)."""

    tier: str


OPTIONAL_PROTOCOLS: tuple[type, ...] = (BenchmarkWithDetails, BenchmarkWithProvenance, BenchmarkWithText,
                                        SandboxWithInFlightLimit, SandboxWithTier)
"""The optional protocols above, each documented in docs/plugins.md."""
