"""Shared fixtures: a scripted fake sandbox for pure scoring logic, the real local sandbox for the rest."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from r1_core import ExecRequest, ExecResult, Verdict, get_sandbox
from r1_core.protocols import Sandbox

PROBLEMS = Path(__file__).resolve().parents[1] / "src" / "r1_cp" / "problems"


class ScriptedSandbox:
    """Runs no code: a submission's source is JSON {stdin: stdout | verdict name}.

    Checker requests (``args`` set) answer with the script's entry for the program output.
    Every request is recorded so tests can count runs and batches.
    """

    name = "scripted"

    def __init__(self) -> None:
        self.batches: list[list[ExecRequest]] = []

    @property
    def requests(self) -> list[ExecRequest]:
        return [r for b in self.batches for r in b]

    def run(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        self.batches.append(list(requests))
        return [self._one(r) for r in requests]

    async def arun(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        return self.run(requests)

    def close(self) -> None:
        pass

    def _one(self, req: ExecRequest) -> ExecResult:
        # code patching may prepend lines (imports) to a submission: the script is what follows
        if req.source.endswith("CE"):
            return ExecResult(verdict=Verdict.CE, compile_output="error: expected ';'", id=req.id)
        script = json.loads(req.source[req.source.index("{") :]) if "{" in req.source else {}
        key = req.files["output.txt"] if req.args else req.stdin
        answer = script.get(key, "")
        if isinstance(answer, str) and answer in Verdict.__members__:
            code = {"RE": 1}.get(answer)
            return ExecResult(verdict=Verdict(answer), exit_code=code, id=req.id)
        if isinstance(answer, dict):  # checker reply: {"exit": n, "stdout": s}
            verdict = Verdict.OK if answer["exit"] == 0 else Verdict.RE
            return ExecResult(
                verdict=verdict, exit_code=answer["exit"], stdout=answer.get("stdout", ""), id=req.id
            )
        return ExecResult(
            verdict=Verdict.OK,
            exit_code=0,
            stdout=answer,
            cpu_time_s=0.01,
            peak_memory_bytes=1 << 20,
            id=req.id,
        )


@pytest.fixture
def scripted() -> ScriptedSandbox:
    return ScriptedSandbox()


@pytest.fixture(scope="session")
def local_sandbox() -> Iterator[Sandbox]:
    box = get_sandbox("local")
    yield box
    box.close()


@pytest.fixture(scope="session")
def problems_dir() -> Path:
    return PROBLEMS
