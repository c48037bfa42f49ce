"""The registered trainer objects: a config class and ``run``. Import-light on purpose (the
plugin registers them on every ``r1`` start); the TRL-based work loads inside ``run``, after a
check that r1-core's ``train`` extra is installed (one line naming it when it is not)."""

from __future__ import annotations

from typing import Any

from r1_core.training.options import CombinedOptions, GRPOOptions, PipelineOptions, SFTOptions
from r1_core.training.requires import require_training_stack

__all__ = ["CombinedEntry", "GRPOEntry", "PipelineEntry", "SFTEntry"]


class SFTEntry:
    """``sft``: supervised fine-tuning on demonstrations (TRL SFTTrainer)."""

    name = "sft"
    config_class = SFTOptions

    def run(self, config: SFTOptions) -> Any:
        require_training_stack("the sft trainer")
        from r1_core.training.sft import run_sft

        return run_sft(config)


class GRPOEntry:
    """``grpo``: GRPO from verifiable rewards (open-r1 ``grpo.py`` recipes run unchanged)."""

    name = "grpo"
    config_class = GRPOOptions

    def run(self, config: GRPOOptions) -> Any:
        require_training_stack("the grpo trainer")
        from r1_core.training.grpo import run_grpo

        return run_grpo(config)


class CombinedEntry:
    """``combined``: GRPO loss + weighted SFT loss on demonstrations in the same update."""

    name = "combined"
    config_class = CombinedOptions

    def run(self, config: CombinedOptions) -> Any:
        require_training_stack("the combined trainer")
        from r1_core.training.combined import run_combined

        return run_combined(config)


class PipelineEntry:
    """``pipeline``: stages (e.g. SFT then GRPO) from one YAML, each from the previous model."""

    name = "pipeline"
    config_class = PipelineOptions

    def run(self, config: PipelineOptions) -> Any:
        require_training_stack("the pipeline trainer")
        from r1_core.training.pipeline import run_pipeline

        return run_pipeline(config)
