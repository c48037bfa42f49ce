"""`r1 sandbox serve`'s HTTP service, started for real with uvicorn on loopback."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from r1_core import ExecRequest, MissingExtraError, Verdict
from r1_sandbox.router_server import running_router

sys.path.insert(0, str(Path(__file__).parent))
from test_router_fakes import EchoSandbox


def _req(i: int, delay: float = 0.0, **kw: object) -> dict[str, object]:
    body = ExecRequest(language="python", source="x", stdin=f"in{i}", id=f"r{i}",
                       args=[str(delay)] if delay else [], **kw)
    return body.model_dump(mode="json")


@pytest.fixture
def router():
    with running_router(EchoSandbox(), max_concurrency=4, queue_size=4, grace_s=0.5) as r:
        yield r


def test_health_reports_provider_tier_capacity_and_queue(router):
    body = httpx.get(f"{router.url}/health").json()
    assert body["status"] == "ok"
    assert (body["provider"], body["tier"]) == ("echo", "fake")
    assert (body["capacity"], body["max_concurrency"]) == (8, 4)
    assert body["queue_depth"] == 0 and body["running"] == 0


def test_execute_returns_results_in_request_order(router):
    # later requests finish first (shorter sleeps), yet come back in request order
    reqs = [_req(i, delay=0.05 * (6 - i)) for i in range(6)]
    resp = httpx.post(f"{router.url}/v1/execute", json={"requests": reqs})
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert [r["stdout"] for r in results] == [f"r{i}:in{i}" for i in range(6)]
    assert [r["id"] for r in results] == [f"r{i}" for i in range(6)]
    assert router.service.sandbox.peak <= 4


def test_full_queue_answers_429_and_oversized_batch_413(router):
    blocker = threading.Thread(target=httpx.post, args=(f"{router.url}/v1/execute",),
                               kwargs={"json": {"requests": [_req(i, delay=1.0) for i in range(8)]},
                                       "timeout": 30})
    blocker.start()
    try:
        deadline = time.monotonic() + 20
        while httpx.get(f"{router.url}/health").json()["running"] < 4:  # until the 8 are admitted
            assert time.monotonic() < deadline, "the blocking batch never started"
            time.sleep(0.01)
        health = httpx.get(f"{router.url}/health").json()
        assert health["queue_depth"] == 4
        resp = httpx.post(f"{router.url}/v1/execute", json={"requests": [_req(99)]})
        assert resp.status_code == 429 and resp.headers["retry-after"]
    finally:
        blocker.join()
    resp = httpx.post(f"{router.url}/v1/execute", json={"requests": [_req(i) for i in range(9)]})
    assert resp.status_code == 413 and "capacity of 8" in resp.json()["detail"]
    assert httpx.post(f"{router.url}/v1/execute", json={"requests": [_req(1)]}).status_code == 200


def test_provider_failure_and_hang_become_se_not_500(router):
    reqs = [_req(0), {**_req(1), "source": "raise"},
            {**_req(2), "source": "hang", "time_limit_s": 0.1, "wall_limit_s": 0.2}]
    resp = httpx.post(f"{router.url}/v1/execute", json={"requests": reqs}, timeout=30)
    assert resp.status_code == 200
    verdicts = [r["verdict"] for r in resp.json()["results"]]
    assert verdicts == ["OK", "SE", "SE"]
    messages = [r["message"] for r in resp.json()["results"]]
    assert "provider exploded" in messages[1] and "did not answer" in messages[2]
    assert resp.json()["results"][2]["id"] == "r2"


@pytest.mark.parametrize("body", [
    b"not json", b"{}", b'{"requests": 3}', b'{"requests": [{"language": "python"}]}',
    b'{"requests": [{"language": "python", "source": "x", "time_limit_s": -1}]}',
    b'{"requests": [{"language": "python", "source": "x", "bogus": 1}]}',
    b'{"requests": [{"language": "python", "source": "x", "id": "\\ud800"}], "x": 1}',
])
def test_malformed_bodies_get_4xx(router, body):
    resp = httpx.post(f"{router.url}/v1/execute", content=body, headers={"content-type": "application/json"})
    assert 400 <= resp.status_code < 500, resp.text


def test_lone_surrogate_id_round_trips_without_500(router):
    body = b'{"requests": [{"language": "python", "source": "x", "id": "a\\ud800"}]}'
    resp = httpx.post(f"{router.url}/v1/execute", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 200
    assert resp.json()["results"][0]["id"] == "a\ud800"


def test_metrics_count_verdicts_latency_and_queue(router):
    httpx.post(f"{router.url}/v1/execute", json={"requests": [_req(0), {**_req(1), "source": "raise"}]})
    text = httpx.get(f"{router.url}/metrics").text
    assert 'r1_executions_total{verdict="OK"} 1' in text
    assert 'r1_executions_total{verdict="SE"} 1' in text
    assert "r1_execution_seconds_count 2" in text
    assert 'r1_execution_seconds_bucket{le="+Inf"} 2' in text
    assert "r1_queue_depth 0" in text and "r1_capacity 8" in text


def test_bearer_token_guards_execution():
    with running_router(EchoSandbox(), token="s3cret") as r:
        body = {"requests": [_req(0)]}
        assert httpx.post(f"{r.url}/v1/execute", json=body).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.post(f"{r.url}/v1/execute", json=body, headers=wrong).status_code == 401
        right = {"Authorization": "Bearer s3cret"}
        assert httpx.post(f"{r.url}/v1/execute", json=body, headers=right).status_code == 200
        assert httpx.post(f"{r.url}/execute_batch", json={"scripts": ["1"]}).status_code == 401
        assert httpx.get(f"{r.url}/health").status_code == 200


def test_openapi_schema_lists_the_endpoints(router):
    schema = httpx.get(f"{router.url}/openapi.json").json()
    assert {"/health", "/v1/execute", "/execute_batch", "/metrics"} <= set(schema["paths"])


def test_missing_server_extra_is_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    with pytest.raises(MissingExtraError, match=r"r1-sandbox\[server\]"):
        with running_router(EchoSandbox()):
            pass


def test_execute_batch_speaks_open_r1s_format(router):
    resp = httpx.post(f"{router.url}/execute_batch",
                      json={"scripts": ["a", "b"], "languages": ["python", "python"], "timeout": 5,
                            "request_timeout": 3})
    assert resp.status_code == 200
    items = resp.json()
    assert len(items) == 2 and all(i["exception_str"] is None for i in items)
    assert items[1]["execution"]["logs"]["stdout"] == ["1:"]
    bad = httpx.post(f"{router.url}/execute_batch", json={"scripts": ["a"], "languages": []})
    assert bad.status_code == 422
    assert Verdict.OK == items[0]["verdict"]


class _GatingEcho(EchoSandbox):
    """Like the local sandbox: runs at most ``programs`` at once itself and asks for twice as many
    calls in flight; a call waiting for its turn is not yet a running program."""

    def __init__(self, programs: int) -> None:
        super().__init__()
        self.in_flight_limit = 2 * programs
        self._gate = asyncio.Semaphore(programs)
        self.calls_peak = self.calls_now = 0

    async def _one(self, request: ExecRequest):
        self.calls_now += 1
        self.calls_peak = max(self.calls_peak, self.calls_now)
        try:
            async with self._gate:  # EchoSandbox's own peak now counts programs
                return await super()._one(request)
        finally:
            self.calls_now -= 1


async def test_service_gives_a_gating_provider_its_in_flight_limit():
    from r1_sandbox.router_dispatch import ExecutionService

    plain = EchoSandbox()
    await ExecutionService(plain, max_concurrency=2, queue_size=16).execute(
        [ExecRequest(language="python", source="x", args=["0.05"], id=str(i)) for i in range(8)])
    assert plain.peak == 2
    gating = _GatingEcho(programs=2)
    results = await ExecutionService(gating, max_concurrency=2, queue_size=16).execute(
        [ExecRequest(language="python", source="x", args=["0.05"], id=str(i)) for i in range(8)])
    assert [r.id for r in results] == [str(i) for i in range(8)]
    assert gating.calls_peak == 4 and gating.peak == 2  # calls in flight vs programs at once


async def test_waiting_inside_a_gating_provider_does_not_count_against_the_wall_limit():
    """A short request queued inside the provider behind a long one is not a provider hang."""
    from r1_sandbox.router_dispatch import ExecutionService

    service = ExecutionService(_GatingEcho(programs=1), max_concurrency=1, queue_size=4, grace_s=0.1)
    slow = ExecRequest(language="python", source="x", args=["0.6"], wall_limit_s=1.0, id="slow")
    quick = ExecRequest(language="python", source="x", args=["0.01"], wall_limit_s=0.2, id="quick")
    results = await service.execute([slow, quick])  # quick waits 0.6 s for the only program slot
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.OK], results
