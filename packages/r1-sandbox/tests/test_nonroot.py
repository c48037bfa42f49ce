"""The local sandbox for a user who is not root: a test uid, without and with a delegated cgroup.

The suite runs as root (CI does), so each test makes the non-root side itself: a home dir owned by
the test uid, a world-readable copy of the packages (the venv's interpreter lives under /root,
0700), and ``setpriv`` to become that uid before ``/usr/bin/python3`` starts. Delegation is done
the way systemd does it: a group in the v2 hierarchy whose directory and ``cgroup.procs``,
``cgroup.subtree_control`` and ``cgroup.threads`` are chowned to the user, with the user's process
moved into it by root before it drops privileges.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from r1_sandbox.cgroup import LEAF, Delegation, detect_delegated
from r1_sandbox.probe import ProbeReport, rootless_advice
from r1_sandbox.reaper import parse_status

# test uids (no passwd entry needed), far from the sandbox uids root drops to; one per test, since
# CI runs tests in parallel workers and each test kills what its uid left behind
UID_BASE = 47231
PYTHON = "/usr/bin/python3"
V2 = Path("/sys/fs/cgroup/unified") if Path("/sys/fs/cgroup/unified/cgroup.procs").exists() else Path(
    "/sys/fs/cgroup")
HYBRID = V2.name == "unified"
# what the CLI and the sandbox import; copied so the test uid can read them
MODULES = ("r1_core", "r1_sandbox", "pydantic", "pydantic_core", "annotated_types", "annotated_doc",
           "typing_extensions", "typing_inspection", "pluggy", "typer", "click", "rich", "shellingham",
           "markdown_it", "mdurl", "pygments", "yaml")

DRIVER = r'''
import json, logging, sys, threading, warnings
from r1_core.protocols import ExecRequest
from r1_sandbox.local import LocalSandbox

class Caught(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []
    def emit(self, record):
        self.lines.append(record.getMessage())
caught = Caught()
logging.getLogger("r1.sandbox").addHandler(caught)

spec = json.load(open(sys.argv[1]))
# a trainer has many threads: a process limit set outside the sandbox's user namespace would count them
idle = threading.Event()
for _ in range(spec.get("threads", 0)):
    threading.Thread(target=idle.wait, daemon=True).start()
with warnings.catch_warnings(record=True) as warned:
    warnings.simplefilter("always")
    sandbox = LocalSandbox(**spec.get("options", {}))
    LocalSandbox(**spec.get("options", {})).close()  # a second sandbox of the process: no second warning
with sandbox:
    results = sandbox.run([ExecRequest(**r) for r in spec["requests"]])
print(json.dumps({"tier": sandbox.tier, "layers": sandbox.isolation.layers,
                  "warnings": caught.lines + [str(w.message) for w in warned],
                  "results": [r.model_dump(mode="json") for r in results]}))
'''


@pytest.fixture(scope="module")
def runtime() -> Iterator[Path]:
    """A world-readable copy of what the non-root interpreter imports, plus the driver."""
    assert os.geteuid() == 0, "these tests make their own non-root user and need root (as CI runs)"
    rt = Path(tempfile.mkdtemp(prefix="r1-nonroot-rt-", dir="/tmp"))
    try:
        for name in MODULES:
            try:
                mod = importlib.import_module(name)
            except ImportError:
                continue
            src = Path(mod.__file__ or "")
            if src.name.startswith("__init__."):
                shutil.copytree(src.parent, rt / src.parent.name,
                                ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(src, rt / src.name)
        for dist in ("r1-core", "r1-sandbox"):  # entry points: the CLI finds the sandbox commands
            meta = importlib.metadata.distribution(dist)
            for f in meta.files or []:
                if f.parts[0].endswith(".dist-info"):
                    target = rt / f
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(Path(str(meta.locate_file(f))), target)
        (rt / "driver.py").write_text(DRIVER)
        subprocess.run(["chmod", "-R", "a+rX", str(rt)], check=True)
        rt.chmod(0o755)
        yield rt
    finally:
        shutil.rmtree(rt, ignore_errors=True)


@dataclass(frozen=True)
class User:
    uid: int
    home: Path


@pytest.fixture
def user(request: pytest.FixtureRequest) -> Iterator[User]:
    uid = UID_BASE + zlib.crc32(request.node.name.encode()) % 1000
    home = Path(tempfile.mkdtemp(prefix="r1-nonroot-home-", dir="/tmp"))
    os.chown(home, uid, uid)
    try:
        yield User(uid, home)
    finally:
        _kill_leftovers(uid)
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(f"/dev/shm/r1-sandbox-{uid}", ignore_errors=True)


@pytest.fixture
def delegated(user: User) -> Iterator[Path]:
    """A v2 group delegated to the test uid as systemd does it (chown of the dir and its files)."""
    group = V2 / f"r1-test-nonroot-{os.getpid()}"
    group.mkdir()
    try:
        os.chown(group, user.uid, user.uid)
        for name in ("cgroup.procs", "cgroup.subtree_control", "cgroup.threads"):
            os.chown(group / name, user.uid, user.uid)
        yield group
    finally:
        _remove_group_tree(group)


@pytest.fixture
def delegated_all(user: User) -> Iterator[list[Path]]:
    """Groups of the test uid with memory and pids limits: on a hybrid host one in the v2 hierarchy and
    one in each of the v1 memory and pids hierarchies (below root's own), chowned like the v2 one;
    on a pure v2 host one v2 group with memory and pids enabled for it (a Delegate=yes scope)."""
    name = f"r1-test-nonroot-{os.getpid()}"
    if HYBRID:
        own = {line.split(":")[1]: line.split(":", 2)[2] for line in
               Path("/proc/self/cgroup").read_text().splitlines()}
        v1 = [Path("/sys/fs/cgroup", c, own[c].lstrip("/"), name) for c in ("memory", "pids")]
        groups = [V2 / name, *v1]
    else:
        (V2 / "cgroup.subtree_control").write_text("+memory +pids")
        groups = [V2 / name]
    try:
        for group in groups:
            group.mkdir()
            os.chown(group, user.uid, user.uid)
            for f in ("cgroup.procs", "cgroup.subtree_control", "cgroup.threads", "tasks"):
                if (group / f).exists():
                    os.chown(group / f, user.uid, user.uid)
        yield groups
    finally:
        for group in groups:
            _remove_group_tree(group)


def _remove_group_tree(group: Path) -> None:
    deadline = time.monotonic() + 10  # zombies wait for this machine's slow PID 1 (~1-2 s)
    while group.exists():
        for path, _, _ in sorted(os.walk(group), key=lambda t: -len(t[0])):
            with contextlib.suppress(OSError):
                (Path(path) / "cgroup.kill").write_text("1")
            with contextlib.suppress(OSError):
                os.rmdir(path)
        if time.monotonic() > deadline:
            raise AssertionError(f"cannot remove the test's cgroup {group}")
        time.sleep(0.05)


def _live_processes(uid: int) -> list[str]:
    """Processes of the test uid that are not zombies (a zombie waits for PID 1 to reap it)."""
    live = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            status = (proc / "status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if fields["Uid"].split()[0] == str(uid) and not fields["State"].strip().startswith("Z"):
                live.append(f"{proc.name} {fields['Name'].strip()}")
    return live


def _settled_processes(uid: int) -> list[str]:
    """Live processes of ``uid`` once those being killed had time to finish dying (a killed sandbox's
    namespace is torn down asynchronously); a process that survives, like a daemon, stays listed."""
    deadline = time.monotonic() + 5
    while (live := _live_processes(uid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return live


def _kill_leftovers(uid: int) -> None:
    for entry in _live_processes(uid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(entry.split()[0]), 9)


def as_user(runtime: Path, user: User, args: list[str], *, group: Path | list[Path] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(user.home), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(runtime), "LANG": "C.UTF-8"}
    cmd = ["setpriv", f"--reuid={user.uid}", f"--regid={user.uid}", "--clear-groups", "--", PYTHON, *args]
    if group is not None:  # root puts the process into the delegated groups, then it drops to the uid
        groups = " ".join(str(g) for g in (group if isinstance(group, list) else [group]))
        cmd = ["/bin/sh", "-c", f'for g in {groups}; do echo $$ > $g/cgroup.procs || exit 1; done; exec "$@"',
               "sh", *cmd]
    return subprocess.run(cmd, env=env, cwd="/tmp", capture_output=True, text=True, timeout=timeout)


def run_batch(runtime: Path, user: User, requests: list[dict], *, group: Path | list[Path] | None = None,
              threads: int = 0) -> dict:
    spec = user.home / "spec.json"
    spec.write_text(json.dumps({"options": {"precompiled_header": False}, "requests": requests,
                                "threads": threads}))
    os.chown(spec, user.uid, user.uid)
    proc = as_user(runtime, user, [str(runtime / "driver.py"), str(spec)], group=group)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def doctor(runtime: Path, user: User, *, group: Path | None = None, json_out: bool = True):
    proc = as_user(runtime, user, ["-m", "r1_core.cli", "sandbox", "doctor",
                                   *(["--json"] if json_out else [])], group=group)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout) if json_out else proc.stdout


SPIN = "x = 0\nwhile True: x += 1\n"
# the parent never waits for the child doing the work (killed by its own CPU limit, left a zombie):
# its CPU time must still be charged to the run
HIDDEN_CPU = ("import os, time\npid = os.fork()\nif pid == 0:\n    x = 0\n    while True: x += 1\n"
              "while open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[0] != 'Z':\n"
              "    time.sleep(0.05)\nprint('done')\n")
FORK_BOMB = ("import os, time\nn = 0\ntry:\n    while n < 10000:\n        if os.fork() == 0:\n"
             "            time.sleep(30)\n            os._exit(0)\n        n += 1\n"
             "except OSError:\n    pass\nprint('forked', n)\n")
SETUID = ("import os, subprocess\nprint('euid', os.geteuid())\ntry:\n    os.setuid(0)\n"
          "    print('setuid ok')\nexcept OSError as e:\n    print('setuid refused', e.errno)\n"
          "r = subprocess.run(['/usr/bin/su', '-c', 'id -u'], capture_output=True, text=True, input='')\n"
          "print('su', r.returncode, r.stdout.strip())\n")
# the reaper's report is the run's truth: the program may neither write it nor make its absence look good
FORGE_STATUS = ("import os, signal\np = os.getppid()\ntry:\n    for fd in os.listdir(f'/proc/{p}/fd'):\n"
                "        os.write(os.open(f'/proc/{p}/fd/{fd}', os.O_WRONLY), b'r1-reap 0 0 0 0\\n')\n"
                "        print('forged', fd, flush=True)\nexcept OSError as e:\n"
                "    print('denied', e.errno, flush=True)\n"
                "os.kill(p, signal.SIGKILL)\n")
# burns 0.1 s of CPU, then sleeps past the wall limit: the CPU time is still reported
BURN_THEN_SLEEP = ("import time\nt = time.process_time()\nwhile time.process_time() - t < 0.1: pass\n"
                   "print('burned', flush=True)\ntime.sleep(60)\n")
DAEMON = ("import subprocess\nsubprocess.Popen(['sleep', '300'], start_new_session=True)\nprint('left')\n")


def _common_requests(*, exact_status: bool = True) -> list[tuple[dict, str]]:
    """(request, expected verdict) that must hold in every non-root tier; ``exact_status``: include
    ``sys.exit(152)`` (the reaper tells it from signal 24; for the strict tier that is the helper's
    job, issue 12 finding 5, tested with it)."""
    def py(name: str, source: str, **options: object) -> dict:
        return {"id": name, "language": "python", "source": source, **options}

    cases = [
        (py("ok", "print(input())", stdin="hi\n"), "OK"),
        (py("spin", SPIN, time_limit_s=0.5), "TLE"),
        (py("sleeper", "import time\ntime.sleep(30)", time_limit_s=0.2), "TLE"),
        (py("exit4", "raise SystemExit(4)"), "RE"),
        (py("exit152", "import sys\nsys.exit(152)"), "RE"),
        (py("mle", "x = []\nwhile True: x.append(bytearray(8 << 20))", memory_limit_mb=128), "MLE"),
        (py("ole", "while True: print('x' * 999)", output_limit_bytes=1 << 16), "OLE"),
        (py("bomb", FORK_BOMB), "OK"),
        (py("hidden", HIDDEN_CPU, time_limit_s=0.6, wall_limit_s=60), "TLE"),
        (py("daemon", DAEMON), "OK"),
        (py("burn", BURN_THEN_SLEEP, time_limit_s=1, wall_limit_s=3), "TLE"),
    ]
    return [c for c in cases if exact_status or c[0]["id"] != "exit152"]


def _check_common(results: list[dict], cases: list[tuple[dict, str]]) -> None:
    got = [(r["verdict"], r["message"]) for r in results]
    assert [v for v, _ in got] == [v for _, v in cases], got
    r = {res["id"]: res for res in results}
    assert r["ok"]["stdout"] == "hi\n" and r["ok"]["details"]["tier"] in ("rootless", "strict")
    assert 0 < r["ok"]["peak_memory_bytes"] < 64 << 20  # the program's RSS, not the supervisor's
    # on a loaded machine the wall limit may come first; then only a cgroup knows the CPU time
    assert r["spin"]["message"].startswith("wall time") or r["spin"]["cpu_time_s"] >= 0.5, r["spin"]
    assert r["sleeper"]["message"].startswith("wall time exceeded")  # was SE: bwrap reaped behind wait4
    assert (r["exit4"]["exit_code"], r["exit4"]["signal"]) == (4, None)
    if "exit152" in r:
        assert (r["exit152"]["exit_code"], r["exit152"]["signal"]) == (152, None)
    assert "memory" in r["mle"]["message"]
    forked = int(r["bomb"]["stdout"].split()[1])
    assert 0 < forked <= 64, r["bomb"]["stdout"]  # pids_max (64) processes + threads per run
    hidden, burn = r["hidden"], r["burn"]
    assert hidden["message"].startswith("CPU time") and hidden["cpu_time_s"] > 0.6, hidden  # the child's too
    assert burn["message"].startswith("wall time"), burn
    assert burn["cpu_time_s"] >= 0.1 or burn["stdout"] != "burned\n", burn  # known even when stopped


def test_rootless_tier_without_delegation_judges_and_contains(runtime, user):
    secret = user.home / "secret.txt"
    secret.write_text("CANARY-7f3a9 of the calling user\n")
    os.chown(secret, user.uid, user.uid)
    secret.chmod(0o600)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    accepted: list[object] = []
    listener.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                accepted.append(listener.accept())

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    hostile = [
        ({"language": "python", "source": f"print(open({str(secret)!r}).read())"}, "RE"),
        ({"language": "python", "source": "print(open('/etc/shadow').read())"}, "RE"),
        ({"language": "python", "source": "import os\nprint(sorted(os.listdir('/')))\n"
                                          "print(open('/proc/1/environ', 'rb').read())"}, "OK"),
        ({"language": "python",
          "source": f"import socket\nsocket.create_connection(('127.0.0.1', {port}), 1)"}, "RE"),
        ({"language": "python", "source": SETUID}, "OK"),
        ({"language": "python", "source": FORGE_STATUS}, "RE"),
        # the work dir is a tmpfs of tmpfs_mb inside: filling it is ENOSPC, not host memory
        ({"language": "python", "source": "for i in range(40):\n    with open(f'big{i}', 'wb') as f:\n"
                                          "        f.write(b'0' * (30 << 20))"}, "RE"),
        # stdin is a host file of the caller's uid: not writable through /proc
        ({"language": "python", "source": "open('/proc/self/fd/0', 'wb').write(b'x' * (1 << 20))"}, "RE"),
        # files in, files back (subdirectories too); links and fifos are not copied back
        ({"language": "python", "files": {"lib/data.txt": "input data\n"},
          "read_files": ["out.txt", "d/e/f.txt", "lib/data.txt", "link", "fifo"],
          "source": "import os\nprint(open('lib/data.txt').read().strip())\n"
                    "open('out.txt', 'w').write('42')\nos.makedirs('d/e')\n"
                    "open('d/e/f.txt', 'w').write('deep')\n"
                    "os.symlink('/etc/passwd', 'link')\nos.mkfifo('fifo')"}, "OK"),
        ({"language": "cpp", "source": "#include <vector>\n#include <cstdio>\nint main(){ long n; "
                                       "scanf(\"%ld\", &n); std::vector<char> v(n, 1); "
                                       "printf(\"%d\\n\", v[n - 1]); }",
          "stdin": str(1 << 30), "memory_limit_mb": 256}, "MLE"),
    ]
    cases = _common_requests() + hostile
    try:
        data = run_batch(runtime, user, [req for req, _ in cases], threads=100)
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert data["tier"] == "rootless" and "reaper" in data["layers"] and "cgroup" not in data["layers"]
    assert len(data["warnings"]) == 1 and "rootless tier" in data["warnings"][0]
    results = data["results"]
    common = len(cases) - len(hostile)
    _check_common(results[:common], cases[:common])
    assert [r["verdict"] for r in results[common:]] == [v for _, v in hostile], [
        (r["verdict"], r["message"], r["stderr"][-300:]) for r in results[common:]]
    home_file, shadow, root_view, net, setuid, forge, fill, stdin, files, cpp_mle = results[common:]
    assert "FileNotFoundError" in home_file["stderr"] and "FileNotFoundError" in shadow["stderr"]
    assert "'home'" not in root_view["stdout"] and "'root'" not in root_view["stdout"]
    assert "PYTHONPATH" not in root_view["stdout"] and str(runtime) not in root_view["stdout"]
    assert "PermissionError" in net["stderr"] and not accepted
    lines = setuid["stdout"].splitlines()
    assert lines[0] == f"euid {user.uid}" and lines[1].startswith("setuid refused") and "su 0" not in lines[2]
    assert forge["stdout"] == "denied 13\n" and forge["signal"] == 9, forge
    assert "No space left on device" in fill["stderr"] and "PermissionError" in stdin["stderr"]
    assert files["stdout"] == "input data\n"
    assert files["files"] == {"out.txt": "42", "d/e/f.txt": "deep", "lib/data.txt": "input data\n"}
    assert cpp_mle["compile_output"] == "" or "error" not in cpp_mle["compile_output"]
    everything = json.dumps(results)
    assert "CANARY-7f3a9" not in everything
    assert not _settled_processes(user.uid)  # the setsid daemon and the fork bomb's children are gone


HOSTILE_DRIVER = r'''
import json, sys, warnings
from r1_core.protocols import ExecRequest
from r1_sandbox.local import LocalSandbox
from hostile_programs import PROGRAMS

port, secret, escape = sys.argv[1:4]
warnings.simplefilter("ignore")
results = []
options = {"max_workers": 2, "compile_memory_mb": 768, "compile_time_limit_s": 6, "compile_wall_limit_s": 60}
limits = {"time_limit_s": 1.0, "memory_limit_mb": 256, "wall_limit_s": 10.0}
with LocalSandbox(**options) as sb:
    for phase in (1, 2):
        batch = [p for p in PROGRAMS if p.phase == phase and p.language != "java"]
        requests = [ExecRequest(language=p.language, id=p.name, source=p.source.replace("{port}", port)
                                .replace("{secret}", secret).replace("{escape}", escape),
                                **{**limits, **p.options})
                    for p in batch]
        results += [r.model_dump(mode="json") for r in sb.run(requests)]
print(json.dumps(results))
'''
# checks of the root suite that encode what only a cgroup gives (the whole tree killed at the CPU
# limit) or what the rootless work dir does differently (a tmpfs of tmpfs_mb fills before one file
# reaches file_size_mb): here, instead
ROOTLESS_CHECKS = {"py_cpu_processes": lambda r: r.message.startswith(("CPU time", "wall time")),
                   "py_disk_fill": lambda r: "No space left on device" in r.stderr}


@pytest.mark.slow
def test_hostile_catalogue_as_a_user_without_root(runtime, user):
    """The root suite's hostile programs (Python, C++) in the rootless tier: same verdicts, nothing
    leaks, nothing is left. Java is not run: the JVM reserves more address space than RLIMIT_AS
    allows (docs/sandbox.md, "Without root")."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from hostile_programs import PROGRAMS
    from r1_core.protocols import ExecResult

    shutil.copy2(Path(__file__).parent / "hostile_programs.py", runtime / "hostile_programs.py")
    (runtime / "hostile_driver.py").write_text(HOSTILE_DRIVER)
    for f in ("hostile_programs.py", "hostile_driver.py"):
        (runtime / f).chmod(0o644)
    secret = user.home / "token"
    secret.write_text("r1-canary-nonroot-5b1e")
    os.chown(secret, user.uid, user.uid)
    secret.chmod(0o600)
    escape = Path(tempfile.mkdtemp(prefix="r1-nonroot-escape-", dir="/tmp"))
    escape.chmod(0o777)  # writable by the test user: only the sandbox can stop a write here
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    try:
        proc = as_user(runtime, user, [str(runtime / "hostile_driver.py"), str(listener.getsockname()[1]),
                                       str(secret), str(escape)], timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        results = {r["id"]: ExecResult.model_validate(r) for r in json.loads(proc.stdout)}
        failures = []
        for p in PROGRAMS:
            if p.language == "java":
                continue
            r = results[p.name]
            if r.verdict not in p.expected:
                failures.append(f"{p.name}: {r.verdict} (expected {sorted(p.expected)}) {r.message} "
                                f"{r.stderr[-300:]!r} {r.compile_output[-300:]!r}")
            elif not ROOTLESS_CHECKS.get(p.name, p.check or (lambda _: True))(r):
                failures.append(f"{p.name}: check failed: {r.model_dump(exclude={'stdout'})}")
        assert not failures, "\n".join(failures)
        assert "r1-canary-nonroot-5b1e" not in proc.stdout
        assert list(escape.iterdir()) == []
        with pytest.raises(BlockingIOError):
            listener.accept()
        assert not _settled_processes(user.uid)
    finally:
        listener.close()
        shutil.rmtree(escape, ignore_errors=True)


def test_rootless_with_a_delegated_group_accounts_cpu_in_the_cgroup(runtime, user, delegated):
    cases = _common_requests()
    data = run_batch(runtime, user, [req for req, _ in cases], group=delegated)
    if HYBRID:  # memory and pids are v1 here: the v2 group gives CPU accounting and kill-all only
        assert data["tier"] == "rootless" and "cgroup" in data["layers"]
        assert "summed over the tree by the delegated cgroup" in data["warnings"][0]
    else:
        assert data["tier"] == "strict" and not data["warnings"]
    results = data["results"]
    _check_common(results, cases)
    assert not _settled_processes(user.uid)
    runs = [p for p in (delegated / "r1-sandbox").iterdir() if p.is_dir()] if HYBRID else []
    assert all(not (p / "cgroup.procs").read_text().split() for p in runs)


def test_strict_without_root_from_delegated_groups_with_memory_and_pids(runtime, user, delegated_all):
    cases = _common_requests(exact_status=False)
    data = run_batch(runtime, user, [req for req, _ in cases], group=delegated_all, threads=100)
    assert data["tier"] == "strict" and not data["warnings"], data["warnings"]
    assert data["layers"] == ["rlimits", "cgroup", "bwrap", "seccomp"]  # no uid drop, no reaper
    results = data["results"]
    _check_common(results, cases)
    mle = next(r for r in results if r["id"] == "mle")
    assert mle["message"] == "memory limit of 128 MiB exceeded" and mle["peak_memory_bytes"] > 100 << 20
    assert not _settled_processes(user.uid)
    doc = doctor(runtime, user, group=delegated_all)
    assert doc["layers"]["cgroup"] == "ok" and doc["best_tier"] == "strict"
    assert doc["cgroup_layout"] == ("hybrid" if HYBRID else "v2") and doc["without_root"]["gaps"] == ""


def test_doctor_without_root_says_what_it_gets_and_how_to_get_more(runtime, user):
    data = doctor(runtime, user)
    assert data["root"] is False and data["sandbox_uid"] == user.uid and data["best_tier"] == "rootless"
    assert data["layers"]["reaper"] == "ok" and data["tiers"]["rootless"] == "ok"
    assert "not delegated" in data["layers"]["cgroup"]
    advice = data["without_root"]
    assert advice["applies"] and advice["tier"] == "rootless" and "RLIMIT_AS" in advice["gaps"]
    group = V2 / f"r1-{user.uid}"
    files = " ".join(f"{group}/{f}" for f in ("cgroup.procs", "cgroup.subtree_control", "cgroup.threads"))
    chown = f"chown {user.uid} {group} {files}"
    assert any(chown in line for line in advice["for_more"]), advice["for_more"]
    if HYBRID:
        memory = f"/sys/fs/cgroup/memory/r1-{user.uid}"
        assert any("cgroup-v1" in line and f"{memory} {memory}/cgroup.procs" in line
                   for line in advice["for_more"])
    text = doctor(runtime, user, json_out=False)
    assert "without root:" in text and "for more:" in text and "best tier: rootless" in text


def test_doctor_with_a_delegated_group(runtime, user, delegated):
    data = doctor(runtime, user, group=delegated)
    if HYBRID:
        assert data["layers"]["cgroup"].startswith("partial: CPU accounting and kill-all")
        assert data["cgroup_layout"] == "v2-cpu" and data["best_tier"] == "rootless"
        assert "delegated cgroup" in data["without_root"]["gaps"]
    else:
        assert data["layers"]["cgroup"] == "ok" and data["best_tier"] == "strict"


def test_full_delegation_on_a_fake_pure_v2_cgroupfs(tmp_path):
    """What ``systemd-run --user --scope -p Delegate=yes`` gives on a pure v2 host (this machine kind is
    hybrid): our processes move to a leaf, memory+pids are enabled below the delegated group."""
    scope = tmp_path / "user.slice" / "run-1.scope"
    scope.mkdir(parents=True)
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids\n")
    (tmp_path / "cgroup.procs").write_text("")
    (scope / "cgroup.controllers").write_text("cpu memory pids\n")
    (scope / "cgroup.subtree_control").write_text("")
    (scope / "cgroup.procs").write_text("4242\n")
    proc_cgroup = tmp_path / "self-cgroup"
    proc_cgroup.write_text("0::/user.slice/run-1.scope\n")
    deleg = detect_delegated(tmp_path, proc_cgroup)
    assert deleg.status == "ok" and not deleg.hybrid and deleg.own == scope
    assert deleg.layout is not None and deleg.layout.limits and deleg.layout.kind == "v2"
    assert deleg.layout.memory == deleg.layout.pids == deleg.layout.v2 == scope / "r1-sandbox"
    assert (scope / LEAF / "cgroup.procs").read_text() == "4242"  # moved out of the delegated group
    assert (scope / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (scope / "r1-sandbox" / "cgroup.subtree_control").read_text() == "+memory +pids"
    # a second supervisor, started from the leaf, uses the same delegated group
    proc_cgroup.write_text(f"0::/user.slice/run-1.scope/{LEAF}\n")
    assert detect_delegated(tmp_path, proc_cgroup).own == scope


def test_partial_delegation_on_a_fake_hybrid_cgroupfs(tmp_path):
    unified = tmp_path / "unified"
    group = unified / "r1-user"
    group.mkdir(parents=True)
    (unified / "cgroup.procs").write_text("")
    (group / "cgroup.procs").write_text("")
    proc_cgroup = tmp_path / "self-cgroup"
    proc_cgroup.write_text("4:memory:/x\n0::/r1-user\n")
    deleg = detect_delegated(tmp_path, proc_cgroup)
    assert deleg.hybrid and deleg.status.startswith("partial") and "cgroup-v1" in deleg.status
    assert deleg.layout is not None and not deleg.layout.limits
    assert deleg.layout.parents() == [group / "r1-sandbox"]


def test_full_delegation_on_a_fake_hybrid_cgroupfs(tmp_path):
    """Root chowned the caller's own group in the v2, v1 memory and v1 pids hierarchies: strict."""
    for sub in ("unified/r1-user", "memory/x", "pids/x"):
        (tmp_path / sub).mkdir(parents=True)
        (tmp_path / sub / "cgroup.procs").write_text("")
    (tmp_path / "unified" / "cgroup.procs").write_text("")
    (tmp_path / "memory" / "x" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    proc_cgroup = tmp_path / "self-cgroup"
    proc_cgroup.write_text("8:pids:/x\n4:memory:/x\n1:cpu,cpuacct:/\n0::/r1-user\n")
    deleg = detect_delegated(tmp_path, proc_cgroup)
    assert deleg.status == "ok" and deleg.hybrid and deleg.layout is not None and deleg.layout.limits
    assert deleg.layout.kind == "hybrid"
    assert deleg.layout.parents() == [tmp_path / "memory/x/r1-sandbox", tmp_path / "pids/x/r1-sandbox",
                                      tmp_path / "unified/r1-user/r1-sandbox"]
    assert all(p.is_dir() for p in deleg.layout.parents())


def test_reaper_status_is_its_last_line():
    assert parse_status(b"r1-reap 0 0 1500000 2048 0 0\n") is not None
    status = parse_status(b"r1-reap 0 0 1 1 0 0\nr1-reap -1 9 2500000 4096 28 1\n")
    assert status is not None
    assert (status.exit_code, status.signal, status.cpu_s) == (None, 9, 2.5)
    assert (status.peak_memory_bytes, status.copy_errno, status.wall) == (4 << 20, 28, True)
    assert parse_status(b"") is None and parse_status(b"r1-reap x\n") is None


def test_doctor_advice_on_a_pure_v2_host_that_refuses_user_namespaces():
    report = ProbeReport(False, None, None, bwrap="/usr/bin/bwrap", delegation=Delegation(
        None, "own cgroup /sys/fs/cgroup/user.slice/a.scope is not delegated", Path("/x"), hybrid=False))
    report.tiers = {"strict": "missing cgroup", "namespaces": "missing cgroup", "rlimits": "ok",
                    "rootless": "failed: bwrap: No permission to create new namespace"}
    advice = rootless_advice(report)
    assert advice["applies"] and advice["tier"] == "rlimits"
    assert "user.max_user_namespaces" in advice["for_more"][0]
    if Path("/run/systemd/system").is_dir():
        assert "systemd-run --user --scope -p Delegate=yes -- r1" in advice["for_more"][1]
    else:
        assert advice["for_more"][1].startswith("as root: echo +memory +pids > /sys/fs/cgroup/cgroup.")
        assert f"chown {os.geteuid()} /sys/fs/cgroup/r1-" in advice["for_more"][1]


def test_reaper_report_that_the_work_dir_could_not_be_copied_back_is_a_sandbox_error(tmp_path):
    from r1_core.protocols import Verdict
    from r1_sandbox.isolation import Limits
    from r1_sandbox.reaper import ReaperRun
    from r1_sandbox.supervise import Outcome
    from r1_sandbox.verdicts import decide

    binary = tmp_path / "r1-reap"
    binary.write_text("")
    run = ReaperRun(str(binary))
    try:
        os.write(run.status_w, b"r1-reap 0 0 20000 2048 28 0\n")
        run.started()
        out = Outcome(started=True, exit_code=0)
        run.apply(out, cgroup_cpu=False, cgroup_memory=False)
    finally:
        run.close()
    limits = Limits(cpu_s=1, wall_s=3, memory_bytes=64 << 20, pids=16, file_size_bytes=1 << 20, open_files=64,
                    stdout_bytes=1 << 16, stderr_keep_bytes=1 << 16, stderr_hard_bytes=1 << 16)
    verdict, message = decide(out, limits)
    assert verdict == Verdict.SE and "No space left on device" in message
    assert (out.cpu_s, out.peak_memory_bytes) == (0.02, 2 << 20)
