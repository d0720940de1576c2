"""The open deals' columns: what the everyday questions read of an open deal, kept in
its entry of the open index by the write that stores its record.

An entry is ``{"id", "at", "size", "q": [...]}``; ``q`` holds, in ``COLUMNS`` order,
the deal's stage, owner, currency, value, own probability, when it entered its stage,
its next action's due day, its expected close day and its quote's last valid day
(docs/data-format.md, "The derived indexes"). The snapshot asks the questions of the
storage port's query seam (:mod:`salespipe.storage.queries`) of *light records* made
from them, and parses only the records an answer names. An entry without them (a file
written before they were kept) sends the questions to the whole records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from salespipe.core.model import Record

COLUMNS = (
    "stage",
    "owner",
    "currency",
    "value",
    "probability",
    "stage_entered_at",
    "next_action",
    "expected_close",
    "quote",
)
KEY = "q"

# The orders of a page the columns can sort by (the others read more of a record).
ORDERS = frozenset(("stage", "id", "value", "close", "days", "next", "urgency", "owner"))


def columns(record: Record) -> list[Any]:
    """An open deal's columns, from its stored record."""
    action = record.get("next_action")
    quote = record.get("quote")
    return [
        record["stage"],
        record.get("owner", ""),
        record.get("currency", "THB"),
        record.get("value", 0),
        record.get("probability"),
        record["stage_entered_at"],
        action["due"] if action else None,
        record.get("expected_close"),
        quote["valid_until"] if quote else None,
    ]


def light_records(entries: Iterable[Mapping[str, Any]]) -> list[Record] | None:
    """A light record per open deal, holding the fields its columns keep (a next action
    and a quote only with their day); None when an entry has no columns."""
    light = []
    for entry in entries:
        row = entry.get(KEY)
        if row is None:
            return None
        stage, owner, currency, value, probability, entered, due, close, until = row
        light.append(
            {
                "id": entry["id"],
                "status": "open",
                "stage": stage,
                "owner": owner,
                "currency": currency,
                "value": value,
                "probability": probability,
                "stage_entered_at": entered,
                "next_action": {"due": due} if due is not None else None,
                "expected_close": close,
                "quote": {"valid_until": until} if until is not None else None,
            }
        )
    return light
