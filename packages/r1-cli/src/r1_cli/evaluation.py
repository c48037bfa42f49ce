"""``r1 eval``: generate with a model, score with the benchmark, report pass@k with a 95% CI.

Writes ``details.jsonl`` (one line per sample) and ``results.json`` (atomic) into the output
directory. The results record everything needed to reproduce the number: model, backend,
benchmark source and revision, the exact prompts' template, sampling parameters, seeds and the
versions of every package involved.
"""

from __future__ import annotations

import json
import math
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from r1_core.api import get_benchmark
from r1_core.errors import ConfigError
from r1_core.files import atomic_write_json, atomic_write_text
from r1_core.protocols import BenchmarkWithDetails, BenchmarkWithProvenance

from r1_cli.generation import Generator, SamplingParams, as_messages
from r1_cli.passk import CI_METHOD, summarize

__all__ = ["EvalResult", "evaluate", "package_versions"]

CORRECT = 1.0  # a sample counts as correct for pass@k when its score reaches this
VERSIONED = ("r1-core", "r1-cli", "r1-rewards", "r1-sandbox", "r1-cp", "math-verify", "transformers",
             "torch", "vllm", "datasets", "httpx")


@dataclass
class EvalResult:
    results: dict[str, Any]
    output_dir: Path
    details: list[dict[str, Any]] = field(default_factory=list)


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in VERSIONED:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def _score(bench: Any, row: dict[str, Any], texts: list[str]) -> list[dict[str, Any]]:
    if isinstance(bench, BenchmarkWithDetails):
        return list(bench.score_details(row, texts))
    return [{"score": float(s)} for s in bench.score(row, texts)]


def _row_id(row: dict[str, Any], index: int) -> Any:
    for key in ("id", "unique_id", "question_id", "Record ID", "name"):
        if row.get(key) not in (None, ""):
            return row[key]
    return index


def evaluate(benchmark: str, generator: Generator, model: str, params: SamplingParams, *,
             output_dir: str | Path, limit: int | None = None, offline: bool | None = None,
             system_prompt: str | None = None,
             progress: Callable[[str, int, int], None] | None = None,
             benchmark_options: dict[str, Any] | None = None) -> EvalResult:
    """Run one benchmark end to end and write its details and results files.

    ``benchmark_options`` are passed to the benchmark's factory (``revision``, ``seed`` ...).
    """
    started = time.time()
    bench = get_benchmark(benchmark, **(benchmark_options or {}))
    rows = bench.load(limit=limit, offline=offline)
    if not rows:
        raise ConfigError(f"benchmark {benchmark!r} has no rows", "check --limit and the dataset")
    conversations = [as_messages(bench.prompt(row), system_prompt) for row in rows]

    done = 0

    def tick(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress("generating", done, len(rows))

    completions = generator.generate(conversations, params, tick)
    details: list[dict[str, Any]] = []
    counts: list[tuple[int, int]] = []
    for i, (row, conv, outs) in enumerate(zip(rows, conversations, completions, strict=True)):
        scored = _score(bench, row, [c.text for c in outs])
        counts.append((len(outs), sum(1 for s in scored if s["score"] >= CORRECT)))
        for j, (comp, info) in enumerate(zip(outs, scored, strict=True)):
            details.append({"problem": i, "id": _row_id(row, i), "sample": j, "prompt": conv,
                            "completion": comp.text, "finish_reason": comp.finish_reason,
                            "tokens": comp.tokens, **info})
        if progress:
            progress("scoring", i + 1, len(rows))

    out = Path(output_dir)
    atomic_write_text(out / "details.jsonl", "".join(_jsonl(d) for d in details))
    metrics = summarize(counts)
    scores = [d["score"] for d in details]
    system_errors = sum(int(d.get("system_errors", 0)) for d in details)
    described = isinstance(bench, BenchmarkWithProvenance)
    results = {
        "benchmark": bench.name,
        "benchmark_options": benchmark_options or {},
        "source": bench.provenance if described else {},
        "revision": bench.revision if described else None,
        "model": model,
        "backend": generator.name,
        "sampling": params.as_dict(),
        "system_prompt": system_prompt,
        "prompt_template": bench.prompt_template if described else None,
        "first_prompt": conversations[0],
        "num_problems": len(rows),
        "num_samples": params.n,
        "metrics": metrics,
        "mean_score": sum(scores) / len(scores) if scores else math.nan,
        "correct_threshold": CORRECT,
        "ci_method": CI_METHOD,
        "pass_at_k_estimator": "unbiased: 1 - C(n-c, k) / C(n, k), averaged over problems (Chen et al. 2021)",
        "system_errors": system_errors,
        "versions": package_versions(),
        "command": sys.argv,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started, 3),
        "details_file": "details.jsonl",
    }
    atomic_write_json(out / "results.json", results)
    return EvalResult(results, out, details)


def _jsonl(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, default=str) + "\n"
