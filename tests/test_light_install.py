"""r1-core installs light (issue 16, item 4): the plugin host, the `r1` command, the sandbox and its
router and the CP judge import none of the training stack; without it, `r1 train` and `r1 report`
say which extra to install, in one line, exit 2.

"Without it" is simulated in a subprocess: ``sys.modules[name] = None`` makes every import of
``name`` fail as if it were not installed (and ``importlib.util.find_spec`` finds nothing).
The wheel test (tests/test_wheels.py) does the same for real: ``pip install "r1-sandbox[server]"``.
"""

import json
import subprocess
import sys
import textwrap

import pytest

TRAINING_STACK = ("torch", "transformers", "trl", "datasets", "accelerate", "peft", "matplotlib")
HEAVY = (*TRAINING_STACK, "numpy", "pandas", "pyarrow", "scipy")
BLOCK = f"import sys\nfor _m in {TRAINING_STACK!r}:\n    sys.modules[_m] = None\n"


def python(code: str, *, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def test_light_modules_and_the_r1_command_import_no_training_stack():
    """Importing the light packages, building the `r1` app with every installed plugin's commands,
    and `r1 --help` / `r1 sandbox serve --help` leave torch, transformers, trl, datasets, accelerate,
    peft, matplotlib and numpy unimported."""
    proc = python(f"""
        import contextlib, io, json, sys
        import r1_core, r1_core.cli, r1_core.api, r1_core.protocols
        import r1_sandbox, r1_sandbox.plugin, r1_sandbox.router_server, r1_sandbox.router_client
        import r1_sandbox.local
        import r1_cp, r1_cp.plugin
        import typer
        from r1_core.api import list_plugins
        after_import = sorted(m for m in {HEAVY!r} if m in sys.modules)
        typer.main.get_command(r1_core.cli.build_app())
        plugins = {{p.name: p.status for p in list_plugins()}}
        for argv in (["--help"], ["sandbox", "serve", "--help"], ["train", "grpo", "--help"], ["plugins"]):
            with contextlib.redirect_stdout(io.StringIO()):
                try:
                    r1_core.cli.main(argv)
                except SystemExit as exc:
                    assert exc.code == 0, (argv, exc.code)
        print(json.dumps({{"after_import": after_import, "plugins": plugins,
                          "after_cli": sorted(m for m in {HEAVY!r} if m in sys.modules)}}))
    """)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["after_import"] == [], out
    assert out["after_cli"] == [], out
    for name in ("core", "sandbox", "cp"):  # the commands of these were really built
        assert out["plugins"].get(name) == "active", out["plugins"]


def test_router_serves_with_the_training_stack_absent(tmp_path):
    """The path of `r1 sandbox serve` (provider from the registry, FastAPI app, uvicorn) answers
    POST /v1/execute with none of the training stack importable."""
    proc = python(BLOCK + """
import json, sys
import httpx
from r1_core.api import get_sandbox
from r1_sandbox.router_server import running_router

body = {"requests": [{"language": "python", "source": "print(6 * 7)"}]}
with running_router(get_sandbox("local"), max_concurrency=1) as router:
    reply = httpx.post(router.url + "/v1/execute", json=body, timeout=120)
print(json.dumps({"status": reply.status_code, "results": reply.json()["results"],
                  "heavy": sorted(m for m in HEAVY if sys.modules.get(m) is not None)}))
""".replace("HEAVY", repr(HEAVY)), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["status"] == 200
    [result] = out["results"]
    assert result["verdict"] == "OK", result
    assert result["stdout"] == "42\n"
    assert out["heavy"] == []


def _r1_without_stack(argv: list[str], cwd) -> subprocess.CompletedProcess:
    return python(BLOCK + f"""
from r1_core.cli import main
main({argv!r})
""", cwd=cwd)


@pytest.mark.parametrize(("argv", "what"), [
    (["train", "grpo", "--max-steps", "1"], "r1 train grpo needs the training stack"),
    (["train", "sft", "--max-steps", "1"], "r1 train sft needs the training stack"),
    (["train", "grpo", "--dry-run"], "r1 train grpo needs the training stack"),
    # before the options are validated: a light install learns what to install first
    (["train", "combined", "--no-such-option", "1"], "r1 train combined needs the training stack"),
])
def test_train_without_the_stack_names_the_extra_in_one_line(argv, what, tmp_path):
    proc = _r1_without_stack([*argv, "--output-dir", str(tmp_path / "run")], tmp_path)
    assert proc.returncode == 2, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert what in lines[0]
    assert "torch" in lines[0] and "trl" in lines[0]  # what is missing
    assert lines[0].endswith('run: pip install "r1-core[train]"'), lines[0]
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_library_trainers_and_dry_run_without_the_stack_raise_missing_extra(tmp_path):
    proc = python(BLOCK + f"""
from r1_core import get_trainer
from r1_core.errors import MissingExtraError
from r1_core.training.dryrun import dry_run
from r1_core.training.options import GRPOOptions

opts = GRPOOptions(reward_funcs=["accuracy"], output_dir={str(tmp_path / "run")!r})
for call in (lambda: get_trainer("grpo").run(opts), lambda: dry_run("grpo", opts, {{}})):
    try:
        call()
    except MissingExtraError as exc:
        print(exc)
    else:
        raise AssertionError("no MissingExtraError")
""", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    trainer, dry = proc.stdout.strip().splitlines()
    assert trainer.startswith("the grpo trainer needs the training stack (torch, transformers, trl")
    assert dry.startswith("r1 train grpo --dry-run needs the training stack")
    assert trainer.endswith('run: pip install "r1-core[train]"') and dry.endswith('"r1-core[train]"')


def test_report_without_matplotlib_names_the_extra_in_one_line(tmp_path):
    (tmp_path / "metrics.jsonl").write_text(json.dumps({"step": 1, "loss": 0.5}) + "\n")
    proc = _r1_without_stack(["report", str(tmp_path)], tmp_path)
    assert proc.returncode == 2, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "r1 report" in lines[0] and "matplotlib not installed" in lines[0]
    assert lines[0].endswith('run: pip install "r1-core[train]"')
    assert not (tmp_path / "summary.json").exists()


def test_a_training_stack_import_error_at_the_cli_edge_names_the_extra():
    """The backstop: an ImportError of the training stack that escapes some other path."""
    from r1_core.cli.app import _import_error_line

    line = _import_error_line(ModuleNotFoundError("No module named 'trl'", name="trl"))
    assert line.endswith('run: pip install "r1-core[train]"') and line.startswith("trl ")
    other = _import_error_line(ModuleNotFoundError("No module named 'ctrlkit'", name="ctrlkit"))
    assert "r1-core[train]" not in other  # matched by module name, not by a substring of the text
