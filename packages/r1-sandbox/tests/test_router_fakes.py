"""Fake providers for the router tests (importable as ``test_router_fakes:Name`` by `r1 sandbox serve`).

They exercise what is specific to the router — ordering, back-pressure, timeouts, router death —
deterministically; the end-to-end tests go through the real local sandbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from r1_core import ExecRequest, ExecResult, Verdict


class EchoSandbox:
    """Echoes ``id:stdin`` after sleeping ``float(args[0])`` seconds; records peak concurrency.

    ``source == "raise"`` makes the provider itself fail; ``source == "hang"`` never returns.
    """

    name = "echo"
    tier = "fake"

    def __init__(self, delay_s: float = 0.0, honour_args: bool = True) -> None:
        self.delay_s = delay_s
        self.honour_args = honour_args
        self.active = 0
        self.peak = 0
        self.calls = 0

    def run(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        return asyncio.run(self.arun(requests))

    async def arun(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        return list(await asyncio.gather(*(self._one(r) for r in requests)))

    async def _one(self, request: ExecRequest) -> ExecResult:
        self.calls += 1
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            if request.source == "raise":
                raise RuntimeError("provider exploded")
            if request.source == "hang":
                await asyncio.sleep(3600)
            delay = float(request.args[0]) if request.args and self.honour_args else self.delay_s
            await asyncio.sleep(delay)
            return ExecResult(verdict=Verdict.OK, exit_code=0, stdout=f"{request.id}:{request.stdin}",
                              provider=self.name, id=request.id)
        finally:
            self.active -= 1

    def close(self) -> None:
        pass


def slow_echo(delay_s: float = 0.3) -> EchoSandbox:
    """Factory for `r1 sandbox serve --provider test_router_fakes:slow_echo`."""
    return EchoSandbox(delay_s=delay_s)
