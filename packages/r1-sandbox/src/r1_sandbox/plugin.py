"""r1-sandbox's registrations (entry point group `r1`). Only registers; the work lives elsewhere."""

from __future__ import annotations

from typing import Any

from r1_core import factory, hookimpl
from r1_core.registry import Register


@factory
def _local(**config: Any) -> Any:
    from r1_sandbox.local import LocalSandbox
    return LocalSandbox(**config)


@factory
def _router(**config: Any) -> Any:
    from r1_sandbox.router_client import RouterSandbox
    return RouterSandbox(**config)


@factory
def _e2b(**config: Any) -> Any:
    from r1_sandbox.e2b import E2BSandbox
    return E2BSandbox(**config)


@factory
def _morph(**config: Any) -> Any:
    from r1_sandbox.morph import MorphSandbox
    return MorphSandbox(**config)


@hookimpl
def r1_register_sandboxes(register: Register) -> None:
    register("local", _local,
             description="this machine: cgroup + bubblewrap + seccomp + unprivileged uid (default)")
    register("router", _router, description="client of `r1 sandbox serve` routers (urls or R1_ROUTER_URLS)")
    register("e2b", _e2b, description="E2B cloud sandboxes, no internet (e2b extra, E2B_API_KEY)")
    register("morph", _morph, description="Morph Cloud instances (morph extra, MORPH_API_KEY)")


@factory
def _python_environment(**options: Any) -> Any:
    from r1_sandbox.python_env import PythonEnvironment
    return PythonEnvironment.from_options(options)


@hookimpl
def r1_register_environments(register: Register) -> None:
    register("python", _python_environment, aliases=["python_sandbox"],
             description="a stateful Python session per episode, in the sandbox (local by default)")


@hookimpl
def r1_register_commands(cli: Any) -> None:
    from r1_core.cli.app import command_group

    from r1_sandbox.cli import register_local_commands
    from r1_sandbox.router_server import register_serve_command

    group = command_group(cli, "sandbox", help="Run code in a sandbox, or serve a sandbox over HTTP.")
    register_serve_command(group)
    register_local_commands(group)
