"""Failures inside rewards are counted, logged and given as None — never silently 0."""

from __future__ import annotations

import logging

import pytest
from r1_core import ExecResult, Verdict, get_reward
from r1_core.reward_call import call_reward
from r1_cp import dataset_rows
from r1_rewards import accuracy as accuracy_module
from r1_rewards.math.verifier import MathVerifier


class BrokenPool:
    """A verifier pool whose every item fails the way a crashed math-verify worker reports it."""

    size = 1

    def run(self, tasks, timeout_s):
        return ["error: ValueError: boom"] * len(tasks)


def test_verifier_errors_give_none_and_are_counted_and_logged(stats, caplog, monkeypatch):
    monkeypatch.setitem(accuracy_module._verifiers, 7.25, MathVerifier(timeout_s=7.25, pool=BrokenPool()))
    metrics = []
    with caplog.at_level(logging.WARNING, logger="r1.rewards"):
        out = get_reward("accuracy", timeout_s=7.25)(
            completions=[r"\boxed{x+1}", r"\boxed{3}"], solution=["$x+1$", "$3$"],
            log_metric=lambda k, v: metrics.append((k, v)))
    assert out == [None, 1.0]  # the simple pair never reached the broken workers
    assert stats.get("accuracy", "error") == 1
    assert ("accuracy/error", 1.0) in metrics
    assert "reward accuracy: 1 of 2 samples had error" in caplog.text and "boom" in caplog.text


class SESandbox:
    name = "se"

    def run(self, requests):
        return [ExecResult(verdict=Verdict.SE, message="worker node lost") for _ in requests]

    async def arun(self, requests):
        return self.run(requests)

    def close(self):
        pass


@pytest.mark.parametrize("kind", ["usaco", "codeforces"])
def test_cp_sandbox_failures_give_none_and_are_counted(kind, stats):
    rows = dataset_rows(kind)[:1]
    out = call_reward(get_reward(kind, sandbox=SESandbox()), completions=[rows[0]["reference_solution"]],
                      **{k: [v] for k, v in rows[0].items()})
    assert out == [None]
    assert stats.get(kind, "sandbox_error") == 1


def test_code_sandbox_exceptions_give_none_and_are_counted(stats):
    class Down(SESandbox):
        async def arun(self, requests):
            raise ConnectionError("router unreachable")

    info = {"language": "python", "test_cases": [{"input": "", "output": "1"}]}
    out = call_reward(get_reward("code", sandbox=Down()), completions=["```python\nprint(1)\n```"],
                      verification_info=[info])
    assert out == [None]
    assert stats.get("code", "sandbox_error") == 1
