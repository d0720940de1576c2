"""Reading and changing one database state: the TinyDB document and the journals."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from salespipe.errors import StoreError
from salespipe.i18n import _
from salespipe.model import Deal, Event, Record, Stage
from salespipe.store.files import (
    CommittedBytes,
    DatabasePaths,
    Spool,
    damaged,
    read_committed,
    shortened,
)

UNDO_DEPTH = 100
META, STAGES, DEALS = "_meta", "stages", "deals"


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
                raise damaged(self._file(which)) from None

        return cast(F, checked)

    return decorate


_DEAL_KEYS = frozenset(("id", "title", "stage", "created_at", "updated_at", "stage_entered_at"))
_EVENT_KEYS = frozenset(("seq", "change", "type", "at"))


def _checked_deal(record: Record, path: Path) -> Record:
    """A deal record with the fields every deal has, else the file is damaged."""
    if not record.keys() >= _DEAL_KEYS:
        raise damaged(path)
    return record


def _latest_lines(journal: bytes) -> dict[int, int]:
    """Where the last line of each deal id starts in a deals journal, the ids in the order
    they first appear (every line starts with its id: ``Deal.to_record()`` puts it first).
    Raises ValueError for a line that does not."""
    latest: dict[int, int] = {}
    start, end = 0, journal.find(b"\n")
    while end >= 0:
        comma = journal.find(b",", start, end)
        if comma < 0 or not journal.startswith(b'{"id":', start):
            raise ValueError(f"no deal id at byte {start}")
        latest[int(journal[start + 6 : comma])] = start
        start, end = end + 1, journal.find(b"\n", end + 1)
    return latest


class Snapshot:
    """A consistent, read-only view of the database at one moment."""

    def __init__(
        self,
        paths: DatabasePaths,
        document: dict[str, Any],
        exists: bool,
        open_journal: CommittedBytes,
    ) -> None:
        self.paths = paths
        self.exists = exists
        self._open_journal = open_journal
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
    # The main file's deals table is an index: open deal id -> where its current record
    # sits in the open-deals journal: {"id": id, "at": offset, "size": bytes without the
    # newline}.
    @property
    def _open_index(self) -> dict[str, dict[str, int]]:
        index: dict[str, dict[str, int]] = self._storage.data[DEALS]
        return index

    def open_deals(self) -> list[Deal]:
        return [Deal.from_record(r) for r in self.open_records()]

    @_reports_damage("open")
    def open_records(self) -> list[Record]:
        """The stored records of the open deals (``Deal.to_record()`` form), unconverted:
        for read-only commands that need a few fields of thousands of deals."""
        lines = self._open_lines()
        loads = orjson.loads
        records = [loads(lines[e["at"] : e["at"] + e["size"]]) for e in self._open_index.values()]
        if records and not all(r.keys() >= _DEAL_KEYS for r in records):
            raise damaged(self._open_journal.path)
        return records

    def open_deal_ids(self) -> set[int]:
        return {int(key) for key in self._open_index}

    @_reports_damage("open")
    def get_deal(self, deal_id: int) -> Deal | None:
        entry = self._open_index.get(str(deal_id))
        record = self._open_record(entry) if entry else self._closed_record(deal_id)
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

    def _open_record(self, entry: dict[str, int]) -> Record:
        record: Record = orjson.loads(self._open_journal.read(entry["at"], entry["size"]))
        return record

    @_reports_damage("closed")
    def closed_deals(self) -> list[Deal]:
        """The latest record of every closed, undeleted deal."""
        # Line by line, each record turned into a Deal at once: holding every parsed line
        # (or a list of all lines) first would cost several times the journal's size.
        data = self._closed()
        latest: dict[int, Deal | None] = {}
        start, end = 0, data.find(b"\n")
        while end >= 0:
            record = orjson.loads(data[start:end])
            latest[record["id"]] = None if record.get("deleted") else Deal.from_record(record)
            start, end = end + 1, data.find(b"\n", end + 1)
        open_ids = self.open_deal_ids()
        return [d for deal_id, d in latest.items() if d is not None and deal_id not in open_ids]

    def all_deals(self) -> list[Deal]:
        return self.open_deals() + self.closed_deals()

    def closed_records(self) -> Iterator[Record]:
        """The stored records of the same deals as :meth:`closed_deals`, in the same order,
        unconverted and one at a time: only the line that counts for a deal is parsed,
        when the caller reaches it (a full-history pass need not hold 100k deals)."""
        path, data = self.paths.closed, self._closed()
        open_ids = self.open_deal_ids()
        try:
            for deal_id, start in _latest_lines(data).items():
                if deal_id in open_ids:
                    continue
                record: Record = orjson.loads(data[start : data.find(b"\n", start)])
                if not record.get("deleted"):
                    yield _checked_deal(record, path)
        except _DAMAGE:
            raise damaged(path) from None

    def all_records(self) -> Iterator[Record]:
        """Every deal's stored record, one at a time: the open deals first, then the closed."""
        yield from self.open_records()
        yield from self.closed_records()

    def _closed(self) -> bytes:
        if self._closed_bytes is None:
            self._closed_bytes = read_committed(self.paths.closed, self.meta["closed_size"])
        return self._closed_bytes

    @_reports_damage("closed")
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
        lines: Iterable[bytes]
        if deal_id is not None:
            lines = self._event_lines_with(b'"deal_id":%d,' % deal_id)
        else:
            lines = read_committed(self.paths.events, self.meta["events_size"]).splitlines()
        return [Event.from_record(orjson.loads(line)) for line in lines]

    def event_records(self) -> Iterator[Record]:
        """Every committed event's stored record, in recorded order, parsed one line at a
        time: for a pass over the whole history that need not hold all of it."""
        loads = orjson.loads
        for chunk in self._event_chunks():
            try:
                records = [loads(line) for line in chunk.splitlines()]
            except orjson.JSONDecodeError:
                raise damaged(self.paths.events) from None
            if not all(r.keys() >= _EVENT_KEYS for r in records):
                raise damaged(self.paths.events)
            yield from records
            del records

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
        data, marker = self._closed(), orjson.dumps(text)
        found, records = data.find(marker), []
        while found >= 0:
            start = data.rfind(b"\n", 0, found) + 1
            end = data.find(b"\n", found)
            records.append(orjson.loads(data[start:end]))
            found = data.find(marker, end)
        return records

    def event_lines(self, chunk_size: int = 4 << 20) -> Iterator[bytes]:
        """Every committed event as its stored JSON line, in recorded order, read a chunk
        at a time so that memory stays flat however long the history (for export)."""
        for chunk in self._event_chunks(chunk_size):
            yield from chunk.splitlines()

    def _event_lines_with(self, marker: bytes) -> Iterator[bytes]:
        """The committed event lines that contain ``marker``, found by searching whole
        chunks rather than looking at each line."""
        for chunk in self._event_chunks():
            found = chunk.find(marker)
            while found >= 0:
                start = chunk.rfind(b"\n", 0, found) + 1
                end = chunk.find(b"\n", found)
                yield chunk[start:end]
                found = chunk.find(marker, end)

    def _event_chunks(self, chunk_size: int = 4 << 20) -> Iterator[bytes]:
        """The committed events journal in chunks that each end with a whole line."""
        path, expected = self.paths.events, self.meta["events_size"]
        remaining = expected
        if not remaining:
            return
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise StoreError(
                _("The file {path} cannot be read: {problem}.").format(
                    path=path, problem=exc.strerror
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
        """The ids of changes that a later ``undo`` reverted."""
        return {
            orjson.loads(line)["after"]["undid"]
            for line in self._event_lines_with(b'"type":"undo"')
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

    def __init__(
        self,
        paths: DatabasePaths,
        document: dict[str, Any],
        exists: bool,
        open_journal: CommittedBytes,
        before_spill: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(paths, document, exists, open_journal)
        # New journal lines: kept in one buffer each (many small bytes objects would cost
        # several times their size on a large import); the events and closed deals of a
        # large change go to their journal before the commit (see Spool).
        self._new_events = Spool(paths.events, self.meta["events_size"], before_spill, paths.main)
        self._new_closed = Spool(paths.closed, self.meta["closed_size"], before_spill, paths.main)
        self._new_open = bytearray()  # open-deal records, at offsets past the committed size
        # Deals closed or deleted in this transaction: id -> (offset, size) of the record
        # among the new closed lines, or None for a tombstone.
        self._pending_closed: dict[int, tuple[int, int] | None] = {}
        self._change_id: int | None = None
        self._change_entry: dict[str, Any] | None = None
        self._push_change = True

    @property
    def changed(self) -> bool:
        return bool(
            len(self._new_events) or len(self._new_closed) or self._new_open or self._storage.dirty
        )

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
        """Store the given deals where their status says: open in the open-deals
        journal (indexed by the main file), closed in the closed journal."""
        self.save_records(deal.to_record() for deal in deals)

    def save_records(self, records: Iterable[Record]) -> None:
        """:meth:`save_deals` for deals already in their stored form (``Deal.to_record()``,
        keys in its order): an import builds those directly."""
        # The index is changed in place rather than through TinyDB's table API, which
        # copies the whole table on every call: an undo of a 10k-deal import would take
        # minutes. It stays a TinyDB table in the file; a changed entry keeps its place.
        index = self._open_index
        for record in records:
            key = str(record["id"])
            if record["status"] == "open":
                index[key] = self._append_open(record["id"], record)
            else:
                index.pop(key, None)
                self._append_closed(record)
        self._storage.dirty = True

    def delete_deal(self, deal: Deal) -> None:
        if self._open_index.pop(str(deal.id), None) is not None:
            self._storage.dirty = True
        # Always a tombstone: an open deal may have been closed and reopened before, and
        # its old closed record must not come back.
        self._append_closed({"id": deal.id, "deleted": True})

    def _append_open(self, deal_id: int, record: Record) -> dict[str, int]:
        line = orjson.dumps(record)
        at = self._open_journal.size + len(self._new_open)
        entry = {"id": deal_id, "at": at, "size": len(line)}
        self._new_open += line
        self._new_open += b"\n"
        return entry

    def _append_closed(self, record: Record) -> None:
        line = orjson.dumps(record)
        at = self._new_closed.append(line + b"\n")
        self._pending_closed[record["id"]] = None if record.get("deleted") else (at, len(line))

    def get_deal(self, deal_id: int) -> Deal | None:
        # A deal closed or deleted earlier in this transaction must be seen as it is now.
        if str(deal_id) not in self._open_index and deal_id in self._pending_closed:
            pending = self._pending_closed[deal_id]
            if pending is None:
                return None
            return Deal.from_record(orjson.loads(self._new_closed.read(*pending)))
        return super().get_deal(deal_id)

    def _open_lines(self) -> bytes:
        return super()._open_lines() + self._new_open if self._new_open else super()._open_lines()

    def _open_record(self, entry: dict[str, int]) -> Record:
        at = entry["at"] - self._open_journal.size
        if at < 0:
            return super()._open_record(entry)
        record: Record = orjson.loads(self._new_open[at : at + entry["size"]])
        return record

    # -- events --------------------------------------------------------------------
    def record(self, event: Event) -> None:
        self._new_events.append(orjson.dumps(event.to_record()) + b"\n")

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
    def _finish_open(self, compact_above: int, live_share: float) -> tuple[bytes, int]:
        """What to write to the open-deals journal and the generation to write it to.

        Usually the new records, appended to the current generation. When the live
        records make up less than ``live_share`` of a journal larger than
        ``compact_above`` bytes, or the deals have no journal yet, the live records
        start the next generation instead, and the index is rebuilt to point into it.
        """
        generation: int = self.meta["open_generation"]
        index = self._open_index
        total = self._open_journal.size + len(self._new_open)
        live = sum(entry["size"] + 1 for entry in index.values())
        if generation and not (total > compact_above and live < live_share * total):
            data = bytes(self._new_open)
            if data:
                self.set_meta(open_size=total)
            return data, generation
        if not generation and not index:
            return b"", generation
        lines = self._open_lines()
        compacted = bytearray()
        fresh: dict[str, dict[str, int]] = {}
        for key, entry in index.items():
            line = lines[entry["at"] : entry["at"] + entry["size"] + 1]
            if line[-1:] != b"\n":
                raise damaged(self._open_journal.path)
            fresh[key] = {"id": entry["id"], "at": len(compacted), "size": entry["size"]}
            compacted += line
        self._new_open.clear()
        self._storage.data[DEALS] = fresh
        self._storage.dirty = True
        self.set_meta(open_generation=generation + 1, open_size=len(compacted))
        return bytes(compacted), generation + 1

    def _finish_meta(self, now_iso: str, command: str) -> list[Spool]:
        """Count the new journal lines in the main file; the spools to finish."""
        events, closed = len(self._new_events), len(self._new_closed)
        offset = self.meta["events_size"]
        updates: dict[str, Any] = {
            "events_size": offset + events,
            "closed_size": self.meta["closed_size"] + closed,
        }
        if events and self._push_change:
            entry = {
                "change": self.change_id(),
                "offset": offset,
                "size": events,
                "command": command,
                "at": now_iso,
            }
            updates["changes"] = [*self.change_stack(), entry][-UNDO_DEPTH:]
        self.set_meta(**updates)
        return [self._new_events, self._new_closed]

    def _discard(self) -> None:
        """Take back journal lines written ahead of a commit that will not happen."""
        self._new_events.discard()
        self._new_closed.discard()

    def _document_bytes(self) -> bytes:
        return orjson.dumps(self._storage.data)
