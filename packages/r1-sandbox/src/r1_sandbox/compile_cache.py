"""Compile once per (language, compiler, flags, source, code files): binaries cached on disk.

A batch of 50 requests with the same source compiles once: a per-key lock makes concurrent
requests wait for the first compilation, and later batches (or processes) find the binary on
disk. Failed compilations are remembered in memory for the life of the process. Hits refresh
a binary's mtime; every few stores the least recently used binaries beyond ``max_binaries`` or
``max_bytes`` in total are removed, so a long training run does not fill the disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Build", "CompileCache", "compile_key"]


@dataclass(frozen=True)
class Build:
    """Result of compiling one submission."""

    ok: bool
    binary: Path | None = None  # the cached build dir: mounted at languages.ARTIFACTS
    output: str = ""
    time_s: float = 0.0
    cached: bool = False
    system_error: str = ""  # the sandbox failed while compiling: SE, not CE


def compile_key(language: str, compiler: str, flags: list[str], source: str, code: dict[str, str]) -> str:
    blob = json.dumps([language, compiler, flags, source, sorted(code.items())], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


class CompileCache:
    """Builds under ``<root>/<key>/`` (``prog``, or Java classes); readable, not writable, by the
    sandbox uid."""

    def __init__(self, root: Path, failures_kept: int = 4096, max_binaries: int = 4096,
                 max_bytes: int = 2 << 30) -> None:
        self.root = root
        self.max_binaries = max_binaries
        self.max_bytes = max_bytes
        self._stored_bytes = 0
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._failed: OrderedDict[str, Build] = OrderedDict()
        self._failures_kept = failures_kept
        self.compilations = 0  # counted for tests and benchmarks: cache hits do not add

    def after_fork(self) -> None:
        """In a forked child: locks may be held by threads that no longer exist."""
        self._guard = threading.Lock()
        self._locks = {}

    def lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def lookup(self, key: str) -> Build | None:
        build_dir = self.root / key
        try:
            os.utime(build_dir)  # recently used: kept by prune()
        except FileNotFoundError:
            pass
        else:
            return Build(ok=True, binary=build_dir, cached=True)
        with self._guard:
            failed = self._failed.get(key)
        if failed is not None:
            return Build(ok=False, output=failed.output, cached=True)
        return None

    def store(self, key: str, build: Build, produced: list[Path] | None) -> Build:
        """Keep a finished build: its produced files go into place atomically (a dir rename).
        Only regular files are kept: a link left by the compilation is never followed."""
        produced = [p for p in produced or [] if _regular(p)]
        with self._guard:
            self.compilations += 1
        if not build.ok or not produced:
            if not build.system_error:  # a sandbox failure may not repeat: do not remember it
                with self._guard:
                    self._failed[key] = build
                    while len(self._failed) > self._failures_kept:
                        self._failed.popitem(last=False)
            return build
        self._stored_bytes += sum(p.stat().st_size for p in produced)
        if self.compilations % 64 == 0 or self._stored_bytes > self.max_bytes // 8:
            self._stored_bytes = 0
            self.prune()
        final = self.root / key
        tmp = self.root / f".{key}.{os.getpid()}.{threading.get_ident()}"
        tmp.mkdir(parents=True, mode=0o755)
        for path in produced:
            shutil.copyfile(path, tmp / path.name)
            os.chmod(tmp / path.name, 0o755)
        try:
            os.rename(tmp, final)
        except OSError:  # another process stored the same key first
            shutil.rmtree(tmp, ignore_errors=True)
        return Build(ok=True, binary=final, output=build.output, time_s=build.time_s)

    def prune(self) -> int:
        """Remove least recently used binaries beyond the count and size caps; returns how many."""
        entries = []
        try:
            for d in self.root.iterdir():
                if not d.name.startswith("."):
                    size = sum(f.stat().st_size for f in d.iterdir())
                    entries.append((d.stat().st_mtime, size, d))
        except OSError:
            return 0
        entries.sort(reverse=True)  # newest first: keep while under both caps
        kept = total = 0
        removed = 0
        for _, size, d in entries:
            if kept < self.max_binaries and total + size <= self.max_bytes:
                kept += 1
                total += size
                continue
            shutil.rmtree(d, ignore_errors=True)  # a run using it keeps its open mount
            removed += 1
        return removed


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False
