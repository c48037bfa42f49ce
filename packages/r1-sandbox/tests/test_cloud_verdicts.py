"""The cloud path (E2B, Morph) judges its runner's facts by the local sandbox's rules (issue 16):
output over the cap is OLE even when the run also timed out, and CPU time equal to the limit is
within it."""

import signal

import pytest
from r1_core import ExecRequest, Verdict
from r1_sandbox.cloud import result_from_report

REQUEST = ExecRequest(language="python", source="pass", time_limit_s=1.0, memory_limit_mb=64)


def report(**facts):
    base = {"error": None, "compile": None, "exit_code": 0, "signal": None, "cpu_time_s": 0.1,
            "wall_time_s": 0.2, "peak_memory_bytes": 10 << 20, "wall_timeout": False,
            "stdout": "", "stdout_over": False, "stderr": "", "files": {}}
    return {**base, **facts}


@pytest.mark.parametrize(("facts", "verdict"), [
    ({}, Verdict.OK),
    ({"stdout_over": True, "wall_timeout": True, "signal": signal.SIGKILL, "exit_code": None}, Verdict.OLE),
    ({"signal": signal.SIGXFSZ, "exit_code": None, "cpu_time_s": 1.5}, Verdict.OLE),
    ({"cpu_time_s": 1.0}, Verdict.OK),  # equal to the limit: within it, as locally
    ({"cpu_time_s": 1.01}, Verdict.TLE),
    ({"signal": signal.SIGXCPU, "exit_code": None, "cpu_time_s": 1.0}, Verdict.TLE),
    ({"wall_timeout": True, "signal": signal.SIGKILL, "exit_code": None}, Verdict.TLE),
    ({"exit_code": 1, "stderr": "MemoryError"}, Verdict.MLE),
    ({"signal": signal.SIGSEGV, "exit_code": None, "peak_memory_bytes": 63 << 20}, Verdict.MLE),
    ({"exit_code": 3}, Verdict.RE),
    ({"exit_code": 152}, Verdict.RE),  # an exit code, not SIGXCPU
])
def test_cloud_verdicts_follow_the_local_rules(facts, verdict):
    result = result_from_report(report(**facts), REQUEST, provider="e2b")
    assert result.verdict == verdict, result.message


def test_the_cloud_judge_is_the_local_one():
    import r1_sandbox.cloud
    import r1_sandbox.verdicts

    assert r1_sandbox.cloud.decide is r1_sandbox.verdicts.decide
