"""The record of a database being moved in whole (``copy --replace``), so that a process
killed in the middle leaves the database as it was or as it became.

The new database is built aside, then its journals are moved in one by one (each old
one moved into the folder aside first), and its main file, written last, is the commit.
Most journals have fixed names, so a kill between the first move and the main file left
the old main file among new journals: a database no command could read, its old
journals in a hidden folder. Before the first move, the moves are written down beside
the main file (``.NAME.json.moving``) with the digests of the main file there and of
the one to come. Whoever takes the lock next (a change, or a reader that finds the
record) finishes the move: with the new main file in place, the old files the new
database has no use for are removed; with the old one, every old file is put back and
every new one removed; with any other (a main file put back from elsewhere since), the
record and the folder aside are kept and the database is refused, naming them. The
record is removed last, so a kill while finishing leaves the move to be finished again;
a move that committed removes the files it replaced before its record. A move killed
before its first move left only its folder aside, which the next one to take the lock
removes, unless it holds replaced files.

The record is read as salespipe wrote it or not at all: names of this database's files
and of its folder aside, nothing else (a record planted in a synced folder cannot point
the finishing at other files).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from enum import Enum, auto
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salespipe.core.errors import StoreError
from salespipe.core.i18n import _
from salespipe.storage import safe_files

if TYPE_CHECKING:
    from salespipe.storage.jsonl.files import DatabasePaths


class Finished(Enum):
    FORWARD = auto()  # the new database is in
    BACK = auto()  # the old database is back


def record_path(paths: DatabasePaths) -> Path:
    return paths.main.with_name(f".{paths.main.name}.moving")


def _aside_name(paths: DatabasePaths) -> re.Pattern[str]:
    """The names of the folders aside (``tempfile.mkdtemp``'s eight characters)."""
    return re.compile(re.escape(paths.aside_prefix()) + r"[a-z0-9_]{8}")


def write(
    paths: DatabasePaths, aside: Path, main: bytes, moved: list[Path], absent: list[Path]
) -> None:
    """Write down, before the first move, the moves about to be made: each target and
    whether a file was there (it is moved into ``aside``/replaced), the files the new
    database has none of, and the digests of the main file there and of ``main``, the
    one that commits them."""
    record = {
        "aside": aside.name,
        "old": _digest(paths.main),
        "main": _sha256(main),
        "moved": [[target.name, target.exists()] for target in moved],
        "absent": [target.name for target in absent],
    }
    # (json, not orjson: a file name that is not UTF-8 is kept, escaped, as Path has it)
    safe_files.replace_atomically(
        record_path(paths), json.dumps(record).encode(), paths.temp_prefix(), like=paths.main
    )
    safe_files.fsync_folder(paths.main.parent)


def done(paths: DatabasePaths) -> None:
    """The move ended: its record goes."""
    with contextlib.suppress(FileNotFoundError):
        record_path(paths).unlink()
    with contextlib.suppress(OSError):
        safe_files.fsync_folder(paths.main.parent)


def pending(paths: DatabasePaths) -> bool:
    return os.path.lexists(record_path(paths))


@dataclass(frozen=True)
class Move:
    """A move a killed process did not finish, as its record says."""

    paths: DatabasePaths
    aside: Path
    old: str | None
    main: str
    moved: list[tuple[str, bool]]
    absent: list[str]

    def finish(self) -> Finished:
        """Forward where the new main file is in place, back where the old one still is
        (under the lock); the record stays until :meth:`close`."""
        folder = self.paths.main.parent
        there = _digest(self.paths.main)
        if there == self.main:
            for name in self.absent:
                with contextlib.suppress(FileNotFoundError):
                    (folder / name).unlink()
            finished = Finished.FORWARD
        elif there == self.old:
            for name, was_there in reversed(self.moved):
                old = self.aside / "replaced" / name
                if os.path.lexists(old):
                    os.replace(old, folder / name)
                elif not was_there:  # a new file, where there was none
                    with contextlib.suppress(FileNotFoundError):
                        (folder / name).unlink()
                # (else the old file was not moved yet: it is in its place)
            finished = Finished.BACK
        else:
            raise StoreError(
                _(
                    "A copy --replace into {path} was cut off, and the data file is neither "
                    "the one before it nor the one it was writing, so nothing was changed; "
                    "the files it replaced are in {aside}, and {record} lists them."
                ).format(path=self.paths.main, aside=self.aside, record=record_path(self.paths))
            )
        safe_files.fsync_folder(folder)
        return finished

    def close(self) -> None:
        """Remove the folder aside (what it replaced is back, or no longer of use), then
        the record: killed in between, finishing again does nothing more."""
        shutil.rmtree(self.aside, ignore_errors=True)
        done(self.paths)


def cut_off(paths: DatabasePaths) -> Move | None:
    """The move a killed process left, if any; a record salespipe did not write is
    refused, naming it."""
    path = record_path(paths)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:  # no record salespipe wrote
        data = b""
    try:
        return _move(paths, json.loads(data))
    except (ValueError, TypeError, KeyError):
        raise StoreError(
            _(
                "{record} is not a record salespipe wrote of a copy --replace into {path}, "
                "so nothing was changed; if no copy is running, move it away."
            ).format(record=path, path=paths.main)
        ) from None


def _move(paths: DatabasePaths, record: Any) -> Move:
    """The record's move, each name checked to be one of the files a move puts in place
    (never the main file, a backup or another database's file) and the folder aside its
    own (ValueError, TypeError or KeyError otherwise)."""
    if not isinstance(record, dict) or not _aside_name(paths).fullmatch(record["aside"]):
        raise ValueError("not a folder aside")
    moved = [(name, bool(there)) for name, there in record["moved"]]
    absent = list(record["absent"])
    ours = _journal_names(paths)
    if not all(
        isinstance(n, str) and ours.fullmatch(n) for n in [*(n for n, _t in moved), *absent]
    ):
        raise ValueError("not a journal of the database")
    if not _DIGEST.fullmatch(record["main"]) or not (
        record["old"] is None or _DIGEST.fullmatch(record["old"])
    ):
        raise ValueError("not a digest")
    return Move(
        paths, paths.main.parent / record["aside"], record["old"], record["main"], moved, absent
    )


_DIGEST = re.compile(r"[0-9a-f]{64}")


def _journal_names(paths: DatabasePaths) -> re.Pattern[str]:
    """The names of the files a move puts in place: the journals, their indexes and the
    change log, and the open deals' files of any generation."""
    fixed = [
        p.name
        for p in (
            paths.events,
            paths.closed,
            paths.event_index,
            paths.event_heads,
            paths.closed_index,
            paths.closed_heads,
            paths.change_log,
        )
    ]
    stem = re.escape(paths.main.name.removesuffix(".json"))
    generations = stem + r"\.open-(?:[0-9]+\.jsonl|index-[0-9]+\.(?:json|tail)|facts-[0-9]+\.json)"
    return re.compile("|".join([*map(re.escape, fixed), generations]))


def remove_abandoned(paths: DatabasePaths) -> None:
    """Remove the folders a killed copy was building its database in (under the lock,
    with no move left to finish: nothing else builds one then), but never one holding
    files it replaced: those may be a database's only copy."""
    folder = paths.main.parent
    aside = _aside_name(paths)
    with contextlib.suppress(OSError):
        for name in os.listdir(folder):
            if aside.fullmatch(name) and not _holds_files(folder / name / "replaced"):
                shutil.rmtree(folder / name, ignore_errors=True)


def _holds_files(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(entries)
    except OSError:
        return False


def _digest(path: Path) -> str | None:
    try:
        return _sha256(path.read_bytes())
    except FileNotFoundError:
        return None


def _sha256(data: bytes) -> str:
    import hashlib  # here: only a copy --replace, or a cut-off one, needs it (start-up)

    return hashlib.sha256(data).hexdigest()
