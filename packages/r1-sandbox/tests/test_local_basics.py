"""The local sandbox through its public API: contract, languages, files, compile cache, SE."""

from __future__ import annotations

import asyncio
import shutil
import uuid

import pytest
from r1_core.api import get_sandbox
from r1_core.errors import ConfigError, SandboxError
from r1_core.protocols import ExecRequest, Verdict
from r1_core.testing import check_sandbox_contract


@pytest.fixture(scope="module")
def sandbox():
    sb = get_sandbox("local")
    yield sb
    sb.close()


def nonce() -> str:
    return uuid.uuid4().hex


def test_contract_and_strict_tier(sandbox):
    check_sandbox_contract(sandbox)
    assert sandbox.tier == "strict"
    res = sandbox.run([ExecRequest(language="python", source="print(1)")])[0]
    assert (res.provider, res.details["tier"], res.verdict) == ("local", "strict", Verdict.OK)


def test_python_files_args_and_read_files(sandbox):
    req = ExecRequest(
        language="python",
        source="import sys, helper\n"
               "open('answer.out', 'w').write(helper.f(open('data.in').read()) + sys.argv[1])",
        files={"helper.py": "def f(s):\n    return s.upper()\n", "data.in": "abc"},
        args=["!"], read_files=["answer.out", "missing.out"], id="files")
    res = sandbox.run([req])[0]
    assert res.verdict == Verdict.OK, res
    assert res.files == {"answer.out": "ABC!"}
    assert res.id == "files"


def test_dev_has_what_programs_use(sandbox):
    """The sandbox's own /dev: stdio links that reopen (the pipes belong to the sandbox uid),
    data devices, a writable /dev/shm for POSIX semaphores; no tty, nothing of the host's."""
    code = """import os, multiprocessing
data = open('/dev/stdin').read()
print(data.upper(), file=open('/dev/stdout', 'w'))
print('to stderr', file=open('/dev/stderr', 'w'))
open('/dev/shm/sem-test', 'w').write('x')
lock = multiprocessing.Lock(); lock.acquire(); lock.release()
print(len(open('/dev/urandom', 'rb').read(16)), open('/dev/zero', 'rb').read(2), sorted(os.listdir('/dev')))
"""
    res = sandbox.run([ExecRequest(language="python", source=code, stdin="abc")])[0]
    assert res.verdict == Verdict.OK, res
    lines = res.stdout.splitlines()
    assert lines[0] == "ABC" and res.stderr == "to stderr\n"
    assert lines[1] == ("16 b'\\x00\\x00' ['fd', 'full', 'null', 'random', 'shm', 'stderr', 'stdin', "
                        "'stdout', 'urandom', 'zero']")


def test_read_files_do_not_follow_links(sandbox, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("TOPSECRET")
    req = ExecRequest(language="python", source=f"import os\nos.symlink({str(secret)!r}, 'x.out')\n"
                      "os.symlink('/etc/hostname', 'y.out')", read_files=["x.out", "y.out"])
    res = sandbox.run([req])[0]
    assert res.verdict == Verdict.OK and res.files == {}


def test_cpp_graders_headers_and_checker_args(sandbox):
    tag = nonce()
    grader = '#include "lib.h"\n#include <cstdio>\nint main(){ printf("%d\\n", solve(20)); }\n'
    solution = f'// {tag}\n#include "lib.h"\nint solve(int x) {{ return x + 1; }}\n'
    res = sandbox.run([ExecRequest(language="cpp", source=solution,
                                   files={"grader.cpp": grader, "lib.h": "int solve(int);\n"})])[0]
    assert res.verdict == Verdict.OK and res.stdout == "21\n", res
    checker = ('#include <fstream>\nint main(int c, char** v){ std::ifstream o(v[2]), e(v[3]); long a, b;'
               ' o >> a; e >> b; return a == b ? 0 : 1; }\n// ' + tag)
    reqs = [ExecRequest(language="cpp", source=checker, args=["input.txt", "output.txt", "expected.txt"],
                        files={"input.txt": "", "output.txt": out, "expected.txt": "42"})
            for out in ("42", "41")]
    ok, wrong = sandbox.run(reqs)
    assert (ok.verdict, wrong.verdict, wrong.exit_code) == (Verdict.OK, Verdict.RE, 1)
    # data files do not take part in the compile key: the checker compiled once
    assert ok.details["cached_compile"] or wrong.details["cached_compile"]


def test_compile_once_for_a_batch_and_across_batches(sandbox):
    src = (f"// {nonce()}\n#include <cstdio>\n"
           "int main(){ int a; scanf(\"%d\", &a); printf(\"%d\\n\", 2*a); }\n")
    before = sandbox.compile_cache.compilations
    reqs = [ExecRequest(language="cpp", source=src, stdin=f"{i}\n") for i in range(12)]
    results = sandbox.run(reqs)
    assert [r.stdout for r in results] == [f"{2 * i}\n" for i in range(12)]
    assert sandbox.compile_cache.compilations - before == 1
    assert sum(not r.details["cached_compile"] for r in results) == 1
    again = sandbox.run(reqs[:1])[0]
    assert again.details["cached_compile"] and again.compile_time_s == 0.0
    assert sandbox.compile_cache.compilations - before == 1


def test_compile_error_is_ce_with_output(sandbox):
    res = sandbox.run([ExecRequest(language="cpp", source=f"// {nonce()}\nint main() {{ return x; }}")])[0]
    assert res.verdict == Verdict.CE and "not declared" in res.compile_output


def test_c_language(sandbox):
    src = (f"/* {nonce()} */\n#include <stdio.h>\n#include <math.h>\n"
           "int main(){ printf(\"%.0f\\n\", sqrt(81.0)); }")
    res = sandbox.run([ExecRequest(language="c", source=src)])[0]
    assert res.verdict == Verdict.OK and res.stdout == "9\n", res


def test_arun_keeps_order(sandbox):
    reqs = [ExecRequest(language="python", source=f"print({i})") for i in range(6)]
    results = asyncio.run(sandbox.arun(reqs))
    assert [r.stdout for r in results] == [f"{i}\n" for i in range(6)]


def test_bad_requests_raise_before_running(sandbox):
    with pytest.raises(SandboxError, match="unknown language"):
        sandbox.run([ExecRequest(language="cobol", source="")])
    with pytest.raises(SandboxError, match="relative path"):
        sandbox.run([ExecRequest(language="python", source="", files={"../x": ""})])


def test_bad_option_is_config_error():
    with pytest.raises(ConfigError, match="max_workers"):
        get_sandbox("local", max_workers=0)
    with pytest.raises(ConfigError):
        get_sandbox("local", no_such_option=1)


def test_forced_infrastructure_failures_are_se(sandbox, monkeypatch):
    import r1_sandbox.isolation as isolation
    import r1_sandbox.supervise as supervise

    real = isolation.bwrap_argv

    def broken_bind(*args, **kwargs):  # a mount source that does not exist: bwrap cannot set up
        argv = real(*args, **kwargs)
        return [*argv[:-1], "--ro-bind", "/nonexistent-r1-source", "/nowhere", "--"]

    monkeypatch.setattr(supervise, "bwrap_argv", broken_bind)
    fake = "import sys; sys.stderr.write('bwrap: fake'); exit(1)"
    res = sandbox.run([ExecRequest(language="python", source=fake)])[0]
    assert res.verdict == Verdict.SE and "nonexistent" in res.message, res
    monkeypatch.undo()

    def no_cgroup(*args, **kwargs):
        raise OSError("cgroup creation failed (forced)")

    monkeypatch.setattr(supervise, "RunCgroup", no_cgroup)
    res = sandbox.run([ExecRequest(language="python", source="print(1)")])[0]
    assert res.verdict == Verdict.SE and "forced" in res.message
    monkeypatch.undo()
    # a program imitating bwrap's error text is judged like any failing program
    res = sandbox.run([ExecRequest(language="python", source=fake)])[0]
    assert res.verdict == Verdict.RE


def test_run_works_in_a_forked_child(sandbox):
    import os
    import signal

    assert sandbox.run([ExecRequest(language="python", source="print('parent')")])[0].ok
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the pool's threads did not survive the fork: run() must not hang
        signal.alarm(60)
        try:
            res = sandbox.run([ExecRequest(language="python", source="print('child')")])[0]
            os.write(write, b"1" if res.stdout == "child\n" else b"0")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1" and status == 0


def test_pickles_and_survives_close():
    import pickle

    sandbox = get_sandbox("local", max_workers=1)
    clone = pickle.loads(pickle.dumps(sandbox))
    assert clone.config == sandbox.config and clone.tier == "strict"
    sandbox.close()
    sandbox.close()
    assert sandbox.run([ExecRequest(language="python", source="print(7)")])[0].stdout == "7\n"
    assert clone.run([ExecRequest(language="python", source="print(8)")])[0].stdout == "8\n"
    clone.close()
    sandbox.close()


def test_default_sandboxes_share_one_limit_of_cores():
    """Programs (not sandbox set-up and teardown, which overlap them) of all default sandboxes of a
    process: at most CPU-cores at once. Each program reports when it ran; count the overlap."""
    import os
    import threading

    code = "import time; a = time.time(); time.sleep(0.3); print(a, time.time())"
    sleepers = [ExecRequest(language="python", source=code) for _ in range(4)]
    first, second = get_sandbox("local"), get_sandbox("local")  # e.g. a CP scorer and a code reward
    results: list = []
    threads = [threading.Thread(target=lambda sb=sb: results.extend(sb.run(sleepers)))
               for sb in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first.close()
    second.close()
    assert len(results) == 8 and all(r.verdict == Verdict.OK for r in results), results
    events = sorted(e for r in results for e in zip(map(float, r.stdout.split()), (1, -1), strict=True))
    running, peak = 0, 0
    for _, change in sorted(events, key=lambda e: (e[0], e[1])):  # an end before a start at a tie
        running += change
        peak = max(peak, running)
    assert 1 <= peak <= (os.cpu_count() or 1)


@pytest.mark.skipif(shutil.which("javac") is None, reason="Java is optional: no JDK on this machine")
def test_java_with_a_helper_class_and_cached_classes(sandbox):
    src = (f"// {nonce()}\nimport java.util.*;\npublic class Solution {{\n"
           "  public static void main(String[] a) { Scanner s = new Scanner(System.in);"
           " System.out.println(Helper.twice(s.nextInt())); }\n}\n")
    helper = "class Helper { static int twice(int x) { return 2 * x; } }\n"
    reqs = [ExecRequest(language="java", source=src, files={"Helper.java": helper}, stdin=f"{i}\n",
                        time_limit_s=5) for i in (4, 5)]
    first, second = sandbox.run(reqs)
    assert (first.verdict, first.stdout, second.stdout) == (Verdict.OK, "8\n", "10\n"), first
    assert first.details["cached_compile"] != second.details["cached_compile"]
    bad = sandbox.run([ExecRequest(language="java", source=f"// {nonce()}\nclass Main {{ int x = ; }}")])[0]
    assert bad.verdict == Verdict.CE and "error" in bad.compile_output
