"""The history reports' totals (storage/history.py), added up by the server.

Each answer is the one the default fold gives over every record, but the server adds
up the columns of m005 (schema.py): the deals closed in a period per outcome, group
and currency; the stays of each stage (from m007's stays table, whose indexes hold
every stage's middle stays in order); the cohort made in a period. Only these totals
come back, never the records. What SQL cannot decide exactly as Python does is
decided here on the few rows that come back: names compared as names (owners, lost
reasons), and the floats of days, computed from exact microseconds as the fold
computes them.

Row-level security applies to every statement: a rep with ``visibility own`` gets
the totals of their own deals, as the fold over what they can read would.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from salespipe.core.model import Stage
from salespipe.core.tally import Period
from salespipe.storage.history import (
    MICROS_PER_DAY,
    Asks,
    ClosedSum,
    Cohort,
    CohortTally,
    StayStats,
    Totals,
    days_of,
    group_key,
    mean_days,
    median_of,
    reason_shown,
    stays_in,
)
from salespipe.storage.postgres import learning
from salespipe.storage.postgres.learning import Rows
from salespipe.storage.postgres.queries import EPOCH, chosen_deals, to_micros
from salespipe.storage.postgres.schema import PATHLESS
from salespipe.storage.queries import OpenWhere

_LIVE = "NOT d.deleted"
# The column a closed deal's group is, per --by (lost reasons are folded here).
_GROUPS: dict[str, str] = {
    "owner": "d.owner",
    "month": "width_bucket(d.closed_micros, %(bounds)s::bigint[])",  # see _month_names
    "stage": "d.stage",
    "reason": "CASE WHEN d.status = 'won' THEN NULL ELSE coalesce(d.lost_reason, '') END",
}


def totals(
    rows: Rows,
    stages: Sequence[Stage],
    where: OpenWhere,
    asks: Asks,
    *,
    stays_table: bool,
    pathless: bool = True,
) -> Totals:
    """Every answer ``asks`` wants of the deals ``where`` picks (by owner and current
    stage; ``unplanned`` is not a question of the history). ``stays_table``: the
    database has the stays of m007 (a database before it has only m005's columns);
    ``pathless``: it may hold deals of no known stage (m018)."""
    condition, params = chosen_deals(rows, where, _LIVE)
    found = Totals()
    if asks.closed is not None:
        found.closed = _closed(rows, condition, params, asks.closed, asks.by, asks.cycles, pathless)
    if asks.stays:
        # A pipeline's stays are every stay in its stages, of the deals there now and of
        # those moved on since: its stages pick them, not the deals' current stage.
        anywhere, anywhere_params = chosen_deals(rows, where._replace(stages=None), _LIVE)
        stays = _stays_of(rows, anywhere, anywhere_params, stages, asks.now, stays_table)
        found.stays = stays_in(stays, where.stages)
    if asks.cohort is not None:
        found.cohort = _cohort(rows, condition, params, asks.cohort, asks.ranks, pathless)
    learning.answer(rows, condition, params, asks, found, pathless=pathless)
    return found


def _in_period(column: str, period: Period, params: dict[str, Any]) -> str:
    """The condition that a time column (microseconds) falls in ``period``."""
    start, end = period.bounds()
    clauses = [f"{column} IS NOT NULL"]
    if start is not None:
        clauses.append(f"{column} >= %(start)s")
        params["start"] = to_micros(start)
    if end is not None:
        clauses.append(f"{column} < %(end)s")
        params["end"] = to_micros(end)
    return " AND ".join(clauses)


def _regroup_pathless(
    rows: Rows, closed: str, params: dict[str, Any], cycle_sum: str, sums: dict[Any, list[Any]]
) -> None:
    """Move the deals ``closed`` picks whose stage is not known from their stage's
    groups in ``sums`` to the group "" (counted apart, from m018's index)."""
    found = rows(
        f"SELECT d.status = 'won', d.stage, coalesce(d.currency, 'THB'), count(*),"
        f" coalesce(sum(coalesce(d.value, 0)), 0), {cycle_sum}"
        f" FROM salespipe_deals d WHERE {closed} AND {PATHLESS} GROUP BY 1, 2, 3",
        params,
    )
    for won, stage, currency, deals, value, cycle in found:
        wrong = sums[won, stage, currency]
        right = sums.setdefault((won, "", currency), [0, Decimal(0), 0])
        for place, amount in enumerate((deals, value, int(cycle))):
            wrong[place] -= amount
            right[place] += amount
        if not wrong[0]:
            del sums[won, stage, currency]


def _month_names(rows: Rows, condition: str, params: dict[str, Any]) -> list[str]:
    """The month of each ``width_bucket`` over the local month starts that span the
    deals ``condition`` picks (put in ``params`` as ``bounds``): a month is where the
    reader is, as the fold's :func:`~salespipe.core.tally.local_month` says."""
    span = rows(
        f"SELECT min(d.closed_micros), max(d.closed_micros) FROM salespipe_deals d"
        f" WHERE {condition}",
        params,
    )
    first, last = span[0] if span and span[0][0] is not None else (0, 0)
    bounds, names = learning.month_buckets(_local(first).date(), _local(last).date())
    params["bounds"] = bounds
    return names


def _local(micros: int) -> datetime:
    return (EPOCH + timedelta(microseconds=micros)).astimezone()


def _closed(
    rows: Rows,
    condition: str,
    params: dict[str, Any],
    period: Period,
    by: str | None,
    cycles: bool,
    pathless: bool = False,
) -> list[ClosedSum]:
    """The deals closed in ``period`` per outcome, group and currency. A lost reason's
    group is its folded words, shown as the first deal closed with it had it typed;
    the stage of a deal closed from a stage not known is "" (``pathless``: the
    database may hold such deals, m018)."""
    params = dict(params)
    closed_in = _in_period("d.closed_micros", period, params)
    group = _GROUPS[by] if by is not None else "NULL::text"
    months: list[str] = []
    if by == "month":
        months = _month_names(rows, f"{condition} AND d.status <> 'open' AND {closed_in}", params)
    cycle_sum = (
        "coalesce(sum(d.closed_micros - d.created_micros) FILTER (WHERE d.status = 'won'), 0)"
        if cycles
        else "0"
    )
    found = rows(
        f"SELECT d.status = 'won', {group}, coalesce(d.currency, 'THB'), count(*),"
        " coalesce(sum(coalesce(d.value, 0)), 0),"
        f" {cycle_sum},"
        " min(d.closed_order)"
        f" FROM salespipe_deals d WHERE {condition} AND d.status <> 'open' AND {closed_in}"
        " GROUP BY 1, 2, 3 ORDER BY 7",
        params,
    )
    by_reason = by == "reason"
    sums: dict[tuple[bool, str, str], list[Any]] = {}
    names: dict[str, str] = {}
    for won, raw, currency, deals, value, cycle, _first in found:
        key = "" if raw is None else months[raw - 1] if months else raw
        if by_reason and not won:
            key = group_key("reason", {"lost_reason": raw})
            names.setdefault(key, reason_shown(raw))
        row = sums.setdefault((won, key, currency), [0, Decimal(0), 0])
        row[0] += deals
        row[1] += value
        row[2] += int(cycle)
    if by == "stage" and pathless:
        closed = f"{condition} AND d.status <> 'open' AND {closed_in}"
        _regroup_pathless(rows, closed, params, cycle_sum, sums)
    return [
        ClosedSum(
            won,
            key,
            names.get(key, "") if by_reason and not won else "",
            currency,
            deals,
            value,
            timedelta(microseconds=cycle),
        )
        for (won, key, currency), (deals, value, cycle) in sums.items()
    ]


def _stays_of(
    rows: Rows,
    condition: str,
    params: dict[str, Any],
    stages: Sequence[Stage],
    now: datetime,
    stays_table: bool,
) -> dict[str, StayStats]:
    """The stays of the deals picked per stage: of every deal, read off the stays
    table's day totals and indexes; of some (by owner or stage, or by row-level
    security), their stays sorted; before m007, from the deals' m005 columns."""
    if not stays_table:
        source = (
            "SELECT unnest(d.stay_stages) AS stage, unnest(d.stay_micros) AS micros,"
            f" unnest(d.stay_since) AS since, d.status FROM salespipe_deals d WHERE {condition}"
        )
        return _stays(rows, source, params, stages, now)
    picked = condition.removeprefix(_LIVE)  # the stays are those of live deals
    assert picked != condition
    if not picked and rows("SELECT salespipe_sees_all()", {})[0][0]:
        return _stays_of_everyone(rows, stages, now)
    source = (
        "SELECT d.stay_stage AS stage, d.micros, d.since, d.status"
        f" FROM salespipe_stays d WHERE true{picked}"
    )
    return _stays(rows, source, params, stages, now)


def _stays(
    rows: Rows,
    source: str,
    params: dict[str, Any],
    stages: Sequence[Stage],
    now: datetime,
) -> dict[str, StayStats]:
    """Per stage of the stays ``source`` gives (stage, finished length or start of an
    unfinished one, the deal's status): the stays, the ongoing ones, the middle lengths
    (the two middle ones of an even count), the exact total and the stays of at least
    the target + 1 days, in microseconds, made into days as the fold makes them."""
    params = {**params, "now": to_micros(now)}
    over = _over_bounds(stages, params, "s.stage")
    # The lengths are sorted in memory, not in files on disk (for this transaction).
    rows("SELECT set_config('work_mem', '256MB', true)", {})
    # Of n lengths in order, the fractions pick the n/2-th and the next (of an odd n,
    # the middle one twice): the middle ones a median needs, from one sort.
    found = rows(
        "SELECT s.stage, count(*), count(*) FILTER (WHERE s.ongoing),"
        " percentile_disc(ARRAY[0.5, 0.500000000001]) WITHIN GROUP (ORDER BY s.micros),"
        f" sum(s.micros), count(*) FILTER (WHERE s.micros >= {over})"
        " FROM (SELECT u.stage, greatest(coalesce(u.micros, %(now)s - u.since), 0) AS micros,"
        "   u.since IS NOT NULL AND u.status = 'open' AS ongoing"
        f"  FROM ({source}) u) s GROUP BY s.stage",
        params,
    )
    stats = {}
    for stage, count, ongoing, (low, high), total, over in found:
        median = median_of([days_of(low)] if count % 2 else [days_of(low), days_of(high)])
        stats[stage] = StayStats(count, ongoing, median, mean_days(int(total), count), over)
    return stats


def _over_bounds(stages: Sequence[Stage], params: dict[str, Any], column: str) -> str:
    """Each stage's bound (target + 1 days, in microseconds) for the stage in
    ``column``, as a CASE: cheaper per stay than a join; NULL for a stage without one."""
    bounds = []
    for i, stage in enumerate(s for s in stages if s.target_days is not None):
        params[f"key{i}"] = stage.key
        params[f"over{i}"] = (stage.target_days or 0) + 1
        bounds.append(f" WHEN %(key{i})s THEN %(over{i})s::bigint * {MICROS_PER_DAY}")
    return f"CASE {column}{''.join(bounds)} END" if bounds else "NULL"


class _Part(NamedTuple):
    """The finished or the unfinished stays of a stage: how many, how long in all, how
    many at least the stage's bound, how many ongoing (of the unfinished); of the
    finished, how many per whole day of length (in order of the days)."""

    stays: int
    micros: int
    over: int
    ongoing: int = 0
    days: tuple[tuple[int, int], ...] = ()


_NONE = _Part(0, 0, 0)


def _stays_of_everyone(rows: Rows, stages: Sequence[Stage], now: datetime) -> dict[str, StayStats]:
    """The stays of every deal per stage, from m007's tables without sorting them: the
    finished ones counted and added up by the day totals, the unfinished ones (few: one
    per open deal at most) from their index; then the middle lengths read off the two
    indexes in order.

    A stage's lengths in order are its finished stays' (an index by length) merged with
    its unfinished stays' (now − start). Of the middle one (or two) at place ``k``, at
    most ``u`` (the unfinished count) come before it from the unfinished, so among the
    finished it is between places ``k − u`` and ``k + 1``: those few finished lengths,
    merged with every unfinished length, hold it at place ``min(k, u)``. The day totals
    say from which day of length on the index is read to skip the first ``k − u``."""
    params: dict[str, Any] = {"now": to_micros(now)}
    finished = _finished_days(rows, stages)
    unfinished = _unfinished(rows, params, stages)
    keys, places, skips, takes, lows = [], [], [], [], []
    for stage in finished.keys() | unfinished.keys():
        done, going = finished.get(stage, _NONE), unfinished.get(stage, _NONE)
        place = _middle_place(done.stays + going.stays)
        skip = max(0, place - going.stays)
        low, before = _from_day(done.days, skip)
        keys.append(stage)
        places.append(place - skip)
        skips.append(skip - before)
        takes.append(place - skip + 2)
        lows.append(low)
    middles: dict[str, list[int]] = dict(
        rows(
            "SELECT v.stage, ARRAY(SELECT x.micros FROM ("
            "  (SELECT d.micros FROM salespipe_stays d"
            "   WHERE d.stay_stage = v.stage AND d.micros IS NOT NULL AND d.micros >= v.low"
            "   ORDER BY d.micros OFFSET v.skip LIMIT v.take)"
            "  UNION ALL"
            "  (SELECT greatest(%(now)s - d.since, 0) FROM salespipe_stays d"
            "   WHERE d.stay_stage = v.stage AND d.since IS NOT NULL)"
            " ) x ORDER BY x.micros OFFSET v.place LIMIT 2)"
            " FROM unnest(%(keys)s::text[], %(places)s::bigint[], %(skips)s::bigint[],"
            "  %(takes)s::bigint[], %(lows)s::bigint[]) AS v(stage, place, skip, take, low)",
            {
                **params,
                "keys": keys,
                "places": places,
                "skips": skips,
                "takes": takes,
                "lows": lows,
            },
        )
    )
    stats = {}
    for stage, middle in middles.items():
        done, going = finished.get(stage, _NONE), unfinished.get(stage, _NONE)
        count = done.stays + going.stays
        days = [days_of(micros) for micros in middle[: 1 if count % 2 else 2]]
        stats[stage] = StayStats(
            count,
            going.ongoing,
            median_of(days),
            mean_days(done.micros + going.micros, count),
            done.over + going.over,
        )
    return stats


def _finished_days(rows: Rows, stages: Sequence[Stage]) -> dict[str, _Part]:
    """Every finished stay per stage, from the day totals."""
    bounds = {s.key: s.target_days + 1 for s in stages if s.target_days is not None}
    days: dict[str, list[tuple[int, int, int]]] = {}
    for stage, day, stays, micros in rows(
        "SELECT stay_stage, day, stays, micros FROM salespipe_stay_days"
        " WHERE stays <> 0 ORDER BY stay_stage, day",
        {},
    ):
        days.setdefault(stage, []).append((int(day), int(stays), int(micros)))
    found = {}
    for stage, counted in days.items():
        bound = bounds.get(stage)
        found[stage] = _Part(
            sum(stays for _day, stays, _micros in counted),
            sum(micros for _day, _stays, micros in counted),
            0 if bound is None else sum(stays for day, stays, _m in counted if day >= bound),
            days=tuple((day, stays) for day, stays, _micros in counted),
        )
    return found


def _unfinished(rows: Rows, params: dict[str, Any], stages: Sequence[Stage]) -> dict[str, _Part]:
    """The unfinished stays per stage, as long as they are now; those of open deals
    are ongoing."""
    params = dict(params)
    over = _over_bounds(stages, params, "d.stay_stage")
    length = "greatest(%(now)s - d.since, 0)"
    return {
        stage: _Part(int(stays), int(micros), int(over_target), int(ongoing))
        for stage, stays, micros, over_target, ongoing in rows(
            f"SELECT d.stay_stage, count(*), sum({length}),"
            f" count(*) FILTER (WHERE {length} >= {over}),"
            " count(*) FILTER (WHERE d.status = 'open')"
            " FROM salespipe_stays d WHERE d.since IS NOT NULL GROUP BY 1",
            params,
        )
    }


def _from_day(days: tuple[tuple[int, int], ...], skip: int) -> tuple[int, int]:
    """Where to read a stage's finished stays from to skip ``skip`` of them: the least
    length of the day the first one not skipped is in, and how many are shorter."""
    before = 0
    for day, stays in days:
        if before + stays > skip:
            return day * MICROS_PER_DAY, before
        before += stays
    return 0, 0


def _middle_place(count: int) -> int:
    """The place (from 0) of the middle one of ``count`` in order, or of the first of the
    middle two."""
    return count // 2 if count % 2 else count // 2 - 1


def _cohort(
    rows: Rows,
    condition: str,
    params: dict[str, Any],
    period: Period,
    ranks: Sequence[str],
    pathless: bool,
) -> Cohort:
    """The deals made in ``period``, counted per outcome, stage and the stages they
    stayed in: a pipeline's deals take few paths through it, so few rows come back,
    and the furthest stage of each is found here as the fold finds it (those of no
    known stage, counted apart, in none)."""
    params = dict(params)
    made_in = _in_period("d.created_micros", period, params)
    chosen = f"{condition} AND {made_in}"
    found = rows(
        "SELECT d.status, d.stage, d.stay_stages, count(*) FROM salespipe_deals d"
        f" WHERE {chosen} GROUP BY 1, 2, 3",
        params,
    )
    unknown = learning.pathless_deals(rows, chosen, params) if pathless else {}
    tally = CohortTally(ranks)
    for status, stage, stays, count in found:
        if not stays:
            count -= unknown.get((status, stage), 0)
        if count:
            tally.add(status, [*stays, stage], count)
    for (status, _stage), count in unknown.items():
        tally.add(status, [], count)
    return tally.result()
