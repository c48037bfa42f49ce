"""``r1 cp score`` and ``r1 cp list`` end to end (real local sandbox)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _r1(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "r1_core.cli", *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_score_json_shape(problems_dir) -> None:
    stairs = problems_dir / "stairs"
    proc = _r1(
        "cp",
        "score",
        "--problem",
        str(stairs),
        "--solution",
        str(stairs / "solutions" / "fibonacci_wa.cpp"),
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {"score", "max_score", "subtasks", "tests", "compile"} <= set(out)
    assert out["score"] == 50 and out["max_score"] == 100
    assert [(s["name"], s["points"], s["score"], s["weighted_score"]) for s in out["subtasks"]] == [
        ("small", 20, 1.0, 20.0),
        ("one-or-two", 30, 1.0, 30.0),
        ("full", 50, 0.0, 0.0),
    ]
    first = out["tests"][0]
    assert {"name", "verdict", "time_s", "memory_bytes"} <= set(first) and first["verdict"] == "AC"
    assert out["compile"]["verdict"] == "OK"


@pytest.mark.slow
def test_score_table_and_python_language(problems_dir, tmp_path) -> None:
    gcd = problems_dir / "gcd"
    source = tmp_path / "answer.txt"
    source.write_text((gcd / "solutions" / "old_idiom.py").read_text())
    proc = _r1("cp", "score", "--problem", str(gcd), "--solution", str(source), "--language", "python")
    assert proc.returncode == 0, proc.stderr
    assert "score: 1 / 1" in proc.stdout


def test_list_json() -> None:
    proc = _r1("cp", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    assert {(p["name"], p["scorer"]) for p in json.loads(proc.stdout)} >= {
        ("stairs", "ioi"),
        ("fence", "usaco"),
    }
