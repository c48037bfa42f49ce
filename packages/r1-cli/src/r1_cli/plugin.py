"""r1-cli's registrations (entry point group `r1`). Only registers; the work lives elsewhere."""

from __future__ import annotations

import typer

from r1_core import hookimpl


@hookimpl
def r1_register_commands(cli: typer.Typer) -> None:
    """Filled in as features land."""
    del cli
