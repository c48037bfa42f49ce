"""r1-sandbox's registrations (entry point group `r1`). Only registers; the work lives elsewhere."""

from __future__ import annotations

from r1_core.registry import Register

from r1_core import hookimpl


@hookimpl
def r1_register_sandboxes(register: Register) -> None:
    """Filled in as features land."""
    del register
