"""Shared fixtures: a tiny local model, a loopback OpenAI-compatible server, an in-process CLI."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from r1_core.cli import main
from r1_core.testing import r1_host, r1_register  # noqa: F401  (isolated-host fixtures)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    from r1_core.tinymodel import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("tiny") / "model"))


@pytest.fixture(scope="session")
def openai_server(tiny_model: str):
    """The tiny model behind r1's OpenAI-compatible app, served by uvicorn on a free loopback port."""
    import uvicorn
    from r1_cli.openai_server import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(tiny_model, served_name="tiny"), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        assert time.time() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    thread.join(10)


class CLIResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def r1(capsys: pytest.CaptureFixture[str]):
    """Run ``r1 ARGS`` in-process; returns exit code, stdout and stderr."""

    def run(*args: str) -> CLIResult:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        captured = capsys.readouterr()
        return CLIResult(code, captured.out, captured.err)

    return run
