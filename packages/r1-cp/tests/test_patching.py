"""Code patching: old idioms become valid Python 3.11 / C++ without breaking working programs."""

from __future__ import annotations

import subprocess
import sys

from r1_cp.patching import patch_code


def _runs(source: str) -> str:
    proc = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_python_idioms_are_rewritten_and_run() -> None:
    old = (
        "from __future__ import annotations\nfrom collections import Mapping\nimport fractions\n"
        "print(fractions.gcd(12, 18), issubclass(dict, Mapping), len(str(10 ** 5000)))\n"
    )
    patched = patch_code(old, "python")
    assert patched.startswith("from __future__ import annotations\n"), "__future__ must stay first"
    assert _runs(patched).split() == ["6", "True", "5001"]


def test_patching_is_idempotent_and_leaves_other_languages_alone() -> None:
    once = patch_code("print(1)\n", "python")
    assert patch_code(once, "python") == once
    cpp = patch_code("int main() { vector<int> v; }", "cpp", ["task.h"])
    assert cpp.splitlines()[:3] == ["#include <bits/stdc++.h>", '#include "task.h"', "using namespace std;"]
    assert patch_code(cpp, "cpp", ["task.h"]) == cpp
    assert patch_code("std::cout << 1;", "cpp").count("using namespace std") == 0
    assert patch_code("x", "rust") == "x" and patch_code("  ", "cpp") == "  "
