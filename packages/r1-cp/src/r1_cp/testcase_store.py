"""Test cases that open-r1's rows leave out: IOI tests on the Hub, Codeforces' generated tests.

An ``open-r1/ioi`` row names its tests (``test_names``) and its ``year`` but carries no inputs or
outputs; open-r1 fetches them from ``open-r1/ioi-test-cases`` (one config per year, split
``train``, columns ``problem_id``, ``test_name``, ``test_input``, ``test_output``). So does r1,
once per year and process, when a row has no ``test_cases`` — so the open-r1 IOI recipe's dataset
scores as it is. A year that cannot be loaded (no network, ``HF_HUB_OFFLINE=1``) is one
:class:`ProblemError` with the fix.

``open-r1/codeforces`` rows carry their ``official_tests``; open-r1 adds the generated (harder)
tests kept in ``$CF_TESTS_FOLDER/test_cases_<contest:04d>.parquet`` (columns ``problem_id``,
``input``, ``output``; downloaded with ``huggingface-cli download open-r1/codeforces --include
'generated_tests/*.parquet'``). r1 does the same when ``CF_TESTS_FOLDER`` is set (a folder that
does not exist is an error; a contest without a file adds nothing). Unlike open-r1 it does not
require the folder: without it rows are judged on their official tests, and that is logged once.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from r1_core.errors import MissingExtraError

from r1_cp.errors import ProblemError

__all__ = ["CF_TESTS_ENV", "IOI_TESTS_DATASET", "codeforces_generated_tests", "ioi_tests_for_year"]

log = logging.getLogger("r1.cp")
CF_TESTS_ENV = "CF_TESTS_FOLDER"

IOI_TESTS_DATASET = "open-r1/ioi-test-cases"


@functools.lru_cache(maxsize=8)
def ioi_tests_for_year(year: str) -> Mapping[str, Mapping[str, tuple[str, str]]]:
    """``{problem_id: {test_name: (input, output)}}`` for one IOI year."""
    try:
        from datasets import load_dataset
    except ImportError:
        raise MissingExtraError(f"datasets (to fetch {IOI_TESTS_DATASET})", "r1-cp[hub]") from None

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


def codeforces_generated_tests(problem_id: str) -> list[tuple[str, str]]:
    """The generated tests of ``problem_id`` (``"<contest>/<index>"``) from ``$CF_TESTS_FOLDER``;
    empty when the variable is unset, the id names no contest, or the contest has no file."""
    folder = os.environ.get(CF_TESTS_ENV)
    contest = problem_id.split("/", 1)[0]
    if "/" not in problem_id or not contest.isdigit():
        return []
    if not folder:
        _note_official_only()
        return []
    return list(_contest_tests(folder, int(contest)).get(problem_id, ()))


@functools.lru_cache(maxsize=1)
def _note_official_only() -> None:
    log.warning("%s is not set: Codeforces rows are judged on their official_tests only (open-r1 also "
                "runs the generated tests: huggingface-cli download open-r1/codeforces --include "
                "'generated_tests/*.parquet' and point %s at that folder)", CF_TESTS_ENV, CF_TESTS_ENV)


@functools.lru_cache(maxsize=32)
def _contest_tests(folder: str, contest: int) -> Mapping[str, tuple[tuple[str, str], ...]]:
    if not Path(folder).is_dir():
        raise ProblemError(f"{CF_TESTS_ENV}={folder} is not a directory",
                           "point it at the folder of test_cases_<contest>.parquet files, or unset it")
    path = Path(folder) / f"test_cases_{contest:04d}.parquet"
    if not path.is_file():
        return {}
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtraError(f"pyarrow (to read {CF_TESTS_ENV}'s parquet files)", "r1-cp[hub]") from None

    try:
        table = pq.read_table(path, columns=["problem_id", "input", "output"]).to_pydict()
    except Exception as exc:
        raise ProblemError(f"cannot read {path}: {exc}",
                           "re-download it (columns problem_id, input, output)") from None
    grouped: dict[str, list[tuple[str, str]]] = {}
    for problem_id, given, expected in zip(table["problem_id"], table["input"], table["output"], strict=True):
        grouped.setdefault(str(problem_id), []).append((str(given), str(expected)))
    return {k: tuple(v) for k, v in grouped.items()}
