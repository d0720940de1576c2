"""Reading and changing one database state: the TinyDB document and the journals."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any, TypeVar, cast

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from salespipe.errors import StoreError
from salespipe.i18n import _
from salespipe.model import Deal, Event, Record, Stage
from salespipe.store.files import DatabasePaths, damaged, read_committed, shortened

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
                raise damaged(getattr(self.paths, which)) from None

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

    def open_records(self) -> list[Record]:
        """The stored records of the open deals (``Deal.to_record()`` form), unconverted:
        for read-only commands that need a few fields of thousands of deals."""
        return list(self._storage.data[DEALS].values())

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

    def _closed(self) -> bytes:
        if self._closed_bytes is None:
            self._closed_bytes = read_committed(self.paths.closed, self.meta["closed_size"])
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
        data = read_committed(self.paths.events, self.meta["events_size"])
        lines = data.splitlines()
        if deal_id is not None:
            marker = b'"deal_id":%d,' % deal_id
            lines = [line for line in lines if marker in line]
        return [Event.from_record(orjson.loads(line)) for line in lines]

    def event_lines(self, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Every committed event as its stored JSON line, in recorded order, read a chunk
        at a time so that memory stays flat however long the history (for export)."""
        expected: int = self.meta["events_size"]
        remaining = expected
        if not remaining:
            return
        try:
            handle = self.paths.events.open("rb")
        except OSError as exc:
            raise StoreError(
                _("The file {path} cannot be read: {problem}.").format(
                    path=self.paths.events, problem=exc.strerror
                )
            ) from None
        with handle:
            tail = b""
            while remaining > 0:
                chunk = handle.read(min(remaining, chunk_size))
                if not chunk:
                    raise shortened(self.paths.events, expected - remaining, expected)
                remaining -= len(chunk)
                lines = (tail + chunk).split(b"\n")
                tail = lines.pop()
                yield from (line for line in lines if line)
            if tail:
                yield tail

    @_reports_damage("events")
    def undone_changes(self) -> set[int]:
        """The ids of changes that a later ``undo`` reverted."""
        data = read_committed(self.paths.events, self.meta["events_size"])
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
