"""What every trainer does around TRL: defaults for the machine, run dir, TRL args, train, save.

Order matters and is fixed here: cheap checks that can fail on user input (reward names, run dir,
dataset columns) run before anything loads a model; TRL's config is built before the model so
DeepSpeed ZeRO-3 can partition it while it loads.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from r1_core.errors import ConfigError
from r1_core.training.options import RunOptions
from r1_core.training.rundir import RunDir, resolve_output_dir

__all__ = ["Session", "TrainResult", "start_session"]

# CPU defaults: the default model finishes in a few minutes on 2 cores and still learns (issue 14):
# 96 tokens let a short answer finish (64 did not); several prompts per step give GRPO groups that
# differ. Decoding runs until the longest completion stops, so the cap is also most of generation's cost.
CPU_DEFAULTS = {"grpo": {"max_steps": 16, "num_generations": 4, "max_completion_length": 96},
                "sft": {"max_steps": 30, "max_length": 512}}
CPU_PROMPTS_PER_STEP = 4  # GRPO on CPU: prompts per optimizer step (one micro-batch)


@dataclass
class TrainResult:
    """What ``run`` returns: where things are and how far training got."""

    output_dir: str
    final_model: str
    global_step: int
    metrics: str

    def __str__(self) -> str:
        return f"final model: {self.final_model} (step {self.global_step}); metrics: {self.metrics}"


@dataclass
class Session:
    """A prepared run: resolved options, run dir, the checkpoint to resume from, machine facts."""

    kind: str
    opts: Any
    run: RunDir
    resume_from: Path | None
    on_gpu: bool
    notes: list[str] = field(default_factory=list)
    user_keys: set[str] = field(default_factory=set)  # keys the config / flags set (before r1's defaults)
    defaults_changed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_main(self) -> bool:
        return int(os.environ.get("RANK", "0")) == 0

    def say(self, text: str) -> None:
        if self.is_main:
            print(f"r1: {text}", file=sys.stderr, flush=True)


def _gpu() -> bool:
    import torch

    return torch.cuda.is_available()


def with_saved_config(opts: Any, kind: str) -> Any:
    """With ``--resume``: the run's saved config, overridden by the options given now."""
    if not opts.resume:
        return opts
    out = resolve_output_dir(opts.output_dir, kind, True)
    saved = RunDir(out).saved_config()
    if saved is None:
        return opts
    given = opts.model_dump(exclude_unset=True)
    from pydantic import ValidationError

    from r1_core.config_parsing import raise_config_error

    try:
        return type(opts).model_validate({**saved, **given, "output_dir": str(out), "resume": True})
    except ValidationError as exc:
        raise_config_error(exc, type(opts), f"the saved config of {out}")


def start_session(opts: RunOptions, kind: str) -> Session:
    """Resolve the run dir (and resume point) and the machine-dependent defaults."""
    opts = with_saved_config(opts, kind)
    out = resolve_output_dir(opts.output_dir, kind, opts.resume)
    run = RunDir(out)
    resume_from = None
    if opts.resume:
        is_main = int(os.environ.get("RANK", "0")) == 0
        resume_from = run.prepare_resume() if is_main else run.last_complete_checkpoint()
    elif run.has_run():
        raise ConfigError(f"{out} already holds a run",
                          "pass --resume to continue it or another --output-dir")
    user_keys = set(opts.model_fields_set) | set(opts.model_extra or {})
    opts = opts.model_copy(update={"output_dir": str(out)})
    on_gpu = _gpu()
    session = Session(kind=kind, opts=opts, run=run, resume_from=resume_from, on_gpu=on_gpu,
                      user_keys=user_keys)
    _apply_machine_defaults(session)
    _check_integrations(session)
    _cpu_threads(session)
    return session


def _cpu_times() -> tuple[float, float] | None:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat (None where unreadable)."""
    try:
        with open("/proc/stat") as f:
            fields = [float(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_cores(window_s: float = 0.5) -> tuple[float, str]:
    """How many cores other processes keep busy *now*, and how that was measured: the machine's CPU
    time over ``window_s`` (this process sleeps meanwhile). The 1-minute load average would also count
    work that just ended — in ``make run`` the evaluation before training — and starve the run of
    threads on an idle machine; it is only the fallback where /proc/stat is unreadable."""
    first = _cpu_times()
    if first is not None:
        time.sleep(window_s)
        second = _cpu_times()
        if second is not None and second[1] > first[1]:
            share = (second[0] - first[0]) / (second[1] - first[1])
            return share * (os.cpu_count() or 1), f"{share:.0%} of the CPUs busy"
    load = os.getloadavg()[0]
    return load, f"load average {load:.1f}"


def _cpu_threads(s: Session) -> None:
    """Use only the idle cores. PyTorch's CPU ops wait for all their threads; on cores busy with other
    work a descheduled thread stalls every small op of generation (measured 5× slower decoding at 2
    threads than at 1 on 2 cores with load ~20). ``OMP_NUM_THREADS`` set by the user wins."""
    if s.on_gpu or os.environ.get("OMP_NUM_THREADS") or int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    busy, how = busy_cores()
    threads = max(1, min(torch.get_num_threads(), cores - round(busy)))
    if threads < torch.get_num_threads():
        torch.set_num_threads(threads)
        s.say(f"{threads} torch thread(s): {how} on {cores} cores (set OMP_NUM_THREADS to choose)")


def cpu_has_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether the CPU computes bfloat16 natively (AVX512-BF16 or AMX): there, mixed precision made a
    GRPO step's forward and backward 1.6× faster on 2 cores (issue 14); emulated bf16 would be slower."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def _apply_machine_defaults(s: Session) -> None:
    o = s.opts
    upd: dict[str, Any] = {}
    quantized = any(o.passthrough().get(k) is True for k in ("load_in_4bit", "load_in_8bit"))
    if o.use_peft is None:
        upd["use_peft"] = not s.on_gpu or quantized  # QLoRA trains adapters on the quantized base
    elif quantized and not o.use_peft:
        raise ConfigError("load_in_4bit/load_in_8bit (QLoRA) trains LoRA adapters but use_peft is false",
                          "set use_peft: true or drop the quantization")
    if o.dtype == "auto":
        import torch

        upd["dtype"] = "bfloat16" if s.on_gpu and torch.cuda.is_bf16_supported() else "float32"
    if o.bf16 is None:
        dtype = upd.get("dtype", o.dtype)
        upd["bf16"] = dtype == "bfloat16" or (not s.on_gpu and dtype == "float32" and cpu_has_bf16())
        if upd["bf16"] and not s.on_gpu:
            s.notes.append("bf16=true")
    if o.gradient_checkpointing is None:
        upd["gradient_checkpointing"] = s.on_gpu  # TRL's default on GPU; only slows a CPU run
    if o.save_steps is None:
        upd["save_steps"] = 5 if not s.on_gpu else 100
    peft = upd.get("use_peft", o.use_peft)
    if o.learning_rate is None:
        upd["learning_rate"] = (2e-4 if peft else 1e-6) if s.kind != "sft" else (1e-4 if peft else 2e-5)
    defaults = CPU_DEFAULTS["sft" if s.kind == "sft" else "grpo"]
    for key, cpu_value in defaults.items():
        if key in type(o).model_fields and getattr(o, key) is None:
            if not s.on_gpu:
                upd[key] = cpu_value
                s.notes.append(f"{key}={cpu_value}")
            elif key == "max_steps":
                upd[key] = -1
    if s.kind != "sft" and o.per_device_train_batch_size is None:
        group = upd.get("num_generations") or o.num_generations or 8
        upd["per_device_train_batch_size"] = group
        if not s.on_gpu and "gradient_accumulation_steps" not in o.model_fields_set:
            # several prompts per optimizer step, all in one micro-batch: the loss forward then encodes
            # each prompt once for its group (training/shared_prompt.py). Without that sharing, 16 rows
            # of ~350 tokens in one batch reached 13.7 GB RSS; with it the default job peaks at 3.9 GB.
            upd["per_device_train_batch_size"] = group * CPU_PROMPTS_PER_STEP
    elif o.per_device_train_batch_size is None:
        upd["per_device_train_batch_size"] = 4 if not s.on_gpu else 8
    s.opts = o.model_copy(update=upd)


def _check_integrations(s: Session) -> None:
    from r1_core.training.requires import check_requirements

    o = s.opts
    check_requirements(o)  # flash-attn, liger-kernel, bitsandbytes, vllm, deepspeed ...: one line each
    if o.benchmarks:
        from r1_core.training.checkpoint_benchmarks import resolve_benchmarks

        resolve_benchmarks(o.benchmarks)  # unknown names fail before any model loads
    for key, env in (("wandb_entity", "WANDB_ENTITY"), ("wandb_project", "WANDB_PROJECT"),
                     ("wandb_run_group", "WANDB_RUN_GROUP")):
        if getattr(o, key):
            os.environ[env] = getattr(o, key)


def trl_args(s: Session, config_cls: Any, own: dict[str, Any]) -> Any:
    """TRL's config from r1's fields, the trainer's own fields and the passthrough keys."""
    import dataclasses

    o = s.opts
    allowed = {f.name for f in dataclasses.fields(config_cls)}
    args: dict[str, Any] = {
        "output_dir": str(s.run.path), "max_steps": o.max_steps, "num_train_epochs": o.num_train_epochs,
        "learning_rate": o.learning_rate, "per_device_train_batch_size": o.per_device_train_batch_size,
        "gradient_accumulation_steps": o.gradient_accumulation_steps, "logging_steps": o.logging_steps,
        "save_strategy": "steps", "save_steps": o.save_steps, "save_total_limit": o.save_total_limit,
        "seed": o.seed, "bf16": o.bf16, "fp16": False, "gradient_checkpointing": o.gradient_checkpointing,
        # transformers 5 folded warmup_ratio into warmup_steps (a value < 1 is a ratio)
        "lr_scheduler_type": o.lr_scheduler_type, "warmup_steps": o.warmup_ratio, "report_to": o.report_to,
        "push_to_hub": o.push_to_hub and _hub_online(), "hub_model_id": o.hub_model_id,
        "use_cpu": not s.on_gpu, "dataloader_num_workers": 0,
    }
    if "warmup_ratio" in allowed:  # transformers < 5.18 still has the separate field
        args["warmup_ratio"], args["warmup_steps"] = args.pop("warmup_steps"), 0
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        args["ddp_find_unused_parameters"] = False
    args.update({k: v for k, v in own.items() if v is not None})
    args.update({k: v for k, v in o.passthrough().items() if k in allowed})
    _open_r1_defaults(s, config_cls, args)
    if o.push_to_hub and not args["push_to_hub"]:
        s.say("push_to_hub is inactive: the Hub is unreachable")
    try:
        return config_cls(**args)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"invalid training options: {str(exc).strip().splitlines()[0]}",
                          "adjust the options named above") from None


def _open_r1_defaults(s: Session, config_cls: Any, args: dict[str, Any]) -> None:
    """TRL defaults that changed since open-r1's TRL 0.18, for keys the config leaves unset: applied
    back with ``defaults: open-r1``, else listed at start-up (and in ``--dry-run``)."""
    from r1_core.training.openr1 import (
        TRL_018_DEFAULTS,
        apply_open_r1_defaults,
        defaults_changed,
        describe_changes,
    )

    kind = "sft" if s.kind == "sft" else "grpo"
    if getattr(s.opts, "defaults", "r1") == "open-r1":
        applied = apply_open_r1_defaults(kind, config_cls, args, s.user_keys)
        if applied:
            s.say("defaults open-r1: " + ", ".join(f"{k}={args[k]!r}" for k in applied))
        if "max_prompt_length" in type(s.opts).model_fields and s.opts.max_prompt_length is None:
            # TRL 1.x dropped it; r1 truncates prompts itself (prompt_limit.py)
            limit = TRL_018_DEFAULTS["grpo"]["max_prompt_length"]
            s.opts = s.opts.model_copy(update={"max_prompt_length": limit})
            s.say(f"defaults open-r1: max_prompt_length={limit}")
    r1_keys = {k for k, v in args.items() if v is not None}
    if getattr(s.opts, "max_prompt_length", None):
        r1_keys.add("max_prompt_length")
    s.defaults_changed = defaults_changed(kind, config_cls, s.user_keys, r1_keys)
    if s.defaults_changed:
        s.say("TRL defaults that changed since open-r1 (TRL 0.18), for keys this config leaves unset: "
              + describe_changes(s.defaults_changed) + " — pass --defaults open-r1 to get open-r1's")


def _hub_online() -> bool:
    from r1_core.hub import hub_reachable

    return hub_reachable()


def callbacks(s: Session) -> list[Any]:
    from r1_core.training.callbacks import HubRevisionCallback, MetricsCallback

    cbs: list[Any] = [MetricsCallback(s.run)]
    if s.opts.push_to_hub_revision or "push_to_hub_revision" in s.opts.callbacks:
        cbs.append(HubRevisionCallback(s.opts.hub_model_id, s.opts.hub_model_revision, _hub_online()))
    if s.opts.benchmarks:
        from r1_core.training.checkpoint_benchmarks import BenchmarkCallback

        tokens = getattr(s.opts, "max_completion_length", None) or getattr(s.opts, "max_length", None) or 256
        cbs.append(BenchmarkCallback(s.opts.benchmarks, s.run.path, limit=s.opts.benchmark_limit,
                                     max_new_tokens=min(int(tokens), 4096),
                                     system_prompt=s.opts.system_prompt))
    return cbs


def describe(s: Session, model_path: str, data: str, rows: int, extra: str = "") -> None:
    o = s.opts
    where = "GPU" if s.on_gpu else "CPU"
    peft = f"LoRA r={o.lora_r}" if o.use_peft else "full fine-tune"
    steps = f"{o.max_steps} steps" if o.max_steps and o.max_steps > 0 else f"{o.num_train_epochs:g} epoch(s)"
    defaults = f" (CPU defaults: {', '.join(s.notes)}; override with flags)" if s.notes else ""
    resume = f", resuming from {s.resume_from.name}" if s.resume_from else ""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    where += f" × {world} processes" if world > 1 else ""
    s.say(f"{s.kind} on {where}: model {model_path} ({peft}); data {data} ({rows} rows){extra}; "
          f"{steps}{defaults}{resume} → {s.run.path}")


def save_config(s: Session) -> None:
    if s.is_main:
        s.run.save_config(s.kind, s.opts.model_dump(mode="json", exclude={"resume"}))


def train_and_save(s: Session, trainer: Any, tokenizer: Any) -> TrainResult:
    """Train (resuming if asked), then write ``final/``: a full model (LoRA merged) + tokenizer."""
    trainer.train(resume_from_checkpoint=str(s.resume_from) if s.resume_from else None)
    final = s.run.final
    model = trainer.accelerator.unwrap_model(trainer.model)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    if hasattr(model, "merge_and_unload"):  # LoRA: the next stage / eval wants a plain model
        merged = model.merge_and_unload()
        if trainer.is_world_process_zero():
            merged.save_pretrained(final)
    else:
        trainer.save_model(str(final))  # gathers ZeRO-3 / FSDP shards
    trainer.accelerator.wait_for_everyone()
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(final)
        s.run.mark_final({"global_step": trainer.state.global_step, "trainer": s.kind})
    trainer.accelerator.wait_for_everyone()
    result = TrainResult(str(s.run.path), str(final), trainer.state.global_step, str(s.run.metrics))
    release_accelerator_state()  # the next stage of a pipeline may use another mixed precision
    s.say(str(result))
    return result


def release_accelerator_state() -> None:
    """Forget the mixed precision of a trainer that has finished in this process.

    accelerate keeps one process-wide AcceleratorState and refuses a second Accelerator with another
    mixed precision ("restart your runtime"). r1 runs several trainers in one process that may differ:
    the cold start's SFT (float32) before GRPO (bf16 by default on CPUs that compute it), and the
    stages of ``r1 train pipeline``. Each finished trainer releases that state; the process group
    (accelerate's PartialState) is kept."""
    try:
        from accelerate.state import AcceleratorState
    except ImportError:
        return
    reset = getattr(AcceleratorState, "_reset_state", None)
    if reset is not None:
        reset()

