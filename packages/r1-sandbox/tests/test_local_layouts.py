"""Layouts and degraded paths that this machine kind cannot show for real."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from pathlib import Path

import pytest
from r1_core.protocols import ExecRequest, Verdict
from r1_sandbox.cgroup import RunCgroup, detect_layout, sweep_stale
from r1_sandbox.local import LocalSandbox
from r1_sandbox.workdir import sweep_stale_workdirs


def test_pure_cgroup_v2_layout_on_a_fake_cgroupfs(tmp_path):
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (tmp_path / "cgroup.subtree_control").write_text("")
    layout = detect_layout(tmp_path)
    assert layout.kind == "v2" and layout.memory == layout.pids == layout.v2 == tmp_path / "r1-sandbox"
    assert (tmp_path / "r1-sandbox" / "cgroup.subtree_control").read_text() == "+memory +pids"
    group = RunCgroup(layout, "123-0", memory_bytes=256 << 20, pids_max=67)
    run = tmp_path / "r1-sandbox" / "123-0"
    assert (run / "memory.max").read_text() == str(256 << 20)
    assert (run / "memory.swap.max").read_text() == "0"
    assert (run / "pids.max").read_text() == "67"
    assert group.procs_files == [str(run / "cgroup.procs")]
    (run / "cpu.stat").write_text("usage_usec 1500000\nuser_usec 1000000\n")
    (run / "memory.peak").write_text(str(42 << 20))
    (run / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    (run / "pids.events").write_text("max 9\n")
    assert (group.cpu_time_s(), group.peak_memory_bytes(), group.oom_kills(), group.pids_refused()) == (
        1.5, 42 << 20, 1, 9)


def test_no_usable_cgroups_is_an_error(tmp_path):
    with pytest.raises(OSError, match="no usable cgroup"):
        detect_layout(tmp_path)


def test_rlimits_tier_without_cgroup_still_judges(monkeypatch):
    """The weakest path: no cgroup, no namespaces — rlimits, uid drop and process-group kill only."""
    monkeypatch.setenv("R1_SANDBOX_ALLOW_WEAK", "1")
    with pytest.warns(RuntimeWarning):
        sandbox = LocalSandbox(tier="rlimits")
    sandbox.isolation = dataclasses.replace(sandbox.isolation, cgroup=None)
    cases = [
        (ExecRequest(language="python", source="print(sum(range(10)))"), Verdict.OK),
        (ExecRequest(language="python", source="while True: pass", time_limit_s=0.5), Verdict.TLE),
        (ExecRequest(language="python", source="import time; time.sleep(30)", wall_limit_s=1), Verdict.TLE),
        (ExecRequest(language="python", source="x = bytearray(1 << 30)", memory_limit_mb=128), Verdict.MLE),
        (ExecRequest(language="python", source="raise SystemExit(5)"), Verdict.RE),
    ]
    with sandbox:
        results = sandbox.run([req for req, _ in cases])
    assert [r.verdict for r in results] == [v for _, v in cases], [(r.verdict, r.message) for r in results]
    assert results[0].stdout == "45\n" and results[0].cpu_time_s > 0


def test_stale_work_dirs_of_dead_supervisors_are_swept(tmp_path):
    (tmp_path / "999999999-1" / "box").mkdir(parents=True)
    (tmp_path / "1-5").mkdir()  # pid 1 is alive: kept
    assert sweep_stale_workdirs(tmp_path) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["1-5"]


def test_missing_interpreter_is_a_one_line_error():
    from r1_core.errors import SandboxError

    with LocalSandbox(python="/nonexistent/python3") as sandbox, pytest.raises(SandboxError, match="python="):
        sandbox.run([ExecRequest(language="python", source="print(1)")])


def test_compile_cache_keeps_the_most_recently_used_binaries(tmp_path):
    import os
    import time

    from r1_sandbox.compile_cache import Build, CompileCache

    cache = CompileCache(tmp_path / "bin", max_binaries=3)
    produced = tmp_path / "prog"
    produced.write_bytes(b"\x7fELF")
    for i in range(5):
        cache.store(f"k{i}", Build(ok=True), [produced])
        os.utime(tmp_path / "bin" / f"k{i}", (time.time() - 100 + i, time.time() - 100 + i))
    assert cache.lookup("k0").cached  # a hit refreshes k0
    assert cache.prune() == 2
    assert sorted(p.name for p in (tmp_path / "bin").iterdir()) == ["k0", "k3", "k4"]
    assert cache.lookup("k1") is None and cache.compilations == 5


def test_python_preexec_launcher_still_judges():
    """The fallback child setup (no C compiler): same verdicts as the compiled launcher."""
    from r1_core.testing import check_sandbox_contract

    with LocalSandbox(launcher="python") as sandbox:
        assert sandbox.isolation.launcher is None
        check_sandbox_contract(sandbox)
        bomb = ExecRequest(language="python", source="x = []\nwhile True: x.append(bytearray(8 << 20))",
                           memory_limit_mb=96)
        forks = ExecRequest(language="python", time_limit_s=0.5,
                            source="import os\nwhile True:\n    try: os.fork()\n    except OSError: pass")
        assert [r.verdict for r in sandbox.run([bomb, forks])] in (
            [Verdict.MLE, Verdict.TLE], [Verdict.MLE, Verdict.RE])


def test_launcher_is_used_only_from_a_private_dir(tmp_path):
    from r1_sandbox.launcher import build_launcher

    private = build_launcher(tmp_path / "ok", "gcc")
    assert private is not None and private.stat().st_mode & 0o022 == 0
    shared = tmp_path / "shared"
    (shared / "launcher").mkdir(parents=True)
    (shared / "launcher").chmod(0o777)  # anyone could swap the binary we would exec as root
    assert build_launcher(shared, "gcc") is None
    assert build_launcher(tmp_path / "nocc", "/nonexistent/cc") is None


def test_compile_cache_is_bounded_in_bytes(tmp_path):
    from r1_sandbox.compile_cache import Build, CompileCache

    cache = CompileCache(tmp_path / "bin", max_binaries=100, max_bytes=2500)
    produced = tmp_path / "prog"
    produced.write_bytes(b"x" * 1000)
    for i in range(4):
        cache.store(f"k{i}", Build(ok=True), [produced])
    cache.prune()
    left = sorted(p.name for p in (tmp_path / "bin").iterdir())
    assert len(left) == 2 and sum((tmp_path / "bin" / k / "prog").stat().st_size for k in left) <= 2500


def test_v2_without_delegation_explains_the_fix(tmp_path):
    (tmp_path / "cgroup.controllers").write_text("memory pids\n")
    (tmp_path / "cgroup.subtree_control").mkdir()  # writing it fails like EBUSY in a container
    with pytest.raises(OSError, match="leaf group"):
        detect_layout(tmp_path)


def _warmer_threads() -> int:
    return sum(t.name == "r1-sandbox-cgroup-warmer" for t in threading.enumerate())


def test_cgroup_warmer_runs_only_around_executions_and_outside_run_groups():
    """The warmer's helper hops between its own two groups while runs are active, then goes quiet."""
    with LocalSandbox(max_workers=1) as sandbox:
        assert sandbox.run([ExecRequest(language="python", source="print(1)")])[0].verdict == Verdict.OK
        layout = sandbox.isolation.cgroup
    groups = [layout.v2 / f"warm-{os.getpid()}-{x}" for x in "ab"]
    members = [pid for g in groups for pid in (g / "cgroup.procs").read_text().split()]
    assert len(members) == 1
    assert Path(f"/proc/{members[0]}/comm").read_text() == "cat\n"
    assert f"/r1-sandbox/{os.getpid()}-" not in Path(f"/proc/{members[0]}/cgroup").read_text()
    deadline = time.monotonic() + 5
    while _warmer_threads() and time.monotonic() < deadline:  # stops after its short linger
        time.sleep(0.05)
    assert _warmer_threads() == 0


def test_stale_warmer_groups_of_dead_supervisors_are_swept():
    layout = detect_layout()
    stale = layout.v2 / "warm-999999999-a"  # above pid_max: never a live process
    stale.mkdir(exist_ok=True)
    assert sweep_stale(layout) >= 1
    assert not stale.exists()


def test_runs_get_an_empty_network_namespace_never_shared_while_running():
    """Pooled network namespaces: none is the host's, two programs running at once never share one,
    only loopback exists in it, and a namespace is lent again once its run is over."""
    from r1_sandbox.netns import NETNS

    code = ("import os, time\nprint(os.readlink('/proc/self/ns/net'))\n"
            "print(sum(':' in line for line in open('/proc/net/dev')))\ntime.sleep(0.5)")
    with LocalSandbox(max_workers=2) as sandbox:
        together = sandbox.run([ExecRequest(language="python", source=code) for _ in range(2)])
        assert all(r.verdict == Verdict.OK for r in together), together
        ids = [r.stdout.split()[0] for r in together]
        assert ids[0] != ids[1] and os.readlink("/proc/self/ns/net") not in ids
        assert [r.stdout.split()[1] for r in together] == ["1", "1"]  # lo only
        pooled = sandbox.isolation.launcher is not None and os.geteuid() == 0
        if pooled:  # the strict tier on this machine kind: both namespaces went back to the pool
            assert NETNS.idle() >= 2
            again = sandbox.run([ExecRequest(language="python", source=code)])[0]
            assert again.stdout.split()[0] in ids


def test_netns_pool_keeps_only_clean_namespaces_and_forgets_them_after_fork():
    from r1_sandbox.netns import NetnsPool

    pool = NetnsPool()
    if os.geteuid() != 0:  # only root may setns: runs then get bwrap's own --unshare-net
        assert pool.acquire() is None
        return
    first, second = pool.acquire(), pool.acquire()
    assert first is not None and second is not None and first != second
    pool.release(first, reusable=True)
    pool.release(second, reusable=False)  # its run left processes behind: closed, never lent again
    assert pool.idle() == 1 and pool.acquire() == first
    with pytest.raises(OSError):
        os.fstat(second)
    pool.release(first, reusable=True)
    pool._reset()  # what a forked child does: the parent's namespaces may be in use by its runs
    assert pool.idle() == 0
    with pytest.raises(OSError):
        os.fstat(first)
