"""Where an export is written: the rules for each kind of destination.

* A regular file, or a path where nothing is yet, is replaced atomically: the export goes
  to a private temp file with an unpredictable name beside it, which is renamed over it
  once complete; the replaced file's mode and owner are kept, a new one is 0600.
* A symbolic link is followed, never replaced: the file it names is the destination.
* Anything else (a FIFO, a device, ``/dev/stdout``, a process substitution) is written to
  in place, as a stream: it cannot be replaced, and must not be.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from salespipe.core.errors import InvalidValue, os_problem
from salespipe.core.i18n import _
from salespipe.storage import safe_files


@contextlib.contextmanager
def export_target(target: Path, check: Callable[[Path], None] | None = None) -> Iterator[IO[bytes]]:
    """A binary stream to ``target`` following the rules above; an OSError becomes an
    InvalidValue naming the file, and a failed export leaves a regular file as it was.
    ``check``: called with the temp file, written and fsynced, before it replaces the
    file (what it raises leaves the old file); a stream is written as it goes, unchecked."""
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise InvalidValue(_("{path} is a folder; choose a file with -o.").format(path=target))
    if mode is not None and not stat.S_ISREG(mode):
        with _in_place(target) as stream:
            yield stream
        return
    real = Path(os.path.realpath(target)) if target.is_symlink() else target
    with _replacing(real, target, check) as stream:
        yield stream


@contextlib.contextmanager
def _in_place(target: Path) -> Iterator[IO[bytes]]:
    try:
        handle = open(target, "wb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    try:
        with handle:
            yield handle
    except OSError as exc:
        raise _cannot_write(target, exc) from None


@contextlib.contextmanager
def _replacing(
    real: Path, target: Path, check: Callable[[Path], None] | None
) -> Iterator[IO[bytes]]:
    folder = real.parent
    _remove_left_behind(folder, real.name)
    try:
        fd, temp = safe_files.temp_file(folder, f"{_temp_prefix(real.name)}{os.getpid()}-")
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    locked = -1
    try:
        # Held until the file has its name, through the check too (see
        # _remove_left_behind): on a duplicate descriptor, which the file's closing
        # leaves open (a lock belongs to the open file, not to one descriptor).
        fcntl.flock(fd, fcntl.LOCK_EX)
        locked = os.dup(fd)
        safe_files.adopt(fd, real)
        with open(fd, "wb") as handle:
            yield handle
            handle.flush()
            safe_files.fsync(handle.fileno())
        if check is not None:
            check(temp)
        safe_files.rename(temp, real)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise _cannot_write(target, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    finally:
        if locked >= 0:
            os.close(locked)
    with contextlib.suppress(OSError):
        safe_files.fsync_folder(folder)


def _temp_prefix(name: str) -> str:
    """The start of the temp files' names of exports to the file ``name``; the writing
    process's id and a random part follow (``.bk.json.tmp-4242-k3j9x0qa``)."""
    return f".{name}.tmp-"


def _remove_left_behind(folder: Path, name: str) -> None:
    """Remove the temp files exports to ``name`` left when they were killed (kill -9, a
    power loss: nothing of theirs could remove them), so that they do not pile up beside
    a nightly backup. One of an export still running is never removed: its process is
    alive (or the id is another's now), or it holds the lock on its file (a process of
    another machine, on a shared folder). Names without a process id (an older
    salespipe's) are left, as their writer cannot be known to be gone."""
    prefix = _temp_prefix(name)
    try:
        names = [entry.name for entry in os.scandir(folder) if entry.name.startswith(prefix)]
    except OSError:
        return  # a folder it cannot list: the export's own write says what is wrong
    for found in names:
        pid, dash, rest = found[len(prefix) :].partition("-")
        if not (dash and pid.isdigit() and len(rest) == _RANDOM_PART) or _running(int(pid)):
            continue
        with contextlib.suppress(OSError):
            fd = os.open(folder / found, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            try:
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: held
                    os.unlink(folder / found)
            finally:
                os.close(fd)


_RANDOM_PART = 8  # the characters tempfile.mkstemp puts after the prefix


def _running(pid: int) -> bool:
    """Whether a process of that id is running (this one included)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process (EPERM): running
    return True


def _cannot_write(target: Path, exc: OSError) -> InvalidValue:
    return InvalidValue(
        _("Cannot write {path}: {problem}.").format(path=target, problem=os_problem(exc))
    )
