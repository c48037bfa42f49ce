"""`r1 serve`: the OpenAI-compatible server, started for real as its own process on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tiny_model):
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "R1_SERVE_API_KEY": "s3cret"}
    proc = subprocess.Popen([sys.executable, "-m", "r1_core.cli", "serve", "--model", tiny_model, "--port",
                             str(port), "--served-name", "tiny"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}/v1"
    auth = {"Authorization": "Bearer s3cret"}
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            if httpx.get(f"{base}/models", headers=auth, timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "r1 serve did not come up"
        time.sleep(0.2)
    yield base, auth
    proc.terminate()
    proc.wait(20)


def test_serve_answers_chat_completions_with_the_key(served):
    base, auth = served
    assert httpx.get(f"{base}/models", headers=auth).json()["data"][0]["id"] == "tiny"
    body = {"model": "tiny", "messages": [{"role": "user", "content": "1+1?"}], "n": 2, "max_tokens": 4,
            "temperature": 0.7, "seed": 3}
    reply = httpx.post(f"{base}/chat/completions", json=body, headers=auth, timeout=60).json()
    assert len(reply["choices"]) == 2 and reply["usage"]["completion_tokens"] >= 2
    again = httpx.post(f"{base}/chat/completions", json=body, headers=auth, timeout=60).json()
    assert [c["message"] for c in again["choices"]] == [c["message"] for c in reply["choices"]]  # seeded
    assert httpx.post(f"{base}/chat/completions", json=body, timeout=60).status_code == 401
    assert httpx.get(f"{base}/models", headers={"Authorization": "Bearer wrong"}).status_code == 401
    other = httpx.post(f"{base}/chat/completions", json={**body, "model": "gpt-9"}, headers=auth, timeout=60)
    assert other.status_code == 404


def test_eval_openai_backend_through_r1_serve(r1, served, tmp_path):
    base, _ = served
    result = r1("eval", "aime24", "--model", "tiny", "--backend", "openai", "--base-url", base,
                "--api-key", "s3cret", "--limit", 1, "--max-new-tokens", 4, "--offline", "--output-dir",
                tmp_path, "--json")
    assert result.code == 0, result.err
    assert result.json()["num_problems"] == 1


def test_serve_port_in_use_is_one_line(r1, tiny_model):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = r1("serve", "--model", tiny_model, "--port", busy.getsockname()[1])
    assert result.code == 2 and "cannot listen on 127.0.0.1" in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
