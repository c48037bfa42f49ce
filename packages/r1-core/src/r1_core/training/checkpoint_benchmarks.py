"""``benchmarks:`` in a training config: r1's own benchmarks run on every saved checkpoint.

open-r1 submitted LightEval jobs for each pushed checkpoint; r1 evaluates the checkpoint's weights in
the training process itself (greedy, one completion per row, ``benchmark_limit`` rows), writes
``<run>/benchmarks/checkpoint-<step>/<name>.json`` and appends
``benchmarks/<name>/score`` and ``benchmarks/<name>/pass@1`` to ``metrics.jsonl`` at that step.
Benchmark names are checked against the registry before any model loads.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from r1_core.files import atomic_write_json
from r1_core.plugin_host import get_host

__all__ = ["OPEN_R1_BENCHMARKS", "BenchmarkCallback", "resolve_benchmarks"]

# open-r1 / LightEval task names → r1 benchmark names.
OPEN_R1_BENCHMARKS = {"lcb_v4": "lcb", "gpqa:diamond": "gpqa_diamond", "math_500": "math_500",
                      "aime24": "aime24", "aime25": "aime25", "lcb": "lcb"}


def resolve_benchmarks(names: list[str]) -> list[str]:
    """Registered benchmark names for ``names`` (open-r1 spellings accepted); unknown ones fail here
    with the list of registered benchmarks."""
    registry = get_host().registry("benchmarks")
    return [registry.entry(OPEN_R1_BENCHMARKS.get(n, n)).name for n in names]


def _messages(prompt: Any, system_prompt: str | None) -> list[dict[str, str]]:
    turns = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
    if system_prompt and not (turns and turns[0].get("role") == "system"):
        turns = [{"role": "system", "content": system_prompt}, *turns]
    return turns


def _import_callback_base() -> type:
    from transformers import TrainerCallback

    return TrainerCallback


class BenchmarkCallback(_import_callback_base()):  # type: ignore[misc]
    """Evaluate the model on ``benchmarks`` whenever a checkpoint is saved (main process only)."""

    def __init__(self, benchmarks: list[str], run_dir: Path, *, limit: int | None, max_new_tokens: int,
                 system_prompt: str | None = None) -> None:
        self.names = resolve_benchmarks(benchmarks)
        self.run_dir = Path(run_dir)
        self.limit = limit
        self.max_new_tokens = max_new_tokens
        self.system_prompt = system_prompt

    def on_save(self, args: Any, state: Any, control: Any, model: Any = None, processing_class: Any = None,
                **kwargs: Any) -> None:
        if model is None or self._sharded():
            return
        if not state.is_world_process_zero:
            return
        tokenizer = processing_class or kwargs.get("tokenizer")
        if tokenizer is None:
            return
        row: dict[str, Any] = {"step": state.global_step, "time": round(time.time(), 3)}
        for name in self.names:
            summary = self.evaluate(name, model, tokenizer, state.global_step)
            row[f"benchmarks/{name}/score"] = summary["score"]
            row[f"benchmarks/{name}/pass@1"] = summary["pass@1"]
        metrics = self.run_dir / "metrics.jsonl"
        with metrics.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")

    def _sharded(self) -> bool:
        """ZeRO-3 / FSDP shard the weights over the processes: one process cannot generate alone."""
        import os

        from transformers.integrations import is_deepspeed_zero3_enabled

        sharded = is_deepspeed_zero3_enabled() or os.environ.get("ACCELERATE_USE_FSDP") == "true"
        if sharded and not getattr(self, "_warned", False):
            self._warned = True
            if int(os.environ.get("RANK", "0")) == 0:
                print("r1: benchmarks are skipped under ZeRO-3 / FSDP (weights are sharded): run "
                      "`r1 eval BENCH --model <run>/checkpoint-N` instead", flush=True)
        return sharded

    def evaluate(self, name: str, model: Any, tokenizer: Any, step: int) -> dict[str, Any]:
        import torch

        from r1_core.api import get_benchmark

        bench = get_benchmark(name)
        rows = bench.load(limit=self.limit)
        was_training = model.training
        model.eval()
        results = []
        try:
            for row in rows:
                messages = _messages(bench.prompt(row), self.system_prompt)
                ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                    return_dict=True)
                ids = {k: v.to(model.device) for k, v in ids.items()}
                with torch.no_grad():
                    out = model.generate(**ids, max_new_tokens=self.max_new_tokens, do_sample=False,
                                         pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)
                text = tokenizer.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
                score = float(bench.score(row, [text])[0])
                results.append({"score": score, "completion": text})
        finally:
            if was_training:
                model.train()
        scores = [r["score"] for r in results]
        summary = {"benchmark": name, "step": step, "rows": len(results),
                   "score": sum(scores) / len(scores) if scores else None,
                   "pass@1": sum(s >= 1.0 for s in scores) / len(scores) if scores else None,
                   "max_new_tokens": self.max_new_tokens, "results": results}
        atomic_write_json(self.run_dir / "benchmarks" / f"checkpoint-{step}" / f"{name}.json", summary)
        print(f"r1: benchmark {name} at step {step}: score {summary['score']}, pass@1 {summary['pass@1']} "
              f"({len(results)} rows)", flush=True)
        return summary
