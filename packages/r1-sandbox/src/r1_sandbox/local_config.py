"""Configuration of the local sandbox (``get_sandbox("local", **config)`` keys)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["LocalSandboxConfig", "TierName", "default_cache_dir"]

TierName = Literal["auto", "strict", "rootless", "namespaces", "rlimits"]


def default_cache_dir() -> Path:
    """``$R1_CACHE_DIR`` or ``~/.cache/r1`` (the sandbox keeps its files in ``<dir>/sandbox``)."""
    env = os.environ.get("R1_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "r1"


class LocalSandboxConfig(BaseModel):
    """Every knob of :class:`~r1_sandbox.local.LocalSandbox`; defaults suit reward computation."""

    model_config = ConfigDict(extra="forbid")

    max_workers: int | None = Field(None, ge=1, description="concurrent executions; default = CPU cores")
    tier: TierName = Field("auto", description="isolation tier; auto = the strongest the probe finds")
    allow_weak: bool = Field(False,
                             description="accept a tier weaker than strict (also R1_SANDBOX_ALLOW_WEAK=1)")
    uid: int = Field(2_000_000_000, ge=1, le=4_000_000_000,
                     description="first of the unprivileged uids programs run as, when started as root: "
                                 "each concurrent run gets its own uid of uid … uid+uid_count-1, so "
                                 "per-user kernel quotas are per run (no /etc/passwd user needs them)")
    uid_count: int = Field(4096, ge=1, le=1 << 20,
                           description="size of that uid range (shared by every supervisor process here)")
    gid: int = Field(65534, ge=1, description="gid programs run as (when started as root)")
    work_inodes: int = Field(16384, ge=64,
                             description="files + dirs a run's work dir may hold (its own tmpfs, as root)")
    python: str = Field("/usr/bin/python3", description="interpreter for python; must be world-readable")
    cxx: str = Field("/usr/bin/g++", description="C++ compiler")
    cc: str = Field("/usr/bin/gcc", description="C compiler")
    javac: str = Field("/usr/bin/javac", description="Java compiler")
    java: str = Field("/usr/bin/java", description="Java runtime")
    bwrap: str = Field("bwrap", description="bubblewrap executable")
    cache_dir: Path | None = Field(None,
                                    description="compile cache and PCH; default $R1_CACHE_DIR or ~/.cache/r1")
    work_root: Path | None = Field(None, description="per-run work dirs; default a tmpfs (/dev/shm)")
    pids_max: int = Field(64, ge=4, description="processes + threads per execution")
    file_size_mb: int = Field(64, ge=1, description="largest file a program may write")
    tmpfs_mb: int = Field(64, ge=1, description="size of the private /tmp")
    open_files: int = Field(256, ge=16, description="RLIMIT_NOFILE")
    compile_time_limit_s: float = Field(10.0, gt=0, description="CPU seconds for one compilation")
    compile_wall_limit_s: float = Field(60.0, gt=0, description="wall seconds for one compilation")
    compile_memory_mb: int = Field(1024, ge=64, description="memory of one compilation")
    compile_output_bytes: int = Field(64 << 10, ge=1024, description="compiler messages kept (CE text)")
    max_cached_binaries: int = Field(4096, ge=16, description="compiled binaries kept on disk (LRU)")
    max_cache_mb: int = Field(2048, ge=64, description="disk used by cached binaries at most (LRU)")
    compile_file_size_mb: int = Field(64, ge=1, description="largest file a compiler may write (the binary)")
    precompiled_header: bool = Field(True, description="build and use a precompiled bits/stdc++.h")
    stderr_hard_limit_bytes: int = Field(8 << 20, ge=1024, description="stderr beyond this is OLE")
    seccomp: bool = Field(True, description="apply the seccomp deny-list (when available)")
    launcher: Literal["auto", "python"] = Field(
        "auto", description="child setup: auto = a small C helper compiled with cc (the supervisor is "
                            "never forked), python = subprocess preexec_fn")
