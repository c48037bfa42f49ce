"""The ``router`` sandbox provider: a client of one or more ``r1 sandbox serve`` routers.

A batch is cut into chunks that go to whichever healthy router has the most free capacity (as
reported by ``GET /health``), so every router given is used (open-r1 configured router URLs and
then never forwarded them). Retries are safe because an execution is a pure function of its
request: a refused (429) or unreachable router is retried with backoff, elsewhere when possible.
A chunk that still fails comes back as ``SE`` results with the reason, counted in
:attr:`RouterSandbox.stats` and logged — never a silent reward of 0, never a hang.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
import ssl
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
from r1_core.errors import ConfigError
from r1_core.protocols import ExecRequest, ExecResult, Verdict

from r1_sandbox.compile_flags import check_requests

__all__ = ["URLS_ENV", "RouterSandbox"]

URLS_ENV = "R1_ROUTER_URLS"
TOKEN_ENV = "R1_ROUTER_TOKEN"
log = logging.getLogger("r1.router")


class _Refused(Exception):
    """The router is full (429): retry later or elsewhere, without spending a retry."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _TooLarge(Exception):
    """The chunk exceeds the router's whole capacity (413): split it."""


class _BadResponse(Exception):
    """The router answered with a 5xx or something that is not a result list: a failed attempt."""


@dataclass
class _Router:
    url: str
    capacity: int = 64
    concurrency: int = 1
    healthy: bool = True
    error: str = ""
    heartbeat_s: float | None = None  # the router streams a byte this often while a batch runs


class _Dispatch:
    """Per-call view of router load: chunks wait here until some router has room for them."""

    def __init__(self, routers: list[_Router]) -> None:
        self.routers = routers
        self.in_flight = {r.url: 0 for r in routers}
        self.room = asyncio.Condition()

    def _free(self, router: _Router) -> int:
        return router.capacity - self.in_flight[router.url]

    def _pick(self, n: int, avoid: _Router | None) -> _Router | None:
        healthy = [r for r in self.routers if r.healthy] or self.routers
        others = [r for r in healthy if r is not avoid] or healthy
        best = max(others, key=self._free)
        return best if self._free(best) >= n or self.in_flight[best.url] == 0 else None

    async def acquire(self, n: int, avoid: _Router | None) -> _Router:
        async with self.room:
            while (router := self._pick(n, avoid)) is None:
                await self.room.wait()
            self.in_flight[router.url] += n
            return router

    async def release(self, router: _Router, n: int) -> None:
        async with self.room:
            self.in_flight[router.url] -= n
            self.room.notify_all()


@dataclass
class RouterStats:
    """Counters since the provider was created (read them to surface router trouble)."""

    executions: int = 0
    system_errors: int = 0
    retries: int = 0
    refused: int = 0
    errors: dict[str, int] = field(default_factory=dict)


def _normalise(url: str) -> str:
    url = url.strip().rstrip("/")
    return url if "://" in url else f"http://{url}"


def _parse_urls(urls: str | Sequence[str] | None) -> list[str]:
    if urls is None:
        urls = os.environ.get(URLS_ENV, "")
    if isinstance(urls, str):
        urls = urls.replace(";", ",").split(",")
    parsed = [_normalise(u) for u in urls if u and u.strip()]
    if not parsed:
        raise ConfigError("sandbox 'router' needs at least one router URL",
                          f"set {URLS_ENV}=host1:8000,host2:8000 or pass urls=[...] (in a reward's "
                          "config: provider_config: {urls: [...]}); see docs/router.md")
    return list(dict.fromkeys(parsed))


class RouterSandbox:
    """Runs batches on remote ``r1 sandbox serve`` routers.

    Args:
        urls: router addresses (``host:port`` or full URLs); default ``$R1_ROUTER_URLS``
            (comma-separated).
        token: bearer token; default ``$R1_ROUTER_TOKEN``.
        chunk_size: most requests sent in one HTTP call (also capped by each router's capacity).
        retries: further attempts for a chunk after a connection failure or a lost router.
        backoff_s: first retry delay; doubles each attempt (with jitter), capped at 5 s.
        queue_wait_s: how long a chunk may keep being refused with 429 before it becomes ``SE``.
        connect_timeout_s: TCP connect and health-check timeout.
        grace_s: slack added to the time a chunk may take before the call is abandoned.
        health_interval_s: how often router health and capacity are re-read.
    """

    name = "router"
    tier = "remote"

    def __init__(self, urls: str | Sequence[str] | None = None, *, token: str | None = None,
                 chunk_size: int = 16, retries: int = 3, backoff_s: float = 0.2,
                 queue_wait_s: float = 600.0, connect_timeout_s: float = 5.0, grace_s: float = 60.0,
                 health_interval_s: float = 10.0) -> None:
        if chunk_size < 1 or retries < 0:
            raise ConfigError(f"sandbox 'router': chunk_size must be >= 1 and retries >= 0 "
                              f"(got {chunk_size}, {retries})")
        self.urls = _parse_urls(urls)
        self.token = token if token is not None else (os.environ.get(TOKEN_ENV) or None)
        self.chunk_size = chunk_size
        self.retries = retries
        self.backoff_s = backoff_s
        self.queue_wait_s = queue_wait_s
        self.connect_timeout_s = connect_timeout_s
        self.grace_s = grace_s
        self.health_interval_s = health_interval_s
        self.stats = RouterStats()
        self._routers = [_Router(u) for u in self.urls]
        self._checked_at = -float("inf")
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_pid = 0
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary())

    # -- public protocol ------------------------------------------------------------------------

    def run(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        # a private loop in a thread: works inside a caller's running loop too (TRL, notebooks),
        # and keeps one HTTP client with open connections across calls
        return asyncio.run_coroutine_threadsafe(self.arun(requests), self._own_loop()).result()

    async def arun(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        if not requests:
            return []
        check_requests(requests)  # compile flags off the allow-list: SandboxError before sending
        client = self._client()
        await self._refresh_health(client)
        dispatch = _Dispatch(self._routers)
        chunks = self._chunks(list(requests))
        parts = await asyncio.gather(*(self._run_chunk(client, dispatch, c) for c in chunks))
        results = [r for part in parts for r in part]
        self._count(results)
        return results

    def close(self) -> None:
        """Close the HTTP connections and stop the private loop of :meth:`run`."""
        loop, self._loop = self._loop, None
        if loop is None or self._loop_pid != os.getpid():
            return
        client = self._clients.pop(loop, None)
        if client is not None:
            asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)

    def _own_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            # after a fork the loop's thread is gone in the child: start a new one there
            if self._loop is None or self._loop_pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, daemon=True, name="r1-router-client").start()
                self._loop, self._loop_pid = loop, os.getpid()
            return self._loop

    def _client(self) -> httpx.AsyncClient:
        """One client per event loop (httpx clients belong to the loop that opened them)."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
            client = httpx.AsyncClient(headers=headers, limits=limits, trust_env=False, verify=_tls_context())
            self._clients[loop] = client
        return client

    # -- internals ------------------------------------------------------------------------------

    def _chunks(self, requests: list[ExecRequest]) -> list[list[ExecRequest]]:
        # no larger than the smallest router's capacity, so any router can take any chunk
        size = max(1, min([self.chunk_size] + [r.capacity for r in self._routers if r.healthy]))
        return [requests[i:i + size] for i in range(0, len(requests), size)]

    async def _refresh_health(self, client: httpx.AsyncClient, *, force: bool = False) -> None:
        interval = 1.0 if force else self.health_interval_s  # forced: at most once a second
        if time.monotonic() - self._checked_at < interval:
            return
        self._checked_at = time.monotonic()  # before the checks, so concurrent chunks do not repeat them
        await asyncio.gather(*(self._check(client, r) for r in self._routers))
        if not any(r.healthy for r in self._routers):
            errors = "; ".join(f"{r.url}: {r.error}" for r in self._routers)
            log.warning("no router answers /health: %s", errors)

    async def _check(self, client: httpx.AsyncClient, router: _Router) -> None:
        try:
            resp = await client.get(f"{router.url}/health", timeout=self.connect_timeout_s)
            resp.raise_for_status()
            body = resp.json()
            router.capacity = max(1, int(body.get("capacity", router.capacity)))
            router.concurrency = max(1, int(body.get("max_concurrency", router.concurrency)))
            heartbeat = body.get("heartbeat_s")
            beating = isinstance(heartbeat, int | float) and heartbeat > 0
            router.heartbeat_s = float(heartbeat) if beating else None
            router.healthy, router.error = True, ""
        except (httpx.HTTPError, ValueError, TypeError, AttributeError) as exc:
            router.healthy, router.error = False, _describe(exc)

    async def _run_chunk(self, client: httpx.AsyncClient, dispatch: _Dispatch,
                         chunk: list[ExecRequest]) -> list[ExecResult]:
        attempt, refusals, refused_since = 0, 0, None
        last: _Router | None = None
        failures: list[str] = []
        while True:
            router = await dispatch.acquire(len(chunk), avoid=last)
            too_large = False
            try:
                return await self._post(client, router, chunk)
            except _TooLarge as exc:
                if len(chunk) == 1:
                    return self._lost(chunk, f"router {router.url} refused a single execution ({exc})")
                too_large = True
            except _Refused as exc:  # the router is busy: wait, do not spend a retry
                self.stats.refused += 1
                refusals += 1
                refused_since = refused_since or time.monotonic()
                if time.monotonic() - refused_since > self.queue_wait_s:
                    return self._lost(chunk, f"routers stayed full for {self.queue_wait_s:.0f} s ({exc})")
                delay = min(exc.retry_after or 5.0, self._delay(min(refusals, 5)))
            except (httpx.TransportError, _BadResponse) as exc:
                router.healthy, router.error = False, _describe(exc)
                if isinstance(exc, httpx.TimeoutException) and not isinstance(
                        exc, httpx.ConnectTimeout | httpx.PoolTimeout):
                    # the router took the chunk and went silent: waiting again would double the hang
                    return self._lost(chunk, f"router {router.url} did not answer in time ({_describe(exc)})")
                failures.append(f"{router.url}: {_describe(exc)}")
                if attempt >= self.retries:
                    return self._lost(chunk, "router lost: " + "; ".join(failures))
                attempt += 1
                delay = self._delay(attempt)
            finally:
                await dispatch.release(router, len(chunk))
            if too_large:  # the router is smaller than its /health said (or it was unreachable then)
                half = len(chunk) // 2
                parts = await asyncio.gather(self._run_chunk(client, dispatch, chunk[:half]),
                                             self._run_chunk(client, dispatch, chunk[half:]))
                return parts[0] + parts[1]
            self.stats.retries += 1
            last = router
            await asyncio.sleep(delay)
            if not any(r.healthy for r in self._routers):
                await self._refresh_health(client, force=True)

    def _delay(self, attempt: int) -> float:
        return min(5.0, self.backoff_s * 2 ** max(0, attempt - 1)) * (0.5 + random.random())

    def _read_timeout(self, chunk: list[ExecRequest], router: _Router) -> float:
        if router.heartbeat_s is not None:
            # the router sends a byte every heartbeat while the chunk waits or runs (its queue may
            # hold thousands of executions): a few missed heartbeats mean it is hung or gone
            return 3 * router.heartbeat_s + self.grace_s
        # an older router: worst case, wait behind a full queue, then run; past that it is hung
        longest = max(r.effective_wall_limit_s for r in chunk)
        rounds = router.capacity / router.concurrency + 1
        return min(longest * rounds + self.grace_s, 24 * 3600.0)

    async def _post(self, client: httpx.AsyncClient, router: _Router,
                    chunk: list[ExecRequest]) -> list[ExecResult]:
        timeout = httpx.Timeout(self._read_timeout(chunk, router), connect=self.connect_timeout_s)
        body = {"requests": [r.model_dump(mode="json", exclude_defaults=True) for r in chunk]}
        resp = await client.post(f"{router.url}/v1/execute", json=body, timeout=timeout)
        if resp.status_code in (401, 403):
            raise ConfigError(f"router {router.url} refused the token ({resp.status_code})",
                              f"set {TOKEN_ENV} to the token the router was started with")
        if resp.status_code == 429:
            raise _Refused(f"{router.url} answered 429", _retry_after(resp))
        if resp.status_code == 413:
            raise _TooLarge(resp.text[:300])
        if resp.status_code >= 500:
            raise _BadResponse(f"HTTP {resp.status_code}: {resp.text[:200]}")
        if resp.status_code != 200:
            return self._lost(chunk, f"router {router.url} rejected the batch ({resp.status_code}): "
                                     f"{resp.text[:300]}")
        try:
            results = [ExecResult.model_validate(r) for r in resp.json()["results"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise _BadResponse(f"unreadable response: {_describe(exc)[:200]}") from None
        if len(results) != len(chunk):
            raise _BadResponse(f"{len(results)} results for {len(chunk)} requests")
        return results

    def _lost(self, chunk: list[ExecRequest], message: str) -> list[ExecResult]:
        with self._lock:
            self.stats.errors[message] = self.stats.errors.get(message, 0) + len(chunk)
        log.warning("%d executions marked SE: %s", len(chunk), message)
        return [ExecResult(verdict=Verdict.SE, message=message, provider=self.name, id=r.id)
                for r in chunk]

    def _count(self, results: list[ExecResult]) -> None:
        with self._lock:
            self.stats.executions += len(results)
            self.stats.system_errors += sum(r.verdict == Verdict.SE for r in results)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # building a context loads the CA bundle (~40 ms); once per process, not once per call
    return ssl.create_default_context()


def _retry_after(resp: httpx.Response) -> float | None:
    try:
        return max(0.05, float(resp.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
