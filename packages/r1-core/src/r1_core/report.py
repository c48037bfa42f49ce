"""``r1 report RUN_DIR``: plots of a run's metrics.jsonl (PNG) and a summary (stdout, .md, .json)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from r1_core.errors import DataError
from r1_core.files import atomic_write_json, atomic_write_text

__all__ = ["read_metrics", "register_command", "summarize", "write_report"]


def read_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    """The training rows of ``RUN_DIR/metrics.jsonl`` (cut lines and eval-only rows skipped)."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        raise DataError(f"{path} does not exist", "pass the --output-dir of an `r1 train` run")
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and "step" in row:
            rows.append(row)
    if not rows:
        raise DataError(f"{path} holds no logged steps yet", "wait for the first logging step")
    return rows


def _series(rows: list[dict[str, Any]], key: str) -> tuple[list[int], list[float]]:
    pts = [(r["step"], float(r[key])) for r in rows
           if isinstance(r.get(key), int | float) and not math.isnan(float(r[key]))]
    return [p[0] for p in pts], [p[1] for p in pts]


TOOL_KEYS = ["tools/calls_per_episode", "tools/errors_per_episode", "tools/time_s_per_episode",
             "tools/episodes_with_calls"]
"""What ``--environment`` runs log per step (``tools.png``)."""


def reward_keys(rows: list[dict[str, Any]]) -> list[str]:
    keys = sorted({k for r in rows for k in r if k.startswith("rewards/") and k.endswith("/mean")})
    return (["reward"] if any("reward" in r for r in rows) else []) + keys


def _trend(values: list[float]) -> dict[str, float]:
    """First and last value, and the mean of the first and last fifth (a noise-robust change)."""
    k = max(1, len(values) // 5)
    head, tail = sum(values[:k]) / k, sum(values[-k:]) / k
    return {"first": values[0], "last": values[-1], "min": min(values), "max": max(values),
            "early_mean": head, "late_mean": tail, "change": tail - head}


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [*reward_keys(rows), "loss", "sft_loss", "grpo_loss", "completions/mean_length", "step_time", "kl",
            *TOOL_KEYS]
    metrics = {}
    for key in keys:
        _, values = _series(rows, key)
        if values:
            metrics[key] = _trend(values)
    times = [r["time"] for r in rows if isinstance(r.get("time"), int | float)]
    return {"steps": rows[-1]["step"], "logged_rows": len(rows),
            "wall_time_s": round(times[-1] - times[0], 1) if len(times) > 1 else None, "metrics": metrics}


def _plot(rows: list[dict[str, Any]], keys: list[str], title: str, path: Path) -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drawn = False
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    for key in keys:
        steps, values = _series(rows, key)
        if values:
            ax.plot(steps, values, marker="." if len(values) < 60 else None, label=key)
            std_key = key[:-5] + "/std" if key.endswith("/mean") else None
            std_key = "reward_std" if key == "reward" else std_key
            if std_key:
                s_steps, stds = _series(rows, std_key)
                if s_steps == steps:
                    ax.fill_between(steps, [v - s for v, s in zip(values, stds, strict=True)],
                                    [v + s for v, s in zip(values, stds, strict=True)], alpha=0.12)
            drawn = True
    if drawn:
        ax.set_xlabel("step")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        tmp = path.with_name(f".{path.name}.tmp.png")
        fig.savefig(tmp)
        tmp.replace(path)
    plt.close(fig)
    return drawn


def _markdown(run_dir: Path, summary: dict[str, Any], plots: list[str]) -> str:
    lines = [f"# Run report: {run_dir.name}", "",
             f"{summary['steps']} steps, {summary['logged_rows']} logged rows"
             + (f", {summary['wall_time_s']} s wall" if summary["wall_time_s"] else "") + ".", "",
             "| metric | first | last | early mean | late mean | change |", "|---|---|---|---|---|---|"]
    for key, t in summary["metrics"].items():
        lines.append(f"| {key} | {t['first']:.4g} | {t['last']:.4g} | {t['early_mean']:.4g} | "
                     f"{t['late_mean']:.4g} | {t['change']:+.4g} |")
    lines += ["", *[f"![{p}]({p})" for p in plots], ""]
    return "\n".join(lines)


def write_report(run_dir: str | Path, out_dir: str | Path | None = None) -> dict[str, Any]:
    """Write rewards.png, loss.png, length.png (tools.png for tool runs), summary.md and summary.json;
    return the summary."""
    run = Path(run_dir)
    rows = read_metrics(run)
    from r1_core.training.requires import require_training_stack

    require_training_stack("r1 report", ("matplotlib",))  # its plots
    out = Path(out_dir) if out_dir else run
    out.mkdir(parents=True, exist_ok=True)
    plots = []
    for name, keys, title in (
        ("rewards.png", reward_keys(rows), "rewards (mean ± std)"),
        ("loss.png", ["loss", "grpo_loss", "sft_loss"], "loss"),
        ("length.png", ["completions/mean_length"], "completion length (tokens)"),
        ("tools.png", TOOL_KEYS, "tool use per episode (--environment runs)"),
    ):
        if _plot(rows, keys, title, out / name):
            plots.append(name)
    summary = {**summarize(rows), "run_dir": str(run), "plots": [str(out / p) for p in plots]}
    atomic_write_json(out / "summary.json", summary)
    atomic_write_text(out / "summary.md", _markdown(run, summary, plots))
    return summary


def register_command(cli: Any) -> None:
    import typer

    from r1_core.cli.app import console, print_json

    @cli.command("report")
    def report(
        run_dir: str = typer.Argument(..., help="run directory of `r1 train` (holds metrics.jsonl)"),
        output: str = typer.Option(None, "--output", "-o", help="write plots here instead of RUN_DIR"),
        json_: bool = typer.Option(False, "--json", help="print the summary as JSON"),
    ) -> None:
        """Plot a run's rewards, loss, completion length and tool use; print and save a summary."""
        summary = write_report(run_dir, output)
        if json_:
            print_json(summary)
            return
        out = Path(output) if output else Path(run_dir)
        console.print((out / "summary.md").read_text(encoding="utf-8"), markup=False)
