"""The e2b and morph providers against their SDK interfaces, with no network.

The SDK classes are replaced by fakes that record every call and carry out file writes and
commands on this machine, so the real adapter code and the real in-VM runner both run: the
verdicts checked here are produced by the same path a cloud VM would take.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from r1_core import ConfigError, ExecRequest, MissingExtraError, Verdict, get_sandbox
from r1_core.testing import check_sandbox_contract

PYTHON_BIN = str(Path(sys.executable).parent)


VM_DIR = "/r1-test-vm"  # the providers' workdir; each fake VM maps it to its own local directory


def _local_run(argv: list[str] | str, timeout: float | None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{PYTHON_BIN}:/usr/bin:/bin"}
    return subprocess.run(argv, shell=isinstance(argv, str), capture_output=True, text=True,
                          timeout=timeout, env=env)


# -- E2B ------------------------------------------------------------------------------------------

class FakeCommandExit(Exception):
    def __init__(self, stdout: str, stderr: str, exit_code: int) -> None:
        super().__init__(f"exit {exit_code}")
        self.stdout, self.stderr, self.exit_code = stdout, stderr, exit_code


@dataclass
class _Done:
    stdout: str
    stderr: str
    exit_code: int


class FakeE2BSandbox:
    created: list[dict[str, Any]] = []
    killed: list[int] = []
    commands_seen: list[dict[str, Any]] = []
    fail_create_for: set[int] = set()
    alive = 0
    peak_alive = 0

    root = Path("/nonexistent")

    def __init__(self, n: int) -> None:
        self.n = n
        self.vm = str(self.root / f"vm{n}")
        self.files = types.SimpleNamespace(write=self._write)
        self.commands = types.SimpleNamespace(run=self._run)

    @classmethod
    async def create(cls, **kwargs: Any) -> FakeE2BSandbox:
        n = len(cls.created)
        cls.created.append(kwargs)
        if n in cls.fail_create_for:
            raise RuntimeError("sandbox creation failed: rate limited")
        cls.alive += 1
        cls.peak_alive = max(cls.peak_alive, cls.alive)
        return cls(n)

    async def _write(self, path: str, data: str, request_timeout: float | None = None) -> None:
        assert request_timeout is not None
        target = Path(path.replace(VM_DIR, self.vm))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(data)

    async def _run(self, cmd: str, timeout: float | None = None,
                   request_timeout: float | None = None) -> _Done:
        self.commands_seen.append({"cmd": cmd, "timeout": timeout, "request_timeout": request_timeout})
        proc = await asyncio.to_thread(_local_run, cmd.replace(VM_DIR, self.vm), timeout)
        if proc.returncode != 0:
            raise FakeCommandExit(proc.stdout, proc.stderr, proc.returncode)
        return _Done(proc.stdout, proc.stderr, proc.returncode)

    async def kill(self, request_timeout: float | None = None) -> bool:
        type(self).alive -= 1
        self.killed.append(self.n)
        return True


@pytest.fixture
def fake_e2b(monkeypatch, tmp_path):
    module = types.ModuleType("e2b_code_interpreter")
    module.AsyncSandbox = FakeE2BSandbox
    module.CommandExitException = FakeCommandExit
    monkeypatch.setitem(sys.modules, "e2b_code_interpreter", module)
    FakeE2BSandbox.created, FakeE2BSandbox.killed, FakeE2BSandbox.commands_seen = [], [], []
    FakeE2BSandbox.fail_create_for = set()
    FakeE2BSandbox.alive = FakeE2BSandbox.peak_alive = 0
    FakeE2BSandbox.root = tmp_path
    monkeypatch.setenv("E2B_API_KEY", "e2b_test")
    return FakeE2BSandbox


def test_e2b_runs_requests_with_internet_off_and_explicit_timeouts(fake_e2b, tmp_path):
    sandbox = get_sandbox("e2b", workdir=VM_DIR, max_parallel=2)
    check_sandbox_contract(sandbox)
    assert fake_e2b.created, "no sandbox was created"
    for kwargs in fake_e2b.created:
        assert kwargs["allow_internet_access"] is False
        assert isinstance(kwargs["timeout"], int) and kwargs["timeout"] > 0
        assert kwargs["request_timeout"] == 30.0 and kwargs["api_key"] == "e2b_test"
    assert sorted(fake_e2b.killed) == list(range(len(fake_e2b.created)))  # every sandbox killed
    assert all(c["timeout"] and c["request_timeout"] for c in fake_e2b.commands_seen)


def test_e2b_creation_failure_costs_one_request_not_the_batch(fake_e2b, tmp_path):
    fake_e2b.fail_create_for = {1}
    sandbox = get_sandbox("e2b", workdir=VM_DIR, max_parallel=1)
    reqs = [ExecRequest(language="python", source=f"print({i})", id=str(i)) for i in range(3)]
    results = sandbox.run(reqs)
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.SE, Verdict.OK]
    assert "rate limited" in results[1].message and results[1].id == "1"
    assert [r.stdout for r in (results[0], results[2])] == ["0\n", "2\n"]


def test_e2b_parallelism_cap_holds_across_concurrent_calls(fake_e2b):
    sandbox = get_sandbox("e2b", workdir=VM_DIR, max_parallel=2)

    async def many_callers() -> list[list[Any]]:
        batches = [[ExecRequest(language="python", source=f"print('{k}{i}')") for i in range(2)]
                   for k in range(3)]
        return await asyncio.gather(*(sandbox.arun(b) for b in batches))

    results = asyncio.run(many_callers())
    expected = [[f"{k}{i}\n" for i in range(2)] for k in range(3)]
    assert [[r.stdout for r in batch] for batch in results] == expected
    assert fake_e2b.peak_alive == 2 and fake_e2b.alive == 0


def test_e2b_compile_error_and_cpp(fake_e2b, tmp_path):
    sandbox = get_sandbox("e2b", workdir=VM_DIR)
    ok, ce = sandbox.run([
        ExecRequest(language="cpp", source="#include <cstdio>\nint main(){int a,b;scanf(\"%d%d\",&a,&b);"
                                           "printf(\"%d\",a*b);}", stdin="6 7"),
        ExecRequest(language="cpp", source="int main( {"),
    ])
    assert (ok.verdict, ok.stdout) == (Verdict.OK, "42")
    assert ce.verdict == Verdict.CE and "error" in ce.compile_output


def test_e2b_without_key_is_a_one_line_config_error(fake_e2b, monkeypatch):
    monkeypatch.delenv("E2B_API_KEY")
    with pytest.raises(ConfigError, match="E2B_API_KEY") as info:
        get_sandbox("e2b")
    assert "\n" not in str(info.value)


def test_e2b_without_sdk_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "e2b_code_interpreter", None)
    with pytest.raises(MissingExtraError, match=r'pip install "r1-sandbox\[e2b\]"'):
        get_sandbox("e2b", api_key="k")


# -- Morph ----------------------------------------------------------------------------------------

class FakeInstance:
    def __init__(self, client: FakeMorphClient, n: int) -> None:
        self.client, self.id = client, f"morphvm_{n}"
        self.vm = str(client.root / self.id)

    async def aexec(self, command: list[str], timeout: float | None = None) -> _Done:
        assert isinstance(command, list) and timeout
        self.client.execs.append(command)
        proc = await asyncio.to_thread(_local_run, [c.replace(VM_DIR, self.vm) for c in command], timeout)
        return _Done(proc.stdout, proc.stderr, proc.returncode)

    async def astop(self) -> None:
        self.client.stopped.append(self.id)


class FakeSnapshot:
    def __init__(self, client: FakeMorphClient, sid: str) -> None:
        self.client, self.id = client, sid

    async def abuild(self, steps: list[str]) -> FakeSnapshot:
        self.client.builds.append((self.id, steps))
        return FakeSnapshot(self.client, f"{self.id}-built")


class FakeMorphClient:
    last: FakeMorphClient | None = None
    root = Path("/nonexistent")

    def __init__(self, api_key: str | None = None) -> None:
        FakeMorphClient.last = self
        self.api_key = api_key
        self.started: list[dict[str, Any]] = []
        self.execs: list[list[str]] = []
        self.stopped: list[str] = []
        self.builds: list[tuple[str, list[str]]] = []
        self.created: list[dict[str, Any]] = []
        self.instances = types.SimpleNamespace(astart=self._astart)
        self.snapshots = types.SimpleNamespace(alist=self._alist, acreate=self._acreate)

    async def _astart(self, snapshot_id: str, **kwargs: Any) -> FakeInstance:
        self.started.append({"snapshot_id": snapshot_id, **kwargs})
        return FakeInstance(self, len(self.started))

    async def _alist(self, digest: str | None = None) -> list[FakeSnapshot]:
        return []

    async def _acreate(self, **kwargs: Any) -> FakeSnapshot:
        self.created.append(kwargs)
        return FakeSnapshot(self, "snapshot_base")


@pytest.fixture
def fake_morph(monkeypatch, tmp_path):
    api = types.ModuleType("morphcloud.api")
    api.MorphCloudClient = FakeMorphClient
    package = types.ModuleType("morphcloud")
    package.api = api
    monkeypatch.setitem(sys.modules, "morphcloud", package)
    monkeypatch.setitem(sys.modules, "morphcloud.api", api)
    monkeypatch.setenv("MORPH_API_KEY", "morph_test")
    monkeypatch.delenv("MORPH_SNAPSHOT_ID", raising=False)
    FakeMorphClient.root = tmp_path
    return FakeMorphClient


def test_morph_runs_on_instances_from_a_built_snapshot(fake_morph, tmp_path):
    sandbox = get_sandbox("morph", workdir=VM_DIR, max_parallel=2)
    check_sandbox_contract(sandbox)
    client = fake_morph.last
    assert client.api_key == "morph_test"
    assert len(client.created) == 1 and client.created[0]["digest"].startswith("r1-sandbox-")
    assert len(client.builds) == 1  # built once, reused for every instance
    assert {s["snapshot_id"] for s in client.started} == {"snapshot_base-built"}
    for start in client.started:
        assert start["ttl_action"] == "stop" and start["ttl_seconds"] > 0 and start["timeout"] > 0
    assert sorted(client.stopped) == sorted(f"morphvm_{i + 1}" for i in range(len(client.started)))


def test_morph_uploads_large_inputs_in_chunks(fake_morph, tmp_path):
    sandbox = get_sandbox("morph", snapshot_id="snap_given", workdir=VM_DIR)
    stdin = "\n".join(str(i) for i in range(60_000)) + "\n"  # ~350 KB: several exec chunks
    source = "import sys; print(sum(map(int, sys.stdin.read().split())))"
    (result,) = sandbox.run([ExecRequest(language="python", stdin=stdin, source=source)])
    assert (result.verdict, result.stdout.strip()) == (Verdict.OK, str(sum(range(60_000))))
    client = fake_morph.last
    assert not client.builds and client.started[0]["snapshot_id"] == "snap_given"
    appends = [c for c in client.execs if c[:2] == ["sh", "-c"] and ">>" in c[2]]
    assert len(appends) >= 4 and all(len(c[4]) <= 96 * 1024 for c in appends)


def test_morph_lost_instance_is_se_for_that_request(fake_morph, tmp_path):
    sandbox = get_sandbox("morph", snapshot_id="s", workdir=VM_DIR)
    original = FakeInstance.aexec
    calls = {"n": 0}

    async def flaky(self, command, timeout=None):
        calls["n"] += 1
        if self.id == "morphvm_1":
            raise ConnectionError("instance vanished")
        return await original(self, command, timeout)

    FakeInstance.aexec = flaky
    try:
        results = sandbox.run([ExecRequest(language="python", source="print(1)", id="a"),
                               ExecRequest(language="python", source="print(2)", id="b")])
    finally:
        FakeInstance.aexec = original
    verdicts = {r.id: r.verdict for r in results}
    assert sorted(verdicts.values()) == [Verdict.OK, Verdict.SE]
    lost = next(r for r in results if r.verdict == Verdict.SE)
    assert "instance vanished" in lost.message
    assert len(fake_morph.last.stopped) == 2


def test_morph_without_key_or_sdk(monkeypatch, fake_morph):
    monkeypatch.delenv("MORPH_API_KEY")
    with pytest.raises(ConfigError, match="MORPH_API_KEY"):
        get_sandbox("morph")
    monkeypatch.setitem(sys.modules, "morphcloud.api", None)
    with pytest.raises(MissingExtraError, match=r"r1-sandbox\[morph\]"):
        get_sandbox("morph", api_key="k")


def test_cli_reports_missing_key_in_one_line(monkeypatch, fake_e2b, capsys):
    from r1_core.cli import main

    monkeypatch.delenv("E2B_API_KEY")
    with pytest.raises(SystemExit) as exit_info:
        main(["sandbox", "serve", "--provider", "e2b", "--port", "0"])
    assert exit_info.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "E2B_API_KEY" in errors[0] and "Traceback" not in errors[0]


def test_serve_sizes_the_providers_pool_to_the_routers_concurrency(fake_e2b, monkeypatch):
    import uvicorn
    from r1_sandbox.router_server import serve

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    serve("e2b", port=8123, max_concurrency=5, queue_size=7, provider_options={"workdir": VM_DIR})
    service = served["app"].state.service
    assert (service.max_concurrency, service.queue_size, service.sandbox.max_parallel) == (5, 7, 5)
    assert served["port"] == 8123
