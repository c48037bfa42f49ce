"""`r1 report RUN_DIR`: PNG plots and a summary from metrics.jsonl, errors as one line."""

from __future__ import annotations

import json

import pytest
from r1_core.cli import main


def write_metrics(run, rows, tail=""):
    run.mkdir(parents=True, exist_ok=True)
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows) + tail)


def rows(n=10):
    return [{"step": i, "time": 100.0 + 2 * i, "loss": 1.0 / i, "reward": 0.1 * i, "reward_std": 0.05,
             "rewards/accuracy/mean": 0.05 * i, "rewards/accuracy/std": 0.01, "rewards/format/mean": 0.5,
             "completions/mean_length": 60 - i, "step_time": 2.0} for i in range(1, n + 1)]


def run_main(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    return exc.value.code, capsys.readouterr()


def test_report_writes_plots_and_summary(tmp_path, capsys):
    run = tmp_path / "run"
    write_metrics(run, rows(), tail='{"step": 11, "loss"')  # a line cut by kill -9 is skipped
    code, out = run_main(["report", str(run), "--json"], capsys)
    assert code == 0, out.err
    summary = json.loads(out.out)
    assert summary["steps"] == 10 and summary["wall_time_s"] == 18.0
    acc = summary["metrics"]["rewards/accuracy/mean"]
    assert acc["first"] == pytest.approx(0.05) and acc["last"] == pytest.approx(0.5)
    assert acc["late_mean"] - acc["early_mean"] == pytest.approx(acc["change"])
    assert summary["metrics"]["completions/mean_length"]["change"] < 0
    for name in ("rewards.png", "loss.png", "length.png"):
        assert (run / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (run / "summary.md").read_text()
    assert "| rewards/accuracy/mean | 0.05 | 0.5 |" in md and "![rewards.png](rewards.png)" in md
    assert json.loads((run / "summary.json").read_text())["steps"] == 10


def test_report_to_another_dir_and_markdown_on_stdout(tmp_path, capsys):
    run, out_dir = tmp_path / "run", tmp_path / "plots"
    write_metrics(run, rows(3))
    code, out = run_main(["report", str(run), "--output", str(out_dir)], capsys)
    assert code == 0 and "# Run report: run" in out.out
    assert (out_dir / "rewards.png").is_file() and not (run / "rewards.png").exists()


def test_report_draws_tool_use_of_environment_runs(tmp_path, capsys):
    run = tmp_path / "run"
    write_metrics(run, [{**r, "tools/calls_per_episode": 0.2 * r["step"], "tools/errors_per_episode": 0.1,
                         "tools/time_s_per_episode": 0.01, "tools/episodes_with_calls": 0.1 * r["step"]}
                        for r in rows()])
    code, out = run_main(["report", str(run), "--json"], capsys)
    assert code == 0, out.err
    summary = json.loads(out.out)
    assert summary["metrics"]["tools/calls_per_episode"]["last"] == pytest.approx(2.0)
    assert (run / "tools.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![tools.png](tools.png)" in (run / "summary.md").read_text()
    plain = tmp_path / "plain"
    write_metrics(plain, rows(3))
    run_main(["report", str(plain)], capsys)
    assert not (plain / "tools.png").exists()


@pytest.mark.parametrize("content, needle", [(None, "does not exist"), ("", "no logged steps")])
def test_report_errors_are_one_line(tmp_path, capsys, content, needle):
    run = tmp_path / "run"
    run.mkdir()
    if content is not None:
        (run / "metrics.jsonl").write_text(content)
    code, out = run_main(["report", str(run)], capsys)
    assert code == 2
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]
