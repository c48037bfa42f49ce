"""The Python side of a session, run INSIDE the sandbox by its interpreter (stdlib only, no r1).

Started as ``python3 -I -u -c <this file> serve REPLY_PATH``: reads one JSON request per line on
stdin, runs the cell in one namespace that lives as long as the process, and writes one JSON
reply per line to the FIFO at ``REPLY_PATH``. ``replay`` mode (``-c <this file> replay``) runs
cells from a JSON list on stdin in a fresh process, for sandboxes without long-lived processes.

Budgets enforced here are the friendly ones (the cell gets ``TimeoutError`` and the namespace
survives); the hard ones are the supervisor's (cgroup, wall clock, kill) and do not trust this
process. What a cell writes to fd 1 and 2 (subprocesses included) goes to a file that is read
back, capped, after the cell.
"""

import ast
import json
import linecache
import os
import signal
import sys
import time
import traceback

CELL = "<cell-{}>"


class CellTimeout(BaseException):
    """Raised into the cell by the budget timers (a BaseException: ``except Exception`` in the
    cell does not swallow it)."""


def _on_timer(signum, frame):
    kind = "CPU" if signum == signal.SIGPROF else "wall-clock"
    raise CellTimeout(f"the cell exceeded its {kind} time budget")


def _install_timers():
    signal.signal(signal.SIGPROF, _on_timer)
    signal.signal(signal.SIGALRM, _on_timer)


def _compile(source, n):
    name = CELL.format(n)
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    tree = ast.parse(source, name, "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    body = compile(tree, name, "exec")
    return body, (compile(last, name, "eval") if last is not None else None)


def _user_traceback(exc):
    tb = exc.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell-"):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def run_cell(source, namespace, n, cpu_s=None, wall_s=None):
    """Run one cell; prints go wherever fd 1/2 point. Returns ``(error, timed_out)``."""
    error, timed_out = None, False
    try:
        body, last = _compile(source, n)
    except SyntaxError as exc:
        return "".join(traceback.format_exception_only(type(exc), exc)), False
    if cpu_s:
        signal.setitimer(signal.ITIMER_PROF, cpu_s)
    if wall_s:
        signal.setitimer(signal.ITIMER_REAL, wall_s)
    try:
        exec(body, namespace)
        if last is not None:
            value = eval(last, namespace)
            if value is not None:
                print(repr(value))
    except CellTimeout as exc:
        error, timed_out = f"TimeoutError: {exc}\n", True
    except SystemExit as exc:
        error = f"SystemExit({exc.code!r}): exiting is not allowed; the session keeps running\n"
    except BaseException as exc:  # the model's code: every failure is output for the model
        error = _user_traceback(exc)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
    return error, timed_out


def _read_capped(fd, cap):
    size = os.lseek(fd, 0, os.SEEK_END)
    os.lseek(fd, 0, os.SEEK_SET)
    data = os.read(fd, cap) if cap > 0 else b""
    return data.decode("utf-8", errors="replace"), max(0, size - len(data))


def serve(reply_path):
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # input() in a cell sees EOF, never the request channel
    reply = open(reply_path, "w", encoding="utf-8", buffering=1)  # noqa: SIM115 - lives as long as we do
    saved = os.dup(1), os.dup(2)
    _install_timers()
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    me = os.getpid()
    reply.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    for n, line in enumerate(requests, 1):
        req = json.loads(line)
        out_fd = os.open("/tmp", os.O_RDWR | os.O_TMPFILE, 0o600)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        started, cpu0 = time.monotonic(), time.process_time()
        error, timed_out = run_cell(req["code"], namespace, n, req.get("cpu_s"), req.get("wall_s"))
        if os.getpid() != me:  # a copy forked by the cell must not answer or read requests
            os._exit(0)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:  # a cell may have closed or replaced them
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        output, dropped = _read_capped(out_fd, int(req.get("output_bytes", 8192)))
        os.close(out_fd)
        reply.write(json.dumps({"id": req.get("id"), "output": output, "dropped": dropped, "error": error,
                                "timed_out": timed_out, "cpu_s": round(time.process_time() - cpu0, 4),
                                "wall_s": round(time.monotonic() - started, 4)}) + "\n")


def replay(payload):
    """Run ``payload["history"]`` silently, then ``payload["code"]`` (the fallback for sandboxes
    that cannot keep a process between calls: state is rebuilt by re-running earlier cells)."""
    _install_timers()
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    saved = os.dup(1), os.dup(2)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    me = os.getpid()
    for n, cell in enumerate(payload["history"], 1):
        run_cell(cell, namespace, n)
        if os.getpid() != me:
            os._exit(0)
        sys.stdout.flush()
        sys.stderr.flush()
    os.dup2(saved[0], 1)
    os.dup2(saved[1], 2)
    error, timed_out = run_cell(payload["code"], namespace, len(payload["history"]) + 1,
                                payload.get("cpu_s"), payload.get("wall_s"))
    if os.getpid() != me:
        os._exit(0)
    sys.stdout.flush()
    if error:
        sys.stderr.write(error)
    sys.exit(3 if timed_out else (1 if error else 0))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        replay(json.loads(sys.stdin.read()))
