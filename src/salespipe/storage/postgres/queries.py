"""The everyday questions of the query seam (storage/queries.py), asked of the server.

Each answer is the one the default gives over every open record, byte for byte, but
the server does the work over the columns of m004 (schema.py) with the indexes of m004
and m006: it adds up per stage, picks the deals a question is about, counts them,
sorts them and stops at the limit, and only the records a report shows come back, in
the same statement. Whole days in a stage are counted by the server as
core/model.whole_days counts them (from the index of the entry moments with m006), so
the stale deals and the orders by days and by urgency are decided there too. What SQL cannot
decide exactly as Python does is decided in Python on what the server narrowed down:
names compared as names (the owners are few), the cents of a weighted value that is
not whole, and the orders by names and times with their offsets (the default's own
sort keys, over the records of the deals asked about).

Row-level security applies to every statement: a rep with ``visibility own`` gets the
answers of their own deals, as with the default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from salespipe.core import parse
from salespipe.core.limits import UNKNOWN_STAGE_POSITION
from salespipe.core.model import Record, Stage
from salespipe.core.tally import CENT
from salespipe.storage import queries
from salespipe.storage.queries import Dated, OpenWhere, Page, StageSum

Rows = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]

_OPEN = "d.status = 'open' AND NOT d.deleted"

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY_US = 86_400_000_000

# The column of each day something falls due on (ISO text: compared byte by byte, as
# Python compares the stored strings), save the next action's, compared in its index's
# collation so that the server reads only the days asked about from that index: stored
# days are ISO dates (digits in fixed places), which every collation orders as bytes.
_DUE_COLUMNS: dict[str, str] = {
    "next_action": "d.next_due",
    "close": 'd.close_due COLLATE "C"',
    "quote": 'd.quote_due COLLATE "C"',
}

# Whole days a deal has been in its stage at %(now)s, as core/model.whole_days counts
# them: the seconds between as a float, divided by a day's and cut to a whole number,
# never below 0. Before m006 the server converts each stored time: read as ``k.days``
# where a query joins _DAYS (OFFSET 0 keeps the server from copying the expression into
# each place that reads it: counted once).
_DAYS = (
    "CROSS JOIN LATERAL (SELECT greatest(0,"
    " floor(date_part('epoch', %(now)s - d.entered::timestamptz) / 86400))::int AS days"
    " OFFSET 0) k"
)
# With m006 the index of the open deals by stage and entry holds each one's moment in
# microseconds, and the server takes it from there: whole days are then an integer
# division of the microseconds between (at %(now_us)s) by a day's, exact, as the
# float's are (a stored time has whole microseconds). Written out where it is used, so
# that the server reads it from the index instead of computing it.
_INDEXED_DAYS = f"greatest(0, (%(now_us)s - salespipe_micros(d.entered)) / {DAY_US})::int"


def to_micros(moment: datetime) -> int:
    """``moment`` in microseconds since 1970 (UTC), as salespipe_micros counts them."""
    return (moment - EPOCH) // timedelta(microseconds=1)


# The orders the server sorts by, as ORDER BY clauses ({days}: the deal's whole days in
# its stage; the others are decided over the records: collation of names, times with
# their offsets).
_NO_DATE = f"'{queries.NO_DATE}'"
_ORDERS: dict[str, str] = {
    "stage": f"coalesce(s.position, {UNKNOWN_STAGE_POSITION}), d.id",
    "id": "d.id",
    "value": "coalesce(d.currency, 'THB') COLLATE \"C\", d.value DESC, d.id",
    "close": f'coalesce(d.close_due, {_NO_DATE}) COLLATE "C", d.id',
    "next": f'coalesce(d.next_due, {_NO_DATE}) COLLATE "C", d.id',
    "days": "{days} DESC, d.id",
    # queries.urgency_key: the most days the next action is late (the earlier its day
    # before today, the more; all others alike), days over the stage's target (0
    # within it, or without one), its due day (none last), days in the stage, id.
    "urgency": 'CASE WHEN d.next_due COLLATE "C" < %(today)s THEN d.next_due END COLLATE "C",'
    " CASE WHEN s.target > 0 AND {days} > s.target THEN {days} - s.target ELSE 0 END DESC,"
    ' d.next_due COLLATE "C", {days} DESC, d.id',
}
SERVER_ORDERS = frozenset(_ORDERS)

# The deals that can be among the first %(limit)s by urgency. With that many next
# actions late, the first are late ones, due on the %(limit)s-th earliest of their days
# or before: the server then counts the days in the stage of only those (not of every
# deal asked about). Otherwise (fewer late) every deal can be.
_URGENT = (
    f' AND coalesce(d.next_due, {_NO_DATE}) COLLATE "C" <= coalesce((SELECT max(late.day)'
    ' FROM (SELECT d.next_due COLLATE "C" AS day FROM salespipe_deals d WHERE {condition}'
    ' AND d.next_due COLLATE "C" < %(today)s ORDER BY 1 LIMIT %(limit)s) AS late'
    f" HAVING count(*) = %(limit)s), {_NO_DATE})"
)
# The stages the open deals are in, found as the index of the open deals by stage
# orders them: one step into it per stage (not a pass over every deal).
_OPEN_STAGES = (
    "WITH RECURSIVE used(stage) AS (SELECT min(d.stage) FROM salespipe_deals d"
    f" WHERE {_OPEN} UNION ALL SELECT (SELECT min(d.stage) FROM salespipe_deals d"
    f" WHERE {_OPEN} AND d.stage > u.stage) FROM used u WHERE u.stage IS NOT NULL)"
)

# The orders by days in a stage, and those by what the stages say of themselves.
TIME_ORDERS = frozenset({"days", "urgency"})
_BY_STAGE = frozenset({"stage", "urgency"})

# Each stage's key with its position, probability and target days, for a join.
_STAGES = (
    "LEFT JOIN unnest(%(keys)s::text[], %(positions)s::int[], %(probabilities)s::int[],"
    " %(targets)s::int[]) AS s(key, position, probability, target) ON s.key = d.stage"
)


def _stage_params(stages: Sequence[Stage]) -> dict[str, Any]:
    return {
        "keys": [s.key for s in stages],
        "positions": [s.position for s in stages],
        "probabilities": [s.probability for s in stages],
        "targets": [s.target_days or 0 for s in stages],
    }


def chosen_deals(rows: Rows, where: OpenWhere, among: str = _OPEN) -> tuple[str, dict[str, Any]]:
    """The condition (on ``d``) and parameters of the deals ``where`` asks about, among
    those of the condition ``among`` (the open deals; the history reports: all).

    Owners are matched as names are (NFC, case ignored): among the few names the deals
    have, here, and the server is given the ones that match."""
    clauses = [among]
    params: dict[str, Any] = {}
    if where.stages is not None:
        clauses.append("d.stage = ANY(%(stages)s)")
        params["stages"] = sorted(where.stages)
    if where.unplanned:
        clauses.append("d.next_due IS NULL")
    if where.owner is not None:
        wanted = parse.fold(where.owner)
        names = rows(f"SELECT DISTINCT d.owner FROM salespipe_deals d WHERE {among}", {})
        clauses.append("d.owner = ANY(%(owners)s)")
        params["owners"] = [name for (name,) in names if parse.fold(name) == wanted]
    return " AND ".join(clauses), params


def _records_sql(chosen: str) -> str:
    """A query of the records of the deals whose ids the query ``chosen`` picks, in its
    order, as one JSON array (text; NULL for none): the records come back in the same
    round trip as the question's other answers.

    Picked first and fetched after, so that the picking reads only an index (the
    indexes of m004 and m006 hold what the questions ask of a deal), and only the
    records picked are read from the table."""
    return (
        f"SELECT json_agg(r.record ORDER BY c.n)::text FROM unnest(ARRAY({chosen}))"
        " WITH ORDINALITY AS c(id, n) JOIN salespipe_deals r ON r.id = c.id"
    )


def _parsed(records: str | None) -> list[Record]:
    return orjson.loads(records) if records is not None else []


def stage_totals(rows: Rows, stages: Sequence[Stage], where: OpenWhere) -> list[StageSum]:
    """Per stage and currency, in the order each first comes among the open deals.

    A deal's weighted value is value × probability / 100 to the cent. The server adds
    up the whole values per stage, currency and probability (their weighted sum is then
    exact) and hands back the few values that are not whole, weighted here one by one
    as the default weighs them."""
    condition, params = chosen_deals(rows, where)
    # Grouped by the deal's own probability (none: its stage's) and only then joined
    # with the stages: a few groups joined, not every deal. The weighted sums of two
    # groups of the same stage and probability add up to that of both (whole values).
    found = rows(
        "SELECT g.stage, g.currency, coalesce(g.probability, s.probability, 0), g.first,"
        " g.deals, g.whole, g.parts FROM (SELECT d.stage, coalesce(d.currency, 'THB')"
        " AS currency, d.probability, min(d.open_order) AS first, count(*) AS deals,"
        " sum(d.whole_value) AS whole,"
        " array_agg(d.value::text) FILTER (WHERE d.whole_value IS NULL) AS parts"
        f" FROM salespipe_deals d WHERE {condition} GROUP BY 1, 2, 3) g"
        " LEFT JOIN unnest(%(keys)s::text[], %(probabilities)s::int[])"
        " AS s(key, probability) ON s.key = g.stage",
        {**params, **_stage_params(stages)},
    )
    sums: dict[tuple[str, str], list[Any]] = {}
    for stage, currency, probability, first, count, whole, parts in found:
        row = sums.setdefault((stage, currency), [first, 0, Decimal(0), Decimal(0)])
        row[0] = min(row[0], first)
        row[1] += count
        if whole is not None:
            row[2] += Decimal(whole)
            row[3] += (Decimal(whole) * probability / 100).quantize(CENT)
        for part in parts or ():
            value = Decimal(part)
            row[2] += value
            row[3] += (value * probability / 100).quantize(CENT)
    ordered = sorted(sums.items(), key=lambda item: item[1][0])
    return [
        StageSum(stage, currency, count, value, weighted)
        for (stage, currency), (_first, count, value, weighted) in ordered
    ]


def _first_of(
    rows: Rows, picked: str, order: str, params: dict[str, Any], limit: int | None
) -> Page:
    """The first ``limit`` (all with None) of the deals the query ``picked`` picks (their
    ``id`` and what ``order`` sorts by), in ``order``, and how many it picks: counted
    and sorted in one pass of the server over them, and their records read, in one
    statement."""
    first = f"SELECT id FROM picked ORDER BY {order} LIMIT %(limit)s"
    ((matched, records),) = rows(
        f"WITH picked AS MATERIALIZED ({picked}) SELECT (SELECT count(*) FROM picked),"
        f" ({_records_sql(first)})",
        {**params, "limit": limit},
    )
    return Page(_parsed(records), matched)


def stale_deals(
    rows: Rows,
    stages: Sequence[Stage],
    now: datetime,
    where: OpenWhere,
    limit: int | None = None,
    *,
    indexed: bool = False,
) -> Page:
    """The first ``limit`` open deals over their stage's target days at ``now``, the
    most days over first, then by id; and how many there are.

    Over the target means entered the stage the target and a day before ``now`` or
    earlier. ``indexed`` (m006): the server finds those in the index of the open deals
    by stage and entry, a range of each stage's. Before, it counts the days of only the
    deals that entered their stage early enough to be over (a comparison of the stored
    text, which begins with the day)."""
    condition, params = chosen_deals(rows, where)
    timed = [s for s in stages if s.target_days]
    params |= {"keys": [s.key for s in timed], "targets": [s.target_days for s in timed]}
    if indexed:
        now_us = to_micros(now)
        picked = (
            f"SELECT d.id, s.target - {_INDEXED_DAYS} AS under FROM salespipe_deals d"
            " JOIN unnest(%(keys)s::text[], %(targets)s::int[], %(latest)s::bigint[])"
            " AS s(key, target, latest) ON s.key = d.stage"
            f" WHERE {condition} AND salespipe_micros(d.entered) <= s.latest"
        )
        latest = [now_us - ((s.target_days or 0) + 1) * DAY_US for s in timed]
        params |= {"now_us": now_us, "latest": latest}
    else:
        picked = (
            "SELECT d.id, s.target - k.days AS under FROM salespipe_deals d"
            " JOIN unnest(%(keys)s::text[], %(targets)s::int[], %(recent)s::text[])"
            f" AS s(key, target, recent) ON s.key = d.stage {_DAYS}"
            f' WHERE {condition} AND d.entered COLLATE "C" < s.recent AND k.days > s.target'
        )
        recent = [_too_recent(now, s.target_days or 0) for s in timed]
        params |= {"now": now, "recent": recent}
    return _first_of(rows, picked, "under, id", params, limit)


def _too_recent(now: datetime, target: int) -> str:
    """The first day (ISO) a deal can have entered a stage of ``target`` days on, by its
    own clock, and not be over it at ``now``.

    Over the target means entered at ``now`` less target + 1 days or before. A stored
    time begins with its day by its own UTC offset, less than a day from UTC either
    way, so from the day after that moment's UTC day on, it is later."""
    latest = (now - timedelta(days=target + 1)).astimezone(UTC)
    return (latest.date() + timedelta(days=2)).isoformat()


def due_by(
    rows: Rows,
    what: Dated,
    until: date,
    where: OpenWhere,
    limit: int | None = None,
    since: date | None = None,
) -> Page:
    """The first ``limit`` open deals whose ``what`` falls on ``until`` or before (from
    ``since`` on, when given), by that day, then id; and how many there are."""
    condition, params = chosen_deals(rows, where)
    column = _DUE_COLUMNS[what]
    condition += f" AND {column} <= %(last)s"
    params = {**params, "last": until.isoformat()}
    if since is not None:
        condition += f" AND {column} >= %(first)s"
        params["first"] = since.isoformat()
    return _first_of(
        rows,
        f"SELECT d.id, {column} AS day FROM salespipe_deals d WHERE {condition}",
        'day COLLATE "C", id',
        params,
        limit,
    )


def open_page(
    rows: Rows,
    stages: Sequence[Stage],
    where: OpenWhere,
    order: str,
    limit: int | None,
    now: datetime,
    *,
    indexed: bool = False,
) -> Page:
    """The first ``limit`` open deals in ``order`` (one of ``queries.ORDERS``), and how
    many matched: sorted by the server in SERVER_ORDERS; otherwise by the default over
    the records of the deals ``where`` asks about (only theirs are read). ``indexed``
    (m006): the days in a stage are read from the index of the open deals by entry."""
    condition, params = chosen_deals(rows, where)
    if order not in SERVER_ORDERS:
        found = rows(f"SELECT d.record::text FROM salespipe_deals d WHERE {condition}", params)
        chosen = [orjson.loads(text) for (text,) in found]
        return queries.open_page(chosen, stages, where, order, limit, now)
    counted = f"SELECT count(*) FROM salespipe_deals d WHERE {condition}"
    joins = _STAGES if order in _BY_STAGE else ""
    days = "k.days"
    if order in TIME_ORDERS:
        if indexed:
            days = _INDEXED_DAYS
        else:
            joins += f" {_DAYS}"
    if order == "urgency" and limit:
        condition += _URGENT.format(condition=condition)
    if order == "stage" and limit is not None:
        first = _first_by_stage(condition)
    else:
        first = (
            f"SELECT d.id FROM salespipe_deals d {joins} WHERE {condition}"
            f" ORDER BY {_ORDERS[order].format(days=days)}"
            + (" LIMIT %(limit)s" if limit is not None else "")
        )
    ((matched, records),) = rows(
        f"SELECT ({counted}), ({_records_sql(first)})",
        {
            **params,
            **_stage_params(stages),
            "limit": limit,
            "now": now,
            "now_us": to_micros(now),
            "today": now.date().isoformat(),
        },
    )
    return Page(_parsed(records), int(matched))


def _first_by_stage(condition: str) -> str:
    """A query of the ids of the first %(limit)s deals of ``condition`` by stage, then
    id: the first of each stage the open deals are in, from the index by stage and id,
    merged (only those are sorted, not every deal)."""
    return (
        f"{_OPEN_STAGES} SELECT x.id FROM used u"
        " LEFT JOIN unnest(%(keys)s::text[], %(positions)s::int[]) AS s(key, position)"
        " ON s.key = u.stage CROSS JOIN LATERAL (SELECT d.id FROM salespipe_deals d"
        f" WHERE {condition} AND d.stage = u.stage ORDER BY d.id LIMIT %(limit)s) x"
        " WHERE u.stage IS NOT NULL"
        f" ORDER BY coalesce(s.position, {UNKNOWN_STAGE_POSITION}), x.id LIMIT %(limit)s"
    )
