"""What taking an event back leaves: the deal, stages or pipelines as they were before
it. Pure functions: ``undo`` writes what they give, ``undo --list`` only looks ahead
with them (app/undo_check.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from salespipe.core.errors import StoreError
from salespipe.core.i18n import _
from salespipe.core.model import Deal, Event, PipelineDef, Record, Stage

_Kept = TypeVar("_Kept", Stage, PipelineDef)


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
    return _before(event, stages, Stage.from_record)


def pipelines_before(event: Event, pipelines: Sequence[PipelineDef]) -> list[PipelineDef]:
    """The pipelines before a pipeline event, in position order."""
    return _before(event, pipelines, PipelineDef.from_record)


def _before(event: Event, items: Sequence[_Kept], read: Callable[[Record], _Kept]) -> list[_Kept]:
    """Stages or pipelines (by key) with the records the event replaced put back: one
    it made (its record before was None) taken out."""
    by_key = {item.key: item for item in items}
    for key, record in (event.before or {}).items():
        if record is None:
            by_key.pop(key, None)
            continue
        try:
            by_key[key] = read(record)
        except (KeyError, TypeError, ValueError, AttributeError):  # edited by hand
            raise StoreError(
                _(
                    "Change {change} holds a record of {key} salespipe cannot read (it was "
                    "changed outside salespipe), so it cannot be taken back; nothing was "
                    "changed."
                ).format(change=event.change, key=key)
            ) from None
    return sorted(by_key.values(), key=lambda item: item.position)
