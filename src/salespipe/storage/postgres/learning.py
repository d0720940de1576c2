"""The learning reports' totals (storage/history.py), added up by the server.

``calibrate`` and ``forecast`` ask of the whole history: the deals won per month of
their close (where the reader is) and currency, how many deals walked each path
through the stages (a pipeline's deals take few, so the server groups them and few
rows come back), and per
stage how long each won deal took from its last entry into it to the win (m008's
columns, schema.py; one number per won deal and stage, sorted by the server). Of the
open deals only what a forecast reads comes back, from m004's columns, not their
records. The floats of days are computed here from exact microseconds, as the fold
computes them.

Row-level security applies to every statement, as in postgres/history.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, Protocol

from salespipe.core.model import Record
from salespipe.core.tally import local_month_starts, start_of_day
from salespipe.storage.history import SECONDS_PER_DAY, Asks, Totals, Walk, WonSum
from salespipe.storage.postgres.queries import to_micros
from salespipe.storage.postgres.schema import PATHLESS


class Rows(Protocol):
    """The rows a statement gives (``binary``: numbers sent as their bytes)."""

    def __call__(
        self, sql: str, params: dict[str, Any], *, binary: bool = False
    ) -> list[tuple[Any, ...]]: ...


def made_since(condition: str, params: dict[str, Any], day: date) -> tuple[str, dict[str, Any]]:
    """``condition`` narrowed to the deals made on ``day`` or later where the reader is
    (from its local midnight on)."""
    params = {**params, "made_from": to_micros(start_of_day(day))}
    return f"{condition} AND d.created_micros >= %(made_from)s", params


def month_buckets(first: date, last: date) -> tuple[list[int], list[str]]:
    """The local month starts from the month of ``first`` to the one after ``last``, in
    microseconds (``width_bucket``'s bounds), and the month each bucket is: a time's
    month is where the reader is (as :func:`salespipe.core.tally.local_month` says)."""
    starts = local_month_starts(first, last)
    return [to_micros(at) for _month, at in starts], [f"{m:%Y-%m}" for m, _at in starts]


def answer(
    rows: Rows,
    condition: str,
    params: dict[str, Any],
    asks: Asks,
    found: Totals,
    *,
    pathless: bool = True,
) -> None:
    """Add to ``found`` the learning reports' answers ``asks`` wants of the deals
    ``condition`` picks (made on ``asks.made_since`` or later, when given: only these
    answers are narrowed so, see the backend's ``history_totals``). ``pathless``: the
    database may hold deals of no known stage (m018: none before it)."""
    if asks.made_since is not None:
        condition, params = made_since(condition, params, asks.made_since)
    if asks.won_months is not None or asks.walks or asks.days_to_won or asks.open_deals:
        _settle_for_every_deal(rows)
    if asks.won_months is not None:
        found.won = _won(rows, condition, params, asks.won_months)
    if asks.walks or asks.days_to_won:
        walks = _walks(rows, condition, params, pathless=pathless)
        found.walks = walks if asks.walks else {}
        if asks.days_to_won:
            # The stages of the won deals' paths are those of their walks.
            keys = sorted({key for (path, status) in walks if status == "won" for key in path})
            found.days_to_won = _days_to_won(rows, condition, params, keys)
    if asks.open_deals:
        found.pipeline = _open_deals(rows, condition, params)


def _settle_for_every_deal(rows: Rows) -> None:
    """Settings for statements that read every deal (for this transaction): two parallel
    workers (a read's default is none, its questions being small; these are not) and
    sorts and lists gathered in memory, not in files on disk."""
    rows(
        "SELECT set_config('max_parallel_workers_per_gather', '2', true),"
        " set_config('work_mem', '256MB', true)",
        {},
    )


def _won(
    rows: Rows, condition: str, params: dict[str, Any], months: frozenset[str]
) -> list[WonSum]:
    """The deals won in ``months`` (where the reader is), per month and currency."""
    if not months:
        return []
    bounds, names = month_buckets(
        date.fromisoformat(min(months) + "-01"), date.fromisoformat(max(months) + "-01")
    )
    params = {**params, "bounds": bounds, "from": bounds[0], "until": bounds[-1]}
    found = rows(
        "SELECT width_bucket(d.closed_micros, %(bounds)s::bigint[]),"
        " coalesce(d.currency, 'THB'), count(*), coalesce(sum(coalesce(d.value, 0)), 0)"
        f" FROM salespipe_deals d WHERE {condition} AND d.status = 'won'"
        " AND d.closed_micros >= %(from)s AND d.closed_micros < %(until)s GROUP BY 1, 2",
        params,
    )
    return [
        WonSum(names[bucket - 1], currency, deals, value)
        for bucket, currency, deals, value in found
        if names[bucket - 1] in months
    ]


def _walks(
    rows: Rows, condition: str, params: dict[str, Any], *, pathless: bool
) -> dict[Walk, int]:
    """The deals per walk: grouped by status, stays' stages and stage on the server, in
    the order of m010's index, the stays of one visit made one stage here (a deal
    without stays: its stage, unless it is not known: those deals, counted apart from
    m018's index, walk no stage)."""
    found = rows(
        "SELECT d.status, d.stay_stages, d.stage, count(*)"
        f" FROM salespipe_deals d WHERE {condition} GROUP BY 1, 2, 3",
        params,
    )
    walks: dict[Walk, int] = {}
    for status, stays, stage, deals in found:
        path: list[str] = []
        for key in stays or (stage,):
            if not path or path[-1] != key:
                path.append(key)
        walk = (tuple(path), status)
        walks[walk] = walks.get(walk, 0) + deals
    if pathless:
        for (status, stage), deals in pathless_deals(rows, condition, params).items():
            _move(walks, ((stage,), status), ((), status), deals)
    return walks


def pathless_deals(
    rows: Rows, condition: str, params: dict[str, Any]
) -> dict[tuple[str, str], int]:
    """The deals ``condition`` picks whose stages are not known (core/model.py
    ``pathless``), per status and stage (where the import put them)."""
    found = rows(
        "SELECT d.status, d.stage, count(*) FROM salespipe_deals d"
        f" WHERE {condition} AND {PATHLESS} GROUP BY 1, 2",
        params,
    )
    return {(status, stage): deals for status, stage, deals in found}


def _move(walks: dict[Walk, int], wrong: Walk, right: Walk, deals: int) -> None:
    """Count ``deals`` deals of the walk ``wrong`` under ``right`` instead."""
    left = walks[wrong] - deals
    if left:
        walks[wrong] = left
    else:
        del walks[wrong]
    walks[right] = walks.get(right, 0) + deals


def _days_to_won(
    rows: Rows, condition: str, params: dict[str, Any], keys: list[str]
) -> dict[str, list[float]]:
    """Per stage of ``keys``, in ascending order: the days from each won deal's last
    entry into it to the win, one list per stage from one pass over the won deals
    (cheaper than a row per deal and stage to group), sorted here.

    The server makes the days as the fold does: exact microseconds (under 2**53, so
    exact as doubles too) divided by a million, then by 86400, each division rounded
    once to a double, on both. They come as the doubles' bytes: no text to print and
    parse."""
    if not keys:
        return {}
    params = dict(params)
    lists = []
    for i, key in enumerate(keys):
        params[f"key{i}"] = key
        lists.append(
            "array_agg(greatest(d.closed_micros"
            f" - d.won_path_entered[array_position(d.won_path_stages, %(key{i})s)], 0)"
            f"::float8 / 1000000 / {SECONDS_PER_DAY})"
            f" FILTER (WHERE %(key{i})s = ANY(d.won_path_stages))"
        )
    found = rows(
        f"SELECT {', '.join(lists)} FROM salespipe_deals d"
        f" WHERE {condition} AND d.status = 'won' AND d.closed_micros IS NOT NULL",
        params,
        binary=True,
    )
    days = {}
    for key, lengths in zip(keys, found[0] if found else (), strict=False):
        if lengths:
            lengths.sort()
            days[key] = lengths
    return days


def _open_deals(rows: Rows, condition: str, params: dict[str, Any]) -> Iterator[Record]:
    """The open deals' records as far as a forecast reads them (FORECAST_FIELDS), from
    the columns of m004, in the order their records are listed; asked of the server
    when first gone through, so that a page holds them only while it needs them."""
    # The inner query is read off m006's covering index of the open deals (no record
    # fetched), then sorted; ordered as it is, it would read every record in list order.
    found = rows(
        "SELECT id, stage, whole_value, value, currency, probability, entered, close_due"
        " FROM (SELECT d.id, d.stage, d.whole_value, d.value, d.currency, d.probability,"
        " d.entered, d.close_due, d.open_order FROM salespipe_deals d"
        f" WHERE {condition} AND d.status = 'open' OFFSET 0) o ORDER BY open_order",
        params,
    )
    for deal_id, stage, whole, value, currency, probability, entered, close in found:
        record: Record = {"id": deal_id, "status": "open", "stage": stage}
        if whole is not None or value is not None:
            record["value"] = whole if whole is not None else value
        if currency is not None:
            record["currency"] = currency
        if probability is not None:
            record["probability"] = probability
        record["stage_entered_at"] = entered
        if close is not None:
            record["expected_close"] = close
        yield record
