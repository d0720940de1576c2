"""Durable file operations: the lock, atomic replacement, journal appends and reads.

Nothing here knows what the bytes mean; :mod:`salespipe.storage.jsonl.database` decides what
to write, :mod:`salespipe.storage.jsonl.snapshot` what it means and
:mod:`salespipe.storage.jsonl.transaction` how a change is collected.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import stat
import time
import weakref
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from salespipe.core.errors import (
    DatabaseBusy,
    NotASalespipeFile,
    StoreError,
    WriteFailed,
    os_problem,
)
from salespipe.core.i18n import _
from salespipe.core.model import deal_record_flaw
from salespipe.storage import safe_files
from salespipe.storage.safe_files import fsync_folder, make_folder, remove_folders, write_all

# The names of the files of which a database has one per generation, after its stem.
_OPEN_JOURNALS = r"\.open-\d+\.jsonl"
_OPEN_INDEX_FILES = r"\.open-(index-\d+\.(json|tail)|facts-\d+\.json)"


@dataclass(frozen=True)
class DatabasePaths:
    main: Path
    events: Path
    closed: Path
    lock: Path
    event_index: Path
    event_heads: Path
    closed_index: Path
    closed_heads: Path

    @classmethod
    def for_main(cls, main: Path) -> DatabasePaths:
        stem = main.name.removesuffix(".json")
        folder = main.parent
        return cls(
            main=main,
            events=folder / f"{stem}.events.jsonl",
            closed=folder / f"{stem}.closed.jsonl",
            lock=folder / f"{stem}.lock",
            event_index=folder / f"{stem}.events.idx",
            event_heads=folder / f"{stem}.events.heads",
            closed_index=folder / f"{stem}.closed.idx",
            closed_heads=folder / f"{stem}.closed.heads",
        )

    def temp_prefix(self) -> str:
        return f".{self.main.name}.tmp-"

    def aside_prefix(self) -> str:
        """The start of the name of a folder ``copy --replace`` builds a database in."""
        return f".{self.main.name}.new-"

    def open_journal(self, generation: int) -> Path:
        """The open-deals journal of one generation (a compaction starts the next one)."""
        return self.main.with_name(f"{self._stem}.open-{generation}.jsonl")

    def open_journals(self) -> list[Path]:
        """Every open-deals journal on disk, of any generation."""
        return self._beside(_OPEN_JOURNALS)

    def open_checkpoint(self, generation: int) -> Path:
        """The open index's checkpoint of one generation (storage/jsonl/open_index.py)."""
        return self.main.with_name(f"{self._stem}.open-index-{generation}.json")

    def open_tail(self, generation: int) -> Path:
        """The lines appended to the open index since that checkpoint."""
        return self.main.with_name(f"{self._stem}.open-index-{generation}.tail")

    def open_facts(self, generation: int) -> Path:
        """The facts kept beside that checkpoint (storage/jsonl/open_facts.py)."""
        return self.main.with_name(f"{self._stem}.open-facts-{generation}.json")

    def open_index_files(self) -> list[Path]:
        """Every file of the open index on disk, of any generation (its facts too)."""
        return self._beside(_OPEN_INDEX_FILES)

    def names(self, path: Path) -> bool:
        """Whether ``path`` is the name of one of this database's data files but the
        main file, there or not (an open-deals journal or index file of any generation)."""
        if path in (self.events, self.closed, *self.derived_files()):
            return True
        generations = re.escape(self._stem) + f"(?:{_OPEN_JOURNALS}|{_OPEN_INDEX_FILES})"
        return path.parent == self.main.parent and re.fullmatch(generations, path.name) is not None

    def _beside(self, suffix: str) -> list[Path]:
        """The files in this database's folder named its stem and then ``suffix`` (a
        regular expression), sorted; none when the folder cannot be read."""
        pattern = re.compile(re.escape(self._stem) + suffix)
        with contextlib.suppress(OSError):
            return sorted(
                self.main.parent / name
                for name in os.listdir(self.main.parent)
                if pattern.fullmatch(name)
            )
        return []

    @property
    def _stem(self) -> str:
        return self.main.name.removesuffix(".json")

    @property
    def change_log(self) -> Path:
        """Every event's change row (change_log.py)."""
        return self.main.with_name(f"{self._stem}.changes.jsonl")

    def derived_files(self) -> tuple[Path, ...]:
        """The indexes and the change log, computed from the journals (``doctor``
        checks them)."""
        return (
            self.event_index,
            self.event_heads,
            self.closed_index,
            self.closed_heads,
            self.change_log,
        )

    def all_data_files(self) -> tuple[Path, ...]:
        return (
            self.main,
            self.events,
            self.closed,
            *self.derived_files(),
            *self.open_journals(),
            *self.open_index_files(),
        )

    def every_file(self) -> tuple[Path, ...]:
        """The data files, the lock, and the copies ``doctor --fix`` and upgrades keep:
        nothing else may write any of them (an export over the lock let two writers in)."""
        suffix = re.escape(self.main.name.removeprefix(self._stem))
        return (
            *self.all_data_files(),
            self.lock,
            self.main.with_name(f"{self.main.name}.doctor.bak"),
            *self._beside(suffix + r"\.(doctor|schema\d+)\.bak"),
        )


def main_files_named_by(path: Path) -> list[Path]:
    """The main files whose database has a file at ``path`` (p.json for p.events.jsonl,
    p.lock or p.json.doctor.bak), by the names :class:`DatabasePaths` gives its files."""
    parts = path.name.split(".")
    # (a hidden file's name starts with its dot: ".deals.json" is of stem ".deals")
    stems = [stem for n in range(1, len(parts)) if (stem := ".".join(parts[:n])).strip(".")]
    candidates = dict.fromkeys(
        main for stem in stems for main in (path.with_name(f"{stem}.json"), path.with_name(stem))
    )
    return [
        main
        for main in candidates
        if main != path and path in DatabasePaths.for_main(main).every_file()
    ]


def real_data_file(path: Path) -> Path:
    """The file a data-file path names: a link is followed once (even a dangling one, so
    the first write creates the file at its target), so that the journals, the lock and
    temp files sit beside the real file."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def check_data_file(path: Path) -> None:
    """Refuse a data file that is a folder or not a regular file (a device, a FIFO),
    before anything is read or created beside it."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(
            _("The data file {path} cannot be read: {problem}.").format(
                path=path, problem=os_problem(exc)
            )
        ) from None
    refuse_unless_regular(path, mode)


def refuse_unless_regular(path: Path, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise NotASalespipeFile(
            _("{path} is a folder, not a salespipe data file.").format(path=path)
        )
    if not stat.S_ISREG(mode):
        raise NotASalespipeFile(
            _(
                "{path} is not a regular file (a device, a pipe or a socket), so it is not a "
                "salespipe data file; choose another file with --db."
            ).format(path=path)
        )


def read_data_file(path: Path) -> bytes:
    """The main file's bytes (FileNotFoundError if it is missing), refused before
    reading if it is not a regular file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        refuse_unless_regular(path, os.fstat(fd).st_mode)
        with open(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def read_committed(path: Path, size: int) -> bytes:
    if size == 0:
        return b""
    try:
        with path.open("rb") as handle:
            data = handle.read(size)
    except FileNotFoundError:
        raise missing(path) from None
    except OSError as exc:
        raise StoreError(
            _("The file {path} cannot be read: {problem}.").format(
                path=path, problem=os_problem(exc)
            )
        ) from None
    if len(data) < size:
        raise shortened(path, len(data), size)
    if not looks_like_journal(data[:1], data[-2:]):
        raise damaged(path)
    return data


def looks_like_journal(first: bytes, last_two: bytes) -> bool:
    """Committed journal bytes start a JSON object and end one with a newline."""
    return first == b"{" and last_two == b"}\n"


# The files kept derived from the journals (docs/data-format.md), which `doctor --fix`
# rebuilds: told to restore a backup instead, a user would lose the changes since it.
_DERIVED = re.compile(
    r".*\.(open-index-\d+\.(json|tail)|open-facts-\d+\.json|idx|heads|changes\.jsonl)"
)


def _remedy(path: Path) -> str:
    if _DERIVED.fullmatch(path.name):
        return _("`salespipe doctor --fix` rebuilds it from the journals")
    return _("restore the database from a backup")  # (all its files: one would not match)


def _with_remedy(problem: str, path: Path) -> StoreError:
    """One sentence: what is wrong with a file of the database, then what mends it."""
    return StoreError(_("{problem}; {remedy}.").format(problem=problem, remedy=_remedy(path)))


def damaged(path: Path) -> StoreError:
    return _with_remedy(
        _(
            "The file {path} holds data salespipe cannot read; it was damaged outside "
            "salespipe and was left untouched"
        ).format(path=path),
        path,
    )


def damaged_record(path: Path, record: object) -> StoreError:
    """A deal's record in a journal that lacks a field of a deal or holds one of another
    type (changed outside salespipe), named with its deal and field; :func:`damaged`
    when it is not a deal's record at all."""
    flaw = deal_record_flaw(record)
    deal_id = record.get("id") if isinstance(record, dict) else None
    if flaw is None or type(deal_id) is not int:
        return damaged(path)
    field, absent = flaw
    if absent:
        problem = _("The file {path} is damaged: the record of deal {deal_id} has no field {field}")
    else:
        problem = _(
            "The file {path} is damaged: the record of deal {deal_id} holds a value of the "
            "wrong type in its field {field}"
        )
    return _with_remedy(problem.format(path=path, deal_id=deal_id, field=field), path)


def misplaced_record(path: Path, deal_id: int, other: object) -> StoreError:
    """The record at a deal's place in a journal (where its index puts it) that holds
    another deal's id: an id changed by hand. Read as it says, deal ``deal_id`` would be
    gone and ``other`` shown with its record."""
    return StoreError(
        _(
            "The file {path} is damaged: the record at deal {deal_id}'s place in it is deal "
            "{other}'s; restore the database from a backup, or put {deal_id} back as that "
            "record's id by hand."
        ).format(path=path, deal_id=deal_id, other=other)
    )


def two_records_claim(path: Path, deal_id: int, other: int) -> StoreError:
    """:func:`misplaced_record` as ``doctor`` says it, knowing from the history that
    deal ``deal_id`` exists and that ``other`` has a record of its own too."""
    return StoreError(
        _(
            "The file {path} is damaged: two records claim deal {other}, and deal "
            "{deal_id}'s record is gone (the record at deal {deal_id}'s place in it is deal "
            "{other}'s); restore the database from a backup, or put {deal_id} back as that "
            "record's id by hand."
        ).format(path=path, deal_id=deal_id, other=other)
    )


def same_stage_keys(path: Path, key: str) -> StoreError:
    """Two stages of the main file with one key (a key changed by hand): a deal of that
    stage would be shown in either, and a backup of it would not restore."""
    return _with_remedy(
        _("The file {path} is damaged: two stages have the key {key}").format(path=path, key=key),
        path,
    )


def missing(path: Path) -> StoreError:
    """A file of the database that is gone (deleted by hand), with what brings it back;
    a main file with none of its other files beside it was copied or moved alone."""
    alone = _main_file_alone(path)
    if alone is not None:
        return StoreError(
            _(
                "The data file {path} is here without its journals ({missing} is missing): "
                "all its {files} files belong together, so copy or move them together, or "
                "move the pipeline with `salespipe copy` or `salespipe export --format json`."
            ).format(path=alone, missing=path.name, files=_files_of(alone))
        )
    return _with_remedy(_("The file {path} is missing").format(path=path), path)


def _main_file_alone(path: Path) -> Path | None:
    """The main file of the database ``path`` is a file of, where it is there without
    any of its journals and derived files (copied or moved to another folder alone)."""
    parts = path.name.split(".")
    # (a hidden file's name starts with its dot: ".deals.json" is of stem ".deals")
    stems = [stem for n in range(1, len(parts)) if (stem := ".".join(parts[:n])).strip(".")]
    for main in (path.with_name(name) for stem in stems for name in (f"{stem}.json", stem)):
        paths = DatabasePaths.for_main(main)
        if not paths.names(path) or not main.is_file():
            continue
        if not any(other.exists() for other in paths.all_data_files() if other != main):
            return main
    return None


def _files_of(main: Path) -> str:
    """The name pattern of a database's files: ``pipeline.*`` for ``pipeline.json``."""
    return main.name.removesuffix(".json") + ".*"


def shortened(path: Path, size: int, expected: int) -> StoreError:
    return _with_remedy(
        _(
            "The file {path} is shorter than the data file records ({size} of {expected} "
            "bytes); it was damaged outside salespipe"
        ).format(path=path, size=size, expected=expected),
        path,
    )


@dataclass(frozen=True)
class HeldLock:
    """The lock a change holds, to be checked before its first byte is written."""

    fd: int
    path: Path

    def check(self) -> None:
        """Refuse to write once the lock file at its path is no longer the one locked:
        removed or replaced (by hand, a sync tool, a file written over it), it lets a
        second writer in, and the two would write over each other."""
        if not self.still_held():
            raise WriteFailed(
                _(
                    "The lock file {path} was removed or replaced while this change was "
                    "being made, so another program may be writing the data file too; "
                    "nothing was changed."
                ).format(path=self.path)
            )

    def still_held(self) -> bool:
        """Whether the lock file at its path is still the one locked (not when its path
        cannot even be looked at: a link looping to itself)."""
        return _still_at(self.fd, self.path)

    def stamp(self, meta: dict[str, Any], events_from: int, events_digest: str) -> None:
        """After a commit: where the main file now ends the events journal, where it
        ended it before, and a fingerprint of the events between (journal_end.py). A main
        file put back from a copy one change older then cannot pass for one whose writer
        was killed before its commit."""
        stamp = {
            "events_from": events_from,
            "events_size": meta["events_size"],
            "events_digest": events_digest,
        }
        data = json.dumps(stamp).encode()
        with contextlib.suppress(OSError):  # (a stamp not written only checks less)
            write_all(self.fd, data, 0)
            os.ftruncate(self.fd, len(data))

    def stamped(self) -> dict[str, Any] | None:
        """What the last commit stamped (see :meth:`stamp`), if anything."""
        with contextlib.suppress(OSError):
            return parse_stamp(os.pread(self.fd, 256, 0))
        return None


class Fingerprint:
    """The digest a commit's events are fingerprinted with in the lock file's stamp: a
    CRC-32, which tells a killed writer's leftovers from the committed change's events
    of the same place and size (it need not resist forgery; zlib is loaded already, and
    hashlib would add milliseconds to every write's start-up)."""

    def __init__(self) -> None:
        self._crc = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._crc = zlib.crc32(data, self._crc)

    def hexdigest(self) -> str:
        return f"{self._crc:08x}"


def parse_stamp(data: bytes) -> dict[str, Any] | None:
    """A lock file's stamp, or None (empty: before any stamp; unreadable: not trusted)."""
    try:
        found = json.loads(data)
    except ValueError:
        return None
    if not isinstance(found, dict):
        return None
    sizes = ("events_from", "events_size")
    if all(type(found.get(key)) is int for key in sizes) and isinstance(
        found.get("events_digest"), str
    ):
        return found
    return None


def read_stamp(paths: DatabasePaths) -> dict[str, Any] | None:
    """The stamp in the database's lock file, read without locking (doctor)."""
    try:
        with paths.lock.open("rb") as lock:
            return parse_stamp(lock.read(256))
    except OSError:
        return None


@contextlib.contextmanager
def hold_lock(paths: DatabasePaths, timeout_of: Callable[[], float]) -> Iterator[HeldLock]:
    """Hold the database lock; ``timeout_of`` is asked only if the lock is busy. A lock
    file made now for a data file that still does not exist afterwards (a first change
    that was refused) is removed, so that a refusal leaves nothing behind; so is one made
    now beside a file that is not salespipe's (`--db package.json` left package.lock). One
    that was there before is kept, the main file gone or not: its stamp of the last commit
    is what tells a main file put back one change older (journal_end.py)."""
    check_data_file(paths.main)
    fd, made, folders = _locked(paths, _Deadline(paths, timeout_of))
    not_ours = False
    try:
        yield HeldLock(fd, paths.lock)
    except NotASalespipeFile:
        not_ours = True
        raise
    finally:
        try:
            gone = made and (not_ours or not paths.main.exists())
            if gone and _still_at(fd, paths.lock):  # only its holder removes a lock file
                paths.lock.unlink(missing_ok=True)
                remove_folders(folders)  # a mistyped --db leaves no folders either
        finally:
            os.close(fd)  # closing releases the lock


def _locked(paths: DatabasePaths, deadline: _Deadline) -> tuple[int, bool, list[Path]]:
    """The descriptor of the lock file, locked, whether this call made the file, and the
    folders it made for it. A holder that made no data file removes the lock file (and
    the folders it made) before it lets go, so a process that was waiting on it then
    holds a lock nobody else can see: it locks the file now at that path instead."""
    folders: list[Path] = []
    while True:
        fd, made = _open_lock(paths, folders)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    deadline.check()
                    time.sleep(0.02)
            if _is_at(fd, paths.lock):
                return fd, made, folders
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _open_lock(paths: DatabasePaths, folders: list[Path]) -> tuple[int, bool]:
    """The lock file opened (made if missing, with its folder); the folders made are
    added to ``folders``."""
    try:
        folders.extend(make_folder(paths.lock.parent))
        try:
            return open_journal_for_writing(paths.lock, paths.main, readable=True)
        except FileNotFoundError:  # its folder: another process's refused change removed it
            folders.extend(make_folder(paths.lock.parent))
            return open_journal_for_writing(paths.lock, paths.main, readable=True)
    except OSError as exc:
        raise WriteFailed(
            _("Cannot open the lock file {path}: {problem}; the data file was not changed.").format(
                path=paths.lock, problem=os_problem(exc)
            )
        ) from None


def _is_at(fd: int, path: Path) -> bool:
    """Whether the open file ``fd`` is still the one at ``path``."""
    try:
        there = os.stat(path)
    except FileNotFoundError:
        return False
    here = os.fstat(fd)
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _still_at(fd: int, path: Path) -> bool:
    """:func:`_is_at`, False where ``path`` cannot be looked at."""
    try:
        return _is_at(fd, path)
    except OSError:
        return False


class _Deadline:
    """How long a busy lock is waited for: the timeout asked once, when first busy."""

    def __init__(self, paths: DatabasePaths, timeout_of: Callable[[], float]) -> None:
        self.paths = paths
        self.timeout_of = timeout_of
        self.timeout = 0.0
        self.until: float | None = None

    def check(self) -> None:
        if self.until is None:
            self.timeout = self.timeout_of()
            self.until = time.monotonic() + self.timeout
        if time.monotonic() >= self.until:
            raise DatabaseBusy(
                _(
                    "The database {path} is busy: another salespipe process held it "
                    "for more than {seconds} s; nothing was changed, try again."
                ).format(path=self.paths.main, seconds=f"{self.timeout:g}")
            ) from None


def write_failure(path: Path, exc: OSError) -> str:
    """The sentence of a write of the database at ``path`` that the system refused:
    the file (or folder) that refused, and why."""
    reason = os_problem(exc, _("the write failed"))
    failed = _failed_at(path, exc)
    if failed is None:
        return _("Cannot write the data file {path}: {reason}; nothing was changed.").format(
            path=path, reason=reason
        )
    if failed == path.parent:  # a new file could not be made there
        return _(
            "Cannot write in the folder {folder} of the data file {path}: {reason}; nothing "
            "was changed."
        ).format(folder=failed, path=path, reason=reason)
    return _(
        "Cannot write the file {failed}, part of the data file {path}: {reason}; nothing was "
        "changed."
    ).format(failed=failed, path=path, reason=reason)


def _failed_at(path: Path, exc: OSError) -> Path | None:
    """The file or folder a write of the database at ``path`` failed on, where it is
    not the main file (a permission taken from one journal, or from the folder)."""
    # A rename refused (os.replace names the temp file, then the target): the target
    # refused being replaced (immutable, append-only); its folder took the temp file.
    named = exc.filename2 if isinstance(exc.filename2, str) and exc.filename2 else exc.filename
    if not isinstance(named, str) or not named:
        return None
    failed = Path(named)
    if failed == path:
        return None
    # A temp file, or the folder a copy --replace builds in: what failed is the folder.
    paths = DatabasePaths.for_main(path)
    if failed.name.startswith(paths.temp_prefix()) or any(
        part.startswith(paths.aside_prefix()) for part in failed.parts
    ):
        return path.parent
    return failed


def check_journal(journal: Path, committed_size: int) -> None:
    """Refuse to append to a journal cut short or overwritten outside salespipe."""
    if committed_size == 0:
        return
    try:
        with journal.open("rb") as handle:
            actual = os.fstat(handle.fileno()).st_size
            first = handle.read(1)
            handle.seek(max(0, committed_size - 2))
            last_two = handle.read(2)
    except FileNotFoundError:
        raise missing(journal) from None
    if actual < committed_size:
        raise shortened(journal, actual, committed_size)
    if not looks_like_journal(first, last_two):
        raise damaged(journal)


def open_journal_for_writing(
    journal: Path, main: Path, *, readable: bool = False
) -> tuple[int, bool]:
    """Open a journal (or the lock) to write, never through a link; a new one takes the
    data file's mode and owner. Returns the descriptor and whether it was created."""
    fd, created = safe_files.open_new(journal, readable=readable)
    if created:
        try:
            safe_files.adopt(fd, main)
        except OSError:
            os.close(fd)
            raise
    return fd, created


def append_journal(journal: Path, committed_size: int, data: bytes, main: Path) -> None:
    fd, created = open_journal_for_writing(journal, main)
    try:
        safe_files.truncate(fd, committed_size)  # drop what a killed writer left behind
        write_all(fd, data, committed_size)
        safe_files.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_folder(journal.parent)


def write_atomically(target: Path, data: bytes, temp_prefix: str, like: Path | None = None) -> None:
    """Replace ``target`` whole with ``data`` (a new file takes the mode and owner of
    ``like``, else 0600)."""
    safe_files.replace_atomically(target, data, temp_prefix, like=like)
    # The rename is the commit: once it happened, a failing folder fsync must not
    # roll back the journals the new main file already counts on.
    with contextlib.suppress(OSError):
        fsync_folder(target.parent)


class CommittedBytes:
    """The committed part of one journal, read through a descriptor opened at once.

    Opening early matters for the open-deals journal: a writer's compaction deletes
    the old generation, but a descriptor opened before that keeps reading it.
    A journal not written yet (a migration in progress) is held in memory instead.
    """

    def __init__(self, path: Path, size: int, *, fd: int | None = None, data: bytes = b"") -> None:
        self.path = path
        self.size = size
        self._fd = fd
        self._data = data if fd is None else None
        if fd is not None:
            weakref.finalize(self, os.close, fd)

    @classmethod
    def open(cls, path: Path, size: int) -> CommittedBytes:
        """Open ``path`` for reading its first ``size`` bytes (FileNotFoundError if gone)."""
        if size == 0:
            return cls(path, 0)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise StoreError(
                _("The file {path} cannot be read: {problem}.").format(
                    path=path, problem=os_problem(exc)
                )
            ) from None
        return cls(path, size, fd=fd)

    def actual_size(self) -> int | None:
        """The size of the file opened (None: none is open)."""
        return os.fstat(self._fd).st_size if self._fd is not None else None

    @classmethod
    def missing(cls, path: Path, size: int) -> CommittedBytes:
        """A derived file that is gone (deleted by hand): reading it says so, and a
        ``doctor`` can still read everything else to rebuild it."""
        gone = cls(path, size)
        gone._data = None
        return gone

    def read(self, at: int, size: int) -> bytes:
        if self._data is not None:
            return self._data[at : at + size]
        if self._fd is None and self.size:
            raise missing(self.path)
        if self._fd is None or at + size > self.size:
            raise damaged(self.path)
        data = os.pread(self._fd, size, at)
        if len(data) < size:  # its size: where the read stopped said 12483 of an empty file
            raise shortened(self.path, os.fstat(self._fd).st_size, self.size)
        return data

    def check_ends(self) -> None:
        """Raise unless the committed bytes start and end as :meth:`read_all` checks they
        do, without reading what lies between (a write that needs none of them)."""
        if self._data is not None or not self.size:
            return
        if self.size < 2 or not looks_like_journal(self.read(0, 1), self.read(self.size - 2, 2)):
            raise damaged(self.path)

    def read_all(self) -> bytes:
        if self._data is None:
            self._data = self.read(0, self.size) if self.size else b""
            if self._data and not looks_like_journal(self._data[:1], self._data[-2:]):
                raise damaged(self.path)
        return self._data


# How many new journal bytes a transaction holds in memory before writing them ahead.
SPOOL_LIMIT = 8 << 20


class Spool:
    """The lines one transaction adds to one journal.

    Kept in memory up to SPOOL_LIMIT bytes, then written to the journal itself past its
    committed size, where readers never look (they read up to the size the main file
    names): a large import or demo holds a few MB, not its whole history. ``finish``
    writes the rest and fsyncs before the main file is replaced; ``discard`` cuts the
    journal back (or removes it) when the transaction does not commit. A writer killed
    in between leaves a tail that the next writer cuts off.
    """

    def __init__(
        self,
        path: Path,
        committed: int,
        before_spill: Callable[[], None] | None = None,
        database: Path | None = None,
        check: Callable[[Path, int], None] | None = None,
        *,
        fingerprinted: bool = False,
    ) -> None:
        self.path = path
        # A digest of the bytes added (the events journal's, for the lock file's stamp).
        self._fingerprint = Fingerprint() if fingerprinted else None
        self.check = check or check_journal
        self.database = database or path  # the file errors name: the one the user chose
        self.committed = committed
        self.before_spill = before_spill
        self.limit = SPOOL_LIMIT
        self._buffer = bytearray()
        self._spilled = 0
        self._fd: int | None = None
        self._created = False
        self._touched = False  # the journal file was opened for writing (maybe in part)

    def __len__(self) -> int:
        return self._spilled + len(self._buffer)

    def append(self, data: bytes) -> int:
        """Add ``data``; its offset among this transaction's bytes."""
        at = len(self)
        self._buffer += data
        if self._fingerprint is not None:
            self._fingerprint.update(data)
        if len(self._buffer) >= self.limit:
            self._spill()
        return at

    def read(self, at: int, size: int) -> bytes:
        """Bytes this transaction added, from ``at`` (an offset ``append`` returned)."""
        if at >= self._spilled:
            return bytes(self._buffer[at - self._spilled : at - self._spilled + size])
        assert self._fd is not None
        return os.pread(self._fd, size, self.committed + at)

    def digest(self) -> str:
        """The fingerprint of the bytes added (empty unless ``fingerprinted``)."""
        return self._fingerprint.hexdigest() if self._fingerprint is not None else ""

    def finish(self) -> None:
        """Write what is left and make it durable (the main file commits it)."""
        if not len(self):
            return
        if self._buffer:
            self._spill()
        assert self._fd is not None
        safe_files.fsync(self._fd)
        if self._created:
            fsync_folder(self.path.parent)
        self._close()

    def discard(self, *, take_back: bool = True) -> None:
        """Take back what was written: the journal as it was committed. Without
        ``take_back`` (the lock was lost: another writer may have written since) the
        journal is left as it is, for the writer holding the lock now to cut."""
        if self._touched and take_back:
            with contextlib.suppress(OSError):
                if self._created:
                    self.path.unlink()
                elif self._fd is not None:
                    safe_files.truncate(self._fd, self.committed)
                else:
                    os.truncate(self.path, self.committed)
        self._close()

    def _spill(self) -> None:
        try:
            if self._fd is None:
                self._open_for_spilling()
            elif self.before_spill:
                self.before_spill()  # each time: a writer let in meanwhile owns the bytes
            assert self._fd is not None
            write_all(self._fd, bytes(self._buffer), self.committed + self._spilled)
        except OSError as exc:
            raise WriteFailed(write_failure(self.database, exc)) from None
        self._spilled += len(self._buffer)
        self._buffer.clear()

    def _open_for_spilling(self) -> None:
        self.check(self.path, self.committed)
        if self.before_spill:
            self.before_spill()
        self._fd, self._created = open_journal_for_writing(self.path, self.database, readable=True)
        self._touched = True
        safe_files.truncate(self._fd, self.committed)  # drop what a killed writer left behind

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
