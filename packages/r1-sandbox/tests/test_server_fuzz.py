"""Schema fuzzing: schemathesis generates valid and invalid bodies from the router's OpenAPI schema;
no input may produce a 5xx."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from r1_sandbox.router_dispatch import ExecutionService
from r1_sandbox.router_server import build_app, running_router
from schemathesis import GenerationMode

sys.path.insert(0, str(Path(__file__).parent))
from test_router_fakes import EchoSandbox

# the schema comes from the app itself; the requests go to a real uvicorn server on loopback
SCHEMA = schemathesis.openapi.from_dict(
    build_app(ExecutionService(EchoSandbox(), max_concurrency=1, queue_size=0)).openapi())
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
CASES = [("POST", "/v1/execute", POSITIVE), ("POST", "/v1/execute", NEGATIVE),
         ("POST", "/execute_batch", POSITIVE), ("POST", "/execute_batch", NEGATIVE),
         ("GET", "/health", POSITIVE), ("GET", "/metrics", POSITIVE)]


@pytest.fixture(scope="module")
def router_url():
    with running_router(EchoSandbox(honour_args=False), max_concurrency=4, queue_size=60,
                        token="fuzz", grace_s=1.0) as router:
        yield router.url


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_no_input_makes_the_router_fail(router_url, method, path, mode):
    operation = SCHEMA[path][method]
    examples = 40 if method == "POST" else 5
    statuses: set[int] = set()

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        response = case.call(base_url=router_url, headers={"Authorization": "Bearer fuzz"}, timeout=30)
        statuses.add(response.status_code)
        assert response.status_code < 500, (case.body, response.text[:500])

    check()
    assert statuses & ({422} if mode == NEGATIVE else {200}), statuses
