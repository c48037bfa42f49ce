"""The plugin system through the CLI and the library API, with planted third-party plugins."""

import json
import subprocess
import sys

import pytest
from plantedplugins import plant, r1
from r1_core import DuplicateNameError, PluginError, UnknownNameError, get_reward, hookimpl, list_plugins
from r1_core.plugin_host import PluginHost, use_host

BROKEN = "raise ImportError('boom: a dependency is missing')\n"
GOOD = """
from r1_core import hookimpl

def shout(completions, **kw):
    return [float(str(c).isupper()) for c in completions]

@hookimpl
def r1_register_rewards(register):
    register("shout", shout, description="1 if upper case")
"""


@pytest.fixture
def planted(tmp_path):
    plant(tmp_path, "r1-broken", "broken", "r1_broken_plugin", BROKEN)
    plant(tmp_path, "r1-shout", "shout", "r1_shout_plugin", GOOD)
    return tmp_path


def test_broken_plugin_is_reported_and_the_rest_keep_working(planted):
    proc = r1("plugins", "--json", path=planted)
    assert proc.returncode == 0, proc.stderr
    rows = {p["name"]: p for p in json.loads(proc.stdout)}
    assert rows["r1-broken"]["status"] == "failed"
    assert "boom" in rows["r1-broken"]["error"]
    assert rows["r1-shout"]["status"] == "active"
    assert rows["r1-shout"]["provides"] == {"rewards": ["shout"]}
    assert rows["r1-shout"]["hooks"] == ["r1_register_rewards"]
    for first_party in ("r1-core", "r1-sandbox", "r1-cp", "r1-rewards", "r1-cli"):
        assert rows[first_party]["status"] == "active"
        assert rows[first_party]["version"] == "0.1.0"
    warnings = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and "r1-broken" in warnings[0]
    listed = r1("rewards", "list", "--json", path=planted)
    assert "shout" in {e["name"] for e in json.loads(listed.stdout)}


def test_strict_mode_turns_a_broken_plugin_into_one_line_error(planted):
    proc = r1("plugins", path=planted, env={"R1_STRICT_PLUGINS": "1"})
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "r1-broken" in lines[0] and "Traceback" not in proc.stderr


def test_disabled_plugins_are_not_imported(planted):
    proc = r1("plugins", "--json", path=planted, env={"R1_DISABLE_PLUGINS": "broken,r1-shout"})
    rows = {p["name"]: p for p in json.loads(proc.stdout)}
    assert rows["r1-broken"]["status"] == "disabled"
    assert rows["r1-shout"]["status"] == "disabled"
    assert proc.stderr.strip() == ""


def test_load_allow_list(planted):
    proc = r1("plugins", "--json", path=planted, env={"R1_LOAD_PLUGINS": "shout"})
    rows = {p["name"]: p["status"] for p in json.loads(proc.stdout)}
    assert rows["r1-shout"] == "active"
    assert rows["r1-core"] == "disabled"


def test_duplicate_names_name_both_providers(tmp_path):
    plant(tmp_path, "r1-dup-a", "dupa", "r1_dup_a", GOOD)
    plant(tmp_path, "r1-dup-b", "dupb", "r1_dup_b", GOOD)
    proc = r1("rewards", "list", path=tmp_path)
    assert proc.returncode == 2
    assert "r1-dup-a" in proc.stderr and "r1-dup-b" in proc.stderr and "'shout'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_unknown_name_suggests_the_closest(r1_register):
    r1_register("rewards", "accuracy", lambda completions, **kw: [1.0] * len(completions))
    with pytest.raises(UnknownNameError) as info:
        get_reward("acuracy")
    assert "did you mean 'accuracy'" in str(info.value)
    assert "available: accuracy" in str(info.value)


def test_duplicate_in_process_is_an_error(r1_register):
    r1_register("rewards", "same", print)
    r1_register("rewards", "same", print)
    with pytest.raises(DuplicateNameError):
        get_reward("same")


def test_alias_resolves_to_the_same_entry(r1_register):
    def fn(completions, **kw):
        return [0.5] * len(completions)

    r1_register("rewards", "ioi", fn, aliases=["ioi_code"])
    assert get_reward("ioi_code")(completions=["x"]) == [0.5]
    assert get_reward("ioi_code").__name__ == "ioi"
    assert get_reward("IOI-Code").__name__ == "ioi"


def test_module_function_escape_hatch():
    fn = get_reward("r1_reward_example.brevity:brevity_reward")
    assert fn(completions=[""]) == [1.0]
    with pytest.raises(UnknownNameError, match="no attribute"):
        get_reward("r1_reward_example.brevity:nope")
    with pytest.raises(UnknownNameError, match="cannot import"):
        get_reward("no_such_module_xyz:fn")


def test_get_reward_does_not_rename_the_shared_object(r1_register):
    def original(completions, **kw):
        return [0.0] * len(completions)

    r1_register("rewards", "renamed", original)
    assert get_reward("renamed").__name__ == "renamed"
    assert original.__name__ == "original"


def test_factory_gets_config_and_plain_objects_refuse_it(r1_register):
    from r1_core import ConfigError, factory

    @factory
    def make(scale: float = 1.0):
        return lambda completions, **kw: [scale] * len(completions)

    r1_register("rewards", "scaled", make)
    r1_register("rewards", "plain", lambda completions, **kw: [0.0])
    assert get_reward("scaled", scale=3.0)(completions=["a"]) == [3.0]
    with pytest.raises(ConfigError, match="takes no options"):
        get_reward("plain", scale=2)
    with pytest.raises(ConfigError, match="check the option names"):
        get_reward("scaled", bogus=1)


class Bad:
    @hookimpl
    def r1_register_rewards(self, register):
        raise RuntimeError("bad hook")


class Good:
    @hookimpl
    def r1_register_rewards(self, register):
        register("fine", print)

    @hookimpl
    def r1_register_commands(self, cli):
        pass


def test_a_plugin_failing_inside_its_hook_is_isolated(monkeypatch):
    monkeypatch.delenv("R1_STRICT_PLUGINS", raising=False)
    host = PluginHost(entry_points=False)
    host.add_plugin(Bad(), name="bad")
    host.add_plugin(Good(), name="good")
    with use_host(host):
        infos = {p.name: p for p in list_plugins()}
        assert infos["bad"].status == "failed" and "bad hook" in infos["bad"].error
        assert infos["good"].provides == {"rewards": ["fine"]}
    monkeypatch.setenv("R1_STRICT_PLUGINS", "1")
    strict = PluginHost(entry_points=False)
    strict.add_plugin(Bad(), name="bad")
    with use_host(strict), pytest.raises(PluginError, match="bad hook"):
        list_plugins()


def test_import_r1_core_does_not_import_torch():
    code = ("import sys, r1_core, r1_core.cli; r1_core.cli.build_app(); "
            "print(sorted(m for m in ('torch', 'trl', 'transformers', 'datasets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_only_a_signature_mismatch_is_an_option_error(r1_register):
    """A TypeError raised inside a factory is a bug there: it propagates, even when it says
    "argument"; an option the factory does not take is the one-line error naming what it takes."""
    from r1_core import ConfigError, factory

    @factory
    def buggy(scale: float = 1.0):
        return len(scale)  # TypeError: object of type 'float' has no len() ... argument

    @factory
    def needs_arg(scale: float):
        def inner(x):
            return x
        return inner(x=1, y=2)  # TypeError: got an unexpected keyword argument 'y'

    r1_register("rewards", "buggy", buggy)
    r1_register("rewards", "needs_arg", needs_arg)
    with pytest.raises(TypeError, match="len"):
        get_reward("buggy", scale=2.0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'y'"):
        get_reward("needs_arg", scale=1.0)
    with pytest.raises(ConfigError, match="missing a required argument") as missing:
        get_reward("needs_arg")
    assert "its options are: scale" in missing.value.hint
    with pytest.raises(ConfigError, match="unknown option 'scal' for reward 'buggy'; did you mean 'scale'"):
        get_reward("buggy", scal=1)


def test_hook_calls_go_through_pluggy_so_monitoring_sees_them(monkeypatch):
    monkeypatch.delenv("R1_STRICT_PLUGINS", raising=False)
    host = PluginHost(entry_points=False)
    host.add_plugin(Bad(), name="bad")
    host.add_plugin(Good(), name="good")
    seen: list[tuple[str, list[str]]] = []
    undo = host.pm.add_hookcall_monitoring(
        lambda hook, impls, kwargs: seen.append((hook, [i.plugin_name for i in impls])),
        lambda outcome, hook, impls, kwargs: None)
    traced: list[str] = []
    host.pm.trace.root.setwriter(traced.append)
    undo_tracing = host.pm.enable_tracing()
    try:
        with use_host(host):
            assert get_reward("fine").__name__ == "fine"
            host.register_commands(object())
    finally:
        undo()
        undo_tracing()
    # one call per plugin, each reaching that plugin only: a broken one stays isolated
    assert ("r1_register_rewards", ["bad"]) in seen and ("r1_register_rewards", ["good"]) in seen
    assert ("r1_register_commands", ["good"]) in seen
    assert any("r1_register_rewards" in line for line in traced)
    assert host.plugins["bad"].status == "failed" and host.plugins["good"].status == "active"


def test_first_use_of_a_fresh_host_is_thread_safe():
    """Many threads calling get_reward at once on a fresh host: every one finds the reward,
    and the registration hooks ran exactly once."""
    import threading
    import time

    calls = []

    class Slow:
        @hookimpl
        def r1_register_rewards(self, register):
            calls.append(1)
            time.sleep(0.05)  # widen the window in which another thread could see a half-filled host
            register("slow", print)

    host = PluginHost(entry_points=False)
    host.add_plugin(Slow(), name="slow")
    barrier = threading.Barrier(16)
    errors: list[BaseException] = []

    def use() -> None:
        barrier.wait()
        try:
            assert get_reward("slow").__name__ == "slow"
        except BaseException as exc:
            errors.append(exc)

    with use_host(host):
        threads = [threading.Thread(target=use) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len(calls) == 1


def test_trainer_reward_building_does_not_hide_a_factory_bug(r1_register):
    from r1_core import ConfigError, factory
    from r1_core.training.options import GRPOOptions
    from r1_core.training.rewards import build_reward_funcs

    @factory
    def buggy(scale: float = 1.0):
        return len(scale)

    r1_register("rewards", "buggy", buggy)
    opts = GRPOOptions(reward_funcs=["buggy"], reward_kwargs={"buggy": {"scale": 2.0}})
    with pytest.raises(TypeError, match="len"):
        build_reward_funcs(opts)
    opts = GRPOOptions(reward_funcs=["buggy"], reward_kwargs={"buggy": {"scael": 2.0}})
    with pytest.raises(ConfigError, match="unknown option 'scael'"):
        build_reward_funcs(opts)
