"""Reading one database state: the TinyDB document and the journals, lock-free."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage

from salespipe.core.errors import StoreError, os_problem
from salespipe.core.i18n import _
from salespipe.core.model import (
    EVENT_KEYS,
    Deal,
    Event,
    PipelineDef,
    Record,
    Stage,
    first_pipeline,
    is_deal_record,
)
from salespipe.storage.jsonl import deal_columns
from salespipe.storage.jsonl.files import (
    CommittedBytes,
    DatabasePaths,
    damaged,
    damaged_record,
    misplaced_record,
    missing,
    read_committed,
    same_stage_keys,
    shortened,
)
from salespipe.storage.jsonl.line_index import IndexDamaged, LineIndex, indexed_journals
from salespipe.storage.jsonl.open_index import OpenIndex

if TYPE_CHECKING:
    from salespipe.core.change_rows import ChangeRow
    from salespipe.storage.history import Asks, KeptBacktest, SlipTallies, Totals
    from salespipe.storage.jsonl.open_facts import Facts
    from salespipe.storage.port import Counters, UndoEntry
    from salespipe.storage.queries import Dated, OpenWhere, Page, StageSum

META, STAGES, DEALS = "_meta", "stages", "deals"
# Set by the schema step that gave the open index its columns, until a write builds them.
COLUMNS_PENDING = "open_columns_pending"

# The main file's own bookkeeping in its meta record; any other key there is a flag
# (see ReadView.flags).
BOOKKEEPING = frozenset(
    (
        "format",
        "schema",
        "migrations",
        "created_at",
        "next_deal_id",
        "next_seq",
        "next_change",
        "events_size",
        "closed_size",
        "open_generation",
        "open_size",
        "config",
        "changes",
        "event_index_size",
        "closed_index_size",
        "undone",
        "pipelines",
        COLUMNS_PENDING,
        "change_log_size",
        "open_index_generation",
        "open_index_size",
        "open_tail_size",
        "open_live",
    )
)


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


_DAMAGE = (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError, IndexError)

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def _reports_damage(which: str) -> Callable[[F], F]:
    """Turn unreadable content of one of the database's files into a StoreError naming it."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def checked(self: Snapshot, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except _DAMAGE:
                raise damaged(self._file(which)) from None

        return cast(F, checked)

    return decorate


# -- reading a deal's record: the one place ------------------------------------------
# Every deal record read from a journal goes through these: parsed, then checked to hold
# every field of a deal with its type (model.is_deal_record, about as fast as looking at
# its keys), so that a record changed by hand is said as a damaged file naming the deal
# and its field by every command that reads it, before anything shows, totals or writes
# it again. (Its nested values, dates and amounts are read where they are used: those
# errors are StoreErrors too, through _reports_damage and model.unreadable_record.)
# A record fetched for a deal (at the place an index gives that deal) must also be that
# deal's: one whose id was changed by hand to another's is refused (misplaced_record),
# never shown as the other deal while the deal asked for is gone.


def deal_record(line: bytes | bytearray, path: Path, deal_id: int | None = None) -> Record:
    """The deal's record a journal line holds (a JSONDecodeError for one that is not
    JSON, which the callers report as damage of ``path``); ``deal_id``: the deal it was
    read for, whose record it must be."""
    record: Record = orjson.loads(line)
    if not is_deal_record(record):
        raise damaged_record(path, record)
    if deal_id is not None and record["id"] != deal_id:
        raise misplaced_record(path, deal_id, record["id"])
    return record


def deal_records(records: list[Any], path: Path, deal_ids: list[int]) -> list[Record]:
    """Records parsed in one go (``orjson.loads`` of many lines joined), each checked as
    :func:`deal_record` checks one, the n-th the record of ``deal_ids[n]``."""
    if not all(map(is_deal_record, records)):
        raise damaged_record(path, next(r for r in records if not is_deal_record(r)))
    if [r["id"] for r in records] != deal_ids:
        found = next(r for r, i in zip(records, deal_ids, strict=True) if r["id"] != i)
        raise misplaced_record(path, deal_ids[records.index(found)], found["id"])
    return records


def closed_line(line: bytes, path: Path, deal_id: int | None = None) -> Record | None:
    """A line of the closed-deals journal: a deal's record, or None for a tombstone;
    ``deal_id`` as for :func:`deal_record`."""
    record: Record = orjson.loads(line)
    if type(record) is dict and record.get("deleted"):
        if deal_id is not None and record.get("id") != deal_id:
            raise misplaced_record(path, deal_id, record.get("id"))
        return None
    if not is_deal_record(record):
        raise damaged_record(path, record)
    if deal_id is not None and record["id"] != deal_id:
        raise misplaced_record(path, deal_id, record["id"])
    return record


def _latest_lines(journal: bytes) -> dict[int, int]:
    """Where the last line of each deal id starts in a deals journal, the ids in the order
    they first appear (every line starts with its id: the transaction writes it first,
    see ``Transaction._append_closed``). Raises ValueError for a line that does not."""
    latest: dict[int, int] = {}
    start, end = 0, journal.find(b"\n")
    while end >= 0:
        comma = journal.find(b",", start, end)
        if comma < 0 or not journal.startswith(b'{"id":', start):
            raise ValueError(f"no deal id at byte {start}")
        latest[int(journal[start + 6 : comma])] = start
        start, end = end + 1, journal.find(b"\n", end + 1)
    return latest


def _claimed_id(data: bytes, start: int) -> int | None:
    """The deal id the journal line starting at ``start`` begins with, None where no
    line of a deal starts there."""
    if not data.startswith(b'{"id":', start):
        return None
    comma = data.find(b",", start, start + 32)
    try:
        return int(data[start + 6 : comma]) if comma > 0 else None
    except ValueError:
        return None


_DELETE_EVENT = b'"type":"delete",'  # a deletion's line in the events journal


def _lines_containing(data: bytes, marker: bytes) -> Iterator[bytes]:
    """The lines of ``data`` (whole lines, each ending with a newline) that contain
    ``marker``, found by searching the bytes rather than looking at each line."""
    found = data.find(marker)
    while found >= 0:
        start = data.rfind(b"\n", 0, found) + 1
        end = data.find(b"\n", found)
        yield data[start:end]
        found = data.find(marker, end)


class Snapshot:
    """A consistent, read-only view of the database at one moment (a ``ReadView`` of
    :mod:`salespipe.storage.port`)."""

    def __init__(
        self,
        paths: DatabasePaths,
        document: dict[str, Any],
        exists: bool,
        open_journal: CommittedBytes,
        open_index: OpenIndex,
    ) -> None:
        self.paths = paths
        self._exists = exists
        self._open_journal = open_journal
        self._open_index = open_index
        self._storage = _BufferedStorage(document)
        self._db = TinyDB(storage=lambda: self._storage)
        self._db.default_table_name = DEALS
        self._closed_bytes: bytes | None = None
        self._closed_index: dict[int, int] | None = None
        self._closed_lookups = 0
        self._line_indexes: dict[str, LineIndex | None] = {}
        self._asked: list[Record] | None = None
        self._asked_whole = False
        self._parsed: dict[int, Record] = {}
        self._open_facts: Facts | bool | None = False  # not looked for yet

    @property
    def exists(self) -> bool:
        return self._exists

    def user(self) -> str | None:
        return None

    def sees_every_deal(self) -> bool:
        return True

    # -- meta and settings -------------------------------------------------------
    @property
    def meta(self) -> dict[str, Any]:
        """The main file's bookkeeping record (counters, journal sizes, settings, the
        undo list, flags): this backend's own, never handed outside it."""
        meta: dict[str, Any] = self._storage.data[META]["1"]
        return meta

    def created_at(self) -> str:
        return str(self.meta["created_at"])

    def counters(self) -> Counters:
        from salespipe.storage.port import Counters  # not needed on the everyday path

        meta = self.meta
        return Counters(meta["next_deal_id"], meta["next_seq"], meta["next_change"])

    def flags(self) -> dict[str, Any]:
        return {k: v for k, v in self.meta.items() if k not in BOOKKEEPING}

    def is_empty(self) -> bool:
        meta = self.meta
        return not self._open_index and not meta["closed_size"] and not meta["events_size"]

    def config(self) -> dict[str, Any]:
        return dict(self.meta.get("config", {}))

    @_reports_damage("main")
    def pipelines(self) -> list[PipelineDef]:
        records = self.meta.get("pipelines") or [first_pipeline().to_record()]
        return [PipelineDef.from_record(r) for r in records]

    @_reports_damage("main")
    def stages(self) -> list[Stage]:
        stages = [Stage.from_record(r) for r in self._storage.data[STAGES].values()]
        if len({s.key for s in stages}) < len(stages):  # a key changed by hand to another's
            seen: set[str] = set()
            for stage in stages:
                if stage.key in seen:
                    raise same_stage_keys(self.paths.main, stage.key)
                seen.add(stage.key)
        return sorted(stages, key=lambda s: s.position)

    # -- deals ---------------------------------------------------------------------
    # ``_open_index`` (open_index.py) maps each open deal's id (as text) to where its
    # current record sits in the open-deals journal: {"id": id, "at": offset, "size":
    # bytes without the newline, "q": the columns the everyday questions read
    # (deal_columns)}.

    @_reports_damage("open")
    def open_deals(self) -> list[Deal]:
        return [Deal.from_record(r) for r in self.open_records()]

    @_reports_damage("open")
    def open_records(self) -> list[Record]:
        """The stored records of the open deals (``Deal.to_record()`` form), unconverted:
        for read-only commands that need a few fields of thousands of deals."""
        lines = self._open_lines()
        loads = orjson.loads
        entries = self._open_index.values()
        records = [loads(lines[e["at"] : e["at"] + e["size"]]) for e in entries]
        return deal_records(records, self._open_journal.path, [e["id"] for e in entries])

    def open_deal_ids(self) -> set[int]:
        return {int(key) for key in self._open_index}

    def get_deal(self, deal_id: int) -> Deal | None:
        entry = self._open_index.get(str(deal_id))
        if entry:
            return self._open_deal(entry)
        return self._closed_deal(deal_id)

    def get_deals(self, deal_ids: Collection[int]) -> dict[int, Deal]:
        """One :meth:`get_deal` each: each is a look-up in the index and a read in place."""
        return {i: deal for i in deal_ids if (deal := self.get_deal(i)) is not None}

    @_reports_damage("open")
    def _open_deal(self, entry: dict[str, Any]) -> Deal:
        return Deal.from_record(self._open_record(entry))

    @_reports_damage("closed")
    def _closed_deal(self, deal_id: int) -> Deal | None:
        record = self._closed_record(deal_id)
        return Deal.from_record(record) if record else None

    def _file(self, which: str) -> Path:
        """The file a ``_reports_damage`` name stands for."""
        if which == "open":
            return self._open_journal.path
        path: Path = getattr(self.paths, which)
        return path

    def _open_lines(self) -> bytes:
        """Every committed byte of the open-deals journal."""
        return self._open_journal.read_all()

    def _open_record(self, entry: dict[str, Any]) -> Record:
        line = self._open_journal.read(entry["at"], entry["size"])
        return deal_record(line, self._file("open"), entry["id"])

    # -- the everyday questions (storage/queries.py) -------------------------------
    # Asked of light records made from the columns each open deal's index entry keeps
    # (deal_columns); only the records an answer names are parsed. (queries is imported
    # by the commands that ask, not by every command.)
    def _asked_records(self) -> list[Record]:
        """The open deals as the questions read them: light records, or the whole ones
        when an entry has no columns (then ``_whole`` has nothing to do)."""
        if self._asked is None:
            light = self._light_records()
            self._asked_whole = light is None
            self._asked = self.open_records() if light is None else light
        return self._asked

    def _light_records(self) -> list[Record] | None:
        return deal_columns.light_records(self._open_index.values())

    @_reports_damage("open")
    def _whole(self, records: list[Record]) -> list[Record]:
        """The stored records of the open deals ``records`` (light ones) name, in order;
        each parsed once a view, however many answers name it."""
        if self._asked_whole:
            return records
        parsed = self._parsed
        missing = [r["id"] for r in records if r["id"] not in parsed]
        if missing:
            index = self._open_index
            entries = [index[str(deal_id)] for deal_id in missing]
            if len(entries) > 64:  # many: out of the journal read once, parsed in one go
                lines = self._open_lines()
                joined = b",".join(lines[e["at"] : e["at"] + e["size"]] for e in entries)
                found = deal_records(
                    orjson.loads(b"[" + joined + b"]"), self._file("open"), missing
                )
            else:
                found = [self._open_record(e) for e in entries]
            parsed.update(zip(missing, found, strict=True))
        return [parsed[r["id"]] for r in records]

    def history_totals(self, where: OpenWhere, asks: Asks) -> Totals | None:
        """None: a history report goes through the records once (the file keeps no
        totals of the history)."""
        return None

    def slip_tallies(self, owner: str | None, pipeline: str | None = None) -> SlipTallies | None:
        """None: ``slips`` replays the change log (the file keeps no totals of it)."""
        return None

    def kept_backtest(self, key: str, last_start: datetime) -> KeptBacktest | None:
        """None: the backtest replays the change log (the file keeps no runs of it)."""
        return None

    def keep_backtest(
        self, key: str, kept: dict[str, Any], rows: Callable[[], Sequence[tuple[Any, ...]]]
    ) -> None:
        """Nothing is kept: a file's backtest replays its change log (pipeline.changes.jsonl)."""

    def _facts(self) -> Facts | None:
        """The facts kept beside the open index's checkpoint, corrected by its tail
        (open_facts.py); None when there are none this state can use."""
        if self._open_facts is False:
            from salespipe.storage.jsonl import open_facts

            self._open_facts = None
            generation = self.meta.get("open_index_generation")
            index = self._open_index
            if generation and not index.replaced and index.checkpoint.size:
                # A damaged tail or stages: the default way reports them.
                with contextlib.suppress(open_facts.NoFacts, StoreError):
                    self._open_facts = open_facts.read(
                        self.paths.open_facts(generation),
                        index.checkpoint,
                        index._said_by_tail(),
                        self.stages(),
                    )
        assert self._open_facts is not True
        return self._open_facts

    def _ask_facts(self, question: Callable[[Facts], T]) -> T | None:
        """The facts' answer to a question, or None: no facts, or they cannot answer
        it (a damaged file included: the default way then reads the index itself)."""
        from salespipe.storage.jsonl import open_facts

        facts = self._facts()
        if facts is None:
            return None
        try:
            return question(facts)
        except (open_facts.NoFacts, *_DAMAGE, StoreError):
            self._open_facts = None
            return None

    @_reports_damage("open")
    def _by_ids(self, facts: Facts, ids: list[int]) -> list[Record]:
        """The stored records of the open deals ``ids``, their entries found through
        the facts (the checkpoint is not parsed)."""
        parsed = self._parsed
        for deal_id in ids:
            if deal_id not in parsed:
                entry = facts.entry(deal_id)
                if entry is None:
                    raise damaged(self._open_journal.path)
                parsed[deal_id] = self._open_record(entry)
        return [parsed[deal_id] for deal_id in ids]

    def _page_of(self, facts: Facts, found: tuple[list[int], int]) -> Page:
        from salespipe.storage.queries import Page

        ids, matched = found
        return Page(self._by_ids(facts, ids), matched)

    def stage_totals(self, where: OpenWhere) -> list[StageSum]:
        from salespipe.storage import queries

        sums = self._ask_facts(lambda facts: facts.stage_totals(where))
        if sums is not None:
            return sums
        return queries.stage_totals(self._asked_records(), self.stages(), where)

    def stale_deals(self, now: datetime, where: OpenWhere, limit: int | None = None) -> Page:
        from salespipe.storage import queries

        if limit is not None:
            page = self._ask_facts(
                lambda facts: self._page_of(facts, facts.stale_page(now, where, limit))
            )
            if page is not None:
                return page
        page = queries.stale_deals(self._asked_records(), self.stages(), now, where, limit)
        return page._replace(records=self._whole(page.records))

    def due_by(
        self,
        what: Dated,
        until: date,
        where: OpenWhere,
        limit: int | None = None,
        since: date | None = None,
    ) -> Page:
        from salespipe.storage import queries

        if limit is not None:
            page = self._ask_facts(
                lambda facts: self._page_of(facts, facts.due_page(what, until, since, where, limit))
            )
            if page is not None:
                return page
        page = queries.due_by(self._asked_records(), what, until, where, limit, since)
        return page._replace(records=self._whole(page.records))

    def open_page(self, where: OpenWhere, order: str, limit: int | None, now: datetime) -> Page:
        from salespipe.storage import queries

        if limit is not None and (order in ("stage", "id") or limit == 0):  # 0: a count
            page = self._ask_facts(
                lambda facts: self._page_of(
                    facts, facts.stage_page(where, limit, by_stage=order == "stage")
                )
            )
            if page is not None:
                return page
        if order == "urgency" and limit:
            page = self._ask_facts(
                lambda facts: self._page_of(facts, facts.urgency_page(where, limit, now))
            )
            if page is not None:
                return page
        if order in deal_columns.ORDERS:
            records = self._asked_records()
        else:  # an order that reads more than the columns keep
            self._asked_whole = True
            records = self._asked = self.open_records()
        page = queries.open_page(records, self.stages(), where, order, limit, now)
        return page._replace(records=self._whole(page.records))

    @_reports_damage("closed")
    def closed_deals(self) -> list[Deal]:
        """The latest record of every closed, undeleted deal, as deals."""
        return [Deal.from_record(record) for record in self.closed_records()]

    def all_deals(self) -> list[Deal]:
        return self.open_deals() + self.closed_deals()

    def closed_records(self) -> Iterator[Record]:
        """The stored records of the same deals as :meth:`closed_deals`, in the same order,
        unconverted and one at a time: only the line that counts for a deal is parsed,
        when the caller reaches it (a full-history pass need not hold 100k deals)."""
        path, data = self.paths.closed, self._closed()
        open_ids = self.open_deal_ids()
        try:
            latest = _latest_lines(data)
            self._refuse_misplaced(latest, data)
            for deal_id, start in latest.items():
                if deal_id in open_ids:
                    continue
                record = closed_line(data[start : data.find(b"\n", start)], path)
                if record is not None:
                    yield record
        except _DAMAGE:
            raise damaged(path) from None

    def _refuse_misplaced(self, latest: dict[int, int], data: bytes) -> None:
        """Refuse a closed journal where a deal's newest line, as its index places it,
        says it is another deal's (an id changed by hand): read by the ids the lines
        say, that deal would be gone and the other shown with its record. One read of
        the index (a few bytes a line) and one comparison of the newest line of each
        deal; a line the index places wrongly, for a deal that has no history, is the
        index's damage (doctor --fix rebuilds it), and the journal is read as it is."""
        index = self.line_index("closed")
        if index is None:
            return
        try:
            placed = index.newest_places()
        except IndexDamaged:
            return
        if placed == latest:
            return
        for deal_id, start in placed.items():
            if latest.get(deal_id) == start:
                continue
            other = _claimed_id(data, start)
            if other is not None and other != deal_id and self._has_history(deal_id):
                raise misplaced_record(self.paths.closed, deal_id, other)

    def _has_history(self, deal_id: int) -> bool:
        """Whether the events journal holds an event of the deal (found by its index)."""
        lines = self._indexed_lines("events", self.meta["events_size"], deal_id, every=False)
        if lines is None:
            found = self._event_lines_with(b'"deal_id":%d,' % deal_id)
            return next(found, None) is not None
        return bool(lines)

    def all_records(self) -> Iterator[Record]:
        """Every deal's stored record, one at a time: the open deals first, then the closed."""
        yield from self.open_records()
        yield from self.closed_records()

    @_reports_damage("events")
    def deleted_deal_ids(self) -> list[int]:
        """The deals of the delete events (found by searching the bytes) that are no
        deals now: the history, not the closed journal's tombstones, which a file that
        ``copy`` or a restored backup wrote does not hold (an undo that brings a deal
        back writes its record again)."""
        open_ids = self.open_deal_ids()
        deleted = set()
        for line in self._event_lines_with(_DELETE_EVENT):
            record = orjson.loads(line)
            if record["type"] == "delete" and record["deal_id"] is not None:
                deleted.add(int(record["deal_id"]))
        return sorted(i for i in deleted if i not in open_ids and self._closed_record(i) is None)

    def _closed(self) -> bytes:
        if self._closed_bytes is None:
            self._closed_bytes = read_committed(self.paths.closed, self.meta["closed_size"])
        return self._closed_bytes

    @_reports_damage("closed")
    def _closed_record(self, deal_id: int) -> Record | None:
        """The latest closed record of a deal, found without parsing the whole journal."""
        lines = self._indexed_lines("closed", self.meta["closed_size"], deal_id, every=False)
        if lines is not None:
            if not lines:
                return None
            if _claimed_id(lines[0], 0) == deal_id or self._has_history(deal_id):
                return closed_line(lines[0], self.paths.closed, deal_id)
            # (another deal's line at the place of a deal without history: the index
            # is wrong, not the journal; the journal is searched)
        data = self._closed()
        self._closed_lookups += 1
        if self._closed_index is None and self._closed_lookups > 8:
            # Many lookups (an undo of a large import): index the line starts once.
            self._closed_index = _latest_lines(data)
        if self._closed_index is not None:
            position = self._closed_index.get(deal_id, -1)
        else:
            marker = b'{"id":%d,' % deal_id
            position = data.rfind(b"\n" + marker)
            position = position + 1 if position >= 0 else (0 if data.startswith(marker) else -1)
        if position < 0:
            return None
        end = data.find(b"\n", position)
        return closed_line(data[position : end if end >= 0 else None], self.paths.closed, deal_id)

    # -- events --------------------------------------------------------------------
    @_reports_damage("events")
    def events(self, deal_id: int | None = None) -> list[Event]:
        """Every committed event in recorded order, or those of one deal."""
        lines: Iterable[bytes] | None
        if deal_id is not None:
            lines = self._indexed_event_lines(deal_id)
            if lines is None:  # no index yet (an older file not written since), or damaged
                lines = self._event_lines_with(b'"deal_id":%d,' % deal_id)
        else:
            lines = read_committed(self.paths.events, self.meta["events_size"]).splitlines()
        return [Event.from_record(orjson.loads(line)) for line in lines]

    def events_after(self, seq: int, deal_ids: Collection[int]) -> list[Event]:
        """One :meth:`events` each: each deal's lines are found by the line index."""
        return [e for i in sorted(deal_ids) for e in self.events(i) if e.seq > seq]

    def line_index(self, journal: str) -> LineIndex | None:
        """The per-deal index of the ``events`` or ``closed`` journal, None when this
        file has none yet (an older file not written since)."""
        if journal not in self._line_indexes:
            files = indexed_journals(self.paths)[journal]
            size = self.meta.get(files.size_key)
            self._line_indexes[journal] = None if size is None else LineIndex(files, size)
        return self._line_indexes[journal]

    def _indexed_event_lines(self, deal_id: int) -> list[bytes] | None:
        return self._indexed_lines("events", self.meta["events_size"], deal_id, every=True)

    def _indexed_lines(
        self, journal: str, committed: int, deal_id: int, *, every: bool
    ) -> list[bytes] | None:
        """The committed lines of one deal in a journal (``every`` one, else the
        latest), read where its index says they are; None when there is no usable index."""
        index = self.line_index(journal)
        if index is None:
            return None
        try:
            places = index.places(deal_id) if every else index.latest(deal_id)
            if not places:
                return []
            lines = []
            with getattr(self.paths, journal).open("rb") as handle:
                fd = handle.fileno()
                for offset, size in places:
                    line = os.pread(fd, size + 1, offset)
                    if offset + size >= committed or line[:1] != b"{" or line[-2:] != b"}\n":
                        raise IndexDamaged
                    lines.append(line[:-1])
        except (IndexDamaged, OSError):
            return None
        return lines

    def event_records(self) -> Iterator[Record]:
        """Every committed event's stored record, in recorded order, parsed one line at a
        time: for a pass over the whole history that need not hold all of it."""
        loads = orjson.loads
        # Small chunks: a few hundred records parsed ahead stay in the CPU's caches for
        # the caller; thousands (4 MiB of lines) made a 100k-deal pass twice as slow.
        for chunk in self._event_chunks(64 << 10):
            try:
                records = [loads(line) for line in chunk.splitlines()]
            except orjson.JSONDecodeError:
                raise damaged(self.paths.events) from None
            if not all(r.keys() >= EVENT_KEYS for r in records):
                raise damaged(self.paths.events)
            yield from records
            del records

    def change_records(self) -> Iterator[ChangeRow]:
        from salespipe.storage.jsonl import change_log

        return change_log.rows(self)

    @_reports_damage("events")
    def events_mentioning(self, text: str) -> list[Record]:
        """The stored records of the committed events that hold ``text`` as a whole JSON
        string somewhere (a key or a value, at any depth), found without parsing the
        others. A superset: the caller looks at where it is."""
        marker = orjson.dumps(text)
        return [orjson.loads(line) for line in self._event_lines_with(marker)]

    @_reports_damage("closed")
    def closed_mentioning(self, text: str) -> list[Record]:
        """Like :meth:`events_mentioning`, for every line of the closed-deals journal
        (superseded records and tombstones included)."""
        lines = _lines_containing(self._closed(), orjson.dumps(text))
        return [orjson.loads(line) for line in lines]

    def event_lines(self, chunk_size: int = 4 << 20) -> Iterator[bytes]:
        """Every committed event as its stored JSON line, in recorded order, read a chunk
        at a time so that memory stays flat however long the history (for export)."""
        for chunk in self._event_chunks(chunk_size):
            yield from chunk.splitlines()

    def _event_lines_with(self, marker: bytes) -> Iterator[bytes]:
        """The committed event lines that contain ``marker``, found by searching whole
        chunks rather than looking at each line."""
        for chunk in self._event_chunks():
            yield from _lines_containing(chunk, marker)

    def _event_chunks(self, chunk_size: int = 4 << 20) -> Iterator[bytes]:
        """The committed events journal in chunks that each end with a whole line."""
        path, expected = self.paths.events, self.meta["events_size"]
        remaining = expected
        if not remaining:
            return
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise missing(path) from None
        except OSError as exc:
            raise StoreError(
                _("The file {path} cannot be read: {problem}.").format(
                    path=path, problem=os_problem(exc)
                )
            ) from None
        with handle:
            pending = b""  # the start of a line the next chunk finishes
            while remaining > 0:
                chunk = pending + handle.read(min(remaining, chunk_size))
                read = len(chunk) - len(pending)
                if not read:
                    raise shortened(path, expected - remaining, expected)
                if remaining == expected and chunk[:1] != b"{":
                    raise damaged(path)
                remaining -= read
                cut = chunk.rfind(b"\n") + 1
                if remaining == 0 and (cut != len(chunk) or chunk[-2:] != b"}\n"):
                    raise damaged(path)
                if cut:
                    yield chunk[:cut]
                pending = chunk[cut:]

    @_reports_damage("events")
    def undone_changes(self) -> set[int]:
        """The ids of changes that a later ``undo`` reverted (kept in the main file by
        each write; searched for in the journal of a file not written since it was)."""
        if (undone := self.meta.get("undone")) is not None:
            return set(undone)
        return {
            orjson.loads(line)["after"]["undid"]
            for line in self._event_lines_with(b'"type":"undo"')
        }

    def newest_events(
        self, limit: int, *, deal_id: int | None = None, since: date | None = None
    ) -> list[Event]:
        from salespipe.storage.jsonl.feed import newest_events

        return newest_events(self, limit, deal_id=deal_id, since=since)

    def change_stack(self) -> list[dict[str, Any]]:
        """The undo list as the main file keeps it: each change with where its events
        are in the events journal (``offset``, ``size``)."""
        return list(self.meta.get("changes", []))

    def undo_list(self, by: str | None = None) -> list[UndoEntry]:
        from salespipe.storage.port import UndoEntry

        return [
            UndoEntry(c["change"], c["command"], c["at"])
            for c in self.change_stack()
            if by is None or self.events_of_change(c)[0].who == by
        ]

    @_reports_damage("events")
    def events_of_change(self, entry: dict[str, Any]) -> list[Event]:
        with self.paths.events.open("rb") as handle:
            handle.seek(entry["offset"])
            data = handle.read(entry["size"])
        return [Event.from_record(orjson.loads(line)) for line in data.splitlines()]

    # -- stages in use -----------------------------------------------------------------
    def deal_ids_in_stage(
        self, key: str, *, open_only: bool, limit: int, ever: bool = False
    ) -> list[int]:
        def holds(record: Record) -> bool:
            return record["stage"] == key or (ever and any(s[0] == key for s in record["stays"]))

        found = {r["id"] for r in self.open_records() if holds(r)}
        if not open_only:  # the closed records that name the key, as they are now
            for record in self.closed_mentioning(key):
                deal = self.get_deal(record["id"])
                if deal is not None and deal.status != "open" and holds(deal.to_record()):
                    found.add(deal.id)
        return sorted(found)[:limit]

    def stage_in_use(self, key: str) -> bool:
        def in_record(record: Record | None) -> bool:
            record = record or {}
            return record.get("stage") == key or any(s[0] == key for s in record.get("stays", ()))

        if any(in_record(r) for r in self.open_records()):
            return True
        if any(in_record(r) for r in self.closed_mentioning(key)):
            return True
        return any(
            in_record(e.get("before")) or in_record(e.get("after"))
            for e in self.events_mentioning(key)
            if e.get("deal_id") is not None
        )
