"""When an imported deal was created, entered its stage, closed and was last updated:
the times its history replays, kept in order (nothing closes after the import, nothing is
created after it closed), and which of the row's own times that order moved (the import
report says so)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from salespipe.core.model import Status
from salespipe.transfer.pending import Pending, RowValues, unpack, with_closing_time
from salespipe.transfer.rows import Filled

# A time and its ISO form in records: the row's times come packed as ISO text, so most
# of a record's times need no formatting. Plain tuples: there are several a row.
Moment = tuple[datetime, str]


class Times(NamedTuple):
    created: Moment
    entered: Moment
    closed: Moment | None
    updated: Moment


def moment_of(at: datetime) -> Moment:
    return at, at.isoformat(timespec="seconds")


def _packed(iso: str | None) -> Moment | None:
    return (datetime.fromisoformat(iso), iso) if iso else None


def _earliest(first: Moment, second: Moment) -> Moment:
    """As ``min`` of the times: the first of two equal ones."""
    return second if second[0] < first[0] else first


def latest(first: Moment, *others: Moment) -> Moment:
    """As ``max`` of the times: the first of equal ones."""
    found = first
    for other in others:
        if other[0] > found[0]:
            found = other
    return found


def deal_times(values: RowValues, status: Status, now: Moment) -> Times:
    """Creation, stage entry, closing and last update, in an order history can replay."""
    created_at, updated_at = _packed(values.created_at), _packed(values.updated_at)
    created = _earliest(created_at or now, now)
    closed = None
    if status != "open":
        closed = _earliest(_packed(values.closed_at) or updated_at or now, now)
        created = _earliest(created, closed)
    end = closed or now
    entered = _packed(values.stage_entered_at)
    if entered is None or not created[0] <= entered[0] <= end[0]:
        entered = created
    last = latest(created, entered, closed or created)
    if updated_at and last[0] <= updated_at[0] <= now[0]:
        return Times(created, entered, closed, updated_at)
    return Times(created, entered, closed, last)


def with_close_filled(pending: Pending, status: Status, now: datetime) -> Pending:
    """The row as the import closes it: a closed row that gives no closing time is
    given one as :func:`with_closing_time` finds it (an open one is left as it is)."""
    if status != "open" and pending.filled & Filled.NO_CLOSE_DATE:
        return with_closing_time(pending, now)
    return pending


class Closing(NamedTuple):
    """When an import closes a closed row's deal made new (``at``, as
    :func:`deal_times` has it), and why that is ``now`` where it is: the row gives no
    time at all (``undated``), or the one it gives is after ``now`` (``later``)."""

    at: datetime
    undated: bool
    later: bool


def closing(pending: Pending, status: Status, now: datetime) -> Closing:
    """When a new deal made of ``pending``, ``status`` won or lost, closes: the one rule
    of a fresh import, for ``import --update`` to close a deal here as that would."""
    row = with_close_filled(pending, status, now)
    values = unpack(row)
    times = deal_times(values, status, moment_of(now))
    assert times.closed is not None  # (a closed status)
    return Closing(
        times.closed[0], bool(row.filled & Filled.CLOSED_UNKNOWN), _closed_later(values, times)
    )


def _closed_later(values: RowValues, times: Times) -> bool:
    """Whether :func:`deal_times` closed the row's deal at ``now`` as the time the row
    gives is after it."""
    given = _packed(values.closed_at) or _packed(values.updated_at)
    return times.closed is not None and given is not None and times.closed[0] < given[0]


def with_times_kept_in_order(
    pending: Pending, now: datetime, status: Status, *, stage_named: bool = True
) -> Pending:
    """The row with the bits that say which of its times :func:`deal_times` moves or
    supplies: a close after ``now`` (to ``now``), a creation after the close or ``now``
    (to it), no creation (``now``, or the close); of a
    closed row, whether its stay is unknown (the file does not name the stage it closed
    in, ``stage_named``, or does not say when it entered it); and of an open one, whether
    it is taken to be in its stage since it was created, for want of that time."""
    values = unpack(pending)
    times = deal_times(values, status, moment_of(now))
    given_creation = _packed(values.created_at)
    bits = 0
    if _closed_later(values, times):
        bits |= Filled.CLOSED_LATER
    if given_creation is None:
        bits |= Filled.NO_CREATION
    elif times.created[0] < given_creation[0]:
        bits |= Filled.CREATED_LATER
    if times.closed is not None and not (stage_named and _entry_given(values, times)):
        bits |= Filled.NO_STAY
    if times.closed is None and given_creation is not None and not _entry_given(values, times):
        bits |= Filled.ENTERED_AT_CREATION
    return pending._replace(filled=pending.filled | bits) if bits else pending


def _entry_given(values: RowValues, times: Times) -> bool:
    """Whether the deal entered its stage when the row says (not at its creation, as
    :func:`deal_times` has it when the row gives no such time or one out of order)."""
    given = _packed(values.stage_entered_at)
    return given is not None and given[0] == times.entered[0]
