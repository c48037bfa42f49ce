"""Pytest kit for plugin authors (opt-in: ``pytest_plugins = ["r1_core.testing"]``).

Fixtures:
    ``r1_host`` — an isolated plugin host (no entry points) made process-wide for one test.
    ``r1_register`` — ``r1_register(kind, name, obj)`` registers an object for one test.

Contract checks, usable from any test suite:
    :func:`check_reward_contract`, :func:`check_sandbox_contract`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from r1_core.hookspecs import hookimpl
from r1_core.plugin_host import PluginHost, use_host
from r1_core.protocols import ExecRequest, ExecResult, Verdict
from r1_core.reward_call import wait_for

__all__ = ["check_reward_contract", "check_sandbox_contract", "r1_host", "r1_register"]


@pytest.fixture
def r1_host() -> Iterator[PluginHost]:
    """An empty, isolated plugin host that the façade functions use during the test."""
    host = PluginHost(entry_points=False)
    with use_host(host):
        yield host


@pytest.fixture
def r1_register(r1_host: PluginHost) -> Callable[..., None]:
    """Register one object of a kind (``rewards``, ``sandboxes`` ...) for the current test."""
    counter = iter(range(1_000_000))

    def register(kind: str, name: str, obj: Any, **options: Any) -> None:
        def impl(register: Any) -> None:
            register(name, obj, **options)

        plugin = type(f"_Test{kind}", (), {f"r1_register_{kind}": staticmethod(hookimpl(impl))})
        r1_host.add_plugin(plugin(), name=f"test-{kind}-{name}-{next(counter)}")

    return register


def check_reward_contract(fn: Callable[..., Any], *, name: str | None = None,
                          columns: dict[str, list[Any]] | None = None) -> None:
    """Assert ``fn`` follows TRL's reward protocol (keywords, list out, floats or None).

    ``columns`` supplies dataset columns the reward needs, one value per completion (2 rows).
    """
    if name is not None:
        assert fn.__name__ == name, f"__name__ is {fn.__name__!r}, TRL would log rewards/{fn.__name__}"
    cols = columns or {}
    for completions in (
        ["<think>a</think><answer>1</answer>", ""],
        [[{"role": "assistant", "content": "<think>a</think>1"}],
         [{"role": "assistant", "content": ""}]],
    ):
        prompts: list[Any] = ["q1", "q2"] if isinstance(completions[0], str) else [
            [{"role": "user", "content": "q1"}], [{"role": "user", "content": "q2"}]]
        out = wait_for(fn(prompts=prompts, completions=completions, completion_ids=[[1], [2]],
                          trainer_state=None, **cols, unrelated_column=["x", "y"]))
        assert isinstance(out, list), f"reward returned {type(out).__name__}, not list"
        assert len(out) == len(completions), "one value per completion"
        for v in out:
            assert v is None or isinstance(v, int | float), f"value {v!r} is not float|None"
            assert v is None or v == v, "NaN reward"


def check_sandbox_contract(sandbox: Any) -> None:
    """Assert a sandbox runs a batch in order, reports verdicts and limits, and has an async twin."""
    reqs = [
        ExecRequest(language="python", source="print(input()[::-1])", stdin="abc\n", id="echo"),
        ExecRequest(language="python", source="import sys; sys.exit(3)", id="exit3"),
        ExecRequest(language="python", source="while True: pass", time_limit_s=0.5, id="loop"),
    ]
    results = sandbox.run(reqs)
    assert [isinstance(r, ExecResult) for r in results] == [True] * 3
    assert results[0].verdict == Verdict.OK and results[0].stdout.strip() == "cba", results[0]
    assert results[1].verdict == Verdict.RE and results[1].exit_code == 3, results[1]
    assert results[2].verdict == Verdict.TLE, results[2]
    again = asyncio.run(sandbox.arun(reqs[:1]))
    assert again[0].verdict == Verdict.OK
