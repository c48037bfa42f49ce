"""r1's evaluation benchmarks (the CP benchmarks live in r1-cp)."""

from r1_cli.benchmarks.gpqa import GPQADiamond
from r1_cli.benchmarks.lcb import LiveCodeBench
from r1_cli.benchmarks.math import AIME24, AIME25, Math500, MathBenchmark

__all__ = ["AIME24", "AIME25", "GPQADiamond", "LiveCodeBench", "Math500", "MathBenchmark"]
