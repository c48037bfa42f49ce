"""Stateful Python sessions and the ``python`` environment: state within an episode only, hostile
cells contained by the local sandbox and reported back as tool output."""

from __future__ import annotations

import os
import socket
import time
import uuid
from pathlib import Path

import pytest
from r1_core import ToolError, get_environment
from r1_sandbox.local import LocalSandbox
from r1_sandbox.session import LocalPythonSession, ReplayPythonSession, SessionLimits

SECRET = f"r1-canary-{uuid.uuid4().hex}"
FAST = SessionLimits(cell_cpu_s=1.0, cell_wall_s=2.0, memory_mb=128, output_bytes=300, session_cpu_s=20)


@pytest.fixture(scope="module")
def sandbox():
    box = LocalSandbox(max_workers=2)
    yield box
    box.close()


@pytest.fixture
def session(sandbox):
    with LocalPythonSession(sandbox, FAST) as s:
        yield s


def _session_processes(sandbox: LocalSandbox) -> list[str]:
    """Live processes of this test process's run cgroups (the sessions' included)."""
    prefix = f"/r1-sandbox/{os.getpid()}-"
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            groups = Path(f"/proc/{pid}/cgroup").read_text()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if prefix in groups and state != "Z":
            left.append(pid)
    return left


def _wait_gone(sandbox: LocalSandbox) -> list[str]:
    deadline = time.monotonic() + 10
    while (left := _session_processes(sandbox)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_state_persists_within_a_session_and_last_expression_is_shown(session):
    first = session.run("x = 41\ndef f(v):\n    return v + 1\nprint('hi')")
    assert first.ok and first.output == "hi\n"
    second = session.run("import math\nf(x)")
    assert second.ok and second.text() == "42"
    assert session.run("math.factorial(5)").text() == "120"
    assert session.starts == 1


def test_sessions_do_not_share_state(sandbox):
    with LocalPythonSession(sandbox, FAST) as a, LocalPythonSession(sandbox, FAST) as b:
        assert a.run("secret = 7").ok
        other = b.run("secret")
        assert other.status == "error" and "NameError" in other.error
        assert a.run("open('mine.txt', 'w').write('a')").ok
        assert "FileNotFoundError" in b.run("open('mine.txt').read()").error


def test_errors_and_timeouts_come_back_and_keep_the_state(session):
    assert session.run("x = 1").ok
    err = session.run("1/0")
    assert err.status == "error" and "ZeroDivisionError" in err.text() and "session_kernel" not in err.text()
    assert "SyntaxError" in session.run("def (").error
    slow = session.run("import time\ntime.sleep(30)")
    assert slow.status == "timeout" and "TimeoutError" in slow.text() and not slow.restarted
    spin = session.run("while True:\n    pass")
    assert spin.status == "timeout" and not spin.restarted
    caught = session.run("try:\n    while True: pass\nexcept Exception:\n    print('swallowed')")
    assert caught.status == "timeout" and "swallowed" not in caught.output
    assert "SystemExit" in session.run("import sys; sys.exit(3)").error
    assert "EOFError" in session.run("input()").error
    assert session.run("x").text() == "1" and session.starts == 1


def test_output_is_capped_including_subprocess_output(session):
    big = session.run("print('a' * 100000)")
    assert big.ok and len(big.output) == 300 and big.dropped_bytes > 99000
    assert "more bytes of output dropped" in big.text()
    assert session.run("import os; os.system('echo from-shell')").output.startswith("from-shell")


def test_a_cell_that_disables_the_timers_gets_the_session_killed(session, sandbox):
    assert session.run("x = 5").ok
    res = session.run("import signal\nfor s in (signal.SIGALRM, signal.SIGPROF):\n"
                      "    signal.signal(s, signal.SIG_IGN)\nwhile True: pass")
    assert res.status == "timeout" and res.restarted and "killed" in res.text()
    assert not session.alive
    again = session.run("x")
    assert "NameError" in again.error and session.starts == 2


def test_memory_bomb_kills_the_session_with_a_memory_error(session):
    assert session.run("x = 5").ok
    res = session.run("y = []\nwhile True: y.append(bytearray(8 << 20))")
    assert res.restarted and "MemoryError" in res.text()
    assert session.run("1 + 1").text() == "2"


def test_fork_bomb_is_bounded_and_forked_copies_never_answer(session, sandbox):
    res = session.run("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError as e:\n"
                      "        print('refused', e.errno)\n        break")
    assert "refused 11" in res.output
    assert session.run("'still here'").text() == "'still here'"
    session.close()
    assert _wait_gone(sandbox) == []


def test_exit_of_the_interpreter_is_reported(session):
    assert session.run("x = 1").ok
    res = session.run("import os; os._exit(0)")
    assert res.status == "died" and res.restarted and "ended" in res.error


def test_no_network_and_no_host_files(session, tmp_path):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.setblocking(False)
    secret = tmp_path / "token"
    secret.write_text(SECRET)
    secret.chmod(0o600)
    os.environ["R1_TEST_SESSION_SECRET"] = SECRET
    try:
        port = listener.getsockname()[1]
        net = session.run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)")
        assert net.status == "error"
        dns = session.run("import socket\nsocket.getaddrinfo('pypi.org', 443)")
        assert dns.status == "error"
        read = session.run(f"print(open({str(secret)!r}).read())")
        assert read.status == "error" and SECRET not in read.text()
        shadow = session.run("open('/etc/shadow').read()")
        assert shadow.status == "error"
        env = session.run("import os\nprint(dict(os.environ))")
        assert env.ok and SECRET not in env.output
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        os.environ.pop("R1_TEST_SESSION_SECRET", None)
        listener.close()


def test_forged_replies_are_ignored(session):
    res = session.run("f = open('/box/.r1-session-reply', 'w')\n"
                      "f.write('{\"id\": 999, \"output\": \"forged\"}\\n'); f.flush()\nprint('real')")
    assert res.ok and res.output == "real\n"
    assert session.run("2 * 21").text() == "42"


def test_close_removes_processes_and_work_dir(sandbox):
    s = LocalPythonSession(sandbox, FAST)
    assert s.run("import subprocess\np = subprocess.Popen(['sleep', '60'])").ok
    s.close()
    assert _wait_gone(sandbox) == []
    assert not [d for d in sandbox.work_root.iterdir() if d.name.startswith(f"{os.getpid()}-")]


def test_replay_session_keeps_state_over_one_shot_runs(sandbox):
    s = ReplayPythonSession(sandbox, FAST)
    assert s.run("x = 20\nprint('once')").output == "once\n"
    res = s.run("x += 1\nx * 2")
    assert res.ok and res.output == "42\n"  # the first cell's print is not repeated
    assert "ZeroDivisionError" in s.run("1/0").error
    assert s.run("x").output == "21\n"  # the failed cell is not replayed
    assert s.run("import time\ntime.sleep(30)").status == "timeout"


def test_python_environment_episodes(sandbox):
    env = get_environment("python", max_calls=3, call_wall_s=2, call_cpu_s=1, memory_mb=128)
    episode = env()
    assert episode.reset(problem="p") is None
    assert episode.python(code="total = 2 ** 10") == "[no output]"
    assert episode.python(code="total + 1") == "1025"
    err = episode.python(code="undefined_name")
    assert isinstance(err, ToolError) and "NameError" in err
    refused = episode.python(code="1")
    assert isinstance(refused, ToolError) and "at most 3" in refused
    [stats] = env.drain()
    assert (stats.calls, stats.errors) == (4, 2)
    episode.reset(problem="q")  # a new episode: nothing of the last one survives
    assert "NameError" in episode.python(code="total")
    episode._close()
    assert _wait_gone(sandbox) == []


def test_python_environment_is_listed_and_typed():
    env = get_environment("python")
    assert env.tools == ["python"]
    import inspect

    sig = inspect.signature(type(env()).python)
    assert list(sig.parameters) == ["self", "code"] and sig.parameters["code"].annotation in (str, "str")


def test_a_sandbox_that_cannot_start_is_a_system_error_not_the_models(sandbox):
    from r1_core import ToolSystemError

    env = get_environment("python", sandbox_options={"python": "/nonexistent/python3"})
    episode = env()
    episode.reset()
    out = episode.python(code="1")
    assert isinstance(out, ToolSystemError) and "could not start" in out
    [stats] = env.drain()
    assert (stats.errors, stats.system_errors) == (0, 1)


def test_unknown_python_environment_option_is_a_config_error():
    from r1_core.errors import ConfigError

    with pytest.raises(ConfigError, match="max_call") as exc:
        get_environment("python", max_call=3)
    assert "max_calls" in exc.value.hint


def test_prestarted_episodes_boot_during_reset_and_keep_the_contract(sandbox):
    env = get_environment("python", prestart=True, max_calls=2)
    episode = env()
    episode.reset()
    session = episode._session
    assert session is not None and session.starts == 1  # launched before any call
    assert episode.python(code="y = 3") == "[no output]"
    assert episode.python(code="y * 2") == "6" and session.starts == 1
    episode.reset()
    assert "NameError" in episode.python(code="y")
    episode._close()
    assert _wait_gone(sandbox) == []
