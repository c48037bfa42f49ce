"""Hook specifications of the ``r1`` plugin system.

A plugin is a module with functions named after these specs and decorated with
``r1_core.hookimpl``, listed in its distribution's ``[project.entry-points.r1]`` table. Each
``register`` callback may be called any number of times; implementations may accept fewer
arguments than the spec (pluggy's subset rule), so specs can grow without breaking plugins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import typer

    from r1_core.registry import Register

PROJECT = "r1"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def r1_register_rewards(register: Register) -> None:
    """Register reward functions (TRL-compatible callables, or factories taking config).

    Example::

        @hookimpl
        def r1_register_rewards(register):
            register("brevity", brevity_reward, description="1 - len/1000")

    Extra keywords: ``dataset="<registered dataset>"`` (what ``r1 train grpo --reward NAME`` trains on
    without ``--dataset``) and ``default=True`` (one of the rewards used when none is named). A
    factory declares its options with :func:`r1_core.reward_options.reward_options`.
    """


@hookspec
def r1_register_sandboxes(register: Register) -> None:
    """Register sandbox providers: factories ``(**config) -> Sandbox``.

    Example::

        @hookimpl
        def r1_register_sandboxes(register):
            register("local", LocalSandbox, description="bubblewrap + cgroups + seccomp")
    """


@hookspec
def r1_register_scorers(register: Register) -> None:
    """Register problem scorers (objects with ``score(problem, source, language, sandbox)``).

    Example::

        @hookimpl
        def r1_register_scorers(register):
            register("ioi", IOIScorer(), description="IOI subtask scoring")
    """


@hookspec
def r1_register_benchmarks(register: Register) -> None:
    """Register evaluation benchmarks (factories ``(**config) -> Benchmark``).

    Example::

        @hookimpl
        def r1_register_benchmarks(register):
            register("aime24", AIME24, description="AIME 2024, 30 problems")
    """


@hookspec
def r1_register_trainers(register: Register) -> None:
    """Register trainers that ``r1 train <name>`` runs (objects with ``config_class`` and ``run``).

    Example::

        @hookimpl
        def r1_register_trainers(register):
            register("grpo", GRPOTrainerEntry(), description="GRPO on TRL")
    """


@hookspec
def r1_register_environments(register: Register) -> None:
    """Register tool environments: factories ``(**options) -> episode`` for TRL's ``environment_factory``.

    An episode object has a ``reset(**row) -> str | None`` and public methods the model may call
    as tools (typed arguments, Google-style docstring); see ``docs/environments.md``.

    Example::

        @hookimpl
        def r1_register_environments(register):
            register("calculator", CalculatorEnv, description="exact arithmetic on fractions")
    """


@hookspec
def r1_register_datasets(register: Register) -> None:
    """Register datasets that ``bundled:<name>`` names (``--dataset``, ``dataset_name:``, mixtures,
    ``r1 data``): callables ``() -> rows`` returning a list of dicts or a ``datasets.Dataset``.

    A reward names the set it trains on by default with ``register(..., dataset="<name>")`` in
    ``r1_register_rewards``; ``cold_start="<name>"`` names a set of demonstrations to cold-start
    from before GRPO on this one (the embedded job).

    Example::

        @hookimpl
        def r1_register_datasets(register):
            register("brevity-prompts", load_prompts, description="200 short questions with answers")
    """


@hookspec
def r1_register_commands(cli: typer.Typer) -> None:
    """Add command groups to the ``r1`` command (a Typer app).

    Example::

        @hookimpl
        def r1_register_commands(cli):
            cli.add_typer(sandbox_app, name="sandbox", help="Run code in the sandbox")

    Use :func:`r1_core.cli.command_group` to add to a group another plugin may also extend.
    """


HOOKS: dict[str, Any] = {
    name: obj for name, obj in dict(globals()).items() if name.startswith("r1_register_")
}
"""Every hook spec by name (the guard tests iterate over it)."""
