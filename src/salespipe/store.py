"""The data file: the only module that knows TinyDB, files, locks and journals.

One database is a set of files sharing a name stem, e.g. for ``pipeline.json``:

``pipeline.json``
    A TinyDB document (written through :class:`_BufferedStorage`): the format
    marker and schema version, settings, stages and the *open* deals. It is small
    (it grows with the open pipeline, not with history) and is replaced whole,
    atomically, on every change.
``pipeline.events.jsonl``
    Every event ever recorded, one JSON object a line, append-only.
``pipeline.closed.jsonl``
    The latest record of each closed deal, appended when a deal closes or a closed
    deal changes (a later line for the same id wins; a tombstone marks deletion).
``pipeline.lock``
    Held with ``flock`` over each whole read-modify-write.

The main file records how many bytes of each journal are committed. A writer
appends to the journals (after cutting off any tail a killed writer left), fsyncs
them, then atomically replaces the main file; readers take no lock and read each
journal only up to the size their copy of the main file names. So a reader always
sees one consistent state, a crash at any moment leaves the last committed state,
and everyday commands never parse or rewrite the closed history.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from salespipe.errors import (
    DatabaseBusy,
    NewerSchema,
    NotASalespipeFile,
    StoreError,
    WriteFailed,
)
from salespipe.model import Deal, Event, Record, Stage

FORMAT = "salespipe"
SCHEMA_VERSION = 1
UNDO_DEPTH = 100
META, STAGES, DEALS = "_meta", "stages", "deals"

# Migrations from schema N to N+1: each takes and returns the main document.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


@dataclass(frozen=True)
class DatabasePaths:
    main: Path
    events: Path
    closed: Path
    lock: Path

    @classmethod
    def for_main(cls, main: Path) -> DatabasePaths:
        stem = main.name.removesuffix(".json")
        folder = main.parent
        return cls(
            main=main,
            events=folder / f"{stem}.events.jsonl",
            closed=folder / f"{stem}.closed.jsonl",
            lock=folder / f"{stem}.lock",
        )

    def temp_prefix(self) -> str:
        return f".{self.main.name}.tmp-"

    def all_data_files(self) -> tuple[Path, ...]:
        return (self.main, self.events, self.closed)


class _BufferedStorage(Storage):
    """TinyDB storage over a dict already read; the store writes it once per change."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.dirty = False

    def read(self) -> dict[str, Any]:
        return self.data

    def write(self, data: dict[str, Any]) -> None:
        self.data = data
        self.dirty = True


def new_document(config: dict[str, Any], stages: list[Stage], now_iso: str) -> dict[str, Any]:
    meta = {
        "format": FORMAT,
        "schema": SCHEMA_VERSION,
        "created_at": now_iso,
        "next_deal_id": 1,
        "next_seq": 1,
        "next_change": 1,
        "events_size": 0,
        "closed_size": 0,
        "config": config,
        "changes": [],
    }
    return {
        META: {"1": meta},
        STAGES: {str(i): s.to_record() for i, s in enumerate(stages, start=1)},
        DEALS: {},
    }


def _load_document(path: Path) -> dict[str, Any] | None:
    """Read and check the main file; None when it does not exist yet."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise NotASalespipeFile(f"{path} is a folder, not a salespipe data file.") from None
    except OSError as exc:
        raise StoreError(f"The data file {path} cannot be read: {exc.strerror}.") from None
    if not raw.strip():
        raise NotASalespipeFile(
            f"The data file {path} is empty, so it is not a salespipe file; "
            "move it away or choose another file with --db."
        )
    try:
        document: dict[str, Any] = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise NotASalespipeFile(
            f"The data file {path} is not valid JSON; it was left untouched "
            "(restore it from a backup or choose another file with --db)."
        ) from None
    meta = _meta_of(document)
    if meta is None:
        raise NotASalespipeFile(
            f"The file {path} is JSON but not a salespipe data file; it was left untouched."
        )
    schema = meta["schema"]
    if schema > SCHEMA_VERSION:
        raise NewerSchema(
            f"The data file {path} was written by a newer salespipe (schema {schema}, "
            f"this one reads {SCHEMA_VERSION}); upgrade salespipe to use it."
        )
    return document


def _meta_of(document: Any) -> dict[str, Any] | None:
    if not isinstance(document, dict):
        return None
    tables_ok = all(isinstance(document.get(t), dict) for t in (META, STAGES, DEALS))
    meta = document.get(META, {}).get("1") if tables_ok else None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        return None
    if not isinstance(meta.get("schema"), int) or meta["schema"] < 1:
        return None
    return meta


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_committed(path: Path, size: int) -> bytes:
    if size == 0:
        return b""
    try:
        with path.open("rb") as handle:
            data = handle.read(size)
    except FileNotFoundError:
        data = b""
    except OSError as exc:
        raise StoreError(f"The file {path} cannot be read: {exc.strerror}.") from None
    if len(data) < size:
        raise StoreError(
            f"The file {path} is shorter than the data file records ({len(data)} of {size} "
            "bytes); it was damaged outside salespipe. Restore it from a backup."
        )
    if not _looks_like_journal(data[:1], data[-2:]):
        raise _damaged(path)
    return data


def _looks_like_journal(first: bytes, last_two: bytes) -> bool:
    """Committed journal bytes start a JSON object and end one with a newline."""
    return first == b"{" and last_two == b"}\n"


def _damaged(path: Path) -> StoreError:
    return StoreError(
        f"The file {path} holds data salespipe cannot read; it was damaged outside "
        "salespipe and was left untouched. Restore it from a backup."
    )


_LINE_START = re.compile(rb'^\{"id":(\d+),', re.MULTILINE)
_DAMAGE = (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError, IndexError)

F = TypeVar("F", bound=Callable[..., Any])


def _reports_damage(which: str) -> Callable[[F], F]:
    """Turn unreadable content of one of the database's files into a StoreError naming it."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def checked(self: Snapshot, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except _DAMAGE:
                raise _damaged(getattr(self.paths, which)) from None

        return cast(F, checked)

    return decorate


class Snapshot:
    """A consistent, read-only view of the database at one moment."""

    def __init__(self, paths: DatabasePaths, document: dict[str, Any], exists: bool) -> None:
        self.paths = paths
        self.exists = exists
        self._storage = _BufferedStorage(document)
        self._db = TinyDB(storage=lambda: self._storage)
        self._db.default_table_name = DEALS
        self._closed_bytes: bytes | None = None
        self._closed_index: dict[int, int] | None = None
        self._closed_lookups = 0

    # -- meta and settings -------------------------------------------------------
    @property
    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = self._storage.data[META]["1"]
        return meta

    def config(self) -> dict[str, Any]:
        return dict(self.meta.get("config", {}))

    @_reports_damage("main")
    def stages(self) -> list[Stage]:
        records = self._storage.data[STAGES].values()
        return sorted((Stage.from_record(r) for r in records), key=lambda s: s.position)

    # -- deals ---------------------------------------------------------------------
    @_reports_damage("main")
    def open_deals(self) -> list[Deal]:
        return [Deal.from_record(r) for r in self._storage.data[DEALS].values()]

    def open_deal_ids(self) -> set[int]:
        return {int(key) for key in self._storage.data[DEALS]}

    @_reports_damage("closed")
    def get_deal(self, deal_id: int) -> Deal | None:
        record = self._storage.data[DEALS].get(str(deal_id))
        if record is None:
            record = self._closed_record(deal_id)
        return Deal.from_record(record) if record else None

    @_reports_damage("closed")
    def closed_deals(self) -> list[Deal]:
        """The latest record of every closed, undeleted deal."""
        latest: dict[int, Record | None] = {}
        for line in self._closed().splitlines():
            record = orjson.loads(line)
            latest[record["id"]] = None if record.get("deleted") else record
        open_ids = self.open_deal_ids()
        return [
            Deal.from_record(r)
            for deal_id, r in latest.items()
            if r is not None and deal_id not in open_ids
        ]

    def all_deals(self) -> list[Deal]:
        return self.open_deals() + self.closed_deals()

    def _closed(self) -> bytes:
        if self._closed_bytes is None:
            self._closed_bytes = _read_committed(self.paths.closed, self.meta["closed_size"])
        return self._closed_bytes

    def _closed_record(self, deal_id: int) -> Record | None:
        """The latest closed record of a deal, found without parsing the whole journal."""
        data = self._closed()
        self._closed_lookups += 1
        if self._closed_index is None and self._closed_lookups > 8:
            # Many lookups (an undo of a large import): index the line starts once.
            self._closed_index = {
                int(match[1]): match.start() for match in _LINE_START.finditer(data)
            }
        if self._closed_index is not None:
            position = self._closed_index.get(deal_id, -1)
        else:
            marker = b'{"id":%d,' % deal_id
            position = data.rfind(b"\n" + marker)
            position = position + 1 if position >= 0 else (0 if data.startswith(marker) else -1)
        if position < 0:
            return None
        end = data.find(b"\n", position)
        record: Record = orjson.loads(data[position : end if end >= 0 else None])
        return None if record.get("deleted") else record

    # -- events --------------------------------------------------------------------
    @_reports_damage("events")
    def events(self, deal_id: int | None = None) -> list[Event]:
        """Every committed event in recorded order, or those of one deal."""
        data = _read_committed(self.paths.events, self.meta["events_size"])
        lines = data.splitlines()
        if deal_id is not None:
            marker = b'"deal_id":%d,' % deal_id
            lines = [line for line in lines if marker in line]
        return [Event.from_record(orjson.loads(line)) for line in lines]

    def event_lines(self, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Every committed event as its stored JSON line, in recorded order, read a chunk
        at a time so that memory stays flat however long the history (for export)."""
        remaining: int = self.meta["events_size"]
        if not remaining:
            return
        try:
            handle = self.paths.events.open("rb")
        except OSError as exc:
            raise StoreError(
                f"The file {self.paths.events} cannot be read: {exc.strerror}."
            ) from None
        with handle:
            tail = b""
            while remaining > 0:
                chunk = handle.read(min(remaining, chunk_size))
                if not chunk:
                    raise StoreError(
                        f"The file {self.paths.events} is shorter than the data file records; "
                        "it was damaged outside salespipe. Restore it from a backup."
                    )
                remaining -= len(chunk)
                lines = (tail + chunk).split(b"\n")
                tail = lines.pop()
                yield from (line for line in lines if line)
            if tail:
                yield tail

    @_reports_damage("events")
    def undone_changes(self) -> set[int]:
        """The ids of changes that a later ``undo`` reverted."""
        data = _read_committed(self.paths.events, self.meta["events_size"])
        return {
            orjson.loads(line)["after"]["undid"]
            for line in data.splitlines()
            if b'"type":"undo"' in line
        }

    def change_stack(self) -> list[dict[str, Any]]:
        return list(self.meta.get("changes", []))

    @_reports_damage("events")
    def events_of_change(self, entry: dict[str, Any]) -> list[Event]:
        with self.paths.events.open("rb") as handle:
            handle.seek(entry["offset"])
            data = handle.read(entry["size"])
        return [Event.from_record(orjson.loads(line)) for line in data.splitlines()]


class Transaction(Snapshot):
    """A snapshot that can be changed; the store commits it as one write."""

    def __init__(self, paths: DatabasePaths, document: dict[str, Any], exists: bool) -> None:
        super().__init__(paths, document, exists)
        # New journal lines, kept in one buffer each: many small bytes objects would cost
        # several times their size in memory on a large import.
        self._new_events = bytearray()
        self._new_closed = bytearray()
        self._pending_closed: dict[int, Record | None] = {}  # id -> record or tombstone
        self._change_id: int | None = None
        self._change_entry: dict[str, Any] | None = None
        self._push_change = True

    @property
    def changed(self) -> bool:
        return bool(self._new_events or self._new_closed or self._storage.dirty)

    # -- ids -----------------------------------------------------------------------
    def allocate_deal_id(self) -> int:
        deal_id: int = self.meta["next_deal_id"]
        self.set_meta(next_deal_id=deal_id + 1)
        return deal_id

    def change_id(self) -> int:
        if self._change_id is None:
            self._change_id = self.meta["next_change"]
            self.set_meta(next_change=self._change_id + 1)
        return self._change_id

    def next_seq(self) -> int:
        seq: int = self.meta["next_seq"]
        self.set_meta(next_seq=seq + 1)
        return seq

    def set_meta(self, **values: Any) -> None:
        """Change bookkeeping values of the main file (counters, flags such as ``demo``)."""
        self._db.table(META).update(values, doc_ids=[1])

    # -- settings and stages -------------------------------------------------------
    def set_config(self, key: str, value: Any) -> None:
        config = self.config()
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
        self.set_meta(config=config)

    def save_stages(self, stages: Iterable[Stage]) -> None:
        table = self._db.table(STAGES)
        table.truncate()
        table.insert_multiple(
            Document(s.to_record(), doc_id=i) for i, s in enumerate(stages, start=1)
        )

    # -- deals ---------------------------------------------------------------------
    def save_deals(self, deals: Iterable[Deal]) -> None:
        """Store the given deals where their status says: open in the main file,
        closed in the closed journal."""
        table = self._db.table(DEALS)
        open_ids = self.open_deal_ids()
        new_open: list[Document] = []
        updated: dict[int, Record] = {}
        leaving: list[int] = []
        for deal in deals:
            record = deal.to_record()
            if deal.is_open:
                if deal.id in open_ids:
                    updated[deal.id] = record
                else:
                    new_open.append(Document(record, doc_id=deal.id))
            else:
                if deal.id in open_ids:
                    leaving.append(deal.id)
                self._append_closed(record)
        if updated:

            def replace(doc: MutableMapping[str, Any]) -> None:
                fresh = updated[doc["id"]]
                doc.clear()
                doc.update(fresh)

            table.update(replace, doc_ids=list(updated))
        if leaving:
            table.remove(doc_ids=leaving)
        if new_open:
            table.insert_multiple(new_open)

    def delete_deal(self, deal: Deal) -> None:
        if deal.is_open:
            self._db.table(DEALS).remove(doc_ids=[deal.id])
        # Always a tombstone: an open deal may have been closed and reopened before, and
        # its old closed record must not come back.
        self._append_closed({"id": deal.id, "deleted": True})

    def _append_closed(self, record: Record) -> None:
        self._new_closed += orjson.dumps(record)
        self._new_closed += b"\n"
        self._pending_closed[record["id"]] = None if record.get("deleted") else record

    def get_deal(self, deal_id: int) -> Deal | None:
        # A deal closed or deleted earlier in this transaction must be seen as it is now.
        if str(deal_id) not in self._storage.data[DEALS] and deal_id in self._pending_closed:
            pending = self._pending_closed[deal_id]
            return Deal.from_record(pending) if pending else None
        return super().get_deal(deal_id)

    # -- events --------------------------------------------------------------------
    def record(self, event: Event) -> None:
        self._new_events += orjson.dumps(event.to_record())
        self._new_events += b"\n"

    def do_not_push_change(self) -> None:
        """This change (an undo) is not itself something to undo."""
        self._push_change = False

    def pop_change(self) -> dict[str, Any] | None:
        stack = self.change_stack()
        if not stack:
            return None
        entry = stack.pop()
        self.set_meta(changes=stack)
        return entry

    # -- commit (called by the store) ------------------------------------------------
    def _finish_meta(self, now_iso: str, command: str) -> tuple[bytes, bytes]:
        events, closed = bytes(self._new_events), bytes(self._new_closed)
        self._new_events.clear()
        self._new_closed.clear()
        offset = self.meta["events_size"]
        updates: dict[str, Any] = {
            "events_size": offset + len(events),
            "closed_size": self.meta["closed_size"] + len(closed),
        }
        if events and self._push_change:
            entry = {
                "change": self.change_id(),
                "offset": offset,
                "size": len(events),
                "command": command,
                "at": now_iso,
            }
            updates["changes"] = [*self.change_stack(), entry][-UNDO_DEPTH:]
        self.set_meta(**updates)
        return events, closed

    def _document_bytes(self) -> bytes:
        return orjson.dumps(self._storage.data)


@dataclass
class Store:
    """Opens snapshots and transactions on one database."""

    path: Path
    new_document: Callable[[], dict[str, Any]] = field(repr=False)

    def __post_init__(self) -> None:
        self.paths = DatabasePaths.for_main(self.path)

    def read(self) -> Snapshot:
        document = _load_document(self.path)
        if document is None:
            self._refuse_orphan_journals()
            return Snapshot(self.paths, self.new_document(), exists=False)
        return Snapshot(self.paths, self._migrated(document, write_backup=False), exists=True)

    @contextlib.contextmanager
    def transaction(
        self, lock_timeout: Callable[[], float], command: str, now_iso: str
    ) -> Iterator[Transaction]:
        """Lock, read, let the caller change, and commit in one atomic write.

        If the body raises, nothing is written.
        """
        with self._locked(lock_timeout):
            document = _load_document(self.path)
            exists = document is not None
            if document is None:
                self._refuse_orphan_journals()
                document = self.new_document()
            else:
                document = self._migrated(document, write_backup=True)
            tx = Transaction(self.paths, document, exists)
            yield tx
            if tx.changed:
                self._commit(tx, command, now_iso)

    # -- locking -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self, timeout_of: Callable[[], float]) -> Iterator[None]:
        """Hold the database lock; ``timeout_of`` is asked only if the lock is busy."""
        folder = self.paths.lock.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.paths.lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise WriteFailed(
                f"Cannot open the lock file {self.paths.lock}: {exc.strerror}; "
                "the data file was not changed."
            ) from None
        try:
            deadline: float | None = None
            timeout = 0.0
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if deadline is None:
                        timeout = timeout_of()
                        deadline = time.monotonic() + timeout
                    if time.monotonic() >= deadline:
                        raise DatabaseBusy(
                            f"The database {self.path} is busy: another salespipe process "
                            f"held it for more than {timeout:g} s; nothing was changed, "
                            "try again."
                        ) from None
                    time.sleep(0.02)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def delete_files(self, lock_timeout: Callable[[], float]) -> None:
        """Remove the whole database (journals first), under the lock.

        Only for replacing a demo database: a crash in between leaves a main file whose
        journals are missing, which the next ``demo`` run removes again.
        """
        with self._locked(lock_timeout):
            for path in (self.paths.events, self.paths.closed, self.paths.main):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    # -- checks ----------------------------------------------------------------------------
    def _refuse_orphan_journals(self) -> None:
        for journal in (self.paths.events, self.paths.closed):
            with contextlib.suppress(OSError):
                if journal.stat().st_size > 0:
                    raise NotASalespipeFile(
                        f"{journal} exists but its data file {self.path} does not; "
                        "restore the data file or move the journal away."
                    )

    def _migrated(self, document: dict[str, Any], write_backup: bool) -> dict[str, Any]:
        schema = document[META]["1"]["schema"]
        if schema == SCHEMA_VERSION:
            return document
        if write_backup:
            backup = self.path.with_name(f"{self.path.name}.schema{schema}.bak")
            if not backup.exists():
                self._write_atomically(backup, self.path.read_bytes())
        while schema < SCHEMA_VERSION:
            document = MIGRATIONS[schema](document)
            schema += 1
            document[META]["1"]["schema"] = schema
        return document

    # -- writing -----------------------------------------------------------------------------
    def _ensure_writable(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            if not self.path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
                raise WriteFailed(f"The data file {self.path} is read-only; nothing was changed.")

    def _remove_stale_temp_files(self) -> None:
        prefix = self.paths.temp_prefix()
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.path.parent):
                if entry.name.startswith(prefix):
                    os.unlink(entry.path)

    def _commit(self, tx: Transaction, command: str, now_iso: str) -> None:
        self._ensure_writable()
        self._remove_stale_temp_files()
        if not tx.exists:
            # Create the main file first, so a crash can never leave journals without it.
            self._write_atomically(self.path, orjson.dumps(self.new_document()))
        committed = {
            self.paths.events: tx.meta["events_size"],
            self.paths.closed: tx.meta["closed_size"],
        }
        for journal, size in committed.items():
            self._check_journal(journal, size)
        events, closed = tx._finish_meta(now_iso, command)
        appended: dict[Path, bool] = {}  # journal -> whether it existed before
        try:
            for journal, data in ((self.paths.events, events), (self.paths.closed, closed)):
                if data:
                    appended[journal] = journal.exists()
                    self._append(journal, committed[journal], data)
            self._write_atomically(self.path, tx._document_bytes())
        except OSError as exc:
            for journal, existed in appended.items():
                with contextlib.suppress(OSError):
                    if existed:
                        os.truncate(journal, committed[journal])
                    else:
                        journal.unlink()
            if not tx.exists:
                with contextlib.suppress(OSError):
                    self.path.unlink()
            raise WriteFailed(self._write_failure(exc)) from None

    def _write_failure(self, exc: OSError) -> str:
        reason = {
            errno.ENOSPC: "the disk is full",
            errno.EDQUOT: "the disk quota is exceeded",
            errno.EROFS: "the file system is read-only",
            errno.EACCES: "permission was denied",
            errno.EPERM: "permission was denied",
        }.get(exc.errno or 0, exc.strerror or "the write failed")
        return f"Cannot write the data file {self.path}: {reason}; nothing was changed."

    @staticmethod
    def _check_journal(journal: Path, committed_size: int) -> None:
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
            actual, first, last_two = 0, b"", b""
        if actual < committed_size:
            raise StoreError(
                f"The file {journal} is shorter than the data file records ({actual} of "
                f"{committed_size} bytes); it was damaged outside salespipe. Restore it from "
                "a backup; nothing was changed."
            )
        if not _looks_like_journal(first, last_two):
            raise _damaged(journal)

    @staticmethod
    def _append(journal: Path, committed_size: int, data: bytes) -> None:
        created = not journal.exists()
        fd = os.open(journal, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.ftruncate(fd, committed_size)  # drop what a killed writer left behind
            os.lseek(fd, committed_size, os.SEEK_SET)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            _fsync_folder(journal.parent)

    def _write_atomically(self, target: Path, data: bytes) -> None:
        folder = target.parent
        folder.mkdir(parents=True, exist_ok=True)
        temp = folder / f"{self.paths.temp_prefix()}{os.getpid()}"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, target)
        except OSError:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        # The rename is the commit: once it happened, a failing folder fsync must not
        # roll back the journals the new main file already counts on.
        with contextlib.suppress(OSError):
            _fsync_folder(folder)
