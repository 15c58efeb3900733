"""Files that hold personal data or keys: 0600 in 0700 directories, whatever the umask; written atomically.

Modes are set explicitly (fchmod/chmod after creating), so a umask of 022 or an existing 0755
directory never leaves a station database, a key, a bundle, a report or a certificate readable
by other users.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
TMP_PREFIX = ".tmp-"


def exposed(path: Path) -> bool:
    """True if group or others have any access to path."""
    return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)


def private_dir(path: Path, *, tighten: bool = False) -> bool:
    """Make path (and missing parents) with mode 0700 whatever the umask.

    An existing directory is left alone unless `tighten`: then one that group or others can
    reach is set to 0700. Returns True if it tightened an existing directory."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FileExistsError(errno.EEXIST, "a file of that name is in the way", str(path))
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for p in reversed(missing):
        p.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(p, PRIVATE_DIR)
    if missing or not tighten or not exposed(path):
        return False
    os.chmod(path, PRIVATE_DIR)
    return True


def private_file(path: Path, *, create: bool = True) -> bool:
    """Make path 0600: created empty if missing (and `create`), tightened if group or others can reach it.

    Returns True if an existing file was tightened."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE) if create else None
    except FileExistsError:
        fd = None
    if fd is not None:
        try:
            os.fchmod(fd, PRIVATE_FILE)
        finally:
            os.close(fd)
        return False
    if path.exists() and exposed(path):
        os.chmod(path, PRIVATE_FILE)
        return True
    return False


def write_atomic(path: Path, data: bytes, *, mode: int = PRIVATE_FILE,
                 before_rename: Callable[[], None] | None = None,
                 fault: Callable[[str], None] | None = None) -> None:
    """Temp file in the same directory (mode set explicitly), fsync, rename over the target, fsync the directory.

    A crash at any point leaves the previous file (or none) under `path`, never part of a new one.
    A missing directory is created 0700. `fault(point)` is called at "mid-write" and "before-rename",
    for crash tests. OSError propagates; no temp file is left behind."""
    path = Path(path)
    directory = path.parent
    private_dir(directory)
    for stale in directory.glob(f"{TMP_PREFIX}{path.name}.*"):
        stale.unlink(missing_ok=True)  # left by an earlier crash
    tmp = directory / f"{TMP_PREFIX}{path.name}.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            half = len(data) // 2
            fh.write(data[:half])
            fh.flush()
            if fault is not None:
                fault("mid-write")
            fh.write(data[half:])
            fh.flush()
            os.fsync(fh.fileno())
        if fault is not None:
            fault("before-rename")
        if before_rename is not None:
            before_rename()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def crash_file(prefix: str = "counter-crash-", suffix: str = ".txt") -> tuple[int, str]:
    """An open 0600 file for a crash report, in a 0700 directory of this user's under the temp dir.

    Falls back to the temp dir itself (mkstemp, 0600) when that directory is not safely ours."""
    import tempfile

    base = Path(tempfile.gettempdir()) / f"counter-{os.getuid()}"
    try:
        private_dir(base)
        info = os.lstat(base)
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid():
            os.chmod(base, PRIVATE_DIR)
            return tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=base)
    except OSError:
        pass
    return tempfile.mkstemp(prefix=prefix, suffix=suffix)
