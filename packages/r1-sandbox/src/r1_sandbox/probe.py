"""The start-up probe: which isolation layers work on this machine, and so which tiers exist.

Each tier is tried for real (``/bin/true`` through its exact launch path as the sandbox uid), so a
tier reported as available has just worked. ``r1 sandbox doctor`` prints this report.

Without root: the strict tier needs the caller's own cgroup delegated with ``memory`` and ``pids``;
otherwise the ``rootless`` tier (bubblewrap in its own user namespace, seccomp, rlimits, the
reaper's per-run process limit and accounting, plus CPU accounting and kill-all from a partially
delegated v2 group) is what runs, accepted with a one-line warning that names its gaps.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from r1_sandbox.cgroup import CgroupLayout, Delegation, detect_delegated, detect_layout, sweep_stale
from r1_sandbox.isolation import TIERS, Isolation, Limits
from r1_sandbox.local_config import LocalSandboxConfig
from r1_sandbox.reaper import build_reaper
from r1_sandbox.seccomp_filter import seccomp_program
from r1_sandbox.supervise import Outcome, execute
from r1_sandbox.workdir import WorkDir, default_work_root, sweep_stale_workdirs

__all__ = ["ProbeReport", "cache_dir_for", "probe", "rootless_advice", "rootless_gaps", "smoke_run",
           "work_root_for"]

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
    reaper: str | None = None  # without root: r1-reap, the process limit and accounting inside
    delegation: Delegation | None = None  # without root: what the caller's own cgroup allows
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
        if tier == "rootless":
            return Isolation(tier, cgroup, None, None, self.bwrap, self.seccomp,
                             seccomp_blocks_userns=self.seccomp_blocks_userns, reaper=self.reaper)
        if tier == "namespaces":
            return Isolation(tier, cgroup, self.uid, self.gid, self.bwrap, None)
        return Isolation(tier, cgroup, self.uid, self.gid, None, None)

    @property
    def best(self) -> str | None:
        return next((t for t in TIERS if self.tiers.get(t) == "ok"), None)

    def to_dict(self) -> dict[str, Any]:
        return {"root": self.root, "sandbox_uid": self.uid if self.root else os.geteuid(),
                "layers": self.layers, "tiers": self.tiers, "best_tier": self.best,
                "cgroup_layout": self.cgroup.kind if self.cgroup else None}


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
    report.layers["uid"] = "ok" if root else (f"not root: programs run as the calling user (uid "
                                              f"{os.geteuid()}) inside their own user namespace")
    _probe_cgroup(report)
    if not root:
        cache = cache_dir_for(config, None)
        report.reaper = str(build_reaper(cache, config.cc) or "") or None
        report.layers["reaper"] = "ok" if report.reaper else (
            f"cannot build r1-reap with {config.cc!r} into {cache}/launcher (install gcc, or set cache_dir "
            "to a directory of yours)")
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
        report.delegation = detect_delegated()
        report.cgroup = report.delegation.layout
        if report.cgroup is not None:
            sweep_stale(report.cgroup)
        report.layers["cgroup"] = report.delegation.status
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
    needs = {"strict": ("cgroup", "bwrap", "seccomp"), "rootless": ("bwrap", "seccomp", "reaper"),
             "namespaces": ("cgroup", "bwrap"), "rlimits": ()}
    work_root = work_root_for(config)
    sweep_stale_workdirs(work_root)
    for tier in TIERS:
        if tier == "rootless" and report.root:
            report.tiers[tier] = "not used as root (strict drops to an unprivileged uid instead)"
            continue
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
    from r1_sandbox.local_config import default_cache_dir

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


def work_root_for(config: LocalSandboxConfig) -> Path:
    """Work dirs of another uid's supervisor (root's ``/dev/shm/r1-sandbox`` is 0711) are not ours to
    use: without root each uid gets its own root dir."""
    if config.work_root is not None:
        return config.work_root
    base = default_work_root()
    return base if os.geteuid() == 0 else base.with_name(f"{base.name}-{os.geteuid()}")


def rootless_gaps(report: ProbeReport) -> str:
    """What the rootless tier does not bound, in one clause (the warning and the doctor say it)."""
    cpu = ("CPU time is summed over the tree by the delegated cgroup" if report.cgroup is not None
           else "CPU time is limited per process (RLIMIT_CPU), summed over the tree when the run ends")
    return f"memory is limited per process (RLIMIT_AS), not for the whole tree; {cpu}"


def rootless_advice(report: ProbeReport) -> dict[str, Any]:
    """For ``r1 sandbox doctor``: what a caller without root gets here and exactly what gives more."""
    if report.root:
        return {"applies": False, "note": "running as root: strict drops to an unprivileged uid; run "
                                         "`r1 sandbox doctor` as the training user to see what it gets"}
    import pwd

    uid = os.geteuid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    deleg = report.delegation
    advice: dict[str, Any] = {"applies": True, "uid": uid, "tier": report.best,
                              "cgroup": deleg.status if deleg else report.layers.get("cgroup"),
                              "gaps": "" if report.best == "strict" else rootless_gaps(report),
                              "for_more": []}
    if report.tiers.get("rootless") != "ok" and report.bwrap is not None:
        advice["for_more"].append(
            "bubblewrap could not create its user namespace (see tiers): as root, allow unprivileged user "
            "namespaces: sysctl -w user.max_user_namespaces=15000 (and kernel.unprivileged_userns_clone=1 "
            "where it exists); on Ubuntu >= 23.10 also an AppArmor profile allowing userns for "
            f"{report.bwrap} (or kernel.apparmor_restrict_unprivileged_userns=0)")
    if report.best == "strict" or deleg is None:
        return advice
    hybrid = deleg.hybrid
    v2 = Path("/sys/fs/cgroup/unified" if hybrid else "/sys/fs/cgroup")
    group = v2 / f"r1-{user}"
    files = " ".join(str(group / f) for f in ("cgroup.procs", "cgroup.subtree_control", "cgroup.threads"))
    as_root = [f"mkdir -p {group}", f"chown {uid} {group} {files}",
               f"echo <pid of {user}'s shell> > {group}/cgroup.procs   # then start r1 from that shell"]
    if hybrid:
        memory, pids = Path(f"/sys/fs/cgroup/memory/r1-{user}"), Path(f"/sys/fs/cgroup/pids/r1-{user}")
        groups = f"{group} {memory} {pids}"
        advice["for_more"] += [
            "strict: memory and pids are cgroup-v1 controllers on this host; as root give the user a "
            f"group in each hierarchy: mkdir -p {groups}; chown {uid} {group} {files} {memory} "
            f"{memory}/cgroup.procs {pids} {pids}/cgroup.procs; for g in {groups}; do "
            f"echo <pid of {user}'s shell> > $g/cgroup.procs; done   # then start r1 from that shell",
            f"the v2 group alone ({group}, chowned as above) gives whole-tree CPU accounting and kill-all; "
            "a pure cgroup-v2 boot (systemd.unified_cgroup_hierarchy=1) allows systemd-run --user --scope "
            "-p Delegate=yes"]
    elif Path("/run/systemd/system").is_dir():
        advice["for_more"] += [
            "start r1 in a delegated scope: systemd-run --user --scope -p Delegate=yes -- r1 train ...",
            "if memory or pids are still missing, the user manager does not delegate them; as root: "
            "mkdir -p /etc/systemd/system/user@.service.d && printf "
            "'[Service]\\nDelegate=pids memory cpu\\n' > /etc/systemd/system/user@.service.d/delegate.conf "
            "&& systemctl daemon-reload"]
    else:
        advice["for_more"] += ["as root: echo +memory +pids > /sys/fs/cgroup/cgroup.subtree_control; "
                              + "; ".join(as_root)]
    return advice
