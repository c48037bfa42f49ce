"""The seccomp deny-list applied inside bubblewrap (``bwrap --seccomp FD``), compiled to BPF.

Namespaces already cut the network and hide the host; the filter removes the kernel surface they
do not cover (ptrace, keyrings, io_uring, bpf, mounting, new namespaces, module loading) and makes
internet sockets fail fast with EACCES. New user namespaces are refused too — ``clone`` with
``CLONE_NEWUSER`` fails with EPERM and ``clone3`` (whose flags a filter cannot read) with ENOSYS, so
the C library falls back to ``clone`` — which makes bubblewrap's ``--disable-userns`` (a nested
user namespace set up on every run) unnecessary. Calls from a foreign syscall ABI kill the process
(libseccomp's default for a non-native architecture).

libseccomp's Python bindings are ``seccomp`` (Debian python3-seccomp, usually importable only by
the system interpreter) or ``pyseccomp`` (PyPI). When neither imports here, this file is run by
the system interpreter (it depends on the standard library only) and prints the BPF program.
"""

from __future__ import annotations

import errno
import functools
import subprocess
import sys
import tempfile
from typing import Any, BinaryIO

__all__ = ["DENIED_SOCKET_FAMILIES", "DENIED_SYSCALLS", "seccomp_bpf", "seccomp_program"]

DENIED_SYSCALLS = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    "keyctl", "add_key", "request_key",
    "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsmount",
    "unshare", "setns",
    "swapon", "swapoff", "reboot", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "acct", "quotactl",
    "syslog", "settimeofday", "clock_settime", "adjtimex",
)
# AF_INET, AF_INET6, AF_PACKET, AF_VSOCK
DENIED_SOCKET_FAMILIES = (2, 10, 17, 40)
CLONE_NEWUSER = 0x10000000


def _bindings() -> Any:
    try:
        import seccomp
    except ImportError:
        import pyseccomp as seccomp  # type: ignore[no-redef]
    return seccomp


def _export(sc: Any, out: BinaryIO) -> bool:
    """Write the BPF program; True when it also refuses new user namespaces."""
    flt = sc.SyscallFilter(defaction=sc.ALLOW)
    for name in DENIED_SYSCALLS:
        try:
            flt.add_rule(sc.ERRNO(errno.EPERM), name)
        except Exception:  # unknown to this libseccomp or kernel: nothing to deny
            continue
    for family in DENIED_SOCKET_FAMILIES:
        flt.add_rule(sc.ERRNO(errno.EACCES), "socket", sc.Arg(0, sc.EQ, family))
    try:
        flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))
        flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
        blocks_userns = True
    except Exception:  # an old libseccomp without clone3: bubblewrap's --disable-userns stays
        blocks_userns = False
    flt.export_bpf(out)
    return blocks_userns


def seccomp_bpf(system_python: str = "/usr/bin/python3") -> bytes:
    """The filter as a BPF program; RuntimeError when no libseccomp bindings can be found."""
    return seccomp_program(system_python)[0]


@functools.lru_cache(maxsize=4)
def seccomp_program(system_python: str = "/usr/bin/python3") -> tuple[bytes, bool]:
    """(BPF program, whether it refuses new user namespaces); RuntimeError without bindings."""
    try:
        sc = _bindings()
    except ImportError:
        return _bpf_from(system_python)
    with tempfile.TemporaryFile() as out:  # libseccomp writes to a file descriptor
        blocks = _export(sc, out)
        out.seek(0)
        return out.read(), blocks


def _bpf_from(system_python: str) -> tuple[bytes, bool]:
    try:
        proc = subprocess.run([system_python, "-I", __file__], capture_output=True, timeout=30, env={})
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"cannot run {system_python} to build the seccomp filter: {exc}") from exc
    if proc.returncode != 0 or len(proc.stdout) < 2:
        last = (proc.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"no libseccomp bindings for {system_python} "
                           f"(python3-seccomp or pyseccomp): {last}")
    return proc.stdout[:-1], proc.stdout[-1:] == b"1"  # the program, then one flag byte


if __name__ == "__main__":  # the flag byte goes last on the wire (export_bpf needs a real file)
    flag = _export(_bindings(), sys.stdout.buffer)
    sys.stdout.buffer.write(b"1" if flag else b"0")
