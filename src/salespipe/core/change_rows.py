"""Change rows: what the reports that replay the history read of each event.

``forecast --backtest`` and ``slips`` walk every event of every deal, but of an event
they only read which deal it changed, when, in which change, whether it made, changed
or removed the deal, and a few of the deal's fields after it. A change row is that,
one per stored event record, in the same order, as a JSON array::

    [change, type, deal_id, at, kind, fields]

- ``kind``: :data:`ADDED` (the event has no ``before``: the deal's first record),
  :data:`REMOVED` (no ``after``), :data:`CHANGED` otherwise; ``""`` for an event of no
  deal.
- ``fields``: of a deal's event, the :data:`FOLLOWED` fields its ``after`` holds, with
  ``stays`` cut to ``[stage, entered]`` pairs (when a stay ended is read from the next
  one); of an event of no deal (a stage's, an undo), its ``before``.

A backend may keep the rows (the data file does, in its change log) or derive them
with :func:`change_row`; both give the same rows.
"""

from __future__ import annotations

from typing import Any

from salespipe.core.model import Record

ChangeRow = list[Any]
"""``[change, type, deal_id, at, kind, fields]``, as the module describes."""

ADDED, CHANGED, REMOVED = "+", "=", "-"

FOLLOWED = (
    "id",
    "stage",
    "status",
    "value",
    "currency",
    "probability",
    "expected_close",
    "stage_entered_at",
    "owner",
    "created_at",
    "closed_at",
    "stage_unknown",  # only where true, as in the record
)
"""The fields of a deal its change rows carry (besides its stays)."""


def change_row(event: Record) -> ChangeRow:
    """The change row of one stored event record (``Event.to_record()``)."""
    deal_id = event.get("deal_id")
    before, after = event.get("before"), event.get("after")
    if deal_id is None:
        return [event["change"], event["type"], None, event["at"], "", before or {}]
    kind = REMOVED if after is None else ADDED if before is None else CHANGED
    fields: dict[str, Any] = {}
    if after:
        for name in FOLLOWED:
            if name in after:
                fields[name] = after[name]
        if "stays" in after:
            stays = after["stays"]
            fields["stays"] = None if stays is None else [[s[0], s[1]] for s in stays]
    return [event["change"], event["type"], deal_id, event["at"], kind, fields]
