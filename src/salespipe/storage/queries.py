"""The questions the everyday reports ask of the open deals, and the default answer to
each: go through every open deal's record.

``chart``, ``board``, ``list``, ``stale``, ``check`` and ``agenda`` need only a few
things of the open pipeline: its totals per stage, the deals over their stage's target,
the deals something falls due on by a day, and the first deals of a listing. A
:class:`~salespipe.storage.port.ReadView` answers these questions (the storage port's
query seam, docs/storage.md); a backend that keeps what answers them faster (SQL, or
derived data kept by each write) overrides them, and every answer must be the one
these functions give. :class:`OverRecords` asks them of records a report already holds
(a history replayed ``--as-of`` a day).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any, Literal, NamedTuple

from salespipe.core import collation, parse
from salespipe.core.limits import UNKNOWN_STAGE_POSITION
from salespipe.core.model import Record, Stage, record_days_in_stage

# What can fall due on a day: a next action, the expected close, a quote's validity.
Dated = Literal["next_action", "close", "quote"]

# The orders of a page of open deals: list's --sort fields and the board's urgency.
ORDERS = (
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
    "urgency",
)
NO_DATE = date.max.isoformat()  # a deal without the day sorts last
ZERO = Decimal(0)


class OpenWhere(NamedTuple):
    """Which open deals a question is about: those of ``owner`` (names compared as names
    are: NFC, case ignored) or everyone's, in one of ``stages`` (keys) or in any; with
    ``unplanned``, only those without a next action."""

    owner: str | None = None
    stages: frozenset[str] | None = None
    unplanned: bool = False

    def test(self) -> Callable[[Record], bool] | None:
        """Whether a record is one of them; None when every open deal is."""
        owner = parse.fold(self.owner) if self.owner is not None else None
        keys = self.stages
        tests: list[Callable[[Record], bool]] = []
        if keys is not None:
            tests.append(lambda r: r["stage"] in keys)
        if owner is not None:
            tests.append(lambda r: parse.fold(r.get("owner", "")) == owner)
        if self.unplanned:
            tests.append(lambda r: r["next_action"] is None)
        if not tests:
            return None
        if len(tests) == 1:
            return tests[0]
        return lambda r: all(test(r) for test in tests)


class StageSum(NamedTuple):
    """The open deals of one stage in one currency: how many, their value and weighted
    value (each deal's to the cent, with its own probability when it has one)."""

    stage: str
    currency: str
    deals: int
    value: Decimal
    weighted: Decimal


class Page(NamedTuple):
    """The first open deals of a question, in its order, and how many it matched."""

    records: list[Record]
    matched: int


def chosen(records: Iterable[Record], where: OpenWhere) -> Iterable[Record]:
    keys = where.stages
    if keys is not None:  # most questions name stages: the cheapest test goes first
        records = [record for record in records if record["stage"] in keys]
        where = where._replace(stages=None)
    test = where.test()
    return records if test is None else filter(test, records)


def days_in_stage_at(now: datetime) -> Callable[[Record], int]:
    """:func:`~salespipe.core.model.record_days_in_stage` at ``now``, for many records:
    an open deal's whole days from its seconds since the epoch, its stored time parsed
    once and no time zone converted. The float seconds hold a whole second exactly (and
    a microsecond to far less than one), so a day turns at the very moment
    :func:`~salespipe.core.model.whole_days` turns it."""
    now_seconds = now.timestamp()
    moment = datetime.fromisoformat

    def days(record: Record) -> int:
        if record.get("closed_at"):
            return record_days_in_stage(record, now)
        entered = moment(record["stage_entered_at"]).timestamp()
        return max(0, int((now_seconds - entered) / 86400))

    return days


def stage_totals(
    records: Iterable[Record], stages: Sequence[Stage], where: OpenWhere
) -> list[StageSum]:
    """Per stage and currency, in the order each first comes among the records.

    A deal's weighted value is its value x probability / 100 to the cent. Whole-number
    values weighted by the same probability sum first and are weighted once: the
    hundredths of whole numbers need no rounding, so the total is the sum of each deal's
    to the cent. Values with a fraction are weighted deal by deal."""
    from salespipe.core.model import record_probability, weighted
    from salespipe.core.tally import value_of, weighted_of

    by_key = {s.key: s for s in stages}
    # (stage, currency, status, own probability) -> [deals, sum of the whole-number
    # values, the other values, their weighted values]
    groups: dict[tuple[str, str, str, Any], list[Any]] = {}
    for record in chosen(records, where):
        group = (
            record["stage"],
            record.get("currency", "THB"),
            record.get("status", "open"),
            record.get("probability"),
        )
        row = groups.get(group)
        if row is None:
            row = groups[group] = [0, 0, ZERO, ZERO]
        row[0] += 1
        raw = record.get("value", 0)
        if type(raw) is int:
            row[1] += raw
        else:
            row[2] += value_of(record)
            row[3] += weighted_of(record, by_key.get(group[0]))
    sums: dict[tuple[str, str], list[Any]] = {}
    for (key, currency, status, own), (deals, whole, value, weighted_value) in groups.items():
        stage = by_key.get(key)
        probability = record_probability({"status": status, "probability": own}, stage)
        row = sums.get((key, currency))
        if row is None:
            row = sums[key, currency] = [0, ZERO, ZERO]
        row[0] += deals
        row[1] += Decimal(whole) + value
        row[2] += weighted(Decimal(whole), probability) + weighted_value
    return [StageSum(key, currency, *row) for (key, currency), row in sums.items()]


def over_target(days: int, stage: Stage | None) -> bool:
    """Whether ``days`` in ``stage`` exceed its target (a stage without one has no limit)."""
    return bool(stage and stage.target_days and days > stage.target_days)


def stale_deals(
    records: Iterable[Record],
    stages: Sequence[Stage],
    now: datetime,
    where: OpenWhere,
    limit: int | None = None,
) -> Page:
    """The first ``limit`` (all with None) open deals over their stage's target days at
    ``now``, the most days over first, then by id; and how many there are."""
    targets = {s.key: s.target_days for s in stages if s.target_days}
    latest = {key: _latest_stale_day(target, now) for key, target in targets.items()}
    days_of = days_in_stage_at(now)
    found = []
    for record in chosen(records, where):
        key = record["stage"]
        last = latest.get(key)
        if last is None:
            continue
        if record["stage_entered_at"][:10] > last and not record.get("closed_at"):
            continue
        target = targets[key]
        days = days_of(record)
        if days > target:
            found.append((target - days, record["id"], record))
    return _first(found, limit)


def _latest_stale_day(target: int, now: datetime) -> str:
    """The latest stored day (ISO) an open deal can have entered a stage with ``target``
    days in and be over them at ``now``: it must have entered ``target`` + 1 whole days
    before, and the day a time is written with is within a day of its UTC day."""
    utc = now.astimezone(UTC) - timedelta(days=target + 1)
    return (utc.date() + timedelta(days=1)).isoformat()


def _first(found: list[tuple[Any, int, Record]], limit: int | None) -> Page:
    """The records of the first ``limit`` (sort key, id, record) items, and how many."""
    sort_key = itemgetter(0, 1)
    first = (
        sorted(found, key=sort_key) if limit is None else heapq.nsmallest(limit, found, sort_key)
    )
    return Page([record for _, _, record in first], len(found))


def _falling_due(
    records: Iterable[Record], what: Dated, first: str, last: str
) -> list[tuple[str, int, Record]]:
    """(day, id, record) of each record whose ``what`` falls from ``first`` to ``last``:
    stored days (ISO), which compare as the days do."""
    if what == "close":
        return [
            (day, r["id"], r)
            for r in records
            if (day := r["expected_close"]) is not None and first <= day <= last
        ]
    field, part = ("next_action", "due") if what == "next_action" else ("quote", "valid_until")
    return [
        (day, r["id"], r)
        for r in records
        if (held := r[field]) and (day := held[part]) is not None and first <= day <= last
    ]


def due_by(
    records: Iterable[Record],
    what: Dated,
    until: date,
    where: OpenWhere,
    limit: int | None = None,
    since: date | None = None,
) -> Page:
    """The first ``limit`` (all with None) open deals whose ``what`` falls on ``until``
    or before (past ones too, or only from ``since`` on), by that day, then by id; and
    how many there are."""
    first, last = since.isoformat() if since else "", until.isoformat()
    return _first(_falling_due(chosen(records, where), what, first, last), limit)


def order_key(order: str, stages: Sequence[Stage], now: datetime) -> Callable[[Record], Any]:
    """The sort key of one of ``ORDERS`` on a deal's record (ties go by id)."""
    if order == "urgency":
        return urgency_key(stages, now)
    positions = {s.key: s.position for s in stages}
    days_of = days_in_stage_at(now)
    # Stored days (ISO dates) sort as the days do; stored times may carry different UTC
    # offsets, so they are compared as times.
    moment = datetime.fromisoformat
    keys: dict[str, Callable[[Record], Any]] = {
        "stage": lambda r: (positions.get(r["stage"], UNKNOWN_STAGE_POSITION), r["id"]),
        "id": lambda r: r["id"],
        "title": lambda r: (collation.sort_key(r["title"]), r["id"]),
        "customer": lambda r: (collation.sort_key(r["customer"]), r["id"]),
        # Amounts of different currencies are not compared: by currency (code
        # order), then the largest first (USD 120,000 came below ฿300,000).
        "value": lambda r: (r.get("currency", "THB"), -r["value"], r["id"]),
        "close": lambda r: (r["expected_close"] or NO_DATE, r["id"]),
        "created": lambda r: (moment(r["created_at"]), r["id"]),
        "updated": lambda r: (moment(r["updated_at"]), r["id"]),
        "days": lambda r: (-days_of(r), r["id"]),
        "owner": lambda r: (collation.sort_key(r["owner"]), r["id"]),
        "next": lambda r: ((r["next_action"] or {}).get("due", NO_DATE), r["id"]),
    }
    return keys[order]


def urgency(
    record: Record, stage: Stage | None, now: datetime
) -> tuple[int, int, date | None, int]:
    """How urgent an open deal is: days in its stage, days over the stage's target (0
    within it), its next action's due day, and days that action is late (0 if not)."""
    days = record_days_in_stage(record, now)
    over = days - (stage.target_days or 0) if stage and over_target(days, stage) else 0
    action = record["next_action"]
    due = date.fromisoformat(action["due"]) if action else None
    late = max(0, (now.date() - due).days) if due else 0
    return days, over, due, late


def urgency_key(stages: Sequence[Stage], now: datetime) -> Callable[[Record], Any]:
    """The most urgent first: next action overdue (the longest first), then over target
    (the most days over first), then by next action due day, then the longest in the
    stage; ties by id. The order of :func:`urgency`'s figures, from stored days compared
    as text: an overdue action's due day orders as its days late do, the earliest first."""
    targets = {s.key: s.target_days for s in stages if s.target_days}
    days_of = days_in_stage_at(now)
    today = now.date().isoformat()

    def key(record: Record) -> tuple[Any, ...]:
        days = days_of(record)
        target = targets.get(record["stage"])
        over = days - target if target is not None and days > target else 0
        action = record["next_action"]
        due = action["due"] if action else NO_DATE
        late = due if due < today else NO_DATE
        return (late, -over, due, -days, record["id"])

    return key


def open_page(
    records: Iterable[Record],
    stages: Sequence[Stage],
    where: OpenWhere,
    order: str,
    limit: int | None,
    now: datetime,
) -> Page:
    """The first ``limit`` open deals (all with None) in ``order`` (one of ``ORDERS``),
    and how many there are."""
    key = order_key(order, stages, now)
    taken = list(chosen(records, where))
    if limit is None:
        return Page(sorted(taken, key=key), len(taken))
    candidates = _may_be_most_urgent(taken, limit, now) if order == "urgency" else taken
    return Page(heapq.nsmallest(limit, candidates, key=key), len(taken))


def _may_be_most_urgent(records: list[Record], limit: int, now: datetime) -> list[Record]:
    """The records that may be among the ``limit`` most urgent, found by their next
    actions alone: when at least ``limit`` are overdue, a record whose action is less
    late than the ``limit``-th latest (or not late) comes after all of those."""
    if not 0 < limit < len(records):
        return records
    today = now.date().isoformat()
    lates = [a["due"] if (a := r["next_action"]) and a["due"] < today else NO_DATE for r in records]
    bound = heapq.nsmallest(limit, lates)[-1]
    if bound == NO_DATE:
        return records
    return [record for record, late in zip(records, lates, strict=True) if late <= bound]


class OverRecords:
    """The questions asked of records at hand (the open deals of a replayed history),
    with the stages they are in."""

    def __init__(self, records: Iterable[Record], stages: Sequence[Stage]) -> None:
        self._records = [r for r in records if r.get("status", "open") == "open"]
        self._stages = list(stages)

    def stage_totals(self, where: OpenWhere) -> list[StageSum]:
        return stage_totals(self._records, self._stages, where)

    def stale_deals(self, now: datetime, where: OpenWhere, limit: int | None = None) -> Page:
        return stale_deals(self._records, self._stages, now, where, limit)

    def due_by(
        self,
        what: Dated,
        until: date,
        where: OpenWhere,
        limit: int | None = None,
        since: date | None = None,
    ) -> Page:
        return due_by(self._records, what, until, where, limit, since)

    def open_page(self, where: OpenWhere, order: str, limit: int | None, now: datetime) -> Page:
        return open_page(self._records, self._stages, where, order, limit, now)
