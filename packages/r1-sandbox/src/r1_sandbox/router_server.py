"""``r1 sandbox serve``: an HTTP router in front of any sandbox provider (FastAPI + uvicorn).

Endpoints: ``GET /health``, ``POST /v1/execute`` (r1's batch format), ``POST /execute_batch``
(open-r1's router format), ``GET /metrics`` (Prometheus text), and the OpenAPI schema at
``/openapi.json``. FastAPI and uvicorn are the ``r1-sandbox[server]`` extra, imported lazily.

Refusals come before anything runs: 422 for an invalid body or a compile flag off the allow-list,
413 for a batch (or body) larger than the router's whole capacity, 429 when the queue is full
(by executions or by bytes held). A batch still running after :data:`HEARTBEAT_S` is answered
as a stream: a space every :data:`HEARTBEAT_S` seconds (JSON allows leading whitespace), then
the results. A client's per-read timeout (``requests``' ``timeout``, as open-r1's router clients
use it, or httpx's read timeout) thus sees a live router however long the batch queues; the
``router`` client reads ``heartbeat_s`` from ``/health`` and takes a silence of a few
heartbeats for a dead router.
"""

import asyncio
import hmac
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from r1_core.config_parsing import parse_key_values
from r1_core.errors import ConfigError, MissingExtraError
from r1_core.protocols import ExecRequest, ExecResult, Sandbox

from r1_sandbox.batch_compat import BatchRequest, ScriptResult, to_exec_requests, to_script_result
from r1_sandbox.router_dispatch import (
    DEFAULT_QUEUE_SIZE,
    BatchTooLargeError,
    ExecutionService,
    InvalidRequestError,
    QueueFullError,
    default_queue_bytes,
)

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
HEARTBEAT_S = 10.0
BODY_SLACK = 4  # a JSON body may be this much larger than the texts it carries (escapes)
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


def build_app(service: ExecutionService, *, token: str | None = None,
              heartbeat_s: float = HEARTBEAT_S) -> Any:
    """The FastAPI application serving ``service``; ``token`` (if set) guards the POST endpoints;
    a batch running longer than ``heartbeat_s`` is answered as a stream."""
    fastapi, _ = _import_server_deps()
    from fastapi import Depends, Header, HTTPException
    from fastapi.encoders import jsonable_encoder
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

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
    app.add_middleware(_BodyLimit, limit=BODY_SLACK * service.queue_bytes)

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

    def submit(requests: list[ExecRequest]) -> asyncio.Task[list[ExecResult]]:
        try:
            return service.submit(requests)
        except InvalidRequestError as exc:
            raise HTTPException(422, str(exc)) from None
        except QueueFullError as exc:
            raise HTTPException(429, str(exc), headers={"Retry-After": "1"}) from None
        except BatchTooLargeError as exc:
            raise HTTPException(413, str(exc)) from None

    async def answer(requests: list[ExecRequest], render: Callable[[list[ExecResult]], Any]) -> Any:
        """The rendered results; a batch still running after ``heartbeat_s`` is streamed: a space
        every ``heartbeat_s`` (readers' per-read timeouts see a live router), then the JSON."""
        task = submit(requests)
        done, _ = await asyncio.wait({task}, timeout=heartbeat_s)
        if done:
            return render(task.result())

        async def heartbeats() -> Any:
            while not (await asyncio.wait({task}, timeout=heartbeat_s))[0]:
                yield b" "
            content = jsonable_encoder(render(task.result()))
            yield json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")

        return StreamingResponse(heartbeats(), media_type="application/json")

    @app.get("/health", summary="Provider, tier, capacity and queue depth")
    async def health() -> dict[str, Any]:
        return {**service.health(), "heartbeat_s": heartbeat_s}

    @app.post("/v1/execute", response_model=ExecuteResponse, dependencies=[Depends(authorize)],
              responses={401: {}, 413: {}, 422: {"description": "invalid body or compile flag"},
                         429: {"description": "queue full; retry after a pause"}},
              summary="Run a batch of ExecRequests; results in request order")
    async def execute(body: ExecuteRequest) -> Any:
        return await answer(body.requests, lambda results: ExecuteResponse(results=results))

    @app.post("/execute_batch", response_model=list[ScriptResult], dependencies=[Depends(authorize)],
              responses={401: {}, 413: {}, 422: {"description": "invalid body"},
                         429: {"description": "queue full; retry after a pause"}},
              summary="open-r1 router format: scripts + languages -> Execution-shaped items")
    async def execute_batch(body: BatchRequest) -> Any:
        return await answer(to_exec_requests(body), lambda results: [to_script_result(r) for r in results])

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(service.prometheus(), media_type="text/plain; version=0.0.4")

    return app


class _BodyLimit:
    """Refuses (413) a body whose declared length the router could never admit, before reading it."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST":
            length = dict(scope.get("headers") or ()).get(b"content-length", b"")
            if length.isdigit() and int(length) > self.limit:
                body = json.dumps({"detail": f"request body of {int(length)} bytes exceeds this router's "
                                             f"limit of {self.limit} bytes; split the batch"}).encode()
                await send({"type": "http.response.start", "status": 413,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


@dataclass
class RunningRouter:
    """A router serving in a background thread of this process (see :func:`running_router`)."""

    url: str
    service: ExecutionService


@contextmanager
def running_router(sandbox: Sandbox, *, host: str = "127.0.0.1", port: int = 0, max_concurrency: int = 4,
                   queue_size: int | None = None, queue_bytes: int | None = None, token: str | None = None,
                   grace_s: float = 30.0, heartbeat_s: float = HEARTBEAT_S) -> Iterator[RunningRouter]:
    """Serve ``sandbox`` on ``host:port`` (0 = a free port) in a thread for the ``with`` block.

    For embedding a router in a process that also does other work, for tests and benchmarks.
    ``queue_size`` / ``queue_bytes``: as for ``r1 sandbox serve`` (default: sized for trainer bursts).
    """
    _, uvicorn = _import_server_deps()
    service = ExecutionService(sandbox, max_concurrency=max_concurrency, queue_size=queue_size,
                               queue_bytes=queue_bytes, grace_s=grace_s)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    config = uvicorn.Config(build_app(service, token=token, heartbeat_s=heartbeat_s), log_level="warning",
                            access_log=False, timeout_graceful_shutdown=2)
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
          max_concurrency: int | None = None, queue_size: int | None = None, queue_mb: int | None = None,
          provider_options: dict[str, Any] | None = None, token: str | None = None) -> None:
    """Run the router until interrupted. ``token`` defaults to ``$R1_ROUTER_TOKEN``.

    ``queue_size``: executions waiting at most (default :data:`DEFAULT_QUEUE_SIZE`); ``queue_mb``:
    MiB the pending requests and unanswered results may hold (default: an eighth of the memory,
    64 MiB to 1 GiB). Beyond either: HTTP 429."""
    _, uvicorn = _import_server_deps()
    concurrency = max_concurrency or os.cpu_count() or 1
    queue = queue_size if queue_size is not None else DEFAULT_QUEUE_SIZE
    queue_bytes = queue_mb << 20 if queue_mb is not None else default_queue_bytes()
    if concurrency < 1 or queue < 0 or queue_bytes < 1:
        raise ConfigError(f"bad router size: --max-concurrency {concurrency}, --queue-size {queue}, "
                          f"--queue-mb {queue_mb}",
                          "use --max-concurrency >= 1, --queue-size >= 0 and --queue-mb >= 1")
    token = token if token is not None else (os.environ.get(TOKEN_ENV) or None)
    options = dict(provider_options or {})
    if provider in _PARALLELISM_OPTION:  # the provider's own pool matches the router's concurrency
        options.setdefault(_PARALLELISM_OPTION[provider], concurrency)
    sandbox = _open_provider(provider, options)
    service = ExecutionService(sandbox, max_concurrency=concurrency, queue_size=queue,
                               queue_bytes=queue_bytes)
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
        queue_size: int = typer.Option(-1, help=f"executions allowed to wait (-1 = {DEFAULT_QUEUE_SIZE})"),
        queue_mb: int = typer.Option(0, help="MiB pending requests and unanswered results may hold "
                                             "(0 = an eighth of the memory, 64-1024 MiB)"),
        option: list[str] = typer.Option([], "--option", "-o",
                                         help="provider option KEY=VALUE (JSON values), repeatable"),
    ) -> None:
        """Serve a sandbox provider over HTTP to trainers on other machines (token: R1_ROUTER_TOKEN)."""
        serve(provider, host=host, port=port, max_concurrency=max_concurrency or None,
              queue_size=None if queue_size < 0 else queue_size, queue_mb=queue_mb or None,
              provider_options=parse_key_values(option))


