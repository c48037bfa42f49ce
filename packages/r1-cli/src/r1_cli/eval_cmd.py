"""The ``r1 eval BENCHMARK`` command."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from r1_core.cli.app import console, err_console, print_json
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["eval_command"]


def _default_output(model: str, benchmark: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", model.rstrip("/").split("/")[-1]) or "model"
    return Path("eval-results") / slug / benchmark


def eval_command(
    benchmark: str = typer.Argument(..., help="Benchmark name (see `r1 benchmarks list`)."),
    model: str = typer.Option(..., "--model", help="Model path or Hub id (served model name for openai)."),
    num_samples: int = typer.Option(1, "--num-samples", help="Completions per problem (pass@k for k ≤ N)."),
    limit: int | None = typer.Option(None, "--limit", help="Evaluate only the first K problems."),
    backend: str = typer.Option("transformers", "--backend", help="transformers | vllm | openai."),
    base_url: str | None = typer.Option(None, "--base-url",
                                        help="OpenAI-compatible server, e.g. http://localhost:8000/v1."),
    api_key: str | None = typer.Option(None, "--api-key", help="Bearer token (default: $OPENAI_API_KEY)."),
    temperature: float = typer.Option(0.6, "--temperature", help="Sampling temperature (0 = greedy)."),
    top_p: float = typer.Option(0.95, "--top-p", help="Nucleus sampling."),
    max_new_tokens: int = typer.Option(1024, "--max-new-tokens", help="Tokens generated per completion."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed (recorded in the results)."),
    system_prompt: str | None = typer.Option(None, "--system-prompt", help="Prepended as a system turn."),
    concurrency: int = typer.Option(16, "--concurrency", help="Concurrent requests (openai backend)."),
    batch_size: int = typer.Option(8, "--batch-size", help="Prompts per generate call (transformers)."),
    revision: str | None = typer.Option(None, "--revision",
                                        help="Pin the benchmark's Hub dataset (commit sha, branch, tag)."),
    offline: bool | None = typer.Option(None, "--offline/--online",
                                        help="Force the bundled sample / the Hub (default: auto-detect)."),
    output_dir: Path | None = typer.Option(None, "--output-dir",
                                           help="Default: eval-results/<model>/<benchmark>."),
    json_: bool = typer.Option(False, "--json", help="Print the results JSON to stdout."),
    option: list[str] = typer.Option([], "--option", "-o",
                                     help="Benchmark option KEY=VALUE (JSON values), repeatable: "
                                          "-o start_date=2024-08-01 -o version=release_v5 for lcb."),
    environment: str | None = typer.Option(None, "--environment",
                                           help="Tool environment (`r1 environments list`): each sample is a "
                                                "multi-turn episode with its tools (transformers backend)."),
    environment_option: list[str] = typer.Option([], "--environment-option",
                                                 help="Environment option KEY=VALUE, repeatable: "
                                                      "--environment-option max_calls=4."),
    max_turns: int = typer.Option(8, "--max-turns", help="Model turns per episode with --environment."),
) -> None:
    """Evaluate a model on a benchmark: pass@k (unbiased) with 95% CI, details and results files."""
    from r1_core.api import get_benchmark
    from r1_core.config_parsing import parse_key_values

    from r1_cli.evaluation import evaluate
    from r1_cli.generation import SamplingParams, make_generator

    options = parse_key_values(option)
    if revision:
        options["revision"] = revision
    get_benchmark(benchmark, **options)  # fail on an unknown name or option before loading a model
    params = SamplingParams(n=num_samples, temperature=temperature, top_p=top_p,
                            max_new_tokens=max_new_tokens, seed=seed)
    env = None
    if environment is not None:
        from r1_core.api import get_environment
        from r1_core.errors import ConfigError

        if backend != "transformers":
            raise ConfigError(f"--environment runs episodes on the transformers backend (got {backend})",
                              "drop --backend or pass --backend transformers")
        env = get_environment(environment, **parse_key_values(environment_option))
    generator = make_generator(backend, model, base_url=base_url, api_key=api_key, concurrency=concurrency,
                               batch_size=batch_size)
    if env is not None:
        from r1_cli.tool_generation import ToolEpisodeGenerator

        generator = ToolEpisodeGenerator(generator, env, max_turns=max_turns)  # type: ignore[arg-type]
    out = output_dir or _default_output(model, benchmark)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{benchmark}: {stage}", total=total)
            bar.update(tasks[stage], completed=done)

        result = evaluate(benchmark, generator, model, params, output_dir=out, limit=limit,
                          offline=offline, system_prompt=system_prompt, progress=progress,
                          benchmark_options=options)
    if json_:
        print_json(result.results)
        return
    res = result.results
    title = f"{benchmark} · {model} · {res['num_problems']} problems"
    table = Table("metric", "value", "95% CI", title=title)
    for name, m in res["metrics"].items():
        table.add_row(name, f"{m['value']:.4f}", f"[{m['ci95'][0]:.4f}, {m['ci95'][1]:.4f}]")
    console.print(table)
    if res["system_errors"]:
        err_console.print(f"warning: {res['system_errors']} test runs failed in the sandbox (SE); "
                          "those samples are not the model's fault — see details.jsonl")
    out_dir = result.output_dir
    console.print(f"results: {out_dir / 'results.json'}  details: {out_dir / 'details.jsonl'}")
