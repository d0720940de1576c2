"""Opening a database: its storage, and the first state of one not made yet.

The use cases (:mod:`salespipe.app.pipeline`) open their store here; so does a command
that only reads, without loading the use cases (start-up time is a feature: see
docs/benchmark.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from salespipe.core import clock, fmt
from salespipe.core.errors import DealDeleted, DealNotFound, NoDataFile
from salespipe.core.model import default_stages
from salespipe.storage import is_postgres_target, open_storage

if TYPE_CHECKING:
    from salespipe.storage.port import Initial, ReadView, Storage


def open_target(target: Any, lang: str | None = None) -> Storage:
    """The storage at ``target`` (a data file's path, or see
    :func:`salespipe.storage.open_storage`); ``lang`` names a new database's stages."""

    def fresh() -> Initial:
        from salespipe.storage.port import Initial  # only for a database not made yet

        return Initial(default_stages(lang or "en"), clock.now().isoformat())

    return open_storage(target, fresh)


def must_exist(snapshot: ReadView, store: Storage) -> ReadView:
    """The snapshot of a database a command was told to use: one that is not there is an
    error, not an empty pipeline (a typo must not pass)."""
    if not snapshot.exists:
        raise NoDataFile(store.location, server=is_postgres_target(store.location))
    return snapshot


def deal_not_found(view: ReadView, deal_id: int) -> DealNotFound:
    """The error for a deal ``view`` does not hold: a deleted one says when it was deleted
    (its history stays), any other is not there."""
    latest = view.newest_events(1, deal_id=deal_id)
    if latest and latest[0].type == "delete":
        return DealDeleted(deal_id, fmt.moment(latest[0].at))
    return DealNotFound(deal_id)
