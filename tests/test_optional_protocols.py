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


def test_the_router_reads_the_in_flight_limit_through_the_protocol():
    import r1_sandbox.router_dispatch
    from r1_core.protocols import SandboxWithInFlightLimit
    from r1_sandbox.router_dispatch import ExecutionService

    class Plain:
        name = "plain"

        def run(self, requests):
            return []

        async def arun(self, requests):
            return []

        def close(self) -> None:
            pass

    class Gating(Plain):
        @property
        def in_flight_limit(self) -> int:
            return 6

    assert isinstance(Gating(), SandboxWithInFlightLimit)
    assert not isinstance(Plain(), SandboxWithInFlightLimit)
    assert ExecutionService(Gating(), max_concurrency=2).in_flight == 6
    assert ExecutionService(Gating(), max_concurrency=8).in_flight == 8
    assert ExecutionService(Plain(), max_concurrency=2).in_flight == 2
    source = inspect.getsource(r1_sandbox.router_dispatch)
    assert '"in_flight_limit"' not in source and "SandboxWithInFlightLimit" in source


def test_the_local_sandbox_declares_its_tier_and_the_router_reads_it_through_the_protocol():
    from r1_core.protocols import SandboxWithTier
    from r1_sandbox.local import LocalSandbox
    from r1_sandbox.router_dispatch import ExecutionService

    assert isinstance(inspect.getattr_static(LocalSandbox, "tier"), property)

    class Tiered:
        name, tier = "fake", "strict"

    class Untiered:
        name = "fake"

    assert isinstance(Tiered(), SandboxWithTier) and not isinstance(Untiered(), SandboxWithTier)
    assert ExecutionService.tier.fget(type("S", (), {"sandbox": Tiered()})()) == "strict"
    assert ExecutionService.tier.fget(type("S", (), {"sandbox": Untiered()})()) == ""
