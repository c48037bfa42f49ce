"""``r1 serve``: a local model behind the OpenAI chat-completions API (no vLLM needed).

What it is for: ``r1 data generate``, ``r1 data filter-pass-rate`` and ``r1 eval --backend openai``
on a laptop or a CPU box, or several processes sharing one loaded model. It generates with
transformers, one request at a time; use vLLM's server where throughput matters.
"""

from __future__ import annotations

import os
import socket

import typer
from r1_core.cli.app import err_console
from r1_core.errors import ConfigError, MissingExtraError

__all__ = ["API_KEY_ENV", "serve_command"]

API_KEY_ENV = "R1_SERVE_API_KEY"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve_command(
    model: str = typer.Option(..., "--model", help="Model path or Hub id."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind; 0.0.0.0 for other machines."),
    port: int = typer.Option(8000, "--port", help="TCP port.", min=1, max=65535),
    served_name: str | None = typer.Option(None, "--served-name",
                                           help="Model name clients send (default: --model as given)."),
    api_key: str | None = typer.Option(None, "--api-key",
                                       help=f"Bearer token clients must send (default: ${API_KEY_ENV})."),
) -> None:
    """Serve a model over the OpenAI chat API (/v1/models, /v1/chat/completions) until interrupted."""
    try:
        import uvicorn
    except ImportError:
        raise MissingExtraError("uvicorn", "r1-cli[server]") from None
    _check_port(host, port)
    from r1_cli.openai_server import create_app

    key = api_key or os.environ.get(API_KEY_ENV) or None
    app = create_app(model, served_name=served_name, api_key=key)
    if key is None and host not in LOOPBACK:
        err_console.print(f"r1: warning: serving on {host} without an API key ({API_KEY_ENV}): anyone who "
                          "can reach it can use the model", markup=False)
    err_console.print(f"r1: serving {served_name or model!r} at http://{host}:{port}/v1 (Ctrl-C stops)",
                      markup=False)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def _check_port(host: str, port: int) -> None:
    """A port in use is a one-line error before the model loads, not a uvicorn log after it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                              "pass another --port (or --host)") from None
