"""The deals deleted here that an import would bring back.

A deal a user deleted keeps its import key in its delete event only. An export that
still holds it (every weekly export from the CRM it came from) would bring it back as a
new deal, reported as any other, so an import leaves such rows out and names them,
unless told to restore them (docs/import.md, "Deals deleted here stay deleted")."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salespipe.storage.port import ReadView


def deleted_sources(view: ReadView) -> dict[str, int]:
    """The import key of each deal deleted here that had one, with the deal's id.

    Only a deletion still in effect counts: a deal whose deletion was undone and whose
    import was then undone too is gone, but not deleted by anyone (its import key is
    free for the next import)."""
    found: dict[str, int] = {}
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
        source = (deletion.before or {}).get("source") if deletion is not None else None
        if source:
            found[source] = deal_id
    return found
