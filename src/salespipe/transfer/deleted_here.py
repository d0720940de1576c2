"""The deals deleted here that an import would bring back.

A deal a user deleted keeps its import key in its delete event only. An export that
still holds it (every weekly export from the CRM it came from) would bring it back as a
new deal, reported as any other, so an import leaves such rows out and names them,
unless told to restore them (docs/import.md, "Deals deleted here stay deleted")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salespipe.core.model import Record
    from salespipe.storage.port import ReadView


def deleted_records(view: ReadView) -> dict[int, Record]:
    """Each deal deleted here, as it was when it was deleted, by id.

    Only a deletion still in effect counts: a deal whose deletion was undone and whose
    import was then undone too is gone, but not deleted by anyone (its import key is
    free for the next import)."""
    found: dict[int, Record] = {}
    deleted = view.deleted_deal_ids()
    undone = view.undone_changes() if deleted else set()
    for deal_id in deleted:
        deletion = next(
            (
                e
                for e in reversed(view.events(deal_id))
                if e.type == "delete" and e.change not in undone
            ),
            None,
        )
        if deletion is not None and deletion.before:
            found[deal_id] = deletion.before
    return found


def deleted_sources(records: Mapping[int, Record]) -> dict[str, int]:
    """The import key of each deal of :func:`deleted_records` that had one, with its id
    (of a key deleted more than once, the deal deleted last: the highest id)."""
    return {r["source"]: deal_id for deal_id, r in sorted(records.items()) if r.get("source")}
