"""The ``r1 data`` commands: decontaminate, mix, filter-pass-rate, generate."""

from __future__ import annotations

from pathlib import Path

import typer
from r1_core.cli.app import command_group, console, print_json
from r1_core.errors import ConfigError

__all__ = ["register_data_commands"]


def decontaminate_command(
    dataset: str = typer.Option(..., "--dataset", help="Training data: .jsonl/.parquet file, benchmark or Hub id."),
    against: list[str] = typer.Option(..., "--against", help="Benchmark(s) to check against (repeatable)."),
    ngram: int = typer.Option(8, "--ngram", help="Words per n-gram."),
    column: str | None = typer.Option(None, "--column", help="Text column (default: problem, prompt or question)."),
    split: str = typer.Option("train", "--split", help="Split of a Hub dataset."),
    output: Path = typer.Option(..., "--output", help="Directory for clean.jsonl, contaminated.jsonl, report.json."),
    workers: int | None = typer.Option(None, "--workers", help="Processes (default: CPU count, max 8)."),
    offline: bool | None = typer.Option(None, "--offline/--online", help="Benchmarks from the bundled samples / the Hub."),
    json_: bool = typer.Option(False, "--json", help="Print {flagged, by_benchmark, rows} to stdout."),
) -> None:
    """Flag and drop training rows that share a word n-gram with a benchmark."""
    from r1_core.files import atomic_write_json

    from r1_cli.data.decontaminate import find_contamination
    from r1_cli.data.sources import load_table, write_jsonl

    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be at least 1 (got {workers})", "e.g. --workers 4")
    table = load_table(dataset, split=split, offline=offline)
    texts = table.texts(column)
    benches = {}
    for spec in against:
        bench = load_table(spec, split="test", offline=offline)
        benches[spec] = bench.texts()
    result = find_contamination(texts, benches, n=ngram, workers=workers)
    flagged = set(result.flagged)
    write_jsonl(output / "clean.jsonl", (r for i, r in enumerate(table.rows) if i not in flagged))
    write_jsonl(output / "contaminated.jsonl",
                ({**table.rows[i], "contaminated_by": [b for b, rows in result.by_benchmark.items()
                                                       if i in set(rows)]} for i in result.flagged))
    report = {**result.as_dict(), "dataset": dataset, "against": against, "ngram": ngram,
              "column": column or table.text_column or "auto", "kept": len(texts) - len(flagged),
              "counts": {b: len(rows) for b, rows in result.by_benchmark.items()}}
    atomic_write_json(output / "report.json", report)
    if json_:
        print_json(result.as_dict())
        return
    console.print(f"{len(flagged)} of {len(texts)} rows share a {ngram}-gram with a benchmark "
                  f"({', '.join(f'{b}: {n}' for b, n in report['counts'].items())}); "
                  f"clean data: {output / 'clean.jsonl'}")


def register_data_commands(cli: typer.Typer) -> None:
    group = command_group(cli, "data", help="Dataset tools: decontaminate, mix, filter-pass-rate, generate.")
    group.command("decontaminate")(decontaminate_command)
