"""Copying a whole pipeline from one database to another (``salespipe copy``).

A copy carries everything, exactly: settings, pipelines, stages, flags, when the pipeline began,
every deal (in the order each listing keeps), every event with its sequence number,
change id, time, author, reason and before/after, the counters and the undo list. So
every report and ``show`` reads the same on both, and ``undo`` on the target takes back
what it would have taken back on the source. It is one transaction on the target: into
an empty database (one that ``init`` made, or none yet), or with ``replace`` in place of
everything the target held; a failure leaves the target as it was. The copy itself is
not a change to undo, so what a replacement puts aside is kept first, as a backup in the
user data folder (:mod:`salespipe.transfer.keeping`).

It reads the source through one read view and writes through the storage port, so it
works between any two backends (a data file and PostgreSQL, either way, or two files).
"""

from __future__ import annotations

import dataclasses
import gc
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

from salespipe.app import settings
from salespipe.core import clock
from salespipe.core.errors import InvalidValue, NotAllowed, NotPermitted, StoreError
from salespipe.core.i18n import _, ngettext
from salespipe.core.model import Event
from salespipe.storage.interrupts import HeldInterrupts
from salespipe.storage.port import TeamTransaction
from salespipe.transfer.keeping import Kept, keep_what_is_replaced

if TYPE_CHECKING:
    from salespipe.app.pipeline import Pipeline
    from salespipe.storage.port import ReadView, WriteTransaction

T = TypeVar("T")

# Records handed to the target at a time (its backend sends them in batches too).
BATCH = 5000

# Called with (records copied so far, records to copy).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class CopyReport:
    """What ``copy`` did: from where to where, and how much of each it carried."""

    source: str
    target: str
    replaced: bool
    stages: int
    deals: int
    events: int
    undo: int
    kept: Kept | None = None  # what a replacement put aside, where the target held any

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "replaced": self.replaced,
            "stages": self.stages,
            "deals": self.deals,
            "events": self.events,
            "undo": self.undo,
            "kept": None if self.kept is None else self.kept.to_dict(),
        }


@dataclass(frozen=True)
class Held:
    """What a database holds, as a question about replacing it names it."""

    location: str
    deals: int
    events: int

    @property
    def nothing(self) -> bool:
        return self.deals == 0 and self.events == 0


def sides(source: Pipeline, target: Pipeline) -> tuple[Held, Held]:
    """What ``source`` and ``target`` hold, for the question before a replacement: asked
    only of a copy that can be made (not of a database onto itself, nor of a source that
    is not there)."""
    _refuse_the_same(source, target)
    return _held(source, source.read_existing()), _held(target, target.read())


def _held(pipeline: Pipeline, view: ReadView) -> Held:
    """How many deals and events ``view`` holds (a database not there yet: none)."""
    if view.is_empty():
        return Held(pipeline.store.location, 0, 0)
    deals = len(view.open_deal_ids()) + sum(1 for _record in view.closed_records())
    events = sum(1 for _line in view.event_lines())
    return Held(pipeline.store.location, deals, events)


def copy_pipeline(
    source: Pipeline, target: Pipeline, *, replace: bool, progress: Progress | None = None
) -> CopyReport:
    """Copy the whole pipeline of ``source`` into ``target`` as one transaction."""
    _refuse_the_same(source, target)
    view = source.read_existing()
    if not view.sees_every_deal():
        raise NotPermitted(
            _(
                "This database role sees only its own deals at {source} (visibility own), so "
                "a copy would not be the whole pipeline; a manager or an admin of the team "
                "copies it; nothing was copied."
            ).format(source=source.store.location)
        )
    store = target.store
    own = replace and _keeps_deals_apart(target)
    now = clock.now()
    kept: Kept | None = None

    opened = (store.replacing if replace else store.transaction)(
        settings.lock_timeout_of(store), "copy", now.isoformat()
    )
    # Hundreds of thousands of records, none of them cyclic: the cyclic collector would
    # only scan them again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with HeldInterrupts() as interrupts, opened as tx:
            team_history: list[Event] = []
            if replace:  # under the target's lock: nothing changes it before the commit
                kept = keep_what_is_replaced(store, settings.replaced_dir(), now)
            elif not tx.is_empty():
                taken = tx.take_team_history() if isinstance(tx, TeamTransaction) else None
                if taken is None:
                    raise _holds_something(tx, store.location)
                team_history = taken
            report = _copy(view, tx, progress or _silent, keep_own=own)
            _record_again(tx, team_history)
            interrupts.hold()  # from here on the copy is committed: Ctrl-C waits for it
    finally:
        if collecting:
            gc.enable()
    return CopyReport(
        source=source.store.location,
        target=store.location,
        replaced=replace,
        kept=kept,
        **report,
    )


def _refuse_the_same(source: Pipeline, target: Pipeline) -> None:
    if _same_database(source, target):
        raise InvalidValue(
            _("{source} and {target} are the same database; copy it to another one.").format(
                source=source.store.location, target=target.store.location
            )
        )


def _holds_something(tx: WriteTransaction, target: str) -> NotAllowed:
    """The refusal of a copy into ``target``, which holds deals or history, saying which:
    a team's pipeline of no deal was refused as holding "deals or history", and its
    admin could not tell what (its ``team add`` and ``config set`` were; a trial)."""
    hidden = not tx.sees_every_deal() and tx.counters().next_deal_id > 1  # a rep's
    if hidden or tx.open_deal_ids() or next(iter(tx.closed_records()), None) is not None:
        return NotAllowed(
            _(
                "{target} already holds deals and their history; nothing was copied "
                "(--replace puts the copy in place of everything it holds)."
            ).format(target=target)
        )
    # The commands of its changes, each with how many: few where there is no deal.
    changes: dict[int, str] = {}
    for event in tx.event_records():
        changes.setdefault(event["change"], str(event.get("command") or event["type"]))
    made = Counter(changes.values())
    return NotAllowed(
        ngettext(
            "{target} holds no deals, but holds the history of {count} change "
            "({commands}); nothing was copied (--replace puts the copy in place of "
            "everything it holds, that history too).",
            "{target} holds no deals, but holds the history of {count} changes "
            "({commands}); nothing was copied (--replace puts the copy in place of "
            "everything it holds, that history too).",
            len(changes),
        ).format(
            target=target,
            count=len(changes),
            commands=", ".join(f"{command} ({n})" for command, n in made.items()),
        )
    )


def _keeps_deals_apart(target: Pipeline) -> bool:
    """Whether ``target`` shows reps only their own deals (``visibility own``): a team's
    database replaced by a copy keeps that, whatever the copy's own setting (a file's is
    always ``all``), rather than opening every deal to every rep without a word."""
    try:
        return target.store.read().config().get("visibility") == "own"
    except StoreError:  # nothing there yet
        return False


def _copy(
    view: ReadView, tx: WriteTransaction, progress: Progress, *, keep_own: bool
) -> dict[str, int]:
    counters = view.counters()
    # Every record is a deal or an event; ids and sequence numbers are never reused, so
    # this is the most there can be (the bar may end early, never overrun).
    total = counters.next_deal_id - 1 + counters.next_seq - 1
    done = 0
    stages = view.stages()
    tx.save_pipelines(view.pipelines())
    tx.save_stages(stages)
    deals = 0
    live: set[int] = set()
    for batch in _read_ahead(view.all_records, list):
        tx.save_records(batch)
        live.update(record["id"] for record in batch)
        deals += len(batch)
        done += len(batch)
        progress(done, total)
    events = 0
    owners: dict[int, str] = {}  # each deal's latest owner its events name
    for batch in _read_ahead(view.event_records, _checked_events):
        for event in batch:
            tx.record(event)
            if event.deal_id is not None:
                _note_owner(owners, event.deal_id, event)
        events += len(batch)
        done += len(batch)
        progress(done, total)
    if isinstance(tx, TeamTransaction):  # deleted, or their creation undone: gone now
        tx.keep_deleted_deals({i: owner for i, owner in owners.items() if i not in live})
    tx.set_created_at(view.created_at())
    for name, value in view.flags().items():
        tx.set_flag(name, value)
    tx.replace_config(_config_for(tx, view.config(), keep_own=keep_own))
    tx.advance_counters(**counters._asdict())
    undo = view.undo_list()
    tx.set_undo_list(undo)
    tx.not_undoable()
    return {"stages": len(stages), "deals": deals, "events": events, "undo": len(undo)}


def _note_owner(owners: dict[int, str], deal_id: int, event: Event) -> None:
    """The owner the event of deal ``deal_id`` names (an add's or a deletion's whole
    record, an edit's new owner), kept as the deal's latest."""
    for record in (event.after, event.before):
        if record and record.get("owner") is not None:
            owners[deal_id] = str(record["owner"])
            return


def _config_for(tx: WriteTransaction, config: dict[str, Any], *, keep_own: bool) -> dict[str, Any]:
    """The copy's settings, with a team's ``visibility own`` kept over a copy of a file."""
    return {**config, "visibility": "own"} if keep_own else settings.kept_by(tx, config)


def _record_again(tx: WriteTransaction, events: list[Event]) -> None:
    """The target's own history of setting its team up (the only history a target may
    hold: its members need the team to copy into it), after the copied history: each
    change and event numbered on from the copy's counters, by its author as before."""
    counters = tx.counters()
    changes: dict[int, int] = {}
    for seq, event in enumerate(events, start=counters.next_seq):
        change = changes.setdefault(event.change, counters.next_change + len(changes))
        tx.record(dataclasses.replace(event, seq=seq, change=change))
    if events:
        tx.advance_counters(
            next_seq=counters.next_seq + len(events),
            next_change=counters.next_change + len(changes),
        )


def _checked_events(records: Iterable[dict[str, Any]]) -> list[Event]:
    return [Event.from_record(record) for record in records]


_DONE = object()


def _read_ahead(
    read: Callable[[], Iterable[Any]], make: Callable[[Iterable[Any]], list[T]]
) -> Iterator[list[T]]:
    """The batches ``make`` makes of what ``read`` reads, read and made by a second
    thread while this one hands the batch before to the target: reading the source and
    sending to a server then overlap (the thread runs while this one waits for the
    server). What goes wrong there is raised here; stopping early stops that thread."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def hand_over(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            iterator = iter(read())
            while batch := make(islice(iterator, BATCH)):
                if not hand_over(batch):
                    return
            hand_over(_DONE)
        except BaseException as error:  # raised again in the reading thread
            hand_over(error)

    worker = threading.Thread(target=produce, name="salespipe-copy-reader", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _silent(done: int, total: int) -> None:
    """No progress to show."""


def _same_database(source: Pipeline, target: Pipeline) -> bool:
    if source.store.location == target.store.location:
        return True
    if target.store.holds(source.store.location):
        return True
    # One server named two ways (localhost and 127.0.0.1, a socket and a port).
    return type(source.store) is type(target.store) and (
        source.store.identity() == target.store.identity()
    )
