"""The CLI edge: every user error is one line on stderr, exit code 2, no traceback."""

import json

import pytest
from plantedplugins import r1


@pytest.mark.parametrize(
    "args, needle",
    [
        (["no-such-command"], "No such command"),
        (["plugins", "--bogus"], "No such option"),
        (["train", "no_such_trainer"], "unknown trainer 'no_such_trainer'"),
        (["rewards", "list", "--jsn"], "No such option"),
        (["sandboxes", "list", "extra"], "unexpected extra argument"),
    ],
)
def test_user_errors_are_one_line_exit_2(args, needle):
    proc = r1(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert needle in lines[0]
    assert "Traceback" not in proc.stderr


def test_help_and_group_without_subcommand_exit_0():
    assert r1("--help").returncode == 0
    proc = r1("rewards")
    assert proc.returncode == 0 and "list" in proc.stdout


@pytest.mark.parametrize("kind", ["rewards", "sandboxes", "scorers", "benchmarks", "trainers",
                                  "environments", "datasets"])
def test_lists_are_json(kind):
    proc = r1(kind, "list", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert isinstance(rows, list)
    assert all({"name", "aliases", "description", "provider"} <= set(r) for r in rows)


def test_datasets_list_shows_the_plugins_sets_and_rewards_their_defaults():
    sets = {r["name"]: r for r in json.loads(r1("datasets", "list", "--json").stdout)}
    assert sets["math"]["provider"] == "r1-rewards" and sets["ioi_warmup"]["provider"] == "r1-cp"
    assert sets["ioi_warmup"]["meta"] == {"cold_start": "ioi-cold-start"}
    rewards = {r["name"]: r for r in json.loads(r1("rewards", "list", "--json").stdout)}
    assert rewards["ioi"]["meta"] == {"dataset": "ioi-warmup"}
    assert rewards["accuracy"]["meta"] == {"dataset": "math", "default": True}
    proc = r1("datasets", "list")
    assert proc.returncode == 0 and "cold_start=ioi" in proc.stdout and "r1-rewards" in proc.stdout


def test_plugins_table_lists_first_party_packages():
    proc = r1("plugins")
    assert proc.returncode == 0
    for name in ("r1-core", "r1-sandbox", "r1-cp", "r1-rewards", "r1-cli"):
        assert name in proc.stdout
