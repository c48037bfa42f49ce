"""Run a registered trainer as a script, for ``accelerate launch`` / ``torchrun``::

    accelerate launch --config_file recipes/accelerate_configs/zero2.yaml \
        -m r1_core.training.launch grpo --config recipes/....yaml

Same arguments as ``r1 train`` (after the word ``train``).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from r1_core.cli import main as cli_main

    try:
        cli_main(["train", *(sys.argv[1:] if argv is None else argv)])
    finally:
        _leave_process_group()


def _leave_process_group() -> None:
    """Tear the process group down explicitly, once every stage is done: left to interpreter exit,
    gloo teardown sometimes makes the launcher report a failure after every rank has finished."""
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
