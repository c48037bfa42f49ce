"""``r1 reward check``: find the dataset/reward mismatches that silently stall GRPO.

Checks: the reward's columns exist; gold solutions score the maximum; rewards are not constant
across a group of completions (no learning signal); a chat template that pre-fills ``<think>``.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from r1_core.errors import DataError
from r1_core.reward_call import call_reward

from r1_rewards.code_extract import canonical_language
from r1_rewards.completions import completion_text
from r1_rewards.prefill import prompt_prefills_think
from r1_rewards.rows import reward_kwargs

__all__ = ["Finding", "check_reward", "gold_completion"]

MATH = {"accuracy", "length", "cosine"}
CODE = {"code", "binary_code"}
QA = {"exact_match", "rouge_l"}
TAGS = {"format", "tag_count", "code_format"}


@dataclass
class Finding:
    check: str
    status: str  # ok | warn | fail
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def gold_completion(reward: str, row: dict[str, Any]) -> str | None:
    """A completion that must earn ``reward``'s maximum on ``row``, or None if we cannot build one."""
    wrap = "<think>\nreference\n</think>\n<answer>\n{}\n</answer>"
    if reward in MATH and row.get("solution") is not None:
        sol = str(row["solution"])
        return sol if "\\boxed" in sol else wrap.format("\\boxed{" + sol.strip().strip("$") + "}")
    if reward in QA and row.get("solution") is not None:
        sol = row["solution"]
        return wrap.format(sol[0] if isinstance(sol, list) else sol)
    if reward in TAGS:
        lang = canonical_language(row.get("language"))
        return wrap.format(f"```{lang}\nprint(1)\n```" if reward == "code_format" else "42")
    code = row.get("gold_solution") or row.get("reference_solution") or row.get("gold_standard_solution")
    if (reward in CODE or reward in {"ioi", "codeforces", "usaco"}) and code:
        if str(code).lstrip().startswith("```"):
            return str(code)  # already a fenced answer (r1-cp's dataset rows)
        info = row.get("verification_info")
        lang = row.get("language") or (info.get("language") if isinstance(info, dict) else None)
        lang = canonical_language(lang, "python" if reward in CODE else "cpp")
        return f"```{lang}\n{code}\n```"
    return None


def _check_columns(name: str, fn: Any, rows: list[dict[str, Any]]) -> tuple[list[Any] | None, Finding]:
    try:
        scores = call_reward(fn, **reward_kwargs(rows))
    except DataError as exc:
        return None, Finding("columns", "fail", str(exc))
    return scores, Finding("columns", "ok", f"{name} found every column it needs")


def _check_gold(name: str, fn: Any, rows: list[dict[str, Any]]) -> Finding:
    golds = [gold_completion(name, r) for r in rows]
    idx = [i for i, g in enumerate(golds) if g is not None]
    if not idx:
        return Finding("gold", "warn", f"cannot build a gold completion for {name!r} from these rows "
                                       "(add a solution / gold_solution column to check it)")
    sub = [rows[i] for i in idx]
    scores = call_reward(fn, **reward_kwargs(sub, [golds[i] for i in idx]))
    top = 1.0  # every reward's full marks (codeforces' weighted_sum goes up to 1.1)
    bad = [(i, s) for i, s in zip(idx, scores, strict=True) if s is None or s < top - 1e-9]
    if not bad:
        return Finding("gold", "ok", f"all {len(idx)} gold solutions score full marks")
    shown = ", ".join(f"row {i + 1}: {s}" for i, s in bad[:5])
    return Finding("gold", "fail", f"{len(bad)} of {len(idx)} gold solutions do not score {top} "
                                   f"({shown}); fix those rows' answers or the reward's options")


def _groups(rows: list[dict[str, Any]], group_size: int | None) -> list[list[int]]:
    if group_size:
        return [list(range(i, min(i + group_size, len(rows)))) for i in range(0, len(rows), group_size)]
    by_prompt: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_prompt[completion_text(r.get("prompt")) or str(r.get("solution"))].append(i)
    return list(by_prompt.values())


def _check_constant(scores: list[Any], rows: list[dict[str, Any]], group_size: int | None) -> Finding:
    groups = [g for g in _groups(rows, group_size) if len(g) > 1]
    if not groups:
        return Finding("constant", "warn", "no group has two completions of one prompt "
                                           "(add a prompt column or pass --group-size)")
    flat = [g for g in groups if len({scores[i] for i in g}) == 1]
    values = [s for s in scores if s is not None]
    spread = statistics.pstdev(values) if len(values) > 1 else 0.0
    if len(flat) == len(groups):
        return Finding("constant", "fail", f"every group ({len(groups)}) gives all its completions the "
                                           f"same reward (overall std {spread:.3g}): GRPO learns nothing")
    status = "warn" if len(flat) * 2 > len(groups) else "ok"
    return Finding("constant", status, f"{len(flat)} of {len(groups)} groups have a constant reward")


def _check_prefill(rows: list[dict[str, Any]]) -> Finding:
    prefilled = sum(prompt_prefills_think(r.get("prompt")) for r in rows)
    texts = [completion_text(r["completion"]) for r in rows]
    headless = sum("</think>" in t and "<think>" not in t for t in texts)
    if prefilled:
        return Finding("prefill", "warn", f"{prefilled} prompts end with <think> (the chat template "
                                          "pre-fills it); tag rewards account for it via the prompt")
    if headless > len(rows) / 2:
        return Finding("prefill", "warn", f"{headless} of {len(rows)} completions close </think> without "
                                          "opening it: the chat template probably pre-fills <think>; "
                                          "pass the prompts (a 'prompt' column) so format rewards see it")
    return Finding("prefill", "ok", "no pre-filled <think> detected")


def check_reward(name: str, fn: Any, rows: list[dict[str, Any]],
                 group_size: int | None = None) -> list[Finding]:
    scores, columns = _check_columns(name, fn, rows)
    findings = [columns]
    if scores is not None:
        findings.append(_check_gold(name, fn, rows))
        findings.append(_check_constant(scores, rows, group_size))
    findings.append(_check_prefill(rows))
    return findings
