"""Optional packages (and hardware) a training config needs, checked before any model loads.

``requirements`` lists them (``r1 train ... --dry-run`` prints the list: what this machine lacks is
reported, not fatal); ``check_requirements`` turns the first missing one into a one-line error with
its install line, which is what a real run does. ``require_training_stack`` comes before both: r1-core
installs light (plugin host, CLI, protocols) and the trainers need its ``train`` extra.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

from r1_core.errors import ConfigError, MissingExtraError

__all__ = ["TRAINING_STACK", "Requirement", "check_requirements", "require_training_stack", "requirements"]

TRAINING_STACK = ("torch", "transformers", "trl", "datasets", "accelerate", "peft")
"""The modules of r1-core's ``train`` extra the trainers import (``r1 report`` needs matplotlib)."""
TRAIN_EXTRA = "r1-core[train]"


class Requirement(dict):  # a plain dict, so it prints as JSON as is
    """``{"package", "for", "available", "install"}``."""


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require_training_stack(what: str = "training", modules: tuple[str, ...] = TRAINING_STACK) -> None:
    """One line naming the ``r1-core[train]`` extra when any of ``modules`` is not installed.

    Looked up, not imported (cheap): called before a trainer, a dry run or ``r1 report`` starts.
    """
    missing = [m for m in modules if not _has(m)]
    if missing:
        err = MissingExtraError("the training stack", TRAIN_EXTRA)
        err.message = f"{what} needs the training stack ({', '.join(missing)} not installed)"
        raise err


def _gpu() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _req(package: str, module: str | None, why: str, install: str) -> Requirement:
    available = _gpu() if module is None else _has(module)
    return Requirement(package=package, available=available, install=install, **{"for": why})


def requirements(opts: Any, accelerate: dict[str, Any] | None = None) -> list[Requirement]:
    """What ``opts`` (a trainer's options) needs beyond r1-core's own dependencies."""
    extra = opts.passthrough() if hasattr(opts, "passthrough") else {}
    out: list[Requirement] = []
    attn = getattr(opts, "attn_implementation", None) or ""
    if attn == "flash_attention_2":
        out.append(_req("flash-attn", "flash_attn", "attn_implementation: flash_attention_2",
                        'pip install "flash-attn" --no-build-isolation'))
    elif attn == "flash_attention_3":
        out.append(_req("flash-attn-3", "flash_attn_interface", "attn_implementation: flash_attention_3",
                        "build flash-attention's hopper/ package (pip install from its source)"))
    for key in ("use_liger_kernel", "use_liger_loss"):
        if extra.get(key) is True:
            out.append(_req("liger-kernel", "liger_kernel", f"{key}: true", 'pip install "liger-kernel"'))
            break
    quant = [k for k in ("load_in_4bit", "load_in_8bit") if extra.get(k) is True]
    optim = str(extra.get("optim") or "")
    if quant or "8bit" in optim or "paged" in optim or "bnb" in optim:
        why = f"{quant[0]}: true (QLoRA)" if quant else f"optim: {optim}"
        out.append(_req("bitsandbytes", "bitsandbytes", why, 'pip install "bitsandbytes"'))
    if getattr(opts, "use_vllm", False):
        out.append(_req("vllm", "vllm", "use_vllm: true, vLLM generation, GPU only",
                        'pip install "r1-core[vllm]"'))
    wants_ds = ("deepspeed" in extra or os.environ.get("ACCELERATE_USE_DEEPSPEED") == "true"
                or (accelerate or {}).get("distributed_type") == "DEEPSPEED")
    if wants_ds:
        out.append(_req("deepspeed", "deepspeed", "DeepSpeed (deepspeed config / accelerate config)",
                        'pip install "r1-core[deepspeed]"'))
    for backend in ("wandb", "tensorboard"):
        if backend in (getattr(opts, "report_to", None) or []):
            out.append(_req(backend, backend, f"report_to: {backend}", f'pip install "{backend}"'))
    needs_gpu = [why for why, on in (("use_vllm", getattr(opts, "use_vllm", False)),
                                     ("load_in_4bit/8bit (QLoRA)", bool(quant)),
                                     ("flash attention", attn.startswith("flash_attention")))
                 if on]
    if needs_gpu:
        out.append(_req("CUDA GPU", None, ", ".join(needs_gpu), "run on a machine with an NVIDIA GPU"))
    return out


def check_requirements(opts: Any, accelerate: dict[str, Any] | None = None) -> None:
    """A real run: the first missing requirement is a one-line error, before any model loads."""
    reqs = requirements(opts, accelerate)
    extra = opts.passthrough() if hasattr(opts, "passthrough") else {}
    quant = [k for k in ("load_in_4bit", "load_in_8bit") if extra.get(k) is True]
    if quant and not _gpu():  # QLoRA on CPU: the refusal, not a package to install
        raise ConfigError(f"{quant[0]} (QLoRA with bitsandbytes) needs a CUDA GPU and this machine has none",
                          f"drop {quant[0]} (train LoRA on the full-precision model: use_peft: true) "
                          "or run on a GPU machine")
    for req in reqs:
        if req["available"]:
            continue
        if req["package"] == "CUDA GPU":
            raise ConfigError(f"{req['for']} needs a CUDA GPU and this machine has none",
                              "remove those options from the config or run on a GPU machine")
        err = MissingExtraError(f"{req['package']} (needed for {req['for']})", req["package"])
        err.hint = f"run: {req['install']}"
        raise err
