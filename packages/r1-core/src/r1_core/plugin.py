"""r1-core's own registrations (entry point ``core``): the trainers and ``r1 report``.

Only registers: the trainer modules import TRL lazily, when a run starts.
"""

from __future__ import annotations

from typing import Any

from r1_core.hookspecs import hookimpl
from r1_core.registry import Register


@hookimpl
def r1_register_trainers(register: Register) -> None:
    """sft, grpo, combined and pipeline on TRL."""
    from r1_core.training.entries import CombinedEntry, GRPOEntry, PipelineEntry, SFTEntry

    register("sft", SFTEntry(), description="supervised fine-tuning on demonstrations (TRL SFTTrainer)")
    register("grpo", GRPOEntry(), description="GRPO from verifiable rewards (TRL GRPOTrainer)")
    register("combined", CombinedEntry(), description="GRPO loss + weighted SFT loss in one update")
    register("pipeline", PipelineEntry(), description="stages (e.g. sft then grpo) from one YAML")


@hookimpl
def r1_register_commands(cli: Any) -> None:
    """``r1 report RUN_DIR``."""
    from r1_core.report import register_command

    register_command(cli)
