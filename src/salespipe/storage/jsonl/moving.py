"""The record of a database being moved in whole (``copy --replace``), so that a process
killed in the middle leaves the database as it was or as it became.

The new database is built aside, then its journals are moved in one by one (each old
one moved into the folder aside first), and its main file, written last, is the commit.
Most journals have fixed names, so a kill between the first move and the main file left
the old main file among new journals: a database no command could read, its old
journals in a hidden folder. Before the first move, the moves are written down beside
the main file (``.NAME.json.moving``) with the digest of the main file to come. Whoever
takes the lock next (a change, or a reader that finds the record) finishes the move:
with that main file in place, the old files the new database has no use for are
removed; without it, every old file is put back and every new one removed. The record
is removed after that and the folder aside last, so a kill while finishing leaves it
to be finished again. A move killed before its first move left only its folder aside,
which the next one to take the lock removes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from salespipe.storage import safe_files

if TYPE_CHECKING:
    from salespipe.storage.jsonl.files import DatabasePaths


class Finished(Enum):
    FORWARD = "the new database is in"
    BACK = "the old database is back"


def record_path(paths: DatabasePaths) -> Path:
    return paths.main.with_name(f".{paths.main.name}.moving")


def write(
    paths: DatabasePaths, aside: Path, main: bytes, moved: list[Path], absent: list[Path]
) -> None:
    """Write down, before the first move, the moves about to be made: each target and
    whether a file was there (it is moved into ``aside``/replaced), the files the new
    database has none of, and the digest of the main file that commits them."""
    record = {
        "aside": aside.name,
        "main": hashlib.sha256(main).hexdigest(),
        "moved": [[target.name, target.exists()] for target in moved],
        "absent": [target.name for target in absent],
    }
    safe_files.replace_atomically(
        record_path(paths), orjson.dumps(record), paths.temp_prefix(), like=paths.main
    )
    safe_files.fsync_folder(paths.main.parent)


def done(paths: DatabasePaths) -> None:
    """The move ended (committed, or put back by the process that made it)."""
    with contextlib.suppress(FileNotFoundError):
        record_path(paths).unlink()


def pending(paths: DatabasePaths) -> bool:
    return os.path.lexists(record_path(paths))


def finish(paths: DatabasePaths) -> Finished | None:
    """Finish a move its process did not (under the lock): forward where its main file
    is in place, else back. None where there is none to finish."""
    try:
        record = orjson.loads(record_path(paths).read_bytes())
    except FileNotFoundError:
        return None
    folder = paths.main.parent
    aside = folder / record["aside"]
    if _digest(paths.main) == record["main"]:
        for name in record["absent"]:
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()
        finished = Finished.FORWARD
    else:
        for name, was_there in reversed(record["moved"]):
            old = aside / "replaced" / name
            if os.path.lexists(old):
                os.replace(old, folder / name)
            elif not was_there:  # a new file, where there was none
                with contextlib.suppress(FileNotFoundError):
                    (folder / name).unlink()
            # (else the old file was not moved yet: it is in its place)
        finished = Finished.BACK
    safe_files.fsync_folder(folder)
    done(paths)
    safe_files.fsync_folder(folder)
    shutil.rmtree(aside, ignore_errors=True)
    return finished


def remove_abandoned(paths: DatabasePaths) -> None:
    """Remove the folders a killed move was building its database in (under the lock,
    with no move left to finish: nothing else builds one then)."""
    prefix = f".{paths.main.name}.new-"
    with contextlib.suppress(OSError):
        for name in os.listdir(paths.main.parent):
            if name.startswith(prefix):
                shutil.rmtree(paths.main.parent / name, ignore_errors=True)


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
