"""Files only their owner can read, created so that nobody else can redirect them.

Every file salespipe creates (the data file and its journals, the lock, backups,
exports) is made 0600 and every folder 0700, less whatever a stricter umask takes
away; a file that replaces another takes over the mode and owner of the one it
replaces. Temporary files get unpredictable names, opened with ``O_EXCL`` and
``O_NOFOLLOW`` (``tempfile.mkstemp``), so a link planted beside the target is never
written through. docs/guarantees.md states these rules for users.

The system calls that change a file (write, fsync, rename, ftruncate) go through the
functions at the end, where a test can stop the process at the Nth of them
(``SALESPIPE_CRASH_AT``): the crash stress suite replays every write of a command,
stopped at each point in turn.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def make_folder(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents, each 0700; the folders made, the
    outermost first."""
    missing: list[Path] = []
    current = folder
    while not os.path.lexists(current) and current != current.parent:
        missing.append(current)
        current = current.parent
    made = []
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, FOLDER_MODE)
            made.append(path)
    return made


def remove_folders(made: list[Path]) -> None:
    """Remove the folders :func:`make_folder` made, innermost first, where still empty."""
    for path in reversed(made):
        try:
            os.rmdir(path)
        except OSError:  # something else is in it now: it stays, and so do its parents
            return


def open_new(path: Path, *, readable: bool = False) -> tuple[int, bool]:
    """Open ``path`` for writing without following a link; create it 0600 if missing.

    Returns the descriptor and whether the file was created.
    """
    base = (os.O_RDWR if readable else os.O_WRONLY) | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(path, base | os.O_CREAT | os.O_EXCL, FILE_MODE), True
    except FileExistsError:
        return os.open(path, base), False


def adopt(fd: int, like: Path | None) -> None:
    """Give the file open at ``fd`` the mode and owner of ``like`` (if it exists)."""
    if like is None:
        return
    try:
        model = os.stat(like)
    except OSError:
        return
    if not stat.S_ISREG(model.st_mode):
        return
    os.fchmod(fd, stat.S_IMODE(model.st_mode))
    own = os.fstat(fd)
    if (own.st_uid, own.st_gid) != (model.st_uid, model.st_gid):
        with contextlib.suppress(PermissionError):  # only root may give a file away
            os.fchown(fd, model.st_uid, model.st_gid)


def temp_file(folder: Path, prefix: str) -> tuple[int, Path]:
    """A new, empty, private file with an unpredictable name in ``folder``."""
    fd, name = tempfile.mkstemp(prefix=prefix, dir=folder)
    return fd, Path(name)


def replace_atomically(target: Path, data: bytes, prefix: str, *, like: Path | None = None) -> None:
    """Write ``data`` to a private temp file beside ``target``, fsync it and rename it
    over ``target``, keeping the mode and owner of the file replaced (or of ``like`` for
    a new one). The folder's fsync is left to the caller."""
    folder = target.parent
    make_folder(folder)
    fd, temp = temp_file(folder, prefix)
    try:
        try:
            adopt(fd, target if os.path.lexists(target) else like)
            write_all(fd, data)
            fsync(fd)
        finally:
            os.close(fd)
        rename(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fsync(fd)
    finally:
        os.close(fd)


# -- the system calls that change files, where a test can stop the process ------------

_CRASH_VARIABLE = "SALESPIPE_CRASH_AT"
_crash_countdown: list[int] = []


def _reset_crash_point() -> None:
    """Read ``SALESPIPE_CRASH_AT`` (a test hook: the number of the call to die at)."""
    _crash_countdown.clear()
    value = os.environ.get(_CRASH_VARIABLE, "")
    if value.isdigit() and int(value) > 0:
        _crash_countdown.append(int(value))


_reset_crash_point()


def _reached_crash_point() -> bool:
    if not _crash_countdown:
        return False
    _crash_countdown[0] -= 1
    return _crash_countdown[0] == 0


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def write_all(fd: int, data: bytes, offset: int | None = None) -> None:
    """Write all of ``data`` at the file position (or at ``offset``)."""
    view = memoryview(data)
    if _reached_crash_point():
        half = view[: len(view) // 2]  # a torn write: part of it reached the file
        os.write(fd, half) if offset is None else os.pwrite(fd, half, offset)
        _die()
    while view:
        written = os.write(fd, view) if offset is None else os.pwrite(fd, view, offset)
        view = view[written:]
        if offset is not None:
            offset += written


def fsync(fd: int) -> None:
    if _reached_crash_point():
        _die()
    os.fsync(fd)


def rename(source: Path, target: Path) -> None:
    if _reached_crash_point():
        _die()
    os.replace(source, target)


def truncate(fd: int, size: int) -> None:
    if _reached_crash_point():
        _die()
    os.ftruncate(fd, size)
