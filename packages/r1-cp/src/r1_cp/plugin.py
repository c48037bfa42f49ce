"""r1-cp's registrations (entry point group `r1`). Only registers; the work lives elsewhere."""

from __future__ import annotations

import typer
from r1_core import hookimpl
from r1_core.registry import Register


@hookimpl
def r1_register_scorers(register: Register) -> None:
    from r1_cp.scorers import CodeforcesScorer, IOIScorer, USACOScorer

    register("ioi", IOIScorer, description="IOI: subtask = min over tests x points, skip after a zero")
    register(
        "codeforces",
        CodeforcesScorer,
        description="Codeforces: all tests, checkers, pass_fail / partial / weighted_sum",
    )
    register("usaco", USACOScorer, description="USACO: equal-weight tests, stdio or file I/O, 1000 points")


@hookimpl
def r1_register_benchmarks(register: Register) -> None:
    from r1_core import factory

    from r1_cp.benchmarks import codeforces_benchmark, ioi_benchmark, usaco_benchmark

    register(
        "ioi", factory(ioi_benchmark), description="bundled IOI-style problems (r1-cp), fraction of points"
    )
    register(
        "codeforces",
        factory(codeforces_benchmark),
        description="bundled Codeforces-style problems (r1-cp), pass/fail",
    )
    register(
        "usaco",
        factory(usaco_benchmark),
        description="bundled USACO-style problems (r1-cp), fraction of 1000",
    )


DATASETS = {
    "ioi": ("the bundled IOI-style problems, one row per subtask (what the ioi benchmark evaluates)", {}),
    "ioi-warmup": ("IOI-style warm-up problems (small Python functions, a grader, an easy subtask): "
                   "the ioi reward's training set", {"cold_start": "ioi-cold-start"}),
    "ioi-cold-start": ("warm-up problems with reference solutions, the cold-start demonstrations "
                       "(disjoint from ioi-warmup)", {}),
    "ioi-held-out": ("warm-up problems kept for evaluation only", {}),
    "codeforces": ("the bundled Codeforces-style problems", {}),
    "usaco": ("the bundled USACO-style problems", {}),
}


@hookimpl
def r1_register_datasets(register: Register) -> None:
    from functools import partial

    from r1_cp.dataset import dataset_rows

    for name, (description, meta) in DATASETS.items():
        register(name, partial(dataset_rows, name), description=description, **meta)


@hookimpl
def r1_register_commands(cli: typer.Typer) -> None:
    from r1_cp.cli import register

    register(cli)
