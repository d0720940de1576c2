"""Following a team's pipeline as changes commit (``salespipe watch``, docs/team.md).

:func:`follow` turns a database's :class:`~salespipe.storage.port.Follower` into a stream
of what a person watching needs: each committed change (as a :class:`Change`, the shape
local hooks are run with), and word when the connection is lost and when it is back.
It never polls: it waits for the database to announce a commit. After a lost
connection it reconnects with growing pauses and then reads every change committed
meanwhile, by change id, so nothing is missed and nothing is shown twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from salespipe.app.work import Change
from salespipe.core import parse
from salespipe.core.errors import DatabaseUnreachable
from salespipe.core.model import Deal, Event

if TYPE_CHECKING:
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


FeedItem = Change | Listening | ConnectionLost | ConnectionBack | Replaced


def follow(
    open_follower: Callable[[], Follower],
    *,
    owner: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[FeedItem]:
    """Every change committed from now on, one :class:`Change` each (only those about
    deals of ``owner``, if given), with the losses and returns of the connection."""
    follower = open_follower()
    try:
        last = follower.last_change()
        yield Listening(before_init=not follower.pipeline_made())
        while True:
            try:
                batch = follower.changes_after(last)
                last = batch.last_change
                if batch.replaced:
                    yield Replaced()
                    continue  # at once: changes may have been made after the copy
                yield from _changes(batch, owner)
                follower.wait(None)
            except DatabaseUnreachable as lost:
                follower.close()
                yield ConnectionLost(lost.message)
                follower, attempts = _reconnect(open_follower, sleep)
                yield ConnectionBack(attempts)
    finally:
        follower.close()


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
