"""The seccomp filter applied inside bubblewrap (``bwrap --seccomp FD``), compiled to BPF.

Namespaces already cut the network and hide the host; the filter removes the kernel surface they
do not cover (ptrace, keyrings, io_uring, bpf, mounting, new namespaces, module loading). Sockets
are an **allow-list**: ``socket`` and ``socketpair`` work for ``AF_UNIX`` only, every other family
(internet, vsock, packet, netlink, bluetooth, alg, key...) fails fast with EACCES. New user
namespaces are refused too — ``clone`` with any namespace flag fails with EPERM and ``clone3``
(whose flags a filter cannot read) with ENOSYS, so the C library falls back to ``clone`` — which
makes bubblewrap's ``--disable-userns`` unnecessary. Calls from a foreign syscall ABI (i386
``int 0x80``, x32) kill the process (libseccomp's default for a non-native architecture).

**Argument width.** A seccomp filter sees every argument as the full 64-bit register; the kernel
reads ``socket``'s family as an ``int`` and ``clone``'s flags through ``lower_32_bits``. A rule
comparing 64 bits against a 32-bit argument is bypassed by setting an upper bit (``AF_INET |
1 << 32`` *is* AF_INET to the kernel). So every comparison here is built so that the upper half
cannot change its outcome: the socket allow-list passes only a register that is exactly AF_UNIX
(upper half zero), anything else — including AF_UNIX with upper bits set — is refused; the clone
rules mask the flag bits (``MASKED_EQ``), and libseccomp compares the upper half of a masked value
against a zero mask, which always holds. :data:`ARG_RULES` lists each comparison with the width the
kernel reads; tests run raw ``syscall()`` with upper bits set against every one of them.

**Nothing is dropped silently.** A rule that cannot be built (a syscall name this libseccomp does
not know, an argument comparison it refuses) raises, and the probe reports the seccomp layer as
unavailable with the rule's name — the strict tier is then not offered, never a weaker filter.

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

__all__ = ["ALLOWED_SOCKET_FAMILIES", "ARG_RULES", "CLONE_NAMESPACE_FLAGS", "DENIED_SYSCALLS", "seccomp_bpf",
           "seccomp_program"]

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
# AF_UNIX only. Nothing we run needs AF_NETLINK: Python, the JVM, javac and g++ start without it
# (glibc's getaddrinfo falls back when its netlink socket is refused; there is no network anyway).
AF_UNIX = 1
ALLOWED_SOCKET_FAMILIES = (AF_UNIX,)
# every flag that makes a new namespace through clone(); CLONE_NEWTIME (0x80) is part of the exit
# signal byte there and only reachable through clone3/unshare, which are refused outright
CLONE_NAMESPACE_FLAGS = {
    "CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}
CLONE_NEWUSER = CLONE_NAMESPACE_FLAGS["CLONE_NEWUSER"]
# (syscall, argument, width the kernel reads, how the rule compares): the audit trail of finding
# "arguments compared at the wrong width" — each is exercised with upper bits set by the tests
ARG_RULES = (
    ("socket", 0, 32, "allowed only when the 64-bit register equals AF_UNIX (upper half zero)"),
    ("socketpair", 0, 32, "allowed only when the 64-bit register equals AF_UNIX (upper half zero)"),
    ("clone", 0, 32, "refused when (flags & F) == F for each namespace flag F (upper half masked out)"),
)


def _bindings() -> Any:
    try:
        import seccomp
    except ImportError:
        import pyseccomp as seccomp  # type: ignore[no-redef]
    return seccomp


def _rule(flt: Any, action: Any, name: str, *args: Any, what: str) -> None:
    try:
        flt.add_rule(action, name, *args)
    except Exception as exc:  # never drop a rule: the probe reports it and strict is not offered
        raise RuntimeError(f"seccomp rule {what} cannot be built with this libseccomp: "
                           f"{type(exc).__name__}: {exc}") from exc


def _export(sc: Any, out: BinaryIO) -> bool:
    """Write the BPF program; True: it refuses new user namespaces (always, or it raises)."""
    flt = sc.SyscallFilter(defaction=sc.ALLOW)
    for name in DENIED_SYSCALLS:
        _rule(flt, sc.ERRNO(errno.EPERM), name, what=f"'deny {name}'")
    for name in ("socket", "socketpair"):
        # the only comparison that is one rule and exact at 64 bits: NE on the whole register.
        # Refused: every value whose low 32 bits are not AF_UNIX, and every value with upper bits set.
        (family,) = ALLOWED_SOCKET_FAMILIES
        _rule(flt, sc.ERRNO(errno.EACCES), name, sc.Arg(0, sc.NE, family),
              what=f"'{name} family != AF_UNIX'")
    for flag, bit in CLONE_NAMESPACE_FLAGS.items():
        _rule(flt, sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, bit, bit),
              what=f"'clone with {flag}'")
    _rule(flt, sc.ERRNO(errno.ENOSYS), "clone3", what="'clone3 -> ENOSYS'")
    flt.export_bpf(out)
    return True


def seccomp_bpf(system_python: str = "/usr/bin/python3") -> bytes:
    """The filter as a BPF program; RuntimeError when no libseccomp bindings can be found or a rule
    cannot be built."""
    return seccomp_program(system_python)[0]


@functools.lru_cache(maxsize=4)
def seccomp_program(system_python: str = "/usr/bin/python3") -> tuple[bytes, bool]:
    """(BPF program, whether it refuses new user namespaces); RuntimeError without bindings or when
    any rule cannot be built."""
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
        if "seccomp rule" in last:
            raise RuntimeError(last.split("RuntimeError: ", 1)[-1])
        raise RuntimeError(f"no libseccomp bindings for {system_python} "
                           f"(python3-seccomp or pyseccomp): {last}")
    return proc.stdout[:-1], proc.stdout[-1:] == b"1"  # the program, then one flag byte


if __name__ == "__main__":  # the flag byte goes last on the wire (export_bpf needs a real file)
    flag = _export(_bindings(), sys.stdout.buffer)
    sys.stdout.buffer.write(b"1" if flag else b"0")
