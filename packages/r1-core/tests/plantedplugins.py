"""Write throw-away plugin distributions (dist-info + module) into a directory for subprocess tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def plant(root: Path, dist: str, ep_name: str, module: str, code: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(code)
    info = root / f"{dist.replace('-', '_')}-0.0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.0.1\n")
    (info / "entry_points.txt").write_text(f"[r1]\n{ep_name} = {module}\n")


def r1(*args: str, path: Path | None = None,
       env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("R1_")}
    if path is not None:
        full_env["PYTHONPATH"] = str(path)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "r1_core.cli", *args], capture_output=True,
                          text=True, env=full_env, timeout=120)
