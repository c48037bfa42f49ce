"""The attributes r1 reads from plugin objects are declared protocols that first-party objects meet."""

import inspect

from r1_core import get_benchmark
from r1_core.protocols import (
    Benchmark,
    BenchmarkWithDetails,
    BenchmarkWithProvenance,
    BenchmarkWithText,
)


def test_hub_benchmarks_declare_provenance_and_text():
    for name in ("aime24", "math_500", "gpqa_diamond", "lcb"):
        bench = get_benchmark(name)
        assert isinstance(bench, Benchmark) and isinstance(bench, BenchmarkWithProvenance), name
        assert isinstance(bench, BenchmarkWithText), name
        assert isinstance(bench.provenance, dict) and isinstance(bench.prompt_template, str), name


def test_detailed_benchmarks_are_recognised_and_partial_ones_are_not():
    assert isinstance(get_benchmark("ioi"), BenchmarkWithDetails)
    assert isinstance(get_benchmark("lcb"), BenchmarkWithDetails)
    assert not isinstance(get_benchmark("ioi"), BenchmarkWithProvenance)  # no Hub source: nothing to pin

    class OnlyProvenance:
        provenance: dict = {}

    assert not isinstance(OnlyProvenance(), BenchmarkWithProvenance)


def test_the_local_sandbox_advertises_its_in_flight_limit():
    from r1_sandbox.local import LocalSandbox

    limit = inspect.getattr_static(LocalSandbox, "in_flight_limit")
    assert isinstance(limit, property)
    assert inspect.signature(limit.fget).return_annotation in (int, "int")
