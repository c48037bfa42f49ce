"""A tiny exec helper so that starting a sandbox does not fork the supervisor with a Python
``preexec_fn``.

``subprocess`` can only use ``vfork`` when there is no ``preexec_fn`` and no uid change; a plain
``fork`` copies the supervisor's page tables (large in a trainer holding a model) and runs Python
in the child. The helper does the same child setup in C — join the cgroups, set hard rlimits,
drop to the sandbox uid — and execs bubblewrap. It is compiled once per machine into the cache
dir and only used when that file and its dir belong to us and nobody else can write them;
otherwise the supervisor falls back to ``preexec_fn``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

__all__ = ["build_launcher", "launcher_argv"]

SOURCE = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* r1-launch UID GID NEWSESSION NCGROUPS cgroup.procs... NLIMITS (resource soft hard)... -- argv */
static void die(const char *what) { dprintf(2, "r1-launch: %s: %m\n", what); _exit(127); }

int main(int argc, char **argv) {
    int i = 1;
    if (argc < 7) { dprintf(2, "r1-launch: too few arguments\n"); return 127; }
    long uid = atol(argv[i++]), gid = atol(argv[i++]);
    if (atoi(argv[i++]) && setsid() < 0) die("setsid");
    for (int n = atoi(argv[i++]); n > 0 && i < argc; n--) {
        int fd = open(argv[i++], O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) != 1) die("join cgroup");
        close(fd);
    }
    for (int n = atoi(argv[i++]); n > 0 && i + 2 < argc; n--) {
        int res = atoi(argv[i++]);
        struct rlimit rl;
        rl.rlim_cur = strtoull(argv[i++], NULL, 10);
        rl.rlim_max = strtoull(argv[i++], NULL, 10);
        if (setrlimit(res, &rl) < 0) die("setrlimit");
    }
    if (uid >= 0 && (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0))
        die("drop privileges");
    if (i >= argc || strcmp(argv[i++], "--") != 0 || i >= argc) {
        dprintf(2, "r1-launch: bad arguments\n");
        return 127;
    }
    execv(argv[i], &argv[i]);
    die("exec");
}
"""


def _private(path: Path) -> bool:
    """Owned by us and writable by nobody else (we exec it as root)."""
    try:
        for p in (path, path.parent):
            st = p.stat()
            if st.st_uid != os.geteuid() or st.st_mode & 0o022:
                return False
    except OSError:
        return False
    return True


def build_launcher(cache: Path, cc: str) -> Path | None:
    """The compiled helper (built once per machine and compiler); None when it cannot be built."""
    digest = hashlib.sha256(f"{cc}\0{SOURCE}".encode()).hexdigest()[:16]
    target = cache / "launcher" / f"r1-launch-{digest}"
    if target.is_file() and _private(target):
        return target
    if shutil.which(cc) is None:
        return None
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        tmp = target.with_name(f".{target.name}.{os.getpid()}")
        proc = subprocess.run([cc, "-O2", "-x", "c", "-", "-o", str(tmp)], input=SOURCE, text=True,
                              capture_output=True, timeout=60)
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            return None
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return target if _private(target) else None


def launcher_argv(launcher: str, *, uid: int | None, gid: int | None, new_session: bool,
                  cgroup_files: Sequence[str], limits: Sequence[tuple[int, int, int]]) -> list[str]:
    argv = [launcher, str(-1 if uid is None else uid), str(-1 if gid is None else gid),
            "1" if new_session else "0", str(len(cgroup_files)), *cgroup_files, str(len(limits))]
    for res, soft, hard in limits:  # RLIM_INFINITY is -1 in Python; strtoull("-1") is ~0 in C
        argv += [str(res), str(soft), str(hard)]
    return [*argv, "--"]
