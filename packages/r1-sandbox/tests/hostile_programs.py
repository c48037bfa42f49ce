"""Hostile programs (our own, after the catalogue in research/sandbox-anchors.md §8) and their verdicts.

Sources are templates: ``{port}`` (a loopback listener of the test), ``{secret}`` (a 0600 file of
the caller), ``{escape}`` (a host dir nothing may be written to).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from r1_core.protocols import ExecResult, Verdict

OK, RE, TLE, MLE, OLE, CE = Verdict.OK, Verdict.RE, Verdict.TLE, Verdict.MLE, Verdict.OLE, Verdict.CE


def cpu_killed_near_limit(r: ExecResult) -> bool:
    """Killed for CPU soon after 1 s of CPU — or, on a box too loaded to give it 1 s of CPU before the
    wall backstop, killed for wall time."""
    return 1.0 <= r.cpu_time_s < 1.6 if r.message.startswith("CPU") else "wall" in r.message


@dataclass(frozen=True)
class Hostile:
    name: str
    language: str
    source: str
    expected: frozenset[Verdict]
    check: Callable[[ExecResult], bool] | None = None
    options: dict = field(default_factory=dict)  # ExecRequest fields
    phase: int = 1  # phase-2 programs run after phase 1 finished (persistence checks)


def H(name, language, source, *expected, check=None, phase=1, **options) -> Hostile:
    return Hostile(name, language, source, frozenset(expected), check, options, phase)


PY = "python"
CPP = "cpp"

PROGRAMS: list[Hostile] = [
    # ---------------------------------------------------------------- python
    H("py_ok", PY, "a, b = map(int, input().split())\nprint(a + b)", OK, stdin="2 3\n",
      check=lambda r: r.stdout == "5\n"),
    H("py_syntax_error", PY, "def f(:\n  pass", RE, check=lambda r: "SyntaxError" in r.stderr),
    H("py_exception", PY, "raise ValueError('boom')", RE, check=lambda r: "ValueError: boom" in r.stderr),
    H("py_exit3", PY, "import sys; sys.exit(3)", RE, check=lambda r: r.exit_code == 3),
    H("py_infinite_loop", PY, "while True: pass", TLE, check=cpu_killed_near_limit),
    H("py_sleep", PY, "import time; time.sleep(60)", TLE, wall_limit_s=1.5,
      check=lambda r: r.cpu_time_s < 0.5 and "wall" in r.message),
    # Memory bombs get 3 s of CPU (as java_memory_bomb): filling 256 MiB takes 0.2-0.45 s idle, but a
    # fresh-clone CI with the whole batch running at once saw 1.03 s and a TLE before the MLE.
    H("py_memory_bomb", PY, "x = []\nwhile True: x.append(bytearray(16 << 20))", MLE, time_limit_s=3.0),
    H("py_raise_rlimit", PY, "import resource\nfor r in (resource.RLIMIT_AS, resource.RLIMIT_DATA):\n"
      "    s, h = resource.getrlimit(r)\n    resource.setrlimit(r, (h, h))\n"
      "x = bytearray(1 << 30)\nx[::4096] = b'1' * len(x[::4096])", MLE, time_limit_s=3.0),
    H("py_fork_bomb", PY, "import os\nwhile True:\n    try: os.fork()\n    except OSError: pass", TLE, RE),
    H("py_thread_bomb", PY, "import threading, time\nn = 0\ntry:\n    while True:\n"
      "        threading.Thread(target=time.sleep, args=(5,), daemon=True).start(); n += 1\n"
      "except RuntimeError:\n    print('thread limit after', n)", OK, RE, TLE,
      check=lambda r: r.verdict != OK or "thread limit" in r.stdout),
    H("py_output_flood", PY, "while True: print('x' * 1000)", OLE, output_limit_bytes=1 << 20),
    H("py_stderr_flood", PY, "import sys\nwhile True: sys.stderr.write('e' * 1000)", OLE),
    H("py_read_secrets", PY, """
import glob, os
print(dict(os.environ))
for path in ['/etc/shadow', '/etc/passwd', '/root/.bashrc', '{secret}', '/proc/1/environ',
             *glob.glob('/proc/*/environ'), *glob.glob('/home/*/*'), *glob.glob('/work/*')]:
    try:
        print(path, open(path, 'rb').read()[:2000])
    except OSError as e:
        print(path, 'denied', e.errno)
""", OK, check=lambda r: "HOME" in r.stdout and "denied" in r.stdout),
    H("py_read_expected", PY, """
import os
hits = []
for root, dirs, files in os.walk('/'):
    if root.startswith(('/proc', '/sys', '/usr')):
        dirs[:] = []
        continue
    hits += [os.path.join(root, f) for f in files if f.endswith(('.out', '.ans')) or 'expected' in f]
print('found', hits)
""", OK, check=lambda r: r.stdout.strip() == "found []"),
    H("py_network", PY, """
import socket
for fam, addr in ((socket.AF_INET, ('127.0.0.1', {port})), (socket.AF_INET6, ('::1', {port}))):
    try:
        s = socket.socket(fam); s.settimeout(1); s.connect(addr); print('CONNECTED', addr)
    except OSError as e:
        print('blocked', e.errno)
try:
    print(socket.gethostbyname('pypi.org'))
except OSError as e:
    print('dns blocked', e)
""", OK, check=lambda r: "CONNECTED" not in r.stdout and r.stdout.count("blocked") == 3),
    H("py_write_outside", PY, """
import os
for path in ['{escape}/from-python', '/usr/escape', '/escape', '/box/../escape', '/etc/escape',
             '/proc/sys/kernel/randomize_va_space']:
    try:
        with open(path, 'w') as f: f.write('2')
        print('WROTE', path)
    except OSError as e:
        print('denied', path, e.errno)
""", OK, check=lambda r: "WROTE" not in r.stdout),
    H("py_persist_write", PY, """
for path in ['/tmp/persist', '/dev/shm/persist', 'persist']:
    open(path, 'w').write('x')
print('written')
""", OK, check=lambda r: r.stdout == "written\n"),
    H("py_persist_check", PY, """
import os
print([p for p in ['/tmp/persist', '/dev/shm/persist', 'persist'] if os.path.exists(p)])
""", OK, check=lambda r: r.stdout == "[]\n", phase=2),
    H("py_kill_parent", PY, """
import os, signal
for pid in (os.getppid(), 1, -1):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError as e:
        print('denied', pid, e.errno)
print('alive')
""", OK, RE),
    H("py_daemon_escape", PY, """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for fd in (0, 1, 2): os.close(fd)
        time.sleep(30)
    os._exit(0)
os.wait()
print('parent done')
""", OK),
    H("py_daemon_holds_stdout", PY, """
import os, time
if os.fork() == 0:
    os.setsid(); time.sleep(30); os._exit(0)
print('parent done')
""", OK, check=lambda r: r.wall_time_s < 3.5 and r.stdout == "parent done\n"),
    H("py_zombies", PY, """
import os
for _ in range(30):
    if os.fork() == 0: os._exit(0)
print('made zombies')
""", OK),
    H("py_disk_fill", PY, "f = open('big', 'wb')\nwhile True: f.write(b'0' * (1 << 20))", RE, OLE,
      check=lambda r: "File too large" in r.stderr or r.verdict == OLE),
    H("py_many_files", PY, "import os\ni = 0\nwhile True:\n    open(f'f{i}', 'w').close(); i += 1",
      RE, TLE, MLE),
    H("py_deep_recursion", PY, "import sys\nsys.setrecursionlimit(10**6)\n"
      "def f(n): return 0 if n == 0 else 1 + f(n - 1)\nprint(f(50000))", OK,
      check=lambda r: r.stdout == "50000\n"),
    H("py_cpu_processes", PY, """
import os, time
def spin():
    t = time.process_time()
    while time.process_time() - t < 0.8: pass
if os.fork() == 0:
    spin(); os._exit(0)
spin(); os.wait()
""", TLE, check=cpu_killed_near_limit),
    H("py_seccomp_surface", PY, """
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
print('ptrace', libc.ptrace(0, 0, 0, 0), ctypes.get_errno())
print('unshare', libc.unshare(0x10000000), ctypes.get_errno())
print('mount', libc.mount(b'none', b'/tmp', b'tmpfs', 0, None), ctypes.get_errno())
""", OK, check=lambda r: "ptrace -1" in r.stdout and "unshare -1" in r.stdout and "mount -1" in r.stdout),
    H("py_dev_full", PY, "open('/dev/full', 'w').write('x' * 10000)", RE),
    # a new user namespace through clone / clone3 (unshare is covered above): seccomp refuses both
    H("py_userns_clone", PY, """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
r = libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)  # clone(CLONE_NEWUSER | SIGCHLD)
if r == 0:
    os._exit(0)
print('clone', r, ctypes.get_errno())
r = libc.syscall(435, 0, 0)  # clone3 (its flags live in memory a filter cannot read)
print('clone3', r, ctypes.get_errno())
pid = os.fork()  # plain processes still work
if pid == 0:
    os._exit(7)
print('fork', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
""", OK, check=lambda r: r.stdout == "clone -1 1\nclone3 -1 38\nfork 7\n"),
    # a daemon serving an abstract unix socket (scoped by network namespace, which runs may reuse
    # one after another): it must die with its run, so nothing in phase 2 can reach it
    H("py_abstract_socket_daemon", PY, """
import os, socket, time
if os.fork() == 0:
    os.setsid()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind('\\0r1-hostile-leftover'); s.listen(8)
    while True:
        try: s.accept()[0].sendall(b'leaked')
        except OSError: time.sleep(0.01)
time.sleep(0.2)
print('started')
""", OK, check=lambda r: r.stdout == "started\n"),
    H("py_abstract_socket_probe", PY, """
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect('\\0r1-hostile-leftover'); print('REACHED', s.recv(16))
except OSError as e:
    print('unreachable', e.errno)
""", OK, check=lambda r: r.stdout.startswith("unreachable"), phase=2),
    # ---------------------------------------------------------------- c++
    H("cpp_ok", CPP, "#include <bits/stdc++.h>\nusing namespace std;\n"
      "int main(){ long long a, b; cin >> a >> b; vector<long long> v{a, b}; sort(v.begin(), v.end());"
      " map<int,int> m; cout << a + b << endl; }", OK, stdin="40 2", check=lambda r: r.stdout == "42\n"),
    H("cpp_ce", CPP, "int main() { return undefined_symbol; }", CE,
      check=lambda r: "undefined_symbol" in r.compile_output),
    H("cpp_dev_random", CPP, "#include </dev/random>\nint main(){}", CE),
    H("cpp_include_shadow", CPP, "#include </etc/shadow>\nint main(){}", CE,
      check=lambda r: "root:" not in r.compile_output),
    H("cpp_include_secret", CPP, '#include "{secret}"\nint main(){}', CE),
    H("cpp_include_self", CPP, "#include __FILE__\n#include __FILE__\nint main(){}", CE),
    H("cpp_template_bomb", CPP, "template<int N> struct F { enum { v = F<N-1>::v + F<N-2>::v }; };\n"
      "int main(){ return F<100000>::v; }", CE),
    H("cpp_constexpr_loop", CPP, "constexpr long f(){ long s = 0;"
      " for (long i = 0; i < (1L << 40); ++i) s += i;"
      " return s; }\nconstexpr long x = f();\nint main(){ return x; }", CE),
    H("cpp_error_flood", CPP, "#define A(x) x x x x x x x x x x\n#define B(x) A(A(A(x)))\n"
      "#define C(x) B(B(x))\nint main(){ C(syntax error here) }", CE),
    H("cpp_huge_binary", CPP, "char big[1u << 30] = {1};\nint main(){ return big[5]; }", CE),
    H("cpp_segfault", CPP, "int main(){ volatile int *p = nullptr; *p = 1; }", RE,
      check=lambda r: r.signal == 11),
    H("cpp_div_zero", CPP, "#include <cstdio>\n"
      "int main(){ volatile int a = 1, z = 0; printf(\"%d\", a / z); }",
      RE, check=lambda r: r.signal == 8),
    H("cpp_abort", CPP, "#include <cassert>\nint main(){ assert(false); }", RE,
      check=lambda r: r.signal == 6),
    H("cpp_deep_stack", CPP, "#include <cstdio>\nint f(int n){ volatile char buf[512]; buf[0] = n;"
      " return n == 0 ? 0 : f(n - 1) + buf[0] % 2; }\nint main(){ printf(\"%d\\n\", f(100000)); }", OK),
    H("cpp_infinite_loop", CPP, "int main(){ volatile long x = 0; for(;;) x++; }", TLE,
      check=cpu_killed_near_limit),
    H("cpp_wall_spin", CPP, "#include <ctime>\nint main(){ time_t t = time(0); while (time(0) - t < 10); }",
      TLE),
    H("cpp_sleep", CPP, "#include <unistd.h>\nint main(){ sleep(60); }", TLE, wall_limit_s=1.5),
    H("cpp_memory_bomb", CPP, "#include <cstring>\nint main(){ for(;;){ char* p = new char[16 << 20];"
      " memset(p, 1, 16 << 20); } }", MLE, time_limit_s=3.0),
    H("cpp_bad_alloc", CPP, "#include <vector>\n"
      "int main(){ std::vector<long long> v(1LL << 34); return v[7]; }",
      MLE, RE),
    H("cpp_static_array", CPP, "#include <cstring>\nstatic char a[1536u << 20];\n"
      "int main(){ memset(a, 1, sizeof a); return a[99]; }", MLE, RE, time_limit_s=3.0),
    H("cpp_output_flood", CPP, "#include <cstdio>\nint main(){ for(;;) putchar('x'); }", OLE),
    H("cpp_fork_bomb", CPP, "#include <unistd.h>\nint main(){ for(;;) fork(); }", TLE, RE),
    H("cpp_thread_cpu", CPP, "#include <thread>\n#include <ctime>\nvoid spin(){ clock_t t = clock();"
      " volatile long x = 0; while (clock() - t < 0.8 * CLOCKS_PER_SEC * 2) x++; }\n"
      "int main(){ std::thread a(spin), b(spin); a.join(); b.join(); }", TLE),
    H("cpp_ptrace", CPP, "#include <sys/ptrace.h>\n#include <cstdio>\n"
      "int main(){ if (ptrace(PTRACE_TRACEME, 0, 0, 0) == -1) { perror(\"ptrace\"); return 1; } }", RE,
      check=lambda r: "Operation not permitted" in r.stderr),
    H("cpp_read_secrets", CPP, "#include <cstdio>\n#include <cstdlib>\nextern char** environ;\n"
      "int main(){ for (char** e = environ; *e; ++e) puts(*e); FILE* f = fopen(\"{secret}\", \"r\");"
      " puts(f ? \"OPENED\" : \"denied\"); }", OK, check=lambda r: "denied" in r.stdout),
    H("cpp_network", CPP, "#include <sys/socket.h>\n#include <netinet/in.h>\n#include <arpa/inet.h>\n"
      "#include <cstdio>\nint main(){ int s = socket(AF_INET, SOCK_STREAM, 0);"
      " if (s < 0) { puts(\"blocked\");"
      " return 0; } sockaddr_in a{}; a.sin_family = AF_INET; a.sin_port = htons({port});"
      " inet_pton(AF_INET, \"127.0.0.1\", &a.sin_addr);"
      " puts(connect(s, (sockaddr*)&a, sizeof a) == 0 ? \"CONNECTED\" : \"blocked\"); }", OK,
      check=lambda r: r.stdout == "blocked\n"),
    # ---------------------------------------------------------------- java
    H("java_memory_bomb", "java", "import java.util.*;\npublic class Main {"
      " public static void main(String[] a) {"
      " List<long[]> l = new ArrayList<>(); while (true) l.add(new long[1 << 20]); } }",
      MLE, time_limit_s=3.0),
    H("java_network_and_secrets", "java", "import java.net.*; import java.nio.file.*;\n"
      "public class Main { public static void main(String[] a) {"
      " try { new Socket(\"127.0.0.1\", {port}); System.out.println(\"CONNECTED\");"
      " } catch (Exception e) { System.out.println(\"blocked\"); }"
      " try { Files.readString(Path.of(\"{secret}\")); System.out.println(\"READ\");"
      " } catch (Exception e) { System.out.println(\"denied\"); }"
      " System.out.println(System.getenv()); } }", OK, time_limit_s=3.0,
      check=lambda r: r.stdout.startswith("blocked\ndenied\n")),
    H("cpp_kill_all", CPP, "#include <csignal>\n#include <unistd.h>\n"
      "int main(){ kill(getppid(), SIGKILL); kill(1, SIGKILL); kill(-1, SIGKILL); return 0; }", OK, RE),
]
