"""The start-up probe: which isolation layers work on this machine, and so which tiers exist.

Each tier is tried for real (``/bin/true`` through its exact launch path as the sandbox uid), so a
tier reported as available has just worked. ``r1 sandbox doctor`` prints this report.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from r1_sandbox.cgroup import CgroupLayout, detect_layout, sweep_stale
from r1_sandbox.config import LocalSandboxConfig
from r1_sandbox.isolation import TIERS, Isolation, Limits
from r1_sandbox.seccomp_filter import seccomp_program
from r1_sandbox.supervise import Outcome, execute
from r1_sandbox.workdir import WorkDir, default_work_root, sweep_stale_workdirs

__all__ = ["ProbeReport", "cache_dir_for", "probe", "smoke_run"]

WEAKNESS = {
    "namespaces": "no seccomp filter: the kernel surface namespaces leave open is reachable",
    "rlimits": "no namespaces: the program sees the host file system and network",
}


@dataclass
class ProbeReport:
    root: bool
    uid: int | None
    gid: int | None
    cgroup: CgroupLayout | None = None
    bwrap: str | None = None
    seccomp: bytes | None = None
    seccomp_blocks_userns: bool = False
    layers: dict[str, str] = field(default_factory=dict)  # layer -> "ok" or why not
    tiers: dict[str, str] = field(default_factory=dict)  # tier -> "ok" or why not

    @property
    def owner(self) -> tuple[int, int] | None:
        """Who owns work dirs: the sandbox uid/gid when we drop to it."""
        return (self.uid, self.gid) if self.uid is not None and self.gid is not None else None

    def isolation(self, tier: str) -> Isolation:
        cgroup = self.cgroup
        if tier == "strict":
            return Isolation(tier, cgroup, self.uid, self.gid, self.bwrap, self.seccomp,
                             seccomp_blocks_userns=self.seccomp_blocks_userns)
        if tier == "namespaces":
            return Isolation(tier, cgroup, self.uid, self.gid, self.bwrap, None)
        return Isolation(tier, cgroup, self.uid, self.gid, None, None)

    @property
    def best(self) -> str | None:
        return next((t for t in TIERS if self.tiers.get(t) == "ok"), None)

    def to_dict(self) -> dict[str, Any]:
        return {"root": self.root, "sandbox_uid": self.uid, "layers": self.layers, "tiers": self.tiers,
                "best_tier": self.best, "cgroup_layout": self.cgroup.kind if self.cgroup else None}


_cache: dict[tuple[object, ...], ProbeReport] = {}
_cache_lock = threading.Lock()


def probe(config: LocalSandboxConfig, *, fresh: bool = False) -> ProbeReport:
    """The report for this machine and configuration, probed once per process (``fresh`` re-probes)."""
    key = (os.geteuid(), config.uid, config.gid, config.bwrap, config.seccomp, config.work_root)
    with _cache_lock:
        if fresh or key not in _cache:
            _cache[key] = _probe(config)
        return _cache[key]


def _probe(config: LocalSandboxConfig) -> ProbeReport:
    root = os.geteuid() == 0
    report = ProbeReport(root, config.uid if root else None, config.gid if root else None)
    report.layers["uid"] = "ok" if root else "not root: programs run as the calling user"
    _probe_cgroup(report)
    _probe_bwrap(report, config.bwrap)
    if config.seccomp:
        try:
            # python3-seccomp belongs to the system interpreter
            report.seccomp, report.seccomp_blocks_userns = seccomp_program()
            report.layers["seccomp"] = "ok"
        except RuntimeError as exc:
            report.layers["seccomp"] = str(exc)
    else:
        report.layers["seccomp"] = "disabled by configuration (seccomp=False)"
    _try_tiers(report, config)
    return report


def smoke_run(iso: Isolation, work_root: Path, owner: tuple[int, int] | None) -> Outcome:
    """``/bin/true`` through the exact launch path of ``iso``."""
    limits = Limits(cpu_s=5, wall_s=10, memory_bytes=64 << 20, pids=16, file_size_bytes=1 << 20,
                    open_files=64, stdout_bytes=1 << 16, stderr_keep_bytes=1 << 16, stderr_hard_bytes=1 << 16)
    with WorkDir(work_root, owner) as wd:
        wd.populate({})
        return execute(iso, ["/bin/true"], box=wd.box, stdin_path=wd.stdin, limits=limits)


def _probe_cgroup(report: ProbeReport) -> None:
    if not report.root:
        report.layers["cgroup"] = "not root: cannot create cgroups"
        return
    try:
        report.cgroup = detect_layout()
        sweep_stale(report.cgroup)
        report.layers["cgroup"] = "ok"
    except OSError as exc:
        report.layers["cgroup"] = f"unusable: {exc}"


def _probe_bwrap(report: ProbeReport, bwrap: str) -> None:
    path = shutil.which(bwrap)
    if path is None:
        report.layers["bwrap"] = f"{bwrap!r} not found — apt-get install bubblewrap"
        return
    try:
        version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        report.layers["bwrap"] = f"{path} does not run: {exc}"
        return
    parts = version.split()[-1].split(".") if version.split() else []
    if tuple(int(p) for p in parts if p.isdigit()) < (0, 8):  # --disable-userns appeared in 0.8
        report.layers["bwrap"] = f"{version.strip() or path} is older than 0.8"
        return
    report.bwrap = path
    report.layers["bwrap"] = "ok"


def _try_tiers(report: ProbeReport, config: LocalSandboxConfig) -> None:
    needs = {"strict": ("cgroup", "bwrap", "seccomp"), "namespaces": ("cgroup", "bwrap"), "rlimits": ()}
    work_root = config.work_root or default_work_root()
    sweep_stale_workdirs(work_root)
    for tier in TIERS:
        missing = [layer for layer in needs[tier] if report.layers.get(layer) != "ok"]
        if missing:
            report.tiers[tier] = "missing " + ", ".join(f"{m} ({report.layers[m]})" for m in missing)
            continue
        try:
            out = smoke_run(report.isolation(tier), work_root, report.owner)
        except OSError as exc:
            report.tiers[tier] = f"failed: {exc}"
            continue
        if out.started and out.exit_code == 0:
            report.tiers[tier] = "ok"
        else:
            report.tiers[tier] = f"failed: {out.setup_error or out.stderr.decode(errors='replace')[-300:]}"


def cache_dir_for(config: LocalSandboxConfig, uid: int | None) -> Path:
    """``<cache>/sandbox``, or a shared dir when the sandbox uid cannot reach the configured one."""
    from r1_sandbox.config import default_cache_dir

    base = (config.cache_dir or default_cache_dir()) / "sandbox"
    if uid is None or _reachable(base, uid):
        return base
    return Path("/var/cache/r1/sandbox")


def _reachable(path: Path, uid: int) -> bool:
    """Every existing ancestor lets ``uid`` traverse it (binds are opened as that uid)."""
    for p in [path, *path.parents]:
        try:
            st = p.stat()
        except FileNotFoundError:
            continue
        if st.st_uid != uid and not st.st_mode & 0o001:
            return False
    return True
