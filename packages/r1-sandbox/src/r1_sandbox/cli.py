"""``r1 sandbox run`` and ``r1 sandbox doctor`` (the local sandbox from the command line)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from r1_core.errors import DataError, SandboxError

if TYPE_CHECKING:
    from r1_sandbox.local_config import LocalSandboxConfig
    from r1_sandbox.probe import ProbeReport

__all__ = ["register_local_commands"]


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{what} {path} does not exist", "check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {what} {path}: {exc}", "pass a readable UTF-8 text file") from None


def register_local_commands(group: typer.Typer) -> None:
    @group.command("run")
    def run(
        file: Path = typer.Argument(..., help="program source file"),
        language: str = typer.Option(..., "--language", "-l", help="python, cpp, c or java"),
        stdin: Path | None = typer.Option(None, "--stdin", help="file fed to the program's stdin"),
        time_limit: float = typer.Option(2.0, "--time-limit", help="CPU seconds", min=0.001),
        memory_limit: int = typer.Option(256, "--memory-limit", help="MB for the whole process tree", min=1),
        json_out: bool = typer.Option(False, "--json", help="print the ExecResult as JSON"),
    ) -> None:
        """Run one program in the local sandbox and print its result."""
        from r1_core.cli.app import console, print_json
        from r1_core.protocols import ExecRequest

        from r1_sandbox.languages import LOCAL_LANGUAGES
        from r1_sandbox.languages import language as find_language
        from r1_sandbox.local import LocalSandbox

        if find_language(language, local=True) is None:
            raise SandboxError(f"unknown language {language!r} (r1 sandbox run --language)",
                               f"use one of {', '.join(LOCAL_LANGUAGES)}")
        request = ExecRequest(language=language, source=_read(file, "source file"),
                              stdin=_read(stdin, "stdin file") if stdin else "", time_limit_s=time_limit,
                              memory_limit_mb=memory_limit, id=file.name)
        with LocalSandbox(max_workers=1) as sandbox:
            result = sandbox.run([request])[0]
        if json_out:
            print_json(result.model_dump(mode="json"))
        else:
            console.print(f"{result.verdict.value}  cpu {result.cpu_time_s:.3f} s"
                          f"  wall {result.wall_time_s:.3f} s"
                          f"  memory {result.peak_memory_bytes / 2**20:.1f} MiB"
                          f"  tier {result.details.get('tier', '')}"
                          + (f"  ({result.message})" if result.message else ""), markup=False)
            for title, text in (("compile output", result.compile_output), ("stdout", result.stdout),
                                ("stderr", result.stderr)):
                if text:
                    console.print(f"--- {title}", markup=False)
                    console.print(text.rstrip("\n"), markup=False)
        raise typer.Exit(0 if result.verdict.value == "OK" else 1)

    @group.command("doctor")
    def doctor(json_out: bool = typer.Option(False, "--json", help="machine-readable report")) -> None:
        """Show which isolation layers and tiers the local sandbox finds on this machine."""
        from r1_core.cli.app import console, print_json

        from r1_sandbox.local_config import LocalSandboxConfig
        from r1_sandbox.probe import probe, rootless_advice

        config = LocalSandboxConfig()
        report = probe(config, fresh=True)
        data = report.to_dict()
        data["speed"] = _speed_layers(config, report)
        data["precompiled_header"] = _precompiled_header(config, report)
        data["without_root"] = rootless_advice(report)
        if json_out:
            print_json(data)
        else:
            console.print(f"root: {data['root']}  sandbox uid: {data['sandbox_uid']}  "
                          f"cgroup layout: {data['cgroup_layout']}", markup=False)
            console.print("layers:", markup=False)
            for name, status in data["layers"].items():
                console.print(f"  {name:<10} {status}", markup=False)
            console.print("tiers:", markup=False)
            for name, status in data["tiers"].items():
                console.print(f"  {name:<10} {status}", markup=False)
            console.print("speed:", markup=False)
            for name, status in data["speed"].items():
                console.print(f"  {name:<18} {status}", markup=False)
            console.print(f"  {'precompiled_header':<18} {_describe_pch(data['precompiled_header'])}",
                          markup=False)
            _print_without_root(data["without_root"])
            best = data["best_tier"]
            console.print(f"best tier: {best or 'none'}" + ("" if best == "strict" else
                          "  (accepted with a one-line warning)" if best == "rootless" else
                          "  (weak: needs allow_weak=True or R1_SANDBOX_ALLOW_WEAK=1)" if best else ""),
                          markup=False)
        raise typer.Exit(0 if data["best_tier"] else 1)



def _print_without_root(advice: dict[str, object]) -> None:
    """The doctor's "without root" section: what this user gets and exactly what gives more."""
    from r1_core.cli.app import console

    console.print("without root:", markup=False)
    if not advice["applies"]:
        console.print(f"  {advice['note']}", markup=False)
        return
    console.print(f"  tier {advice['tier']}; cgroup: {advice['cgroup']}", markup=False)
    if advice["gaps"]:
        console.print(f"  not bounded: {advice['gaps']}", markup=False)
    for line in advice["for_more"]:  # type: ignore[attr-defined]
        console.print(f"  for more: {line}", markup=False)


def _precompiled_header(config: LocalSandboxConfig, report: ProbeReport) -> dict[str, object]:
    """The precompiled bits/stdc++.h of the default C++ flags: built now if it never was (inside
    the sandbox, once per machine), then its recorded state: built (path, size, uid that wrote it)
    or failed (reason). Other flag sets' headers are counted."""
    import warnings

    from r1_sandbox.languages import LANGUAGES
    from r1_sandbox.pch import read_states

    flags = list(LANGUAGES["cpp"].default_flags)
    if not config.precompiled_header:
        return {"state": "off", "reason": "precompiled_header=False", "flags": flags}
    if report.best is None:
        return {"state": "not built", "reason": "no isolation tier to build it in", "flags": flags}
    from r1_sandbox.local import LocalSandbox

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tier is reported above
            with LocalSandbox(config.model_copy(update={"allow_weak": True, "max_workers": 1})) as sandbox:
                state = sandbox.precompiled_header() or {"state": "not built", "reason": "unknown"}
                others = [s for s in read_states(sandbox.headers.root)
                          if s.get("state") == "built" and not s.get("default_flags")]
    except (SandboxError, OSError) as exc:
        return {"state": "not built", "reason": str(exc), "flags": flags}
    return {**state, "other_flag_sets_built": len(others)}


def _describe_pch(state: dict[str, object]) -> str:
    flags = " ".join(map(str, state.get("flags") or ()))
    if state.get("state") == "built":
        size = int(state.get("size") or 0) / 2**20  # type: ignore[call-overload]
        uid = state.get("built_by_uid")
        return (f"built for {flags}: {state.get('path')} ({size:.0f} MiB, written by uid {uid} inside "
                f"the sandbox in {state.get('seconds')} s; {state.get('other_flag_sets_built', 0)} other "
                "flag sets built)")
    return (f"{str(state.get('state')).upper()} for {flags}: {state.get('reason')} — C++ sources "
            "including bits/stdc++.h compile ~3x slower (docs/sandbox.md, \"Precompiled header\")")


def _speed_layers(config: LocalSandboxConfig, report: ProbeReport) -> dict[str, str]:
    """What keeps a run cheap here (docs/sandbox.md, "Performance")."""
    import os

    from r1_sandbox.launcher import build_launcher
    from r1_sandbox.probe import cache_dir_for

    launcher = build_launcher(cache_dir_for(config, report.uid), config.cc)
    pool_off = os.environ.get("R1_SANDBOX_NETNS_POOL") == "0"
    pooled = launcher is not None and report.uid is not None and not pool_off
    warmer_off = os.environ.get("R1_SANDBOX_CGROUP_WARMER") == "0"
    return {
        "launcher": f"C helper {launcher}" if launcher else f"none ({config.cc} cannot build it): preexec_fn",
        "network_namespaces": "pooled (one empty namespace per run at a time)" if pooled
        else "a new one per run (bwrap --unshare-net)",
        "user_namespaces": "refused by seccomp (clone, clone3)" if report.seccomp_blocks_userns
        else "refused by bwrap --disable-userns",
        "cgroup_warmer": "off (R1_SANDBOX_CGROUP_WARMER=0)" if warmer_off else "on while runs are in flight",
    }
