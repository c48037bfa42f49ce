"""Hostile programs through the strict tier, in batches, alone and next to 4 other hostile runs.

After each batch: every program got its expected verdict, no process of the runs is left, nothing
was written outside the work dirs, the loopback listener of the test accepted no connection, and no
secret of the caller (environment variable, 0600 file) appears in any output.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from r1_core.protocols import ExecRequest, Verdict

sys.path.insert(0, str(Path(__file__).parent))
from hostile_programs import PROGRAMS, Hostile
from r1_sandbox.local import LocalSandbox

pytestmark = pytest.mark.slow
SECRET = f"r1-canary-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A loopback listener, a secret env var and 0600 file, and an escape dir, for the whole module."""
    os.environ["R1_TEST_SECRET_TOKEN"] = SECRET
    secret = tmp_path_factory.mktemp("secret") / "token"
    secret.write_text(SECRET)
    secret.chmod(0o600)
    escape = Path(tempfile.mkdtemp(prefix="r1-escape-"))
    escape.chmod(0o777)  # world-writable: only the sandbox can stop a write here
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.setblocking(False)
    sandbox = LocalSandbox(max_workers=2, compile_memory_mb=768, compile_time_limit_s=6,
                           compile_wall_limit_s=60)
    yield {"secret": secret, "escape": escape, "listener": listener, "sandbox": sandbox}
    sandbox.close()
    listener.close()
    os.environ.pop("R1_TEST_SECRET_TOKEN", None)


def _request(p: Hostile, world) -> ExecRequest:
    source = (p.source.replace("{port}", str(world["listener"].getsockname()[1]))
              .replace("{secret}", str(world["secret"])).replace("{escape}", str(world["escape"])))
    options = {"time_limit_s": 1.0, "memory_limit_mb": 256, "wall_limit_s": 10.0, **p.options}
    return ExecRequest(language=p.language, source=source, id=p.name, **options)


def _available(language: str) -> bool:
    return language != "java" or shutil.which("javac") is not None  # Java is optional


def _our_processes() -> list[str]:
    """Live (non-zombie) processes in this supervisor's run cgroups."""
    left = []
    prefix = f"/r1-sandbox/{os.getpid()}-"
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            groups = Path(f"/proc/{pid}/cgroup").read_text()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if prefix in groups and state != "Z":
            left.append(f"{pid} {Path(f'/proc/{pid}/cmdline').read_bytes()[:80]!r}")
    return left


def _run_suite(world) -> None:
    sandbox: LocalSandbox = world["sandbox"]
    failures = []
    results = []
    for phase in (1, 2):
        batch = [p for p in PROGRAMS if p.phase == phase and _available(p.language)]
        for p, res in zip(batch, sandbox.run([_request(p, world) for p in batch]), strict=True):
            results.append(res)
            if res.verdict not in p.expected:
                failures.append(f"{p.name}: {res.verdict} (expected {sorted(p.expected)}) {res.message} "
                                f"{res.stderr[-300:]!r} {res.compile_output[-300:]!r}")
            elif p.check is not None and not p.check(res):
                failures.append(f"{p.name}: check failed: {res.model_dump(exclude={'stdout'})} "
                                f"stdout={res.stdout[:300]!r}")
    assert not failures, "\n".join(failures)
    assert not any(r.verdict == Verdict.SE for r in results)
    for res in results:
        for text in (res.stdout, res.stderr, res.compile_output, *res.files.values()):
            assert SECRET not in text, f"{res.id} leaked the caller's secret"
    assert not _our_processes(), _our_processes()
    assert list(world["escape"].iterdir()) == [], "a program wrote outside its work dir"
    with pytest.raises(BlockingIOError):
        conn, _ = world["listener"].accept()
        conn.close()
    leftovers = [d for d in sandbox.work_root.iterdir() if d.name.startswith(f"{os.getpid()}-")]
    assert leftovers == []
    assert _our_cgroups_gone(sandbox), "run cgroups were not removed"


def _our_cgroups_gone(sandbox: LocalSandbox) -> bool:
    """Groups busy while the kernel reaps zombies are removed by the janitor within seconds."""
    layout = sandbox.isolation.cgroup
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = [d for parent in layout.parents() for d in parent.iterdir()
                if d.is_dir() and d.name.startswith(f"{os.getpid()}-")]
        if not left:
            return True
        time.sleep(0.2)
    return False


def test_catalogue_is_large_enough():
    assert len(PROGRAMS) >= 40
    assert len({p.name for p in PROGRAMS}) == len(PROGRAMS)
    assert {"python", "cpp"} <= {p.language for p in PROGRAMS}


def test_hostile_programs(world):
    _run_suite(world)


NOISE = """
import json, os, sys
from r1_core.protocols import ExecRequest
from r1_sandbox.local import LocalSandbox
bombs = [ExecRequest(language="python", source=src, time_limit_s=1.0, memory_limit_mb=128)
         for src in ("import os\\nwhile True:\\n    try: os.fork()\\n    except OSError: pass",
                     "x = []\\nwhile True: x.append(bytearray(8 << 20))",
                     "while True: print('y' * 4096)",
                     "import threading\\nwhile True: threading.Thread(target=lambda: None).start()")]
seen = []
with LocalSandbox(max_workers=4) as noise:
    print("started", flush=True)
    while not os.path.exists(sys.argv[1]):
        seen += [r.verdict.value for r in noise.run(bombs)]
print(json.dumps(seen))
"""


def test_hostile_programs_next_to_four_hostile_runs(world, tmp_path):
    """The same suite while another process keeps 4 hostile programs running at all times."""
    stop = tmp_path / "stop"
    noise = subprocess.Popen([sys.executable, "-c", NOISE, str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        assert noise.stdout.readline().strip() == "started"
        time.sleep(0.5)
        _run_suite(world)
    finally:
        stop.touch()
        out, _ = noise.communicate(timeout=60)
    seen = json.loads(out.strip().splitlines()[-1])
    assert len(seen) >= 4 and "SE" not in seen, seen
