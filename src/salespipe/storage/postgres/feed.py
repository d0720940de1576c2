"""The team feed on PostgreSQL: LISTEN for the change ids writers NOTIFY, read the events.

Every write transaction that records events sends ``NOTIFY "salespipe:<schema>", '<change
id>'`` (see backend.py); the server delivers it only when, and if, that transaction
commits. A follower LISTENs on its own connection and, woken, reads every change after
the last one it has seen, in one snapshot. Catching up by change id, not by what the
notification says, means a notification missed while the connection was down costs
nothing: the next read finds those changes too. See docs/team.md, "The team feed".
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import orjson
import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from salespipe.core.errors import StoreError
from salespipe.core.model import Deal, Event, Stage
from salespipe.storage.port import FeedBatch, Follower
from salespipe.storage.postgres import schema
from salespipe.storage.postgres.connection import Connection, connect, translated
from salespipe.storage.postgres.schema import Cursor
from salespipe.storage.postgres.target import redact
from salespipe.storage.postgres.team import not_on_the_team

# The channel of the pipeline in the connection's current schema (one per pipeline).
CHANNEL_SQL = "SELECT 'salespipe:' || current_schema()"  # as backend.py NOTIFYs


def feed_channel(cursor: schema.Cursor) -> str:
    """The channel the changes of the pipeline ``cursor`` works on are announced on."""
    row = cursor.execute(CHANNEL_SQL).fetchone()
    assert row is not None
    return str(row[0])


class PostgresFollower(Follower):
    """One listening connection (autocommit: a LISTEN takes effect at once, and each
    read is a transaction of its own)."""

    def __init__(self, target: str) -> None:
        self._target = target
        # A copy's announcement was heard: its last change (the next batch is none).
        self._copied: int | None = None
        self._connection: Connection = connect(target, autocommit=True)
        try:
            with translated(target), self._connection.cursor() as cursor:
                schema.applied(cursor, redact(target))
                channel = feed_channel(cursor)
                cursor.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        except BaseException:
            self.close()
            raise

    def last_change(self) -> int:
        return self._of_the_pipeline("SELECT coalesce(max(next_change), 1) - 1")

    def pipeline_made(self) -> bool:
        return self._of_the_pipeline("SELECT count(*)") > 0

    def _of_the_pipeline(self, select: str) -> int:
        """The number ``select`` reads from the pipeline's table; 0 while there is none (a
        database not made yet is followed too, until init). Two statements: in one, the
        server looks the table up before any CASE could keep it from being read."""
        with translated(self._target):
            made = self._connection.execute("SELECT to_regclass('salespipe_pipeline')")
            if made.fetchone() == (None,):
                return 0
            row = self._connection.execute(f"{select} FROM salespipe_pipeline").fetchone()
        assert row is not None
        return int(row[0])

    def _heard(self, notice: psycopg.Notify) -> None:
        kind, _sep, last = notice.payload.partition(":")
        if kind == schema.COPY_NOTICE and last.isdecimal():
            self._copied = int(last)

    def changes_after(self, change: int) -> FeedBatch:
        if self._copied is not None:  # the changes after the copy's own follow
            copied, self._copied = self._copied, None
            return FeedBatch([], {}, [], copied, replaced=True)
        with _as_a_member(self._target):
            latest = self.last_change()
        if latest < change:  # fewer changes than seen: replaced by a copy not heard
            return FeedBatch([], {}, [], latest, replaced=True)
        connection = self._connection
        with _as_a_member(self._target):
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with connection.transaction(), connection.cursor() as cursor:
                if cursor.execute("SELECT to_regclass('salespipe_events')").fetchone() == (None,):
                    return FeedBatch([], {}, [], change)
                cursor.execute(
                    "SELECT record::text FROM salespipe_events WHERE change > %s ORDER BY position",
                    (change,),
                )
                events = [Event.from_record(orjson.loads(text)) for (text,) in cursor]
                undone = _deals_of_undone_changes(cursor, events)
                touched = sorted(
                    {e.deal_id for e in events if e.deal_id is not None}
                    | {deal for deals in undone.values() for deal in deals}
                )
                cursor.execute(
                    "SELECT id, record::text FROM salespipe_deals WHERE id = ANY(%s)",
                    (touched,),
                )
                found = {int(i): text for i, text in cursor}
                cursor.execute("SELECT stages::text FROM salespipe_pipeline")
                row = cursor.fetchone()
        deals = {
            i: Deal.from_record(orjson.loads(found[i])) if found.get(i) else None for i in touched
        }
        stages = [Stage.from_record(r) for r in orjson.loads(row[0])] if row else []
        last = max((e.change for e in events), default=change)
        return FeedBatch(events, deals, stages, last, undone)

    def wait(self, timeout: float | None) -> bool:
        """Until a commit is announced; any other announcements already here are read too
        (a copy's among them is noted)."""
        heard = False
        with translated(self._target):
            for notice in self._connection.notifies(timeout=timeout, stop_after=1):
                heard = True
                self._heard(notice)
            if heard:
                for notice in self._connection.notifies(timeout=0.001):
                    self._heard(notice)
        return heard

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._connection.close()


def _deals_of_undone_changes(cursor: Cursor, events: list[Event]) -> dict[int, list[int]]:
    """For each change an undo among ``events`` took back, the deals it touched (those
    this role may see)."""
    undone = [int(e.after["undid"]) for e in events if e.type == "undo" and e.after]
    if not undone:
        return {}
    cursor.execute(
        "SELECT change, array_agg(DISTINCT deal_id ORDER BY deal_id) FROM salespipe_events"
        " WHERE change = ANY(%s) AND deal_id IS NOT NULL GROUP BY change",
        (undone,),
    )
    return {int(change): [int(d) for d in deals] for change, deals in cursor}


@contextlib.contextmanager
def _as_a_member(target: str) -> Iterator[None]:
    """:func:`translated`, a refusal to read said as what it is: the role was taken off
    the team (while ``watch`` ran), not a role that may only read."""
    try:
        with translated(target):
            yield
    except StoreError as exc:
        if isinstance(exc.__context__, pg_errors.InsufficientPrivilege):
            raise not_on_the_team(redact(target)) from None
        raise
