"""Run a registered trainer as a script, for ``accelerate launch`` / ``torchrun``::

    accelerate launch --config_file recipes/accelerate_configs/zero2.yaml \
        -m r1_core.training.launch grpo --config recipes/....yaml

Same arguments as ``r1 train`` (after the word ``train``).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from r1_core.cli import main as cli_main

    cli_main(["train", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
