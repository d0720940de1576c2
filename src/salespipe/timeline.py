"""Replaying the event journal: the pipeline as it stood at a past moment.

Every deal event carries the fields it changed in ``Deal.to_record()`` form (an
``add`` the whole record, a ``delete`` none), so applying the events of a deal in
the order they were recorded rebuilds its record exactly: stage, status, value,
probability, stays and the rest. Changes that were later undone are skipped, and
so are the ``undo`` events themselves. A deal's events are recorded in time order
(``--at`` may backdate a change, but never before the deal's previous event), so
the events up to a moment are a prefix of each deal's history.

Stages are rolled back the other way: from the stages as they are now, the stage
events after the moment are reverted, newest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from salespipe import clock, fmt
from salespipe.errors import InvalidValue
from salespipe.i18n import _
from salespipe.model import Deal, Event, Record, Stage
from salespipe.tally import end_of_day


def undone_changes(events: Iterable[Event]) -> set[int]:
    """The ids of every change an ``undo`` reverted."""
    return {
        event.after["undid"]
        for event in events
        if event.type == "undo" and event.after and "undid" in event.after
    }


def _standing(events: Sequence[Event]) -> list[Event]:
    """The events that still count: neither undone nor an undo."""
    skip = undone_changes(events)
    return [e for e in events if e.type != "undo" and e.change not in skip]


def cutoff(day: date) -> datetime:
    """The end of ``day`` (local time), or now when ``day`` is today."""
    now = clock.now()
    if day > now.date():
        raise InvalidValue(_("The --as-of date {date} is in the future.").format(date=fmt.day(day)))
    return min(end_of_day(day), now)


def deal_records_as_of(events: Sequence[Event], moment: datetime) -> dict[int, Record]:
    """Each deal's stored record as it was at ``moment``; deleted deals left out."""
    records: dict[int, Record] = {}
    for event in _standing(events):
        if event.deal_id is None or event.at > moment:
            continue
        if event.before is None and event.after is not None:
            records[event.deal_id] = dict(event.after)
        elif event.after is None:
            records.pop(event.deal_id, None)
        else:
            record = records.get(event.deal_id)
            if record is not None:
                record.update(event.after)
    return records


def deals_as_of(events: Sequence[Event], moment: datetime) -> list[Deal]:
    """Every deal (open and closed) as it was at ``moment``, in id order."""
    records = deal_records_as_of(events, moment)
    return [Deal.from_record(records[deal_id]) for deal_id in sorted(records)]


def stages_as_of(
    current: Sequence[Stage], events: Sequence[Event], moment: datetime
) -> list[Stage]:
    """The stages (names, order, probabilities, targets) as they were at ``moment``."""
    stages = {stage.key: stage for stage in current}
    later = [e for e in _standing(events) if e.type.startswith("stage-") and e.at > moment]
    for event in reversed(later):
        for key, record in (event.before or {}).items():
            if record is None:
                stages.pop(key, None)
            else:
                stages[key] = Stage.from_record(record)
    return sorted(stages.values(), key=lambda stage: stage.position)
