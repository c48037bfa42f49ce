"""Runs one job inside a cloud sandbox (E2B, Morph): ``python3 cloud_runner.py JOB.json[.b64]``.

This file is uploaded as text and run by the VM's own ``python3``, so it uses the standard
library only and imports nothing from r1. It knows no language: the job's ``program`` names the
main file and the compile and run command lines, built by the host from r1's one languages table
(:func:`r1_sandbox.cloud.program_plan`). It compiles if asked, runs the program under CPU, memory
and output rlimits with a wall-clock kill, and prints one JSON report of facts on stdout; the host
(:mod:`r1_sandbox.cloud`) turns the facts into a verdict, the same way for every cloud.
"""

import base64
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time

COMPILE_WALL_S = 60.0


def _safe_path(root, name):
    path = os.path.normpath(os.path.join(root, name))
    if os.path.isabs(name) or not path.startswith(root + os.sep):
        raise ValueError(f"file name {name!r} leaves the work directory")
    return path


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write(text)


def _read_capped(path, limit):
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    return data[:limit].decode("utf-8", errors="replace"), len(data) > limit


def _network_prefix(isolate):
    """Cut the program off the network when the VM lets us (root + util-linux unshare)."""
    if not isolate or os.geteuid() != 0 or shutil.which("unshare") is None:
        return []
    probe = subprocess.run(["unshare", "--net", "--", "true"], capture_output=True)
    return ["unshare", "--net", "--"] if probe.returncode == 0 else []


def _limits(job):
    cpu = max(1, int(job["time_limit_s"] + 0.999))
    memory = int(job["memory_limit_mb"]) << 20
    fsize = max(int(job["output_limit_bytes"]), int(job["stderr_limit_bytes"])) + 1

    def apply():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        if job["program"]["address_space_limit"]:  # not for V8 or the JVM: they reserve far more
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _compile(argv, root):
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, cwd=root, capture_output=True, timeout=COMPILE_WALL_S)
        ok = proc.returncode == 0
        output = (proc.stdout + proc.stderr).decode("utf-8", errors="replace")[-65536:]
    except subprocess.TimeoutExpired:
        output, ok = f"compilation took longer than {COMPILE_WALL_S:.0f} s", False
    except FileNotFoundError as exc:
        return {"ok": False, "output": f"compiler not found: {exc}", "time_s": 0.0, "missing": True}
    return {"ok": ok, "output": output, "time_s": round(time.monotonic() - start, 4)}


def _run(job, root, argv):
    wall = float(job["wall_limit_s"])
    with open(os.path.join(root, ".stdin"), "rb") as stdin, \
            open(os.path.join(root, ".stdout"), "wb") as stdout, \
            open(os.path.join(root, ".stderr"), "wb") as stderr:
        start = time.monotonic()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": root}
        proc = subprocess.Popen(argv, cwd=root, stdin=stdin, stdout=stdout, stderr=stderr,
                                preexec_fn=_limits(job), env=env)
        wall_timeout = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > wall:
                wall_timeout = True
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.002)
        elapsed = time.monotonic() - start
    proc.returncode = 0  # reaped by wait4 above; keep Popen from waiting again
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the program's process group
    except (ProcessLookupError, PermissionError):
        pass
    return {
        "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "cpu_time_s": round(usage.ru_utime + usage.ru_stime, 4),
        "wall_time_s": round(elapsed, 4),
        "peak_memory_bytes": usage.ru_maxrss * 1024,
        "wall_timeout": wall_timeout,
    }


def run_job(job, root):
    root = os.path.abspath(root)
    program = job["program"]
    os.makedirs(root, exist_ok=True)
    for name, text in job["files"].items():
        _write(_safe_path(root, name), text)
    _write(_safe_path(root, program["main"]), job["source"])
    _write(os.path.join(root, ".stdin"), job["stdin"])
    report = {"error": None, "compile": None}
    if program["compile_argv"] is not None:
        report["compile"] = _compile(program["compile_argv"], root)
        if not report["compile"]["ok"]:
            return report
    argv = _network_prefix(job.get("isolate_network", True)) + list(program["run_argv"]) + list(job["args"])
    try:
        report.update(_run(job, root, argv))
    except FileNotFoundError as exc:
        return {"error": f"interpreter not found in the sandbox: {exc}"}
    report["stdout"], report["stdout_over"] = _read_capped(os.path.join(root, ".stdout"),
                                                           int(job["output_limit_bytes"]))
    report["stderr"], _ = _read_capped(os.path.join(root, ".stderr"), int(job["stderr_limit_bytes"]))
    report["files"] = {}
    for name in job["read_files"]:
        path = _safe_path(root, name)
        if os.path.isfile(path):
            report["files"][name], _ = _read_capped(path, int(job["output_limit_bytes"]))
    return report


def main(argv):
    with open(argv[1], "rb") as fh:
        raw = fh.read()
    if argv[1].endswith(".b64"):
        raw = base64.b64decode(raw)
    job = json.loads(raw)
    try:
        report = run_job(job, argv[2] if len(argv) > 2 else os.path.join(os.path.dirname(argv[1]), "work"))
    except Exception as exc:  # reported, so the host shows the reason instead of a bare exit code
        report = {"error": f"runner failed: {type(exc).__name__}: {exc}"}
    sys.stdout.write(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
