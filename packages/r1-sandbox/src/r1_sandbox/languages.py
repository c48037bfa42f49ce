"""The languages r1 runs: file names, compile and run command lines, build artifacts.

This table is the one source of both the local sandbox and the cloud VMs (E2B, Morph): the cloud
runner has no table of its own, it receives the command lines built here (:mod:`r1_sandbox.cloud`),
so a program compiles with the same flags (``-DONLINE_JUDGE``...) wherever it runs.
"""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ARTIFACTS", "LANGUAGES", "LOCAL_LANGUAGES", "PCH_MOUNT", "Language", "language"]

ARTIFACTS = "/r1/bin"  # where a cached build (binary, classes) is mounted read-only in the sandbox
PCH_MOUNT = "/r1/pch"  # where the precompiled-header dir is mounted for compilation
_JAVA_CLASS = re.compile(r"^\s*public\s+(?:final\s+|abstract\s+)*class\s+(\w+)", re.MULTILINE)


@dataclass(frozen=True)
class Language:
    """How to build and run one language.

    ``code_suffixes``: files of ``ExecRequest.files`` that take part in compilation (and in the
    compile-cache key); other files are runtime data (inputs, expected outputs for checkers).
    ``compiler`` / ``runner`` name the tools: the local sandbox's config attributes holding their
    paths, and the keys of the cloud VMs' commands (:data:`r1_sandbox.cloud.VM_TOOLS`).
    ``local``: the local sandbox runs it (``False``: the cloud VMs only). ``address_space_limit``:
    the runtime lives within an address-space limit (RLIMIT_AS) of the memory limit; V8 and the JVM
    reserve far more than they use, so where RLIMIT_AS is the only memory bound (a cloud VM) their
    memory is not bounded.
    """

    name: str
    default_source_name: str
    default_flags: tuple[str, ...] = ()
    code_suffixes: tuple[str, ...] = ()
    compiler: str = ""  # "" = interpreted
    runner: str = ""  # "" = the build runs by itself
    link_flags: tuple[str, ...] = ()
    unit_suffixes: tuple[str, ...] = ()  # code files compiled as translation units (the rest: headers)
    run_flags: tuple[str, ...] = ()  # an interpreter's options before the source file
    local: bool = True
    address_space_limit: bool = True

    @property
    def compiled(self) -> bool:
        return bool(self.compiler)

    def source_name(self, source: str) -> str:
        if self.name == "java":  # javac wants the public class in <Name>.java
            match = _JAVA_CLASS.search(source)
            return f"{match.group(1) if match else 'Main'}.java"
        return self.default_source_name

    def units(self, main: str, files: Iterable[str]) -> list[str]:
        """What the compiler is given: the main file, then the request's translation units."""
        return [main, *sorted(n for n in files if n.lower().endswith(self.unit_suffixes) and n != main)]

    def compile_argv(self, compiler: str, flags: list[str], units: list[str], *, pch: bool,
                     fast_linker: bool = True) -> list[str]:
        """``fast_linker``: link with gold when this machine has it (not for a VM's compiler)."""
        if self.name == "java":
            return [compiler, *flags, "-d", ".", *units]
        # -Winvalid-pch: GCC says when it refuses the header (pch.PrecompiledHeaders.observe)
        include = [f"-I{PCH_MOUNT}", "-Winvalid-pch", "-Wno-error=invalid-pch"] if pch else []
        linker = _fast_linker() if fast_linker else ()
        return [compiler, *flags, *include, "-fmax-errors=5", *linker, "-o", "prog", *units, *self.link_flags]

    def artifacts(self, box: Path) -> list[Path]:
        """What a successful compilation produced (copied into the compile cache)."""
        if self.name == "java":
            return sorted(box.glob("*.class"))
        return [box / "prog"] if (box / "prog").is_file() else []

    def run_argv(self, runner: str, source: str, args: list[str], *, artifacts: str = ARTIFACTS) -> list[str]:
        """``artifacts``: where the build is (the local sandbox mounts it; a VM builds in the work dir)."""
        if self.name == "java":
            # serial GC: few threads (they count against the process limit); no perf-data file
            classpath = "." if artifacts == "." else f"{artifacts}:."
            return [runner, "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xss64m", "-cp", classpath,
                    self.source_name(source)[:-5], *args]
        if self.compiled:
            return [f"{artifacts}/prog", *args]
        return [runner, *self.run_flags, self.source_name(source), *args]


CPP_SUFFIXES = (".cpp", ".cc", ".cxx", ".c++", ".h", ".hpp", ".hh", ".hxx", ".ipp", ".tpp", ".inc")

LANGUAGES: dict[str, Language] = {
    # -E -s: no environment, no user site; the work dir stays importable (files are modules)
    "python": Language("python", "main.py", code_suffixes=(".py",), runner="python",
                       run_flags=("-E", "-s", "-B")),
    "cpp": Language("cpp", "main.cpp", ("-std=gnu++17", "-O2", "-pipe", "-DONLINE_JUDGE"), CPP_SUFFIXES,
                    "cxx", unit_suffixes=(".cpp", ".cc", ".cxx", ".c++")),
    "c": Language("c", "main.c", ("-std=gnu11", "-O2", "-pipe", "-DONLINE_JUDGE"), (".c", ".h"), "cc",
                  link_flags=("-lm",), unit_suffixes=(".c",)),
    "java": Language("java", "Main.java", ("-encoding", "UTF-8", "-J-XX:+UseSerialGC", "-J-XX:-UsePerfData"),
                     (".java",), "javac", runner="java", unit_suffixes=(".java",), address_space_limit=False),
    "javascript": Language("javascript", "main.js", code_suffixes=(".js",), runner="node", local=False,
                           address_space_limit=False),
}
ALIASES = {"python3": "python", "py": "python", "c++": "cpp", "cxx": "cpp", "g++": "cpp", "java17": "java",
           "js": "javascript", "node": "javascript"}
LOCAL_LANGUAGES = tuple(name for name, lang in LANGUAGES.items() if lang.local)


@functools.lru_cache(maxsize=1)
def _fast_linker() -> tuple[str, ...]:
    """gold links a judge-sized program in ~40 ms instead of ld.bfd's ~150 ms (same binary semantics)."""
    return ("-fuse-ld=gold",) if shutil.which("ld.gold") else ()


def language(name: str, *, local: bool = False) -> Language | None:
    """The language called ``name`` (or an alias); ``local=True``: only if the local sandbox runs it."""
    found = LANGUAGES.get(ALIASES.get(name.lower(), name.lower()))
    return None if found is None or (local and not found.local) else found
