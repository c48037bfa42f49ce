"""From what the supervisor saw to a verdict (first match wins: SE, OLE, TLE, MLE, RE, OK).

``exit_code`` and ``signal`` are what the kernel reported for the program's main process (the
helper inside the sandbox reads its wait status): ``sys.exit(152)`` is RE with exit code 152, never
"killed by SIGXCPU" (TLE), and ``exit(153)`` is not SIGXFSZ (OLE).
"""

from __future__ import annotations

import signal

from r1_core.protocols import Verdict

from r1_sandbox.isolation import Limits
from r1_sandbox.supervise import Outcome

__all__ = ["decide"]

# A failed allocation surfaces as an exception, not an OOM kill, when the request is refused up
# front (overcommit) or by RLIMIT_AS in tiers without a cgroup. A program can print these words
# itself, which only ever turns one failing verdict into another.
_ALLOCATION_FAILURES = (b"MemoryError", b"std::bad_alloc", b"memory exhausted", b"OutOfMemoryError",
                        b"insufficient memory for the Java Runtime Environment",
                        b"Could not reserve enough space")
# A thread the kernel refused (the run's process limit: EAGAIN) is not memory, even when the runtime
# words it as an OutOfMemoryError (the JVM: "unable to create native thread: possibly out of
# memory or process/resource limits reached"). It is MLE only when memory was really near its limit.
_THREAD_FAILURES = (b"unable to create native thread", b"unable to create new native thread",
                    b"Cannot create worker GC thread", b"Cannot create GC thread", b"pthread_create failed",
                    b"can't start new thread")
_NEAR_MEMORY_LIMIT = 0.9


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
    if failed and any(word in out.stderr for word in _THREAD_FAILURES):
        near = out.peak_memory_bytes >= _NEAR_MEMORY_LIMIT * limits.memory_bytes
        if out.pids_refused or not near:
            limit = (f"the limit of {limits.pids} processes and threads was reached "
                     f"({out.pids_refused} refused)" if out.pids_refused
                     else "a process/thread limit, not memory: peak "
                          f"{out.peak_memory_bytes >> 20} of {limits.memory_bytes >> 20} MiB")
            return Verdict.RE, f"could not start a thread ({limit}); {_ending(out)}"
    if failed and any(word in out.stderr for word in _ALLOCATION_FAILURES):
        return Verdict.MLE, "memory allocation failed"
    if out.signal is not None:
        return Verdict.RE, f"killed by signal {out.signal} ({_signame(out.signal)})"
    if out.exit_code != 0:
        return Verdict.RE, f"exit code {out.exit_code}"
    return Verdict.OK, ""


def _ending(out: Outcome) -> str:
    if out.signal is not None:
        return f"killed by signal {out.signal} ({_signame(out.signal)})"
    return f"exit code {out.exit_code}"


def _signame(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return "unknown"
