"""End to end: `r1 sandbox serve` (a real process) in front of the real local sandbox."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from r1_core import ExecRequest, Verdict, get_sandbox
from r1_core.testing import check_sandbox_contract

sys.path.insert(0, str(Path(__file__).parent))
from test_router import _free_port, _serve

# open-r1's code reward script (rewards.py): the reward is the value of the trailing expression
OPEN_R1_SCRIPT = '''
import subprocess
import json
import signal

def evaluate_code(code, test_cases):
    passed = 0
    total = len(test_cases)
    for case in test_cases:
        process = subprocess.run(["python3", "-c", code], input=case["input"], text=True,
                                 capture_output=True, timeout=5)
        if process.returncode != 0:
            continue
        if process.stdout.strip() == case["output"].strip():
            passed += 1
    return passed / total

code_snippet = {code!r}
test_cases = json.loads({tests!r})

evaluate_code(code_snippet, test_cases)
'''


@pytest.fixture(scope="module")
def local_router():
    port = _free_port()
    proc = _serve(port, "local", "--max-concurrency", "2")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_router_provider_keeps_the_local_sandboxs_verdicts(local_router):
    sandbox = get_sandbox("router", urls=[local_router])
    check_sandbox_contract(sandbox)
    cpp = ExecRequest(language="cpp", source="#include <cstdio>\nint main(){long long a,b;"
                                             "scanf(\"%lld %lld\",&a,&b);printf(\"%lld\\n\",a+b);}",
                      stdin="40 2\n")
    mle = ExecRequest(language="python", source="x = bytearray(400 << 20)", memory_limit_mb=64)
    ok, oom = sandbox.run([cpp, mle])
    assert (ok.verdict, ok.stdout.strip(), ok.provider) == (Verdict.OK, "42", "local")
    assert oom.verdict == Verdict.MLE
    health = httpx.get(f"{local_router}/health").json()
    assert health["provider"] == "local" and health["tier"]


def test_open_r1_e2b_client_reads_the_reward_from_execution_text(local_router):
    from e2b_code_interpreter.models import Execution, ExecutionError, Result

    tests = json.dumps([{"input": "2\n", "output": "4"}, {"input": "3\n", "output": "9"},
                        {"input": "5\n", "output": "10"}])
    scripts = [OPEN_R1_SCRIPT.format(code="n = int(input())\nprint(n * n)", tests=tests),
               OPEN_R1_SCRIPT.format(code="print(", tests=tests),
               "raise ValueError('boom')"]
    resp = httpx.post(f"{local_router}/execute_batch", timeout=120,
                      json={"scripts": scripts, "languages": ["python"] * 3, "timeout": 30,
                            "request_timeout": 28})
    assert resp.status_code == 200
    # exactly what open-r1's RoutedSandbox.run_code does with each item
    executions = []
    for result in resp.json():
        execution = result["execution"]
        executions.append(Execution(
            results=[Result(**r) for r in execution["results"]], logs=execution["logs"],
            error=ExecutionError(**execution["error"]) if execution["error"] else None,
            execution_count=execution["execution_count"]))
    assert float(executions[0].text) == pytest.approx(2 / 3)
    assert float(executions[1].text) == 0.0
    assert executions[2].text is None and executions[2].error.name == "ValueError"
    assert executions[2].error.value == "boom"
    # open-r1's RoutedMorphSandbox reads `text` and `exception_str`
    morph_view = [(r["text"], r["exception_str"]) for r in resp.json()]
    assert float(morph_view[0][0]) == pytest.approx(2 / 3) and morph_view[0][1] is None
    assert morph_view[2][1] == "ValueError: boom"


def test_stopping_the_router_process_is_clean():
    port = _free_port()
    proc = _serve(port, "local")
    start = time.monotonic()
    proc.terminate()
    assert proc.wait(20) in (0, -signal.SIGTERM)
    assert time.monotonic() - start < 20
