"""The everyday questions of the query seam (storage/queries.py), asked of the server.

Each answer is the one the default gives over every open record, byte for byte, but
the server does the work over the columns of m004 (schema.py) with its indexes: it
adds up per stage, picks the deals a question is about, sorts them and stops at the
limit, and only the records a report shows come back. What SQL cannot decide exactly
as Python does is decided in Python on what the server narrowed down: names compared
as names (the owners are few), the cents of a weighted value that is not whole,
whole days in a stage (the server passes on a superset, the default picks from it),
and the orders by names, times and urgency (the default's own sort keys, over what
the server read of the deals asked about).

Row-level security applies to every statement: a rep with ``visibility own`` gets the
answers of their own deals, as with the default.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from datetime import date, datetime
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
# Python compares the stored strings).
_DUE_COLUMNS: dict[str, str] = {
    "next_action": "d.next_due",
    "close": "d.close_due",
    "quote": "d.quote_due",
}

# The orders the server sorts by, as ORDER BY clauses (the others are decided over the
# records: collation of names, times with their offsets, days as of a moment).
_NO_DATE = f"'{queries.NO_DATE}'"
_ORDERS: dict[str, str] = {
    "stage": "coalesce(s.position, 10000), d.id",
    "id": "d.id",
    "value": "d.value DESC, d.id",
    "close": f'coalesce(d.close_due, {_NO_DATE}) COLLATE "C", d.id',
    "next": f'coalesce(d.next_due, {_NO_DATE}) COLLATE "C", d.id',
}
SERVER_ORDERS = frozenset(_ORDERS)

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


def _chosen(rows: Rows, where: OpenWhere) -> tuple[str, dict[str, Any]]:
    """The condition (on ``d``) and parameters of the open deals ``where`` asks about.

    Owners are matched as names are (NFC, case ignored): among the few names the open
    deals have, here, and the server is given the ones that match."""
    clauses = [_OPEN]
    params: dict[str, Any] = {}
    if where.stages is not None:
        clauses.append("d.stage = ANY(%(stages)s)")
        params["stages"] = sorted(where.stages)
    if where.unplanned:
        clauses.append("d.next_due IS NULL")
    if where.owner is not None:
        wanted = parse.fold(where.owner)
        names = rows(f"SELECT DISTINCT d.owner FROM salespipe_deals d WHERE {_OPEN}", {})
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


def stage_totals(rows: Rows, stages: Sequence[Stage], where: OpenWhere) -> list[StageSum]:
    """Per stage and currency, in the order each first comes among the open deals.

    A deal's weighted value is value × probability / 100 to the cent. The server adds
    up the whole values per stage, currency and probability (their weighted sum is then
    exact) and hands back the few values that are not whole, weighted here one by one
    as the default weighs them."""
    condition, params = _chosen(rows, where)
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


def stale_deals(
    rows: Rows,
    stages: Sequence[Stage],
    now: datetime,
    where: OpenWhere,
    limit: int | None = None,
) -> Page:
    """The first ``limit`` open deals over their stage's target days at ``now``, and how
    many there are. The server passes on those in their stage longer than the target (a
    superset: a whole day more is stale), and the default decides, orders and counts
    them (so every candidate's record is read, not only the ``limit`` shown)."""
    condition, params = _chosen(rows, where)
    candidates = _records(
        rows,
        f"SELECT d.id FROM salespipe_deals d {_STAGES} WHERE {condition} AND s.target > 0"
        " AND d.entered::timestamptz < %(now)s - make_interval(secs => s.target * 86400)"
        " ORDER BY d.open_order",
        {**params, **_stage_params(stages), "now": now},
    )
    return queries.stale_deals(candidates, stages, now, where, limit)


def due_by(
    rows: Rows,
    what: Dated,
    until: date,
    where: OpenWhere,
    limit: int | None = None,
    since: date | None = None,
) -> Page:
    """The first ``limit`` open deals whose ``what`` falls on ``until`` or before (from
    ``since`` on, when given), by that day, then id; and how many there are (counted by
    the server when a limit may have left some out)."""
    condition, params = _chosen(rows, where)
    column = _DUE_COLUMNS[what]
    condition += f' AND {column} COLLATE "C" <= %(last)s'
    params = {**params, "last": until.isoformat(), "limit": limit}
    if since is not None:
        condition += f' AND {column} COLLATE "C" >= %(first)s'
        params["first"] = since.isoformat()
    found = _records(
        rows,
        f"SELECT d.id FROM salespipe_deals d WHERE {condition}"
        f' ORDER BY {column} COLLATE "C", d.id LIMIT %(limit)s',
        params,
    )
    if limit is None:
        return Page(found, len(found))
    ((matched,),) = rows(f"SELECT count(*) FROM salespipe_deals d WHERE {condition}", params)
    return Page(found, matched)


def open_page(
    rows: Rows,
    stages: Sequence[Stage],
    where: OpenWhere,
    order: str,
    limit: int | None,
    now: datetime,
) -> Page:
    """The first ``limit`` open deals in ``order`` (one of ``queries.ORDERS``), and how
    many matched: sorted by the server in SERVER_ORDERS; by the default's own key over
    the few fields it reads (from the index) in TIME_ORDERS; otherwise by the default
    over the records of the deals ``where`` asks about (only theirs are read)."""
    condition, params = _chosen(rows, where)
    if order in TIME_ORDERS:
        return _page_by_time(rows, stages, condition, params, order, limit, now)
    if order not in SERVER_ORDERS:
        found = rows(f"SELECT d.record::text FROM salespipe_deals d WHERE {condition}", params)
        chosen = [orjson.loads(text) for (text,) in found]
        return queries.open_page(chosen, stages, where, order, limit, now)
    counted = rows(f"SELECT count(*) FROM salespipe_deals d WHERE {condition}", params)
    first = _records(
        rows,
        f"SELECT d.id FROM salespipe_deals d {_STAGES} WHERE {condition}"
        f" ORDER BY {_ORDERS[order]}" + (" LIMIT %(limit)s" if limit is not None else ""),
        {**params, **_stage_params(stages), "limit": limit},
    )
    return Page(first, int(counted[0][0]))


# The orders by days in a stage (as of a moment) and the board's urgency: decided by
# the default's key on what it reads of a deal, which the open deals' index holds.
TIME_ORDERS = frozenset({"days", "urgency"})


def _page_by_time(
    rows: Rows,
    stages: Sequence[Stage],
    condition: str,
    params: dict[str, Any],
    order: str,
    limit: int | None,
    now: datetime,
) -> Page:
    found = rows(
        f"SELECT d.id, d.stage, d.entered, d.next_due FROM salespipe_deals d WHERE {condition}",
        params,
    )
    # As much of each record as the key reads (an open deal has not closed).
    keyed = [
        {
            "id": deal_id,
            "stage": stage,
            "stage_entered_at": entered,
            "closed_at": None,
            "next_action": None if due is None else {"due": due},
        }
        for deal_id, stage, entered, due in found
    ]
    key = queries.order_key(order, stages, now)
    first = sorted(keyed, key=key) if limit is None else heapq.nsmallest(limit, keyed, key=key)
    records = _records(
        rows,
        "SELECT c.id FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS c(id, n) ORDER BY c.n",
        {"ids": [item["id"] for item in first]},
    )
    return Page(records, len(keyed))
