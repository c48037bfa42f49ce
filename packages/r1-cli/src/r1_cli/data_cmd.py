"""The ``r1 data`` commands: decontaminate, mix, filter-pass-rate, generate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from r1_core.cli.app import command_group, console, print_json
from r1_core.errors import ConfigError

__all__ = ["register_data_commands"]


def decontaminate_command(
    dataset: str = typer.Option(..., "--dataset",
                                help="Training data: .jsonl/.parquet file, benchmark or Hub id."),
    against: list[str] = typer.Option(..., "--against", help="Benchmark(s) to check against (repeatable)."),
    ngram: int = typer.Option(8, "--ngram", help="Words per n-gram."),
    column: str | None = typer.Option(None, "--column",
                                      help="Text column (default: problem, prompt or question)."),
    split: str = typer.Option("train", "--split", help="Split of a Hub dataset."),
    output: Path = typer.Option(..., "--output",
                                help="Directory for clean.jsonl, contaminated.jsonl, report.json."),
    workers: int | None = typer.Option(None, "--workers", help="Processes (default: CPU count, max 8)."),
    offline: bool | None = typer.Option(None, "--offline/--online",
                                        help="Benchmarks from the bundled samples / the Hub."),
    json_: bool = typer.Option(False, "--json", help="Print {flagged, by_benchmark, rows} to stdout."),
    more: list[str] | None = typer.Argument(None, metavar="[BENCH ...]",
                                            help="More benchmarks: `--against a b c` works too."),
) -> None:
    """Flag and drop training rows that share a word n-gram with a benchmark."""
    from r1_core.files import atomic_write_json

    from r1_cli.data.decontaminate import find_contamination
    from r1_cli.data.sources import load_table, text_column, write_jsonl

    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be at least 1 (got {workers})", "e.g. --workers 4")
    against = [b for spec in [*against, *(more or [])] for b in spec.split(",") if b]
    table = load_table(dataset, split=split, offline=offline)
    texts = table.texts(column)
    benches = {}
    for spec in against:
        bench = load_table(spec, split="test", offline=offline)
        benches[spec] = bench.texts()
    result = find_contamination(texts, benches, n=ngram, workers=workers)
    flagged = set(result.flagged)
    write_jsonl(output / "clean.jsonl", (r for i, r in enumerate(table.rows) if i not in flagged))
    per_bench = {b: set(rows) for b, rows in result.by_benchmark.items()}
    write_jsonl(output / "contaminated.jsonl",
                ({**table.rows[i], "contaminated_by": [b for b, rows in per_bench.items() if i in rows]}
                 for i in result.flagged))
    resolved = column or table.text_column or text_column(table.rows, dataset)
    report = {**result.as_dict(), "dataset": dataset, "against": against, "ngram": ngram,
              "column": resolved, "kept": len(texts) - len(flagged),
              "counts": {b: len(rows) for b, rows in result.by_benchmark.items()}}
    atomic_write_json(output / "report.json", report)
    if json_:
        print_json(result.as_dict())
        return
    console.print(f"{len(flagged)} of {len(texts)} rows share a {ngram}-gram with a benchmark "
                  f"({', '.join(f'{b}: {n}' for b, n in report['counts'].items())}); "
                  f"clean data: {output / 'clean.jsonl'}")


def mix_command(
    config: Path = typer.Option(..., "--config", help="YAML with open-r1's dataset_mixture."),
    output: Path = typer.Option(..., "--output", help="Directory for train.jsonl, test.jsonl, report.json."),
    json_: bool = typer.Option(False, "--json", help="Print the report JSON to stdout."),
) -> None:
    """Mix datasets: column selection, weights as fractions of each source, seed, test split."""
    from r1_core.files import atomic_write_json

    from r1_cli.data.mixture import build_mixture, load_mixture_config
    from r1_cli.data.sources import write_jsonl

    mixture = load_mixture_config(config)
    train, test, counts = build_mixture(mixture)
    write_jsonl(output / "train.jsonl", train)
    if test is not None:
        write_jsonl(output / "test.jsonl", test)
    report = {"sources": counts, "seed": mixture.seed, "test_split_size": mixture.test_split_size,
              "train": len(train), "test": len(test) if test is not None else 0,
              "columns": train.column_names}
    atomic_write_json(output / "report.json", report)
    if json_:
        print_json(report)
        return
    console.print(f"mixture: {report['train']} train / {report['test']} test rows from "
                  f"{len(counts)} source(s) → {output}")


def _progress_bar(label: str) -> Any:
    from r1_core.cli.app import err_console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console, transient=True)


def _load_rows(dataset: str, split: str, limit: int | None) -> list[dict[str, Any]]:
    from r1_cli.data.sources import load_table

    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be at least 1 (got {limit})", "pass a positive number")
    rows = load_table(dataset, split=split).rows
    return rows[:limit] if limit is not None else rows


def filter_pass_rate_command(
    ctx: typer.Context,
    dataset: str | None = typer.Option(None, "--dataset",
                                       help="Prompts: .jsonl/.parquet file, benchmark or Hub id."),
    model: str | None = typer.Option(None, "--model", help="Model path or Hub id (served name for openai)."),
    reward: list[str] | None = typer.Option(None, "--reward",
                                            help="Reward(s) scoring each completion (repeatable)."),
    config: Path | None = typer.Option(None, "--config",
                                       help="open-r1 filtering config (recipes/dataset_filtering/*.yaml); "
                                            "flags given on the command line win."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the config and rewards, print what would "
                                                          "run (every key: applied or ignored), exit."),
    num_samples: int = typer.Option(8, "--num-samples", help="Completions per prompt."),
    min_rate: float = typer.Option(0.1, "--min", help="Keep rows with pass rate > min."),
    max_rate: float = typer.Option(0.9, "--max", help="Keep rows with pass rate < max."),
    column: str | None = typer.Option(None, "--column",
                                      help="Prompt column (default: problem, prompt, question)."),
    system_prompt: str | None = typer.Option(None, "--system-prompt", help="Prepended as a system turn."),
    backend: str = typer.Option("transformers", "--backend", help="transformers | vllm | openai."),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible server URL."),
    temperature: float = typer.Option(0.7, "--temperature", help="Sampling temperature."),
    top_p: float = typer.Option(1.0, "--top-p", help="Nucleus sampling."),
    max_new_tokens: int = typer.Option(512, "--max-new-tokens", help="Tokens per completion."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed."),
    split: str = typer.Option("train", "--split", help="Split of a Hub dataset."),
    limit: int | None = typer.Option(None, "--limit", help="Only the first K rows."),
    output: Path | None = typer.Option(None, "--output",
                                       help="Directory for generations.jsonl, filtered.jsonl, report.json."),
    json_: bool = typer.Option(False, "--json", help="Print the report JSON to stdout."),
) -> None:
    """Generate N completions per prompt, score them, keep prompts whose pass rate is in (min, max)."""
    from r1_core.api import get_reward
    from r1_core.files import atomic_write_json

    from r1_cli.data.generate import build_messages
    from r1_cli.data.pass_rate import filter_by_pass_rate, pass_rates
    from r1_cli.data.sources import text_column, write_jsonl
    from r1_cli.generation import SamplingParams, make_generator

    given = dict(dataset=dataset, model=model, num_samples=num_samples, min_rate=min_rate, max_rate=max_rate,
                 column=column, system_prompt=system_prompt, temperature=temperature, top_p=top_p,
                 max_new_tokens=max_new_tokens, seed=seed, split=split)
    rewards: Any = list(reward or [])
    report_cfg = None
    if config is not None:
        from r1_cli.data.pass_rate_config import load_pass_rate_config

        report_cfg = load_pass_rate_config(config, rewards or None)
        for name, value in report_cfg.options.items():
            if not _from_command_line(ctx, name):
                given[name] = value
        rewards = report_cfg.rewards
    else:
        for name in rewards:
            get_reward(name)  # unknown names fail before the model loads
    missing = [flag for flag, value in (("--dataset", given["dataset"]), ("--model", given["model"]),
                                        ("--reward", rewards)) if not value]
    if missing:
        raise ConfigError(f"filter-pass-rate needs {', '.join(missing)}", "pass them or a --config file")
    if not 0 <= given["min_rate"] <= given["max_rate"] <= 1:
        raise ConfigError(f"need 0 <= --min <= --max <= 1 (got {given['min_rate']}, {given['max_rate']})",
                          "e.g. --min 0.1 --max 0.9")
    if dry_run:
        plan = {"command": "filter-pass-rate", "settings": {**given, "backend": backend, "limit": limit},
                "rewards": report_cfg.plans if report_cfg else [{"name": r} for r in rewards],
                "keys": report_cfg.keys if report_cfg else {}}
        if json_:
            print_json(plan)
        else:
            for key, info in plan["keys"].items():
                console.print(f"key {key}: {info['status']}" + (f" → {info['to']}" if info["to"] else "")
                              + (f" ({info['reason']})" if info["reason"] else ""), markup=False)
            console.print(f"settings: {plan['settings']}", markup=False)
            console.print("config OK (dry run: nothing was loaded or written)", markup=False)
        return
    if output is None:
        raise ConfigError("filter-pass-rate needs --output", "e.g. --output runs/filtered")
    rows = _load_rows(given["dataset"], given["split"], limit)
    col = given["column"] or text_column(rows, given["dataset"])
    conversations = [build_messages(r, col, None, given["system_prompt"]) for r in rows]
    params = SamplingParams(n=given["num_samples"], temperature=given["temperature"], top_p=given["top_p"],
                            max_new_tokens=given["max_new_tokens"], seed=given["seed"])
    generator = make_generator(backend, given["model"], base_url=base_url)
    with _progress_bar("generating") as bar:
        task = bar.add_task("generating", total=len(rows))
        annotated = pass_rates(rows, conversations, generator, params, rewards,
                               progress=lambda k: bar.advance(task, k))
    low, high = given["min_rate"], given["max_rate"]
    kept = filter_by_pass_rate(annotated, low, high)
    write_jsonl(output / "generations.jsonl", annotated)
    write_jsonl(output / "filtered.jsonl", kept)
    rates = [r["pass_rate"] for r in annotated]
    report = {"rows": len(rows), "kept": len(kept), "min": low, "max": high,
              "num_samples": given["num_samples"], "rewards": list(rewards), "model": given["model"],
              "backend": backend, "sampling": params.as_dict(), "pass_rates": rates,
              "kept_indices": [i for i, r in enumerate(annotated)
                               if r["pass_rate"] is not None and low < r["pass_rate"] < high]}
    atomic_write_json(output / "report.json", report)
    if json_:
        print_json(report)
        return
    console.print(f"kept {len(kept)} of {len(rows)} prompts with pass rate in ({low}, {high}) → "
                  f"{output / 'filtered.jsonl'}")


def _from_command_line(ctx: Any, name: str) -> bool:
    """Whether option ``name`` was given on the command line (a config value must not override it)."""
    try:
        source = ctx.get_parameter_source(name)
    except Exception:  # an older click without parameter sources: trust the config
        return False
    return getattr(source, "name", "") in ("COMMANDLINE", "ENVIRONMENT")


def generate_command(
    dataset: str = typer.Option(..., "--dataset", help="Prompts: .jsonl/.parquet file, benchmark or Hub id."),
    model: str = typer.Option(..., "--model", help="Model name the server serves."),
    base_url: str | None = typer.Option(None, "--base-url",
                                        help="OpenAI-compatible server, e.g. http://localhost:8000/v1."),
    output: Path = typer.Option(..., "--output", help="JSONL file; rerunning resumes it."),
    column: str | None = typer.Option(None, "--column",
                                      help="Prompt column (default: problem, prompt, question)."),
    prompt_template: str | None = typer.Option(None, "--prompt-template", help="e.g. 'Solve: {prompt}'."),
    system_prompt: str | None = typer.Option(None, "--system-prompt", help="Prepended as a system turn."),
    num_generations: int = typer.Option(1, "--num-generations", help="Completions per row."),
    temperature: float = typer.Option(0.6, "--temperature", help="Sampling temperature."),
    top_p: float = typer.Option(0.95, "--top-p", help="Nucleus sampling."),
    max_new_tokens: int = typer.Option(8192, "--max-new-tokens", help="Tokens per completion."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed sent to the server."),
    concurrency: int = typer.Option(16, "--concurrency", help="Requests in flight."),
    retries: int = typer.Option(2, "--retries", help="Retries per request (with backoff)."),
    timeout: float = typer.Option(600.0, "--timeout", help="Seconds per request."),
    key_column: str | None = typer.Option(None, "--key-column", help="Unique id column for resuming."),
    api_key: str | None = typer.Option(None, "--api-key", help="Bearer token (default: $OPENAI_API_KEY)."),
    split: str = typer.Option("train", "--split", help="Split of a Hub dataset."),
    limit: int | None = typer.Option(None, "--limit", help="Only the first K rows."),
    json_: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Generate completions from an OpenAI-compatible server: concurrent, resumable JSONL output."""
    from r1_cli.data.generate import generate_rows
    from r1_cli.data.sources import text_column
    from r1_cli.generation import OpenAIGenerator, SamplingParams

    rows = _load_rows(dataset, split, limit)
    col = column or text_column(rows, dataset)
    params = SamplingParams(n=num_generations, temperature=temperature, top_p=top_p,
                            max_new_tokens=max_new_tokens, seed=seed)
    generator = OpenAIGenerator(model, base_url=base_url, api_key=api_key, concurrency=concurrency,
                                timeout_s=timeout, retries=retries)
    with _progress_bar("generating") as bar:
        task = bar.add_task("generating", total=len(rows))
        stats = generate_rows(rows, generator, params, output, column=col, template=prompt_template,
                              system_prompt=system_prompt, key_column=key_column,
                              progress=lambda k: bar.advance(task, k),
                              on_start=lambda todo: bar.update(task, total=todo))
    result = {**stats.as_dict(), "output": str(output)}
    if json_:
        print_json(result)
        return
    console.print(f"wrote {stats.written} rows, skipped {stats.skipped} already done, "
                  f"{stats.failed} failed (rerun to retry) → {output}")


def register_data_commands(cli: typer.Typer) -> None:
    group = command_group(cli, "data", help="Dataset tools: decontaminate, mix, filter-pass-rate, generate.")
    group.command("decontaminate")(decontaminate_command)
    group.command("mix")(mix_command)
    group.command("filter-pass-rate")(filter_pass_rate_command)
    group.command("generate")(generate_command)
