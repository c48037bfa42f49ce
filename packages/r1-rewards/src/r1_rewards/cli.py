"""``r1 reward score`` and ``r1 reward check``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from r1_core.api import get_reward
from r1_core.cli.app import command_group, console, print_json
from r1_core.config_parsing import parse_value
from r1_core.errors import ConfigError
from r1_core.reward_call import call_reward

from r1_rewards.doctor import check_reward
from r1_rewards.rows import read_rows, reward_kwargs

__all__ = ["parse_reward_options", "register_commands"]

RewardOpt = Annotated[list[str], typer.Option("--reward", "-r", help="reward name (repeatable)")]
InputOpt = Annotated[Path, typer.Option("--input", "-i", help="JSONL rows: completion + dataset columns")]
ConfigOpt = Annotated[list[str] | None, typer.Option(
    "--reward-config", "-c", help="reward option NAME.KEY=VALUE (or KEY=VALUE with one --reward); "
                                  "VALUE is JSON when it parses, else a string")]


def parse_reward_options(rewards: list[str], options: list[str]) -> dict[str, dict[str, Any]]:
    """``["cosine.max_len=500"]`` → ``{"cosine": {"max_len": 500}}``."""
    out: dict[str, dict[str, Any]] = {r: {} for r in rewards}
    for opt in options:
        key, eq, value = opt.partition("=")
        if not eq or not key:
            raise ConfigError(f"--reward-config {opt!r} is not KEY=VALUE", "e.g. -c cosine.max_len=500")
        name, dot, field = key.rpartition(".")
        if not dot:
            if len(rewards) != 1:
                raise ConfigError(f"--reward-config {opt!r} does not say which reward it is for",
                                  "write NAME.KEY=VALUE, e.g. cosine.max_len=500")
            name, field = rewards[0], key
        if name not in out:
            raise ConfigError(f"--reward-config {opt!r} names {name!r}, which is not one of the --reward "
                              f"values ({', '.join(rewards)})", "add --reward " + name)
        out[name][field] = parse_value(value)
    return out


def _need_rewards(rewards: list[str]) -> None:
    if not rewards:
        raise ConfigError("no reward given", "pass --reward NAME (repeatable)")


def score(input: InputOpt, reward: RewardOpt = [],  # noqa: B006 (typer default)
          reward_config: ConfigOpt = None,
          as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Score each row's completion with one or more rewards."""
    _need_rewards(reward)
    rows = read_rows(input)
    options = parse_reward_options(reward, reward_config or [])
    columns: dict[str, list[float | None]] = {}
    for name in reward:
        fn = get_reward(name, **options[name])
        columns[name] = call_reward(fn, **reward_kwargs(rows))
    table = [{name: columns[name][i] for name in reward} for i in range(len(rows))]
    if as_json:
        print_json(table)
        return
    console.print("row  " + "  ".join(f"{n:>12}" for n in reward), markup=False)
    for i, entry in enumerate(table, start=1):
        console.print(f"{i:<4} " + "  ".join(f"{_fmt(entry[n]):>12}" for n in reward), markup=False)
    means = []
    for name in reward:
        vals = [v for v in columns[name] if v is not None]
        means.append(_fmt(sum(vals) / len(vals)) if vals else "-")
    console.print("mean " + "  ".join(f"{m:>12}" for m in means), markup=False)


def _fmt(v: float | None) -> str:
    return "null" if v is None else f"{v:.4g}"


def check(input: InputOpt, reward: RewardOpt = [],  # noqa: B006 (typer default)
          reward_config: ConfigOpt = None,
          group_size: Annotated[int | None, typer.Option(
              "--group-size", help="completions per prompt, consecutive (default: group by prompt)")] = None,
          as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Doctor a dataset + reward: columns, gold scores, constant rewards, pre-filled <think>.

    Exits 1 when a check fails.
    """
    _need_rewards(reward)
    rows = read_rows(input)
    options = parse_reward_options(reward, reward_config or [])
    report = {name: [f.as_dict() for f in check_reward(name, get_reward(name, **options[name]), rows,
                                                        group_size)]
              for name in reward}
    if as_json:
        print_json(report)
    else:
        for name, findings in report.items():
            for f in findings:
                console.print(f"{name:<14} {f['check']:<9} {f['status'].upper():<5} {f['message']}",
                              markup=False)
    if any(f["status"] == "fail" for findings in report.values() for f in findings):
        raise typer.Exit(1)


def register_commands(cli: typer.Typer) -> None:
    group = command_group(cli, "reward", help="Score completions with rewards; doctor a dataset + reward.")
    group.command("score")(score)
    group.command("check")(check)
