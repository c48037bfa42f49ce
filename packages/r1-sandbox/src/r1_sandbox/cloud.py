"""What the cloud providers (E2B, Morph) share: the job they upload and the verdict they map back.

Both run :mod:`r1_sandbox.cloud_runner` inside a fresh VM per request, so a program behaves the
same on either cloud. The runner knows no language: the job carries the program's file name and
its compile and run command lines, built here from :mod:`r1_sandbox.languages` (the table the local
sandbox uses), so flags and languages cannot drift. Its report of facts is judged by the local
sandbox's rules (:func:`r1_sandbox.verdicts.decide`), so a verdict means the same wherever the
program ran.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from importlib import resources
from typing import Any

from r1_core.errors import SandboxError
from r1_core.protocols import ExecRequest, ExecResult, Verdict

from r1_sandbox.isolation import Limits
from r1_sandbox.languages import LANGUAGES, language
from r1_sandbox.supervise import Outcome
from r1_sandbox.verdicts import decide

__all__ = ["COMPILE_BUDGET_S", "VM_TOOLS", "LoopSemaphores", "job_json", "lifetime_s", "parse_report",
           "program_plan", "result_from_report", "runner_source"]

COMPILE_BUDGET_S = 60.0  # the runner's compile wall limit
VM_TOOLS = {"python": "python3", "cxx": "g++", "cc": "gcc", "javac": "javac", "java": "java", "node": "node"}
"""The command a VM runs for each tool a :class:`~r1_sandbox.languages.Language` names."""


class LoopSemaphores:
    """One ``asyncio.Semaphore`` per event loop, so a provider's cap holds across concurrent calls.

    asyncio primitives bind to the loop that first waits on them; a provider used from several
    ``asyncio.run`` calls (or a router's loop and a trainer's) needs one per loop.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary())

    def get(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop not in self._by_loop:
            self._by_loop[loop] = asyncio.Semaphore(self.limit)
        return self._by_loop[loop]


def runner_source() -> str:
    return resources.files("r1_sandbox").joinpath("cloud_runner.py").read_text(encoding="utf-8")


def program_plan(request: ExecRequest) -> dict[str, Any]:
    """How the runner builds and runs the program: the languages table's command lines for a VM
    (its tools on ``PATH``, the build in the work dir). Raises :class:`SandboxError` for a language
    the table does not have."""
    lang = language(request.language)
    if lang is None:
        raise SandboxError(f"unknown language {request.language!r} for the cloud sandboxes",
                           f"use one of {', '.join(LANGUAGES)}")
    main = lang.source_name(request.source)
    compile_argv = None
    if lang.compiled:
        flags = list(request.compile_flags) if request.compile_flags is not None else list(lang.default_flags)
        compile_argv = lang.compile_argv(VM_TOOLS[lang.compiler], flags, lang.units(main, request.files),
                                         pch=False, fast_linker=False)
    run_argv = lang.run_argv(VM_TOOLS[lang.runner] if lang.runner else "", request.source, [], artifacts=".")
    return {"language": lang.name, "main": main, "compile_argv": compile_argv, "run_argv": run_argv,
            "address_space_limit": lang.address_space_limit}


def job_json(request: ExecRequest, *, isolate_network: bool = True) -> str:
    """The runner's job: the request with its defaults resolved and its program's command lines
    (the runner knows no defaults and no language)."""
    job: dict[str, Any] = {
        "program": program_plan(request),
        "source": request.source, "stdin": request.stdin, "files": request.files,
        "read_files": request.read_files, "args": request.args,
        "time_limit_s": request.time_limit_s, "wall_limit_s": request.effective_wall_limit_s,
        "memory_limit_mb": request.memory_limit_mb, "output_limit_bytes": request.output_limit_bytes,
        "stderr_limit_bytes": request.stderr_limit_bytes, "isolate_network": isolate_network,
    }
    return json.dumps(job)


def lifetime_s(request: ExecRequest, grace_s: float) -> int:
    """How long the VM may live: compile + run + upload/teardown slack (whole seconds)."""
    return int(COMPILE_BUDGET_S + request.effective_wall_limit_s + grace_s + 0.999)


def _verdict(report: dict[str, Any], request: ExecRequest) -> tuple[Verdict, str]:
    """The runner's facts as the supervisor's :class:`Outcome`, judged by the local rules."""
    sig, code = report.get("signal"), report.get("exit_code")
    failed = sig is not None or code not in (0, None)
    memory = request.memory_limit_mb << 20
    peak = int(report.get("peak_memory_bytes", 0))
    killed_for = "stdout" if report.get("stdout_over") else "wall" if report.get("wall_timeout") else None
    outcome = Outcome(
        started=True, exit_code=code, signal=sig, cpu_s=float(report.get("cpu_time_s", 0.0)),
        wall_s=float(report.get("wall_time_s", 0.0)), peak_memory_bytes=peak,
        # A VM has no memory cgroup to report OOM kills: a failed run that reached 90 % of its
        # address-space limit is the cloud's evidence of one.
        oom_kills=int(failed and peak >= 0.9 * memory),
        stderr=str(report.get("stderr", "")).encode("utf-8", errors="replace"), killed_for=killed_for)
    limits = Limits(
        cpu_s=request.time_limit_s, wall_s=request.effective_wall_limit_s, memory_bytes=memory, pids=0,
        file_size_bytes=request.output_limit_bytes, open_files=0, stdout_bytes=request.output_limit_bytes,
        stderr_keep_bytes=request.stderr_limit_bytes, stderr_hard_bytes=request.stderr_limit_bytes)
    return decide(outcome, limits)


def result_from_report(report: dict[str, Any], request: ExecRequest, *, provider: str) -> ExecResult:
    """Map the runner's facts to an :class:`ExecResult` (``SE`` when the runner itself failed)."""
    base = {"provider": provider, "id": request.id}
    if report.get("error"):
        return ExecResult(verdict=Verdict.SE, message=str(report["error"]), **base)
    compiled = report.get("compile") or {}
    compile_fields = {"compile_output": compiled.get("output", ""),
                      "compile_time_s": compiled.get("time_s", 0.0)}
    if compiled.get("missing"):
        return ExecResult(verdict=Verdict.SE, message=compiled.get("output", ""), **compile_fields, **base)
    if compiled and not compiled.get("ok"):
        return ExecResult(verdict=Verdict.CE, message="compilation failed", **compile_fields, **base)
    verdict, message = _verdict(report, request)
    return ExecResult(
        verdict=verdict, message=message, exit_code=report.get("exit_code"), signal=report.get("signal"),
        cpu_time_s=report.get("cpu_time_s", 0.0), wall_time_s=report.get("wall_time_s", 0.0),
        peak_memory_bytes=report.get("peak_memory_bytes", 0), stdout=report.get("stdout", ""),
        stderr=report.get("stderr", ""), files=report.get("files", {}), **compile_fields, **base)


def parse_report(stdout: str) -> dict[str, Any]:
    """The runner prints exactly one JSON object; anything else means the VM side broke."""
    try:
        report = json.loads(stdout)
    except (ValueError, TypeError):
        return {"error": f"runner printed no report: {str(stdout)[-300:]!r}"}
    return report if isinstance(report, dict) else {"error": f"runner report is not an object: {report!r}"}
