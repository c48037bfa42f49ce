"""From what the supervisor saw to a verdict (first match wins: SE, OLE, TLE, MLE, RE, OK)."""

from __future__ import annotations

import signal

from r1_core.protocols import Verdict

from r1_sandbox.isolation import Limits
from r1_sandbox.supervise import Outcome

__all__ = ["decide"]

# A failed allocation surfaces as an exception, not an OOM kill, when the request is refused up
# front (overcommit) or by RLIMIT_AS in tiers without a cgroup. A program can print these words
# itself, which only ever turns one failing verdict into another.
_ALLOCATION_FAILURES = (b"MemoryError", b"std::bad_alloc", b"memory exhausted", b"OutOfMemoryError")


def decide(out: Outcome, limits: Limits) -> tuple[Verdict, str]:
    if not out.started:
        return Verdict.SE, f"sandbox failed to start the program: {out.setup_error}"
    if out.killed_for in ("stdout", "stderr"):
        cap = limits.stdout_bytes if out.killed_for == "stdout" else limits.stderr_hard_bytes
        return Verdict.OLE, f"{out.killed_for} exceeded {cap} bytes"
    if out.signal == signal.SIGXFSZ:
        return Verdict.OLE, "file size limit exceeded"
    if out.killed_for == "cpu" or out.cpu_s > limits.cpu_s or out.signal == signal.SIGXCPU:
        return Verdict.TLE, f"CPU time {out.cpu_s:.2f} s exceeded the limit of {limits.cpu_s:g} s"
    if out.killed_for == "wall":
        return Verdict.TLE, f"wall time exceeded {limits.wall_s:g} s (CPU {out.cpu_s:.2f} s)"
    if out.oom_kills:
        return Verdict.MLE, f"memory limit of {limits.memory_bytes >> 20} MiB exceeded"
    failed = out.exit_code != 0 or out.signal is not None
    if failed and any(word in out.stderr for word in _ALLOCATION_FAILURES):
        return Verdict.MLE, "memory allocation failed"
    if out.signal is not None:
        return Verdict.RE, f"killed by signal {out.signal} ({_signame(out.signal)})"
    if out.exit_code != 0:
        return Verdict.RE, f"exit code {out.exit_code}"
    return Verdict.OK, ""


def _signame(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return "unknown"
