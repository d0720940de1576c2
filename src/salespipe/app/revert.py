"""What taking an event back leaves: the deal, stages or pipelines as they were before
it. Pure functions: ``undo`` writes what they give, ``undo --list`` only looks ahead
with them (app/undo_check.py)."""

from __future__ import annotations

from collections.abc import Sequence

from salespipe.core.model import Deal, Event, PipelineDef, Stage


def deal_before(event: Event, current: Deal | None) -> Deal | None:
    """The deal before ``event``: None if the event created it, else its record with
    what the event changed put back (the whole record if the event deleted it)."""
    if event.before is None:
        return None
    if event.after is None or current is None:
        return Deal.from_record(event.before)
    return Deal.from_record({**current.to_record(), **event.before})


def stages_before(event: Event, stages: Sequence[Stage]) -> list[Stage]:
    """The stages before a stage event, in position order."""
    by_key = {s.key: s for s in stages}
    for key, record in (event.before or {}).items():
        if record is None:
            by_key.pop(key, None)
        else:
            by_key[key] = Stage.from_record(record)
    return sorted(by_key.values(), key=lambda s: s.position)


def pipelines_before(event: Event, pipelines: Sequence[PipelineDef]) -> list[PipelineDef]:
    """The pipelines before a pipeline event, in position order."""
    by_key = {p.key: p for p in pipelines}
    for key, record in (event.before or {}).items():
        if record is None:
            by_key.pop(key, None)
        else:
            by_key[key] = PipelineDef.from_record(record)
    return sorted(by_key.values(), key=lambda p: p.position)
