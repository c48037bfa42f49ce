"""One test per hook spec, plus guards: a hook without a test or without docs fails the suite."""

import inspect
import re
from pathlib import Path

import pytest
import typer
from r1_core import (
    ExecRequest,
    ExecResult,
    ScoreSummary,
    ToolError,
    Verdict,
    get_benchmark,
    get_environment,
    get_reward,
    get_sandbox,
    get_scorer,
    get_trainer,
    hookimpl,
)
from r1_core.errors import PluginError
from r1_core.hookspecs import HOOKS
from r1_core.plugin_host import PluginHost, use_host
from r1_core.testing import check_reward_contract

DOCS = Path(__file__).resolve().parents[3] / "docs" / "plugins.md"


def _host_with(plugin):
    host = PluginHost(entry_points=False)
    host.add_plugin(plugin, name="under-test", distribution="r1-under-test", version="9.9")
    return host


def test_hook_r1_register_rewards():
    def brevity(completions, **kw):
        return [1.0 / (1 + len(str(c))) for c in completions]

    class P:
        @hookimpl
        def r1_register_rewards(self, register):
            register("brevity", brevity, description="short is good", aliases=["short"])

    with use_host(_host_with(P())):
        fn = get_reward("short")
        check_reward_contract(fn, name="brevity")
        assert fn(completions=["", "abc"]) == [1.0, 0.25]


def test_hook_r1_register_sandboxes():
    class EchoSandbox:
        name = "echo"

        def __init__(self, prefix: str = ""):
            self.prefix = prefix

        def run(self, requests):
            return [ExecResult(verdict=Verdict.OK, stdout=self.prefix + r.stdin, provider="echo")
                    for r in requests]

        async def arun(self, requests):
            return self.run(requests)

        def close(self):
            pass

    class P:
        @hookimpl
        def r1_register_sandboxes(self, register):
            register("echo", EchoSandbox)

    with use_host(_host_with(P())):
        sb = get_sandbox("echo", prefix=">")
        assert [r.stdout for r in sb.run([ExecRequest(language="python", source="", stdin="hi")])] == [">hi"]


def test_hook_r1_register_scorers():
    class Points:
        def __init__(self, score: float, max_score: float) -> None:
            self.score, self.max_score = score, max_score

    class AllOrNothing:
        name = "all_or_nothing"

        def score(self, problem, source, language, sandbox):
            return Points(100.0 if "ok" in source else 0.0, 100.0)

    class P:
        @hookimpl
        def r1_register_scorers(self, register):
            register("all_or_nothing", AllOrNothing())

    with use_host(_host_with(P())):
        result = get_scorer("all_or_nothing").score(None, "ok", "cpp", None)
        assert isinstance(result, ScoreSummary) and (result.score, result.max_score) == (100.0, 100.0)


def test_hook_r1_register_benchmarks():
    class Tiny:
        name = "tiny"

        def __init__(self, n: int = 2):
            self.rows = [{"problem": f"{i}+{i}", "answer": str(2 * i)} for i in range(n)]

        def load(self, *, limit=None, offline=None):
            return self.rows[:limit]

        def prompt(self, row):
            return row["problem"]

        def score(self, row, completions):
            return [float(c.strip() == row["answer"]) for c in completions]

    class P:
        @hookimpl
        def r1_register_benchmarks(self, register):
            register("tiny", Tiny)

    with use_host(_host_with(P())):
        bench = get_benchmark("tiny", n=3)
        rows = bench.load(limit=2)
        assert len(rows) == 2 and bench.score(rows[1], ["2", "3"]) == [1.0, 0.0]


def test_hook_r1_register_trainers():
    from pydantic import BaseModel

    class Cfg(BaseModel):
        steps: int = 1

    class Entry:
        name = "noop"
        config_class = Cfg

        def run(self, config):
            return {"steps": config.steps}

    class P:
        @hookimpl
        def r1_register_trainers(self, register):
            register("noop", Entry())

    with use_host(_host_with(P())):
        trainer = get_trainer("noop")
        assert trainer.run(trainer.config_class(steps=4)) == {"steps": 4}


def test_hook_r1_register_datasets():
    import pytest
    from datasets import Dataset
    from r1_core.errors import ConfigError, DataError
    from r1_core.training.coldstart import cold_start_dataset
    from r1_core.training.data import load_dataset_named
    from r1_core.training.options import GRPOOptions
    from r1_core.training.rewards import default_dataset_for

    def brevity(completions, **kw):
        return [0.0] * len(completions)

    class P:
        @hookimpl
        def r1_register_datasets(self, register):
            register("tiny-set", lambda: [{"prompt": "hi", "solution": "1"}], description="one row",
                     cold_start="tiny-demos")
            register("tiny-demos", lambda: Dataset.from_list([{"prompt": "hi", "completion": "1"}]),
                     description="a Dataset")

        @hookimpl
        def r1_register_rewards(self, register):
            register("brevity", brevity, description="short", dataset="tiny-set", default=True)
            register("plain", brevity, description="no dataset")

    with use_host(_host_with(P())) as host:
        assert load_dataset_named("bundled:tiny-set").to_list() == [{"prompt": "hi", "solution": "1"}]
        assert load_dataset_named("bundled:tiny_demos")["completion"] == ["1"]
        with pytest.raises(DataError) as err:
            load_dataset_named("bundled:nope")
        assert "no bundled dataset 'nope'" in str(err.value) and "tiny_demos, tiny_set" in str(err.value)
        assert host.registry("rewards").entry("brevity").meta == {"dataset": "tiny-set", "default": True}
        assert default_dataset_for(["plain", "brevity"]) == "bundled:tiny-set"
        assert default_dataset_for(["plain", "x.y:z"]) == "bundled:tiny-set"  # the default rewards' set
        defaulted = GRPOOptions.model_validate({})
        assert defaulted.reward_funcs == ["brevity"]  # the default=True rewards
        assert "reward_funcs" not in defaulted.model_fields_set  # so --resume keeps the saved rewards
        assert cold_start_dataset(GRPOOptions.model_validate({"reward": "brevity"})) == "bundled:tiny-demos"
        assert cold_start_dataset(GRPOOptions.model_validate({"reward": "plain", "model": "m"})) is None

    class Bare:
        @hookimpl
        def r1_register_rewards(self, register):
            register("plain", brevity, description="no dataset")

    with use_host(_host_with(Bare())):
        assert default_dataset_for(["plain"]) is None
        with pytest.raises(ConfigError, match="no installed plugin registers a default one"):
            GRPOOptions.model_validate({})


def test_registration_keywords_are_checked_per_kind(monkeypatch):
    class P:
        @hookimpl
        def r1_register_rewards(self, register):
            register("brevity", lambda completions, **kw: [0.0], datset="typo")

    monkeypatch.delenv("R1_STRICT_PLUGINS", raising=False)  # CI sets it; the isolated failure first
    host = _host_with(P())
    host.fill()
    info = host.plugins["under-test"]
    assert info.status == "failed" and "unknown keyword 'datset'" in info.error
    assert "brevity" not in host.registry("rewards")
    # strict, the same misspelling stops the host with that one line
    monkeypatch.setenv("R1_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match="unknown keyword 'datset'"):
        _host_with(P()).fill()


def test_hook_r1_register_environments():
    class Counter:
        """Counts up."""

        def __init__(self, step: int = 1):
            self.step = step
            self.n = 0

        def reset(self, **row):
            self.n = row.get("start", 0)
            return f"start at {self.n}"

        def bump(self, times: int) -> str:
            """Add the step several times.

            Args:
                times: how many times to add the step.
            """
            if times < 0:
                return ToolError("times must be >= 0")
            self.n += self.step * times
            return str(self.n)

    class P:
        @hookimpl
        def r1_register_environments(self, register):
            register("counter", Counter, description="counts", aliases=["count"])

    with use_host(_host_with(P())):
        factory = get_environment("count", step=2)
        assert factory.name == "counter" and factory.tools == ["bump"]
        episode = factory()
        assert isinstance(episode, Counter) and type(episode).__name__ == "Counter"
        assert episode.reset(start=1) == "start at 1"
        assert episode.bump(times=3) == "7" and episode.bump(times=-1) == "times must be >= 0"
        assert inspect.getdoc(type(episode).bump).startswith("Add the step")
        [stats] = factory.drain()
        assert (stats.calls, stats.errors, stats.by_tool) == (2, 1, {"bump": 2})
        assert factory.drain() == []


def test_hook_r1_register_commands():
    from r1_core.cli import command_group

    calls = []

    class P:
        @hookimpl
        def r1_register_commands(self, cli):
            group = command_group(cli, "hello", help="greetings")

            @group.command("say")
            def say(name: str) -> None:
                calls.append(name)

    cli = typer.Typer()
    _host_with(P()).register_commands(cli)
    group = command_group(cli, "hello")
    typer.main.get_command(cli).main(["hello", "say", "world"], standalone_mode=False)
    assert calls == ["world"] and group.registered_commands[0].name == "say"


def test_every_hook_has_a_test():
    missing = [name for name in HOOKS if f"test_hook_{name}" not in globals()]
    assert not missing, f"hooks without a test_hook_<name> test: {missing}"


def test_every_hook_is_documented_with_its_signature():
    text = DOCS.read_text()
    for name, spec in HOOKS.items():
        signature = f"{name}({', '.join(inspect.signature(spec).parameters)})"
        assert f"### `{signature}`" in text, f"docs/plugins.md lacks a section '### `{signature}`'"
    documented = re.findall(r"^### `(r1_register_\w+)\(", text, flags=re.M)
    assert sorted(documented) == sorted(HOOKS), "docs/plugins.md documents hooks that do not exist"


def test_every_hook_has_a_docstring_with_an_example():
    for name, spec in HOOKS.items():
        assert spec.__doc__ and "Example::" in spec.__doc__, name


def test_every_optional_protocol_is_documented_with_its_members():
    from r1_core.protocols import OPTIONAL_PROTOCOLS

    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Optional protocols"):]
    for proto in OPTIONAL_PROTOCOLS:
        members = [*proto.__annotations__,
                   *(n for n, v in vars(proto).items() if callable(v) and not n.startswith("_"))]
        assert members, proto
        row = next((line for line in section.splitlines() if f"`{proto.__name__}`" in line), None)
        assert row is not None, f"{proto.__name__} is not in the optional-protocols table of {DOCS.name}"
        for member in members:
            assert member in row, f"{proto.__name__}.{member} is not documented"
