"""Languages the local sandbox runs: file names, compile and run command lines, build artifacts."""

from __future__ import annotations

import functools
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ARTIFACTS", "LANGUAGES", "PCH_MOUNT", "Language", "language"]

ARTIFACTS = "/r1/bin"  # where a cached build (binary, classes) is mounted read-only in the sandbox
PCH_MOUNT = "/r1/pch"  # where the precompiled-header dir is mounted for compilation
_JAVA_CLASS = re.compile(r"^\s*public\s+(?:final\s+|abstract\s+)*class\s+(\w+)", re.MULTILINE)


@dataclass(frozen=True)
class Language:
    """How to build and run one language.

    ``code_suffixes``: files of ``ExecRequest.files`` that take part in compilation (and in the
    compile-cache key); other files are runtime data (inputs, expected outputs for checkers).
    ``compiler`` / ``runner`` name the config attributes holding the tools' paths.
    """

    name: str
    default_source_name: str
    default_flags: tuple[str, ...] = ()
    code_suffixes: tuple[str, ...] = ()
    compiler: str = ""  # "" = interpreted
    runner: str = ""  # "" = the build runs by itself
    link_flags: tuple[str, ...] = ()
    unit_suffixes: tuple[str, ...] = ()  # code files compiled as translation units (the rest: headers)

    @property
    def compiled(self) -> bool:
        return bool(self.compiler)

    def source_name(self, source: str) -> str:
        if self.name == "java":  # javac wants the public class in <Name>.java
            match = _JAVA_CLASS.search(source)
            return f"{match.group(1) if match else 'Main'}.java"
        return self.default_source_name

    def compile_argv(self, compiler: str, flags: list[str], units: list[str], *, pch: bool) -> list[str]:
        if self.name == "java":
            return [compiler, *flags, "-d", ".", *units]
        # -Winvalid-pch: GCC says when it refuses the header (pch.PrecompiledHeaders.observe)
        include = [f"-I{PCH_MOUNT}", "-Winvalid-pch", "-Wno-error=invalid-pch"] if pch else []
        return [compiler, *flags, *include, "-fmax-errors=5", *_fast_linker(), "-o", "prog", *units,
                *self.link_flags]

    def artifacts(self, box: Path) -> list[Path]:
        """What a successful compilation produced (copied into the compile cache)."""
        if self.name == "java":
            return sorted(box.glob("*.class"))
        return [box / "prog"] if (box / "prog").is_file() else []

    def run_argv(self, runner: str, source: str, args: list[str]) -> list[str]:
        if self.name == "java":
            # serial GC: few threads (they count against the process limit); no perf-data file
            return [runner, "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xss64m", "-cp", f"{ARTIFACTS}:.",
                    self.source_name(source)[:-5], *args]
        if self.compiled:
            return [f"{ARTIFACTS}/prog", *args]
        # -E -s: no environment, no user site; the work dir stays importable (files are modules)
        return [runner, "-E", "-s", "-B", self.default_source_name, *args]


CPP_SUFFIXES = (".cpp", ".cc", ".cxx", ".c++", ".h", ".hpp", ".hh", ".hxx", ".ipp", ".tpp", ".inc")

LANGUAGES: dict[str, Language] = {
    "python": Language("python", "main.py", code_suffixes=(".py",), runner="python"),
    "cpp": Language("cpp", "main.cpp", ("-std=gnu++17", "-O2", "-pipe", "-DONLINE_JUDGE"), CPP_SUFFIXES,
                    "cxx", unit_suffixes=(".cpp", ".cc", ".cxx", ".c++")),
    "c": Language("c", "main.c", ("-std=gnu11", "-O2", "-pipe", "-DONLINE_JUDGE"), (".c", ".h"), "cc",
                  link_flags=("-lm",), unit_suffixes=(".c",)),
    "java": Language("java", "Main.java", ("-encoding", "UTF-8", "-J-XX:+UseSerialGC", "-J-XX:-UsePerfData"),
                     (".java",), "javac", runner="java", unit_suffixes=(".java",)),
}
ALIASES = {"python3": "python", "py": "python", "c++": "cpp", "cxx": "cpp", "g++": "cpp", "java17": "java"}


@functools.lru_cache(maxsize=1)
def _fast_linker() -> tuple[str, ...]:
    """gold links a judge-sized program in ~40 ms instead of ld.bfd's ~150 ms (same binary semantics)."""
    return ("-fuse-ld=gold",) if shutil.which("ld.gold") else ()


def language(name: str) -> Language | None:
    return LANGUAGES.get(ALIASES.get(name.lower(), name.lower()))
