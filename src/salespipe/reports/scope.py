"""What a report reads: the open or all deal records, now or as of the end of a past day.

Everyday reports (chart, stale, check) read only the open deals; history reports read
the closed ones too; only ``as_of`` reads the event journal, replaying it to the end of
that day (docs/reports.md, "Looking back: --as-of"). The records are stored deal
records, to be gone through once (see :mod:`salespipe.core.tally`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from salespipe.core import clock, tally
from salespipe.core.model import Record, Stage, stages_in


class Source(Protocol):
    """What a report needs of a consistent read of the database."""

    def stages(self) -> list[Stage]: ...
    def open_records(self) -> list[Record]: ...
    def all_records(self) -> Iterator[Record]: ...
    def event_records(self) -> Iterator[Record]: ...
    def undone_changes(self) -> set[int]: ...


@dataclass
class Scope:
    """What a report runs on: deal records, the stages, and the moment it is computed for."""

    records: Iterable[Record]  # to be gone through once
    stages: list[Stage]
    now: datetime
    pipeline_name: str = ""  # the one pipeline read, when the database has several


def scope(
    source: Source,
    *,
    history: bool,
    owner: str | None = None,
    as_of: date | None = None,
    pipeline: str | None = None,
) -> Scope:
    """The open deals (or, with ``history``, all deals) of ``owner`` (or everyone's), as
    they are now or, with ``as_of``, as they stood at the end of that day; with
    ``pipeline`` (a key), only the deals then in that pipeline, and its stages."""
    from salespipe.reports import timeline

    stages = source.stages()
    records: Iterable[Record]
    if as_of is None:
        now = clock.now()
        records = source.all_records() if history else source.open_records()
    else:
        now = timeline.cutoff(as_of)
        past = timeline.replay(source.event_records(), source.undone_changes(), now)
        records = past.records()
        stages = timeline.roll_back_stages(stages, past.later_stage_events)
        if not history:
            records = tally.open_only(records)
    if pipeline is not None:
        records = in_stages(records, {s.key for s in stages if s.pipeline == pipeline})
        stages = stages_in(stages, pipeline)
    return Scope(tally.owned_by(records, owner), stages, now)


def in_stages(records: Iterable[Record], keys: set[str]) -> Iterator[Record]:
    """The records of deals in one of these stages (one pipeline's)."""
    return (r for r in records if r["stage"] in keys)
