"""Changing the database: a snapshot that collects one change and commits it whole."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from tinydb.table import Document

from salespipe.core.errors import StoreError
from salespipe.core.i18n import _
from salespipe.core.model import Deal, Event, PipelineDef, Record, Stage
from salespipe.storage.jsonl import change_log
from salespipe.storage.jsonl.deal_columns import KEY, columns
from salespipe.storage.jsonl.files import CommittedBytes, DatabasePaths, Spool, damaged
from salespipe.storage.jsonl.line_index import IndexWriter, check_index, indexed_journals
from salespipe.storage.jsonl.open_index import (
    OpenIndex,
    checkpoint_with_places,
    fold_due,
    tail_lines,
)
from salespipe.storage.jsonl.snapshot import BOOKKEEPING, META, STAGES, Snapshot, deal_record

if TYPE_CHECKING:
    from salespipe.storage.port import UndoEntry

# How many changes back ``undo`` reaches: port.UNDO_DEPTH, held here too so that a
# write need not import the port (the contract suite checks they agree).
UNDO_DEPTH = 100


@dataclass(frozen=True)
class IndexWrite:
    """A commit's write to the open index: lines for the tail of ``generation``, or
    a new ``checkpoint`` that starts it, with its ``facts`` (open_facts.py; None when
    its entries cannot have them)."""

    generation: int
    checkpoint: bytes | None
    tail: bytes
    facts: bytes | None = None


class Transaction(Snapshot):
    """A snapshot that can be changed (a ``WriteTransaction`` of the port); the store
    commits it as one write."""

    def __init__(
        self,
        paths: DatabasePaths,
        document: dict[str, Any],
        exists: bool,
        open_journal: CommittedBytes,
        open_index: OpenIndex,
        before_spill: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(paths, document, exists, open_journal, open_index)
        self._before_writing = before_spill
        # New journal lines: kept in one buffer each (many small bytes objects would cost
        # several times their size on a large import); the events and closed deals of a
        # large change go to their journal before the commit (see Spool).
        self._new_events = Spool(
            paths.events, self.meta["events_size"], before_spill, paths.main, fingerprinted=True
        )
        self._new_closed = Spool(paths.closed, self.meta["closed_size"], before_spill, paths.main)
        self._new_open = bytearray()  # open-deal records, at offsets past the committed size
        self._allocated: set[str] = set()  # ids of deals this change made: none is committed
        # The per-deal index records of the new event and closed lines (line_index.py),
        # when the file has the indexes, and the changes undone by this one.
        self._new_index = {
            journal: IndexWriter(
                self.line_index(journal),
                Spool(
                    files.index,
                    self.meta.get(files.size_key) or 0,
                    before_spill,
                    paths.main,
                    check=check_index,
                ),
            )
            for journal, files in indexed_journals(paths).items()
        }
        # The change rows of the new events (change_log.py), when the file has the log.
        self._new_rows = change_log.spool(paths.change_log, self.meta, before_spill, paths.main)
        self._undone: set[int] = set()
        # Deals closed or deleted in this transaction: id -> (offset, size) of the record
        # among the new closed lines, or None for a tombstone.
        self._pending_closed: dict[int, tuple[int, int] | None] = {}
        # Where each change's events sit among the new event lines: change id ->
        # [offset of its first line, end of its last] (a restore rebuilds the undo list).
        self._spans: dict[int, list[int]] = {}
        self._change_id: int | None = None
        self._push_change = True
        # Set once the main file's rename has committed the change: from then on,
        # nothing this transaction wrote may be taken back.
        self.committed = False

    def about_to_write(self) -> None:
        """Called before bytes of this change are written outside the commit (doctor's
        rebuilt files): the lock is still the one held, the data file still writable."""
        if self._before_writing is not None:
            self._before_writing()

    @property
    def changed(self) -> bool:
        return bool(
            len(self._new_events) or len(self._new_closed) or self._new_open or self._storage.dirty
        )

    # -- ids -----------------------------------------------------------------------
    def allocate_deal_id(self) -> int:
        deal_id: int = self.meta["next_deal_id"]
        self.set_meta(next_deal_id=deal_id + 1)
        self._allocated.add(str(deal_id))
        return deal_id

    def change_id(self) -> int:
        if self._change_id is None:
            self._change_id = self.meta["next_change"]
            self.set_meta(next_change=self._change_id + 1)
        return self._change_id

    def allocate_seq(self) -> int:
        seq: int = self.meta["next_seq"]
        self.set_meta(next_seq=seq + 1)
        return seq

    def advance_counters(
        self,
        *,
        next_deal_id: int | None = None,
        next_seq: int | None = None,
        next_change: int | None = None,
    ) -> None:
        given = {"next_deal_id": next_deal_id, "next_seq": next_seq, "next_change": next_change}
        self.set_meta(**{k: max(v, self.meta[k]) for k, v in given.items() if v is not None})

    def set_meta(self, **values: Any) -> None:
        """Change bookkeeping values of the main file (counters, sizes, flags)."""
        self._db.table(META).update(values, doc_ids=[1])

    def set_flag(self, name: str, value: Any) -> None:
        if name not in BOOKKEEPING:  # the file's own bookkeeping is never set from outside
            self.set_meta(**{name: value})

    def set_created_at(self, iso: str) -> None:
        self.set_meta(created_at=iso)

    # -- settings and stages -------------------------------------------------------
    def set_config(self, key: str, value: Any) -> None:
        config = self.config()
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
        self.set_meta(config=config)

    def replace_config(self, config: dict[str, Any]) -> None:
        self.set_meta(config=dict(config))

    def save_pipelines(self, pipelines: Iterable[PipelineDef]) -> None:
        self.set_meta(pipelines=[p.to_record() for p in pipelines])

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
        index = self._open_index
        for record in records:
            key = str(record["id"])
            if record["status"] == "open":
                index[key] = self._append_open(record["id"], record)
            else:
                index.pop(key, None)
                self._append_closed(record)
        self._storage.dirty = True

    def delete_deal(self, deal_id: int) -> None:
        if self._open_index.pop(str(deal_id), None) is not None:
            self._storage.dirty = True
        # Always a tombstone: an open deal may have been closed and reopened before, and
        # its old closed record must not come back.
        self._append_closed({"id": deal_id, "deleted": True})

    def _append_open(self, deal_id: int, record: Record) -> dict[str, Any]:
        line = orjson.dumps(record)
        at = self._open_journal.size + len(self._new_open)
        entry = {"id": deal_id, "at": at, "size": len(line), KEY: columns(record)}
        self._new_open += line
        self._new_open += b"\n"
        return entry

    def _append_closed(self, record: Record) -> None:
        if next(iter(record)) != "id":  # the closed journal is scanned by its lines' ids
            record = {"id": record["id"], **record}
        line = orjson.dumps(record)
        at = self._new_closed.append(line + b"\n")
        self._new_index["closed"].add(record["id"], self.meta["closed_size"] + at, len(line))
        self._pending_closed[record["id"]] = None if record.get("deleted") else (at, len(line))

    def get_deal(self, deal_id: int) -> Deal | None:
        # A deal closed or deleted earlier in this transaction must be seen as it is now.
        if str(deal_id) not in self._open_index and deal_id in self._pending_closed:
            pending = self._pending_closed[deal_id]
            if pending is None:
                return None
            line = self._new_closed.read(*pending)
            return Deal.from_record(deal_record(line, self.paths.closed, deal_id))
        return super().get_deal(deal_id)

    def closed_records(self) -> Iterator[Record]:
        """The committed closed deals not changed here, then those closed here."""
        pending = self._pending_closed
        if not pending:
            yield from super().closed_records()
            return
        for record in super().closed_records():
            if record["id"] not in pending:
                yield record
        open_ids = self.open_deal_ids()
        for deal_id, place in pending.items():
            if place is not None and deal_id not in open_ids:
                yield deal_record(self._new_closed.read(*place), self.paths.closed, deal_id)

    def _asked_records(self) -> list[Record]:
        self._asked_whole = True
        return self.open_records()  # the deals change as the transaction goes

    def _facts(self) -> None:
        return None  # they describe the committed state, not this one

    def _open_lines(self) -> bytes:
        return super()._open_lines() + self._new_open if self._new_open else super()._open_lines()

    def _open_record(self, entry: dict[str, Any]) -> Record:
        at = entry["at"] - self._open_journal.size
        if at < 0:
            return super()._open_record(entry)
        return deal_record(self._new_open[at : at + entry["size"]], self._file("open"), entry["id"])

    # -- events --------------------------------------------------------------------
    def record(self, event: Event) -> None:
        stored = event.to_record()
        line = orjson.dumps(stored) + b"\n"
        at = self._new_events.append(line)
        if self._new_rows is not None:
            self._new_rows.append(change_log.line_of(stored))
        if event.deal_id is not None:
            offset = self.meta["events_size"] + at
            earlier = self._new_index["events"].add(event.deal_id, offset, len(line) - 1)
            if event.type == "add" and event.before is None:  # the deal's creation
                self._refuse_a_used_deal_id(event.deal_id, earlier)
        if event.type == "undo" and (undid := (event.after or {}).get("undid")) is not None:
            self._undone.add(undid)
        span = self._spans.get(event.change)
        if span is None:
            self._spans[event.change] = [at, at + len(line)]
        else:
            span[1] = at + len(line)

    def _refuse_a_used_deal_id(self, deal_id: int, earlier_events: int) -> None:
        """A new deal must take a number no deal has had: one that already has events,
        a closed record or an open entry means the counter was set back outside
        salespipe, and the new deal would replace that one."""
        closed = self.line_index("closed")
        index = self._open_index
        if not (
            earlier_events
            or (closed is not None and closed.head(deal_id))
            or (not index.replaced and index.committed_entry(str(deal_id)) is not None)
        ):
            return
        raise StoreError(
            _(
                "The data file {path} already holds deal {id}, though {id} is the number a "
                "new deal would get: its counter was set back outside salespipe; nothing was "
                "changed (`salespipe doctor --fix` sets it past every deal)."
            ).format(path=self.paths.main, id=deal_id)
        )

    def not_undoable(self) -> None:
        self._push_change = False

    def pop_change(self, change: int | None = None) -> tuple[UndoEntry, list[Event]] | None:
        stack = self.change_stack()
        where = [i for i, entry in enumerate(stack) if change in (None, entry["change"])]
        if not where:
            return None
        entry = stack.pop(where[-1])
        self.set_meta(changes=stack)
        from salespipe.storage.port import UndoEntry

        undo = UndoEntry(entry["change"], entry["command"], entry["at"])
        return undo, self.events_of_change(entry)

    def set_undo_list(self, entries: Sequence[UndoEntry]) -> None:
        committed = self.meta["events_size"]
        changes = []
        for entry in entries:
            if (span := self._spans.get(entry.change)) is not None:
                start, end = span
                where = {"offset": committed + start, "size": end - start}
                changes.append({**entry._asdict(), **where})
        self.set_meta(changes=changes)

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
        live = self._live_after()
        self.set_meta(open_live=live)
        if generation and not (total > compact_above and live < live_share * total):
            data = bytes(self._new_open)
            if data:
                self.set_meta(open_size=total)
            return data, generation
        if not generation and not live:
            return b"", generation
        lines = self._open_lines()
        compacted = bytearray()
        fresh: dict[str, Any] = {}
        for key, entry in index.items():
            line = lines[entry["at"] : entry["at"] + entry["size"] + 1]
            if line[-1:] != b"\n":
                raise damaged(self._open_journal.path)
            fresh[key] = {**entry, "at": len(compacted)}
            compacted += line
        self._new_open.clear()
        index.replace_all(fresh)
        self._storage.dirty = True
        self.set_meta(open_generation=generation + 1, open_size=len(compacted))
        return bytes(compacted), generation + 1

    def _live_after(self) -> int:
        """The bytes of the open deals' current records (with their newlines) once
        this change commits: the main file keeps the sum, each write corrects it."""
        index = self._open_index
        if index.replaced or "open_live" not in self.meta:
            return sum(entry["size"] + 1 for entry in index.values())
        live: int = self.meta["open_live"]
        if self._allocated:  # not looked for in the checkpoint: check it as a search would
            index.checkpoint.check_ends()
        for key, entry in index.changes().items():
            if key not in self._allocated and (old := index.committed_entry(key)) is not None:
                live -= old["size"] + 1
            if entry is not None:
                live += entry["size"] + 1
        return live

    def _finish_index(self, fresh_generation: Callable[[], int]) -> IndexWrite | None:
        """What to write to the open index: the changed entries appended to its tail,
        or, when the tail would grow past its bound (or the whole index was
        replaced), every entry as a new checkpoint of a ``fresh_generation()``."""
        index, meta = self._open_index, self.meta
        generation: int = meta["open_index_generation"]
        changes = index.changes()
        if not changes and not index.replaced:
            return None
        if generation and not index.replaced:
            tail = tail_lines(changes)
            size = meta["open_tail_size"] + len(tail)
            if not fold_due(meta["open_index_size"], size):
                self.set_meta(open_tail_size=size)
                return IndexWrite(generation, None, tail)
        entries = index.current()
        if not entries and not generation:
            return None
        checkpoint, places = checkpoint_with_places(entries)
        from salespipe.storage.jsonl import open_facts  # only a fold needs it

        facts = open_facts.build(entries, places, len(checkpoint), self.stages())
        generation = fresh_generation()
        self.set_meta(
            open_index_generation=generation, open_index_size=len(checkpoint), open_tail_size=0
        )
        return IndexWrite(generation, checkpoint, b"", facts)

    def _finish_meta(self, now_iso: str, command: str) -> list[Spool]:
        """Count the new journal lines in the main file; the spools to finish."""
        events, closed = len(self._new_events), len(self._new_closed)
        offset = self.meta["events_size"]
        updates: dict[str, Any] = {
            "events_size": offset + events,
            "closed_size": self.meta["closed_size"] + closed,
        }
        for journal, files in indexed_journals(self.paths).items():
            if added := len(self._new_index[journal].spool):
                updates[files.size_key] = self.meta[files.size_key] + added
        if self._new_rows is not None and (added := len(self._new_rows)):
            updates[change_log.SIZE_KEY] = self.meta[change_log.SIZE_KEY] + added
        if self._undone and "undone" in self.meta:
            updates["undone"] = sorted(self._undone.union(self.meta["undone"]))
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
        indexes = [writer.spool for writer in self._new_index.values()]
        rows = [self._new_rows] if self._new_rows is not None else []
        return [self._new_events, self._new_closed, *indexes, *rows]

    def _discard(self, *, take_back: bool = True) -> None:
        """Take back journal lines written ahead of a commit that will not happen; without
        ``take_back``, only let go of the journals (see :meth:`Spool.discard`)."""
        self._new_events.discard(take_back=take_back)
        self._new_closed.discard(take_back=take_back)
        for writer in self._new_index.values():
            writer.spool.discard(take_back=take_back)
        if self._new_rows is not None:
            self._new_rows.discard(take_back=take_back)

    def _document_bytes(self) -> bytes:
        return orjson.dumps(self._storage.data)
