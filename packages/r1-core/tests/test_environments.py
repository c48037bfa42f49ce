"""Environments through the façade: instrumented episodes, what counts as an error, bad plugins."""

import asyncio
import inspect
import sys
import types

import pytest
from r1_core import ToolError, ToolSystemError, get_environment, hookimpl
from r1_core.environments import summarize_episodes, tool_methods
from r1_core.errors import ConfigError, PluginError
from r1_core.plugin_host import PluginHost, use_host


class Probe:
    """Tools that fail in every way."""

    def __init__(self, greeting: str = "hi"):
        self.greeting = greeting

    def reset(self, **row):
        return None

    def hello(self, name: str) -> str:
        """Greet.

        Args:
            name: who.
        """
        return f"{self.greeting} {name}"

    def broken(self) -> str:
        """Raise."""
        raise RuntimeError("boom")

    def refused(self) -> str:
        """Refuse."""
        return ToolError("no")

    def unavailable(self) -> str:
        """The tool's own failure."""
        return ToolSystemError("sandbox down")

    async def later(self, n: int) -> str:
        """Async tool.

        Args:
            n: a number.
        """
        return str(n)

    def _helper(self):
        return "not a tool"


@pytest.fixture
def host():
    class P:
        @hookimpl
        def r1_register_environments(self, register):
            register("probe", Probe)

            def no_reset(**options):
                return types.SimpleNamespace()

            register("no_reset", no_reset)

    host = PluginHost(entry_points=False)
    host.add_plugin(P(), name="probe-plugin")
    with use_host(host):
        yield host


def test_tools_are_the_public_methods_trl_will_offer():
    assert tool_methods(Probe) == ["broken", "hello", "later", "refused", "unavailable"]


def test_errors_raised_refused_and_system_are_counted_apart(host):
    env = get_environment("probe", greeting="hello")
    episode = env()
    episode.reset()
    assert episode.hello(name="you") == "hello you"
    with pytest.raises(RuntimeError):
        episode.broken()
    episode.refused()
    episode.unavailable()
    assert asyncio.run(episode.later(n=3)) == "3"
    [stats] = env.drain()
    assert (stats.calls, stats.errors, stats.system_errors) == (5, 2, 1)
    metrics = summarize_episodes([stats])
    assert metrics["tools/errors_per_episode"] == 2 and metrics["tools/system_errors_per_episode"] == 1
    assert inspect.iscoroutinefunction(type(episode).later)
    assert inspect.signature(type(episode).hello) == inspect.signature(Probe.hello)


def test_bad_options_and_bad_plugins_are_r1_errors(host):
    with pytest.raises(ConfigError, match="probe"):
        get_environment("probe", nope=1)
    with pytest.raises(PluginError, match="reset"):
        get_environment("no_reset")


def test_module_colon_class_needs_no_packaging(host, tmp_path, monkeypatch):
    (tmp_path / "my_env_mod.py").write_text(
        "class Echo:\n    def reset(self, **row):\n        pass\n\n"
        "    def echo(self, text: str) -> str:\n        \"\"\"Echo.\n\n        Args:\n            text: t.\n"
        "        \"\"\"\n        return text\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    env = get_environment("my_env_mod:Echo")
    assert env.name == "Echo" and env.tools == ["echo"]
    sys.modules.pop("my_env_mod", None)


def test_close_episodes_closes_live_episodes_and_they_stay_usable(host):
    closed = []

    class Closable(Probe):
        def _close(self):
            closed.append(self)

    from r1_core.environments import EnvironmentFactory

    env = EnvironmentFactory("closable", Closable)
    a, b = env(), env()
    env.close_episodes()
    assert closed == [a, b] or closed == [b, a]
    a.reset()
    assert a.hello(name="x") == "hi x"


def test_a_type_error_inside_an_environment_is_not_an_option_error(host, tmp_path, monkeypatch):
    (tmp_path / "my_buggy_env.py").write_text(
        "class Buggy:\n    def __init__(self, size: int = 1):\n        len(size)\n\n"
        "    def reset(self, **row):\n        pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(TypeError, match="has no len"):
        get_environment("my_buggy_env:Buggy", size=2)
    with pytest.raises(ConfigError, match=r"unknown option 'sise'.*did you mean 'size'") as bad:
        get_environment("my_buggy_env:Buggy", sise=2)
    assert "size" in bad.value.hint
    sys.modules.pop("my_buggy_env", None)
