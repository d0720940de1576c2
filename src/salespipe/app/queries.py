"""Choosing and ordering deals for ``list``: filters, search and sort keys, and
:func:`list_deals`, the one use case both ``list`` and the Python API's ``deals()`` call.

They work on the stored deal records: every field of ``Deal.to_record()``, as a
read-only command gets them from the store without building a Deal for each (a caller
holding Deals passes their records).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from salespipe.app import scope
from salespipe.core import collation, parse
from salespipe.core.errors import DealNotFound, InvalidValue
from salespipe.core.i18n import _
from salespipe.core.model import (
    Event,
    Record,
    Stage,
    money_from_json,
    record_days_in_stage,
    several_pipelines,
    stages_in,
)

if TYPE_CHECKING:
    from salespipe.storage.port import ReadView
    from salespipe.storage.queries import OpenWhere, Page

STATUS_CHOICES = ("open", "won", "lost", "all")

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
    "next",
)


def next_action_done(events: Iterable[Event]) -> bool:
    """Whether a ``next`` change finished the deal's next action (``next --done``) rather
    than set one."""
    return any(e.type == "next" and (e.after or {}).get("next_action") is None for e in events)


def is_stale(record: Record, stage: Stage | None, now: datetime) -> bool:
    """Whether an open deal (its stored record) is over its stage's target days."""
    from salespipe.storage.queries import over_target  # off the path of the writes

    return record["status"] == "open" and over_target(record_days_in_stage(record, now), stage)


class DealSource(Protocol):
    """Where ``list`` reads deal records from: a consistent read of the database."""

    def open_records(self) -> list[Record]: ...
    def all_records(self) -> Iterator[Record]: ...
    def open_page(self, where: OpenWhere, order: str, limit: int | None, now: datetime) -> Page: ...


@dataclass(frozen=True)
class Listing:
    """What ``list`` shows: the chosen records in the query's order, how many matched
    before its limit, the stages of the pipeline listed (every stage when the database
    has one pipeline), and whether the database has several."""

    records: list[Record]
    matched: int
    stages: list[Stage]
    several_pipelines: bool


def list_deals(
    view: ReadView,
    query: DealQuery,
    now: datetime,
    *,
    pipeline: str | None = None,
    fields: Collection[str] = (),
    stays: bool = False,
) -> Listing:
    """The deals ``list`` shows for ``query``: of the pipeline ``pipeline`` names (else
    the current one; the whole database when it has one), matching ``search`` in their
    history too. ``fields``: see :func:`choose`; ``stays``: records keep their stays
    (a listing drops them, the API returns whole deals)."""
    if query.search:
        found = mentioned_in_history(view.event_records(), query.search)
        query = replace(query, found_in_history=found)
    every_stage = view.stages()
    listed = scope.read_pipeline(view, pipeline)
    stages = every_stage if listed is None else stages_in(every_stage, listed)
    chosen = first_open(view, stages, query, now, pipeline=listed is not None, stays=stays)
    if chosen is None:
        records = records_to_list(view, query, stays=stays)
        if listed is not None:
            keys = {s.key for s in stages}
            records = (r for r in records if r["stage"] in keys)
        chosen = choose(records, stages, query, now, fields)
    return Listing(chosen.records, chosen.matched, stages, several_pipelines(every_stage))


def newest_events(
    view: ReadView, limit: int | None, *, deal_id: int | None = None, since: date | None = None
) -> list[Event]:
    """What ``log`` shows: the newest ``limit`` events (all for 0 or None), newest first,
    of one deal or all; a deal that never was is DealNotFound (a deleted deal's history
    stays: that one is found)."""
    every = max(view.counters().next_seq - 1, 1)
    newest = view.newest_events(limit or every, deal_id=deal_id, since=since)
    if deal_id is not None and not newest and not view.events(deal_id):
        raise DealNotFound(deal_id)
    return newest


def records_to_list(
    source: DealSource, query: DealQuery, *, stays: bool = False
) -> Iterator[Record]:
    """The stored records ``list`` goes through for ``query``: the open deals' (every
    deal's when it takes in closed ones), each without its stays unless ``stays`` (never
    listed: dropped as they come, so that listing all 100k deals does not hold every
    stage history)."""
    records = source.all_records() if query.needs_closed() else source.open_records()
    for record in records:
        if not stays:
            record.pop("stays", None)
        yield record


def first_open(
    source: DealSource,
    stages: list[Stage],
    query: DealQuery,
    now: datetime,
    pipeline: bool = False,
    *,
    stays: bool = False,
) -> Chosen | None:
    """What ``list`` shows for a query the database answers itself (the first ``limit``
    open deals of an owner or a stage, in one of the sort orders: the everyday listing,
    see docs/storage.md, "The query seam"), or None for any other query: then
    :func:`choose` goes through :func:`records_to_list`. ``stages`` are those listed:
    with ``pipeline``, one pipeline's, and only deals in them are listed."""
    if not query.limit or query != DealQuery(
        stage=query.stage, owner=query.owner, sort=query.sort, limit=query.limit
    ):
        return None
    from salespipe.storage.queries import OpenWhere

    _check_sort(query.sort)
    keys = frozenset(s.key for s in stages) if pipeline else None
    if query.stage:
        key = parse.stage(stages, query.stage, enabled_only=False).key
        keys = frozenset((key,))
    page = source.open_page(OpenWhere(query.owner, keys), query.sort, query.limit, now)
    if not stays:
        for record in page.records:
            record.pop("stays", None)
    return Chosen(page.records, page.matched)


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
    closed_since: date | None = None
    closed_until: date | None = None
    close_after: date | None = None  # expected close on or after
    close_before: date | None = None  # expected close on or before
    # Deals whose history (notes, reasons) holds the search text: see mentioned_in_history.
    found_in_history: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.status not in STATUS_CHOICES:
            raise InvalidValue(
                _('The status "{status}" is not open, won, lost or all.').format(status=self.status)
            )

    def needs_closed(self) -> bool:
        return self.status != "open"


def mentioned_in_history(events: Iterable[Record], text: str) -> frozenset[int]:
    """The deals with a note or a reason (of any event) holding ``text``, matched as
    :func:`collation.fold` matches: NFC, Latin case ignored."""
    wanted = collation.searched(text)
    found: set[int] = set()
    for event in events:
        deal_id = event.get("deal_id")
        if deal_id is None or deal_id in found:
            continue
        note = event.get("text") if event.get("type") == "note" else None
        if any(wanted in collation.searched(said) for said in (note, event.get("reason")) if said):
            found.add(deal_id)
    return frozenset(found)


def _searched_texts(record: Record) -> Iterator[str]:
    """What ``--search`` looks in on a deal's record."""
    yield record["title"]
    yield record["customer"]
    yield record["contact"]
    yield from record["tags"]
    if record["next_action"]:
        yield record["next_action"]["text"]
    if record.get("lost_reason"):
        yield record["lost_reason"]
    if record["quote"] and record["quote"].get("note"):
        yield record["quote"]["note"]


def _filters(
    query: DealQuery, stages: list[Stage], now: datetime
) -> list[Callable[[Record], bool]]:
    """A test for each filter the query sets; a record is chosen when it passes them all."""
    tests: list[Callable[[Record], bool]] = []
    if query.status != "all":
        tests.append(lambda r: r["status"] == query.status)
    if query.stage:
        key = parse.stage(stages, query.stage, enabled_only=False).key
        tests.append(lambda r: r["stage"] == key)
    if query.owner:
        owner = parse.fold(query.owner)
        tests.append(lambda r: parse.fold(r["owner"]) == owner)
    # Text matches as people expect: NFC, Latin case ignored, any part of it (so the
    # beginning of a Thai word, written without spaces, matches too): see collation.matches.
    if query.customer:
        customer = collation.searched(query.customer)
        tests.append(lambda r: customer in collation.searched(r["customer"]))
    if query.tag:  # as a deal's tags are told apart (app/pipeline.py, _tags_after)
        tag = parse.fold(query.tag)
        tests.append(lambda r: any(parse.fold(t) == tag for t in r["tags"]))
    if query.search:
        wanted = collation.searched(query.search)
        history = query.found_in_history
        tests.append(
            lambda r: (
                r["id"] in history
                or any(wanted in collation.searched(text) for text in _searched_texts(r))
            )
        )
    tests.extend(_date_filters(query))
    if query.stale:
        by_key = {s.key: s for s in stages}
        tests.append(lambda r: is_stale(r, by_key.get(r["stage"]), now))
    return tests


def _date_filters(query: DealQuery) -> Iterator[Callable[[Record], bool]]:
    """Tests of the closing day and the expected close day, both bounds included.
    A stored time is compared as the local day it falls on."""
    if query.closed_since or query.closed_until:
        first = query.closed_since or date.min
        last = query.closed_until or date.max

        def closed_within(record: Record) -> bool:
            closed = record.get("closed_at")
            return closed is not None and first <= _local_day(closed) <= last

        yield closed_within
    if query.close_after or query.close_before:
        after = (query.close_after or date.min).isoformat()
        before = (query.close_before or date.max).isoformat()
        yield lambda r: r["expected_close"] is not None and after <= r["expected_close"] <= before


def _local_day(stored: str) -> date:
    return datetime.fromisoformat(stored).astimezone().date()


# The fields of a record each sort reads.
_SORT_READS: dict[str, tuple[str, ...]] = {
    "stage": ("stage", "id"),
    "id": ("id",),
    "title": ("title", "id"),
    "customer": ("customer", "id"),
    "value": ("currency", "value", "id"),
    "close": ("expected_close", "id"),
    "created": ("created_at", "id"),
    "updated": ("updated_at", "id"),
    "days": ("stage_entered_at", "closed_at", "id"),
    "owner": ("owner", "id"),
    "next": ("next_action", "id"),
}


@dataclass(frozen=True)
class Chosen:
    """The records a query chose, in its order, and how many matched before its limit."""

    records: list[Record]
    matched: int


def choose(
    records: Iterable[Record],
    stages: list[Stage],
    query: DealQuery,
    now: datetime,
    fields: Collection[str] = (),
) -> Chosen:
    """The deal records the query asks for, in its order, and how many matched.

    With a limit only the first ``limit`` are kept as they come (a heap on the sort key):
    the rest are counted and let go, never sorted. Without one, with ``fields``, each
    chosen record keeps only those (and what the sort reads): listing 100k deals then
    holds a fraction of their records."""
    from salespipe.storage.queries import order_key

    _check_sort(query.sort)
    chosen_by = _passes(_filters(query, stages, now))
    order = order_key(query.sort, stages, now)
    if query.limit:
        counted = _Counted(filter(chosen_by, records))
        first = heapq.nsmallest(query.limit, counted, key=order)
        return Chosen(first, counted.count)
    keep = (*fields, *_SORT_READS.get(query.sort, ())) if fields else ()

    def taken(record: Record) -> Record:
        return {key: record[key] for key in keep if key in record} if keep else record

    # Filtered (and cut down) as they come: the records not chosen are never held.
    every = [taken(r) for r in records if chosen_by(r)]
    every.sort(key=order)
    return Chosen(every, len(every))


def _check_sort(field: str) -> None:
    if field not in SORT_FIELDS:
        raise InvalidValue(
            _('Cannot sort by "{field}"; use one of {fields}.').format(
                field=field, fields=", ".join(SORT_FIELDS)
            )
        )


def _passes(tests: list[Callable[[Record], bool]]) -> Callable[[Record], bool]:
    """One test for all of ``tests`` (a single one as it is: it runs once a deal)."""
    if len(tests) == 1:
        return tests[0]
    return lambda record: all(test(record) for test in tests)


class _Counted:
    """The items of an iterable, counted as they are taken."""

    def __init__(self, items: Iterable[Record]) -> None:
        self._items = items
        self.count = 0

    def __iter__(self) -> Iterator[Record]:
        for item in self._items:
            self.count += 1
            yield item


def totals_by_currency(amounts: Iterable[tuple[str, int | float]]) -> dict[str, Decimal]:
    """The (currency, stored value) pairs added up per currency (never across currencies)."""
    by_currency: dict[str, list[int | float]] = {}
    for currency, value in amounts:
        by_currency.setdefault(currency, []).append(value)
    return {currency: _exact_sum(values) for currency, values in by_currency.items()}


def _exact_sum(amounts: list[int | float]) -> Decimal:
    """The exact sum of stored amounts: added as integers when all are whole."""
    total = sum(amounts)
    if type(total) is int:
        return Decimal(total)
    return sum(map(money_from_json, amounts), Decimal(0))
