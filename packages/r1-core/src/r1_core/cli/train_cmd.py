"""``r1 train <trainer> [--config YAML] [--<field> value ...]``: generic over registered trainers."""

from __future__ import annotations

import os

import typer

from r1_core.api import get_trainer, list_entries
from r1_core.cli.app import console, err_console, print_json
from r1_core.config_parsing import load_config, parse_cli_overrides, read_yaml
from r1_core.errors import UnknownNameError
from r1_core.training.entries import TrainingStackEntry


def register(app: typer.Typer) -> None:
    @app.command(
        "train",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                          "help_option_names": []},
    )
    def train(
        ctx: typer.Context,
        trainer: str = typer.Argument(None, help="sft | grpo | combined | pipeline (`r1 trainers list`)."),
        config: str = typer.Option(None, "--config", help="YAML file; CLI options override it."),
        dry_run: bool = typer.Option(
            False, "--dry-run", "--show-config",
            help="Check everything short of loading weights and data (TRL config built, rewards built, "
                 "accelerate/DeepSpeed settings, optional packages) and report every key; exit 0 or 2."),
        as_json: bool = typer.Option(False, "--json", help="With --dry-run: one JSON object on stdout."),
        accelerate_config: str = typer.Option(
            None, "--accelerate-config", help="With --dry-run: also check this accelerate config file."),
        num_processes: int = typer.Option(
            None, "--num-processes", help="With --dry-run: validate for this many training processes "
                                          "(default: the accelerate config's, else 1)."),
        help_: bool = typer.Option(False, "--help", "-h", help="Show the trainer's options and exit."),
    ) -> None:
        """Train a model. Every config field is also an option: --max-steps 10 --reward accuracy."""
        names = [e.name for e in list_entries("trainers")]
        if help_:
            console.print(ctx.get_help() if trainer is None else _options_help(trainer), markup=False)
            raise typer.Exit(0)
        if trainer is None:
            if not names:
                raise UnknownNameError("no trainers are registered",
                                       "install r1-core with its trainers (pip install r1-core)")
            console.print("trainers: " + ", ".join(names))
            raise typer.Exit(0)
        entry = get_trainer(trainer)
        if isinstance(entry, TrainingStackEntry):  # a light install: this line before any option error
            entry.require_stack(f"r1 train {entry.name}")
        overrides = parse_cli_overrides(list(ctx.args))
        cfg = load_config(entry.config_class, config, overrides)
        if dry_run:
            from r1_core.training.dryrun import dry_run as check
            from r1_core.training.dryrun import render

            raw_keys = {**(read_yaml(config) if config else {}), **overrides}
            report = check(entry.name, cfg, raw_keys, accelerate_config, num_processes)
            if as_json:
                print_json(report)
            else:
                console.print(render(report), markup=False)
            return
        if config and int(os.environ.get("RANK", "0")) == 0:
            from r1_core.training.dryrun import key_notes

            for line in key_notes(entry.name, cfg, read_yaml(config)):
                err_console.print(f"r1: option {line}", markup=False)
        entry.run(cfg)


def _options_help(name: str) -> str:
    model = get_trainer(name).config_class
    lines = [f"Usage: r1 train {name} [--config YAML] [--<option> VALUE ...] [--dry-run [--json] "
             "[--num-processes N] [--accelerate-config FILE]]", "",
             "  --dry-run: check everything short of loading weights and data (TRL config, rewards, "
             "accelerate, optional packages; every key applied/mapped/ignored) and exit 0, or 2 with "
             "one line",
             "", "Options:"]
    for field, info in model.model_fields.items():
        default = "" if info.is_required() else f" [default: {info.get_default(call_default_factory=True)!r}]"
        lines.append(f"  --{field.replace('_', '-')}: {info.description or ''}{default}")
    extra_help = getattr(model, "extra_help", None)
    if extra_help is not None:
        lines += extra_help()
    return "\n".join(lines)
