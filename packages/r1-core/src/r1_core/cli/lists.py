"""``r1 <kind> list`` for every registry kind (rewards, sandboxes, ..., datasets)."""

from __future__ import annotations

import typer
from rich.table import Table

from r1_core.api import list_entries
from r1_core.cli.app import command_group, console, print_json
from r1_core.registry import KINDS


def _lister(kind: str):
    def list_cmd(json_: bool = typer.Option(False, "--json", help="Print JSON to stdout.")) -> None:
        entries = list_entries(kind)
        if json_:
            print_json([{"name": e.name, "aliases": list(e.aliases), "description": e.description,
                         "provider": e.provider, "meta": dict(e.meta)} for e in entries])
            return
        with_meta = any(e.meta for e in entries)
        table = Table("name", "aliases", "description", "provider")
        if with_meta:
            table.add_column("details", overflow="fold")
        for e in entries:
            meta = ", ".join(k if v is True else f"{k}={v}" for k, v in e.meta.items())
            details = [meta] if with_meta else []
            table.add_row(e.name, ", ".join(e.aliases), e.description, e.provider, *details)
        console.print(table)
        if not entries:
            console.print(f"no {kind} registered (install a plugin that provides some)")

    list_cmd.__doc__ = f"List registered {kind}."
    return list_cmd


def register(app: typer.Typer) -> None:
    for kind in KINDS:
        group = command_group(app, kind, help=f"Registered {kind}.")
        group.command("list")(_lister(kind))
