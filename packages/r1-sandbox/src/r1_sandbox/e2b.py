"""The ``e2b`` sandbox provider: each request runs in a fresh E2B cloud sandbox, internet off.

Needs ``pip install "r1-sandbox[e2b]"`` and ``E2B_API_KEY``. Unlike open-r1's E2B provider, a
failure to create or reach a sandbox affects only that request (``SE`` with the reason), every
step has an explicit timeout, and the sandbox is always killed.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Any

from r1_core.errors import ConfigError, MissingExtraError
from r1_core.protocols import ExecRequest, ExecResult, Verdict

from r1_sandbox.cloud import (
    LoopSemaphores,
    job_json,
    lifetime_s,
    parse_report,
    result_from_report,
    runner_source,
)

__all__ = ["E2BSandbox"]

KEY_ENV = "E2B_API_KEY"


def _sdk() -> Any:
    try:
        import e2b_code_interpreter
    except ImportError:
        raise MissingExtraError("the E2B SDK (e2b-code-interpreter)", "r1-sandbox[e2b]") from None
    return e2b_code_interpreter


class E2BSandbox:
    """Runs requests in E2B sandboxes, ``max_parallel`` at a time (E2B plans cap concurrent sandboxes).

    Args:
        api_key: default ``$E2B_API_KEY``.
        template: E2B template (default: the SDK's code-interpreter template); C and C++ need a
            template with gcc/g++ (a missing compiler is reported as ``SE``, not ``CE``).
        max_parallel: sandboxes alive at once from this provider.
        request_timeout_s: timeout of each API call (create, file write, kill).
        grace_s: slack on top of compile + wall time for the sandbox's lifetime.
        allow_internet: off by default; programs under test have no business on the network.
        workdir: where the job is written inside the sandbox.
    """

    name = "e2b"
    tier = "e2b"

    def __init__(self, api_key: str | None = None, *, template: str | None = None, max_parallel: int = 8,
                 request_timeout_s: float = 30.0, grace_s: float = 15.0, allow_internet: bool = False,
                 workdir: str = "/tmp/r1") -> None:
        self._sdk = _sdk()
        self.api_key = api_key or os.environ.get(KEY_ENV) or None
        if not self.api_key:
            raise ConfigError(f"sandbox 'e2b' needs an API key and {KEY_ENV} is not set",
                              f"export {KEY_ENV}=e2b_... (from https://e2b.dev/dashboard) or pass api_key=")
        if max_parallel < 1:
            raise ConfigError(f"sandbox 'e2b': max_parallel must be >= 1 (got {max_parallel})")
        self.template = template
        self.max_parallel = max_parallel
        self._slots = LoopSemaphores(max_parallel)
        self.request_timeout_s = request_timeout_s
        self.grace_s = grace_s
        self.allow_internet = allow_internet
        self.workdir = workdir.rstrip("/")
        self._runner = runner_source()

    def run(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        return asyncio.run(self.arun(requests))

    async def arun(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        slots = self._slots.get()

        async def one(request: ExecRequest) -> ExecResult:
            async with slots:
                return await self._run_one(request)

        return list(await asyncio.gather(*(one(r) for r in requests)))

    def close(self) -> None:
        """Sandboxes are killed after each request; nothing stays open."""

    async def _run_one(self, request: ExecRequest) -> ExecResult:
        lifetime = lifetime_s(request, self.grace_s)
        sandbox = None
        try:
            job = job_json(request)  # an unknown language fails here, before a sandbox is created
            create = self._sdk.AsyncSandbox.create(
                template=self.template, timeout=lifetime, allow_internet_access=self.allow_internet,
                api_key=self.api_key, request_timeout=self.request_timeout_s)
            sandbox = await asyncio.wait_for(create, self.request_timeout_s + 5)
            await sandbox.files.write(f"{self.workdir}/runner.py", self._runner,
                                      request_timeout=self.request_timeout_s)
            await sandbox.files.write(f"{self.workdir}/job.json", job,
                                      request_timeout=self.request_timeout_s)
            stdout = await self._exec(sandbox, request, lifetime)
            return result_from_report(parse_report(stdout), request, provider=self.name)
        except Exception as exc:  # per request: one broken sandbox never zeroes the batch
            return ExecResult(verdict=Verdict.SE, message=f"e2b: {type(exc).__name__}: {exc}"[:2000],
                              provider=self.name, id=request.id)
        finally:
            if sandbox is not None:
                await self._kill(sandbox)

    async def _exec(self, sandbox: Any, request: ExecRequest, lifetime: int) -> str:
        command = f"python3 {self.workdir}/runner.py {self.workdir}/job.json {self.workdir}/work"
        try:
            done = await sandbox.commands.run(command, timeout=lifetime,
                                              request_timeout=self.request_timeout_s)
        except self._sdk.CommandExitException as exc:  # the runner itself exits 0 unless it crashed
            return exc.stdout or f"runner exit {exc.exit_code}: {exc.stderr}"
        return done.stdout

    async def _kill(self, sandbox: Any) -> None:
        try:
            await asyncio.wait_for(sandbox.kill(request_timeout=self.request_timeout_s),
                                   self.request_timeout_s + 5)
        except Exception:
            pass
