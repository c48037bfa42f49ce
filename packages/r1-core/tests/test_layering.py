"""What r1-core's library modules may import: never the helpers kept for tests and demos."""

import ast
from pathlib import Path

import r1_core

SRC = Path(r1_core.__file__).parent
TEST_HELPERS = {"r1_core.tinymodel", "r1_core.testing"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_library_modules_do_not_import_test_helpers():
    offenders = {}
    for path in SRC.rglob("*.py"):
        module = ".".join(("r1_core", *path.relative_to(SRC).with_suffix("").parts))
        if module in TEST_HELPERS:
            continue
        bad = _imports(path) & TEST_HELPERS
        if bad:
            offenders[module] = sorted(bad)
    assert offenders == {}


def test_the_tiny_model_uses_the_trainers_chat_template():
    from r1_core.tinymodel import CHAT_TEMPLATE as tiny
    from r1_core.training.chat_template import CHAT_TEMPLATE

    assert tiny is CHAT_TEMPLATE and "<|im_start|>" in CHAT_TEMPLATE
