"""``r1 reward score`` and ``r1 reward check`` through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from r1_cp import dataset_rows

ROWS = [
    {"completion": "<think>\nhm\n</think>\n<answer>\n\\boxed{\\frac{1}{2}}\n</answer>", "solution": "$0.5$",
     "prompt": "p1"},
    {"completion": "<think>\nhm\n</think>\n<answer>\n\\boxed{3}\n</answer> trailing", "solution": "$0.5$",
     "prompt": "p1"},
    {"completion": [{"role": "assistant", "content": "x </think> \\boxed{7}"}], "solution": "7",
     "prompt": "p2"},
    {"completion": "<think>\nok\n</think>\n<answer>\n\\boxed{6}\n</answer>", "solution": "7", "prompt": "p2"},
]


def r1(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "r1_core.cli", *args], capture_output=True, text=True,
                          timeout=300)


def write(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return str(path)


def test_score_json_maps_each_reward_per_row(tmp_path):
    rows = write(tmp_path / "rows.jsonl", ROWS)
    proc = r1("reward", "score", "--reward", "accuracy", "--reward", "format", "--reward", "cosine",
              "--reward-config", "cosine.max_len=20", "--input", rows, "--json")
    assert proc.returncode == 0, proc.stderr
    table = json.loads(proc.stdout)
    assert [r["accuracy"] for r in table] == [1.0, 0.0, 1.0, 0.0]
    assert [r["format"] for r in table] == [1.0, 0.0, 0.0, 1.0]
    assert table[0]["cosine"] == pytest.approx(0.5)  # longer than max_len: clamped to the minimum


def test_score_prints_a_table_and_nulls(tmp_path):
    rows = write(tmp_path / "rows.jsonl", [{"completion": "\\boxed{1}", "solution": "\\text{??"}])
    proc = r1("reward", "score", "-r", "accuracy", "-i", rows)
    assert proc.returncode == 0, proc.stderr
    assert "null" in proc.stdout and "accuracy" in proc.stdout


@pytest.mark.parametrize(("rows", "args", "needle"), [
    ([{"completion": "x"}], ["-r", "accuracy"], "needs the dataset column 'solution'"),
    ([{"text": "x"}], ["-r", "format"], "needs a 'completion' field"),
    ([{"completion": "x"}], ["-r", "no_such_reward"], "unknown reward"),
    ([{"completion": "x"}], ["-r", "cosine", "-c", "cosine.max_length=3"], "unknown option"),
    ([{"completion": "x"}], ["-r", "cosine", "-r", "format", "-c", "max_len=3"], "which reward"),
])
def test_user_errors_are_one_line_and_exit_2(tmp_path, rows, args, needle):
    proc = r1("reward", "score", *args, "-i", write(tmp_path / "rows.jsonl", rows))
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and needle in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_check_passes_a_healthy_dataset(tmp_path):
    proc = r1("reward", "check", "-r", "accuracy", "-i", write(tmp_path / "rows.jsonl", ROWS), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    findings = {f["check"]: f["status"] for f in json.loads(proc.stdout)["accuracy"]}
    assert findings == {"columns": "ok", "gold": "ok", "constant": "ok", "prefill": "ok"}


def test_check_flags_bad_gold_constant_rewards_prefill_and_missing_columns(tmp_path):
    rows = [{"completion": "Let me think\n</think>\n\\boxed{1}", "solution": "\\text{unparseable",
             "prompt": "q<think>\n"} for _ in range(4)]
    proc = r1("reward", "check", "-r", "accuracy", "-r", "code", "-i", write(tmp_path / "r.jsonl", rows),
              "--json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    acc = {f["check"]: f for f in report["accuracy"]}
    assert acc["gold"]["status"] == "fail" and "4 of 4 gold solutions" in acc["gold"]["message"]
    assert acc["constant"]["status"] == "fail"
    assert acc["prefill"]["status"] == "warn" and "pre-fills" in acc["prefill"]["message"]
    code = {f["check"]: f for f in report["code"]}
    assert code["columns"]["status"] == "fail" and "verification_info" in code["columns"]["message"]


def test_check_runs_cp_reference_solutions(tmp_path):
    rows = [{"completion": "nothing", **r} for r in dataset_rows("usaco")[:1]]
    proc = r1("reward", "check", "-r", "usaco", "-i", write(tmp_path / "r.jsonl", rows), "--json")
    gold = {f["check"]: f for f in json.loads(proc.stdout)["usaco"]}["gold"]
    assert gold["status"] == "ok", gold
