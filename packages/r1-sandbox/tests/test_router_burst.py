"""Trainer bursts through `r1 sandbox serve`: naive clients (no retry, as open-r1's) are never
refused at the default size; the queue is bounded by bytes, 429 means true overload; a long wait
is answered with heartbeats so the `router` client can tell a busy router from a dead one."""

from __future__ import annotations

import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from r1_core import ExecRequest, Verdict
from r1_sandbox.router_client import RouterSandbox
from r1_sandbox.router_dispatch import (
    DEFAULT_QUEUE_SIZE,
    TRAINER_BURST,
    ExecutionService,
    default_queue_bytes,
    request_bytes,
)
from r1_sandbox.router_server import running_router

sys.path.insert(0, str(Path(__file__).parent))
from test_router import _free_port, _serve
from test_router_fakes import EchoSandbox

CLIENTS, PROGRAMS = 32, 10


def _program(k: int, i: int) -> str:
    return f"import sys\nn = int(sys.stdin.read())\nprint({k} * 1000 + {i} + n * n)\n"


@pytest.fixture(scope="module")
def default_router():
    """A real `r1 sandbox serve` process on loopback with every size left at its default."""
    port = _free_port()
    proc = _serve(port, "local")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except Exception:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_32_naive_clients_of_10_programs_all_get_correct_results(default_router):
    health = httpx.get(f"{default_router}/health").json()
    assert health["capacity"] >= TRAINER_BURST and health["queue_bytes"] >= 64 << 20

    def client(k: int) -> list[str]:
        # one POST, no retry, as open-r1's RoutedSandbox / RoutedMorphSandbox do; half use r1's
        # endpoint, half open-r1's
        if k % 2:
            reqs = [ExecRequest(language="python", source=_program(k, i), stdin=str(i), id=f"{k}.{i}")
                    for i in range(PROGRAMS)]
            resp = httpx.post(f"{default_router}/v1/execute", timeout=300,
                              json={"requests": [r.model_dump(mode="json") for r in reqs]})
            assert resp.status_code == 200, resp.text[:300]
            results = resp.json()["results"]
            assert all(r["verdict"] == "OK" for r in results), results
            assert [r["id"] for r in results] == [f"{k}.{i}" for i in range(PROGRAMS)]
            return [r["stdout"].strip() for r in results]
        # open-r1's reward scripts end with an expression: its value comes back as `text`
        scripts = [f"n = {i}\nvalue = {k} * 1000 + {i} + n * n\nvalue\n" for i in range(PROGRAMS)]
        resp = httpx.post(f"{default_router}/execute_batch", timeout=300,
                          json={"scripts": scripts, "languages": ["python"] * PROGRAMS, "timeout": 30,
                                "request_timeout": 30})
        assert resp.status_code == 200, resp.text[:300]
        items = resp.json()
        assert all(item["verdict"] == "OK" for item in items), items
        return [item["text"] for item in items]

    start = threading.Barrier(CLIENTS)

    def together(k: int) -> list[str]:
        start.wait()
        return client(k)

    with ThreadPoolExecutor(CLIENTS) as pool:
        outputs = list(pool.map(together, range(CLIENTS)))
    for k, out in enumerate(outputs):
        assert out == [str(k * 1000 + i + i * i) for i in range(PROGRAMS)], (k, out)
    metrics = httpx.get(f"{default_router}/metrics").text
    assert "r1_rejected_total 0" in metrics
    assert f'r1_executions_total{{verdict="OK"}} {CLIENTS * PROGRAMS}' in metrics


def test_refused_flags_get_422_from_a_real_router_process(default_router):
    bad = ExecRequest(language="cpp", source="int main(){}", compile_flags=["-B/tmp", "-O2"])
    resp = httpx.post(f"{default_router}/v1/execute", timeout=60,
                      json={"requests": [bad.model_dump(mode="json")]})
    assert resp.status_code == 422 and "'-B/tmp'" in resp.json()["detail"]


def test_the_default_admits_several_trainer_bursts():
    service = ExecutionService(EchoSandbox(), max_concurrency=2)
    assert service.queue_size == DEFAULT_QUEUE_SIZE >= 4 * TRAINER_BURST
    assert service.queue_bytes == default_queue_bytes() >= 64 << 20
    burst = [ExecRequest(language="python", source="print(input())" * 20, stdin="x" * 200)
             for _ in range(TRAINER_BURST)]
    service.admit(len(burst), sum(map(request_bytes, burst)))  # one GRPO step at once: no 429
    service.admit(len(burst), sum(map(request_bytes, burst)))  # and a second trainer's


def test_a_trainer_burst_through_a_default_router_is_never_refused():
    # 16 trainer processes send one GRPO step (2,560 programs) at once, in batches of 160
    with running_router(EchoSandbox(delay_s=0.001, honour_args=False), max_concurrency=2) as router:
        def trainer(k: int) -> list[str]:
            reqs = [ExecRequest(language="python", source="x", stdin=str(i), id=f"{k}.{i}")
                    for i in range(TRAINER_BURST // 16)]
            resp = httpx.post(f"{router.url}/v1/execute", timeout=120,
                              json={"requests": [r.model_dump(mode="json") for r in reqs]})
            assert resp.status_code == 200, resp.text[:200]
            return [r["stdout"] for r in json.loads(resp.content)["results"]]

        with ThreadPoolExecutor(16) as pool:
            outs = list(pool.map(trainer, range(16)))
        assert all(out == [f"{k}.{i}:{i}" for i in range(TRAINER_BURST // 16)] for k, out in enumerate(outs))
        assert router.service.rejected == 0


def _sized(n: int, kib: int, delay: float = 0.0) -> list[dict[str, object]]:
    return [ExecRequest(language="python", source="x", stdin="y" * (kib << 10), id=str(i),
                        args=[str(delay)] if delay else []).model_dump(mode="json") for i in range(n)]


def test_the_queue_is_bounded_by_bytes_and_429_is_for_true_overload():
    # room for ~1 MiB of pending requests, however many executions
    with running_router(EchoSandbox(), max_concurrency=2, queue_size=10_000, queue_bytes=1 << 20) as router:
        url = f"{router.url}/v1/execute"
        # many small requests fit
        small = httpx.post(url, json={"requests": _sized(100, 1)}, timeout=60)
        assert small.status_code == 200 and len(small.json()["results"]) == 100
        # a batch larger than all the bytes could never be admitted: 413, not 429
        huge = httpx.post(url, json={"requests": _sized(3, 500)}, timeout=60)
        assert huge.status_code == 413 and "MiB" in huge.json()["detail"]
        # a slow batch holds 600 KiB; another 600 KiB is true overload: 429 with Retry-After
        blocker = threading.Thread(target=httpx.post, args=(url,),
                                   kwargs={"json": {"requests": _sized(2, 300, delay=1.5)}, "timeout": 30})
        blocker.start()
        try:
            deadline = time.monotonic() + 20
            while httpx.get(f"{router.url}/health").json()["pending_bytes"] < 600 << 10:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            refused = httpx.post(url, json={"requests": _sized(2, 300)}, timeout=30)
            assert refused.status_code == 429 and refused.headers["retry-after"], refused.text
            assert "MiB held" in refused.json()["detail"]
            # while a small one still fits
            assert httpx.post(url, json={"requests": _sized(1, 10)}, timeout=30).status_code == 200
        finally:
            blocker.join()
        assert httpx.get(f"{router.url}/health").json()["pending_bytes"] == 0
        # a body the router could never hold is refused before it is read
        body = b'{"requests": [' + b" " * (5 << 20) + b"]}"
        resp = httpx.post(url, content=body, headers={"content-type": "application/json"}, timeout=30)
        assert resp.status_code == 413 and "exceeds" in resp.json()["detail"]


def test_a_long_wait_is_answered_with_heartbeats_and_the_client_reads_them():
    with running_router(EchoSandbox(delay_s=0.3), max_concurrency=1, heartbeat_s=0.2) as router:
        reqs = [ExecRequest(language="python", source="x", stdin=str(i), id=str(i), args=["0.3"])
                for i in range(4)]
        with httpx.stream("POST", f"{router.url}/v1/execute", timeout=30,
                          json={"requests": [r.model_dump(mode="json") for r in reqs]}) as resp:
            assert resp.status_code == 200
            body = resp.read()
        assert body.startswith(b" ") and json.loads(body)["results"][3]["stdout"] == "3:3"
        # open-r1's endpoint too: its clients' `requests` timeout is per read, heartbeats keep it alive
        resp = httpx.post(f"{router.url}/execute_batch", timeout=0.6,
                          json={"scripts": ["x"] * 4, "timeout": 1})
        assert resp.status_code == 200 and resp.content.startswith(b" ") and len(resp.json()) == 4
        # the router client: its read timeout is a few heartbeats, yet a chunk queued far longer
        # than that comes back
        client = RouterSandbox([router.url], grace_s=0.1, chunk_size=4)
        try:
            start = time.monotonic()
            results = client.run(reqs)
            assert time.monotonic() - start > 3 * 0.2 + 0.1
            assert [r.stdout for r in results] == [f"{i}:{i}" for i in range(4)]
            assert client._routers[0].heartbeat_s == 0.2
        finally:
            client.close()


def test_a_silent_router_is_detected_after_a_few_missed_heartbeats():
    release = threading.Event()

    class Silent(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"capacity": 10_000, "max_concurrency": 2, "heartbeat_s": 0.2}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            release.wait(30)  # takes the batch, then says nothing

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Silent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = RouterSandbox([f"127.0.0.1:{server.server_address[1]}"], grace_s=0.5, retries=0)
    try:
        start = time.monotonic()
        (result,) = client.run([ExecRequest(language="python", source="print(1)", time_limit_s=60)])
        took = time.monotonic() - start
        assert result.verdict == Verdict.SE and "did not answer in time" in result.message
        assert took < 10, took  # not the ~4 hours a 10,000-deep queue of 181 s programs could take
    finally:
        release.set()
        client.close()
        server.shutdown()


def test_serve_sizes_its_queue_by_bytes_and_refuses_bad_sizes(monkeypatch):
    import subprocess

    import uvicorn
    from r1_sandbox.router_server import serve

    served: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    serve("test_router_fakes:slow_echo", port=8124, max_concurrency=3, queue_mb=5)
    service = served["app"].state.service
    assert (service.queue_size, service.queue_bytes) == (DEFAULT_QUEUE_SIZE, 5 << 20)
    serve("test_router_fakes:slow_echo", port=8124, max_concurrency=3)
    assert served["app"].state.service.queue_bytes == default_queue_bytes()
    cmd = [sys.executable, "-m", "r1_core.cli", "sandbox", "serve", "--queue-mb", "-2"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--queue-mb" in proc.stderr and "Traceback" not in proc.stderr
