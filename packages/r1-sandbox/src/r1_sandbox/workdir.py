"""Per-execution work dirs: the files a program starts with, its stdin, the files it leaves behind.

The work dir lives on a tmpfs by default, so everything a program writes is memory charged to its
own cgroup (bounded by its memory limit) and never reaches the disk. Files the program created are
read back without following links, so it cannot make the supervisor read host files for it; what is
not a regular file (a unix socket, a fifo, a device node, a directory) is skipped with a note.

**Teardown survives anything a program can create.** As root, each work dir is its own small tmpfs
mount (``nr_inodes`` = ``work_inodes``, 16384 by default: a program that makes more files gets
ENOSPC), and removing it is one lazy unmount — the kernel frees the whole tree, whatever its shape,
in time bounded by the inode cap (a mount costs ~20 µs of CPU; an unmount ~15 µs of CPU and ~0.3 ms
of wall time waiting for an RCU grace period, after the program's slot is free). The work root is
made a private mount first (a bind of itself, once per boot), so these mounts never propagate into
other mount namespaces (when the work root's mount is shared). Where mounting is not allowed (not
root, a container without CAP_SYS_ADMIN) the dir is a plain directory and :func:`remove_tree`
removes it: iterative (any depth: 100,000 nested directories need no recursion), a constant number
of open fds (it climbs back with ``..``), no symlink followed, directories a non-root owner made
unreadable or unwritable (chmod 000) opened up first, append-only and immutable flags cleared where
we may. The stale-dir sweep of dead supervisors uses the same and
never raises: a tree it cannot remove is logged and left, and the next sandbox starts anyway.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import itertools
import logging
import os
import stat
import struct
import tempfile
import threading
from pathlib import Path, PurePosixPath

from r1_core.errors import SandboxError

__all__ = ["DEFAULT_INODES", "WorkDir", "check_relative", "default_work_root", "read_back", "remove_tree",
           "sweep_stale_workdirs"]

log = logging.getLogger("r1.sandbox")

_seq = itertools.count()
DEFAULT_INODES = 16384  # files + dirs + links a work dir may hold (own tmpfs only)

MS_NOSUID, MS_NODEV, MS_BIND, MS_PRIVATE = 0x2, 0x4, 0x1000, 1 << 18
MNT_DETACH = 2
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FS_IOC_GETFLAGS, FS_IOC_SETFLAGS = 0x80086601, 0x40086602
FS_APPEND_FL, FS_IMMUTABLE_FL = 0x20, 0x10


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


# ---------------------------------------------------------------------------------------- mounts
class _Mounts:
    """Whether work dirs under a root can be their own tmpfs (decided once per root and process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._roots: dict[str, bool] = {}
        self._libc: ctypes.CDLL | None = None

    def libc(self) -> ctypes.CDLL:
        if self._libc is None:
            self._libc = ctypes.CDLL(None, use_errno=True)
        return self._libc

    def usable(self, root: Path) -> bool:
        key = str(root)
        ok = self._roots.get(key)
        if ok is None:
            with self._lock:
                ok = self._roots.get(key)
                if ok is None:
                    ok = self._roots[key] = self._prepare(root)
        return ok

    def disable(self, root: Path) -> None:
        self._roots[str(root)] = False

    def _prepare(self, root: Path) -> bool:
        """As root with mount rights: make ``root`` a private mount (once: a bind of itself), so the
        per-run mounts below it propagate nowhere. False: plain directories here."""
        if os.geteuid() != 0 or os.environ.get("R1_SANDBOX_WORKDIR_MOUNTS") == "0":
            return False
        try:
            root.mkdir(parents=True, exist_ok=True, mode=0o711)
            real = os.path.realpath(root)
            where, shared = _mount_of(real)
            if where is None:
                return False
            if not shared:  # nothing mounted below it propagates anywhere
                return True
            if where != real and not self.mount(real, real, None, MS_BIND, None):
                return False
            return self.mount("none", real, None, MS_PRIVATE, None)
        except OSError:
            return False

    def mount(self, source: str, target: str, fstype: str | None, flags: int, options: str | None) -> bool:
        libc = self.libc()
        enc = [x.encode() if x is not None else None for x in (source, target, fstype, options)]
        if libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]) != 0:
            err = ctypes.get_errno()
            if err in (errno.EPERM, errno.EACCES, errno.ENOSYS, errno.ENODEV, errno.EINVAL):
                return False
            raise OSError(err, f"mount {target}: {os.strerror(err)}")
        return True

    def umount(self, target: str) -> bool:
        return self.libc().umount2(target.encode(), MNT_DETACH) == 0


MOUNTS = _Mounts()




def _mount_of(path: str) -> tuple[str | None, bool]:
    """The mount point holding ``path`` (a real path) and whether it propagates mounts (shared)."""
    best, shared = None, False
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                fields = line.split()
                if len(fields) < 7:
                    continue
                point = fields[4].replace("\\040", " ")
                inside = path == point or path.startswith(point.rstrip("/") + "/")
                if inside and (best is None or len(point) >= len(best)):
                    optional = fields[6:fields.index("-")] if "-" in fields else []
                    best, shared = point, any(f.startswith("shared:") for f in optional)
    except OSError:
        return None, False
    return best, shared


def _is_mount_point(path: Path | str) -> bool:
    try:
        here, parent = os.lstat(path), os.lstat(os.path.join(path, ".."))
    except OSError:
        return False
    return here.st_dev != parent.st_dev or here.st_ino == parent.st_ino


# -------------------------------------------------------------------------------------- removal
def _set_flags(fd: int, mask: int) -> None:
    """Clear ``mask`` from an inode's attribute flags (immutable, append-only): CAP_LINUX_IMMUTABLE."""
    with contextlib.suppress(OSError):
        buf = bytearray(struct.pack("l", 0))
        fcntl.ioctl(fd, FS_IOC_GETFLAGS, buf)
        flags = struct.unpack("l", buf)[0]
        if flags & mask:
            fcntl.ioctl(fd, FS_IOC_SETFLAGS, struct.pack("l", flags & ~mask))


def _unlock_entry(dir_fd: int, name: str) -> None:
    """Make an entry removable where we may: the directory writable and searchable by us, neither
    it nor the entry immutable or append-only."""
    with contextlib.suppress(OSError):
        os.fchmod(dir_fd, 0o700)
    _set_flags(dir_fd, FS_APPEND_FL | FS_IMMUTABLE_FL)
    with contextlib.suppress(OSError):
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
        try:
            _set_flags(fd, FS_APPEND_FL | FS_IMMUTABLE_FL)
        finally:
            os.close(fd)


def _open_dir(dir_fd: int | None, name: str) -> int:
    """Open a directory without following a link; one that its owner made inaccessible to us
    (chmod 000) is opened up first. ENOTDIR/ELOOP: not a directory (any more)."""
    try:
        return os.open(name, _DIR, dir_fd=dir_fd)
    except PermissionError:
        if not stat.S_ISDIR(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
            raise
        os.chmod(name, 0o700, dir_fd=dir_fd)  # a directory, not a link: chmod cannot go elsewhere
        return os.open(name, _DIR, dir_fd=dir_fd)


def _unlink(dir_fd: int, name: str, *, directory: bool) -> None:
    remove = os.rmdir if directory else os.unlink
    try:
        remove(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM):
            raise
        _unlock_entry(dir_fd, name)
        with contextlib.suppress(FileNotFoundError):
            remove(name, dir_fd=dir_fd)


def _clear(fd: int) -> list[str]:
    """Unlink every non-directory in the directory ``fd``; the names of its subdirectories."""
    for attempt in (0, 1):
        names: list[tuple[str, bool]] = []
        try:
            with os.scandir(fd) as it:
                names = [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
            break
        except PermissionError:
            if attempt:
                raise
            os.fchmod(fd, 0o700)
    subdirs = []
    for name, is_dir in names:
        if is_dir:
            subdirs.append(name)
        else:
            _unlink(fd, name, directory=False)
    return subdirs


def remove_tree(path: Path | str) -> None:
    """Remove ``path`` and everything below it (see the module doc): iterative, O(1) open fds, no
    link followed. Raises OSError only for what it could not remove."""
    path = os.fspath(path)
    try:
        fd = _open_dir(None, path)
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
            raise
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    pending: list[list[str]] = []  # per level, the subdirectories still to remove
    names: list[str] = []  # the path from ``path`` down to ``fd``
    refills = 0  # a directory found non-empty on the way back up (nothing should write any more)
    try:
        pending.append(_clear(fd))
        while True:
            if pending[-1]:
                name = pending[-1].pop()
                try:
                    child = _open_dir(fd, name)
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
                        raise
                    _unlink(fd, name, directory=False)
                    continue
                os.close(fd)
                fd = child
                names.append(name)
                pending.append(_clear(fd))
                continue
            pending.pop()
            if not names:
                break
            parent = os.open("..", _DIR, dir_fd=fd)
            os.close(fd)
            fd = parent
            name = names.pop()
            try:
                _unlink(fd, name, directory=True)
            except OSError as exc:  # something appeared meanwhile: once more, then give up
                refills += 1
                if exc.errno != errno.ENOTEMPTY or refills > 1000:
                    raise
                pending[-1].append(name)
    finally:
        os.close(fd)
    parent_dir, base = os.path.split(path.rstrip("/"))
    pfd = os.open(parent_dir or ".", _DIR)
    try:
        _unlink(pfd, base, directory=True)
    finally:
        os.close(pfd)


def _discard(path: str) -> None:
    """Unmount (lazily) if it is a mount point, then remove what is left."""
    if _is_mount_point(path):
        MOUNTS.umount(path)
    remove_tree(path)


def sweep_stale_workdirs(root: Path) -> int:
    """Remove work dirs of supervisors that died (names start with their pid): tmpfs is memory.
    Never raises: what cannot be removed is logged and left (a later start retries)."""
    removed = 0
    try:
        children = [e.name for e in os.scandir(root)]
    except OSError:
        return 0
    for name in children:
        pid = name.split("-", 1)[0]
        if not pid.isdigit() or os.path.exists(f"/proc/{pid}"):
            continue
        try:
            _discard(os.path.join(root, name))
            removed += 1
        except Exception as exc:  # a stale tree must never stop sandboxes from starting
            log.warning("r1 sandbox: cannot remove stale work dir %s/%s: %s", root, name, exc)
    return removed


# ------------------------------------------------------------------------------------- work dir
class WorkDir:
    """``<root>/<pid>-<n>/box`` (owned by the sandbox uid) and ``stdin`` next to it (not visible
    inside). ``<root>/<pid>-<n>`` is its own tmpfs of ``inodes`` inodes where we may mount.
    Removed on exit, whatever the program left in it."""

    def __init__(self, root: Path, owner: tuple[int, int] | None, *, inodes: int = DEFAULT_INODES) -> None:
        self.path = root / f"{os.getpid()}-{next(_seq)}"
        self.owner = owner
        try:
            self._mkdir()
        except FileNotFoundError:  # first run under this root (or somebody removed it)
            root.mkdir(parents=True, exist_ok=True, mode=0o711)
            self._mkdir()
        except FileExistsError:  # left by a dead supervisor that had our pid (pid reuse)
            _discard(str(self.path))
            self._mkdir()
        self.mounted = False
        try:
            if MOUNTS.usable(root):
                self.mounted = MOUNTS.mount("r1-work", str(self.path), "tmpfs", MS_NOSUID | MS_NODEV,
                                            f"nr_inodes={max(inodes, 16)},mode=0700")
                if not self.mounted:
                    MOUNTS.disable(root)
            self.box = self.path / "box"
            self.box.mkdir(mode=0o755)
            self.stdin = self.path / "stdin"
        except BaseException:
            self._remove()
            raise

    def _mkdir(self) -> None:
        self.path.mkdir(mode=0o700)

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
        self._remove()

    def _remove(self) -> None:
        """Never raises (a failure here must not turn the program's verdict into SE): what cannot be
        removed is logged; the tmpfs case cannot fail short of the kernel refusing an unmount."""
        try:
            if self.mounted and MOUNTS.umount(str(self.path)):
                self.mounted = False
                os.rmdir(self.path)
                return
            remove_tree(self.path)
        except Exception as exc:
            log.warning("r1 sandbox: cannot remove work dir %s: %s", self.path, exc)


# ------------------------------------------------------------------------------------ read back
_KINDS = ((stat.S_ISSOCK, "a unix socket"), (stat.S_ISFIFO, "a fifo"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link"))


def _kind(mode: int) -> str:
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def read_back(box: Path, names: list[str], cap: int, notes: list[str] | None = None) -> dict[str, str]:
    """Files the program created, at most ``cap`` bytes each. Links and anything but a regular file
    are skipped (never opened: a unix socket or a fifo there is the program's business, not an
    error); each skip is described in ``notes`` when given. Never raises for what the program left."""
    out: dict[str, str] = {}
    for name in names:
        try:
            data = _read_nofollow(box, check_relative(name, "read_files entry"), cap)
        except OSError as exc:
            data = f"cannot be read ({exc.strerror or exc})"
        if isinstance(data, bytes):
            out[name] = data.decode("utf-8", errors="replace")
        elif data is not None and notes is not None:
            notes.append(f"read_files {name!r}: {data}, skipped")
    return out


def _read_nofollow(box: Path, rel: PurePosixPath, cap: int) -> bytes | str | None:
    """The bytes, a reason it was skipped, or None (it does not exist)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(box, flags | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        for part in rel.parts[:-1]:
            try:
                nxt = _open_dir(fd, part)
            except OSError as exc:
                if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
                    return None
                raise
            os.close(fd)
            fd = nxt
        leaf = rel.parts[-1]
        try:
            st = os.stat(leaf, dir_fd=fd, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat.S_ISREG(st.st_mode):
            return _kind(st.st_mode)
        try:
            file = os.open(leaf, flags | os.O_NONBLOCK, dir_fd=fd)
        except PermissionError:  # its owner (us, without root) made it unreadable
            os.chmod(leaf, 0o600, dir_fd=fd)
            file = os.open(leaf, flags | os.O_NONBLOCK, dir_fd=fd)
        try:
            if not stat.S_ISREG(os.fstat(file).st_mode):
                return _kind(os.fstat(file).st_mode)
            with os.fdopen(file, "rb", closefd=False) as fh:
                return fh.read(cap)
        finally:
            os.close(file)
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
