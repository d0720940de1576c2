"""Replaying the event journal: the pipeline as it stood at a past moment.

Every deal event carries the fields it changed in ``Deal.to_record()`` form (an
``add`` the whole record, a ``delete`` none), so applying the events of a deal in
the order they were recorded rebuilds its record exactly: stage, status, value,
probability, stays and the rest. Changes that were later undone are skipped, and
so are the ``undo`` events themselves. A deal's events are recorded in time order
(``--at`` may backdate a change, but never before the deal's previous event), so
the events up to a moment are a prefix of each deal's history.

Stages and pipelines are rolled back the other way: from them as they are now, their
events after the moment are reverted, newest first.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from salespipe.core import clock, fmt
from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import _
from salespipe.core.model import Event, PipelineDef, Record, Stage, renumbered
from salespipe.core.tally import end_of_day


def undone_changes(events: Iterable[Event]) -> set[int]:
    """The ids of every change an ``undo`` reverted."""
    return {
        event.after["undid"]
        for event in events
        if event.type == "undo" and event.after and "undid" in event.after
    }


def cutoff(day: date) -> datetime:
    """The end of ``day`` (local time), or now when ``day`` is today."""
    now = clock.now()
    if day > now.date():
        raise InvalidValue(_("The --as-of date {date} is in the future.").format(date=fmt.day(day)))
    return min(end_of_day(day), now)


@dataclass
class Past:
    """What one pass over the journal found for a moment: each deal's stored record as
    it was then (deleted deals left out), and the stage and pipeline events after it,
    oldest first."""

    deals: dict[int, Record] = field(default_factory=dict)
    later_stage_events: list[Record] = field(default_factory=list)
    later_pipeline_events: list[Record] = field(default_factory=list)

    def records(self) -> list[Record]:
        """Every deal's record (open and closed), in id order."""
        return [self.deals[deal_id] for deal_id in sorted(self.deals)]


def replay(events: Iterable[Record], undone: Collection[int], moment: datetime) -> Past:
    """Apply the stored event records, in recorded order, up to ``moment``; skip undone
    changes and the undos. One event at a time: the journal need not fit in memory."""
    past = Past()
    deals = past.deals
    fromiso = datetime.fromisoformat
    for event in events:
        if event["type"] == "undo" or event["change"] in undone:
            continue
        at = fromiso(event["at"])
        deal_id = event.get("deal_id")
        if deal_id is None:
            if at > moment and event["type"].startswith("stage-"):
                past.later_stage_events.append(event)
            elif at > moment and event["type"].startswith("pipeline-"):
                past.later_pipeline_events.append(event)
            continue
        if at > moment:
            continue
        before, after = event.get("before"), event.get("after")
        if before is None and after is not None:
            deals[deal_id] = dict(after)
        elif after is None:
            deals.pop(deal_id, None)
        elif (record := deals.get(deal_id)) is not None:
            record.update(after)
    return past


def roll_back_stages(
    current: Sequence[Stage], later: Sequence[Record], held: Collection[str] = ()
) -> list[Stage]:
    """The stages as they were before the given stage events (oldest first) happened.

    A stage made after the moment that deals were in then (stages set up today, last
    month's deals entered with --at) is kept as it was made, where it was put, so that
    its deals are not left out of the past (as it is now, where the events at hand keep
    only what a change replaced: the backtest's change rows)."""
    stages = {stage.key: stage for stage in current}
    now = dict(stages)
    made: dict[str, Stage] = {}
    put_after: dict[str, str | None] = {}  # the stage a made one came right after
    made_by_event: list[list[str]] = []  # newest event first, its keys in its order
    for event in reversed(later):
        after_it = dict(stages)  # as the event left them: where it put what it made
        made_here = []
        for key, record in (event.get("before") or {}).items():
            if record is None:
                put_after[key] = _stage_before(after_it, key)
                made_here.append(key)
                stages.pop(key, None)
                first = (event.get("after") or {}).get(key)
                if first is not None:
                    made[key] = Stage.from_record(first)
                elif key in now:
                    made[key] = now[key]
            else:
                stages[key] = Stage.from_record(record)
        made_by_event.append(made_here)
    kept = [
        key
        for keys in reversed(made_by_event)  # oldest first
        for key in keys
        if key in held and key in made and key not in stages
    ]
    ordered = sorted(stages.values(), key=lambda stage: stage.position)
    if not kept:
        return ordered
    # Each kept stage goes right after the stage it was put after (or the one that one
    # was put after, if it was not there then): its number then, among stages added or
    # removed since, would put it elsewhere. One put after another kept one waits for it.
    waiting = list(kept)
    while waiting:
        for key in waiting:
            after = put_after[key]
            while after is not None and after not in stages and after not in waiting:
                after = put_after.get(after)
            if after is None or after in stages:
                ordered.insert(_place(ordered, made[key].pipeline, after), made[key])
                stages[key] = made[key]
                waiting.remove(key)
                break
        else:  # (a loop of stages put after each other cannot happen; placed as made)
            for key in waiting:
                ordered.insert(_place(ordered, made[key].pipeline, None), made[key])
                stages[key] = made[key]
            waiting = []
    return renumbered(ordered)


def roll_back_pipelines(
    current: Sequence[PipelineDef], later: Sequence[Record], held: Collection[str] = ()
) -> list[PipelineDef]:
    """The pipelines as they were before the given pipeline events (oldest first): their
    names, order and archiving then. One made since is left out, unless deals were in
    it then (``held``: keys of such pipelines), as it is now."""
    pipelines = {p.key: p for p in current}
    for event in reversed(later):
        for key, record in (event.get("before") or {}).items():
            if record is not None:
                pipelines[key] = PipelineDef.from_record(record)
            elif key not in held:
                pipelines.pop(key, None)
    return sorted(pipelines.values(), key=lambda p: p.position)


def _stage_before(stages: dict[str, Stage], key: str) -> str | None:
    """The key of the stage just before ``key`` in its pipeline, or None if it is first."""
    stage = stages.get(key)
    if stage is None:
        return None
    earlier = [
        s for s in stages.values() if s.pipeline == stage.pipeline and s.position < stage.position
    ]
    return max(earlier, key=lambda s: s.position).key if earlier else None


def _place(ordered: Sequence[Stage], pipeline: str, after: str | None) -> int:
    """Where a stage of ``pipeline`` put right after ``after`` (None: first) goes."""
    keys = [s.key for s in ordered]
    if after is not None and after in keys:
        return keys.index(after) + 1
    firsts = [i for i, s in enumerate(ordered) if s.pipeline == pipeline]
    return firsts[0] if firsts else len(ordered)
