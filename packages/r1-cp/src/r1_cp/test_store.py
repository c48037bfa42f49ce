"""Test cases that open-r1's IOI rows leave out: ``open-r1/ioi-test-cases`` on the Hub.

An ``open-r1/ioi`` row names its tests (``test_names``) and its ``year`` but carries no inputs or
outputs; open-r1 fetches them from ``open-r1/ioi-test-cases`` (one config per year, split
``train``, columns ``problem_id``, ``test_name``, ``test_input``, ``test_output``). So does r1,
once per year and process, when a row has no ``test_cases`` — so the open-r1 IOI recipe's dataset
scores as it is. A year that cannot be loaded (no network, ``HF_HUB_OFFLINE=1``) is one
:class:`ProblemError` with the fix.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from r1_core.errors import ProblemError

__all__ = ["IOI_TESTS_DATASET", "ioi_tests_for_year"]

IOI_TESTS_DATASET = "open-r1/ioi-test-cases"


@functools.lru_cache(maxsize=8)
def ioi_tests_for_year(year: str) -> Mapping[str, Mapping[str, tuple[str, str]]]:
    """``{problem_id: {test_name: (input, output)}}`` for one IOI year."""
    from datasets import load_dataset

    try:
        data: Any = load_dataset(IOI_TESTS_DATASET, name=year, split="train")
        columns = [data[c] for c in ("problem_id", "test_name", "test_input", "test_output")]
    except Exception as exc:  # offline, unknown year, a renamed column: all the same to the user
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ProblemError(
            f"IOI rows of {year} have no test_cases and {IOI_TESTS_DATASET} (config {year!r}) cannot be "
            f"loaded: {reason}",
            "make the Hugging Face Hub reachable (unset HF_HUB_OFFLINE), or use rows that carry test_cases",
        ) from None
    tests: dict[str, dict[str, tuple[str, str]]] = {}
    for problem_id, name, given, expected in zip(*columns, strict=True):
        tests.setdefault(str(problem_id), {})[str(name)] = (str(given), str(expected))
    return tests
