"""The ``morph`` sandbox provider: each request runs on a fresh Morph Cloud instance.

Uses the ``morphcloud`` instance API (``MorphCloudClient().instances.astart`` / ``Instance.aexec``
/ ``Instance.astop``). Needs ``pip install "r1-sandbox[morph]"`` and ``MORPH_API_KEY``. The
instance starts from ``snapshot_id`` (or ``$MORPH_SNAPSHOT_ID``); without one, a snapshot with
python3 and g++ is built once from ``image_id`` and reused (Morph caches build steps by digest).
Files travel through ``exec`` in base64 chunks, so no SSH key is needed; the program runs without
network (``unshare --net``) and the instance is stopped after every request.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Sequence
from typing import Any

from r1_core.errors import ConfigError, MissingExtraError
from r1_core.protocols import ExecRequest, ExecResult, Verdict

from r1_sandbox.cloud import (
    LoopSemaphores,
    job_json,
    lifetime_s,
    parse_report,
    result_from_report,
    runner_source,
)

__all__ = ["MorphSandbox"]

KEY_ENV = "MORPH_API_KEY"
SNAPSHOT_ENV = "MORPH_SNAPSHOT_ID"
SETUP_STEPS = [
    "command -v python3 >/dev/null && command -v g++ >/dev/null || "
    "(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 g++)",
]
_DECODE = "import base64,sys; open(sys.argv[2],'wb').write(base64.b64decode(open(sys.argv[1],'rb').read()))"
CHUNK = 96 * 1024  # under Linux's 128 KiB limit on one command-line argument


def _sdk() -> Any:
    try:
        import morphcloud.api
    except ImportError:
        raise MissingExtraError("the Morph Cloud SDK (morphcloud)", "r1-sandbox[morph]") from None
    return morphcloud.api


class MorphSandbox:
    """Runs requests on Morph Cloud instances, ``max_parallel`` at a time.

    Args:
        api_key: default ``$MORPH_API_KEY``.
        snapshot_id: snapshot to start instances from; default ``$MORPH_SNAPSHOT_ID``, else one is
            built from ``image_id`` with ``vcpus``/``memory_mb``/``disk_mb``.
        max_parallel: instances alive at once from this provider.
        startup_timeout_s: how long an instance may take to become ready.
        grace_s: slack on top of compile + wall time for each step and the instance's TTL.
        workdir: where the job is written on the instance.
    """

    name = "morph"
    tier = "morph"

    def __init__(self, api_key: str | None = None, *, snapshot_id: str | None = None,
                 image_id: str = "morphvm-minimal", vcpus: int = 1, memory_mb: int = 2048,
                 disk_mb: int = 8192, max_parallel: int = 8, startup_timeout_s: float = 120.0,
                 grace_s: float = 15.0, workdir: str = "/tmp/r1") -> None:
        sdk = _sdk()
        key = api_key or os.environ.get(KEY_ENV) or None
        if not key:
            raise ConfigError(f"sandbox 'morph' needs an API key and {KEY_ENV} is not set",
                              f"export {KEY_ENV}=... (from https://cloud.morph.so) or pass api_key=")
        if max_parallel < 1:
            raise ConfigError(f"sandbox 'morph': max_parallel must be >= 1 (got {max_parallel})")
        self.client = sdk.MorphCloudClient(api_key=key)
        self.snapshot_id = snapshot_id or os.environ.get(SNAPSHOT_ENV) or None
        self.image = {"image_id": image_id, "vcpus": vcpus, "memory": memory_mb, "disk_size": disk_mb}
        self.max_parallel = max_parallel
        self._slots = LoopSemaphores(max_parallel)
        self.startup_timeout_s = startup_timeout_s
        self.grace_s = grace_s
        self.workdir = workdir.rstrip("/")
        self._runner = runner_source()
        self._snapshot_locks = LoopSemaphores(1)

    def run(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        return asyncio.run(self.arun(requests))

    async def arun(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        try:
            snapshot_id = await self._snapshot()
        except Exception as exc:
            message = f"morph: no snapshot to start from ({type(exc).__name__}: {exc})"[:2000]
            return [self._se(r, message) for r in requests]
        slots = self._slots.get()

        async def one(request: ExecRequest) -> ExecResult:
            async with slots:
                return await self._run_one(snapshot_id, request)

        return list(await asyncio.gather(*(one(r) for r in requests)))

    def close(self) -> None:
        """Instances are stopped after each request; nothing stays open."""

    async def _snapshot(self) -> str:
        if self.snapshot_id:
            return self.snapshot_id
        async with self._snapshot_locks.get():
            if not self.snapshot_id:
                digest = "r1-sandbox-{image_id}-{vcpus}-{memory}-{disk_size}".format(**self.image)
                found = await self.client.snapshots.alist(digest=digest)
                base = found[0] if found else await self.client.snapshots.acreate(**self.image, digest=digest)
                built = await base.abuild(SETUP_STEPS)
                self.snapshot_id = built.id
        return self.snapshot_id

    def _se(self, request: ExecRequest, message: str) -> ExecResult:
        return ExecResult(verdict=Verdict.SE, message=message, provider=self.name, id=request.id)

    async def _run_one(self, snapshot_id: str, request: ExecRequest) -> ExecResult:
        lifetime = lifetime_s(request, self.grace_s)
        instance = None
        try:
            job = job_json(request)  # an unknown language fails here, before an instance starts
            instance = await asyncio.wait_for(
                self.client.instances.astart(snapshot_id, ttl_seconds=lifetime + int(self.startup_timeout_s),
                                             ttl_action="stop", timeout=self.startup_timeout_s),
                self.startup_timeout_s + 10)
            await self._upload(instance, "runner.py", self._runner)
            await self._upload(instance, "job.json", job)
            home = self.workdir
            argv = ["python3", f"{home}/runner.py", f"{home}/job.json", f"{home}/work"]
            done = await instance.aexec(argv, timeout=lifetime)
            report = parse_report(done.stdout)
            if done.exit_code != 0 and "error" not in report:
                report = {"error": f"runner exit {done.exit_code}: {done.stderr[-500:]}"}
            return result_from_report(report, request, provider=self.name)
        except Exception as exc:  # per request: one lost instance never zeroes the batch
            return self._se(request, f"morph: {type(exc).__name__}: {exc}"[:2000])
        finally:
            if instance is not None:
                await self._stop(instance)

    async def _upload(self, instance: Any, name: str, text: str) -> None:
        target, path = f"{self.workdir}/{name}", f"{self.workdir}/{name}.b64"
        payload = base64.b64encode(text.encode("utf-8", errors="surrogateescape")).decode("ascii")
        await instance.aexec(["mkdir", "-p", self.workdir], timeout=self.grace_s)
        await instance.aexec(["sh", "-c", ': > "$1"', "sh", path], timeout=self.grace_s)
        for start in range(0, len(payload), CHUNK):
            done = await instance.aexec(["sh", "-c", 'printf %s "$1" >> "$2"', "sh",
                                         payload[start:start + CHUNK], path], timeout=self.grace_s)
            if done.exit_code != 0:
                raise RuntimeError(f"upload of {name} failed: {done.stderr[-300:]}")
        done = await instance.aexec(["python3", "-c", _DECODE, path, target], timeout=self.grace_s)
        if done.exit_code != 0:
            raise RuntimeError(f"upload of {name} failed: {done.stderr[-300:]}")

    async def _stop(self, instance: Any) -> None:
        try:
            await asyncio.wait_for(instance.astop(), self.grace_s + 15)
        except Exception:
            pass
