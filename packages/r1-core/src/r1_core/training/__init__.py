"""The trainers behind ``r1 train``: sft, grpo, combined and pipeline, on TRL.

Library use (same options as the CLI flags)::

    from r1_core.training import GRPOOptions, run_grpo
    run_grpo(GRPOOptions(reward_funcs=["accuracy"], max_steps=10, output_dir="runs/demo"))

Importing this package is cheap; torch / transformers / trl load when a trainer runs.
"""

from r1_core.training.options import (
    CombinedOptions,
    DatasetMixture,
    DatasetSource,
    GRPOOptions,
    PipelineOptions,
    RunOptions,
    SFTOptions,
)

__all__ = [
    "CombinedOptions",
    "DatasetMixture",
    "DatasetSource",
    "GRPOOptions",
    "PipelineOptions",
    "RunOptions",
    "SFTOptions",
    "run_combined",
    "run_grpo",
    "run_pipeline",
    "run_sft",
]


def __getattr__(name: str):  # lazy: the runners import transformers' callbacks
    if name in ("run_grpo", "run_sft", "run_combined", "run_pipeline"):
        import importlib

        module = importlib.import_module(f"r1_core.training.{name.removeprefix('run_')}")
        return getattr(module, name)
    raise AttributeError(name)
