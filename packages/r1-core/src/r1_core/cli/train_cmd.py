"""``r1 train <trainer> [--config YAML] [--<field> value ...]``: generic over registered trainers."""

from __future__ import annotations

import typer

from r1_core.api import get_trainer, list_entries
from r1_core.cli.app import console
from r1_core.config import load_config, parse_cli_overrides
from r1_core.errors import UnknownNameError


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
        show_config: bool = typer.Option(False, "--show-config", help="Print the resolved config and exit."),
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
        overrides = parse_cli_overrides(list(ctx.args))
        cfg = load_config(entry.config_class, config, overrides)
        if show_config:
            console.print_json(cfg.model_dump_json())
            return
        entry.run(cfg)


def _options_help(name: str) -> str:
    model = get_trainer(name).config_class
    lines = [f"Usage: r1 train {name} [--config YAML] [--<option> VALUE ...]", "", "Options:"]
    for field, info in model.model_fields.items():
        default = "" if info.is_required() else f" [default: {info.get_default(call_default_factory=True)!r}]"
        lines.append(f"  --{field.replace('_', '-')}: {info.description or ''}{default}")
    return "\n".join(lines)
