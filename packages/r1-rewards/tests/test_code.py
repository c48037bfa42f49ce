"""code and binary_code through the real local sandbox."""

from __future__ import annotations

import json

import pytest
from r1_core import DataError, ExecRequest, ExecResult, Verdict, get_reward
from r1_core.reward_call import call_reward
from r1_rewards.code import output_matches

ADD = {"language": "python", "test_cases": [
    {"input": "1 2\n", "output": "3\n", "type": "stdin_stdout"},
    {"input": "5 7\n", "output": "12\n", "type": "stdin_stdout"},
    {"input": "-1 1\n", "output": "0", "type": "stdin_stdout"}]}
SOLVE = "Here:\n```python\na, b = map(int, input().split())\nprint(a + b)\n```"


def fence(code: str, lang: str = "python") -> str:
    return f"```{lang}\n{code}\n```"


def test_gold_solution_scores_one_and_each_failed_test_costs_a_fraction():
    wrong_on_negative = fence("a, b = map(int, input().split())\nprint(abs(a) + b)")
    out = call_reward(get_reward("code"), completions=[SOLVE, wrong_on_negative, "no code"],
                      verification_info=[ADD] * 3)
    assert out == pytest.approx([1.0, 2 / 3, 0.0])
    assert call_reward(get_reward("binary_code"), completions=[SOLVE, wrong_on_negative],
                       verification_info=[json.dumps(ADD)] * 2) == [1.0, 0.0]


def test_code_is_async_for_trl_and_named_after_the_registry():
    import inspect

    fn = get_reward("code")
    assert inspect.iscoroutinefunction(fn) and fn.__name__ == "code"
    assert get_reward("binary_code").__name__ == "binary_code"


def test_a_timeout_fails_that_test_only():
    """open-r1's uncaught per-test timeout zeroed the whole sample (D3)."""
    slow_on_big = fence("a, b = map(int, input().split())\n"
                        "if a == 5:\n    while True: pass\nprint(a + b)")
    assert call_reward(get_reward("code", time_limit_s=2), completions=[slow_on_big],
                       verification_info=[ADD]) == pytest.approx([2 / 3])


def test_cpp_programs_run_and_the_last_block_in_the_rows_language_is_used():
    info = {"language": "cpp", "test_cases": ADD["test_cases"]}
    cpp = fence("#include <cstdio>\n"
                "int main(){long a,b;scanf(\"%ld %ld\",&a,&b);printf(\"%ld\\n\",a+b);}", "cpp")
    answer = fence("print('python block is ignored for a cpp row')") + "\n" + cpp
    assert call_reward(get_reward("code"), completions=[answer], verification_info=[info]) == [1.0]


def test_rows_without_tests_are_skipped_and_bad_rows_are_data_errors(stats):
    assert call_reward(get_reward("code"), completions=[SOLVE],
                       verification_info=[{"language": "python", "test_cases": []}]) == [None]
    assert stats.get("code", "skipped") == 1
    with pytest.raises(DataError, match="verification_info"):
        call_reward(get_reward("code"), completions=[SOLVE], solution=["x"])
    with pytest.raises(DataError, match="not valid JSON"):
        call_reward(get_reward("code"), completions=[SOLVE], verification_info=["{oops"])
    with pytest.raises(DataError, match="mix languages"):
        call_reward(get_reward("code", enforce_same_language=True), completions=[SOLVE, SOLVE],
                    verification_info=[ADD, {**ADD, "language": "cpp"}])


class FlakySandbox:
    """A provider whose infrastructure fails on every other request (verdict SE)."""

    name = "flaky"

    def run(self, requests):
        return [ExecResult(verdict=Verdict.SE, message="node lost") if i % 2 else
                ExecResult(verdict=Verdict.OK, stdout="3\n") for i, _ in enumerate(requests)]

    async def arun(self, requests):
        return self.run(requests)

    def close(self):
        pass


def test_sandbox_failures_give_none_and_are_counted_not_charged_as_zero(r1_register, stats):
    from r1_rewards import plugin

    plugin.r1_register_rewards(lambda name, obj, **kw: r1_register("rewards", name, obj, **kw))
    r1_register("sandboxes", "flaky", FlakySandbox)
    metrics = []
    out = call_reward(get_reward("code", provider="flaky"), completions=[SOLVE],
                      verification_info=[ADD], log_metric=lambda k, v: metrics.append((k, v)))
    assert out == [None]
    assert stats.get("code", "sandbox_error") == 1
    assert ("code/sandbox_error", 1.0) in metrics


@pytest.mark.parametrize(("actual", "expected", "same"), [
    ("3\n", "3", True), ("1 2 \n3\n\n", "1 2\n3", True), ("3\r\n4\r\n", "3\n4\n", True),
    ("3\n", "3\n4\n", False),  # only the first expected line (open-r1 scored this 1.0, D2)
    ("3\n4\n5\n", "3\n4\n", False), ("", "0", False),
])
def test_whole_output_is_compared(actual, expected, same):
    assert output_matches(actual, expected) is same


def test_requests_are_batched_in_one_sandbox_call(r1_register):
    from r1_rewards import plugin

    calls: list[list[ExecRequest]] = []

    class Recorder(FlakySandbox):
        async def arun(self, requests):
            calls.append(list(requests))
            return [ExecResult(verdict=Verdict.OK, stdout="3\n") for _ in requests]

    plugin.r1_register_rewards(lambda name, obj, **kw: r1_register("rewards", name, obj, **kw))
    r1_register("sandboxes", "recorder", Recorder)
    call_reward(get_reward("code", provider="recorder"), completions=[SOLVE, SOLVE, "none", SOLVE],
                verification_info=[ADD] * 4)
    assert len(calls) == 1 and len(calls[0]) == 9  # 3 samples with code × 3 tests, one call


def test_each_sample_compiles_once_however_many_tests_it_has():
    import uuid

    from r1_core import get_sandbox

    sandbox = get_sandbox("local")
    try:
        info = {"language": "cpp", "test_cases": ADD["test_cases"] * 3}  # 9 tests
        fresh = f"// {uuid.uuid4()}\n#include <cstdio>\n" \
                "int main(){long a,b;scanf(\"%ld %ld\",&a,&b);printf(\"%ld\\n\",a+b);}"
        before = sandbox.compile_cache.compilations
        out = call_reward(get_reward("code", sandbox=sandbox), completions=[fence(fresh, "cpp")] * 2,
                          verification_info=[info] * 2)
        assert out == [1.0, 1.0]
        assert sandbox.compile_cache.compilations - before == 1  # 18 runs, one compile
    finally:
        sandbox.close()


def test_runs_on_an_event_loop_in_a_daemon_thread_as_trl_does():
    import asyncio
    import threading

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        code, binary = get_reward("code"), get_reward("binary_code")

        async def both():
            return await asyncio.gather(code(completions=[SOLVE], verification_info=[ADD]),
                                        binary(completions=[SOLVE], verification_info=[ADD]))

        assert asyncio.run_coroutine_threadsafe(both(), loop).result(timeout=120) == [[1.0], [1.0]]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
