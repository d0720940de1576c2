"""The in-memory backend: the storage port at its plainest, for tests and as the
reference the other backends are held to (``tests/storage/test_contract.py``).

A database is one immutable :class:`_State`. A transaction works on a copy and, when
its ``with`` block ends without an error, puts the copy in place of the state; a read
view keeps the state it was opened on. Records are kept as the compact JSON bytes of
their ``to_record()`` form, so nothing a caller holds can change what is stored.
"""

from __future__ import annotations

import contextlib
import dataclasses
import heapq
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson

from salespipe.core.change_rows import ChangeRow, change_row
from salespipe.core.errors import DatabaseBusy, NoLiveFeed
from salespipe.core.i18n import _
from salespipe.core.model import Deal, Event, PipelineDef, Record, Stage, first_pipeline
from salespipe.core.tally import start_of_day
from salespipe.storage.bookkeeping import HeldBookkeeping
from salespipe.storage.port import (
    UNDO_DEPTH,
    Checkup,
    Counters,
    Follower,
    Initial,
    LockTimeout,
    ReadView,
    Storage,
    UndoEntry,
    WriteTransaction,
)


@dataclass
class _State:
    exists: bool
    created_at: str
    stages: tuple[Stage, ...]
    pipelines: tuple[PipelineDef, ...] = field(default_factory=lambda: (first_pipeline(),))
    config: dict[str, Any] = field(default_factory=dict)
    counters: Counters = field(default_factory=lambda: Counters(1, 1, 1))
    flags: dict[str, Any] = field(default_factory=dict)
    # Deal id -> its record. A closed deal's entry stays (in the place it first took)
    # when it is reopened, as the open entry counts; None marks a deleted deal.
    open: dict[int, bytes] = field(default_factory=dict)
    closed: dict[int, bytes | None] = field(default_factory=dict)
    events: list[bytes] = field(default_factory=list)
    # The undo list: each change with the span of its events in ``events``.
    undo: list[tuple[UndoEntry, int, int]] = field(default_factory=list)
    # Every stage key a deal record ever stored named, as its stage or in its stays.
    stages_used: frozenset[str] = frozenset()

    @classmethod
    def fresh(cls, initial: Initial) -> _State:
        return cls(exists=False, created_at=initial.created_at, stages=tuple(initial.stages))

    def copy(self) -> _State:
        return dataclasses.replace(
            self,
            config=dict(self.config),
            flags=dict(self.flags),
            open=dict(self.open),
            closed=dict(self.closed),
            events=list(self.events),
            undo=list(self.undo),
        )


def _stages_of(record: Record) -> set[str]:
    return {record["stage"], *(stay[0] for stay in record.get("stays", ()))}


class MemoryView(ReadView):
    """A read view of one state."""

    def __init__(self, state: _State) -> None:
        self._state = state

    @property
    def exists(self) -> bool:
        return self._state.exists

    def user(self) -> str | None:
        return None

    def sees_every_deal(self) -> bool:
        return True

    def config(self) -> dict[str, Any]:
        return dict(self._state.config)

    def stages(self) -> list[Stage]:
        return sorted(self._state.stages, key=lambda s: s.position)

    def pipelines(self) -> list[PipelineDef]:
        return list(self._state.pipelines)

    def created_at(self) -> str:
        return self._state.created_at

    def counters(self) -> Counters:
        return self._state.counters

    def flags(self) -> dict[str, Any]:
        return dict(self._state.flags)

    def is_empty(self) -> bool:
        state = self._state
        return not state.open and not state.closed and not state.events

    def deal_ids_in_stage(
        self, key: str, *, open_only: bool, limit: int, ever: bool = False
    ) -> list[int]:
        kept = [*self._state.open.values()]
        if not open_only:
            kept += [line for line in self._state.closed.values() if line is not None]
        found = (orjson.loads(line) for line in kept)
        return sorted(
            r["id"]
            for r in found
            if r["stage"] == key or (ever and any(s[0] == key for s in r["stays"]))
        )[:limit]

    def stage_in_use(self, key: str) -> bool:
        if key in self._state.stages_used:
            return True

        def names(record: Record | None) -> bool:
            record = record or {}
            return record.get("stage") == key or any(s[0] == key for s in record.get("stays", ()))

        return any(
            names(event.get("before")) or names(event.get("after"))
            for event in self.event_records()
            if event.get("deal_id") is not None
        )

    # -- deals -------------------------------------------------------------------------
    def get_deal(self, deal_id: int) -> Deal | None:
        state = self._state
        line = state.open.get(deal_id) or state.closed.get(deal_id)
        return Deal.from_record(orjson.loads(line)) if line else None

    def open_deals(self) -> list[Deal]:
        return [Deal.from_record(r) for r in self.open_records()]

    def open_records(self) -> list[Record]:
        return [orjson.loads(line) for line in self._state.open.values()]

    def open_deal_ids(self) -> set[int]:
        return set(self._state.open)

    def closed_deals(self) -> list[Deal]:
        return [Deal.from_record(r) for r in self.closed_records()]

    def closed_records(self) -> Iterator[Record]:
        state = self._state
        for deal_id, line in state.closed.items():
            if line is not None and deal_id not in state.open:
                yield orjson.loads(line)

    def all_deals(self) -> list[Deal]:
        return self.open_deals() + self.closed_deals()

    def all_records(self) -> Iterator[Record]:
        yield from self.open_records()
        yield from self.closed_records()

    def deleted_deal_ids(self) -> list[int]:
        state = self._state
        return sorted(i for i, line in state.closed.items() if line is None and i not in state.open)

    # -- events ------------------------------------------------------------------------
    def events(self, deal_id: int | None = None) -> list[Event]:
        events = (Event.from_record(r) for r in self.event_records())
        return [e for e in events if deal_id is None or e.deal_id == deal_id]

    def event_records(self) -> Iterator[Record]:
        return (orjson.loads(line) for line in self._state.events)

    def event_lines(self) -> Iterator[bytes]:
        return iter(list(self._state.events))

    def change_records(self) -> Iterator[ChangeRow]:
        return map(change_row, self.event_records())

    def newest_events(
        self, limit: int, *, deal_id: int | None = None, since: date | None = None
    ) -> list[Event]:
        start = start_of_day(since) if since is not None else None  # where the reader is
        chosen = (
            (order, event)
            for order, event in enumerate(self.events(deal_id))
            if start is None or event.at >= start
        )
        newest = heapq.nlargest(limit, chosen, key=lambda pair: (pair[1].at, pair[0]))
        return [event for _order, event in newest]

    def undone_changes(self) -> set[int]:
        return {r["after"]["undid"] for r in self.event_records() if r["type"] == "undo"}

    def undo_list(self, by: str | None = None) -> list[UndoEntry]:
        events = self._state.events
        return [
            entry
            for entry, start, _end in self._state.undo
            if by is None or orjson.loads(events[start]).get("who") == by
        ]


class MemoryTransaction(HeldBookkeeping, MemoryView, WriteTransaction):
    """A copy of the state that collects one change."""

    def __init__(self, state: _State) -> None:
        super().__init__(state.copy())
        self.changed = False
        self.undoable = True
        self._first_event = len(state.events)

    def _touch(self) -> _State:
        self.changed = True
        return self._state

    # -- stages (the rest of the bookkeeping: storage/bookkeeping.py) ----------------
    def save_stages(self, stages: Iterable[Stage]) -> None:
        self._touch().stages = tuple(stages)

    def save_pipelines(self, pipelines: Iterable[PipelineDef]) -> None:
        self._touch().pipelines = tuple(pipelines)

    # -- deals ---------------------------------------------------------------------------
    def save_deals(self, deals: Iterable[Deal]) -> None:
        self.save_records(deal.to_record() for deal in deals)

    def save_records(self, records: Iterable[Record]) -> None:
        state = self._touch()
        used = set(state.stages_used)
        for record in records:
            deal_id, line = record["id"], orjson.dumps(record)
            used |= _stages_of(record)
            if record["status"] == "open":
                state.open[deal_id] = line
            else:
                state.open.pop(deal_id, None)
                state.closed[deal_id] = line
        state.stages_used = frozenset(used)

    def delete_deal(self, deal_id: int) -> None:
        state = self._touch()
        state.open.pop(deal_id, None)
        state.closed[deal_id] = None

    # -- events and undo -------------------------------------------------------------------
    def record(self, event: Event) -> None:
        self._touch().events.append(orjson.dumps(event.to_record()))

    def not_undoable(self) -> None:
        self.undoable = False

    def pop_change(self, change: int | None = None) -> tuple[UndoEntry, list[Event]] | None:
        state = self._state
        where = [i for i, (e, _s, _e) in enumerate(state.undo) if change in (None, e.change)]
        if not where:
            return None
        self.changed = True
        entry, start, end = state.undo.pop(where[-1])
        events = [Event.from_record(orjson.loads(line)) for line in state.events[start:end]]
        return entry, events

    def set_undo_list(self, entries: Sequence[UndoEntry]) -> None:
        state = self._touch()
        spans = self._spans()
        state.undo = [(e, *spans[e.change]) for e in entries if e.change in spans]

    def _spans(self) -> dict[int, tuple[int, int]]:
        """Where each change's events recorded in this transaction are."""
        spans: dict[int, tuple[int, int]] = {}
        events = self._state.events
        for index in range(self._first_event, len(events)):
            change = orjson.loads(events[index])["change"]
            spans[change] = (spans.get(change, (index, index))[0], index + 1)
        return spans

    def committed_state(self, command: str, now_iso: str) -> _State:
        """The state to put in place: marked created, with the change on the undo list."""
        state = self._state
        state.exists = True
        if self.undoable and len(state.events) > self._first_event:
            entry = UndoEntry(self.change_id(), command, now_iso)
            state.undo = [*state.undo, (entry, self._first_event, len(state.events))]
            state.undo = state.undo[-UNDO_DEPTH:]
        return state


class MemoryStorage(Storage):
    """One in-memory database."""

    def __init__(self, name: str, initial: Callable[[], Initial]) -> None:
        self.name = name
        self.initial = initial
        self._state: _State | None = None
        self._lock = threading.Lock()

    @property
    def location(self) -> str:
        return f"memory:{self.name}"

    def _current(self) -> _State:
        return self._state if self._state is not None else _State.fresh(self.initial())

    def read(self) -> MemoryView:
        return MemoryView(self._current())

    @contextlib.contextmanager
    def transaction(
        self, lock_timeout: LockTimeout, command: str, now_iso: str
    ) -> Iterator[MemoryTransaction]:
        with self._held(lock_timeout):
            tx = MemoryTransaction(self._current())
            yield tx
            if tx.changed:
                self._state = tx.committed_state(command, now_iso)

    @contextlib.contextmanager
    def replacing(
        self, lock_timeout: LockTimeout, command: str, now_iso: str
    ) -> Iterator[MemoryTransaction]:
        with self._held(lock_timeout):
            tx = MemoryTransaction(_State.fresh(self.initial()))
            yield tx
            self._state = tx.committed_state(command, now_iso)

    def destroy(self, lock_timeout: LockTimeout) -> None:
        with self._held(lock_timeout):
            self._state = None

    def checkup(self, repair: bool, lock_timeout: LockTimeout, now_iso: str) -> Checkup:
        """Nothing is kept derived from the history here: there is nothing to check."""
        return Checkup([], [], False)

    def holds(self, path: str) -> bool:
        return False

    def identity(self) -> str:
        return self.location

    def follow(self) -> Follower:
        raise NoLiveFeed(self.location)

    @contextlib.contextmanager
    def _held(self, lock_timeout: LockTimeout) -> Iterator[None]:
        if not self._lock.acquire(blocking=False):
            timeout = lock_timeout()
            if not self._lock.acquire(timeout=timeout):
                raise DatabaseBusy(
                    _(
                        "The database {path} is busy: another salespipe process held it "
                        "for more than {seconds} s; nothing was changed, try again."
                    ).format(path=self.location, seconds=f"{timeout:g}")
                )
        try:
            yield
        finally:
            self._lock.release()


_DATABASES: dict[str, MemoryStorage] = {}


def open_memory(name: str, initial: Callable[[], Initial]) -> MemoryStorage:
    """The in-memory database called ``name`` in this process (made on first use)."""
    if name not in _DATABASES:
        _DATABASES[name] = MemoryStorage(name, initial)
    return _DATABASES[name]


def forget(name: str) -> None:
    """Drop the in-memory database ``name`` (between tests)."""
    _DATABASES.pop(name, None)


__all__ = ["MemoryStorage", "MemoryTransaction", "MemoryView", "forget", "open_memory"]
