"""The registered trainer objects: a config class and ``run``. Import-light on purpose (the
plugin registers them on every ``r1`` start); the TRL-based work loads inside ``run``, after a
check that r1-core's ``train`` extra is installed (one line naming it when it is not)."""

from __future__ import annotations

from typing import Any

from r1_core.training.options import CombinedOptions, GRPOOptions, PipelineOptions, SFTOptions
from r1_core.training.requires import require_training_stack

__all__ = ["CombinedEntry", "GRPOEntry", "PipelineEntry", "SFTEntry", "TrainingStackEntry"]


class TrainingStackEntry:
    """A trainer on r1-core's training stack (its ``train`` extra): ``r1 train`` checks that the stack
    is installed before it validates the options, so a light install gets that one line first."""

    name: str

    def require_stack(self, what: str | None = None) -> None:
        require_training_stack(what or f"the {self.name} trainer")


class SFTEntry(TrainingStackEntry):
    """``sft``: supervised fine-tuning on demonstrations (TRL SFTTrainer)."""

    name = "sft"
    config_class = SFTOptions

    def run(self, config: SFTOptions) -> Any:
        self.require_stack()
        from r1_core.training.sft import run_sft

        return run_sft(config)


class GRPOEntry(TrainingStackEntry):
    """``grpo``: GRPO from verifiable rewards (open-r1 ``grpo.py`` recipes run unchanged)."""

    name = "grpo"
    config_class = GRPOOptions

    def run(self, config: GRPOOptions) -> Any:
        self.require_stack()
        from r1_core.training.grpo import run_grpo

        return run_grpo(config)


class CombinedEntry(TrainingStackEntry):
    """``combined``: GRPO loss + weighted SFT loss on demonstrations in the same update."""

    name = "combined"
    config_class = CombinedOptions

    def run(self, config: CombinedOptions) -> Any:
        self.require_stack()
        from r1_core.training.combined import run_combined

        return run_combined(config)


class PipelineEntry(TrainingStackEntry):
    """``pipeline``: stages (e.g. SFT then GRPO) from one YAML, each from the previous model."""

    name = "pipeline"
    config_class = PipelineOptions

    def run(self, config: PipelineOptions) -> Any:
        self.require_stack()
        from r1_core.training.pipeline import run_pipeline

        return run_pipeline(config)
