"""Rows of one file that are the same but for their id: a sample set, or a whole
export, loaded twice into the other CRM gives each record twice under two ids.

Different ids are different deals, so such rows are imported; the report names them,
as ``undo`` takes the import back. What is compared is what the deals will hold (title,
customer, value, stage, close date, owner…), not the ids nor the times a record was
created or changed, which a second load gives anew; a customer or contact read from a
column of record ids (Salesforce's AccountId) is such an id too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from salespipe.transfer.pending import RowValues, unpack
from salespipe.transfer.plan import Entry
from salespipe.transfer.rows import Filled

# The fields a record gets anew when it is loaded again.
_TIMES = ("created_at", "updated_at", "stage_entered_at", "closed_at")
# The fields that name another record: by its id where their column holds ids.
_RELATIONS = ("customer", "contact")


def holds_ids(header: str) -> bool:
    """Whether a column's header says it holds record ids: its last word is "id" (or
    "ids"): "AccountId", "Account ID", "account_id"."""
    words = re.findall(r"[A-Z]+s?(?![a-z])|[A-Z]?[a-z]+|\d+", header)
    return bool(words) and words[-1].casefold() in ("id", "ids")


def same_but_for_id(
    entries: Sequence[Entry], id_fields: Iterable[str] = ()
) -> list[tuple[int, int]]:
    """(line, the earlier line it is the same as) of each new deal's row that holds what
    an earlier one holds, each of the two with an id of the file's own."""
    left_out = set(_TIMES) | set(id_fields).intersection(_RELATIONS)
    kept = [i for i, name in enumerate(RowValues._fields) if name not in left_out]
    first: dict[tuple[object, ...], int] = {}
    same: list[tuple[int, int]] = []
    for entry in entries:
        row = entry.row
        if row.filled & Filled.KEY_BY_PLACE:
            continue  # no id: look-alike rows are told apart by their place (look_alikes.py)
        values = unpack(row)
        held = (entry.stage.key, entry.status, row.probability, *(repr(values[i]) for i in kept))
        earlier = first.setdefault(held, row.line)
        if earlier != row.line:
            same.append((row.line, earlier))
    return sorted(same)
