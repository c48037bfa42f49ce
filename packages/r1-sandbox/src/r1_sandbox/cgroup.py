"""Per-execution cgroups: memory and process limits, CPU accounting, kill-all.

Supports the pure cgroup-v2 layout (a delegated subtree with ``memory`` and ``pids``) and the
hybrid layout of our CI machines, where ``memory``/``pids`` live in v1 hierarchies and the
controller-less v2 hierarchy (``/sys/fs/cgroup/unified``) still offers ``cgroup.kill`` and
``cpu.stat``. A run group is never reused; groups that stay busy while the kernel reaps
zombies are retried by a janitor thread.

Without root, :func:`detect_delegated` uses the caller's own v2 group when it has been delegated
to the user (``systemd-run --user --scope -p Delegate=yes``, or root chowning the directory and
its ``cgroup.procs``, ``cgroup.subtree_control``, ``cgroup.threads``): with ``memory`` and
``pids`` in it, a full layout; on a hybrid host a full hybrid layout when root also chowned the
caller's own v1 ``memory`` and ``pids`` groups, else a partial one — CPU accounting over the whole
tree (``cpu.stat``) and ``cgroup.kill``, no memory or process limit.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["AttachWarmer", "CgroupLayout", "Delegation", "RunCgroup", "detect_delegated", "detect_layout",
           "sweep_stale"]

ROOT = Path("/sys/fs/cgroup")
PARENT = "r1-sandbox"
WARM_PREFIX = "warm-"  # groups of an AttachWarmer's helper: warm-<supervisor pid>-{a,b}


@dataclass(frozen=True)
class CgroupLayout:
    """Where run groups are created (the three parents coincide on a pure v2 host)."""

    kind: str  # "v2", "hybrid", or "unified" (a delegated v2 group of a hybrid host: no limits)
    memory: Path | None  # parent of run groups for the memory controller (None: no memory limit)
    pids: Path | None
    v2: Path  # parent of run groups in the v2 hierarchy (cpu.stat, cgroup.kill)

    @property
    def limits(self) -> bool:
        """Run groups bound memory and processes (else only CPU accounting and kill-all)."""
        return self.memory is not None and self.pids is not None

    def parents(self) -> list[Path]:
        return [p for p in dict.fromkeys((self.memory, self.pids, self.v2)) if p is not None]


def _write(path: Path | str, value: str) -> None:
    """One write(2) on a fresh fd (cgroup files take a value per write; no Python file object).
    The flags are those of ``open(path, "w")``, so plain files (tests' fake cgroupfs) work too."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _read(path: str) -> str:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return os.read(fd, 1 << 16).decode()
    finally:
        os.close(fd)


@functools.lru_cache(maxsize=8)
def _has(path: Path) -> bool:
    """Whether a cgroup interface file exists under a parent (the same for all its children)."""
    return path.exists()


def _v2_controllers(path: Path) -> set[str]:
    try:
        return set((path / "cgroup.controllers").read_text().split())
    except OSError:
        return set()


def detect_layout(root: Path = ROOT) -> CgroupLayout:
    """Create (or reuse) our parent groups; raise OSError when cgroups are unusable here."""
    if {"memory", "pids"} <= _v2_controllers(root):
        parent = root / PARENT
        parent.mkdir(exist_ok=True)
        # the real root group is exempt from the no-internal-process rule and our parent has no
        # processes; the root of a container's cgroup namespace is not exempt
        try:
            _write(root / "cgroup.subtree_control", "+memory +pids")
            _write(parent / "cgroup.subtree_control", "+memory +pids")
        except OSError as exc:
            raise OSError(f"cannot enable memory+pids for {parent} ({exc.strerror}); in a container, move "
                          f"the processes of {root} into a leaf group first (e.g. {root}/init)") from None
        return CgroupLayout("v2", parent, parent, parent)
    memory, pids = root / "memory", root / "pids"
    if not (memory / "memory.limit_in_bytes").exists() or not (pids / "cgroup.procs").exists():
        raise OSError(f"no usable cgroup memory/pids controllers under {root}")
    unified = root / "unified"
    if not (unified / "cgroup.procs").exists():  # needed for cpu.stat and cgroup.kill
        raise OSError(f"hybrid cgroups without a v2 hierarchy at {unified}")
    v2 = unified / PARENT
    for parent in (memory / PARENT, pids / PARENT, v2):
        parent.mkdir(exist_ok=True)
    return CgroupLayout("hybrid", memory / PARENT, pids / PARENT, v2)


LEAF = "r1-main"  # where a delegated group's own processes move (the no-internal-process rule)


@dataclass(frozen=True)
class Delegation:
    """What a caller without root may do with cgroups here."""

    layout: CgroupLayout | None  # None: no cgroup at all
    status: str  # "ok" (memory + pids limits), "partial: ..." (CPU accounting, kill) or why none
    own: Path | None  # the caller's own v2 group (what has to be delegated)
    hybrid: bool  # memory/pids exist only as v1 controllers here


def _own_v2_group(root: Path, proc_cgroup: Path) -> tuple[Path | None, bool]:
    """The caller's group in the v2 hierarchy (``0::/path`` of /proc/self/cgroup) and whether the host
    is hybrid (v2 mounted at ``<root>/unified``)."""
    mount = root if (root / "cgroup.controllers").exists() else root / "unified"
    hybrid = mount != root
    if not (mount / "cgroup.procs").exists():
        return None, hybrid
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None, hybrid
    for line in lines:
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and not controllers:
            own = mount / path.strip().lstrip("/")
            return (own.parent if own.name == LEAF else own), hybrid
    return None, hybrid


def _own_v1_groups(root: Path, proc_cgroup: Path) -> dict[str, Path]:
    """The caller's groups in the v1 hierarchies, by controller (``N:memory:/path``)."""
    groups: dict[str, Path] = {}
    with contextlib.suppress(OSError):
        for line in proc_cgroup.read_text().splitlines():
            _, _, rest = line.partition(":")
            controllers, _, path = rest.partition(":")
            for name in filter(None, controllers.split(",")):
                groups[name] = root / name / path.strip().lstrip("/")
    return groups


def _delegated(group: Path) -> bool:
    return os.access(group, os.W_OK | os.X_OK) and os.access(group / "cgroup.procs", os.W_OK)


def detect_delegated(root: Path = ROOT, proc_cgroup: Path = Path("/proc/self/cgroup")) -> Delegation:
    """Parent groups inside the caller's own v2 group when it is delegated to us (writable); never raises."""
    own, hybrid = _own_v2_group(root, proc_cgroup)
    if own is None:
        return Delegation(None, f"no cgroup v2 hierarchy under {root}", None, hybrid)
    if not _delegated(own):
        return Delegation(None, f"own cgroup {own} is not delegated to uid {os.geteuid()} (not writable)",
                          own, hybrid)
    full = {"memory", "pids"} <= _v2_controllers(own) and os.access(own / "cgroup.subtree_control", os.W_OK)
    try:
        if full:
            return Delegation(_adopt_delegated(own), "ok", own, hybrid)
        v1 = _own_v1_groups(root, proc_cgroup)
        memory, pids = v1.get("memory"), v1.get("pids")
        # cgroup v1 has no delegation model of its own, but a chown works: the user's groups stay
        # below the parents' limits (hierarchical), and moving a process needs the same uid
        if (hybrid and memory is not None and pids is not None and _delegated(memory) and _delegated(pids)
                and (memory / "memory.limit_in_bytes").exists()):
            for group in (memory, pids, own):
                (group / PARENT).mkdir(exist_ok=True)
            return Delegation(CgroupLayout("hybrid", memory / PARENT, pids / PARENT, own / PARENT), "ok",
                              own, hybrid)
        parent = own / PARENT
        parent.mkdir(exist_ok=True)
        why = (f"memory and pids are cgroup-v1 controllers on this host, not delegated to uid {os.geteuid()}"
               if hybrid else f"memory and pids are not delegated to {own}")
        return Delegation(CgroupLayout("v2-cpu", None, None, parent),
                          f"partial: CPU accounting and kill-all only ({why})", own, hybrid)
    except OSError as exc:
        return Delegation(None, f"delegated cgroup {own} unusable: {exc.strerror or exc}", own, hybrid)


def _adopt_delegated(own: Path) -> CgroupLayout:
    """Enable memory+pids below ``own``: its processes (ours) first move to the leaf ``r1-main``,
    since a group with processes cannot enable controllers for its children."""
    if not {"memory", "pids"} <= set((own / "cgroup.subtree_control").read_text().split()):
        leaf = own / LEAF
        leaf.mkdir(exist_ok=True)
        for pid in (own / "cgroup.procs").read_text().split():
            with contextlib.suppress(OSError):  # gone meanwhile
                _write(leaf / "cgroup.procs", pid)
        _write(own / "cgroup.subtree_control", "+memory +pids")
    parent = own / PARENT
    parent.mkdir(exist_ok=True)
    _write(parent / "cgroup.subtree_control", "+memory +pids")
    return CgroupLayout("v2", parent, parent, parent)


class RunCgroup:
    """The cgroups of one execution: create with limits, enter from the child, measure, kill, remove."""

    def __init__(self, layout: CgroupLayout, name: str, *, memory_bytes: int, pids_max: int) -> None:
        self.layout = layout
        self.dirs = [parent / name for parent in layout.parents()]
        # plain strings: every run opens these files a few times, no Path arithmetic on the way
        self._mem, self._pids, self._v2 = (f"{parent}/{name}" for parent in (layout.memory, layout.pids,
                                                                              layout.v2))
        self._killable = _has(layout.v2 / "cgroup.kill")
        try:
            for d in self.dirs:
                d.mkdir()
            self._limit(memory_bytes, pids_max)
        except BaseException:
            self.remove()
            raise
        self.procs_files = [f"{d}/cgroup.procs" for d in self.dirs]

    @property
    def bounds_memory(self) -> bool:
        """Memory and processes are limited by this group (else rlimits must do it)."""
        return self.layout.limits

    def _limit(self, memory_bytes: int, pids_max: int) -> None:
        if not self.layout.limits:
            return
        if self.layout.kind == "v2":
            _write(f"{self._mem}/memory.max", str(memory_bytes))
            with contextlib.suppress(OSError):
                _write(f"{self._mem}/memory.swap.max", "0")
        else:
            _write(f"{self._mem}/memory.limit_in_bytes", str(memory_bytes))
            if _has(self.layout.memory / "memory.memsw.limit_in_bytes"):  # no swapping out of the limit
                _write(f"{self._mem}/memory.memsw.limit_in_bytes", str(memory_bytes))
        _write(f"{self._pids}/pids.max", str(pids_max))

    def enter(self) -> None:
        """Move the calling process in; async-signal-safe enough for a fork child (plain writes)."""
        for path in self.procs_files:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, b"0")
            finally:
                os.close(fd)

    def cpu_time_s(self) -> float:
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = _read(f"{self._v2}/cpu.stat")
            at = text.index("usage_usec ") + len("usage_usec ")
            return int(text[at:text.index("\n", at)]) / 1e6
        return 0.0

    def peak_memory_bytes(self) -> int:
        if not self.layout.limits:
            return 0
        name = "memory.peak" if self.layout.kind == "v2" else "memory.max_usage_in_bytes"
        with contextlib.suppress(OSError, ValueError):
            return int(_read(f"{self._mem}/{name}"))
        return 0

    def oom_kills(self) -> int:
        if not self.layout.limits:
            return 0
        name = "memory.events" if self.layout.kind == "v2" else "memory.oom_control"
        with contextlib.suppress(OSError, ValueError):
            for line in _read(f"{self._mem}/{name}").splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0

    def pids_refused(self) -> int:
        if not self.layout.limits:
            return 0
        with contextlib.suppress(OSError, ValueError):
            for line in _read(f"{self._pids}/pids.events").splitlines():
                key, _, value = line.partition(" ")
                if key == "max":
                    return int(value)
        return 0

    def kill(self) -> None:
        """Kill every process of the run, including ``setsid`` escapees."""
        if self._killable:
            with contextlib.suppress(OSError):
                _write(f"{self._v2}/cgroup.kill", "1")
                return
        for _ in range(100):  # v1 only: no atomic kill, repeat until nobody is left to fork
            pids = self._pids_in()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.001)

    def _pids_in(self) -> list[int]:
        try:
            where = self._pids if self.layout.pids is not None else self._v2
            return [int(x) for x in _read(f"{where}/cgroup.procs").split()]
        except OSError:
            return []

    def remove(self) -> bool:
        """rmdir every group; False when one is still busy (zombies awaiting their reaper)."""
        ok = True
        for d in self.dirs:
            try:
                d.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                ok = False
        return ok


class Janitor:
    """Retries removal of run groups that were busy right after their run."""

    def __init__(self) -> None:
        self._pending: list[tuple[float, RunCgroup]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def adopt(self, group: RunCgroup) -> None:
        with self._lock:
            self._pending.append((time.monotonic() + 120, group))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="r1-sandbox-janitor", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            time.sleep(0.25)
            with self._lock:
                now = time.monotonic()
                keep = []
                for deadline, group in self._pending:
                    group.kill()
                    if not group.remove() and now < deadline:
                        keep.append((deadline, group))
                self._pending = keep
                if not keep:
                    self._thread = None
                    return

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)


JANITOR = Janitor()


class AttachWarmer:
    """Keeps joining a cgroup cheap while executions are in flight.

    Every write to ``cgroup.procs`` takes the kernel's global ``cgroup_threadgroup_rwsem`` for
    writing. That percpu rwsem switches its readers to the slow path through an RCU grace period
    (~10–15 ms on our VMs) unless another writer held it within about one grace period, so a run
    that joins its cgroup 20 ms after the previous one waits a whole grace period — most of the
    sandbox's overhead over bubblewrap. While runs are active, a thread moves a parked, idle helper
    (``cat`` on a pipe; it exits when the supervisor dies) between two controller-less groups every
    few ms, so the rwsem stays in its writer-ready state (what the cgroup2 ``favordynmods`` mount
    option does permanently, without remounting anything). Isolation is unchanged: run groups,
    limits and the order of the child's set-up are the same. Any failure only disables warming.
    """

    PERIOD_S = 0.005
    LINGER_S = 0.25  # keep warm this long after the last run, so back-to-back batches stay fast

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        """Also the state of a forked child: no thread, no helper of its own, a fresh lock."""
        self._lock = threading.Lock()
        self._active = 0
        self._last = 0.0
        self._thread: threading.Thread | None = None
        self._helper: subprocess.Popen[bytes] | None = None
        self._groups: list[Path] = []
        self._broken = os.environ.get("R1_SANDBOX_CGROUP_WARMER") == "0"  # escape hatch

    @contextlib.contextmanager
    def active(self, layout: CgroupLayout) -> Iterator[None]:
        self._enter(layout)
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                self._last = time.monotonic()

    def _enter(self, layout: CgroupLayout) -> None:
        with self._lock:
            self._active += 1
            if self._broken or (self._thread is not None and self._thread.is_alive()):
                return
            try:
                self._start(layout)
            except (OSError, subprocess.SubprocessError):
                self._broken = True

    def _start(self, layout: CgroupLayout) -> None:
        if self._helper is None or self._helper.poll() is not None:
            # not run groups (those start with our pid); sweep_stale removes them if we die
            self._groups = [layout.v2 / f"{WARM_PREFIX}{os.getpid()}-{x}" for x in "ab"]
            for g in self._groups:
                g.mkdir(exist_ok=True)
            self._helper = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL)
            atexit.register(self._cleanup, self._helper, list(self._groups))
        self._thread = threading.Thread(target=self._loop, name="r1-sandbox-cgroup-warmer", daemon=True)
        self._thread.start()

    @staticmethod
    def _cleanup(helper: subprocess.Popen[bytes], groups: list[Path]) -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            helper.kill()
            helper.wait(timeout=1)
        for g in groups:
            with contextlib.suppress(OSError):
                g.rmdir()

    def _loop(self) -> None:
        assert self._helper is not None
        pid = str(self._helper.pid).encode()
        fds: list[int] = []
        try:
            fds = [os.open(g / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC) for g in self._groups]
            for i in range(1 << 62):
                with self._lock:
                    if not self._active and time.monotonic() - self._last > self.LINGER_S:
                        self._thread = None
                        return
                os.write(fds[i & 1], pid)
                time.sleep(self.PERIOD_S)
        except OSError:
            with self._lock:
                self._broken, self._thread = True, None
        finally:
            for fd in fds:
                os.close(fd)


WARMER = AttachWarmer()
os.register_at_fork(after_in_child=WARMER._reset)


def sweep_stale(layout: CgroupLayout) -> int:
    """Remove run (and warmer) groups left by supervisors that died (names hold their pid)."""
    removed = 0
    for parent in layout.parents():
        with contextlib.suppress(OSError):
            for child in parent.iterdir():
                if not child.is_dir():
                    continue
                pid = child.name.removeprefix(WARM_PREFIX).split("-", 1)[0]
                if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                    with contextlib.suppress(OSError, ValueError):
                        for proc in (child / "cgroup.procs").read_text().split():
                            with contextlib.suppress(ProcessLookupError):
                                os.kill(int(proc), signal.SIGKILL)
                        child.rmdir()
                        removed += 1
    return removed
