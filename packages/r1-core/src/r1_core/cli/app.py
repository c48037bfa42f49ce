"""Root Typer app, the error edge (one line, exit 2) and helpers for plugin command groups."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

try:  # typer >= 0.20 vendors click; older typer uses the click package
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover
    from click import exceptions as click_exc  # type: ignore[no-redef]
from rich.console import Console

from r1_core.errors import R1Error

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    """Machine-readable output on stdout (no rich markup, no wrapping)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


def command_group(cli: typer.Typer, name: str, help: str = "") -> typer.Typer:
    """The sub-app ``name`` of ``cli``, created on first use, so several plugins can extend it."""
    for group in cli.registered_groups:
        if group.name == name and group.typer_instance is not None:
            return group.typer_instance
    sub = typer.Typer(help=help, no_args_is_help=True, add_completion=False)
    cli.add_typer(sub, name=name, help=help)
    return sub


def build_app() -> typer.Typer:
    from r1_core.cli import lists, plugins_cmd, train_cmd
    from r1_core.plugins import get_host

    app = typer.Typer(
        name="r1",
        help="r1 — train reasoning language models the DeepSeek-R1 way (SFT → GRPO → eval).",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    plugins_cmd.register(app)
    lists.register(app)
    train_cmd.register(app)
    get_host().register_commands(app)
    return app


def _one_line(text: str) -> str:
    return " ".join(text.split())


def fail(message: str, code: int = 2) -> None:
    err_console.print(f"error: {_one_line(message)}", markup=False)
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: user errors are one line on stderr and exit code 2."""
    try:
        app = build_app()
        command = typer.main.get_command(app)
        code = command.main(args=argv, prog_name="r1", standalone_mode=False)
    except R1Error as exc:
        fail(str(exc), exc.exit_code)
    except click_exc.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError" and exc.ctx is not None:
            console.print(exc.ctx.get_help(), markup=False)
            raise SystemExit(0) from None
        where = exc.ctx.command_path if exc.ctx else "r1"
        fail(f"{exc.format_message()} ({where}) — run `{where} --help`", 2)
    except click_exc.ClickException as exc:
        fail(exc.format_message(), exc.exit_code or 1)
    except click_exc.Abort:
        fail("aborted", 130)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except BrokenPipeError:
        raise SystemExit(0) from None
    raise SystemExit(code if isinstance(code, int) else 0)
