"""Languages the local sandbox runs: file names, compile and run command lines."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BINARY", "LANGUAGES", "PCH_MOUNT", "Language"]

BINARY = "/r1/bin/prog"  # where a cached binary is mounted (read-only) in the sandbox
PCH_MOUNT = "/r1/pch"  # where the precompiled-header dir is mounted for compilation


@dataclass(frozen=True)
class Language:
    """How to build and run one language.

    ``code_suffixes``: files of ``ExecRequest.files`` that take part in compilation (and in the
    compile-cache key); other files are runtime data (inputs, expected outputs for checkers).
    """

    name: str
    source_name: str
    default_flags: tuple[str, ...] = ()
    code_suffixes: tuple[str, ...] = ()
    compiler: str = ""  # config attribute naming the compiler ("cxx", "cc"); "" = interpreted
    link_flags: tuple[str, ...] = ()
    unit_suffixes: tuple[str, ...] = ()  # code files compiled as translation units (the rest: headers)

    @property
    def compiled(self) -> bool:
        return bool(self.compiler)

    def compile_argv(self, compiler: str, flags: list[str], units: list[str], *, pch: bool) -> list[str]:
        include = [f"-I{PCH_MOUNT}"] if pch else []
        return [compiler, *flags, *include, "-fmax-errors=5", "-o", "prog", *units, *self.link_flags]

    def run_argv(self, interpreter: str, args: list[str]) -> list[str]:
        if self.compiled:
            return [BINARY, *args]
        # -E -s: no environment, no user site; the work dir stays importable (files are modules)
        return [interpreter, "-E", "-s", "-B", self.source_name, *args]


CPP_SUFFIXES = (".cpp", ".cc", ".cxx", ".c++", ".h", ".hpp", ".hh", ".hxx", ".ipp", ".tpp", ".inc")

LANGUAGES: dict[str, Language] = {
    "python": Language("python", "main.py", code_suffixes=(".py",)),
    "cpp": Language("cpp", "main.cpp", ("-std=gnu++17", "-O2", "-pipe", "-DONLINE_JUDGE"), CPP_SUFFIXES,
                    "cxx", unit_suffixes=(".cpp", ".cc", ".cxx", ".c++")),
    "c": Language("c", "main.c", ("-std=gnu11", "-O2", "-pipe", "-DONLINE_JUDGE"), (".c", ".h"), "cc",
                  link_flags=("-lm",), unit_suffixes=(".c",)),
}
ALIASES = {"python3": "python", "py": "python", "c++": "cpp", "cxx": "cpp", "g++": "cpp"}


def language(name: str) -> Language | None:
    return LANGUAGES.get(ALIASES.get(name.lower(), name.lower()))
