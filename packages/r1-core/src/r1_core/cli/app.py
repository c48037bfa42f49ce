"""Root Typer app, the error edge (one line, exit 2) and helpers for plugin command groups."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
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
    from r1_core.plugin_host import get_host

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


# Python module → the pip line that installs it, for an ImportError that escapes to the CLI edge.
INSTALL_LINES = {
    "flash_attn": "flash-attn --no-build-isolation", "liger_kernel": "liger-kernel",
    "bitsandbytes": "bitsandbytes", "vllm": "r1-core[vllm]", "deepspeed": "r1-core[deepspeed]",
    "wandb": "wandb", "tensorboard": "tensorboard",
}  # plugins name their own extras (MissingExtraError), so no plugin package appears here


def _kind(exc: BaseException, name: str) -> bool:
    """Whether ``exc`` is a click/typer exception of that class name, whichever click it comes from
    (typer vendors its own copy of click in some releases, and moves classes between them)."""
    return any(cls.__name__ == name for cls in type(exc).__mro__)


# The training stack: r1-core's ``train`` extra (matched by module name only: "trl" is in many texts).
TRAIN_MODULES = ("torch", "transformers", "trl", "datasets", "accelerate", "peft", "matplotlib")


def _import_error_line(exc: ImportError) -> str:
    module = (getattr(exc, "name", None) or "").split(".")[0]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if module in TRAIN_MODULES:
        return f"{module} (training stack) is not installed ({text}) — run: pip install \"r1-core[train]\""
    for mod, pip in INSTALL_LINES.items():
        if module == mod or mod in text:
            return f"{mod} is not installed ({text}) — run: pip install \"{pip}\""
    if module:
        return f"Python module {module!r} is not installed ({text}) — install the package that provides it"
    return f"{text} — install the missing package"


def _framework_error(exc: Exception) -> None:
    """click/typer's own exceptions, recognised by class name (never by import path)."""
    ctx = getattr(exc, "ctx", None)
    if _kind(exc, "NoArgsIsHelpError") and ctx is not None:
        console.print(ctx.get_help(), markup=False)
        raise SystemExit(0) from None
    if _kind(exc, "UsageError"):
        where = ctx.command_path if ctx is not None else "r1"
        fail(f"{exc.format_message()} ({where}) — run `{where} --help`", 2)  # type: ignore[attr-defined]
    if _kind(exc, "ClickException"):
        fail(exc.format_message(), getattr(exc, "exit_code", 1) or 1)  # type: ignore[attr-defined]
    if _kind(exc, "Abort"):
        fail("aborted", 130)
    if _kind(exc, "Exit"):
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        raise SystemExit(code if isinstance(code, int) else 0) from None


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: user errors are one line on stderr and exit code 2.

    The boundary depends on no click/typer module path: their exceptions are told apart by class
    name. Anything unexpected is one line too (exit 1); ``R1_TRACEBACK=1`` shows the traceback.
    """
    import os

    try:
        app = build_app()
        command = typer.main.get_command(app)
        code = command.main(args=argv, prog_name="r1", standalone_mode=False)
    except R1Error as exc:
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except BrokenPipeError:
        raise SystemExit(0) from None
    except ImportError as exc:
        if os.environ.get("R1_TRACEBACK"):
            raise
        fail(_import_error_line(exc), 2)
    except Exception as exc:
        _framework_error(exc)
        if os.environ.get("R1_TRACEBACK"):
            raise
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        fail(f"unexpected {type(exc).__name__}: {text} — rerun with R1_TRACEBACK=1 for the traceback "
             "and report it if it is r1's fault", 1)
    raise SystemExit(code if isinstance(code, int) else 0)
