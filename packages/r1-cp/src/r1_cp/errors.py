"""The error r1-cp raises for a problem a user gave it (printed as one line by the CLI, exit 2)."""

from __future__ import annotations

from r1_core.errors import R1Error

__all__ = ["ProblemError"]


class ProblemError(R1Error):
    """A competitive-programming problem is invalid: its directory, its dataset row, the warm-up set
    named, or a submission that cannot run with its grader."""
