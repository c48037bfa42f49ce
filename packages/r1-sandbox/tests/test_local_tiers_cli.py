"""Weaker tiers need an explicit opt-in and still judge; the CLI: run, doctor, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from r1_core.errors import SandboxError
from r1_core.protocols import ExecRequest, Verdict
from r1_sandbox.local import LocalSandbox

BASIC = [
    (ExecRequest(language="python", source="print(input())", stdin="hi\n"), Verdict.OK),
    (ExecRequest(language="python", source="while True: pass", time_limit_s=0.5), Verdict.TLE),
    (ExecRequest(language="python", source="raise SystemExit(4)"), Verdict.RE),
    (ExecRequest(language="python", source="x = []\nwhile True: x.append(bytearray(8 << 20))",
                 memory_limit_mb=128), Verdict.MLE),
    (ExecRequest(language="python", source="while True: print('x' * 999)", output_limit_bytes=1 << 16),
     Verdict.OLE),
]


@pytest.mark.parametrize("tier", ["namespaces", "rlimits"])
def test_weak_tier_is_refused_without_opt_in(tier, monkeypatch):
    monkeypatch.delenv("R1_SANDBOX_ALLOW_WEAK", raising=False)
    with pytest.raises(SandboxError, match="weak tier") as info:
        LocalSandbox(tier=tier)
    assert "allow_weak=True" in str(info.value)


@pytest.mark.parametrize("tier", ["namespaces", "rlimits"])
def test_weak_tier_with_opt_in_warns_and_judges(tier, monkeypatch):
    monkeypatch.setenv("R1_SANDBOX_ALLOW_WEAK", "1")
    with pytest.warns(RuntimeWarning, match="WEAK tier"):
        sandbox = LocalSandbox(tier=tier)
    with sandbox:
        results = sandbox.run([req for req, _ in BASIC])
    assert [r.verdict for r in results] == [v for _, v in BASIC], [(r.verdict, r.message) for r in results]
    assert all(r.details["tier"] == tier for r in results)
    assert results[0].stdout == "hi\n"


def r1(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "r1_core.cli", *args], capture_output=True, text=True,
                          timeout=120)


def test_cli_run_json_and_text(tmp_path):
    src = tmp_path / "a.py"
    src.write_text("import sys\nprint(sum(map(int, sys.stdin.read().split())))\n")
    stdin = tmp_path / "in.txt"
    stdin.write_text("1 2 3\n")
    proc = r1("sandbox", "run", str(src), "--language", "python", "--stdin", str(stdin), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    got = (data["verdict"], data["stdout"], data["provider"], data["details"]["tier"])
    assert got == ("OK", "6\n", "local", "strict")
    loop = tmp_path / "loop.cpp"
    loop.write_text("int main(){ volatile int x = 0; for(;;) x++; }\n")
    proc = r1("sandbox", "run", str(loop), "--language", "cpp", "--time-limit", "0.3")
    assert proc.returncode == 1 and proc.stdout.startswith("TLE"), proc.stdout + proc.stderr


@pytest.mark.parametrize("args, needle", [
    (["--language", "cobol"], "unknown language 'cobol'"),
    (["--language", "python", "--stdin", "/nonexistent/in.txt"], "does not exist"),
])
def test_cli_user_errors_are_one_line_exit_2(tmp_path, args, needle):
    src = tmp_path / "a.py"
    src.write_text("print(1)\n")
    proc = r1("sandbox", "run", str(src), *args)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_missing_file_is_one_line_exit_2():
    proc = r1("sandbox", "run", "/nonexistent/prog.py", "--language", "python")
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_doctor():
    proc = r1("sandbox", "doctor", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["best_tier"] == "strict"
    assert set(data["layers"]) == {"uid", "cgroup", "bwrap", "seccomp"}
    rootless = data["tiers"].pop("rootless")  # only without root (test_nonroot.py)
    assert rootless.startswith("not used as root") and not data["without_root"]["applies"]
    assert all(v == "ok" for v in data["tiers"].values())
    assert data["speed"]["launcher"].startswith("C helper ")
    assert data["speed"]["network_namespaces"].startswith("pooled")
    assert data["speed"]["user_namespaces"] == "refused by seccomp (clone, clone3)"
    text = r1("sandbox", "doctor")
    assert text.returncode == 0 and "best tier: strict" in text.stdout and "network_namespaces" in text.stdout
