"""``r1 plugins``: what is installed, its status, hooks and what it provides."""

from __future__ import annotations

import typer
from rich.table import Table

from r1_core.api import list_plugins
from r1_core.cli.app import console, print_json


def register(app: typer.Typer) -> None:
    @app.command("plugins")
    def plugins(
        json_: bool = typer.Option(False, "--json", help="Print JSON to stdout."),
        all_: bool = typer.Option(False, "--all", help="Include plugins registered in-process."),
        strict: bool = typer.Option(False, "--strict", help="Exit 1 if any plugin failed."),
    ) -> None:
        """List installed r1 plugins: name, version, status, hooks, provides."""
        infos = list_plugins(include_builtin=all_)
        if json_:
            print_json([i.as_dict() for i in infos])
        else:
            table = Table("name", "version", "status", "hooks", "provides")
            for i in infos:
                provides = "; ".join(f"{k}: {', '.join(v)}" for k, v in i.provides.items())
                hooks = ", ".join(h.removeprefix("r1_register_") for h in i.hooks)
                status = i.status if not i.error else f"{i.status}: {i.error}"
                table.add_row(i.distribution or i.name, i.version or "", status, hooks, provides)
            console.print(table)
            if not infos:
                console.print("no plugins installed (pip install packages that register in the "
                              "`r1` entry-point group)")
        if strict and any(i.status == "failed" for i in infos):
            raise typer.Exit(1)
