"""r1-core names none of its plugins (issue 16): its source imports no plugin package, not even
lazily or by a module string, and the CP result types live in r1-cp alone."""

import ast
import re
from pathlib import Path

import r1_core

SRC = Path(r1_core.__file__).parent
PLUGIN_PACKAGES = ("r1_sandbox", "r1_cp", "r1_rewards", "r1_cli")
_MODULE_SPEC = re.compile(rf"^(?:{'|'.join(PLUGIN_PACKAGES)})(?:\.[A-Za-z_][\w.]*)?(?::[A-Za-z_]\w*)?$")


def _plugin_references(path: Path) -> list[str]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _MODULE_SPEC.match(node.value):  # importlib.import_module("r1_cp...") or a "module:attr" spec
                names = [node.value]
        found += [(node.lineno, n) for n in names if re.split(r"[.:]", n)[0] in PLUGIN_PACKAGES]
    return [f"line {line}: {name}" for line, name in sorted(found)]


def test_the_scan_sees_every_kind_of_reference(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("import r1_cp\nfrom r1_sandbox.local import X\ndef f():\n"
                      "    from r1_rewards import y\nimportlib.import_module('r1_cli.plugin')\n"
                      "import r1_core.protocols\nx = 'r1-cp text'\n")
    assert [r.split(": ")[1] for r in _plugin_references(sample)] == [
        "r1_cp", "r1_sandbox.local", "r1_rewards", "r1_cli.plugin"]


def test_r1_core_imports_no_plugin_package():
    offenders = {}
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        found = _plugin_references(path)
        if found:
            offenders[relative] = found
    assert offenders == {}


def test_r1_core_knows_execution_outcomes_not_judging():
    from r1_core import protocols
    from r1_core.protocols import Verdict

    assert {v.value for v in Verdict} == {"OK", "RE", "TLE", "MLE", "OLE", "CE", "SE"}
    for name in ("ScoreResult", "SubtaskResult", "TestResult", "ProblemError"):
        assert not hasattr(r1_core, name) and not hasattr(protocols, name), name
    assert not hasattr(r1_core.errors, "ProblemError")
