"""The allow-list of ``ExecRequest.compile_flags``: compiler options are code.

GCC and javac accept options that make them run other programs or read and write host files
(``-wrapper``, ``-fplugin=``, ``-B``, ``-specs=``, ``@file``, ``-Wl,-plugin``, ``-fuse-ld=``,
``-fdump-*``, ``-save-temps``, ``-include``, ``-J-XX:OnError=``, ``-processor``...). Compilation
runs inside the sandbox, but a request must still not choose what the compiler executes, so
flags from a request pass only if every one of them is on this list: optimisation levels,
language standards, ``-D``/``-U`` macros with plain names, warnings, a vetted set of ``-f``/``-m``
code-generation options, ``-l`` of the standard libraries, ``-pthread``, ``-static``. Anything
else is refused with a one-line :class:`~r1_core.errors.SandboxError` before anything runs (the
router answers 422). The same check runs in the local sandbox, in ``r1 sandbox serve`` for every
provider behind it, and in the ``router`` client before a request leaves the trainer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from r1_core.errors import SandboxError

__all__ = ["MAX_FLAGS", "check_compile_flags", "check_requests", "link_only"]

MAX_FLAGS = 64
MAX_FLAG_CHARS = 128
_HINT = ("use optimisation levels, -std=, -D/-U macros, -W warnings, -pthread, -static, -l<m|pthread|"
         "rt|stdc++|atomic|quadmath> and vetted -f/-m options (docs/sandbox.md, \"Compile flags\")")

_C_STDS = {f"{p}{v}" for p in ("c", "gnu")
           for v in ("89", "90", "99", "9x", "11", "1x", "17", "18", "2x", "23")}
_C_STDS |= {"iso9899:1990", "iso9899:199409", "iso9899:1999", "iso9899:2011", "iso9899:2017", "iso9899:2018"}
_CXX_STDS = {f"{p}{v}" for p in ("c++", "gnu++")
             for v in ("98", "03", "0x", "11", "1y", "14", "1z", "17", "2a", "20", "2b", "23", "2c", "26")}
_LIBS = {"m", "pthread", "rt", "stdc++", "stdc++fs", "atomic", "quadmath", "gmp", "gmpxx", "crypt"}
# -f options that change code generation or diagnostics only (no files, no programs, no paths)
_F_OPTIONS = {
    "exceptions", "rtti", "omit-frame-pointer", "stack-protector", "stack-protector-strong",
    "stack-protector-all", "stack-protector-explicit", "unroll-loops", "unroll-all-loops", "peel-loops",
    "fast-math", "math-errno", "wrapv", "trapv", "strict-aliasing", "strict-overflow", "permissive",
    "signed-char", "unsigned-char", "pic", "PIC", "pie", "PIE", "asm", "builtin", "inline",
    "inline-functions", "inline-small-functions", "tree-vectorize", "tree-loop-vectorize",
    "tree-slp-vectorize", "vect-cost-model", "optimize-sibling-calls", "gcse", "ipa-cp-clone",
    "openmp", "openmp-simd", "coroutines", "concepts", "char8_t", "elide-constructors",
    "threadsafe-statics", "common", "short-enums", "plt", "sized-deallocation", "aligned-new",
    "keep-inline-functions", "implicit-templates", "lifetime-dse", "delete-null-pointer-checks",
    "isolate-erroneous-paths-dereference", "sanitize-recover", "sanitize-undefined-trap-on-error",
    "diagnostics-show-caret", "diagnostics-show-option", "diagnostics-color", "pretty-templates",
    "show-column", "operator-names", "ext-numeric-literals", "gnu-keywords", "gnu89-inline",
    "trivial-auto-var-init=zero", "trivial-auto-var-init=pattern", "trivial-auto-var-init=uninitialized",
    "excess-precision=fast", "excess-precision=standard", "float-store", "rounding-math",
    "finite-math-only", "unsafe-math-optimizations", "associative-math", "reciprocal-math",
    "signed-zeros", "trapping-math", "rename-registers", "prefetch-loop-arrays", "tracer",
    "branch-probabilities", "split-loops", "unswitch-loops", "move-loop-invariants",
    "schedule-insns", "schedule-insns2", "reorder-blocks", "align-functions", "align-loops",
    "align-jumps", "align-labels", "ipa-pta", "devirtualize", "strict-enums",
}
_F_NUMERIC = {"max-errors", "template-depth", "constexpr-depth", "constexpr-loop-limit",
              "constexpr-ops-limit", "constexpr-cache-depth", "abi-version", "message-length",
              "align-functions", "align-loops", "align-jumps", "align-labels"}
_SANITIZERS = {"undefined", "signed-integer-overflow", "shift", "integer-divide-by-zero", "unreachable",
               "vla-bound", "null", "return", "bounds", "bounds-strict", "alignment", "object-size",
               "float-divide-by-zero", "float-cast-overflow", "bool", "enum", "vptr", "pointer-overflow",
               "builtin"}
# -m options: instruction sets and tuning for this machine (codegen only)
_M_OPTIONS = {"64", "sse", "sse2", "sse3", "ssse3", "sse4", "sse4.1", "sse4.2", "avx", "avx2", "fma",
              "bmi", "bmi2", "popcnt", "lzcnt", "abm", "f16c", "movbe", "aes", "pclmul", "avx512f",
              "avx512bw", "avx512dq", "avx512vl", "avx512cd", "tune=native", "arch=native",
              "fpmath=sse", "fpmath=387", "ieee-fp", "red-zone", "long-double-80", "long-double-128"}
_ARCH = re.compile(r"-m(arch|tune)=[a-z][a-z0-9.-]{0,30}")
_EXACT_C = {"-O", "-O0", "-O1", "-O2", "-O3", "-Os", "-Og", "-Ofast", "-Oz", "-pipe", "-pthread",
            "-static", "-static-libgcc", "-static-libstdc++", "-static-pie", "-no-pie", "-pie", "-s",
            "-g", "-g0", "-g1", "-g2", "-g3", "-ggdb", "-w", "-pedantic", "-pedantic-errors", "-ansi",
            "-Wpedantic", "-rdynamic"}
_MACRO = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]{0,63})(?:=(?P<value>[A-Za-z0-9_.+\-]{0,64}))?")
# -W<warning>, -Wno-<warning>, -Werror, -Werror=<warning>, -W<warning>=<n|word>; no commas, so
# never -Wl, (linker) -Wa, (assembler) or -Wp, (preprocessor) pass-through
_WARNING = re.compile(r"-W(?:no-)?(?:error(?:=[a-z][a-z0-9+-]{1,63})?"
                      r"|[a-z][a-z0-9+-]{1,63}(?:=[a-z0-9-]{1,16})?)")  # no -Wl, -Wa, -Wp alone
_JAVA_EXACT = {"-g", "-g:none", "-nowarn", "-Werror", "-deprecation", "-proc:none", "-parameters",
               "--enable-preview", "-Xlint", "-Xlint:none", "-Xlint:all", "-Xdiags:compact",
               "-Xdiags:verbose", "-J-XX:+UseSerialGC", "-J-XX:-UsePerfData", "-J-XX:TieredStopAtLevel=1",
               "-J-XX:+TieredCompilation", "-J-XX:-TieredCompilation", "-J-Xshare:auto", "-J-Xshare:off"}
_JAVA_PATTERNS = (re.compile(r"-g:(?:lines|vars|source)(?:,(?:lines|vars|source)){0,2}"),
                  re.compile(r"-Xlint:-?[a-z]{1,20}(?:,-?[a-z]{1,20}){0,20}"),
                  re.compile(r"-J-X(?:mx|ms|ss)[0-9]{1,6}[kKmMgG]?"))
_JAVA_VALUED = {"-encoding": re.compile(r"(?i)utf-?8|us-ascii|iso-8859-1|latin1"),
                "-source": re.compile(r"(?:1\.)?[0-9]{1,2}"), "-target": re.compile(r"(?:1\.)?[0-9]{1,2}"),
                "--release": re.compile(r"[0-9]{1,2}"), "-Xmaxerrs": re.compile(r"[0-9]{1,5}"),
                "-Xmaxwarns": re.compile(r"[0-9]{1,5}")}


def _refuse(language: str, flag: str, why: str = "is not an allowed compile flag") -> SandboxError:
    shown = flag if len(flag) <= 60 else flag[:57] + "..."
    return SandboxError(f"compile_flags for {language}: {shown!r} {why}", _HINT)


def _c_family_flag(flag: str, stds: set[str]) -> bool:
    if flag in _EXACT_C:
        return True
    if flag.startswith("-std="):
        return flag[5:] in stds
    if flag.startswith("-W"):
        return _WARNING.fullmatch(flag) is not None
    if flag.startswith("-l"):
        return flag[2:] in _LIBS
    if flag.startswith("-fsanitize="):
        return all(s in _SANITIZERS for s in flag[11:].split(","))
    if flag.startswith("-fno-sanitize-recover=") or flag.startswith("-fsanitize-recover="):
        return all(s in _SANITIZERS | {"all"} for s in flag.split("=", 1)[1].split(","))
    if flag.startswith("-f"):
        name = flag[2:]
        if name.startswith("no-"):
            name = name[3:]
        if name in _F_OPTIONS:
            return True
        key, eq, value = name.partition("=")
        if eq and key in _F_NUMERIC:
            return value.isdigit() and len(value) <= 9
        if key == "diagnostics-color":
            return value in ("never", "always", "auto")
        return False
    if flag.startswith("-m"):
        name = flag[2:]
        if name.startswith("no-"):
            name = name[3:]
        return name in _M_OPTIONS or _ARCH.fullmatch(flag) is not None
    return False


def _java_flag(flag: str) -> bool:
    return flag in _JAVA_EXACT or any(p.fullmatch(flag) for p in _JAVA_PATTERNS)


def check_compile_flags(language: str, flags: Sequence[str] | None) -> None:
    """Raise :class:`SandboxError` (one line) unless every flag is on the allow-list of ``language``
    (a name the local sandbox knows: ``cpp``, ``c``, ``java``, ``python``; aliases accepted)."""
    if flags is None:
        return
    from r1_sandbox.languages import language as find_language

    lang = find_language(language)
    name = lang.name if lang is not None else str(language)
    flags = list(flags)
    if not flags:
        return
    if lang is None or not lang.compiled:
        raise SandboxError(f"compile_flags given for {name}, which is not compiled",
                           "leave compile_flags unset for interpreted languages")
    if len(flags) > MAX_FLAGS:
        raise SandboxError(f"compile_flags for {name}: {len(flags)} flags (at most {MAX_FLAGS})", _HINT)
    i = 0
    while i < len(flags):
        flag = flags[i]
        if not isinstance(flag, str) or len(flag) > MAX_FLAG_CHARS or not flag.isprintable() or " " in flag:
            raise _refuse(name, str(flag), "is not a single plain option")
        if lang.name == "java":
            if flag in _JAVA_VALUED:
                value = flags[i + 1] if i + 1 < len(flags) and isinstance(flags[i + 1], str) else ""
                if not _JAVA_VALUED[flag].fullmatch(value):
                    raise _refuse(name, f"{flag} {value}".strip(), "has a value that is not allowed")
                i += 2
                continue
            if not _java_flag(flag):
                raise _refuse(name, flag)
            i += 1
            continue
        if flag in ("-D", "-U"):  # the separate form: the next argument is the macro
            if i + 1 >= len(flags) or not isinstance(flags[i + 1], str):
                raise _refuse(name, flag, "needs a macro name")
            flag, i = flag + flags[i + 1], i + 1
            if len(flag) > MAX_FLAG_CHARS or not flag.isprintable() or " " in flag:
                raise _refuse(name, flag, "is not a single plain option")
        if flag.startswith(("-D", "-U")):
            match = _MACRO.fullmatch(flag[2:])
            if match is None or (flag.startswith("-U") and match.group("value") is not None):
                raise _refuse(name, flag, "is not a plain macro (NAME or NAME=word)")
            i += 1
            continue
        if not _c_family_flag(flag, _CXX_STDS if lang.name == "cpp" else _C_STDS):
            raise _refuse(name, flag)
        i += 1


def check_requests(requests: Iterable[object]) -> None:
    """:func:`check_compile_flags` over ``ExecRequest``-shaped objects (``language``, ``compile_flags``)."""
    for req in requests:
        check_compile_flags(getattr(req, "language", ""), getattr(req, "compile_flags", None))


_LINK_ONLY = re.compile(r"-l\S+|-static(?:-\S+)?|-s|-rdynamic|-no-pie|-pie")


def link_only(flag: str) -> bool:
    """Flags that matter only when linking (left out of a precompiled header's build and key)."""
    return _LINK_ONLY.fullmatch(flag) is not None
