"""Hostile programs of the second review round (issue 12, findings 1, 3, 4, 5), each as a class.

1. seccomp argument width: raw ``syscall()`` (C and Python ctypes) with every socket family we know
   and with upper bits set in 32-bit arguments (socket, socketpair, clone); foreign ABIs.
3. nothing crosses runs: an abstract unix socket kept alive by an SCM_RIGHTS cycle, per-user kernel
   quotas (inotify instances, POSIX timers / pending signals, message queues) exhausted next to an
   innocent concurrent run.
4. teardown survives anything: deep, wide, unreadable, linked and oddly named trees, in the work
   dir's own tmpfs and in plain directories; the stale-dir sweep.
5. an exit status is not a signal; read_files that are not regular files; the JVM at the process
   limit is not MLE.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import stat
import subprocess
import textwrap
import threading
import time
from pathlib import Path

import pytest
from r1_core.protocols import ExecRequest, Verdict
from r1_sandbox import workdir
from r1_sandbox.local import LocalSandbox
from r1_sandbox.verdicts import decide

pytestmark = pytest.mark.slow
ROOT = os.geteuid() == 0
HAVE_JAVA = Path("/usr/bin/javac").exists()


@pytest.fixture(scope="module")
def sandbox():
    sb = LocalSandbox(max_workers=4, precompiled_header=False)
    yield sb
    sb.close()


def run(sb: LocalSandbox, *reqs: ExecRequest):
    results = sb.run(list(reqs))
    assert not [r for r in results if r.verdict == Verdict.SE], [(r.id, r.message) for r in results]
    return results


def py(source: str, **kw) -> ExecRequest:
    return ExecRequest(language="python", source=textwrap.dedent(source), **kw)


def c(source: str, **kw) -> ExecRequest:
    return ExecRequest(language="c", source=textwrap.dedent(source), **kw)


def _leftover_work_dirs(sb: LocalSandbox) -> list[str]:
    return [d.name for d in sb.work_root.iterdir() if d.name.startswith(f"{os.getpid()}-")]


# ================================================================== 1. seccomp argument width
FAMILIES = {"AF_UNSPEC": 0, "AF_INET": 2, "AF_INET6": 10, "AF_PACKET": 17, "AF_VSOCK": 40,
            "AF_NETLINK": 16, "AF_BLUETOOTH": 31, "AF_ALG": 38, "AF_KEY": 15, "AF_APPLETALK": 5,
            "AF_X25": 9, "AF_CAN": 29, "AF_TIPC": 30, "AF_RDS": 21, "AF_XDP": 44, "AF_QIPCRTR": 42,
            "AF_SMC": 43, "AF_MCTP": 45, "AF_NFC": 39, "AF_IB": 27, "AF_INVALID": 255}
HIGH = {"plain": 0, "bit32": 1 << 32, "bit63": 1 << 63, "upper_all": 0xFFFFFFFF00000000}

SOCKET_PROBE = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/socket.h>
int main(void) {
    static const struct { const char *name; unsigned long v; } fam[] = { FAMILIES };
    static const struct { const char *name; unsigned long v; } high[] = { HIGH };
    static const unsigned long types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET };
    for (unsigned i = 0; i < sizeof fam / sizeof *fam; i++)
        for (unsigned j = 0; j < sizeof high / sizeof *high; j++) {
            unsigned long arg = fam[i].v | high[j].v;
            int opened = 0, err = 0;
            for (unsigned t = 0; t < 4; t++) {  /* some families exist only for one socket type */
                errno = 0;
                long r = syscall(SYS_socket, arg, types[t], 0UL);
                if (r >= 0) { opened = 1; close((int)r); } else if (!err || errno == EACCES) err = errno;
                int sv[2];
                errno = 0;
                r = syscall(SYS_socketpair, arg, types[t], 0UL, sv);
                if (r == 0) { opened = 1; close(sv[0]); close(sv[1]); }
            }
            printf("%s %s %s %d\n", fam[i].name, high[j].name, opened ? "OPENED" : "refused", err);
        }
    return 0;
}
"""


def _socket_probe_source() -> str:
    fams = ", ".join(f'{{"{k}", {v}UL}}' for k, v in {**FAMILIES, "AF_UNIX": 1}.items())
    highs = ", ".join(f'{{"{k}", {v:#x}UL}}' for k, v in HIGH.items())
    return SOCKET_PROBE.replace("FAMILIES", fams).replace("HIGH", highs)


def test_socket_families_allow_list_at_the_kernel_width(sandbox):
    """Every family but AF_UNIX is refused (EACCES), whatever the upper 32 bits hold — and AF_UNIX
    itself only when the register is exactly AF_UNIX."""
    [res] = run(sandbox, c(_socket_probe_source()))
    assert res.verdict == Verdict.OK, (res.message, res.stderr, res.compile_output)
    lines = dict((" ".join(line.split()[:2]), line.split()[2:]) for line in res.stdout.splitlines())
    assert len(lines) == (len(FAMILIES) + 1) * len(HIGH)
    assert lines.pop("AF_UNIX plain")[0] == "OPENED"
    wrong = {k: v for k, v in lines.items() if v != ["refused", "13"]}
    assert not wrong, wrong


def test_clone_namespace_flags_refused_with_upper_bits_and_from_python(sandbox):
    clone = c(r"""
        #define _GNU_SOURCE
        #include <errno.h>
        #include <sched.h>
        #include <signal.h>
        #include <stdio.h>
        #include <unistd.h>
        #include <sys/syscall.h>
        #include <sys/wait.h>
        int main(void) {
            static const unsigned long flags[] = { CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID,
                                                   CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP,
                                                   CLONE_NEWUSER | CLONE_NEWNET };
            static const unsigned long high[] = { 0, 1UL << 32, 1UL << 63, 0xffffffff00000000UL };
            for (unsigned i = 0; i < sizeof flags / sizeof *flags; i++)
                for (unsigned j = 0; j < 4; j++) {
                    errno = 0;
                    long r = syscall(SYS_clone, flags[i] | SIGCHLD | high[j], 0UL, 0UL, 0UL, 0UL);
                    if (r == 0) _exit(0);
                    if (r > 0) waitpid((pid_t)r, 0, 0);
                    printf("%lx %lx %s %d\n", flags[i], high[j], r > 0 ? "CLONED" : "refused", errno);
                }
            errno = 0;
            long r3 = syscall(435, 0UL, 0UL);
            int e3 = errno;
            printf("clone3 %ld %d\n", r3, e3);
            return 0;
        }
    """)
    ctypes_probe = py("""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        L = ctypes.c_ulong
        for fam in (2, 10, 40, 17, 16, 38, 15, 31):
            for high in (0, 1 << 32, 1 << 63):
                r = libc.syscall(L(41), L(fam | high), L(1), L(0))
                print('socket', fam, high, r, ctypes.get_errno())
        r = libc.syscall(L(56), L(0x10000000 | 17 | (1 << 32)), L(0), L(0), L(0), L(0))
        print('clone', r, ctypes.get_errno())
    """)
    unix_ok = py("""
        import asyncio, multiprocessing, socket
        a, b = socket.socketpair(); a.send(b'x'); print(b.recv(1))
        q = multiprocessing.Queue(); p = multiprocessing.Process(target=q.put, args=(7,)); p.start()
        print(q.get()); p.join()
        print(asyncio.run(asyncio.sleep(0, 'loop ok')))
    """)
    res, ct, unix = run(sandbox, clone, ctypes_probe, unix_ok)
    assert res.verdict == Verdict.OK, (res.stderr, res.compile_output)
    lines = res.stdout.splitlines()
    assert lines[-1] == "clone3 -1 38"
    assert all(line.split()[2:] == ["refused", "1"] for line in lines[:-1]), lines
    assert ct.verdict == Verdict.OK, ct.stderr
    for line in ct.stdout.splitlines():
        assert line.split()[-2:] in (["-1", "13"], ["-1", "1"]), line
    assert unix.verdict == Verdict.OK and unix.stdout == "b'x'\n7\nloop ok\n", (unix.stdout, unix.stderr)


def test_foreign_syscall_abis_are_killed(sandbox):
    x32 = c("""
        #include <stdio.h>
        #include <unistd.h>
        int main(void) { long r = syscall(0x40000000L | 41, 2L, 1L, 0L); printf("x32 %ld\\n", r); return 0; }
    """)
    i386 = c("""
        #include <stdio.h>
        int main(void) { long args[3] = {2, 1, 0}; long r;
            __asm__ volatile("int $0x80" : "=a"(r) : "a"(102L), "b"(1L), "c"((long)args) : "memory");
            printf("i386 %ld\\n", r); return 0; }
    """)
    for res in run(sandbox, x32, i386):
        assert res.verdict == Verdict.RE and res.signal == 31 and res.stdout == "", res  # SIGSYS


def test_a_rule_that_cannot_be_built_fails_loudly(monkeypatch):
    """In the bindings' interpreter: an unknown syscall name raises with the rule's name (it used
    to be skipped); the probe then reports the seccomp layer and offers no strict tier."""
    import r1_sandbox.seccomp_filter as sf

    code = (f"import importlib.util, sys, tempfile\n"
            f"spec = importlib.util.spec_from_file_location('sf', {sf.__file__!r})\n"
            "sf = importlib.util.module_from_spec(spec); spec.loader.exec_module(sf)\n"
            "sf.DENIED_SYSCALLS += ('no_such_syscall_r1',)\n"
            "try:\n    sf._export(sf._bindings(), tempfile.TemporaryFile())\n"
            "except RuntimeError as e:\n    print('RAISED', e)\n")
    out = subprocess.run(["/usr/bin/python3", "-I", "-c", code], capture_output=True, text=True, timeout=60)
    if "No module named" in out.stderr:
        pytest.skip("no libseccomp bindings for /usr/bin/python3")
    assert out.stdout.startswith("RAISED seccomp rule 'deny no_such_syscall_r1' cannot be built"), out

    import r1_sandbox.probe as probe_mod
    from r1_sandbox.local_config import LocalSandboxConfig

    def broken(*_a, **_k):
        raise RuntimeError("seccomp rule 'socket family != AF_UNIX' cannot be built with this libseccomp")

    monkeypatch.setattr(probe_mod, "seccomp_program", broken)
    report = probe_mod._probe(LocalSandboxConfig())  # not the cached report other tests use
    assert report.layers["seccomp"].startswith("seccomp rule 'socket family != AF_UNIX'")
    assert report.tiers["strict"] != "ok" and "seccomp" in report.tiers["strict"]


# ================================================================== 3. nothing crosses runs
CYCLE = """
import socket
a, b = socket.socketpair()
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind('\\0r1-cycle-{tag}'); listener.listen(4)
# each end of the pair in flight in the other's queue, with the listener: a garbage cycle that
# keeps all three (and the abstract name) alive after every process of the run is gone
socket.send_fds(a, [b'x'], [a.fileno(), b.fileno(), listener.fileno()])
socket.send_fds(b, [b'x'], [a.fileno(), b.fileno(), listener.fileno()])
print('cycle made')
"""
LOOK = """
import socket
names = [l.split()[-1] for l in open('/proc/net/unix').read().splitlines()[1:]]
names = [n for n in names if n.startswith('@')]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect('\\0r1-cycle-{tag}'); print('REACHED', names)
except OSError as e:
    print('unreachable', e.errno, names)
"""


@pytest.mark.skipif(not ROOT, reason="pooled network namespaces need root")
def test_scm_rights_cycle_socket_is_not_visible_to_the_next_run(monkeypatch):
    from r1_sandbox import netns

    with LocalSandbox(max_workers=1) as sb:
        before = netns.NETNS.discarded
        for i in range(3):
            made, looked = (sb.run([py(src.format(tag=i))])[0] for src in (CYCLE, LOOK))
            assert made.stdout == "cycle made\n", made
            assert looked.verdict == Verdict.OK and looked.stdout.startswith("unreachable"), looked.stdout
            assert "@r1-cycle" not in looked.stdout
        assert netns.NETNS.discarded >= before + 3  # each such namespace was closed, not pooled
        # the control: without the emptiness check the same namespace comes back with the socket in it
        monkeypatch.setattr(netns, "sockets_in", lambda fd: 0)
        made, looked = (sb.run([py(src.format(tag="ctl"))])[0] for src in (CYCLE, LOOK))
        assert looked.stdout.startswith("REACHED") and "@r1-cycle-ctl" in looked.stdout, looked.stdout


@pytest.mark.skipif(not ROOT, reason="pooled network namespaces need root")
def test_netns_pool_takes_back_only_provably_empty_namespaces():
    from r1_sandbox.netns import NetnsPool

    pool = NetnsPool()
    fd = pool.acquire()
    assert fd is not None
    libc = ctypes.CDLL(None, use_errno=True)
    kept: list[socket.socket] = []

    def inside() -> None:  # a socket made in that namespace (by a run that has a thread left...)
        assert libc.setns(fd, 0x40000000) == 0
        kept.append(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))

    t = threading.Thread(target=inside)
    t.start()
    t.join()
    pool.release(fd, reusable=True)
    assert pool.idle() == 0 and pool.discarded == 1
    with pytest.raises(OSError):
        os.fstat(fd)
    kept[0].close()
    clean = pool.acquire()
    assert clean is not None
    pool.release(clean, reusable=True)
    assert pool.idle() == 1


QUOTA_HOG = {
    "inotify": "fds = []\nwhile libc.inotify_init1(0) >= 0: n += 1\n",
    "timers": "tid = ctypes.c_void_p()\nwhile libc.timer_create(1, None, ctypes.byref(tid)) == 0: n += 1\n",
    "mqueue": ("a = (ctypes.c_long * 8)(0, 10, 8192, 0)\n"
               "while libc.mq_open(f'/q{n}'.encode(), os.O_CREAT | os.O_RDWR, 0o600, a) >= 0: n += 1\n"),
}
QUOTA_USE = {
    "inotify": "r = libc.inotify_init1(0)\nok = r >= 0\n",
    "timers": "tid = ctypes.c_void_p()\nok = libc.timer_create(1, None, ctypes.byref(tid)) == 0\n",
    "mqueue": "ok = libc.mq_open(b'/mine', os.O_CREAT | os.O_RDWR, 0o600, None) >= 0\n",
}
PRELUDE = "import ctypes, os, time\nlibc = ctypes.CDLL(None, use_errno=True)\nn = 0\n"


def _quota_batch(sb: LocalSandbox) -> dict[str, tuple]:
    """Each hog exhausts a per-user quota and holds it; its innocent twin starts meanwhile."""
    reqs = []
    for kind in QUOTA_HOG:
        reqs.append(py(PRELUDE + QUOTA_HOG[kind] + "print('hog', n, ctypes.get_errno(), os.getuid(), "
                       "flush=True)\ntime.sleep(10)\n", time_limit_s=6, wall_limit_s=40, id=f"hog-{kind}"))
        reqs.append(py(PRELUDE + "time.sleep(5)\n" + QUOTA_USE[kind] +
                       "print('innocent', ok, ctypes.get_errno(), os.getuid())\nassert ok\n",
                       wall_limit_s=40, id=f"innocent-{kind}"))
    results = run(sb, *reqs)
    return {kind: (results[2 * i], results[2 * i + 1]) for i, kind in enumerate(QUOTA_HOG)}


@pytest.mark.skipif(not ROOT, reason="distinct uids per run need root")
def test_a_run_exhausting_a_per_user_quota_does_not_fail_a_concurrent_one(monkeypatch):
    with LocalSandbox(max_workers=6) as sb:
        pairs = _quota_batch(sb)
        for kind, (hog, innocent) in pairs.items():
            assert hog.verdict == Verdict.OK and int(hog.stdout.split()[1]) > 0, (kind, hog.stdout)
            assert innocent.verdict == Verdict.OK, (kind, innocent.stdout, innocent.stderr[-300:])
            assert hog.stdout.split()[3] != innocent.stdout.split()[3]  # two runs, two uids
        uids = {int(r.stdout.split()[3]) for pair in pairs.values() for r in pair}
        first, count = sb.config.uid, sb.config.uid_count
        assert len(uids) == 6 and all(first <= u < first + count for u in uids)
        # the control: all runs as one uid (as before) — the innocent runs fail where a quota is shared
        one_uid = contextlib.contextmanager(lambda self: (yield self._owner))
        monkeypatch.setattr(LocalSandbox, "_run_as", one_uid)
        shared = _quota_batch(sb)
        failed = [kind for kind, (_, innocent) in shared.items() if innocent.verdict != Verdict.OK]
        assert {"inotify", "mqueue"} <= set(failed), {k: p[1].stdout for k, p in shared.items()}


def test_uid_pool_lends_distinct_uids_and_rests_them(tmp_path):
    from r1_sandbox.uids import REUSE_AFTER_S, UidPool

    # two pools on one lock dir behave like two processes: their flocks conflict
    a, b = UidPool(5000, 3, tmp_path / "locks"), UidPool(5000, 3, tmp_path / "locks")
    first, second = a.acquire(), a.acquire()
    other = b.acquire()
    assert len({first, second, other}) == 3 and a.claimed == 2 and b.claimed == 1
    a.release(first)
    fresh = UidPool(5000, 4, tmp_path / "locks")
    assert fresh.acquire() == 5003  # the only one nobody holds
    assert a.acquire() == first  # the range is full: its own resting uid, early
    a.release(first)
    time.sleep(REUSE_AFTER_S)
    marker = tmp_path / "group"
    marker.mkdir()
    assert a.hold(second, [marker])  # a run group left to the janitor
    a.release(second)
    a.acquire()  # first
    b.release(other)
    with pytest.raises(TimeoutError):
        with _deadline(0.3):
            a.acquire()  # second is held until its group is gone
    marker.rmdir()
    assert a.acquire() == second
    a._reset()  # what a forked child does: the parent's claims are not its own
    assert a.claimed == 0


@contextlib.contextmanager
def _deadline(seconds: float):
    import signal

    def alarm(*_):
        raise TimeoutError

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# ================================================================== 4. teardown survives anything
TREES = {
    "deep_3000": """
        import os
        for i in range(3000):
            os.mkdir('d'); os.chdir('d')
            if i % 500 == 0: open('f', 'w').write('x')
        print('deep ok')
    """,
    "wide_inodes": """
        import os
        n = 0
        try:
            while n < 200000:
                open(f'f{n}', 'w').close(); n += 1
        except OSError as e:
            print('stopped', n, e.errno)
        print('made', n)
    """,
    "hostile_perms": """
        import os, socket, stat
        os.makedirs('a/b/c/d')
        for p in ('a/b/c/d/f', 'a/b/g', 'a/h'):
            open(p, 'w').write('x')
        os.symlink('/etc', 'a/to_etc'); os.symlink('/', 'a/b/to_root'); os.symlink('loop', 'a/loop')
        os.symlink('.', 'a/self'); os.link('a/h', 'a/b/hardlink')
        os.mkfifo('a/fifo'); s = socket.socket(socket.AF_UNIX); s.bind('a/b/sock')
        os.mknod('a/whiteout', stat.S_IFCHR | 0o600, os.makedev(0, 0))
        for name in ('new\\nline', 'x' * 255, ' lead', '-dash', '\\udcff\\udcfe bytes'):
            open('a/' + name, 'w').close()
        os.chmod('a/b/c/d', 0); os.chmod('a/b/c', 0); os.chmod('a/b', 0o500); os.chmod('a', 0o1000)
        os.chmod('.', 0o500)
        print('perms ok')
    """,
    "deep_and_wide": """
        import os
        for i in range(300):
            os.mkdir(f'd{i}')
            for j in range(20):
                os.mkdir(f'd{i}/e{j}')
        os.chdir('d7/e3')
        for i in range(1600):
            os.mkdir('z'); os.chdir('z')
            if i % 400 == 0: os.chmod('..', 0)
        print('mixed ok')
    """,
}


def _check_trees(sb: LocalSandbox) -> tuple[int, float]:
    start = time.monotonic()
    results = run(sb, *(py(src, id=name, time_limit_s=10, wall_limit_s=90, memory_limit_mb=512)
                        for name, src in TREES.items()))
    elapsed = time.monotonic() - start
    for r in results:
        assert r.verdict in (Verdict.OK, Verdict.RE), (r.id, r.verdict, r.message, r.stderr[-500:])
    deep, wide, perms, mixed = results
    assert [deep.stdout, perms.stdout, mixed.stdout] == ["deep ok\n", "perms ok\n", "mixed ok\n"], results
    made = int(wide.stdout.split()[-1])
    assert made > 1000
    assert not _leftover_work_dirs(sb)
    assert run(sb, py("print('after')"))[0].stdout == "after\n"
    return made, elapsed


@pytest.mark.skipif(not ROOT, reason="per-run tmpfs mounts need root")
def test_work_dir_trees_of_every_shape_are_torn_down_in_their_own_tmpfs(sandbox):
    made, elapsed = _check_trees(sandbox)
    assert made < sandbox.config.work_inodes  # the inode cap stopped it (ENOSPC), not 200,000
    assert elapsed < 90


def test_work_dir_trees_in_plain_directories(tmp_path, monkeypatch):
    """Where no tmpfs can be mounted: the iterative removal, 1,500+ levels and all."""
    monkeypatch.setenv("R1_SANDBOX_WORKDIR_MOUNTS", "0")
    root = Path("/dev/shm") / f"r1-plain-{os.getpid()}"
    try:
        with LocalSandbox(max_workers=4, work_root=root, precompiled_header=False) as sb:
            made, _ = _check_trees(sb)
            assert made > 50000  # no inode cap here: bounded by the run's memory only
    finally:
        workdir.remove_tree(root)


def _tree(path: Path, depth: int) -> None:
    path.mkdir(parents=True)
    fd = os.open(path, os.O_RDONLY)
    for i in range(depth):
        os.mkdir("d", dir_fd=fd)
        nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nxt
        if i % 1000 == 0:
            os.close(os.open("f", os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=fd))
            os.fchmod(fd, 0)
    os.close(fd)


def test_stale_sweep_removes_any_tree_and_never_raises(tmp_path, monkeypatch):
    root = tmp_path / "work"
    stale = [root / "999999990-1", root / "999999991-2", root / "999999992-3"]
    _tree(stale[0] / "box", 6000)  # far past Python's recursion limit
    (stale[1] / "box" / "x").mkdir(parents=True)
    for i in range(2000):
        (stale[1] / "box" / "x" / f"f{i}").touch()
    immutable = stale[1] / "box" / "immutable"
    immutable.write_text("x")
    if ROOT:  # an immutable file (as the filesystem allows): the sweep clears the flag where it may
        import fcntl
        import struct

        with contextlib.suppress(OSError), open(immutable) as fh:
            fcntl.ioctl(fh.fileno(), workdir.FS_IOC_SETFLAGS, struct.pack("l", workdir.FS_IMMUTABLE_FL))
    os.chmod(stale[1] / "box" / "x", 0)
    stale[2].mkdir()
    live = root / f"{os.getpid()}-999999"
    live.mkdir()
    mounted = False
    if ROOT:  # a stale work dir that is still its own tmpfs (its supervisor was killed)
        mounted = workdir.MOUNTS.mount("r1-work", str(stale[2]), "tmpfs", 0, "nr_inodes=64")
        (stale[2] / "box").mkdir()
        (stale[2] / "box" / "left").write_text("x")
    assert workdir.sweep_stale_workdirs(root) == 3
    assert sorted(p.name for p in root.iterdir()) == [live.name]
    if mounted:
        assert not workdir._is_mount_point(stale[2])
    # a failure inside the sweep (what a RecursionError did to every later start) is logged only
    (root / "999999993-4").mkdir()

    def boom(path):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(workdir, "remove_tree", boom)
    assert workdir.sweep_stale_workdirs(root) == 0
    from r1_sandbox.local_config import LocalSandboxConfig
    from r1_sandbox.probe import _probe

    report = _probe(LocalSandboxConfig(work_root=root))  # a sandbox start with the sweep failing
    assert report.best is not None and (root / "999999993-4").exists()


def test_remove_tree_as_the_owner_of_unreadable_dirs(tmp_path):
    """Without root (the rootless tier: the supervisor owns the program's files): chmod 000 dirs,
    read-only dirs and a 3,000-deep chain are opened up and removed."""
    if not ROOT:
        pytest.skip("needs root to become another uid")
    base = Path("/dev/shm") / f"r1-owner-{os.getpid()}"
    base.mkdir()
    base.chmod(0o777)
    script = textwrap.dedent(f"""
        import os, sys, types
        sys.modules['r1_core'] = types.ModuleType('r1_core')
        errors = types.ModuleType('r1_core.errors'); errors.SandboxError = Exception
        sys.modules['r1_core.errors'] = errors
        sys.path.insert(0, {str(Path(workdir.__file__).parent.parent)!r})
        from r1_sandbox.workdir import remove_tree
        t = {str(base)!r} + '/t'
        os.makedirs(t + '/a/b/c')
        open(t + '/a/b/c/f', 'w').close()
        os.chmod(t + '/a/b/c', 0); os.chmod(t + '/a/b', 0o500); os.chmod(t + '/a', 0)
        fd = os.open(t, os.O_RDONLY)
        for i in range(3000):
            os.mkdir('z', dir_fd=fd); n = os.open('z', os.O_RDONLY, dir_fd=fd); os.close(fd); fd = n
        os.fchmod(fd, 0); os.close(fd)
        remove_tree(t)
        print('gone', not os.path.exists(t))
    """)
    try:
        out = subprocess.run(["setpriv", "--reuid=47999", "--regid=47999", "--clear-groups", "--",
                              "/usr/bin/python3", "-I", "-c", script], capture_output=True, text=True,
                             timeout=120, cwd="/")
        if "Permission denied" in out.stderr and "r1_sandbox" in out.stderr:
            pytest.skip("the package is not readable by another uid here")
        assert out.stdout == "gone True\n", out.stderr[-2000:]
    finally:
        workdir.remove_tree(base)


# ================================================================== 5. exit statuses, files, JVM
EXIT_CODES = (1, 2, 126, 127, 128, 129, 130, 134, 137, 139, 143, 152, 153, 158, 255)


def test_exit_status_is_not_a_signal(sandbox):
    reqs = [py(f"import sys; sys.exit({n})", id=f"py{n}") for n in EXIT_CODES]
    reqs += [c(f"#include <stdlib.h>\nint main(void) {{ exit({n}); }}", id=f"c{n}") for n in (137, 152, 153)]
    reqs += [
        c("#include <signal.h>\nint main(void) { raise(SIGSEGV); return 0; }", id="sig11"),
        c("#include <signal.h>\n#include <unistd.h>\nint main(void) { kill(getpid(), SIGKILL); pause(); }",
          id="sig9"),
        c("#include <stdlib.h>\nint main(void) { abort(); }", id="sig6"),
        # the helper (the sandbox's pid 1) cannot be killed to blur the status
        py("import os, signal\nfor pid in (1, -1, os.getppid()):\n    try: os.kill(pid, signal.SIGKILL)\n"
           "    except OSError: pass\nos.kill(1, signal.SIGSTOP)\nraise SystemExit(152)", id="kill_helper"),
        py("import os, sys\nif os.fork() == 0: os._exit(153)\nos.wait()\nprint('parent ok')", id="child153"),
        py("import os\nos.execv('/bin/sh', ['sh', '-c', 'exit 138'])", id="exec138"),
    ]
    results = {r.id: r for r in run(sandbox, *reqs)}
    for n in EXIT_CODES:
        r = results[f"py{n}"]
        assert (r.verdict, r.exit_code, r.signal, r.message) == (Verdict.RE, n, None, f"exit code {n}"), r
    for n in (137, 152, 153):
        r = results[f"c{n}"]
        assert (r.verdict, r.exit_code, r.signal) == (Verdict.RE, n, None), r
    for name, sig in (("sig11", 11), ("sig9", 9), ("sig6", 6)):
        r = results[name]
        assert (r.verdict, r.exit_code, r.signal) == (Verdict.RE, None, sig), r
    assert (results["kill_helper"].exit_code, results["kill_helper"].signal) == (152, None)
    assert results["child153"].verdict == Verdict.OK and results["child153"].stdout == "parent ok\n"
    assert results["exec138"].exit_code == 138 and results["exec138"].signal is None


def test_read_files_that_are_not_regular_files_are_skipped_not_se(sandbox):
    code = """
        import os, socket, stat
        s = socket.socket(socket.AF_UNIX); s.bind('sock.out')
        os.mkfifo('fifo.out')
        os.mknod('dev.out', stat.S_IFCHR | 0o600, os.makedev(0, 0))
        os.mkdir('dir.out')
        os.symlink('/etc/hostname', 'link.out')
        open('real.out', 'w').write('fine')
        open('locked.out', 'w').write('mine'); os.chmod('locked.out', 0)
        os.makedirs('sub/deeper'); os.mkfifo('sub/deeper/f.out')
        print('made')
    """
    names = ["sock.out", "fifo.out", "dev.out", "dir.out", "link.out", "real.out", "locked.out",
             "sub/deeper/f.out", "missing.out", "sock.out/x"]
    [r] = run(sandbox, py(code, read_files=names))
    assert r.verdict == Verdict.OK and r.stdout == "made\n", r
    assert r.files == {"real.out": "fine", "locked.out": "mine"}
    for what in ("'sock.out': a unix socket", "'fifo.out': a fifo", "'dev.out': a character device",
                 "'dir.out': a directory", "'link.out': a symbolic link", "'sub/deeper/f.out': a fifo"):
        assert what in r.message, r.message
    assert "missing.out" not in r.message


def test_thread_and_process_limit_failures_are_not_mle():
    from r1_sandbox.isolation import Limits
    from r1_sandbox.supervise import Outcome

    limits = Limits(cpu_s=1, wall_s=3, memory_bytes=256 << 20, pids=64, file_size_bytes=1 << 20,
                    open_files=64, stdout_bytes=1 << 16, stderr_keep_bytes=1 << 16, stderr_hard_bytes=1 << 20)
    jvm = (b'Exception in thread "main" java.lang.OutOfMemoryError: unable to create native thread: '
           b"possibly out of memory or process/resource limits reached\n")
    verdict, msg = decide(Outcome(started=True, exit_code=1, stderr=jvm, pids_refused=3,
                                  peak_memory_bytes=25 << 20), limits)
    assert verdict == Verdict.RE and "64 processes and threads" in msg and "exit code 1" in msg
    verdict, _ = decide(Outcome(started=True, exit_code=1, stderr=jvm, peak_memory_bytes=25 << 20), limits)
    assert verdict == Verdict.RE  # no pids counter (no cgroup), memory far from its limit
    verdict, _ = decide(Outcome(started=True, exit_code=1, stderr=jvm, peak_memory_bytes=250 << 20), limits)
    assert verdict == Verdict.MLE  # really at the memory limit
    heap = b'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space\n'
    assert decide(Outcome(started=True, exit_code=1, stderr=heap), limits)[0] == Verdict.MLE
    for code, sig in ((152, None), (153, None), (None, 24), (None, 25)):
        v, _ = decide(Outcome(started=True, exit_code=code, signal=sig), limits)
        assert v == {152: Verdict.RE, 153: Verdict.RE}.get(code, {24: Verdict.TLE, 25: Verdict.OLE}.get(sig))


@pytest.mark.skipif(not HAVE_JAVA, reason="no JDK")
def test_jvm_failures(sandbox):
    thread_bomb = ExecRequest(language="java", time_limit_s=5, wall_limit_s=30, id="threads", source="""
        public class Main { public static void main(String[] a) throws Exception {
            java.util.List<Thread> ts = new java.util.ArrayList<>();
            while (true) {
                Thread t = new Thread(() -> { try { Thread.sleep(20000); } catch (Exception e) {} });
                t.setDaemon(true); t.start(); ts.add(t); } } }""")
    # a second JVM started at the process limit fails to start its own threads
    jvm_start = ExecRequest(language="java", time_limit_s=8, wall_limit_s=40, id="start", source="""
        public class Main { public static void main(String[] a) throws Exception {
            java.util.List<Thread> ts = new java.util.ArrayList<>();
            for (int i = 0; i < 200; i++) {
                Thread t = new Thread(() -> { try { Thread.sleep(30000); } catch (Exception e) {} });
                t.setDaemon(true);
                try { t.start(); ts.add(t); } catch (Throwable e) { break; } }
            for (int i = 0; i < 3; i++) { Thread t = ts.remove(0); t.interrupt(); t.join(); }
            Thread.sleep(100);  // room for the child process, not for its threads
            Process p = new ProcessBuilder("java", "-XX:+UseSerialGC", "-version")
                .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            System.err.print(out);
            System.exit(p.waitFor() == 0 ? 0 : 1); } }""")
    # (a 64 MiB thread stack walked for the trace needs more than 256 MiB: MLE there, rightly)
    stack = ExecRequest(language="java", time_limit_s=5, wall_limit_s=30, memory_limit_mb=768, id="stack",
                        source="""
        public class Main { static int f(int n) { return f(n + 1) + 1; }
            public static void main(String[] a) { System.out.println(f(0)); } }""")
    exits = ExecRequest(language="java", time_limit_s=5, wall_limit_s=30, id="exit", source="""
        public class Main { public static void main(String[] a) { Runtime.getRuntime().halt(139); } }""")
    results = {r.id: r for r in run(sandbox, thread_bomb, jvm_start, stack, exits)}
    threads = results["threads"]
    assert threads.verdict == Verdict.RE and "could not start a thread" in threads.message, threads
    start = results["start"]
    assert start.verdict == Verdict.RE and start.exit_code == 1, start
    if "unable to create native thread" in start.stderr:  # the child JVM got as far as its threads
        assert "could not start a thread" in start.message, start
    assert results["stack"].verdict == Verdict.RE and "StackOverflowError" in results["stack"].stderr
    halt = results["exit"]
    assert (halt.verdict, halt.exit_code, halt.signal) == (Verdict.RE, 139, None)


def test_stat_kinds_named():
    assert workdir._kind(stat.S_IFSOCK) == "a unix socket" and workdir._kind(stat.S_IFIFO) == "a fifo"
