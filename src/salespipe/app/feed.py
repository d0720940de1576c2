"""Following a team's pipeline as changes commit (``salespipe watch``, docs/team.md).

:func:`follow` turns a database's :class:`~salespipe.storage.port.Follower` into a stream
of what a person watching needs: each committed change (as a :class:`Change`, the shape
local hooks are run with), and word when the connection is lost and when it is back.
It never polls: it waits for the database to announce a commit. After a lost
connection it reconnects with growing pauses and then reads every change committed
meanwhile, by change id, so nothing is missed and nothing is shown twice.

:func:`watch` starts it after a given change (``--since``), or where a watch before it
left off (``--resume FILE``, a :class:`Place`): the changes made while no watch ran are
shown first, oldest first, then the feed goes on live.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from salespipe.app.work import Change
from salespipe.core import parse
from salespipe.core.errors import DatabaseUnreachable, InvalidValue, WriteFailed, os_problem
from salespipe.core.i18n import _
from salespipe.core.model import Deal, Event
from salespipe.storage import safe_files

if TYPE_CHECKING:
    from salespipe.app.pipeline import Pipeline
    from salespipe.storage.port import FeedBatch, Follower

# Pauses between attempts to reconnect, in seconds: doubling from the first to the last.
FIRST_PAUSE = 0.5
LONGEST_PAUSE = 30.0


@dataclass(frozen=True)
class Listening:
    """Connected and listening: every change committed from now on follows.
    ``before_init``: the database has no pipeline yet (a mistyped name, or a team
    machine started before the pipeline was made): its first change will make it."""

    before_init: bool = False


@dataclass(frozen=True)
class ConnectionLost:
    """The connection to the database was lost (``reason``); reconnecting."""

    reason: str


@dataclass(frozen=True)
class ConnectionBack:
    """Connected again, after ``attempts`` tries; missed changes follow."""

    attempts: int


@dataclass(frozen=True)
class Replaced:
    """The database was replaced by a copy (``salespipe copy``): its history is another
    one, none of which is news; the changes made from now on follow."""


@dataclass(frozen=True)
class CaughtUp:
    """The changes committed after the change the feed started after are all shown:
    ``changes`` of them (as many as the live feed would have shown); live from now."""

    changes: int


# What a watch shows as it comes; and what it yields, with the count of a catch-up.
Shown = Change | Listening | ConnectionLost | ConnectionBack | Replaced
FeedItem = Shown | CaughtUp

# Told each change the consumer is done with (its line printed, its hook run), and the
# last change of each batch read (changes not shown, an owner's filter left out, are
# passed too); ``True`` when the database was replaced by a copy.
Passed = Callable[[int, bool], None]


def follow(
    open_follower: Callable[[], Follower],
    *,
    owner: str | None = None,
    start: Callable[[int], int | None] | None = None,
    passed: Passed | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[FeedItem]:
    """Every change committed from now on, one :class:`Change` each (only those about
    deals of ``owner``, if given), with the losses and returns of the connection.

    ``start`` is asked, with the database's latest change, which change to start after:
    a number shows the changes after it first and then :class:`CaughtUp`; None (or no
    ``start``) starts from now. ``passed`` is called once the consumer has taken each
    change: the generator resumes only when the next item is asked for."""
    follower = open_follower()
    try:
        latest = follower.last_change()
        after = start(latest) if start is not None else None
        last = latest if after is None else after
        yield Listening(before_init=not follower.pipeline_made())
        catching_up = after is not None
        while True:
            try:
                batch = follower.changes_after(last)
                if batch.replaced:
                    last = batch.last_change
                    yield Replaced()
                    if passed is not None:
                        passed(last, True)
                    continue  # at once: changes may have been made after the copy
                shown, told = 0, last
                for change in _changes(batch, owner):
                    yield change
                    shown, told = shown + 1, change.events[0].change
                    if passed is not None:
                        passed(told, False)
                if passed is not None and batch.last_change > told:
                    passed(batch.last_change, False)  # (the last ones left out by owner)
                last = batch.last_change
                if catching_up:
                    catching_up = False
                    yield CaughtUp(shown)
                follower.wait(None)
            except DatabaseUnreachable as lost:
                follower.close()
                yield ConnectionLost(lost.message)
                follower, attempts = _reconnect(open_follower, sleep)
                yield ConnectionBack(attempts)
    finally:
        follower.close()


def watch(
    pipeline: Pipeline,
    *,
    owner: str | None = None,
    since: int | None = None,
    resume: Path | None = None,
) -> Iterator[FeedItem]:
    """:func:`follow` on the pipeline's database, from after change ``since``, or from
    where the watch that kept its place in ``resume`` left off (from now, when that file
    is not there yet); the place is kept there after each change is taken."""
    store = pipeline.store
    place = Place(resume, store.location, lambda: _made(pipeline)) if resume else None

    def start(latest: int) -> int | None:
        if since is not None and since > latest:
            raise InvalidValue(
                _("{where} has no change {change}; its latest is {latest}.").format(
                    where=store.location, change=since, latest=latest
                )
            )
        if place is not None:
            return place.start(latest, since)
        return since

    yield from follow(
        store.follow, owner=owner, start=start, passed=place.passed if place else None
    )


def _made(pipeline: Pipeline) -> str | None:
    """What tells this pipeline from any other: the moment it was made (a copy carries
    it along; None before it is made)."""
    view = pipeline.read()
    return view.created_at() if view.exists else None


class Place:
    """Where a watch is in the history, kept in a file (``watch --resume FILE``): the
    last change it has shown and run its hook for, and the pipeline and database that
    change is of, as one small JSON object written atomically after each change."""

    def __init__(self, path: Path, where: str, made: Callable[[], str | None]) -> None:
        self.path = path
        self._where = where
        self._made = made
        self._pipeline: str | None = None
        self._kept = False  # (a place is in the file: read there, or written since)

    def start(self, latest: int, since: int | None = None) -> int | None:
        """The change to show the changes after (``since`` if given, whatever the file
        keeps); None, for a file not made yet, which is then made: from now
        (``latest``) on, nothing before is news."""
        kept = self._read() if since is None else None
        self._kept = kept is not None
        self._pipeline = self._made()
        if since is not None:
            self.keep(since)
            return since
        if kept is None:
            self.keep(latest)
            return None
        change, pipeline, database = kept
        if pipeline is not None and self._pipeline is not None and pipeline != self._pipeline:
            if database == self._where:  # (the same database: a copy came in meanwhile)
                raise InvalidValue(
                    _(
                        "{where} was replaced by a copy (salespipe copy) since {file} kept "
                        "its place: delete {file} to follow from now, or start with --since "
                        "CHANGE."
                    ).format(where=self._where, file=self.path)
                )
            raise InvalidValue(
                _(
                    "{file} keeps the place of a watch on another pipeline ({database}), "
                    "not the one in {where}: give each database a file of its own, or "
                    "delete it to follow from now."
                ).format(file=self.path, database=database, where=self._where)
            )
        if database is not None and database != self._where:
            # The same pipeline in another database: a copy of it (copy keeps the moment a
            # pipeline was made), whose changes after this number are others' news.
            raise InvalidValue(
                _(
                    "{file} keeps the place of a watch on {database}, not on {where}: give "
                    "each database a file of its own; if it is the same database named "
                    "otherwise, start once with --since {change}."
                ).format(file=self.path, database=database, where=self._where, change=change)
            )
        if change > latest:
            raise InvalidValue(
                _(
                    "{file} resumes after change {change}, but {where} has changes only up "
                    "to {latest} (replaced by a copy since?): delete {file} to follow from "
                    "now, or start with --since CHANGE."
                ).format(file=self.path, change=change, where=self._where, latest=latest)
            )
        self._pipeline = self._pipeline or pipeline
        return change

    def passed(self, change: int, replaced: bool) -> None:
        """``change`` is taken (its line printed, its hook run); a copy replaced the
        database: its pipeline is another one from now on."""
        if replaced or self._pipeline is None:
            self._pipeline = self._made()
        self.keep(change)

    def keep(self, change: int) -> None:
        record = {"database": self._where, "pipeline": self._pipeline, "change": change}
        try:
            safe_files.replace_atomically(
                self.path, orjson.dumps(record) + b"\n", f".{self.path.name}."
            )
            safe_files.fsync_folder(self.path.parent)
        except OSError as exc:
            if not self._kept:  # (the first start: no place was kept there to resume from)
                said = _(
                    "Could not keep the feed's place in {file} ({problem}); nothing was shown."
                )
            else:
                said = _(
                    "Could not keep the feed's place in {file} ({problem}); the watch "
                    "stopped, and started again it resumes from the place kept there before."
                )
            # exit 4, as a write salespipe could not make: the unit restarts it (a full
            # disk passes); a refusal (exit 1) it leaves stopped
            raise WriteFailed(said.format(file=self.path, problem=os_problem(exc))) from None
        self._kept = True

    def _read(self) -> tuple[int, str | None, str] | None:
        """The change, pipeline and database the file keeps; None if it is not there."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise InvalidValue(
                _("Could not read {file} ({problem}).").format(
                    file=self.path, problem=os_problem(exc)
                )
            ) from None
        try:
            record: Any = orjson.loads(data)
        except orjson.JSONDecodeError:
            record = None
        if not (
            isinstance(record, dict)
            and type(record.get("change")) is int
            and record["change"] >= 0
            and isinstance(record.get("pipeline"), str | None)
            and isinstance(record.get("database"), str)
        ):
            raise InvalidValue(
                _(
                    "{file} is not a place kept by `salespipe watch --resume`; delete it to "
                    "follow from now."
                ).format(file=self.path)
            )
        return record["change"], record["pipeline"], record["database"]


def _reconnect(
    open_follower: Callable[[], Follower], sleep: Callable[[float], None]
) -> tuple[Follower, int]:
    """A new follower, after as many paused attempts as it takes."""
    pause, attempts = FIRST_PAUSE, 0
    while True:
        sleep(pause)
        attempts += 1
        try:
            return open_follower(), attempts
        except DatabaseUnreachable:
            pause = min(pause * 2, LONGEST_PAUSE)


def _changes(batch: FeedBatch, owner: str | None) -> Iterator[Change]:
    """The batch's events as one Change per change id, each with the deals as they were
    just before and just after it (rebuilt backwards from the deals as they are now)."""
    states: dict[int, Deal | None] = dict(batch.deals)
    changes: list[Change] = []
    for change_id in sorted({e.change for e in batch.events}, reverse=True):
        events = [e for e in batch.events if e.change == change_id]
        change = Change(events=events, stages=batch.stages)
        after = {i: states.get(i) for i in _deal_ids(events, batch.undone_deals)}
        for event in reversed(events):
            if event.deal_id is not None:
                states[event.deal_id] = _before(event, states.get(event.deal_id))
        change.deals = [deal for deal in after.values() if deal is not None]
        change.deals_before = {i: states.get(i) for i in after}
        if any(e.type == "undo" for e in events):  # (an undone add or import: gone now)
            change.removed = [i for i, deal in after.items() if deal is None]
        changes.append(change)
    for change in reversed(changes):
        if owner is None or _concerns(change, owner):
            yield change


def _deal_ids(events: list[Event], undone_deals: Mapping[int, Sequence[int]]) -> list[int]:
    """The deals the events touched; an undo's are those of the change it took back."""
    touched: list[int] = []
    for event in events:
        if event.deal_id is not None:
            touched.append(event.deal_id)
        elif event.type == "undo" and event.after:
            touched.extend(undone_deals.get(int(event.after["undid"]), ()))
    return list(dict.fromkeys(touched))


def _before(event: Event, after: Deal | None) -> Deal | None:
    """The deal before ``event``, from the deal after it (what undo does, on paper)."""
    if event.before is None:
        return None  # it was added by this event
    if after is None:
        return Deal.from_record(event.before)  # deleted: the event kept it whole
    return Deal.from_record({**after.to_record(), **event.before})


def _concerns(change: Change, owner: str) -> bool:
    wanted = parse.fold(owner)
    deals = [*change.deals, *(d for d in change.deals_before.values() if d is not None)]
    return any(parse.fold(deal.owner) == wanted for deal in deals)
