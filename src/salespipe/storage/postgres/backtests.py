"""``forecast --backtest`` runs kept on the server (m015, schema.py), not replayed again.

What a month start forecast depends only on the events before it. The first backtest
of a set of month starts replays the history (reports/backtest.py) and keeps what it
worked out: what each month start forecast, how those forecasts had come out, and a
row per deal open at a month start (its Brier terms if won and if lost, its status
then and what it counted in its month's won). A later backtest of the same month
starts reads that run while no event before the last month start has been written,
nor a change with one undone, since it was kept; the deals changed since (their
events, or the events of a change undone since) are counted again as they are now,
so the report is a replay's without reading the history or every deal.

Keeping a run is a courtesy of the reader: a role that may not (a rep, a read-only
role, a read replica) keeps nothing and the report is the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import orjson
import psycopg

from salespipe.storage.history import KeptBacktest

Rows = Callable[[str, dict[str, Any]], Sequence[tuple[Any, ...]]]

# Runs kept at most: a new month's run replaces the oldest.
KEEP = 3

# How long keeping a run waits for a lock (another reader keeping the same run).
LOCK_WAIT = "2s"

# The rows of a run sent in one statement.
PART = 50_000

# Whether this role may read the kept runs (the row policies say which rows).
MAY_READ = (
    "SELECT has_table_privilege('salespipe_backtests', 'SELECT')"
    " AND has_table_privilege('salespipe_backtest_rows', 'SELECT')"
)

# The run kept under a key.
_RUN = "SELECT run, position, kept::text FROM salespipe_backtests WHERE key = %(key)s"

# Whether something the run depends on was written since it was kept: an event before
# the last month start, or a change of the stages or pipelines (a stage made after a
# month start that deals were in then is read as it is now); and the changes undone
# since. Asked apart from the run, with its position as a value: in one statement the
# planner may guess many runs and scan every event.
_WRITTEN_SINCE = """
SELECT EXISTS (
    SELECT 1 FROM salespipe_events
    WHERE position > %(position)s
      AND (at < %(last)s
           OR undid IS NULL AND deal_id IS NULL
              AND (type LIKE 'stage-%%' OR type LIKE 'pipeline-%%'))),
  coalesce((SELECT array_agg(undid) FROM salespipe_events
            WHERE position > %(position)s AND undid IS NOT NULL), '{}')
"""

# Whether a change undone since held such an event. The changes come as an array: a
# join on the undo's column is planned as a scan of every event where one change (a
# demo, a copy) holds most of them.
_UNDONE_HELD = """
SELECT EXISTS (
    SELECT 1 FROM salespipe_events
    WHERE change = ANY(%(undone)s::bigint[])
      AND (at < %(last)s
           OR deal_id IS NULL AND (type LIKE 'stage-%%' OR type LIKE 'pipeline-%%')))
"""

# The kept rows of the deals changed since the run was kept (by its events, or by the
# changes undone since), with each deal now: a deal deleted as its latest delete event
# says it was (the replay's outcome of it).
_CHANGED = """
WITH touched AS (
    SELECT deal_id FROM salespipe_events
    WHERE position > %(position)s AND deal_id IS NOT NULL
    UNION
    SELECT deal_id FROM salespipe_events
    WHERE change = ANY(%(undone)s::bigint[]) AND deal_id IS NOT NULL)
SELECT r.month, r.deal_id, r.currency, r.stage_won, r.history_won, r.stage_lost,
       r.history_lost, r.status, r.won,
       CASE WHEN NOT d.deleted THEN d.status ELSE coalesce(was->>'status', 'open') END,
       CASE WHEN NOT d.deleted THEN d.record->>'closed_at' ELSE was->>'closed_at' END,
       CASE WHEN NOT d.deleted THEN d.value ELSE (was->>'value')::numeric END
FROM touched t
JOIN salespipe_backtest_rows r ON r.run = %(run)s AND r.deal_id = t.deal_id
LEFT JOIN salespipe_deals d ON d.id = r.deal_id
LEFT JOIN LATERAL (
    SELECT e.record->'before' AS was FROM salespipe_events e
    WHERE d.deleted AND e.deal_id = d.id AND e.type = 'delete'
    ORDER BY e.position DESC LIMIT 1) deleted ON true
"""

_INSERT_ROWS = (
    "INSERT INTO salespipe_backtest_rows (run, month, deal_id, currency, stage_won,"
    " history_won, stage_lost, history_lost, status, won)"
    " SELECT %s, * FROM unnest(%s::smallint[], %s::bigint[], %s::text[], %s::float8[],"
    " %s::float8[], %s::float8[], %s::float8[], %s::text[], %s::numeric[])"
)


def kept(rows: Rows, key: str, last_start: datetime) -> KeptBacktest | None:
    """The run of ``key`` and its rows of the deals changed since; None if there is no
    run that still holds."""
    found = rows(_RUN, {"key": key})
    if not found:
        return None
    run, position, kept_text = found[0]
    since = {"run": run, "position": position, "last": last_start}
    ((written, undone),) = rows(_WRITTEN_SINCE, since)
    since["undone"] = [int(change) for change in undone]
    if written or (undone and rows(_UNDONE_HELD, since)[0][0]):
        return None
    changed = [(tuple(row[:9]), (str(row[9]), row[10], row[11])) for row in rows(_CHANGED, since)]
    return KeptBacktest(orjson.loads(kept_text), changed)


def keep(
    connection: psycopg.Connection[Any],
    key: str,
    read_up_to: int,
    kept_values: dict[str, Any],
    kept_rows: Callable[[], Sequence[tuple[Any, ...]]],
) -> None:
    """Keep a run on the report's own connection, once its snapshot is done with (a
    second connection would be refused where a role may hold one, or a pool is full);
    nothing when this role may not, the server is read-only, or another reader keeps
    the same run meanwhile. Waits at most LOCK_WAIT for a lock."""
    try:
        connection.commit()  # the report's snapshot ends: the view is read no more
        connection.read_only = False
        with connection.transaction(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
            cursor.execute(
                "DELETE FROM salespipe_backtests WHERE key = %(key)s OR run NOT IN ("
                " SELECT run FROM salespipe_backtests ORDER BY run DESC LIMIT %(keep)s)",
                {"key": key, "keep": KEEP - 1},
            )
            cursor.execute(
                "INSERT INTO salespipe_backtests (key, position, kept)"
                " VALUES (%s, %s, %s::json) RETURNING run",
                (key, read_up_to, orjson.dumps(kept_values).decode()),
            )
            (run,) = cursor.fetchone() or (None,)
            rows = kept_rows()  # once the run is allowed: a rep's is refused above
            # In parts, as INSERTs: COPY FROM is refused on a table with row policies.
            for first in range(0, len(rows), PART):
                part = rows[first : first + PART]
                columns = [list(column) for column in zip(*part, strict=True)]
                cursor.execute(_INSERT_ROWS, [run, *columns])
    except psycopg.Error:
        return  # not allowed to, or the same run kept by another reader first
