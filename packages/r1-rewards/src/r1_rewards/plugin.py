"""r1-rewards's registrations (entry point group ``r1``). Only registers; the work lives elsewhere."""

from __future__ import annotations

from r1_core import hookimpl
from r1_core.registry import Register


@hookimpl
def r1_register_rewards(register: Register) -> None:
    from r1_rewards import accuracy, code, cp, format, length, qa, repetition

    # format and tag_count fit any data: a run of them alone trains on accuracy's set, the default one
    register("accuracy", accuracy.accuracy, description="math answer equals the solution (math-verify)",
             dataset="math", default=True)
    register("format", format.format_reward, description="exactly <think>…</think><answer>…</answer>",
             default=True)
    register("tag_count", format.tag_count_reward, description="0.25 per think/answer tag present once",
             default=True)
    register("reasoning_steps", format.reasoning_steps, description="min(1, steps / 3)")
    register("length", length.length, description="Kimi 1.5 length penalty over the batch")
    register("cosine", length.cosine, description="correctness scaled by a cosine of the length")
    register("repetition_penalty", repetition.repetition_penalty, description="penalises repeated n-grams")
    register("soft_overlong_punishment", length.soft_overlong_punishment,
             description="DAPO soft penalty for completions near the token limit")
    register("code_format", format.code_format, description="format plus a fenced code block")
    register("code", code.code, description="fraction of tests passed in the sandbox")
    register("binary_code", code.binary_code, description="1 if every test passes in the sandbox")
    # IOI trains on the warm-up problems, so that the IOI benchmark (bundled:ioi) stays held out
    register("ioi", cp.ioi, aliases=["ioi_code"], description="IOI subtask score (r1-cp)",
             dataset="ioi-warmup")
    register("codeforces", cp.codeforces, aliases=["cf_code"], description="Codeforces score (r1-cp)",
             dataset="codeforces")
    register("usaco", cp.usaco, description="USACO fraction of tests passed (r1-cp)", dataset="usaco")
    register("exact_match", qa.exact_match, description="normalised answer equals a reference")
    register("rouge_l", qa.rouge_l, description="ROUGE-L F1 against a reference")


@hookimpl
def r1_register_datasets(register: Register) -> None:
    from r1_rewards.datasets import math_rows

    register("math", math_rows, description="~50 math word problems (prompt, solution, demonstration)")


@hookimpl
def r1_register_commands(cli) -> None:
    from r1_rewards.cli import register_commands

    register_commands(cli)
