"""r1-cli's registrations (entry point group `r1`). Only registers; the work lives elsewhere."""

from __future__ import annotations

from typing import Any

import typer
from r1_core import hookimpl


@hookimpl
def r1_register_benchmarks(register: Any) -> None:
    from r1_cli.benchmarks import AIME24, AIME25, GPQADiamond, LiveCodeBench, Math500

    register("aime24", AIME24, description="AIME 2024, 30 problems (HuggingFaceH4/aime_2024)")
    register("aime25", AIME25, description="AIME 2025, 30 problems (yentinglin/aime_2025)")
    register("math_500", Math500, description="MATH-500 (HuggingFaceH4/MATH-500)", aliases=["math500"])
    register("gpqa_diamond", GPQADiamond, description="GPQA-Diamond, shuffled options (Idavidrein/gpqa)",
             aliases=["gpqa"])
    register("lcb", LiveCodeBench, description="LiveCodeBench code generation, judged in the sandbox",
             aliases=["livecodebench"])


@hookimpl
def r1_register_commands(cli: typer.Typer) -> None:
    from r1_cli.data_cmd import register_data_commands
    from r1_cli.eval_cmd import eval_command
    from r1_cli.serve_cmd import serve_command

    cli.command("eval")(eval_command)
    cli.command("serve")(serve_command)
    register_data_commands(cli)
