"""``r1 sandbox serve``: an HTTP router in front of any sandbox provider (FastAPI + uvicorn).

Endpoints: ``GET /health``, ``POST /v1/execute`` (r1's batch format), ``POST /execute_batch``
(open-r1's router format), ``GET /metrics`` (Prometheus text), and the OpenAPI schema at
``/openapi.json``. FastAPI and uvicorn are the ``r1-sandbox[server]`` extra, imported lazily.
"""

import hmac
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from r1_core.config import parse_key_values
from r1_core.errors import ConfigError, MissingExtraError
from r1_core.protocols import ExecRequest, ExecResult, Sandbox

from r1_sandbox.batch_compat import BatchRequest, ScriptResult, to_exec_requests, to_script_result
from r1_sandbox.execution_service import BatchTooLargeError, ExecutionService, QueueFullError

__all__ = [
    "TOKEN_ENV",
    "ExecuteRequest",
    "ExecuteResponse",
    "RunningRouter",
    "build_app",
    "register_serve_command",
    "running_router",
    "serve",
]

TOKEN_ENV = "R1_ROUTER_TOKEN"
_PARALLELISM_OPTION = {"local": "max_workers", "e2b": "max_parallel", "morph": "max_parallel"}
log = logging.getLogger("r1.router")


class ExecuteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    requests: list[ExecRequest] = Field(description="executed concurrently; results keep this order")


class ExecuteResponse(BaseModel):
    results: list[ExecResult]


def _import_server_deps() -> tuple[Any, Any]:
    try:
        import fastapi
        import uvicorn
    except ImportError:
        raise MissingExtraError("fastapi/uvicorn (the router service)", "r1-sandbox[server]") from None
    return fastapi, uvicorn


def build_app(service: ExecutionService, *, token: str | None = None) -> Any:
    """The FastAPI application serving ``service``; ``token`` (if set) guards the POST endpoints."""
    fastapi, _ = _import_server_deps()
    from fastapi import Depends, Header, HTTPException
    from fastapi.encoders import jsonable_encoder
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, PlainTextResponse

    class AsciiJSONResponse(JSONResponse):
        # ASCII escapes keep lone surrogates (which JSON input may carry back in `id` or output)
        # encodable, so a response can never fail to serialise into a 500.
        def render(self, content: Any) -> bytes:
            return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")

    app = fastapi.FastAPI(
        title="r1 sandbox router", version="1", default_response_class=AsciiJSONResponse,
        description="Runs code-execution batches on one machine's sandbox provider, with bounded "
                    "concurrency and back-pressure (429 when the queue is full).",
    )
    app.state.service = service

    @app.exception_handler(RequestValidationError)
    async def invalid_body(_request: Any, exc: Any) -> AsciiJSONResponse:
        return AsciiJSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)

    expected = f"Bearer {token}".encode() if token else None

    def authorize(authorization: str | None = Header(None, include_in_schema=False)) -> None:
        if expected is None:
            return
        if authorization is None or not hmac.compare_digest(authorization.encode(errors="replace"), expected):
            raise HTTPException(401, f"missing or wrong bearer token (the router requires {TOKEN_ENV})",
                                headers={"WWW-Authenticate": "Bearer"})

    async def run(requests: list[ExecRequest]) -> list[ExecResult]:
        try:
            return await service.execute(requests)
        except QueueFullError as exc:
            raise HTTPException(429, str(exc), headers={"Retry-After": "1"}) from None
        except BatchTooLargeError as exc:
            raise HTTPException(413, str(exc)) from None

    @app.get("/health", summary="Provider, tier, capacity and queue depth")
    async def health() -> dict[str, Any]:
        return service.health()

    @app.post("/v1/execute", response_model=ExecuteResponse, dependencies=[Depends(authorize)],
              responses={401: {}, 413: {}, 429: {"description": "queue full; retry after a pause"}},
              summary="Run a batch of ExecRequests; results in request order")
    async def execute(body: ExecuteRequest) -> ExecuteResponse:
        return ExecuteResponse(results=await run(body.requests))

    @app.post("/execute_batch", response_model=list[ScriptResult], dependencies=[Depends(authorize)],
              responses={401: {}, 413: {}, 429: {"description": "queue full; retry after a pause"}},
              summary="open-r1 router format: scripts + languages -> Execution-shaped items")
    async def execute_batch(body: BatchRequest) -> list[ScriptResult]:
        return [to_script_result(r) for r in await run(to_exec_requests(body))]

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(service.prometheus(), media_type="text/plain; version=0.0.4")

    return app


@dataclass
class RunningRouter:
    """A router serving in a background thread of this process (see :func:`running_router`)."""

    url: str
    service: ExecutionService


@contextmanager
def running_router(sandbox: Sandbox, *, host: str = "127.0.0.1", port: int = 0, max_concurrency: int = 4,
                   queue_size: int = 64, token: str | None = None,
                   grace_s: float = 30.0) -> Iterator[RunningRouter]:
    """Serve ``sandbox`` on ``host:port`` (0 = a free port) in a thread for the ``with`` block.

    For embedding a router in a process that also does other work, for tests and benchmarks.
    """
    _, uvicorn = _import_server_deps()
    service = ExecutionService(sandbox, max_concurrency=max_concurrency, queue_size=queue_size,
                               grace_s=grace_s)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    config = uvicorn.Config(build_app(service, token=token), log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="r1-router")
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the router thread did not start")
        time.sleep(0.01)
    bound = sock.getsockname()[1]
    try:
        yield RunningRouter(url=f"http://{host}:{bound}", service=service)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _open_provider(provider: str, options: dict[str, Any]) -> Sandbox:
    if ":" in provider:  # module:attribute, for providers that are not packaged as plugins
        from r1_core.api import load_object
        obj = load_object(provider)
        return obj(**options) if callable(obj) else obj
    from r1_core.api import get_sandbox
    return get_sandbox(provider, **options)


def serve(provider: str = "local", *, host: str = "127.0.0.1", port: int = 8000,
          max_concurrency: int | None = None, queue_size: int | None = None,
          provider_options: dict[str, Any] | None = None, token: str | None = None) -> None:
    """Run the router until interrupted. ``token`` defaults to ``$R1_ROUTER_TOKEN``."""
    _, uvicorn = _import_server_deps()
    concurrency = max_concurrency or os.cpu_count() or 1
    queue = queue_size if queue_size is not None else 32 * concurrency
    if concurrency < 1 or queue < 0:
        raise ConfigError(f"bad router size: --max-concurrency {concurrency}, --queue-size {queue}",
                          "use --max-concurrency >= 1 and --queue-size >= 0")
    token = token if token is not None else (os.environ.get(TOKEN_ENV) or None)
    options = dict(provider_options or {})
    if provider in _PARALLELISM_OPTION:  # the provider's own pool matches the router's concurrency
        options.setdefault(_PARALLELISM_OPTION[provider], concurrency)
    sandbox = _open_provider(provider, options)
    service = ExecutionService(sandbox, max_concurrency=concurrency, queue_size=queue)
    if token is None and host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("router on %s without %s: anyone who can reach it can run code", host, TOKEN_ENV)
    try:
        uvicorn.run(build_app(service, token=token), host=host, port=port, log_level="warning",
                    access_log=False, timeout_graceful_shutdown=5)
    finally:
        sandbox.close()


def register_serve_command(group: Any) -> None:
    """Add ``serve`` to the ``r1 sandbox`` typer group (called from plugin.py)."""
    import typer

    @group.command("serve")
    def serve_command(
        provider: str = typer.Option("local", help="sandbox provider behind the router (or module:attr)"),
        host: str = typer.Option("127.0.0.1", help="interface to bind; 0.0.0.0 for other machines"),
        port: int = typer.Option(8000, help="TCP port"),
        max_concurrency: int = typer.Option(0, help="executions at once (0 = number of CPUs)"),
        queue_size: int = typer.Option(-1, help="executions allowed to wait (-1 = 32 x concurrency)"),
        option: list[str] = typer.Option([], "--option", "-o",
                                         help="provider option KEY=VALUE (JSON values), repeatable"),
    ) -> None:
        """Serve a sandbox provider over HTTP to trainers on other machines (token: R1_ROUTER_TOKEN)."""
        serve(provider, host=host, port=port, max_concurrency=max_concurrency or None,
              queue_size=None if queue_size < 0 else queue_size, provider_options=parse_key_values(option))


