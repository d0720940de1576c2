"""The deals as a replay of their events rebuilds them: what the tests compare the
stored deals with (the reports replay change rows, not whole events)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from salespipe.core.model import Deal, Event, Record
from salespipe.reports.timeline import replay, undone_changes


def deal_records_as_of(events: Sequence[Event], moment: datetime) -> dict[int, Record]:
    """Each deal's stored record as it was at ``moment``; deleted deals left out."""
    return replay((e.to_record() for e in events), undone_changes(events), moment).deals


def deals_as_of(events: Sequence[Event], moment: datetime) -> list[Deal]:
    """Every deal (open and closed) as it was at ``moment``, in id order."""
    replayed = replay((e.to_record() for e in events), undone_changes(events), moment)
    return [Deal.from_record(record) for record in replayed.records()]
