"""Per-execution work dirs: the files a program starts with, its stdin, the files it leaves behind.

The work dir lives on a tmpfs by default, so everything a program writes is memory charged to its
own cgroup (bounded by its memory limit) and never reaches the disk. Files the program created are
read back without following links, so it cannot make the supervisor read host files for it.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import shutil
import stat
import tempfile
from pathlib import Path, PurePosixPath

from r1_core.errors import SandboxError

__all__ = ["WorkDir", "check_relative", "default_work_root", "read_back", "sweep_stale_workdirs"]

_seq = itertools.count()


def default_work_root() -> Path:
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else Path(tempfile.gettempdir())
    return base / "r1-sandbox"


def check_relative(name: str, what: str) -> PurePosixPath:
    """A file name of a request: relative, inside the work dir."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\x00" in name:
        raise SandboxError(f"{what} {name!r} is not a relative path inside the work dir",
                           "use names like 'input.txt' or 'lib/grader.h'")
    return path


def sweep_stale_workdirs(root: Path) -> int:
    """Remove work dirs of supervisors that died (names start with their pid): tmpfs is memory."""
    removed = 0
    with contextlib.suppress(OSError):
        for child in root.iterdir():
            pid = child.name.split("-", 1)[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                shutil.rmtree(child, ignore_errors=True)
                removed += 1
    return removed


class WorkDir:
    """``<root>/<pid>-<n>/box`` (owned by the sandbox uid) and ``stdin`` next to it (not visible
    inside). Removed on exit."""

    def __init__(self, root: Path, owner: tuple[int, int] | None) -> None:
        self.path = root / f"{os.getpid()}-{next(_seq)}"
        try:
            self.path.mkdir(mode=0o700)
        except FileNotFoundError:  # first run under this root (or somebody removed it)
            root.mkdir(parents=True, exist_ok=True, mode=0o711)
            self.path.mkdir(mode=0o700)
        self.box = self.path / "box"
        self.box.mkdir(mode=0o755)
        self.stdin = self.path / "stdin"
        self.owner = owner

    def populate(self, files: dict[str, str], stdin: str = "") -> None:
        made = [self.box]  # what the sandbox uid must own: the box, its files and subdirs
        for name, text in files.items():
            rel = check_relative(name, "file")
            target = self.box / rel
            for depth in range(1, len(rel.parts)):
                sub = self.box.joinpath(*rel.parts[:depth])
                if not sub.is_dir():
                    sub.mkdir()
                    made.append(sub)
            target.write_text(text, encoding="utf-8")
            made.append(target)
        self.stdin.write_text(stdin, encoding="utf-8")
        if self.owner is not None:
            os.chmod(self.path, 0o711)  # the sandbox uid must traverse to its box
            for path in made:
                os.chown(path, *self.owner)

    def __enter__(self) -> WorkDir:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def read_back(box: Path, names: list[str], cap: int) -> dict[str, str]:
    """Files the program created, at most ``cap`` bytes each; links and non-files are skipped."""
    out: dict[str, str] = {}
    for name in names:
        data = _read_nofollow(box, check_relative(name, "read_files entry"), cap)
        if data is not None:
            out[name] = data.decode("utf-8", errors="replace")
    return out


def _read_nofollow(box: Path, rel: PurePosixPath, cap: int) -> bytes | None:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(box, flags | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        for part in rel.parts[:-1]:
            nxt = os.open(part, flags | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        leaf = os.open(rel.parts[-1], flags | os.O_NONBLOCK, dir_fd=fd)
        try:
            if not stat.S_ISREG(os.fstat(leaf).st_mode):
                return None
            with os.fdopen(leaf, "rb", closefd=False) as fh:
                return fh.read(cap)
        finally:
            os.close(leaf)
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.ELOOP, errno.ENOTDIR, errno.EACCES):
            raise
        return None
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
