"""r1-cp's registrations (entry point group `r1`). Only registers; the work lives elsewhere."""

from __future__ import annotations

from r1_core import hookimpl
from r1_core.registry import Register


@hookimpl
def r1_register_scorers(register: Register) -> None:
    """Filled in as features land."""
    del register
