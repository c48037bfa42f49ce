"""A precompiled ``bits/stdc++.h`` per compiler and flag set, built once per machine.

GCC uses ``<dir>/bits/stdc++.h.gch`` found through ``-I<dir>`` only when it was built with the
same language standard, optimisation level and macros, so the cache is keyed by compiler and
flags. The build runs inside the sandbox like any compilation; a file lock makes concurrent
processes build it once. A failed build is remembered and compilation goes on without it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

__all__ = ["PrecompiledHeaders", "uses_bits_header"]

HEADER = "bits/stdc++.h"


def uses_bits_header(source: str) -> bool:
    return HEADER in source


def find_header(compiler: str, flags: list[str]) -> Path | None:
    """Where the compiler finds bits/stdc++.h (it differs per target and GCC version)."""
    try:
        proc = subprocess.run([compiler, *flags, "-x", "c++", "-E", "-H", "-o", os.devnull, "-"],
                              input=f"#include <{HEADER}>\n", capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in proc.stderr.splitlines():
        if line.startswith(". ") and line.endswith(HEADER):
            return Path(line[2:].strip())
    return None


# builder(compiler argv inside the sandbox, host dir bound at /box) -> error text or "" on success
Builder = Callable[[list[str], Path], str]


class PrecompiledHeaders:
    def __init__(self, root: Path, owner: tuple[int, int] | None) -> None:
        self.root = root
        self.owner = owner
        self._lock = threading.Lock()
        self._known: dict[str, Path | None] = {}
        self.builds = 0

    def after_fork(self) -> None:
        self._lock = threading.Lock()

    def get(self, compiler: str, flags: list[str], build: Builder) -> Path | None:
        """The dir to pass with -I, building it first if needed; None when it cannot be built."""
        key = hashlib.sha256("\0".join([compiler, *flags]).encode()).hexdigest()[:24]
        with self._lock:
            if key in self._known:
                return self._known[key]
            self._known[key] = found = self._get(key, compiler, flags, build)
            return found

    def _get(self, key: str, compiler: str, flags: list[str], build: Builder) -> Path | None:
        final = self.root / key
        if (final / f"{HEADER}.gch").is_file():
            return final
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building the same one
            if (final / f"{HEADER}.gch").is_file():
                return final
            header = find_header(compiler, flags)
            if header is None:
                return None
            box = self.root / f".build-{key}-{os.getpid()}"
            shutil.rmtree(box, ignore_errors=True)
            (box / "bits").mkdir(parents=True)
            if self.owner is not None:
                os.chown(box, *self.owner)
                os.chown(box / "bits", *self.owner)
            self.builds += 1
            error = build([compiler, *flags, "-x", "c++-header", str(header), "-o", f"{HEADER}.gch"], box)
            if error or not (box / f"{HEADER}.gch").is_file():
                shutil.rmtree(box, ignore_errors=True)
                return None
            for path in (box, box / "bits", box / f"{HEADER}.gch"):
                if self.owner is not None:
                    os.chown(path, os.geteuid(), os.getegid())  # read-only for the sandbox from now on
                os.chmod(path, 0o755 if path.is_dir() else 0o644)
            os.rename(box, final)
            return final
