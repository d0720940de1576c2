"""The everyday questions of the query seam (storage/queries.py), asked of the server.

Each answer is the one the default gives over every open record, byte for byte, but
the server does the work over the columns of m004 (schema.py) with its indexes: it
adds up per stage, picks the deals a question is about, counts them, sorts them and
stops at the limit, and only the records a report shows come back. Whole days in a
stage are counted by the server as core/model.whole_days counts them, so the stale
deals and the orders by days and by urgency are decided there too. What SQL cannot
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
from salespipe.core.model import Record, Stage
from salespipe.core.tally import CENT
from salespipe.storage import queries
from salespipe.storage.queries import Dated, OpenWhere, Page, StageSum

Rows = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]

_OPEN = "d.status = 'open' AND NOT d.deleted"

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
# never below 0. Read as ``k.days`` where a query joins _DAYS (OFFSET 0 keeps the
# server from copying the expression into each place that reads it: counted once).
_DAYS = (
    "CROSS JOIN LATERAL (SELECT greatest(0,"
    " floor(date_part('epoch', %(now)s - d.entered::timestamptz) / 86400))::int AS days"
    " OFFSET 0) k"
)

# The orders the server sorts by, as ORDER BY clauses (the others are decided over the
# records: collation of names, times with their offsets).
_NO_DATE = f"'{queries.NO_DATE}'"
_ORDERS: dict[str, str] = {
    "stage": "coalesce(s.position, 10000), d.id",
    "id": "d.id",
    "value": "d.value DESC, d.id",
    "close": f'coalesce(d.close_due, {_NO_DATE}) COLLATE "C", d.id',
    "next": f'coalesce(d.next_due, {_NO_DATE}) COLLATE "C", d.id',
    "days": "k.days DESC, d.id",
    # queries.urgency_key: the most days the next action is late (the earlier its day
    # before today, the more; all others alike), days over the stage's target (0
    # within it, or without one), its due day (none last), days in the stage, id.
    "urgency": 'CASE WHEN d.next_due COLLATE "C" < %(today)s THEN d.next_due END COLLATE "C",'
    " CASE WHEN s.target > 0 AND k.days > s.target THEN k.days - s.target ELSE 0 END DESC,"
    ' d.next_due COLLATE "C", k.days DESC, d.id',
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
# The orders by days in a stage, which need _DAYS.
TIME_ORDERS = frozenset({"days", "urgency"})

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


def _records(rows: Rows, chosen: str, params: dict[str, Any]) -> list[Record]:
    """The records of the deals whose ids the query ``chosen`` picks, in its order.

    Picked first and fetched after, so that the picking reads only an index (the
    indexes of m004 hold what the questions ask of a deal), and only the records
    picked are read from the table."""
    found = rows(
        f"SELECT r.record::text FROM unnest(ARRAY({chosen})) WITH ORDINALITY AS c(id, n)"
        " JOIN salespipe_deals r ON r.id = c.id ORDER BY c.n",
        params,
    )
    return [orjson.loads(text) for (text,) in found]


def _records_of(rows: Rows, ids: list[int]) -> list[Record]:
    """The records of the deals ``ids``, in that order."""
    return _records(rows, "SELECT unnest(%(ids)s::bigint[])", {"ids": ids})


def stage_totals(rows: Rows, stages: Sequence[Stage], where: OpenWhere) -> list[StageSum]:
    """Per stage and currency, in the order each first comes among the open deals.

    A deal's weighted value is value × probability / 100 to the cent. The server adds
    up the whole values per stage, currency and probability (their weighted sum is then
    exact) and hands back the few values that are not whole, weighted here one by one
    as the default weighs them."""
    condition, params = chosen_deals(rows, where)
    found = rows(
        "SELECT d.stage, coalesce(d.currency, 'THB'),"
        " coalesce(d.probability, s.probability, 0), min(d.open_order), count(*),"
        " sum(d.whole_value), array_agg(d.value::text) FILTER (WHERE d.whole_value IS NULL)"
        f" FROM salespipe_deals d {_STAGES} WHERE {condition} GROUP BY 1, 2, 3",
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
    and sorted in one pass of the server over them."""
    ((matched, ids),) = rows(
        f"WITH picked AS MATERIALIZED ({picked}) SELECT (SELECT count(*) FROM picked),"
        f" ARRAY(SELECT id FROM picked ORDER BY {order} LIMIT %(limit)s)",
        {**params, "limit": limit},
    )
    return Page(_records_of(rows, ids), matched)


def stale_deals(
    rows: Rows,
    stages: Sequence[Stage],
    now: datetime,
    where: OpenWhere,
    limit: int | None = None,
) -> Page:
    """The first ``limit`` open deals over their stage's target days at ``now``, the
    most days over first, then by id; and how many there are.

    The server counts the days of only the deals that entered their stage early enough
    to be over (a comparison of the stored text, which begins with the day)."""
    condition, params = chosen_deals(rows, where)
    timed = [s for s in stages if s.target_days]
    return _first_of(
        rows,
        "SELECT d.id, s.target - k.days AS under FROM salespipe_deals d"
        " JOIN unnest(%(keys)s::text[], %(targets)s::int[], %(recent)s::text[])"
        f" AS s(key, target, recent) ON s.key = d.stage {_DAYS}"
        f' WHERE {condition} AND d.entered COLLATE "C" < s.recent AND k.days > s.target',
        "under, id",
        {
            **params,
            "keys": [s.key for s in timed],
            "targets": [s.target_days for s in timed],
            "recent": [_too_recent(now, s.target_days or 0) for s in timed],
            "now": now,
        },
        limit,
    )


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
) -> Page:
    """The first ``limit`` open deals in ``order`` (one of ``queries.ORDERS``), and how
    many matched: sorted by the server in SERVER_ORDERS; otherwise by the default over
    the records of the deals ``where`` asks about (only theirs are read)."""
    condition, params = chosen_deals(rows, where)
    if order not in SERVER_ORDERS:
        found = rows(f"SELECT d.record::text FROM salespipe_deals d WHERE {condition}", params)
        chosen = [orjson.loads(text) for (text,) in found]
        return queries.open_page(chosen, stages, where, order, limit, now)
    counted = rows(f"SELECT count(*) FROM salespipe_deals d WHERE {condition}", params)
    days = _DAYS if order in TIME_ORDERS else ""
    if order == "urgency" and limit:
        condition += _URGENT.format(condition=condition)
    first = _records(
        rows,
        f"SELECT d.id FROM salespipe_deals d {_STAGES} {days} WHERE {condition}"
        f" ORDER BY {_ORDERS[order]}" + (" LIMIT %(limit)s" if limit is not None else ""),
        {
            **params,
            **_stage_params(stages),
            "limit": limit,
            "now": now,
            "today": now.date().isoformat(),
        },
    )
    return Page(first, int(counted[0][0]))
