"""r1-core's own registrations (entry point ``core``): the trainers, once they exist."""

from __future__ import annotations

from r1_core.hookspecs import hookimpl
from r1_core.registry import Register


@hookimpl
def r1_register_trainers(register: Register) -> None:
    """r1-core's trainers register here."""
    del register
