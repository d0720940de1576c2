"""``forecast --backtest`` runs kept on the server (m015, schema.py), not replayed again.

What a month start forecast depends only on the events before it. The first backtest
of a set of month starts replays the history (reports/backtest.py) and keeps what
each month start forecast: the months' totals, and a row per deal open at one with
the probability each method gave it. A later backtest of the same month starts reads
that run while no event before the last month start has been written or undone since
it was kept (the events after it are checked by their time, and the changes undone
since by the times of their events), and asks the deals as they are now how those
forecasts came out: which have closed, won or lost, and what the won ones brought in
the month they were forecast for.

Keeping a run is a courtesy of the reader: a role that may not (a rep, a read-only
role, a read replica) keeps nothing and the report is the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
import psycopg

from salespipe.storage.history import KeptBacktest
from salespipe.storage.postgres.connection import connect

Rows = Callable[[str, dict[str, Any]], Sequence[tuple[Any, ...]]]

# The rows of a run sent in one statement.
PART = 50_000

_INSERT_ROWS = (
    "INSERT INTO salespipe_backtest_rows"
    " (run, month, deal_id, stage_chance, history_chance, currency)"
    " SELECT %s, * FROM unnest(%s::smallint[], %s::bigint[], %s::float8[], %s::float8[],"
    " %s::text[])"
)

# Runs kept at most: a new month's run replaces the oldest.
KEEP = 3

# The run of ``key``, if no event before the last month start was written since it was
# kept, nor a change undone since that had one.
_RUN = """
SELECT b.run, b.months::text FROM salespipe_backtests b
WHERE b.key = %(key)s AND NOT EXISTS (
    SELECT 1 FROM salespipe_events e
    WHERE e.position > b.position
      AND (e.at < %(last)s
           OR e.undid IS NOT NULL AND EXISTS (
               SELECT 1 FROM salespipe_events u WHERE u.change = e.undid AND u.at < %(last)s)))
"""

# Each kept forecast of a deal closed since: whose, the two probabilities, won.
_SCORED = """
SELECT r.deal_id, r.stage_chance, r.history_chance, d.status = 'won'
FROM salespipe_backtest_rows r JOIN salespipe_deals d ON d.id = r.deal_id
WHERE r.run = %(run)s AND d.status <> 'open' AND NOT d.deleted
"""

# Per month and currency then: what the deals open at its start, won within it, brought.
_WON = """
SELECT r.month, r.currency, sum(d.value)
FROM salespipe_backtest_rows r JOIN salespipe_deals d ON d.id = r.deal_id
WHERE r.run = %(run)s AND d.status = 'won' AND NOT d.deleted
  AND d.closed_micros >= (%(starts)s::bigint[])[r.month + 1]
  AND d.closed_micros < (%(ends)s::bigint[])[r.month + 1]
GROUP BY r.month, r.currency
"""


def kept(rows: Rows, key: str, windows: Sequence[tuple[datetime, datetime]]) -> KeptBacktest | None:
    """The run of ``key`` with its deals' outcomes now; None if there is none that
    still holds."""
    found = rows(_RUN, {"key": key, "last": windows[-1][0]})
    if not found:
        return None
    run, months = found[0]
    scored = [
        (int(deal), float(stage), float(history), bool(won))
        for deal, stage, history, won in rows(_SCORED, {"run": run})
    ]
    bounds = {
        "run": run,
        "starts": [_micros(start) for start, _ in windows],
        "ends": [_micros(end) for _, end in windows],
    }
    won = {(int(month), str(code)): Decimal(total) for month, code, total in rows(_WON, bounds)}
    return KeptBacktest(orjson.loads(months), scored, won)


def keep(
    target: str,
    key: str,
    read_up_to: int,
    months: list[dict[str, Any]],
    forecasts: Sequence[tuple[int, int, float, float, str]],
) -> None:
    """Keep a run in a transaction of its own (the report's snapshot is read-only);
    nothing when this role may not, or another reader keeps the same run meanwhile."""
    try:
        with connect(target) as connection, connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM salespipe_backtests WHERE key = %(key)s OR run NOT IN ("
                " SELECT run FROM salespipe_backtests ORDER BY run DESC LIMIT %(keep)s)",
                {"key": key, "keep": KEEP - 1},
            )
            cursor.execute(
                "INSERT INTO salespipe_backtests (key, position, months)"
                " VALUES (%s, %s, %s::json) RETURNING run",
                (key, read_up_to, orjson.dumps(months).decode()),
            )
            (run,) = cursor.fetchone() or (None,)
            # In parts, as INSERTs: COPY FROM is refused on a table with row policies.
            for first in range(0, len(forecasts), PART):
                part = forecasts[first : first + PART]
                cursor.execute(
                    _INSERT_ROWS, [run, *(list(column) for column in zip(*part, strict=True))]
                )
    except psycopg.Error:
        return  # not allowed to, or the same run kept by another reader first


def _micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond
