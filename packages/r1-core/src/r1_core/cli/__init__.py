"""The ``r1`` command: root group owned by r1-core, extended by plugins."""

from r1_core.cli.app import build_app, command_group, console, err_console, main, print_json

__all__ = ["build_app", "command_group", "console", "err_console", "main", "print_json"]
