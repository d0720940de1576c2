"""The database as a whole: creating, checking, migrating, and committing a change."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from salespipe.core.errors import (
    NewerSchema,
    NoLiveFeed,
    NotASalespipeFile,
    StoreError,
    WriteFailed,
    os_problem,
)
from salespipe.core.i18n import _
from salespipe.core.model import Stage, first_pipeline
from salespipe.core.stored import config_problem, is_count
from salespipe.storage import safe_files
from salespipe.storage.jsonl import change_log, deal_columns, journal_end, line_index, moving
from salespipe.storage.jsonl.files import (
    CommittedBytes,
    DatabasePaths,
    HeldLock,
    append_journal,
    check_data_file,
    check_journal,
    damaged,
    hold_lock,
    main_files_named_by,
    missing,
    read_data_file,
    read_stamp,
    real_data_file,
    shortened,
    write_atomically,
    write_failure,
)
from salespipe.storage.jsonl.open_index import OpenIndex
from salespipe.storage.jsonl.snapshot import (
    COLUMNS_PENDING,
    DEALS,
    META,
    STAGES,
    Snapshot,
    deal_record,
)
from salespipe.storage.jsonl.transaction import IndexWrite, Transaction

if TYPE_CHECKING:
    from salespipe.storage.port import (
        Checkup,
        Follower,
        Initial,
        LockTimeout,
        ReadView,
        Storage,
        WriteTransaction,
    )

FORMAT = "salespipe"

# A writer that finds the open-deals journal over COMPACT_ABOVE bytes, with its live
# records less than COMPACT_LIVE_SHARE of it, rewrites it as a new generation. (The
# crash stress test sets them to compact on every write.)
COMPACT_ABOVE = 1 << 20
COMPACT_LIVE_SHARE = 0.5

# How often a lock-free reader starts again when a writer's compaction removed the
# open-deals journal between its reading the main file and opening the journal.
READ_ATTEMPTS = 20
CUT_JOURNAL_PAUSE = 0.02  # seconds between reads that found a journal cut short
MOVE_WAIT = 10.0  # seconds a reader waits on a move of a whole database (moving.py)


@dataclass
class Upgrade:
    """A main document on its way to the current schema, and the open deals' journal
    lines and index the steps took out of it (written by the next commit)."""

    document: dict[str, Any]
    open_lines: bytes | None = None
    open_index: dict[str, Any] | None = None

    @property
    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = self.document[META]["1"]
        return meta


def open_deals_to_journal(upgrade: Upgrade) -> None:
    """Schema 1 -> 2: the open deals' records leave the main file for the open-deals
    journal; the main file keeps an index of where each one is."""
    lines = bytearray()
    index: dict[str, dict[str, int]] = {}
    for key, record in upgrade.document[DEALS].items():
        line = orjson.dumps(record)
        index[key] = {"id": record["id"], "at": len(lines), "size": len(line)}
        lines += line + b"\n"
    upgrade.document[DEALS] = index
    upgrade.meta.update(open_generation=0, open_size=len(lines))
    upgrade.open_lines = bytes(lines)


def index_journals(upgrade: Upgrade) -> None:
    """Schema 2 -> 3: per-deal indexes of the events and closed-deals journals and the
    set of undone changes, kept by every write. Building them reads the whole
    journals, so the first write does it (``Store._derive_indexes``); a read goes on
    searching the journals. (An older salespipe refuses a schema 3 file: it would not
    keep them up to date.)"""
    for key in (*DERIVED_SIZES, "undone"):
        upgrade.meta.pop(key, None)


def stages_into_pipelines(upgrade: Upgrade) -> None:
    """Schema 3 -> 4: the database holds pipelines; its stages stay as they are, the
    stages of its first pipeline (whose key their records leave out)."""
    upgrade.meta["pipelines"] = [first_pipeline().to_record()]


def open_deal_columns(upgrade: Upgrade) -> None:
    """Schema 4 -> 5: each open deal's index entry keeps the columns the everyday
    questions read (deal_columns), kept by every write. Building them reads the
    open-deals journal, so the first write does it (``Store._derive_columns``); until
    then the questions read the whole records."""
    upgrade.meta[COLUMNS_PENDING] = True


def open_index_out_of_main(upgrade: Upgrade) -> None:
    """Schema 5 -> 6: the open deals' index leaves the main file for a checkpoint and
    an append-only tail (open_index.py), so that a write no longer rewrites it whole;
    the main file keeps the bytes its entries point at, for the compaction."""
    entries = upgrade.document[DEALS]
    upgrade.document[DEALS] = {}
    upgrade.open_index = entries
    upgrade.meta.update(
        open_index_generation=0,
        open_index_size=0,
        open_tail_size=0,
        open_live=sum(entry["size"] + 1 for entry in entries.values()),
    )


def keep_change_log(upgrade: Upgrade) -> None:
    """Schema 6 -> 7: every event's change row in the change log, kept by every write
    (change_log.py). Like the indexes, the first write builds it from the events
    journal; until then a reader derives the rows from the events."""
    upgrade.meta.pop(change_log.SIZE_KEY, None)


# The schema steps, in order: step N takes a document at schema N to schema N+1. The
# schema number a file records says which steps it has had; a file migrated by this
# program also lists their names under "migrations". Append new steps; never change
# or remove one.
MIGRATIONS: tuple[Callable[[Upgrade], None], ...] = (
    open_deals_to_journal,
    index_journals,
    stages_into_pipelines,
    open_deal_columns,
    open_index_out_of_main,
    keep_change_log,
)


def schema_version() -> int:
    """The schema this program writes: one past the steps it knows."""
    return 1 + len(MIGRATIONS)


def migrated(document: dict[str, Any]) -> Upgrade:
    """The document brought to the current schema, one named step at a time, each one
    recorded in its meta."""
    upgrade = Upgrade(document)
    while (schema := upgrade.meta["schema"]) < schema_version():
        step = MIGRATIONS[schema - 1]
        step(upgrade)
        upgrade.meta["schema"] = schema + 1
        upgrade.meta["migrations"] = [*upgrade.meta.get("migrations", []), step.__name__]
    return upgrade


def new_document(config: dict[str, Any], stages: list[Stage], now_iso: str) -> dict[str, Any]:
    meta = {
        "format": FORMAT,
        "schema": schema_version(),
        "created_at": now_iso,
        "next_deal_id": 1,
        "next_seq": 1,
        "next_change": 1,
        "events_size": 0,
        "closed_size": 0,
        "open_generation": 0,
        "open_size": 0,
        "open_index_generation": 0,
        "open_index_size": 0,
        "open_tail_size": 0,
        "open_live": 0,
        "event_index_size": 0,
        "closed_index_size": 0,
        change_log.SIZE_KEY: 0,
        "undone": [],
        "config": config,
        "changes": [],
        "pipelines": [first_pipeline().to_record()],
    }
    return {
        META: {"1": meta},
        STAGES: {str(i): s.to_record() for i, s in enumerate(stages, start=1)},
        DEALS: {},
    }


def _load_document(path: Path) -> dict[str, Any] | None:
    """Read and check the main file; None when it does not exist yet."""
    try:
        raw = read_data_file(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(
            _("The data file {path} cannot be read: {problem}.").format(
                path=path, problem=os_problem(exc)
            )
        ) from None
    if not raw.strip():
        raise NotASalespipeFile(
            _(
                "The data file {path} is empty, so it is not a salespipe file; "
                "move it away or choose another file with --db."
            ).format(path=path)
        )
    try:
        document: dict[str, Any] = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise NotASalespipeFile(
            _(
                "The data file {path} is not valid JSON; it was left untouched "
                "(restore it from a backup or choose another file with --db)."
            ).format(path=path)
        ) from None
    meta = _meta_of(document)
    if meta is None:
        raise NotASalespipeFile(
            _(
                "The file {path} is JSON but not a salespipe data file; it was left untouched."
            ).format(path=path)
        )
    schema: Any = meta.get("schema")
    if not is_count(schema, minimum=1):  # a bool is no schema number, though Python's is an int
        raise _wrong_value(path, "_meta.schema")
    if schema > schema_version():
        raise NewerSchema(
            _(
                "The data file {path} was written by a newer salespipe (schema {schema}, "
                "this one reads {readable}); upgrade salespipe to use it."
            ).format(path=path, schema=schema, readable=schema_version())
        )
    wrong = _meta_problem(meta) or _key_problem(document)
    if wrong is not None:
        raise _wrong_value(path, wrong)
    _refuse_a_lowered_schema(path, meta)
    return document


def _key_problem(document: dict[str, Any]) -> str | None:
    """Where a table of the main file is not one of records by number (a key added by
    hand beside ``_meta``'s "1" read well, and then every change ended in a traceback
    inside TinyDB), or None."""
    for name, table in document.items():
        if not isinstance(table, dict):
            return name
        for key in table:
            if not key.isdecimal():
                return f"{name}.{key}"
    return None


def _wrong_value(path: Path, where: str) -> StoreError:
    return StoreError(
        _(
            "The data file {path} holds a wrong value at {where}; it was edited or damaged "
            "outside salespipe and was left untouched. Restore it from a backup."
        ).format(path=path, where=where)
    )


def _refuse_a_lowered_schema(path: Path, meta: dict[str, Any]) -> None:
    """Refuse a main file whose schema number is lower than the bookkeeping it holds
    says: upgrading it would take its files for ones an older salespipe wrote (the
    open deals' journal and index, the change log) and lose what they hold."""
    later = _later_schema_kept(meta)
    if later is not None:
        schema, key = later
        raise StoreError(
            _(
                "The data file {path} says it is schema {claimed}, but it keeps _meta.{key}, "
                "which only schema {schema} and later write: its schema number was changed "
                "outside salespipe, so it was left untouched (set the number back, or restore "
                "the file from a backup)."
            ).format(path=path, claimed=meta["schema"], key=key, schema=schema)
        )


def _later_schema_kept(meta: dict[str, Any]) -> tuple[int, str] | None:
    """The newest schema whose step the file's schema number says it has not had, yet
    whose bookkeeping it holds, with one key of it; None when there is none."""
    for step in reversed(range(meta["schema"] - 1, len(MIGRATIONS))):
        for key in INTRODUCED.get(MIGRATIONS[step].__name__, ()):
            if key in meta:
                return step + 2, key
    return None


def _index_file(path: Path, size: int, may_be_missing: bool) -> CommittedBytes:
    try:
        return CommittedBytes.open(path, size)
    except FileNotFoundError:
        if not may_be_missing:
            raise
        return CommittedBytes.missing(path, size)


def is_file_of_a_database(path: Path) -> bool:
    """Whether ``path`` (a link followed) is the main file of a salespipe database or
    one of its files: its journals, indexes, lock, kept copies."""
    real = Path(os.path.realpath(path))
    return any(is_main_file(main) for main in (real, *main_files_named_by(real)))


_MAIN_FILE_START = re.compile(rb'\s*\{\s*"_meta"\s*:\s*\{\s*"1"\s*:\s*\{')
_OUR_FORMAT = re.compile(rb'"format"\s*:\s*"%s"' % FORMAT.encode())


def is_main_file(path: Path) -> bool:
    """Whether ``path`` is a regular file that begins as a main file does, however it is
    spaced (its first bytes are enough: it may be anything, as large as any; a FIFO is
    not opened to wait for a writer)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        head = os.read(fd, 4096)
    except OSError:
        return False
    finally:
        os.close(fd)
    return bool(_MAIN_FILE_START.match(head) and _OUR_FORMAT.search(head))


def stored_settings(path: Path) -> dict[str, Any]:
    """The settings a data file keeps, read before a command opens the file (for the
    language of a refusal found first: a bad option value); {} when there are none to
    read (no file, or one the command will refuse with its own words)."""
    try:
        meta = _meta_of(orjson.loads(read_data_file(path)))
    except (OSError, ValueError, StoreError):
        return {}
    config = (meta or {}).get("config")
    return config if isinstance(config, dict) and config_problem(config) is None else {}


def _meta_of(document: Any) -> dict[str, Any] | None:
    if not isinstance(document, dict):
        return None
    tables_ok = all(isinstance(document.get(t), dict) for t in (META, STAGES, DEALS))
    meta = document.get(META, {}).get("1") if tables_ok else None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        return None
    return meta


_COUNTERS = ("next_deal_id", "next_seq", "next_change")
_SIZES = ("events_size", "closed_size")
_OPEN_JOURNAL = ("open_generation", "open_size")  # since schema 2
DERIVED_SIZES = ("event_index_size", "closed_index_size")  # since schema 3
_OPEN_INDEX = ("open_index_generation", "open_index_size", "open_tail_size", "open_live")  # 6

# The bookkeeping each schema step brought into the main file, each naming files beside
# it that an older salespipe never wrote: a file whose schema number says it has not had
# the step yet but which keeps one of them had its number lowered by hand.
INTRODUCED = {
    "open_deals_to_journal": _OPEN_JOURNAL,
    "index_journals": DERIVED_SIZES,
    "open_index_out_of_main": _OPEN_INDEX,
    "keep_change_log": (change_log.SIZE_KEY,),
}


def _meta_problem(meta: dict[str, Any]) -> str | None:
    """Where the bookkeeping of a main file has a value of the wrong type, or None: a
    hand-edited file is refused as damaged rather than failing inside some command."""
    keys = (
        *_COUNTERS,
        *_SIZES,
        *(_OPEN_JOURNAL if meta["schema"] >= 2 else ()),
        *(_OPEN_INDEX if meta["schema"] >= 6 else ()),
    )
    for key in keys:
        if not is_count(meta.get(key), minimum=1 if key in _COUNTERS else 0):
            return f"_meta.{key}"
    for key in (*DERIVED_SIZES, change_log.SIZE_KEY):
        if key in meta and not is_count(meta[key]):
            return f"_meta.{key}"
    undone = meta.get("undone", [])
    if not isinstance(undone, list) or not all(is_count(c) for c in undone):
        return "_meta.undone"
    wrong = config_problem(meta.get("config", {}))
    if wrong is not None:
        return f"_meta.{wrong}"
    changes = meta.get("changes", [])
    if not isinstance(changes, list):
        return "_meta.changes"
    for index, entry in enumerate(changes):
        if not isinstance(entry, dict) or not all(
            is_count(entry.get(k)) for k in ("change", "offset", "size")
        ):
            return f"_meta.changes[{index}]"
    return None


@dataclass
class Store:
    """Opens snapshots and transactions on one database (the port's ``Storage``)."""

    path: Path
    initial: Callable[[], Initial] = field(repr=False)

    def __post_init__(self) -> None:
        self.path = real_data_file(self.path)
        self.paths = DatabasePaths.for_main(self.path)

    @property
    def location(self) -> str:
        return str(self.path)

    def follow(self) -> Follower:
        raise NoLiveFeed(self.location)

    def identity(self) -> str:
        return f"file:{self.path.resolve()}"

    def holds(self, path: str) -> bool:
        for own in self.paths.every_file():
            with contextlib.suppress(OSError):
                if Path(path).resolve() == own.resolve():
                    return True
        return False

    def new_document(self) -> dict[str, Any]:
        initial = self.initial()
        return new_document({}, initial.stages, initial.created_at)

    def read(self) -> Snapshot:
        """A consistent snapshot, read without the lock (but where a ``copy --replace``
        was cut off: it is finished first, under the lock). An open-deals index file
        still gone after every retry (deleted by hand) is read as missing: what needs it
        says so, and ``doctor --fix`` can rebuild it (the read that ``doctor`` starts with
        had refused)."""
        check_data_file(self.path)
        if moving.pending(self.paths):
            self._finish_a_cut_move_to_read()
        document: dict[str, Any] | None = None
        lost: FileNotFoundError | StoreError | None = None
        for attempt in range(READ_ATTEMPTS):
            document = _load_document(self.path)
            if document is None:
                self._refuse_orphan_journals()
                new = self.new_document()
                return Snapshot(self.paths, new, False, *self._no_open_files())
            upgrade = self._migrated(document, write_backup=False)
            # (Gone while a writer compacts is retried; gone every time, it was deleted.)
            last = attempt == READ_ATTEMPTS - 1
            try:
                open_files = self._open_files(upgrade, index_may_be_missing=last)
            except FileNotFoundError as gone:
                lost = gone
                continue  # compacted meanwhile: the main file now names the new files
            if upgrade.open_lines is None:
                try:
                    self._refuse_cut_journals(upgrade.meta, open_files[0])
                except StoreError as cut:
                    # `copy --replace` moves its journals in just before its main file:
                    # read in between, the new journal is shorter than the old main file
                    # says. Read again after a moment; cut every time, it was damaged.
                    lost = cut
                    time.sleep(CUT_JOURNAL_PAUSE)
                    continue
            return Snapshot(self.paths, upgrade.document, True, *open_files)
        self._refuse_an_older_main_file(read_stamp(self.paths))  # the cause, where it is that
        if isinstance(lost, StoreError):
            raise lost
        assert lost is not None
        raise missing(Path(str(lost.filename)))

    @contextlib.contextmanager
    def transaction(
        self,
        lock_timeout: LockTimeout,
        command: str,
        now_iso: str,
        *,
        index_may_be_missing: bool = False,
    ) -> Iterator[Transaction]:
        """Lock, read, let the caller change, and commit in one atomic write.

        If the body raises, nothing is written.
        """
        with hold_lock(self.paths, lock_timeout) as lock:
            self._finish_a_cut_move()
            document = _load_document(self.path)
            exists = document is not None
            if document is None:
                self._refuse_orphan_journals()
                document, open_files = self.new_document(), self._no_open_files()
            else:
                journal_end.refuse_an_older_main_file(
                    self.path,
                    self.paths.events,
                    document[META]["1"],
                    lock.stamped(),
                    self.paths.lock,
                )
                self._remove_unborn_generations(document[META]["1"])
                upgrade = self._migrated(document, write_backup=True)
                document = upgrade.document
                try:
                    open_files = self._open_files(
                        upgrade, index_may_be_missing=index_may_be_missing
                    )
                except FileNotFoundError as gone:
                    raise missing(Path(str(gone.filename))) from None
                if upgrade.open_lines is None:  # (journals cut short: said as reads say it)
                    self._refuse_cut_journals(upgrade.meta, open_files[0])
                if not all(key in document[META]["1"] for key in DERIVED_SIZES):
                    self._derive_indexes(document, *open_files)
                if document[META]["1"].pop(COLUMNS_PENDING, False):
                    _derive_columns(*open_files)
                if change_log.SIZE_KEY not in document[META]["1"]:
                    self._derive_change_log(document, *open_files)

            def before_spill() -> None:
                """Before a large change writes journal lines ahead of its commit."""
                lock.check()
                self._ensure_writable()
                if not exists and not self.path.exists():
                    # A new database's journals must never exist without their main file.
                    self._write_empty_main()

            tx = Transaction(self.paths, document, exists, *open_files, before_spill)
            try:
                yield tx
                if tx.changed:
                    lock.check()
                    self._commit(tx, command, now_iso, lock)
                    if tx.meta["events_size"] != tx._new_events.committed:
                        # (a change of no event, doctor --fix's, keeps the last one's stamp)
                        lock.stamp(tx.meta, tx._new_events.committed, tx._new_events.digest())
            except BaseException as exc:
                if tx.committed:
                    raise  # only tidying up after the commit was cut short: the change stands
                if not lock.still_held():
                    # Another writer may have committed meanwhile, where this change wrote
                    # ahead: the files are its now, and cutting them back would undo it.
                    tx._discard(take_back=False)
                    raise
                tx._discard()
                if not exists:  # under the lock, only this change can have made it
                    with contextlib.suppress(OSError):
                        self.path.unlink()
                if isinstance(exc, line_index.IndexDamaged):
                    raise self._index_to_rebuild() from None
                raise

    def _index_to_rebuild(self) -> StoreError:
        return StoreError(
            _(
                "The indexes of the data file {path} do not match its journals, so nothing "
                "was changed; `salespipe doctor --fix` rebuilds them."
            ).format(path=self.path)
        )

    # -- the events journal's index ---------------------------------------------------------
    def _derive_indexes(
        self, document: dict[str, Any], open_journal: CommittedBytes, open_index: OpenIndex
    ) -> None:
        """Build the journals' indexes and the undone set of a file that has none
        (upgraded from schema 2), under the lock. The indexes are written now, where no
        reader looks: the main file names them only once this change commits."""
        self._ensure_writable()
        snapshot = Snapshot(self.paths, document, True, open_journal, open_index)
        events, undone = line_index.derive_events(snapshot.event_lines())
        try:
            closed = line_index.derive_closed(snapshot._closed())
        except ValueError:
            raise damaged(self.paths.closed) from None
        files = line_index.indexed_journals(self.paths)
        sizes = {}
        prefix = self.paths.temp_prefix()
        for journal, data in (("events", events), ("closed", closed)):
            with contextlib.suppress(FileNotFoundError):
                files[journal].heads.unlink()
            try:
                write_atomically(files[journal].index, data, prefix, like=self.path)
            except OSError as exc:
                raise WriteFailed(write_failure(self.path, exc)) from None
            sizes[files[journal].size_key] = len(data)
        document[META]["1"].update(sizes, undone=undone)

    def _derive_change_log(
        self, document: dict[str, Any], open_journal: CommittedBytes, open_index: OpenIndex
    ) -> None:
        """Build the change log of a file that has none (upgraded from schema 4), under
        the lock, like :meth:`_derive_indexes`; written as it is made, so that memory
        stays flat however long the history."""
        self._ensure_writable()
        snapshot = Snapshot(self.paths, document, True, open_journal, open_index)
        try:
            size = change_log.build(self.paths.change_log, snapshot.event_lines(), self.path)
        except (ValueError, KeyError, TypeError, IndexError):
            raise damaged(self.paths.events) from None
        document[META]["1"][change_log.SIZE_KEY] = size

    @contextlib.contextmanager
    def replacing(
        self, lock_timeout: LockTimeout, command: str, now_iso: str
    ) -> Iterator[Transaction]:
        """A new database built aside, in a private folder beside this one, and moved in
        once committed there, all under this database's lock. Its journals come first,
        the open-deals one as a generation no reader uses; the main file's rename is the
        commit; a failure before it leaves this database as it was."""
        safe_files.make_folder(self.path.parent)
        with hold_lock(self.paths, lock_timeout) as lock:
            self._finish_a_cut_move()
            try:
                aside = Path(
                    tempfile.mkdtemp(prefix=self.paths.aside_prefix(), dir=self.path.parent)
                )
            except OSError as exc:
                raise WriteFailed(write_failure(self.path, exc)) from None
            try:
                new = Store(aside / self.path.name, self.initial)
                try:
                    with new.transaction(lock_timeout, command, now_iso) as tx:
                        yield tx
                except WriteFailed as failed:  # named by the file the user gave, not aside
                    said = failed.message.replace(str(new.path), str(self.path))
                    raise WriteFailed(said) from None
                lock.check()
                lock.stamp(self._move_in(new, aside), 0, tx._new_events.digest())
            finally:
                if not moving.pending(self.paths):  # (else it holds what did not go back)
                    shutil.rmtree(aside, ignore_errors=True)

    def _finish_a_cut_move(self) -> None:
        """Under the lock, before anything is read: a move of a whole database killed
        half-way (``copy --replace``) is finished, forward or back, and a folder a killed
        copy was building is removed (moving.py)."""
        try:
            move = moving.cut_off(self.paths)
            finished = move.finish() if move is not None else None
        except OSError as exc:
            raise self._cut_off_here(exc) from None
        if move is not None:
            if finished is moving.Finished.FORWARD:
                document = _load_document(self.path)
                if document is not None:  # what the killed move removed after its commit
                    self._remove_other_generations(document[META]["1"])
            move.close()
        moving.remove_abandoned(self.paths)

    def _finish_a_cut_move_to_read(self) -> None:
        """A reader that finds a cut-off move finishes it (it takes the lock for that);
        one that may not write there says who can, rather than read half of it."""
        try:
            with hold_lock(self.paths, lambda: MOVE_WAIT):
                self._finish_a_cut_move()
        except (WriteFailed, OSError) as exc:
            if not moving.pending(self.paths):
                return  # finished meanwhile by another process
            if isinstance(exc, WriteFailed):
                raise  # (the lock file cannot be opened: said as any change says it)
            raise self._cut_off_here(exc) from None

    def _cut_off_here(self, exc: OSError) -> StoreError:
        problem = os_problem(exc)
        return StoreError(
            _(
                "A copy --replace into {path} was cut off and cannot be finished from "
                "here ({problem}); the next change by a user who may write there "
                "finishes it."
            ).format(path=self.path, problem=problem)
        )

    def _move_in(self, new: Store, aside: Path) -> dict[str, Any]:
        """Put ``new``'s files in place of this database's (the lock is held). This
        database's files are moved into ``aside`` first and moved back if a step fails
        before the main file is replaced; the moves are written down first, so that a
        crash in between is finished by the next command (moving.py)."""
        document = _load_document(new.path)
        assert document is not None
        meta: dict[str, Any] = document[META]["1"]
        generations = [_generation(p) for p in self.paths.open_journals()]
        fresh = max(generations, default=-1) + 1
        indexes = [_generation(p) for p in self.paths.open_index_files()]
        fresh_index = max(indexes, default=0) + 1  # 0 is "no index yet"
        index_generation = meta["open_index_generation"]
        moves = [
            (new.paths.events, self.paths.events),
            (new.paths.closed, self.paths.closed),
            (new.paths.open_journal(meta["open_generation"]), self.paths.open_journal(fresh)),
            (new.paths.event_index, self.paths.event_index),
            (new.paths.event_heads, self.paths.event_heads),
            (new.paths.closed_index, self.paths.closed_index),
            (new.paths.closed_heads, self.paths.closed_heads),
            (new.paths.change_log, self.paths.change_log),
            (new.paths.open_checkpoint(index_generation), self.paths.open_checkpoint(fresh_index)),
            (new.paths.open_tail(index_generation), self.paths.open_tail(fresh_index)),
            (new.paths.open_facts(index_generation), self.paths.open_facts(fresh_index)),
        ]
        meta["open_generation"] = fresh
        meta["open_index_generation"] = fresh_index
        absent = [target for source, target in moves if not source.exists()]
        kept = aside / "replaced"
        put: list[tuple[Path, Path | None]] = []  # (moved in, the old file it replaced)
        main = orjson.dumps(document)
        try:
            kept.mkdir()
            moving.write(self.paths, aside, main, [t for s, t in moves if t not in absent], absent)
            for source, target in moves:
                if target not in absent:
                    old = kept / target.name if target.exists() else None
                    if old is not None:
                        safe_files.rename(target, old)
                    put.append((target, old))
                    safe_files.rename(source, target)
            write_atomically(self.path, main, self.paths.temp_prefix(), like=new.path)
        except BaseException as exc:
            if _put_back(put):  # (else the record stays: the next change finishes it)
                moving.done(self.paths)
            if isinstance(exc, OSError):
                raise WriteFailed(write_failure(self.path, exc)) from None
            raise
        # The old database's journals the new one has no use for (it counts 0 bytes of
        # them); readers that opened one keep reading it through their descriptor.
        for target in absent:
            with contextlib.suppress(OSError):
                target.unlink()
        self._remove_other_generations(meta)
        shutil.rmtree(kept, ignore_errors=True)  # (before the record: then nothing is lost)
        moving.done(self.paths)
        return meta  # what the main file moved in records

    # -- the open-deals journal and index --------------------------------------------------
    def _no_open_files(self) -> tuple[CommittedBytes, OpenIndex]:
        nothing = CommittedBytes(self.paths.open_journal(0), 0)
        return nothing, OpenIndex(nothing, nothing)

    def _refuse_cut_journals(self, meta: dict[str, Any], open_journal: CommittedBytes) -> None:
        """Refuse a journal shorter than the main file records, before any command reads
        from it: `check`, `stale` and `chart` answer from the derived files without
        reading the journals, and so said "nothing to act on" of a damaged database (a
        cron job alerting on exit 4 never heard of it). A stat of each: writers only
        ever append to them, so a reader never sees one shorter than committed."""
        journals = (
            (self.paths.events, meta["events_size"], None),
            (self.paths.closed, meta["closed_size"], None),
            (open_journal.path, open_journal.size, open_journal.actual_size()),
        )
        for path, expected, known in journals:
            if not expected:
                continue
            try:
                size = known if known is not None else path.stat().st_size
            except FileNotFoundError:
                raise missing(path) from None
            if size < expected:
                raise shortened(path, size, expected)

    def _open_files(
        self, upgrade: Upgrade, *, index_may_be_missing: bool = False
    ) -> tuple[CommittedBytes, OpenIndex]:
        """The committed open-deals journal and index the main file names, opened now
        (FileNotFoundError if one is gone), or what a schema upgrade took out of the
        main file, not written yet."""
        meta = upgrade.meta
        if upgrade.open_lines is not None:
            lines = upgrade.open_lines
            journal = CommittedBytes(self.paths.open_journal(0), len(lines), data=lines)
        else:
            path = self.paths.open_journal(meta["open_generation"])
            journal = CommittedBytes.open(path, meta["open_size"])
        if upgrade.open_index is not None:
            return journal, OpenIndex.of(upgrade.open_index, self.paths.open_checkpoint(0))
        generation = meta["open_index_generation"]
        checkpoint = _index_file(
            self.paths.open_checkpoint(generation), meta["open_index_size"], index_may_be_missing
        )
        tail = _index_file(
            self.paths.open_tail(generation), meta["open_tail_size"], index_may_be_missing
        )
        return journal, OpenIndex(checkpoint, tail)

    # -- locking -----------------------------------------------------------------------
    def destroy(self, lock_timeout: LockTimeout) -> None:
        """Remove the whole database (journals first), under the lock.

        Only for replacing a demo database: a crash in between leaves a main file whose
        journals are missing, which the next ``demo`` run removes again.
        """
        with hold_lock(self.paths, lock_timeout):
            self._finish_a_cut_move()
            journals = (self.paths.events, self.paths.closed, *self.paths.open_journals())
            index = self.paths.open_index_files()
            for path in (*self.paths.derived_files(), *index, *journals, self.paths.main):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    # -- doctor ----------------------------------------------------------------------------
    def checkup(self, repair: bool, lock_timeout: LockTimeout, now_iso: str) -> Checkup:
        from salespipe.storage.jsonl import doctor
        from salespipe.storage.port import Checkup, Finding

        stamp = read_stamp(self.paths)  # before the main file (doctor.examine)
        snapshot = self.read()
        if not snapshot.exists:
            return Checkup([], [], False)
        found = doctor.examine(snapshot, stamp)
        findings = [
            Finding(c.name, line) for c, _fresh, lines in found if c.fixable for line in lines
        ]
        kept = tuple(
            Finding(c.name, line) for c, _fresh, lines in found if not c.fixable for line in lines
        )
        if repair and findings:
            backup = self.path.with_name(f"{self.path.name}.doctor.bak")
            with self.transaction(lock_timeout, "doctor", now_iso, index_may_be_missing=True) as tx:
                doctor.repair(tx, doctor.examine(tx, read_stamp(self.paths)), backup)
        checks = [check.name for check, *_rest in found]
        return Checkup(checks, findings, repair and bool(findings), cannot_fix=kept)

    def _refuse_an_older_main_file(self, stamp: dict[str, Any] | None) -> None:
        """Raise as a write would if the main file is older than its journals: put back
        from before a compaction, it names open-deals files that are gone, and a read
        stopped there, saying a file was missing (a write said why)."""
        try:
            meta = _load_document(self.path)[META]["1"]  # type: ignore[index]
            events_end = (meta["events_size"], meta["next_change"])
        except (StoreError, TypeError, KeyError):
            return
        if all(type(value) is int for value in events_end):
            journal_end.refuse_an_older_main_file(
                self.path, self.paths.events, meta, stamp, self.paths.lock
            )

    # -- checks ----------------------------------------------------------------------------
    def _refuse_orphan_journals(self) -> None:
        """Refuse a data file whose main file is gone but whose journals are not, naming
        every journal left (one at a time took a round of the user's work each)."""
        found = []
        for journal in (self.paths.events, self.paths.closed, *self.paths.open_journals()):
            with contextlib.suppress(OSError):
                if journal.stat().st_size > 0:
                    found.append(journal)
        if len(found) == 1:
            raise NotASalespipeFile(
                _(
                    "{journal} exists but its data file {path} does not; "
                    "restore the data file or move the journal away."
                ).format(journal=found[0], path=self.path)
            )
        if found:
            raise NotASalespipeFile(
                _(
                    "The journals {journals} exist but their data file {path} does not; "
                    "restore the data file or move the journals away."
                ).format(journals=", ".join(map(str, found)), path=self.path)
            )

    def _migrated(self, document: dict[str, Any], write_backup: bool) -> Upgrade:
        """The document at the current schema, with the open deals' journal lines and
        index the upgrade took out of the main file (written by the next commit)."""
        schema = document[META]["1"]["schema"]
        if schema == schema_version():
            return Upgrade(document)
        if write_backup:
            backup = self.path.with_name(f"{self.path.name}.schema{schema}.bak")
            if not backup.exists():
                self._write_whole(backup, read_data_file(self.path))
        return migrated(document)

    # -- writing -----------------------------------------------------------------------------
    def _ensure_writable(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            if not self.path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
                raise WriteFailed(
                    _("The data file {path} is read-only; nothing was changed.").format(
                        path=self.path
                    )
                )

    def _remove_unborn_generations(self, meta: dict[str, Any]) -> None:
        """Remove the open-deals files of a generation the main file does not name yet:
        a writer killed before its commit wrote them (megabytes at 100k deals, left
        until a fold happened to write them again). Under the lock, before this change
        writes any; readers read only the generations the main file names. Not when the
        files of the generation it names are missing: then the main file is an older one
        put back (a sync tool's restore), and the newer files are the database's own."""
        named = {"index": meta.get("open_index_generation"), "open": meta.get("open_generation")}
        for kind, files, named_file in (
            ("index", self.paths.open_index_files(), self.paths.open_checkpoint),
            ("open", self.paths.open_journals(), self.paths.open_journal),
        ):
            newest = named[kind]
            if not isinstance(newest, int):
                continue  # (a file from before these generations: nothing of them yet)
            if (kind == "open" or newest > 0) and not named_file(newest).exists():
                continue
            for path in files:
                generation = re.search(r"-(\d+)\.[a-z]+$", path.name)
                if generation is not None and int(generation.group(1)) > newest:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()

    def _remove_stale_temp_files(self) -> None:
        prefix = self.paths.temp_prefix()
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.path.parent):
                if entry.name.startswith(prefix):
                    os.unlink(entry.path)

    def _commit(self, tx: Transaction, command: str, now_iso: str, lock: HeldLock) -> None:
        self._ensure_writable()
        self._remove_stale_temp_files()
        if not tx.exists:
            # Create the main file first, so a crash can never leave journals without it.
            self._write_empty_main()
        generation = tx.meta["open_generation"]
        committed = {
            self.paths.events: tx.meta["events_size"],
            self.paths.closed: tx.meta["closed_size"],
        }
        if generation:
            committed[self.paths.open_journal(generation)] = tx.meta["open_size"]
        for journal, size in committed.items():
            check_journal(journal, size)
        for files in line_index.indexed_journals(self.paths).values():
            indexed = tx.meta.get(files.size_key)
            if indexed is not None:
                line_index.check_index(files.index, indexed)
                if not indexed:  # a new index: heads of another one must not be read with it
                    with contextlib.suppress(FileNotFoundError):
                        files.heads.unlink()
        open_data, open_generation = tx._finish_open(COMPACT_ABOVE, COMPACT_LIVE_SHARE)
        tail_size = tx.meta["open_tail_size"]
        index_write = tx._finish_index(lambda: self._fresh_index_generation(tx))
        if index_write is not None and index_write.checkpoint is None:
            check_journal(self.paths.open_tail(index_write.generation), tail_size)
        spools = tx._finish_meta(now_iso, command)
        open_journal = self.paths.open_journal(open_generation)
        compacted = open_generation != generation
        appended_open = False
        touched_index = False
        try:
            if compacted:
                write_atomically(open_journal, open_data, self.paths.temp_prefix(), like=self.path)
            elif open_data:
                appended_open = True
                append_journal(open_journal, committed[open_journal], open_data, self.path)
            if index_write is not None:
                touched_index = True
                self._write_open_index(index_write, tail_size)
            for spool in spools:
                spool.finish()
            lock.check()  # (the main file of a writer let in meanwhile is not replaced)
            write_atomically(self.path, tx._document_bytes(), self.paths.temp_prefix())
            # The rename was the commit: from here on nothing written is taken back. (Its
            # folder's fsync, in between, raises nothing, and Ctrl-C is held meanwhile.)
            tx.committed = True
        except (OSError, WriteFailed) as exc:
            if not lock.still_held():  # the files are another writer's now (see transaction)
                tx._discard(take_back=False)
                if isinstance(exc, WriteFailed):
                    raise
                raise WriteFailed(write_failure(self.path, exc)) from None
            tx._discard()
            with contextlib.suppress(OSError):
                if compacted:
                    open_journal.unlink()
                elif appended_open:
                    os.truncate(open_journal, committed[open_journal])
            if touched_index:
                assert index_write is not None
                self._take_back_open_index(index_write, tail_size)
            if not tx.exists:
                with contextlib.suppress(OSError):
                    self.path.unlink()
            if isinstance(exc, WriteFailed):
                raise
            raise WriteFailed(write_failure(self.path, exc)) from None
        self._remove_other_open_journals(open_journal)
        if index_write is not None and index_write.checkpoint is not None:
            self._remove_other_open_index_files(index_write.generation)
        for files in line_index.indexed_journals(self.paths).values():
            if size := tx.meta.get(files.size_key):
                count = line_index.count_of(size)
                prefix = self.paths.temp_prefix()
                line_index.catch_up(files.index, files.heads, count, prefix, self.path)

    def _fresh_index_generation(self, tx: Transaction) -> int:
        """A generation of the open index that no file on disk and no reader uses."""
        on_disk = [_generation(path) for path in self.paths.open_index_files()]
        current: int = tx.meta["open_index_generation"]
        return max([current, *on_disk]) + 1

    def _write_open_index(self, write: IndexWrite, tail_size: int) -> None:
        """Write a new checkpoint whole, or append to the tail (cutting off what a
        killed writer left past ``tail_size``)."""
        if write.checkpoint is not None:
            prefix = self.paths.temp_prefix()
            if write.facts is not None:
                facts = self.paths.open_facts(write.generation)
                write_atomically(facts, write.facts, prefix, like=self.path)
            path = self.paths.open_checkpoint(write.generation)
            write_atomically(path, write.checkpoint, prefix, like=self.path)
        else:
            append_journal(self.paths.open_tail(write.generation), tail_size, write.tail, self.path)

    def _take_back_open_index(self, write: IndexWrite, tail_size: int) -> None:
        """Undo :meth:`_write_open_index` of a commit that failed."""
        with contextlib.suppress(OSError):
            if write.checkpoint is not None:
                self.paths.open_facts(write.generation).unlink(missing_ok=True)
                self.paths.open_checkpoint(write.generation).unlink()
            elif tail_size:
                os.truncate(self.paths.open_tail(write.generation), tail_size)
            else:
                self.paths.open_tail(write.generation).unlink()

    def _remove_other_generations(self, meta: dict[str, Any]) -> None:
        """The open deals' journals and index files of the generations ``meta`` (a main
        file's, once committed) does not name."""
        self._remove_other_open_journals(self.paths.open_journal(meta["open_generation"]))
        self._remove_other_open_index_files(meta["open_index_generation"])

    def _remove_other_open_index_files(self, generation: int) -> None:
        """The open index's files of other generations (see _remove_other_open_journals)."""
        for path in self.paths.open_index_files():
            if _generation(path) != generation:
                with contextlib.suppress(OSError):
                    path.unlink()

    def _write_empty_main(self) -> None:
        self._ensure_writable()
        self._write_whole(self.path, orjson.dumps(self.new_document()))

    def _write_whole(self, target: Path, data: bytes) -> None:
        """:func:`write_atomically`, a failure said as one sentence (nothing was changed)."""
        try:
            write_atomically(target, data, self.paths.temp_prefix())
        except OSError as exc:
            raise WriteFailed(write_failure(self.path, exc)) from None

    def _remove_other_open_journals(self, current: Path) -> None:
        """Earlier generations, and any a crash left half made; readers that opened one
        before keep reading it through their descriptor."""
        for journal in self.paths.open_journals():
            if journal != current:
                with contextlib.suppress(OSError):
                    journal.unlink()


def _generation(path: Path) -> int:
    """The generation of an open-deals journal or open index file, from its name
    (``….open-N.jsonl``, ``….open-index-N.json``, ``….open-index-N.tail``)."""
    return int(path.name.rpartition("-")[2].partition(".")[0])


if TYPE_CHECKING:  # the backend implements the port (checked by mypy, costs nothing)
    _storage: type[Storage] = Store
    _view: type[ReadView] = Snapshot
    _transaction: type[WriteTransaction] = Transaction


def _derive_columns(open_journal: CommittedBytes, open_index: OpenIndex) -> None:
    """Give each open deal's index entry the columns of its record (a file upgraded from
    schema 4); they are written with the change, under the lock."""
    lines = open_journal.read_all()
    entries = {}
    for key, entry in open_index.items():
        try:
            line = lines[entry["at"] : entry["at"] + entry["size"]]
            record = deal_record(line, open_journal.path, entry["id"])
            entries[key] = {**entry, deal_columns.KEY: deal_columns.columns(record)}
        except (ValueError, KeyError, TypeError):
            raise damaged(open_journal.path) from None
    open_index.replace_all(entries)


def _put_back(put: list[tuple[Path, Path | None]]) -> bool:
    """Undo :meth:`Store._move_in`'s moves, newest first: each old file back in its place
    (a file that had none is removed); whether every one went back."""
    back = True
    for target, old in reversed(put):
        try:
            if old is None:
                target.unlink(missing_ok=True)
            else:
                os.replace(old, target)
        except OSError:
            back = False
    return back
