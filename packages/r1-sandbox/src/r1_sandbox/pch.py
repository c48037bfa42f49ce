"""A precompiled ``bits/stdc++.h`` per compiler and flag set, built once per machine, in the sandbox.

GCC looks for ``<dir>/bits/stdc++.h.gch`` in every ``-I<dir>`` before the header itself and uses
it only when it was built with compatible options (language standard, optimisation level,
macros, debug info), so the cache is keyed by compiler and flags (link-only flags left out).

The build is a compilation like any other: it runs **inside the sandbox, as the sandbox uid**,
with the request's (allow-listed, :mod:`r1_sandbox.compile_flags`) flags; nothing of it runs on
the host. It compiles a one-line header ``#include <bits/stdc++.h>`` into ``bits/stdc++.h.gch``
(GCC does not care which file a ``.gch`` was made from), so the compiler's own search finds the
real header inside the sandbox and no host-side lookup is needed. A ``.gch`` of ``bits/stdc++.h``
is 100-130 MiB and takes 5-10 CPU seconds, beyond the limits of an ordinary compilation (64 MiB
per file, 10 s): the build gets its own limits (:data:`BUILD_LIMITS`).

Every build's outcome is recorded in ``<root>/<key>.json`` (state ``built`` / ``failed`` with
the reason, path, size, the uid that wrote the file): ``r1 sandbox doctor`` and the benchmark
read it. A compilation that uses the header passes ``-Winvalid-pch``: when GCC still refuses the
file, the key is marked ``rejected`` with GCC's reason and the header is not offered again.

At most :data:`MAX_VARIANTS` flag sets keep a header (the default flags always may); beyond that
the least recently used one, unused for :data:`EVICT_AFTER_S`, makes room, otherwise compilation
goes on without a header. A file lock makes concurrent processes build a key once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import stat
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from r1_core.files import atomic_write_text

from r1_sandbox.compile_flags import link_only

__all__ = ["BUILD_LIMITS", "MAX_VARIANTS", "PchLimits", "PrecompiledHeaders", "pch_flags",
           "read_states", "uses_bits_header"]

log = logging.getLogger("r1.sandbox")

HEADER = "bits/stdc++.h"
GCH = f"{HEADER}.gch"
WRAPPER = "r1-pch.h"  # compiled into bits/stdc++.h.gch; removed before the dir is published
MAX_VARIANTS = 8
EVICT_AFTER_S = 600.0
_REJECTED = re.compile(r"stdc\+\+\.h\.gch: ([^\n]*?)\s*\[-Winvalid-pch\]")


@dataclass(frozen=True)
class PchLimits:
    """Limits of one header build (an ordinary compilation's would truncate the file at 64 MiB)."""

    cpu_s: float = 60.0
    wall_s: float = 300.0
    memory_mb: int = 2048
    file_size_mb: int = 512


BUILD_LIMITS = PchLimits()


def uses_bits_header(source: str) -> bool:
    return HEADER in source


def pch_flags(flags: Sequence[str]) -> list[str]:
    """The flags a header is built with and keyed by: the compilation's, less link-only ones."""
    return [f for f in flags if not link_only(f)]


# builder(compiler argv inside the sandbox, host dir bound at /box, limits) -> error text or ""
Builder = Callable[[list[str], Path, PchLimits], str]


def _key(compiler: str, flags: Sequence[str]) -> str:
    return hashlib.sha256("\0".join([compiler, *flags]).encode()).hexdigest()[:24]


def read_states(root: Path) -> list[dict[str, Any]]:
    """Every recorded header build under ``root`` (newest first)."""
    states = []
    with contextlib.suppress(OSError):
        for path in root.glob("*.json"):
            with contextlib.suppress(OSError, ValueError):
                states.append(json.loads(path.read_text(encoding="utf-8")))
    return sorted(states, key=lambda s: s.get("time", 0), reverse=True)


class PrecompiledHeaders:
    def __init__(self, root: Path, owner: tuple[int, int] | None, *,
                 default_flags: Sequence[str] = (), max_variants: int = MAX_VARIANTS,
                 limits: PchLimits = BUILD_LIMITS) -> None:
        self.root = root
        self.owner = owner
        self.default_flags = pch_flags(default_flags)
        self.max_variants = max_variants
        self.limits = limits
        self._lock = threading.Lock()
        self._known: dict[str, Path | None] = {}
        self.builds = 0  # attempted in this process
        self.used = 0  # compilations that used a header (GCC did not reject it)
        self.rejected = 0  # compilations where GCC refused the header (-Winvalid-pch)

    def after_fork(self) -> None:
        self._lock = threading.Lock()

    def key(self, compiler: str, flags: Sequence[str]) -> str:
        return _key(compiler, pch_flags(flags))

    def get(self, compiler: str, flags: Sequence[str], build: Builder) -> Path | None:
        """The dir to pass with -I, building it first if needed; None when there is none."""
        flags = pch_flags(flags)
        key = _key(compiler, flags)
        with self._lock:
            found = self._known.get(key, False)
            if found is None:
                return None
            if found is not False and (found / GCH).is_file():
                with contextlib.suppress(OSError):
                    os.utime(found)  # recently used: not evicted
                return found
            self._known[key] = found = self._get(key, compiler, flags, build)
            return found

    def state(self, compiler: str, flags: Sequence[str]) -> dict[str, Any] | None:
        """The recorded state of the header for this compiler and flag set (None: never tried)."""
        try:
            return json.loads((self.root / f"{self.key(compiler, flags)}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def observe(self, compiler: str, flags: Sequence[str], compiler_output: str) -> str:
        """After a compilation offered the header: note whether GCC used it; returns the output
        without GCC's ``-Winvalid-pch`` lines (they are about our header, not the program)."""
        match = _REJECTED.search(compiler_output)
        if match is None:
            self.used += 1
            return compiler_output
        self.rejected += 1
        key = self.key(compiler, flags)
        reason = match.group(1)
        with self._lock:
            if self._known.get(key) is not None:
                log.warning("GCC does not use the precompiled %s (%s): compiling without it", HEADER, reason)
                self._known[key] = None
                self._record(key, compiler, pch_flags(flags), "rejected", reason=f"GCC: {reason}",
                             path=str(self.root / key))
        lines = compiler_output.splitlines(keepends=True)
        kept, skip = [], 0
        for line in lines:
            if skip:
                skip -= 1
                continue
            if "[-Winvalid-pch]" in line:
                skip = 2  # GCC's caret lines: "    1 | #include ..." and "      |   ^"
                continue
            kept.append(line)
        return "".join(kept)

    # -- internals ---------------------------------------------------------------------------

    def _record(self, key: str, compiler: str, flags: list[str], state: str, **fields: Any) -> None:
        data = {"key": key, "compiler": compiler, "flags": flags, "state": state, "time": time.time(),
                "default_flags": flags == self.default_flags, **fields}
        with contextlib.suppress(OSError):
            atomic_write_text(self.root / f"{key}.json", json.dumps(data, indent=1) + "\n")

    def _room_for(self, key: str, flags: list[str]) -> bool:
        """Whether one more variant may be built (evicting an old one if need be)."""
        if flags == self.default_flags:
            return True
        built = []
        with contextlib.suppress(OSError):
            for d in self.root.iterdir():
                if d.is_dir() and not d.name.startswith(".") and d.name != key and (d / GCH).is_file():
                    built.append((d.stat().st_mtime, d))
        if len(built) < self.max_variants:
            return True
        for mtime, d in sorted(built):
            state = self._read(d.name)
            if state.get("default_flags") or time.time() - mtime < EVICT_AFTER_S:
                continue
            log.info("evicting the precompiled header for flags %s (unused)", state.get("flags"))
            shutil.rmtree(d, ignore_errors=True)  # a compilation using it keeps its open mount
            with contextlib.suppress(OSError):
                (self.root / f"{d.name}.json").unlink()
            return True
        return False

    def _read(self, key: str) -> dict[str, Any]:
        try:
            return json.loads((self.root / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _get(self, key: str, compiler: str, flags: list[str], build: Builder) -> Path | None:
        final = self.root / key
        if (final / GCH).is_file():
            return final
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building the same one
            if (final / GCH).is_file():
                return final
            if not self._room_for(key, flags):
                log.info("no precompiled header for flags %s: %d flag sets have one", flags,
                         self.max_variants)
                return None
            return self._build(key, final, compiler, flags, build)

    def _build(self, key: str, final: Path, compiler: str, flags: list[str], build: Builder) -> Path | None:
        box = self.root / f".build-{key}-{os.getpid()}-{threading.get_ident()}"
        shutil.rmtree(box, ignore_errors=True)
        (box / "bits").mkdir(parents=True)
        (box / WRAPPER).write_text(f"#include <{HEADER}>\n", encoding="utf-8")
        if self.owner is not None:
            for path in (box, box / "bits", box / WRAPPER):
                os.chown(path, *self.owner, follow_symlinks=False)
        self.builds += 1
        start = time.monotonic()
        # the argv is run by the builder inside the sandbox, cwd = box at /box
        argv = [compiler, *flags, "-x", "c++-header", WRAPPER, "-o", GCH]
        error = build(argv, box, self.limits)
        seconds = round(time.monotonic() - start, 2)
        gch = box / GCH
        if not error and not _only_the_header(box):
            error = "the compiler left something other than a regular bits/stdc++.h.gch"
        if error:
            shutil.rmtree(box, ignore_errors=True)
            reason = " ".join(error.split())[:400]
            log.warning("precompiled %s for %s not built: %s (compiling without it, ~3x slower)",
                        HEADER, " ".join(flags), reason)
            self._record(key, compiler, flags, "failed", reason=reason, seconds=seconds)
            return None
        info = gch.lstat()
        for path in (box, box / "bits", gch):
            if self.owner is not None:  # read-only for the sandbox from now on
                os.chown(path, os.geteuid(), os.getegid(), follow_symlinks=False)
            os.chmod(path, 0o644 if path == gch else 0o755)  # all three checked above: no links
        shutil.rmtree(final, ignore_errors=True)  # an evicted or half-removed one
        os.rename(box, final)
        self._record(key, compiler, flags, "built", path=str(final / GCH), size=info.st_size,
                     built_by_uid=info.st_uid, seconds=seconds)
        log.info("precompiled %s for %s: %.0f MiB in %.1f s", HEADER, " ".join(flags), info.st_size / 2**20,
                 seconds)
        return final


def _only_the_header(box: Path) -> bool:
    """``box`` holds the wrapper and ``bits/`` with one regular file, the header (removes the
    wrapper); links or anything else written there (as the sandbox uid) fail the build."""
    try:
        (box / WRAPPER).unlink(missing_ok=True)
        bits = (box / "bits").lstat()
        return (os.listdir(box) == ["bits"] and stat.S_ISDIR(bits.st_mode)
                and os.listdir(box / "bits") == [GCH.split("/")[1]]
                and stat.S_ISREG((box / GCH).lstat().st_mode))
    except OSError:
        return False
