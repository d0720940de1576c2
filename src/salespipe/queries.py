"""Choosing and ordering deals for ``list``: filters, search and sort keys."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from salespipe import collation, parse
from salespipe.errors import InvalidValue
from salespipe.i18n import _
from salespipe.model import Deal, Stage, days_in_stage

SORT_FIELDS = (
    "stage",
    "id",
    "title",
    "customer",
    "value",
    "close",
    "created",
    "updated",
    "days",
    "owner",
)


def matches(needle: str, haystack: str) -> bool:
    """Whether text matches as people expect: NFC, Latin case ignored, any part of it
    (so the beginning of a Thai word, written without spaces, matches too)."""
    return collation.matches(needle, haystack)


def is_stale(deal: Deal, stage: Stage | None, now: datetime) -> bool:
    return bool(
        deal.is_open
        and stage
        and stage.target_days
        and days_in_stage(deal, now) > stage.target_days
    )


@dataclass(frozen=True)
class DealQuery:
    status: str = "open"
    stage: str | None = None
    owner: str | None = None
    customer: str | None = None
    tag: str | None = None
    search: str | None = None
    stale: bool = False
    sort: str = "stage"
    limit: int | None = None

    def needs_closed(self) -> bool:
        return self.status != "open"


def _sort_key(field: str, positions: dict[str, int], now: datetime) -> Callable[[Deal], Any]:
    keys: dict[str, Callable[[Deal], Any]] = {
        "stage": lambda d: (positions.get(d.stage, 10_000), d.id),
        "id": lambda d: d.id,
        "title": lambda d: (collation.sort_key(d.title), d.id),
        "customer": lambda d: (collation.sort_key(d.customer), d.id),
        "value": lambda d: (-d.value, d.id),
        "close": lambda d: (d.expected_close or date.max, d.id),
        "created": lambda d: (d.created_at, d.id),
        "updated": lambda d: (d.updated_at, d.id),
        "days": lambda d: (-days_in_stage(d, now), d.id),
        "owner": lambda d: (collation.sort_key(d.owner), d.id),
    }
    return keys[field]


def select(
    deals: Iterable[Deal], stages: list[Stage], query: DealQuery, now: datetime
) -> list[Deal]:
    if query.sort not in SORT_FIELDS:
        raise InvalidValue(
            _('Cannot sort by "{field}"; use one of {fields}.').format(
                field=query.sort, fields=", ".join(SORT_FIELDS)
            )
        )
    by_key = {s.key: s for s in stages}
    stage_key = parse.stage(stages, query.stage, enabled_only=False).key if query.stage else None
    chosen = []
    for deal in deals:
        if query.status != "all" and deal.status != query.status:
            continue
        if stage_key and deal.stage != stage_key:
            continue
        if query.owner and parse.fold(deal.owner) != parse.fold(query.owner):
            continue
        if query.customer and not matches(query.customer, deal.customer):
            continue
        if query.tag and query.tag not in deal.tags:
            continue
        if query.search and not any(
            matches(query.search, text)
            for text in (deal.title, deal.customer, deal.contact, *deal.tags)
        ):
            continue
        if query.stale and not is_stale(deal, by_key.get(deal.stage), now):
            continue
        chosen.append(deal)
    positions = {s.key: s.position for s in stages}
    chosen.sort(key=_sort_key(query.sort, positions, now))
    return chosen[: query.limit] if query.limit else chosen


def totals_by_currency(deals: Iterable[Deal]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for deal in deals:
        totals[deal.currency] = totals.get(deal.currency, Decimal(0)) + deal.value
    return totals
