"""``LocalSandbox``: run programs on this machine, isolated, batch-first.

Semantics other packages rely on:

* ``run(requests)`` returns one :class:`ExecResult` per request, in order; ``arun`` is its async
  twin. At most ``max_workers`` (default: CPU cores, shared by every default sandbox of the process)
  programs run at once; building and tearing down their sandboxes overlaps them.
* ``ExecRequest.files`` are placed in the work dir before compiling/running. For C/C++ every
  ``*.cpp`` (``*.c``) among them is compiled and linked with ``source`` (IOI graders) and headers
  are includable; other files are runtime data. For Python they are importable modules or data;
  for Java every ``*.java`` is compiled with the source (the public class names the main class).
* ``ExecRequest.args`` are passed to the program (checkers: ``checker input.txt output.txt
  expected.txt`` with those three in ``files``).
* ``ExecRequest.read_files`` that the program created come back in ``ExecResult.files`` (capped at
  ``output_limit_bytes`` each; links are not followed).
* Compilation runs inside the sandbox. A compile error is ``CE`` with ``compile_output``. A binary
  is cached by (language, compiler, flags, source, code files): the same submission compiles once
  (``details["cached_compile"]`` is True on hits), across batches and processes. ``bits/stdc++.h`` is
  precompiled once per machine and flag set.
* ``time_limit_s`` is CPU time summed over all processes and threads; the wall limit is a backstop
  (default ``3 × time + 1``). ``memory_limit_mb`` bounds the whole process tree (tmpfs files
  included). stdout above ``output_limit_bytes`` is ``OLE``; stderr is truncated to
  ``stderr_limit_bytes`` (``OLE`` only above ``stderr_hard_limit_bytes``).
* A failure of the sandbox itself is ``SE`` with ``message`` — never charged to the program. The
  sandbox never raises for a program's behaviour; invalid requests raise ``SandboxError`` before
  anything runs.
* ``ExecResult.provider`` is ``"local"``; ``ExecResult.details`` holds ``tier``, the isolation tier
  (``strict`` by default; weaker tiers need ``allow_weak=True`` or ``R1_SANDBOX_ALLOW_WEAK=1``),
  and, for compiled languages, ``cached_compile``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import shutil
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from r1_core.errors import ConfigError, SandboxError
from r1_core.protocols import ExecRequest, ExecResult, Verdict

from r1_sandbox.compile_cache import Build, CompileCache, compile_key
from r1_sandbox.compile_flags import check_compile_flags
from r1_sandbox.isolation import TIERS, Isolation, Limits, Mount
from r1_sandbox.languages import ARTIFACTS, LANGUAGES, LOCAL_LANGUAGES, PCH_MOUNT, Language, language
from r1_sandbox.launcher import build_launcher
from r1_sandbox.local_config import LocalSandboxConfig
from r1_sandbox.pch import PchLimits, PrecompiledHeaders, uses_bits_header
from r1_sandbox.probe import (
    WEAKNESS,
    ProbeReport,
    cache_dir_for,
    probe,
    rootless_gaps,
    smoke_run,
    work_root_for,
)
from r1_sandbox.supervise import Outcome, execute
from r1_sandbox.uids import UidPool, uid_pool
from r1_sandbox.verdicts import decide
from r1_sandbox.workdir import WorkDir, check_relative, read_back

__all__ = ["LocalSandbox"]

log = logging.getLogger("r1.sandbox")

_launchers_ok: set[tuple[str, str]] = set()  # (launcher, tier) pairs that passed a smoke run here
_warned: set[str] = set()  # one-line warnings already given by this process
_shared: tuple[int, threading.BoundedSemaphore] | None = None
_shared_guard = threading.Lock()


def _shared_gate() -> threading.BoundedSemaphore:
    """Sandboxes with the default ``max_workers`` share one limit of CPU-cores programs per process,
    so a CP scorer, a code reward and a benchmark in one trainer do not oversubscribe the machine."""
    global _shared
    with _shared_guard:
        if _shared is None or _shared[0] != os.getpid():  # a forked child starts with free slots
            _shared = (os.getpid(), threading.BoundedSemaphore(os.cpu_count() or 1))
        return _shared[1]


class LocalSandbox:
    """The ``local`` sandbox provider (see the module docstring for its contract)."""

    name = "local"

    def __init__(self, config: LocalSandboxConfig | None = None, **options: Any) -> None:
        try:
            self.config = config or LocalSandboxConfig(**options)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "config"
            raise ConfigError(f"local sandbox option {where}: {first['msg']}",
                              f"valid options: {', '.join(LocalSandboxConfig.model_fields)}") from None
        self.report: ProbeReport = probe(self.config)
        self.isolation: Isolation = self._choose_tier()
        self._owner = self.report.owner
        self.work_root = work_root_for(self.config)
        cache = cache_dir_for(self.config, self.isolation.uid)
        if self.config.launcher == "auto":
            self.isolation = self._with_launcher(cache)
        self.compile_cache = CompileCache(cache / "bin", max_binaries=self.config.max_cached_binaries,
                                          max_bytes=self.config.max_cache_mb << 20)
        self.headers = PrecompiledHeaders(cache / "pch", self._owner,
                                          default_flags=LANGUAGES["cpp"].default_flags)
        self._pool: ThreadPoolExecutor | None = self._new_pool()
        self._pid = os.getpid()
        self._uid_pool: UidPool | None = None

    def __getstate__(self) -> dict[str, Any]:  # picklable (multiprocessing, accelerate): config only
        return {"config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["config"])  # type: ignore[misc]

    def _new_pool(self) -> ThreadPoolExecutor:
        """Twice as many threads as programs may run: while ``max_workers`` programs run, as many
        sandboxes are being built for the next ones or torn down after the last ones (that work
        waits on the kernel as much as it computes). The gate bounds the programs themselves."""
        limit = self.config.max_workers
        self._gate = _shared_gate() if limit is None else threading.BoundedSemaphore(limit)
        return ThreadPoolExecutor(max_workers=2 * (limit or os.cpu_count() or 1),
                                  thread_name_prefix="r1-sandbox")

    def _executor(self) -> ThreadPoolExecutor:
        """The worker pool; after a fork (trainers fork data loaders and reward workers) the child
        has none of the parent's threads and maybe a lock held by one of them: start afresh."""
        if self._pid != os.getpid():
            self._pool, self._pid = self._new_pool(), os.getpid()
            self.compile_cache.after_fork()
            self.headers.after_fork()
        elif self._pool is None:  # closed: a later run() simply starts a new pool
            self._pool = self._new_pool()
        return self._pool

    @property
    def tier(self) -> str:
        return self.isolation.tier

    @property
    def in_flight_limit(self) -> int:
        """Calls worth having in flight at once (the router reads it): the programs are gated here,
        and as many more sandboxes are being built or torn down meanwhile."""
        return 2 * (self.config.max_workers or os.cpu_count() or 1)

    def _choose_tier(self) -> Isolation:
        wanted = self.config.tier
        tier = self.report.best if wanted == "auto" else wanted
        if tier is None or self.report.tiers.get(tier) != "ok":
            why = "; ".join(f"{t}: {self.report.tiers.get(t)}" for t in TIERS)
            raise SandboxError(f"local sandbox: isolation tier {wanted!r} is not available here ({why})",
                               "install bubblewrap and python3-seccomp, run as root, see `r1 sandbox doctor`")
        if tier == "rootless":  # accepted by default: same containment as strict, resource gaps named
            message = ("r1 local sandbox runs in the rootless tier (not root, no delegated cgroup with "
                       f"memory+pids): {rootless_gaps(self.report)}; `r1 sandbox doctor` says how to get "
                       "strict")
            if message not in _warned:  # once per process, one line (every sandbox of a trainer)
                _warned.add(message)
                log.warning(message)
        elif tier != "strict":
            allowed = self.config.allow_weak or os.environ.get("R1_SANDBOX_ALLOW_WEAK") == "1"
            if not allowed:
                raise SandboxError(
                    f"local sandbox: only the weak tier {tier!r} is available ({WEAKNESS[tier]}; "
                    f"strict: {self.report.tiers.get('strict')})",
                    "fix what `r1 sandbox doctor` reports, or accept it with allow_weak=True "
                    "or R1_SANDBOX_ALLOW_WEAK=1")
            message = f"r1 local sandbox runs in the WEAK tier {tier!r}: {WEAKNESS[tier]}"
            warnings.warn(message, RuntimeWarning, stacklevel=3)
            log.warning(message)
        return self.report.isolation(tier)

    def _with_launcher(self, cache: Path) -> Isolation:
        """The isolation with the compiled launcher, if it builds and passes a smoke run."""
        path = build_launcher(cache, self.config.cc)
        if path is None:
            log.info("no C launcher (cannot compile with %s): using preexec_fn", self.config.cc)
            return self.isolation
        iso = dataclasses.replace(self.isolation, launcher=str(path))
        if (str(path), iso.tier) in _launchers_ok:
            return iso
        out = smoke_run(iso, self.work_root, self._owner)
        if out.started and out.exit_code == 0:
            _launchers_ok.add((str(path), iso.tier))
            return iso
        log.warning("the C launcher %s failed a smoke run (%s): using preexec_fn", path, out.setup_error)
        return self.isolation

    # ------------------------------------------------------------------ public API
    def run(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        for req in requests:
            self._validate(req)
        return list(self._executor().map(self._run_one, requests))

    async def arun(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        for req in requests:
            self._validate(req)
        loop = asyncio.get_running_loop()
        pool = self._executor()
        futures = [asyncio.wrap_future(pool.submit(self._run_one, r), loop=loop) for r in requests]
        return list(await asyncio.gather(*futures))

    def close(self) -> None:
        if self._pool is not None and self._pid == os.getpid():
            self._pool.shutdown(wait=True)
        self._pool = None

    def __enter__(self) -> LocalSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _execute(self, argv: list[str], owner: tuple[int, int] | None = None, **kwargs: Any) -> Outcome:
        # only called from pool threads: _executor() already replaced a forked parent's pool and gate
        iso = self.isolation
        if owner is not None and iso.uid is not None and owner[0] != iso.uid:  # the run's own uid
            iso = dataclasses.replace(iso, uid=owner[0], gid=owner[1])
        return execute(iso, argv, gate=self._gate, **kwargs)

    @contextlib.contextmanager
    def _run_as(self) -> Iterator[tuple[int, int] | None]:
        """(uid, gid) of one run: a uid no other run holds meanwhile (uids.py), when we drop to one."""
        if self._owner is None or self.isolation.uid is None:
            yield self._owner
            return
        pool = self._uid_pool
        if pool is None:
            pool = self._uid_pool = uid_pool(self.config.uid, self.config.uid_count)
        with pool.lease() as uid:
            yield uid, self._owner[1]

    # ------------------------------------------------------------------ one request
    def _validate(self, req: ExecRequest) -> None:
        if language(req.language, local=True) is None:
            where = " (the cloud sandboxes run it, not this one)" if language(req.language) else ""
            raise SandboxError(f"local sandbox: unknown language {req.language!r}{where}",
                               f"use one of {', '.join(LOCAL_LANGUAGES)}")
        for name in [*req.files, *req.read_files]:
            check_relative(name, "file")
        check_compile_flags(req.language, req.compile_flags)  # compiler options are code: allow-list
        lang = language(req.language, local=True)
        assert lang is not None
        for option in filter(None, (lang.compiler, lang.runner)):
            tool = getattr(self.config, option)
            if shutil.which(tool) is None:  # a machine problem, not the program's: say how to fix it
                raise SandboxError(f"local sandbox: {tool!r} needed for {lang.name} is not an executable",
                                   f"install it or pass {option}=/path/to/it (world-readable, outside /root)")

    def _run_one(self, req: ExecRequest) -> ExecResult:
        start = time.monotonic()
        try:
            result = self._run_checked(req)
        except Exception as exc:  # the sandbox's own failure: SE, never the program's fault
            log.exception("local sandbox failed on request %s", req.id)
            result = ExecResult(verdict=Verdict.SE,
                                message=f"local sandbox error: {type(exc).__name__}: {exc}")
        result.provider, result.id = "local", req.id
        result.details["tier"] = self.tier
        if result.verdict == Verdict.SE:
            log.warning("SE after %.2f s: %s", time.monotonic() - start, result.message)
        return result

    def _run_checked(self, req: ExecRequest) -> ExecResult:
        lang = language(req.language, local=True)
        assert lang is not None
        build = self._build(lang, req) if lang.compiled else None
        if build is not None and not build.ok:
            verdict = Verdict.SE if build.system_error else Verdict.CE
            return ExecResult(verdict=verdict, compile_output=build.output, compile_time_s=build.time_s,
                              details={"cached_compile": build.cached},
                              message=build.system_error or "compilation failed")
        limits = self._limits(req)
        files = dict(req.files)
        mounts: list[Mount] = []
        if build is None:
            files[lang.source_name(req.source)] = req.source
        else:
            assert build.binary is not None
            mounts.append(Mount(build.binary, ARTIFACTS))
        notes: list[str] = []
        with self._run_as() as owner, WorkDir(self.work_root, owner, inodes=self.config.work_inodes) as wd:
            wd.populate(files, req.stdin)
            runner = getattr(self.config, lang.runner) if lang.runner else ""
            out = self._execute(lang.run_argv(runner, req.source, list(req.args)), owner, box=wd.box,
                                stdin_path=wd.stdin, limits=limits, mounts=mounts, tools=lang.name == "java")
            produced = read_back(wd.box, req.read_files, req.output_limit_bytes, notes) if out.started else {}
        verdict, message = decide(out, limits)
        message = "; ".join(filter(None, [message, *notes]))  # read_files that were not regular files
        return ExecResult(
            verdict=verdict, exit_code=out.exit_code, signal=out.signal, cpu_time_s=round(out.cpu_s, 4),
            wall_time_s=round(out.wall_s, 4), peak_memory_bytes=out.peak_memory_bytes,
            stdout=out.stdout.decode("utf-8", errors="replace"),
            stderr=out.stderr.decode("utf-8", errors="replace"), files=produced, message=message,
            compile_output=build.output if build else "", compile_time_s=build.time_s if build else 0.0,
            details={"cached_compile": build.cached} if build else {})

    def _limits(self, req: ExecRequest) -> Limits:
        cfg = self.config
        return Limits(cpu_s=req.time_limit_s, wall_s=req.effective_wall_limit_s,
                      memory_bytes=req.memory_limit_mb << 20, pids=cfg.pids_max,
                      file_size_bytes=cfg.file_size_mb << 20, open_files=cfg.open_files,
                      stdout_bytes=req.output_limit_bytes, stderr_keep_bytes=req.stderr_limit_bytes,
                      stderr_hard_bytes=max(cfg.stderr_hard_limit_bytes, req.stderr_limit_bytes),
                      tmpfs_bytes=cfg.tmpfs_mb << 20)

    def _compile_limits(self) -> Limits:
        cfg = self.config
        return Limits(cpu_s=cfg.compile_time_limit_s, wall_s=cfg.compile_wall_limit_s,
                      memory_bytes=cfg.compile_memory_mb << 20, pids=cfg.pids_max,
                      file_size_bytes=cfg.compile_file_size_mb << 20,
                      open_files=cfg.open_files, stdout_bytes=cfg.compile_output_bytes,
                      stderr_keep_bytes=cfg.compile_output_bytes, stderr_hard_bytes=cfg.compile_output_bytes,
                      tmpfs_bytes=cfg.compile_memory_mb << 20)

    # ------------------------------------------------------------------ compilation
    def _build(self, lang: Language, req: ExecRequest) -> Build:
        compiler = getattr(self.config, lang.compiler)
        flags = list(req.compile_flags) if req.compile_flags is not None else list(lang.default_flags)
        code = {n: t for n, t in req.files.items() if n.lower().endswith(lang.code_suffixes)}
        key = compile_key(lang.name, compiler, flags, req.source, code)
        cache = self.compile_cache
        hit = cache.lookup(key)
        if hit is not None:
            return hit
        with cache.lock(key):  # concurrent requests of one submission wait for one compilation
            hit = cache.lookup(key)
            if hit is not None:
                return hit
            return self._compile(key, lang, compiler, flags, req.source, code)

    def _compile(self, key: str, lang: Language, compiler: str, flags: list[str], source: str,
                 code: dict[str, str]) -> Build:
        pch = None
        if lang.name == "cpp" and self.config.precompiled_header and uses_bits_header(source):
            pch = self.headers.get(compiler, flags, self._build_in_sandbox)
        main = lang.source_name(source)
        units = lang.units(main, code)
        argv = lang.compile_argv(compiler, flags, units, pch=pch is not None)
        mounts = [Mount(pch, PCH_MOUNT)] if pch is not None else []
        limits = self._compile_limits()
        with self._run_as() as owner, WorkDir(self.work_root, owner, inodes=self.config.work_inodes) as wd:
            wd.populate({**code, main: source})
            start = time.monotonic()
            out = self._execute(argv, owner, box=wd.box, stdin_path=wd.stdin, limits=limits, mounts=mounts)
            elapsed = round(time.monotonic() - start, 4)
            text = (out.stdout + out.stderr).decode("utf-8", errors="replace")
            if not out.started:
                build = Build(ok=False, output=text, time_s=elapsed,
                              system_error=f"sandbox failed while compiling: {out.setup_error}")
                return self.compile_cache.store(key, build, None)
            if pch is not None:  # did GCC really use the header? (-Winvalid-pch)
                text = self.headers.observe(compiler, flags, text)
            verdict, why = decide(out, limits)
            produced = lang.artifacts(wd.box)
            if verdict == Verdict.OK and produced:
                build = Build(ok=True, output=text, time_s=elapsed)
                return self.compile_cache.store(key, build, produced)
            reason = {Verdict.OLE: "compiler output too long (truncated)",
                      Verdict.TLE: "compilation exceeded its time limit",
                      Verdict.MLE: "compiler exceeded its memory limit"}.get(verdict, "")
            output = f"{text}\n{reason}".strip() if reason else text
            return self.compile_cache.store(key, Build(ok=False, output=output or why, time_s=elapsed), None)

    def precompiled_header(self, flags: Sequence[str] | None = None) -> dict[str, Any] | None:
        """Build (if not yet built) the precompiled ``bits/stdc++.h`` for ``flags`` (default: the
        C++ defaults) and return its recorded state (``r1 sandbox doctor``, benchmarks)."""
        cpp = LANGUAGES["cpp"]
        chosen = list(cpp.default_flags if flags is None else flags)
        check_compile_flags("cpp", chosen)
        compiler = getattr(self.config, cpp.compiler)
        self._executor()  # the gate and locks of this process (after a fork)
        self.headers.get(compiler, chosen, self._build_in_sandbox)
        return self.headers.state(compiler, chosen)

    def _build_in_sandbox(self, argv: list[str], box: Path, pch: PchLimits) -> str:
        """A precompiled header's build: in the sandbox, as the sandbox uid, with limits that fit
        a ~100-130 MiB ``.gch`` (an ordinary compilation may write 64 MiB)."""
        limits = dataclasses.replace(
            self._compile_limits(), cpu_s=max(pch.cpu_s, self.config.compile_time_limit_s),
            wall_s=max(pch.wall_s, self.config.compile_wall_limit_s),
            memory_bytes=max(pch.memory_mb, self.config.compile_memory_mb) << 20,
            file_size_bytes=max(pch.file_size_mb, self.config.compile_file_size_mb) << 20)
        with self._run_as() as owner, WorkDir(self.work_root, owner) as wd:
            wd.populate({})
            if owner is not None and owner != self._owner:  # the build dir is the run uid's
                for path in (box, *(p for p in box.iterdir() if p.is_dir() and not p.is_symlink())):
                    os.chown(path, *owner)
            out = self._execute(argv, owner, box=box, stdin_path=wd.stdin, limits=limits)
        verdict, why = decide(out, limits)
        return "" if verdict == Verdict.OK else f"{why}: {out.stderr.decode(errors='replace')[-500:]}"
