"""Compiler flags are code: the allow-list of `compile_flags`, everywhere a request can carry them.

Every flag that makes GCC or javac run another program, load a plugin, read or write a path of
the caller's choosing is refused with a one-line SandboxError before anything runs — through the
local sandbox (nothing is spawned at all), `r1 sandbox serve` (HTTP 422, the provider is never
called) and the `router` client (nothing is sent). Allowed flags compile and run correctly.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from r1_core.errors import SandboxError
from r1_core.protocols import ExecRequest, Verdict
from r1_sandbox.compile_flags import check_compile_flags
from r1_sandbox.router_client import RouterSandbox
from r1_sandbox.router_server import running_router

sys.path.insert(0, str(Path(__file__).parent))
from test_router_fakes import EchoSandbox

MARKER = Path("/tmp/r1-flag-marker-never-created")  # fixed: parametrize ids must match across workers
TOUCH = f"/bin/sh,-c,touch {MARKER}"

# options that make the compiler driver run programs, load code, or read/write paths we did not choose
HOSTILE_C_FAMILY = [
    ["-wrapper", TOUCH], [f"-wrapper={TOUCH}"], ["-O2", "-wrapper", "/usr/bin/env"],
    ["-fplugin=/tmp/evil.so"], ["-fplugin-arg-evil-cmd=touch"], ["-iplugindir=/tmp"],
    ["-B", "/tmp/evil/"], ["-B/tmp/evil/"], ["-specs=/tmp/evil.specs"], ["--specs=/tmp/evil.specs"],
    ["--spec=/tmp/evil.specs"], ["@/tmp/evil-args"], ["-O2", "@/proc/self/environ"],
    ["-fdump-tree-all"], ["-fdump-rtl-all=/tmp/x"], ["-fdump-ipa-all"], ["-fdump-lang-raw"],
    ["-fdump-passes"], ["-fdump-final-insns=/tmp/x"],
    ["--param", "ggc-min-expand=0"], ["--param=max-inline-insns-single=1"],
    ["-Wl,-plugin,/tmp/evil.so"], ["-Wl,--wrap=main"], ["-Wl,-rpath,/tmp"], ["-Wl,@/tmp/x"],
    ["-Wl"], ["-Xlinker", "-plugin"], ["-Xlinker=-plugin"], ["-Wa,-o,/tmp/x"], ["-Wa,--MD,/tmp/x"],
    ["-Wp,-include,/etc/shadow"], ["-Wp,-MD,/tmp/x"], ["-Xassembler", "--defsym"],
    ["-Xpreprocessor", "-include"], ["-fuse-ld=bfd"], ["-fuse-ld=/tmp/evil"], ["-fuse-linker-plugin"],
    ["-flto"], ["-flto=jobserver"], ["-flto-partition=none"],
    ["-save-temps"], ["-save-temps=obj"], ["-dumpdir", "/tmp/"], ["-dumpbase", "x"], ["-dumpspecs"],
    ["-o", "/tmp/x"], ["-o/tmp/x"], ["-x", "assembler"], ["-xc"], ["-x", "none"],
    ["-include", "/etc/shadow"], ["-include/etc/passwd"], ["-imacros", "/etc/passwd"], ["-I/etc"],
    ["-I", "/root"], ["-isystem", "/tmp"], ["-iquote/tmp"], ["-idirafter", "/tmp"], ["-L/tmp"],
    ["-l:libevil.so"], ["-levil"], ["-l", "m"], ["--sysroot=/tmp"], ["-isysroot", "/tmp"],
    ["-nostdlib"], ["-nostartfiles"], ["-nodefaultlibs"],
    ["-fprofile-generate"], ["-fprofile-use=/tmp/x"], ["-fprofile-dir=/tmp"], ["-fauto-profile=/tmp/x"],
    ["-fmodules-ts"], ["-fmodule-mapper=|/bin/sh -c id"], ["-fmodule-mapper=/tmp/map"],
    ["-fcallgraph-info"], ["-fstack-usage"], ["-aux-info", "/tmp/x"], ["-fopt-info-all=/tmp/x"],
    ["-frecord-gcc-switches"], ["-fdebug-prefix-map=/=/tmp"], ["-ffile-prefix-map=/=/x"],
    ["-fdiagnostics-format=json-file"], ["-fself-test=/tmp"], ["-fsanitize=address"], ["-fsanitize=leak"],
    ["-fsanitize=thread"], ["-MD"], ["-MMD"], ["-MF", "/tmp/x"], ["-MF/tmp/x"], ["-M"], ["-E"], ["-S"],
    ["-c"], ["-v"], ["-###"], ["--help"], ["--version"], ["-print-prog-name=cc1"], ["-print-search-dirs"],
    ["-m32"], ["-mabi=ms"], ["-march=native -wrapper"],
    ["-O2 -wrapper /bin/sh"], ["-O2\n-wrapper"], ["-DX=1\x00"], ["-D", "-wrapper"], ["-D"], ["-U"],
    ["-DX=$(id)"], ["-DX;touch"], ["-D'X'"], ["-DX=`id`"], ["-U", "X=1"], ["-D1X"], ["-DX Y"],
    ["-std=c++17", "-Wl,-plugin,/tmp/x.so"], ["-std=c++17", "-O2", "-DONLINE_JUDGE", "-B/tmp"],
    ["-Werror,-Wl"], ["-W,l"], ["-std=c++17;id"], ["-std=../../etc"], ["-O9"], ["-Ofoo"],
    ["-fstack-protector", "-specs=x"], ["-" + "x" * 200],
]
HOSTILE_JAVA = [
    [f"-J-XX:OnError={TOUCH}"], ["-J-XX:OnOutOfMemoryError=touch /tmp/x"], ["-J-javaagent:/tmp/a.jar"],
    ["-J-agentpath:/tmp/x.so"], ["-J-agentlib:jdwp=transport=dt_socket"], ["-J-Djava.security.manager=allow"],
    ["-J-Xbootclasspath/a:/tmp"], ["-J-XX:+UnlockDiagnosticVMOptions"], ["-J-Xlog:all=trace:file=/tmp/x"],
    ["-J-XX:CompileCommand=option,*.*,PrintAssembly"], ["-processor", "Evil"], ["-processorpath", "/tmp"],
    ["--processor-path", "/tmp"], ["--processor-module-path", "/tmp"], ["-Xplugin:Evil"],
    ["@/tmp/args"], ["-d", "/tmp"], ["-cp", "/tmp"], ["-classpath", "/tmp"], ["--class-path", "/tmp"],
    ["-sourcepath", "/tmp"], ["-s", "/tmp"], ["-h", "/tmp"], ["--module-path", "/tmp"],
    ["-Xbootclasspath/p:/tmp"], ["-encoding", "../../x"], ["-encoding"], ["-source", "8; rm"],
    ["--add-opens", "java.base/java.lang=ALL-UNNAMED"], ["-Xstdout", "/tmp/x"], ["-implicit:class"],
    ["-encoding", "UTF-8", "-J-XX:OnError=id"], ["-J"], ["-J-Xmx99999999999g"],
]
ALLOWED = [
    ("cpp", ["-std=gnu++20", "-O3", "-DLOCAL", "-DN=5", "-D", "M=x1", "-UFOO", "-Wall", "-Wextra",
             "-Wno-unused-variable", "-Werror=return-type", "-march=native", "-pthread", "-lm",
             "-fno-stack-protector", "-funroll-loops", "-g0", "-pipe", "-fsanitize=undefined"]),
    ("cpp", ["-std=c++17", "-O2", "-static", "-s", "-DONLINE_JUDGE", "-mavx2", "-mtune=native"]),
    ("c", ["-std=gnu11", "-O2", "-lm", "-DONLINE_JUDGE", "-Wall", "-fno-strict-aliasing", "-w"]),
    ("java", ["-encoding", "UTF-8", "-J-XX:+UseSerialGC", "-J-XX:-UsePerfData", "-g:none",
              "-Xlint:none", "-J-Xmx256m", "--release", "17"]),
]
PROGRAMS = {
    "cpp": "#include <bits/stdc++.h>\nint main(){ long s = 0; for (int i = 1; i <= 10; i++) s += i;"
           " std::cout << s << std::endl; }\n",
    "c": "#include <stdio.h>\n#include <math.h>\nint main(void){ printf(\"%d\\n\", (int)sqrt(3025.0)); }\n",
    "java": "public class Main { public static void main(String[] a) { System.out.println(5 * 11); } }\n",
}
EXPECTED = {"cpp": "55\n", "c": "55\n", "java": "55\n"}


@pytest.fixture(scope="module", autouse=True)
def no_marker():
    MARKER.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def sandbox():
    from r1_core.api import get_sandbox

    sb = get_sandbox("local")
    yield sb
    sb.close()


@pytest.fixture
def spawns(monkeypatch):
    """Every process this test process starts (subprocess.Popen is how the sandbox starts any)."""
    started: list[list[str]] = []
    real = subprocess.Popen

    class Recording(real):  # type: ignore[misc,valid-type]
        def __init__(self, args, *a, **kw):
            started.append([str(x) for x in args] if isinstance(args, list | tuple) else [str(args)])
            super().__init__(args, *a, **kw)

    monkeypatch.setattr(subprocess, "Popen", Recording)
    return started


def _one_line(exc: pytest.ExceptionInfo[SandboxError]) -> str:
    text = str(exc.value)
    assert "\n" not in text and text.startswith("compile_flags"), text
    return text


@pytest.mark.parametrize("flags", HOSTILE_C_FAMILY, ids=lambda f: repr(f)[:60])
def test_hostile_c_family_flags_are_refused(flags):
    for language in ("cpp", "c"):
        with pytest.raises(SandboxError) as exc:
            check_compile_flags(language, flags)
        _one_line(exc)


@pytest.mark.parametrize("flags", HOSTILE_JAVA, ids=lambda f: repr(f)[:60])
def test_hostile_java_flags_are_refused(flags):
    with pytest.raises(SandboxError) as exc:
        check_compile_flags("java", flags)
    _one_line(exc)


@pytest.mark.parametrize(("language", "flags"), ALLOWED)
def test_allowed_flags_pass_the_check(language, flags):
    check_compile_flags(language, flags)
    check_compile_flags(language, None)
    check_compile_flags(language, [])


def test_interpreted_languages_take_no_flags_and_c_takes_no_cxx_standard():
    with pytest.raises(SandboxError):
        check_compile_flags("python", ["-O"])
    check_compile_flags("python", [])
    with pytest.raises(SandboxError):
        check_compile_flags("c", ["-std=c++17"])
    with pytest.raises(SandboxError):
        check_compile_flags("cpp", ["-std=c11"])


def _hostile_requests() -> list[ExecRequest]:
    reqs = [ExecRequest(language="cpp", source=PROGRAMS["cpp"], compile_flags=f, id=f"cpp{i}")
            for i, f in enumerate(HOSTILE_C_FAMILY)]
    reqs += [ExecRequest(language="c", source=PROGRAMS["c"], compile_flags=f) for f in HOSTILE_C_FAMILY[::3]]
    reqs += [ExecRequest(language="java", source=PROGRAMS["java"], compile_flags=f) for f in HOSTILE_JAVA]
    return reqs


def test_local_sandbox_refuses_every_hostile_flag_before_anything_runs(sandbox, spawns):
    compilations, builds = sandbox.compile_cache.compilations, sandbox.headers.builds
    for req in _hostile_requests():
        with pytest.raises(SandboxError) as exc:
            sandbox.run([ExecRequest(language="python", source="print(1)"), req])
        _one_line(exc)
    assert spawns == [], "a refused batch started a process"
    assert (sandbox.compile_cache.compilations, sandbox.headers.builds) == (compilations, builds)
    assert not MARKER.exists()


async def test_local_sandbox_arun_refuses_too(sandbox):
    with pytest.raises(SandboxError):
        await sandbox.arun([ExecRequest(language="cpp", source=PROGRAMS["cpp"],
                                        compile_flags=["-fplugin=/tmp/x.so"])])


@pytest.mark.parametrize(("language", "flags"), ALLOWED)
def test_allowed_flags_compile_and_run_correctly(sandbox, language, flags):
    source = f"// {uuid.uuid4().hex}\n{PROGRAMS[language]}"
    res = sandbox.run([ExecRequest(language=language, source=source, compile_flags=flags)])[0]
    assert res.verdict == Verdict.OK, res
    assert res.stdout == EXPECTED[language]


def test_router_answers_422_and_never_calls_the_provider():
    echo = EchoSandbox()
    with running_router(echo, max_concurrency=2) as router:
        for req in _hostile_requests()[::4]:
            body = {"requests": [ExecRequest(language="python", source="x").model_dump(mode="json"),
                                 req.model_dump(mode="json")]}
            resp = httpx.post(f"{router.url}/v1/execute", json=body, timeout=30)
            assert resp.status_code == 422, resp.text
            detail = resp.json()["detail"]
            assert isinstance(detail, str) and "\n" not in detail and "compile_flags" in detail
        ok = ExecRequest(language="cpp", source="x", compile_flags=["-O2", "-std=gnu++17"], id="fine")
        resp = httpx.post(f"{router.url}/v1/execute", json={"requests": [ok.model_dump(mode="json")]})
        assert resp.status_code == 200 and resp.json()["results"][0]["id"] == "fine"
    assert echo.calls == 1  # only the allowed one reached the provider
    assert not MARKER.exists()


def test_router_client_refuses_before_sending():
    # nothing listens on this port: had the client sent anything it would come back as SE
    with socket_port() as port:
        client = RouterSandbox([f"127.0.0.1:{port}"], retries=0)
        try:
            for flags in (["-wrapper", TOUCH], ["-Wl,-plugin,/x.so"], ["@/tmp/args"]):
                with pytest.raises(SandboxError) as exc:
                    client.run([ExecRequest(language="cpp", source="int main(){}", compile_flags=flags)])
                _one_line(exc)
            assert client.stats.executions == 0
        finally:
            client.close()


class socket_port:
    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
