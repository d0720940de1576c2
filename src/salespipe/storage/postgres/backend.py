"""The storage port on PostgreSQL.

A read view is a ``REPEATABLE READ READ ONLY`` transaction on a connection of its own:
one snapshot of the pipeline, whatever commits meanwhile, so a report never sees half
a change. A write transaction runs at ``READ COMMITTED`` and first locks the one
pipeline row (``SELECT … FOR UPDATE``): writers take turns, as with the data file's
lock, each sees everything committed before it, nothing is lost and no transaction
has to be retried. The counters live in that row, so ids and sequence numbers are
unique and never reused (a rolled-back change hands none out). See docs/team.md.
"""

from __future__ import annotations

import contextlib
import itertools
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
import psycopg
from psycopg import errors as pg_errors
from psycopg.sql import Composed

from salespipe.core.change_rows import ChangeRow, change_row
from salespipe.core.errors import (
    DatabaseBusy,
    DatabaseReadOnly,
    NotASalespipeFile,
    NotPermitted,
    StoreError,
    UndoConflict,
)
from salespipe.core.i18n import _, ngettext
from salespipe.core.model import Deal, Event, PipelineDef, Record, Stage, first_pipeline
from salespipe.core.tally import start_of_day
from salespipe.storage.bookkeeping import HeldBookkeeping
from salespipe.storage.port import (
    UNDO_DEPTH,
    Checkup,
    Counters,
    Finding,
    Initial,
    LockTimeout,
    ReadView,
    Storage,
    TeamMember,
    UndoEntry,
    WriteTransaction,
)
from salespipe.storage.postgres import queries as pg_queries
from salespipe.storage.postgres import schema
from salespipe.storage.postgres.connection import Connection, commit, connect, translated
from salespipe.storage.postgres.target import redact

if TYPE_CHECKING:
    from salespipe.storage.history import Asks, KeptBacktest, SlipTallies, Totals
    from salespipe.storage.postgres.feed import PostgresFollower
    from salespipe.storage.queries import Dated, OpenWhere, Page, StageSum

T = TypeVar("T")

# Rows fetched per round trip when a listing is read one record at a time.
ITER_SIZE = 2000

_LIVE = "NOT deleted"
_OPEN = "status = 'open' AND NOT deleted"
_CLOSED = "status <> 'open' AND NOT deleted"


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


# The changes that change the team (grants and revokes, and their event).
TEAM_COMMANDS = ("team add", "team remove")

# The columns of the pipeline row only an admin of the team may change (docs/team.md);
# the others are bookkeeping every writer moves on.
SETTINGS_COLUMNS = ("created_at", "config", "stages", "pipelines")


class _Pipeline:
    """The pipeline row: settings, stages, flags and counters, as Python values."""

    def __init__(
        self,
        created_at: str,
        config: dict[str, Any],
        flags: dict[str, Any],
        stages: list[Stage],
        counters: Counters,
        pipelines: list[PipelineDef],
    ) -> None:
        self.created_at = created_at
        self.config = config
        self.flags = flags
        self.stages = stages
        self.counters = counters
        self.pipelines = pipelines
        # The row as read: a change writes back only the columns it changed.
        self.stored = self.columns()

    @classmethod
    def fresh(cls, initial: Initial) -> _Pipeline:
        return cls(
            initial.created_at,
            {},
            {},
            list(initial.stages),
            Counters(1, 1, 1),
            [first_pipeline()],
        )

    @classmethod
    def load(
        cls, cursor: schema.Cursor, *, for_update: str = "", migrated: bool = True
    ) -> _Pipeline | None:
        """The row; ``migrated=False`` for a database a reader finds before the
        pipelines migration (a first write applies it), which holds the first one."""
        first = _json([first_pipeline().to_record()])
        pipelines = "pipelines::text" if migrated else f"'{first}'"
        cursor.execute(
            f"SELECT created_at, config::text, flags::text, stages::text, {pipelines},"
            f" next_deal_id, next_seq, next_change FROM salespipe_pipeline {for_update}"
        )
        row = cursor.fetchone()
        return None if row is None else cls.from_row(row)

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> _Pipeline:
        """The row as read by ``load`` (its columns in that order)."""
        created_at, config, flags, stages, pipelines, *counters = row
        try:
            return cls(
                created_at,
                orjson.loads(config),
                orjson.loads(flags),
                [Stage.from_record(raw) for raw in orjson.loads(stages)],
                Counters(*map(int, counters)),
                [PipelineDef.from_record(raw) for raw in orjson.loads(pipelines)],
            )
        except (KeyError, TypeError, ValueError, AttributeError):  # edited with SQL
            raise NotASalespipeFile(
                _(
                    "The database's pipeline row holds stages or settings salespipe "
                    "cannot read; it was changed outside salespipe and was left "
                    "untouched. Restore it from a backup."
                )
            ) from None

    def columns(self) -> dict[str, Any]:
        """The row's columns as they are written."""
        return {
            "created_at": self.created_at,
            "config": _json(self.config),
            "flags": _json(self.flags),
            "stages": _json([stage.to_record() for stage in self.stages]),
            "pipelines": _json([pipeline.to_record() for pipeline in self.pipelines]),
            **self.counters._asdict(),
        }

    def insert(self, cursor: schema.Cursor) -> None:
        """Write the row if there is none yet."""
        cursor.execute(
            "INSERT INTO salespipe_pipeline AS p (created_at, config, flags, stages,"
            " pipelines, next_deal_id, next_seq, next_change)"
            " VALUES (%(created_at)s, %(config)s::json, %(flags)s::json, %(stages)s::json,"
            " %(pipelines)s::json, %(next_deal_id)s, %(next_seq)s, %(next_change)s)"
            " ON CONFLICT (singleton) DO NOTHING",
            self.columns(),
        )

    def update(self, cursor: schema.Cursor, where: str) -> None:
        """Write back the columns changed since the row was read. A role that may not
        change the settings is told so (the server refuses those columns to it)."""
        columns = self.columns()
        changed = [name for name, value in columns.items() if self.stored[name] != value]
        if not changed:
            return
        sets = ", ".join(
            f"{name} = %({name})s"
            + ("::json" if name in ("config", "flags", "stages", "pipelines") else "")
            for name in changed
        )
        cursor.execute("SAVEPOINT salespipe_settings")
        try:
            cursor.execute(f"UPDATE salespipe_pipeline SET {sets}", columns)
        except pg_errors.InsufficientPrivilege:
            if not set(changed) & set(SETTINGS_COLUMNS):
                raise
            raise NotPermitted(
                _(
                    "Only an admin of the team may change the stages and settings of "
                    "{where}; nothing was changed."
                ).format(where=where)
            ) from None
        cursor.execute("RELEASE SAVEPOINT salespipe_settings")
        self.stored = columns


class PostgresView(ReadView):
    """The pipeline as one transaction on ``connection`` sees it."""

    def __init__(
        self,
        connection: Connection,
        target: str,
        pipeline: _Pipeline,
        exists: bool,
        migrations: Collection[str] | None = None,
    ) -> None:
        self._connection = connection
        self._target = target
        self._pipeline = pipeline
        self._exists = exists
        # A pipeline not created yet has no tables to ask.
        self._has_tables = exists
        # The migrations the database records (None: all: a writer has migrated it). A
        # reader of a database no write has migrated yet gets the answers the slower
        # way where a migration is missing (docs/team.md).
        self._migrations = set(schema.KNOWN if migrations is None else migrations)
        self._user: str | None = None

    def _migrated(self, *migrations: Callable[[schema.Cursor], None]) -> bool:
        """Whether the pipeline exists with these migrations applied."""
        return self._exists and all(m.__name__ in self._migrations for m in migrations)

    # -- plumbing -------------------------------------------------------------------------
    def _before_read(self) -> None:
        """Hook for a transaction to write what it holds back before a read."""

    def _rows(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = (), *, binary: bool = False
    ) -> list[tuple[Any, ...]]:
        if not self._has_tables:
            return []
        self._before_read()
        with translated(self._target):
            return self._connection.execute(sql, params, binary=binary).fetchall()

    def _value(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        rows = self._rows(sql, params)
        return rows[0][0] if rows else None

    def _stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[str]:
        """The first column of each row, fetched in batches through a server-side cursor."""
        if not self._has_tables:
            return
        self._before_read()
        with translated(self._target), self._connection.cursor(name=_cursor_name()) as cursor:
            cursor.itersize = ITER_SIZE
            cursor.execute(sql, params)
            for (value,) in cursor:
                yield value

    def _records(self, sql: str, params: Sequence[Any] = ()) -> list[Record]:
        return [orjson.loads(text) for (text,) in self._rows(sql, params)]

    # -- settings, stages, bookkeeping ------------------------------------------------
    @property
    def exists(self) -> bool:
        return self._exists

    def sees_every_deal(self) -> bool:
        """What m002's row policies ask (``salespipe_sees_all``), or a role the policies
        do not apply to: a superuser, one with BYPASSRLS, or the tables' owner (a team's
        database before its team is made). A pipeline not made yet has no policies, so
        everyone does."""
        with translated(self._target):
            made = self._connection.execute(
                "SELECT to_regprocedure('salespipe_sees_all()') IS NOT NULL"
            ).fetchone()
            if not made or not made[0]:
                return True
            row = self._connection.execute(
                "SELECT salespipe_sees_all() OR r.rolsuper OR r.rolbypassrls"
                " OR pg_has_role(current_user, c.relowner, 'USAGE')"
                " FROM pg_roles r, pg_class c"
                " WHERE r.rolname = current_user AND c.oid = 'salespipe_deals'::regclass"
            ).fetchone()
        return bool(row and row[0])

    def user(self) -> str:
        """The database role of this session: the author of its changes. The server
        knows it from the login, so nobody can write as someone else."""
        if self._user is None:
            with translated(self._target):
                row = self._connection.execute("SELECT current_user").fetchone()
            assert row is not None
            self._user = str(row[0])
        return self._user

    def config(self) -> dict[str, Any]:
        return dict(self._pipeline.config)

    def stages(self) -> list[Stage]:
        return sorted(self._pipeline.stages, key=lambda s: s.position)

    def pipelines(self) -> list[PipelineDef]:
        return list(self._pipeline.pipelines)

    def created_at(self) -> str:
        return self._pipeline.created_at

    def counters(self) -> Counters:
        return self._pipeline.counters

    def flags(self) -> dict[str, Any]:
        return dict(self._pipeline.flags)

    def is_empty(self) -> bool:
        # Of the whole pipeline, whoever asks: row-level security hides a rep's
        # colleagues' deals and their events (visibility own), not the numbers they took,
        # so a rep's import of a backup was planned as a restore into a pipeline of 17
        # deals (a team trial). A deal or an event ever numbered moved the counters on.
        counters = self._pipeline.counters
        if counters.next_deal_id > 1 or counters.next_seq > 1:
            return False
        return not self._value(
            "SELECT EXISTS (SELECT 1 FROM salespipe_deals)"
            " OR EXISTS (SELECT 1 FROM salespipe_events)"
        )

    def deal_ids_in_stage(
        self, key: str, *, open_only: bool, limit: int, ever: bool = False
    ) -> list[int]:
        given = {"k": key, "open": open_only, "n": limit}
        if not ever:
            rows = self._rows(
                "SELECT id FROM salespipe_deals WHERE NOT deleted AND stage = %(k)s"
                " AND (NOT %(open)s OR status = 'open') ORDER BY id LIMIT %(n)s",
                given,
            )
            return [int(row[0]) for row in rows]
        # Every stay is in salespipe_stays (m008), by stage in one of its two partial
        # indexes; a stage no stored deal ever named (most a pipeline add made) is
        # answered by the key of salespipe_stages_used alone, not by a pass over 1M deals.
        rows = self._rows(
            "SELECT deal_id FROM ("
            " SELECT deal_id FROM salespipe_stays"
            "  WHERE stay_stage = %(k)s AND micros IS NOT NULL"
            " UNION"
            " SELECT deal_id FROM salespipe_stays"
            "  WHERE stay_stage = %(k)s AND since IS NOT NULL) AS stayed"
            " WHERE EXISTS (SELECT FROM salespipe_stages_used WHERE stage = %(k)s)"
            " ORDER BY deal_id LIMIT %(n)s",
            given,
        )
        return [int(row[0]) for row in rows]

    def stage_in_use(self, key: str) -> bool:
        return bool(
            self._value(
                "SELECT EXISTS (SELECT 1 FROM salespipe_stages_used WHERE stage = %(k)s)"
                " OR EXISTS (SELECT 1 FROM salespipe_events e,"
                "  LATERAL (VALUES (e.record->'before'), (e.record->'after')) AS side(r)"
                "  WHERE e.deal_id IS NOT NULL AND json_typeof(side.r) = 'object' AND ("
                "   side.r->>'stage' = %(k)s OR (json_typeof(side.r->'stays') = 'array' AND"
                "   EXISTS (SELECT 1 FROM json_array_elements(side.r->'stays') s"
                "           WHERE s->>0 = %(k)s))))",
                {"k": key},
            )
        )

    # -- deals ---------------------------------------------------------------------------
    def get_deal(self, deal_id: int) -> Deal | None:
        found = self._records(
            f"SELECT record::text FROM salespipe_deals WHERE id = %s AND {_LIVE}", (deal_id,)
        )
        return Deal.from_record(found[0]) if found else None

    def get_deals(self, deal_ids: Collection[int]) -> dict[int, Deal]:
        found = self._records(
            f"SELECT record::text FROM salespipe_deals WHERE id = ANY(%s) AND {_LIVE}",
            (sorted(deal_ids),),
        )
        return {deal.id: deal for deal in map(Deal.from_record, found)}

    def open_deals(self) -> list[Deal]:
        return [Deal.from_record(r) for r in self.open_records()]

    def open_records(self) -> list[Record]:
        return self._records(
            f"SELECT record::text FROM salespipe_deals WHERE {_OPEN} ORDER BY open_order"
        )

    def open_deal_ids(self) -> set[int]:
        return {int(i) for (i,) in self._rows(f"SELECT id FROM salespipe_deals WHERE {_OPEN}")}

    def closed_deals(self) -> list[Deal]:
        return [Deal.from_record(r) for r in self.closed_records()]

    def deleted_deal_ids(self) -> list[int]:
        return [
            int(i)
            for (i,) in self._rows("SELECT id FROM salespipe_deals WHERE deleted ORDER BY id")
        ]

    def closed_records(self) -> Iterator[Record]:
        return map(
            orjson.loads,
            self._stream(
                f"SELECT record::text FROM salespipe_deals WHERE {_CLOSED} ORDER BY closed_order"
            ),
        )

    def all_deals(self) -> list[Deal]:
        return self.open_deals() + self.closed_deals()

    def all_records(self) -> Iterator[Record]:
        yield from self.open_records()
        yield from self.closed_records()

    # -- the everyday questions, answered by the server (storage/postgres/queries.py) ----
    def stage_totals(self, where: OpenWhere) -> list[StageSum]:
        if not self._migrated(schema.m004_open_columns):
            return super().stage_totals(where)
        return pg_queries.stage_totals(self._rows, self.stages(), where)

    def stale_deals(self, now: datetime, where: OpenWhere, limit: int | None = None) -> Page:
        if not self._migrated(schema.m004_open_columns):
            return super().stale_deals(now, where, limit)
        return pg_queries.stale_deals(
            self._rows,
            self.stages(),
            now,
            where,
            limit,
            indexed=self._migrated(schema.m006_open_indexes),
        )

    def due_by(
        self,
        what: Dated,
        until: date,
        where: OpenWhere,
        limit: int | None = None,
        since: date | None = None,
    ) -> Page:
        if not self._migrated(schema.m004_open_columns):
            return super().due_by(what, until, where, limit, since)
        return pg_queries.due_by(self._rows, what, until, where, limit, since)

    def open_page(self, where: OpenWhere, order: str, limit: int | None, now: datetime) -> Page:
        if not self._migrated(schema.m004_open_columns):
            return super().open_page(where, order, limit, now)
        return pg_queries.open_page(
            self._rows,
            self.stages(),
            where,
            order,
            limit,
            now,
            indexed=self._migrated(schema.m006_open_indexes),
        )

    # -- the history reports' totals, added up by the server (postgres/history.py) -------
    def history_totals(self, where: OpenWhere, asks: Asks) -> Totals | None:
        if not self._migrated(schema.m005_history_columns) or (
            asks.days_to_won and not self._migrated(schema.m008_won_paths)
        ):
            return None
        if asks.made_since is not None and (asks.closed or asks.stays or asks.cohort):
            return None  # the server narrows only the learning reports' answers so
        from salespipe.storage.postgres import history as pg_history

        return pg_history.totals(
            self._rows,
            self.stages(),
            where,
            asks,
            stays_table=self._migrated(schema.m007_stays),
            pathless=self._migrated(schema.m018_stage_unknown),
        )

    def slip_tallies(self, owner: str | None, pipeline: str | None = None) -> SlipTallies | None:
        # m009's totals counted pushes on closed deals too: replayed until m017 recounts.
        if not self._migrated(schema.m009_slips, schema.m017_slips_while_open):
            return None
        from salespipe.storage.postgres import slips

        return slips.tallies(self._rows, owner, pipeline)

    def kept_backtest(self, key: str, last_start: datetime) -> KeptBacktest | None:
        if not self._migrated(schema.m015_kept_backtests) or not self.sees_every_deal():
            return None
        from salespipe.storage.postgres import backtests

        # A role granted the tables before m015 made these (GRANT … ON ALL TABLES) may
        # not read them: it replays, as before. (A refused read would end the snapshot.)
        if not self._value(backtests.MAY_READ):
            return None

        return backtests.kept(self._rows, key, last_start)

    def keep_backtest(
        self, key: str, kept: dict[str, Any], rows: Callable[[], Sequence[tuple[Any, ...]]]
    ) -> None:
        if not self._migrated(schema.m015_kept_backtests) or not self.sees_every_deal():
            return
        from salespipe.storage.postgres import backtests

        # The last event this snapshot holds: the replay read up to it.
        read_up_to = int(self._value("SELECT coalesce(max(position), 0) FROM salespipe_events"))
        backtests.keep(self._connection, key, read_up_to, kept, rows)

    # -- events --------------------------------------------------------------------------
    def events(self, deal_id: int | None = None) -> list[Event]:
        if deal_id is None:
            return [Event.from_record(r) for r in self.event_records()]
        return [
            Event.from_record(r)
            for r in self._records(
                "SELECT record::text FROM salespipe_events WHERE deal_id = %s ORDER BY position",
                (deal_id,),
            )
        ]

    def events_after(self, seq: int, deal_ids: Collection[int]) -> list[Event]:
        return [
            Event.from_record(r)
            for r in self._records(
                "SELECT record::text FROM salespipe_events"
                " WHERE deal_id = ANY(%s) AND seq > %s ORDER BY deal_id, position",
                (sorted(deal_ids), seq),
            )
        ]

    def event_records(self) -> Iterator[Record]:
        return map(orjson.loads, self._event_texts())

    def event_lines(self) -> Iterator[bytes]:
        return (text.encode() for text in self._event_texts())

    def change_records(self) -> Iterator[ChangeRow]:
        return map(change_row, self.event_records())

    def _event_texts(self) -> Iterator[str]:
        return self._stream("SELECT record::text FROM salespipe_events ORDER BY position")

    def newest_events(
        self, limit: int, *, deal_id: int | None = None, since: date | None = None
    ) -> list[Event]:
        where: list[str] = ["true"]
        params: list[Any] = []
        if deal_id is not None:
            where.append("deal_id = %s")
            params.append(deal_id)
        if since is not None:
            where.append("at >= %s")
            params.append(start_of_day(since))  # where the reader is
        params.append(limit)
        return [
            Event.from_record(r)
            for r in self._records(
                f"SELECT record::text FROM salespipe_events WHERE {' AND '.join(where)}"
                " ORDER BY at DESC, position DESC LIMIT %s",
                params,
            )
        ]

    def undone_changes(self) -> set[int]:
        return {
            int(c)
            for (c,) in self._rows("SELECT undid FROM salespipe_events WHERE undid IS NOT NULL")
        }

    def undo_list(self, by: str | None = None) -> list[UndoEntry]:
        return [
            UndoEntry(int(change), command, at)
            for change, command, at in self._rows(
                "SELECT change, command, at FROM salespipe_undo"
                " WHERE %(by)s::text IS NULL OR role = %(by)s ORDER BY list_order",
                {"by": by},
            )
        ]


class PostgresTransaction(HeldBookkeeping, PostgresView, WriteTransaction):
    """One change, written to the server as it is made and committed whole at the end.

    Deals and events are held back and sent in batches (before any read, and at the
    end), so an import of many records takes few round trips.
    """

    def __init__(
        self,
        connection: Connection,
        target: str,
        pipeline: _Pipeline,
        exists: bool,
        start_position: int,
        user: str,
    ) -> None:
        super().__init__(connection, target, pipeline, exists)
        self._user = user
        self._has_tables = True
        self.changed = False
        self.undoable = True
        self._start_position = start_position
        self._pending_deals: list[Record] = []
        # The deals deleted, held back like the deals saved (a dict: in order, once each).
        self._pending_deletions: dict[int, None] = {}
        self._pending_events: list[Event] = []
        self._last: list[Composed] = []  # run once the rest is written (team.py)
        self._numbers_checked = False
        self._written_ids: set[int] = set()

    def _touch(self) -> _Pipeline:
        self.changed = True
        return self._pipeline

    def kept_backtest(self, key: str, last_start: datetime) -> KeptBacktest | None:
        """None: a change is not a report's snapshot (its own events are not read back)."""
        return None

    def keep_backtest(
        self, key: str, kept: dict[str, Any], rows: Callable[[], Sequence[tuple[Any, ...]]]
    ) -> None:
        """Nothing: a run is kept from a report's snapshot, not from within a change."""

    def allocate_deal_id(self) -> int:
        if not self._numbers_checked:
            self._check_numbers_free()
            self._numbers_checked = True
        return super().allocate_deal_id()

    def _check_numbers_free(self) -> None:
        """The counter lives in a row every writer may update (a rep with a SQL client
        too): set back, a new deal would replace one (the deals are upserted)."""
        next_id = self._pipeline.counters.next_deal_id
        mine = sorted({r["id"] for r in self._pending_deals} | self._written_ids)
        with translated(self._target):
            taken = self._connection.execute(
                "SELECT EXISTS (SELECT 1 FROM salespipe_deals WHERE id >= %s AND NOT id = ANY(%s))",
                (next_id, mine),
            ).fetchone()
        if taken and taken[0]:
            raise StoreError(
                _(
                    "The database {where} holds deals numbered {next} or more, though {next} "
                    "is the number its next deal would get: its counter was set back outside "
                    "salespipe; nothing was changed (ask an admin of the database)."
                ).format(where=redact(self._target), next=next_id)
            )

    def _before_read(self) -> None:
        self.flush()

    def flush(self) -> None:
        """Send the deals, deletions and events held back (the deletions after the
        deals: a deal saved and then deleted is deleted)."""
        with translated(self._target), self._connection.cursor() as cursor:
            if self._pending_deals:
                _write_deals(cursor, self._pending_deals)
                if not self._numbers_checked:  # what this change wrote is no conflict
                    self._written_ids.update(r["id"] for r in self._pending_deals)
                self._pending_deals = []
            if self._pending_deletions:
                _delete_deals(cursor, list(self._pending_deletions))
                self._pending_deletions = {}
            if self._pending_events:
                _write_events(cursor, self._pending_events, self._change_id, self.user())
                self._pending_events = []

    # -- stages (the rest of the bookkeeping: storage/bookkeeping.py) ----------------
    def save_stages(self, stages: Iterable[Stage]) -> None:
        self._touch().stages = list(stages)

    def save_pipelines(self, pipelines: Iterable[PipelineDef]) -> None:
        self._touch().pipelines = list(pipelines)

    # -- deals ---------------------------------------------------------------------------
    def save_deals(self, deals: Iterable[Deal]) -> None:
        self.save_records(deal.to_record() for deal in deals)

    def save_records(self, records: Iterable[Record]) -> None:
        self.changed = True
        # One at a time, each to the list pending now: ``records`` may be a generator
        # that records events as it goes (``demo``), and a flush those cause starts a
        # new list (extending the old one would lose every deal after that flush).
        for record in records:
            if record["id"] in self._pending_deletions:  # deleted first, saved after
                self.flush()
            # A copy: what the caller does with its records later changes nothing here.
            self._pending_deals.append(orjson.loads(orjson.dumps(record)))
            if len(self._pending_deals) >= ITER_SIZE:
                self.flush()

    def delete_deal(self, deal_id: int) -> None:
        """Held back and sent with the others (an undone import deletes every deal it
        made: one statement, not one each)."""
        self.changed = True
        self._pending_deletions[deal_id] = None
        if len(self._pending_deletions) >= ITER_SIZE:
            self.flush()

    # -- events and undo -------------------------------------------------------------------
    def record(self, event: Event) -> None:
        self.changed = True
        self._pending_events.append(event)
        if len(self._pending_events) >= ITER_SIZE:
            self.flush()

    def not_undoable(self) -> None:
        self.undoable = False

    # -- the team (storage/postgres/team.py): part of the change, committed with it -----
    def join_team(self, user: str, role: str, *, create_login: bool) -> tuple[str, ...]:
        from salespipe.storage.postgres import team

        self.flush()
        # The grants are a change even when they change no one's role (a later
        # migration's tables are granted again): committed, with or without an event.
        self.changed = True
        with translated(self._target), self._connection.cursor() as cursor:
            return team.join(
                cursor,
                user,
                role,
                create_login=create_login,
                where=redact(self._target),
                last=self._last,
            )

    def leave_team(self, user: str) -> str:
        from salespipe.storage.postgres import team

        self.flush()
        self.changed = True
        with translated(self._target), self._connection.cursor() as cursor:
            return team.leave(cursor, user, where=redact(self._target), last=self._last)

    def keep_deleted_deals(self, owners: Mapping[int, str]) -> None:
        if not owners:
            return
        self.flush()
        self.changed = True
        with translated(self._target), self._connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO salespipe_deals (id, status, stage, owner, deleted, record)"
                " VALUES (%s, 'deleted', '', %s, true, NULL) ON CONFLICT (id) DO NOTHING",
                sorted(owners.items()),
            )

    def take_team_history(self) -> list[Event] | None:
        if self._value("SELECT EXISTS (SELECT 1 FROM salespipe_deals)") or self._value(
            "SELECT EXISTS (SELECT 1 FROM salespipe_events WHERE type NOT LIKE 'team-%%')"
        ):
            return None
        if not self._value("SELECT has_table_privilege('salespipe_events', 'DELETE')"):
            # Recorded again after the copy, by the admins who made them: not a rep's or
            # a manager's to carry (the m012 policy), so said as such.
            raise NotPermitted(
                _(
                    "Only an admin of the team may bring changes made by others into {where} "
                    "(a copy, a restore): every other role records changes only as itself; "
                    "nothing was changed."
                ).format(where=redact(self._target))
            )
        self.changed = True
        return [
            Event.from_record(r)
            for r in self._records(
                "WITH taken AS (DELETE FROM salespipe_events RETURNING position, record)"
                " SELECT record::text FROM taken ORDER BY position"
            )
        ]

    def pop_change(self, change: int | None = None) -> tuple[UndoEntry, list[Event]] | None:
        rows = self._rows(
            "DELETE FROM salespipe_undo WHERE list_order ="
            " (SELECT max(list_order) FROM salespipe_undo"
            "  WHERE %(change)s::bigint IS NULL OR change = %(change)s)"
            " RETURNING change, command, at, first_position, last_position",
            {"change": change},
        )
        if not rows:
            return None
        self.changed = True
        change, command, at, first, last = rows[0]
        events = self._records(
            "SELECT record::text FROM salespipe_events"
            " WHERE position BETWEEN %s AND %s ORDER BY position",
            (first, last),
        )
        found = [Event.from_record(r) for r in events]
        if len(found) < last - first + 1:
            # The change's events are all of one transaction, so their positions run on:
            # some out of sight are of a deal the role may not see now (given to another
            # owner since, or visibility own set since), which putting back would
            # silently leave as it is.
            raise UndoConflict(
                _(
                    "Your change {change} ({command}) was to a deal you may no longer change "
                    "(it is not yours, and reps now change only their own deals); nothing was "
                    "undone."
                ).format(change=change, command=command)
            )
        return UndoEntry(int(change), command, at), found

    def set_undo_list(self, entries: Sequence[UndoEntry]) -> None:
        self.changed = True
        spans = self._spans()
        with translated(self._target), self._connection.cursor() as cursor:
            cursor.execute("DELETE FROM salespipe_undo")
            # Each change stays the undo of whoever made it (the role of its events).
            cursor.executemany(
                "INSERT INTO salespipe_undo"
                " (change, command, at, first_position, last_position, role)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (e.change, e.command, e.at, *spans[e.change])
                    for e in entries
                    if e.change in spans
                ],
            )

    def _spans(self) -> dict[int, tuple[int, int, str]]:
        """Where the events of each change recorded in this transaction are, and who
        made that change."""
        return {
            int(change): (int(first), int(last), str(role))
            for change, first, last, role in self._rows(
                "SELECT change, min(position), max(position), min(role) FROM salespipe_events"
                " WHERE position > %s GROUP BY change",
                (self._start_position,),
            )
        }

    def finish(self, command: str, now_iso: str) -> None:
        """Write back the pipeline row and put this change on the undo list."""
        self.flush()
        with translated(self._target), self._connection.cursor() as cursor:
            if self.undoable:
                cursor.execute(
                    "SELECT min(position), max(position) FROM salespipe_events WHERE position > %s",
                    (self._start_position,),
                )
                span = cursor.fetchone()
                if span is not None and span[0] is not None:
                    cursor.execute(
                        "INSERT INTO salespipe_undo"
                        " (change, command, at, first_position, last_position)"
                        " VALUES (%s, %s, %s, %s, %s)",
                        (self.change_id(), command, now_iso, span[0], span[1]),
                    )
                    # Each member of the team keeps their own UNDO_DEPTH changes.
                    cursor.execute(
                        "DELETE FROM salespipe_undo WHERE role = current_user AND list_order <= ("
                        " SELECT list_order FROM salespipe_undo WHERE role = current_user"
                        " ORDER BY list_order DESC OFFSET %s LIMIT 1)",
                        (UNDO_DEPTH,),
                    )
            if command == "copy" or self._change_id is not None:
                # Delivered to every `salespipe watch` when (and only if) this commits. A
                # copy's history is no news: it is announced as a copy, with its last change.
                copied = f"{schema.COPY_NOTICE}:{self._pipeline.counters.next_change - 1}"
                cursor.execute(
                    "SELECT pg_notify('salespipe:' || current_schema(), %s)",
                    (copied if command == "copy" else str(self._change_id),),
                )
            # The slips of m009 (a writer has migrated the schema), once a change, with
            # the stages that say which pipeline each deal is in: after they are written,
            # as a deal may be in a stage this change made; before, when it only took
            # stages away (an undone import), whose deals were counted in their pipeline.
            before = {r["key"] for r in orjson.loads(self._pipeline.stored["stages"])}
            after = {stage.key for stage in self._pipeline.stages}
            only_taken_away = bool(before - after) and after <= before
            if only_taken_away:
                cursor.execute("SELECT salespipe_count_slips()")
            self._pipeline.update(cursor, redact(self._target))
            if not only_taken_away:
                cursor.execute("SELECT salespipe_count_slips()")
            for statement in self._last:
                cursor.execute(statement)


def _stays_findings(missing: int, extra: int, days: int) -> list[Finding]:
    found = []
    if missing:
        text = ngettext(
            "{count} stay of the deals is not in the stays table",
            "{count} stays of the deals are not in the stays table",
            missing,
        )
        found.append(Finding("stays", text.format(count=missing)))
    if extra:
        text = ngettext(
            "{count} stay in the stays table is of no deal as it is now",
            "{count} stays in the stays table are of no deal as it is now",
            extra,
        )
        found.append(Finding("stays", text.format(count=extra)))
    if days:
        text = ngettext(
            "{count} day total of the stays differs from them",
            "{count} day totals of the stays differ from them",
            days,
        )
        found.append(Finding("stay days", text.format(count=days)))
    return found


def _slips_findings(groups: int, days: int) -> list[Finding]:
    found = []
    if groups:
        text = ngettext(
            "{count} slip total differs from the events",
            "{count} slip totals differ from the events",
            groups,
        )
        found.append(Finding("slips", text.format(count=groups)))
    if days:
        text = ngettext(
            "{count} count of slips by length differs from the events",
            "{count} counts of slips by length differ from the events",
            days,
        )
        found.append(Finding("slip days", text.format(count=days)))
    return found


def _stays_stages(record: Record) -> set[str]:
    return {record["stage"], *(stay[0] for stay in record.get("stays", ()))}


_UPSERT_DEALS = (
    " ON CONFLICT (id) DO UPDATE SET"
    "  open_order = CASE WHEN d.status = 'open' AND NOT d.deleted THEN d.open_order"
    "   ELSE EXCLUDED.open_order END,"
    "  closed_order = COALESCE(d.closed_order, EXCLUDED.closed_order),"
    "  status = EXCLUDED.status, stage = EXCLUDED.stage, owner = EXCLUDED.owner,"
    "  deleted = false, record = EXCLUDED.record"
)

# From this many rows on, deals and events go to the server by COPY (one stream) rather
# than as one statement each: an import or a copy of 100k deals takes seconds, not minutes.
COPY_FROM = 100


def _write_deals(cursor: schema.Cursor, records: list[Record]) -> None:
    rows = [(r["id"], r["status"], r["stage"], r.get("owner") or "", _json(r)) for r in records]
    # A deal saved twice in one batch is upserted in turn (one statement cannot).
    if len(rows) < COPY_FROM or len({row[0] for row in rows}) < len(rows):
        cursor.executemany(
            "INSERT INTO salespipe_deals AS d"
            " (id, status, stage, owner, open_order, closed_order, record)"
            " VALUES (%s, %s, %s, %s, nextval('salespipe_listing_order'),"
            "  nextval('salespipe_listing_order'), %s::json)" + _UPSERT_DEALS,
            rows,
        )
    else:
        _copy_deals(cursor, rows)
    used = set().union(*map(_stays_stages, records))
    cursor.execute(
        "INSERT INTO salespipe_stages_used SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
        (sorted(used),),
    )


def _write_events(
    cursor: schema.Cursor, events: list[Event], change: int | None, user: str
) -> None:
    """Send events in their order. Those of this transaction's own ``change`` are by
    the session's role, which the server fills in; the others are history carried from
    another database (``copy``, a backup restored): their role is the author their
    record names (``user``, the one carrying them, if it names none)."""
    for carried, run in itertools.groupby(events, key=lambda e: e.change != change):
        _write_event_rows(cursor, list(run), user if carried else None)


def _delete_deals(cursor: schema.Cursor, deal_ids: list[int]) -> None:
    """Mark the deals deleted; a deal without a row gets a deleted one. (Not INSERT …
    ON CONFLICT: row-level security would check the row it proposes, whose owner is
    nobody, even when the deal is there: docs/team.md.)"""
    cursor.execute(
        "UPDATE salespipe_deals SET deleted = true, record = NULL, open_order = NULL"
        " WHERE id = ANY(%s) RETURNING id",
        (deal_ids,),
    )
    marked = {int(row[0]) for row in cursor.fetchall()}
    missing = [deal_id for deal_id in deal_ids if deal_id not in marked]
    if missing:
        cursor.execute(
            "INSERT INTO salespipe_deals (id, status, stage, owner, deleted, record)"
            " SELECT id, 'deleted', '', '', true, NULL FROM unnest(%s::bigint[]) AS id",
            (missing,),
        )


def _write_event_rows(cursor: schema.Cursor, events: list[Event], carrier: str | None) -> None:
    carried = carrier is not None
    rows = []
    for event in events:
        record = event.to_record()
        undid = (event.after or {}).get("undid") if event.type == "undo" else None
        rows.append(
            (
                event.seq,
                event.change,
                event.deal_id,
                event.type,
                record["at"],
                event.at.date(),
                undid,
                _json(record),
                *((event.who or carrier,) if carried else ()),
            )
        )
    columns = "seq, change, deal_id, type, at, at_date, undid, record" + (
        ", role" if carried else ""
    )
    if len(rows) < COPY_FROM:
        cursor.executemany(
            f"INSERT INTO salespipe_events ({columns}) VALUES"
            " (%s, %s, %s, %s, %s::timestamptz, %s, %s, %s::json" + (", %s)" if carried else ")"),
            rows,
        )
        return
    cursor.execute("SELECT row_security_active('salespipe_events')")
    row = cursor.fetchone()
    if row is None or not row[0]:
        with cursor.copy(f"COPY salespipe_events ({columns}) FROM STDIN") as copy:
            copy.write(_copy_text(rows))
        return
    _copy_events_through_a_scratch_table(cursor, rows, columns)


def _copy_events_through_a_scratch_table(
    cursor: schema.Cursor, rows: list[tuple[Any, ...]], columns: str
) -> None:
    """Many events at once where the team's row policies apply to the role: COPY is
    refused on a table with row-level security ("COPY FROM not supported"), so a rep
    under visibility own could not import 100 rows. They are copied into a scratch table
    and inserted from it, each row checked by the policies, in the order given."""
    _through_a_scratch_table(
        cursor,
        rows,
        "salespipe_incoming_events (n serial, seq bigint, change bigint, deal_id bigint,"
        " type text, at timestamptz, at_date date, undid bigint, record json, role text)",
        columns,
        f"INSERT INTO salespipe_events ({columns})"
        f" SELECT {columns} FROM salespipe_incoming_events ORDER BY n",
    )


def _through_a_scratch_table(
    cursor: schema.Cursor, rows: list[tuple[Any, ...]], table: str, columns: str, insert: str
) -> None:
    """COPY ``rows`` (their ``columns``) into the scratch ``table`` (its name, then its
    columns, ``n`` numbering the rows in order), then run ``insert``, which takes them
    from it; the table is emptied for the next batch and dropped at the commit."""
    name = table.split(" ", 1)[0]
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} ON COMMIT DROP")
    with cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
        copy.write(_copy_text(rows))
    cursor.execute(insert)
    cursor.execute(f"TRUNCATE {name}")


def _copy_text(rows: list[tuple[Any, ...]]) -> str:
    """Rows in COPY's text format, made here in one go: the driver's per-value
    adaptation would cost more than the rest of a large copy."""
    return "".join("\t".join([_copy_field(value) for value in row]) + "\n" for row in rows)


def _copy_field(value: Any) -> str:
    if value is None:
        return "\\N"
    text = value if isinstance(value, str) else str(value)
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy_deals(cursor: schema.Cursor, rows: list[tuple[Any, ...]]) -> None:
    """Many deals at once: COPY them into a scratch table, then upsert them all with one
    statement, in the order given (the listing order numbers follow it)."""
    # nextval() in the select list runs after the sort, so the numbers follow n.
    _through_a_scratch_table(
        cursor,
        rows,
        "salespipe_incoming (n serial, id bigint, status text, stage text, owner text,"
        " record json)",
        "id, status, stage, owner, record",
        "INSERT INTO salespipe_deals AS d"
        " (id, status, stage, owner, open_order, closed_order, record)"
        " SELECT id, status, stage, owner, nextval('salespipe_listing_order'),"
        "  nextval('salespipe_listing_order'), record FROM salespipe_incoming ORDER BY n"
        + _UPSERT_DEALS,
    )


class _Turn:
    """Waiting for another writer to finish: how long is asked only when one holds the
    pipeline, and at most once; a wait that runs out raises LockNotAvailable."""

    def __init__(self, cursor: schema.Cursor, lock_timeout: LockTimeout) -> None:
        self.cursor = cursor
        self.lock_timeout = lock_timeout
        self.seconds: float | None = None

    def wait(self) -> None:
        if self.seconds is None:
            self.seconds = self.lock_timeout()
            milliseconds = max(1, int(self.seconds * 1000))
            self.cursor.execute(f"SET LOCAL lock_timeout = {milliseconds}")


def _lock_pipeline(cursor: schema.Cursor, turn: _Turn) -> _Pipeline:
    """The pipeline row, locked until the transaction ends: writers take turns."""
    # A savepoint, so that a refused NOWAIT is undone alone. (Not psycopg's
    # connection.transaction(): as the first statement it would commit at its end,
    # and with it let go of the lock.)
    cursor.execute("SAVEPOINT salespipe_lock")
    try:
        pipeline = _Pipeline.load(cursor, for_update="FOR UPDATE NOWAIT")
        cursor.execute("RELEASE SAVEPOINT salespipe_lock")
    except pg_errors.LockNotAvailable:
        cursor.execute("ROLLBACK TO SAVEPOINT salespipe_lock")
        turn.wait()
        pipeline = _Pipeline.load(cursor, for_update="FOR UPDATE")
    assert pipeline is not None
    return pipeline


# The migrations a salespipe database records and its pipeline row, in one statement
# (one round trip before the first question). It fails on a database without them:
# empty, another program's, or from before m003.
_OPENING = (
    "SELECT m.names, p.created_at, p.config::text, p.flags::text, p.stages::text,"
    " p.pipelines::text, p.next_deal_id, p.next_seq, p.next_change FROM (SELECT"
    " array_agg(name::text ORDER BY applied_order) AS names FROM salespipe_migrations) m"
    " LEFT JOIN salespipe_pipeline p ON true"
)


# What a read view sets for its transaction, sent with _OPENING. Its questions are
# small: starting parallel workers for one costs more than they save, the more so on
# a busy server, where the planner would still start them for a pass over 100k deals.
_READ_SETTINGS = "SET LOCAL max_parallel_workers_per_gather = 0"


@contextlib.contextmanager
def _a_reader(location: str) -> Iterator[None]:
    """A read the server refuses for want of privileges: the role is not on the team (not
    a member who may read but not change, as a refused write would say)."""
    try:
        yield
    except StoreError as exc:
        if isinstance(exc.__context__, pg_errors.InsufficientPrivilege):
            from salespipe.storage.postgres.team import not_on_the_team

            raise not_on_the_team(location) from None
        raise


def _may_read(connection: Connection) -> bool:
    """Whether the role may read the pipeline, after a write the server refused: a role
    that may not is not on the team, rather than one that may read but not change."""
    try:
        connection.rollback()
        with connection.cursor() as cursor:
            cursor.execute("SELECT has_table_privilege('salespipe_pipeline', 'SELECT')")
            row = cursor.fetchone()
        connection.rollback()
    except psycopg.Error:
        return True  # (the refusal as the server gave it stands)
    return bool(row and row[0])


def _opened(
    connection: Connection, cursor: schema.Cursor, where: str, settings: str = ""
) -> tuple[list[str] | None, _Pipeline | None]:
    """The migrations the database records (None: it has no salespipe schema yet) and
    its pipeline row (None: not made yet), at the start of a transaction, with the
    ``settings`` statement run first in the same round trip. A database _OPENING
    cannot read is asked step by step (and refused if it is not salespipe's) in a new
    transaction (without the settings)."""
    try:
        if settings:
            cursor.execute(f"{settings}; {_OPENING}")
            cursor.nextset()
        else:
            cursor.execute(_OPENING)
    except (pg_errors.UndefinedTable, pg_errors.UndefinedColumn):
        connection.rollback()
        done = schema.applied(cursor, where)
        if done is None:
            return None, None
        return done, _Pipeline.load(cursor, migrated=schema.m003_pipelines.__name__ in done)
    row = cursor.fetchone()
    assert row is not None
    names, *columns = row
    pipeline = None if columns[0] is None else _Pipeline.from_row(columns)
    return schema.recorded(list(names or ()), where), pipeline


def _close_all(connections: list[Connection]) -> None:
    for connection in connections:
        with contextlib.suppress(psycopg.Error):
            connection.close()


_cursor_count = 0


def _cursor_name() -> str:
    global _cursor_count
    _cursor_count += 1
    return f"salespipe_{_cursor_count}"


class PostgresStorage(Storage):
    """One pipeline in a PostgreSQL database (in the connection's current schema)."""

    def __init__(self, target: str, initial: Callable[[], Initial]) -> None:
        self.target = target
        self.initial = initial
        # The writer connection kept between transactions (at most one), closed with
        # the storage.
        self._idle: list[Connection] = []
        weakref.finalize(self, _close_all, self._idle)
        self._current = False

    @property
    def location(self) -> str:
        return redact(self.target)

    def read(self) -> PostgresView:
        connection = connect(self.target)
        try:
            with _a_reader(self.location), translated(self.target):
                connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                connection.read_only = True
                with connection.cursor() as cursor:
                    done, pipeline = _opened(connection, cursor, self.location, _READ_SETTINGS)
        except BaseException:
            connection.close()
            raise
        view = PostgresView(
            connection,
            self.target,
            pipeline or _Pipeline.fresh(self.initial()),
            pipeline is not None,
            migrations=done or (),
        )
        # The view's snapshot lives as long as the view: its connection closes with it.
        weakref.finalize(view, connection.close)
        return view

    @contextlib.contextmanager
    def transaction(
        self, lock_timeout: LockTimeout, command: str, now_iso: str
    ) -> Iterator[PostgresTransaction]:
        with self._borrowed() as connection:
            try:
                tx = self._begin(connection, lock_timeout)
            except DatabaseReadOnly:
                if command not in TEAM_COMMANDS:
                    if not _may_read(connection):  # removed from the team, say
                        from salespipe.storage.postgres.team import not_on_the_team

                        raise not_on_the_team(self.location) from None
                    raise
                # Not on the team: the pipeline is not even theirs to lock.
                from salespipe.storage.postgres.team import not_permitted

                raise not_permitted(self.location, first=True) from None
            yield tx
            if tx.changed:
                tx.finish(command, now_iso)
                commit(connection, self.target)
                self._current = True
            else:
                connection.rollback()

    @contextlib.contextmanager
    def replacing(
        self, lock_timeout: LockTimeout, command: str, now_iso: str
    ) -> Iterator[PostgresTransaction]:
        """One transaction empties the pipeline's tables and fills them again: readers
        see the old pipeline until it commits (rows are deleted, not tables dropped, so
        no reader blocks it nor is blocked), and a failure rolls all of it back."""
        with self._borrowed() as connection:
            try:
                tx = self._begin(connection, lock_timeout, fresh=True)
            except DatabaseReadOnly:  # a rep or a manager: they may write deals, not this
                raise NotPermitted(
                    _(
                        "Only an admin of the team may replace everything {where} holds; "
                        "nothing was changed."
                    ).format(where=self.location)
                ) from None
            yield tx
            tx.finish(command, now_iso)
            commit(connection, self.target)
            self._current = True

    @contextlib.contextmanager
    def _borrowed(self) -> Iterator[Connection]:
        """A connection for one write transaction: the one kept from the last, if it is
        free (a second transaction of the same storage gets its own, and waits its turn
        like any other writer). One whose transaction failed is closed, not kept."""
        idle = self._idle
        connection = idle.pop() if idle and not idle[-1].closed else connect(self.target)
        try:
            yield connection
        except BaseException:
            with contextlib.suppress(psycopg.Error):
                connection.close()
            raise
        if idle:
            connection.close()
        else:
            idle.append(connection)

    def _begin(
        self, connection: Connection, lock_timeout: LockTimeout, *, fresh: bool = False
    ) -> PostgresTransaction:
        """Lock the pipeline row (making the schema and the row on first use); ``fresh``:
        then empty the pipeline and start from its initial state."""
        with translated(self.target), connection.cursor() as cursor:
            turn = _Turn(cursor, lock_timeout)
            try:
                # Once this storage has seen its pipeline made and up to date, it stays so.
                exists = self._current
                if not exists:
                    done, found = _opened(connection, cursor, self.location)
                    exists = found is not None
                    # By name, not order: m006 and m007 were made side by side, and a
                    # database may have had either first.
                    if done is None or set(done) != set(schema.KNOWN):
                        self._migrate(cursor, turn, upgrade=done is not None)
                        exists = _Pipeline.load(cursor) is not None
                    if not exists:
                        _Pipeline.fresh(self.initial()).insert(cursor)
                pipeline = _lock_pipeline(cursor, turn)
                if fresh:
                    schema.empty(cursor)
                    replaced = pipeline
                    pipeline = _Pipeline.fresh(self.initial())
                    # The row still holds the old pipeline: every column that differs is written.
                    pipeline.stored = replaced.stored
            except pg_errors.LockNotAvailable:
                raise DatabaseBusy(
                    _(
                        "The database {path} is busy: another session (salespipe, or a SQL "
                        "client) held its pipeline for more than {seconds} s; nothing was "
                        "changed, try again."
                    ).format(path=self.location, seconds=f"{turn.seconds or 0:g}")
                ) from None
            cursor.execute("SELECT coalesce(max(position), 0), current_user FROM salespipe_events")
            row = cursor.fetchone()
            assert row is not None
        return PostgresTransaction(
            connection, self.target, pipeline, exists, int(row[0]), str(row[1])
        )

    def _migrate(self, cursor: schema.Cursor, turn: _Turn, *, upgrade: bool) -> None:
        """Bring the schema up to date; an ``upgrade`` refused for want of privileges is
        a member of the team who does not own the tables (a rep, a manager): said so."""
        try:
            schema.migrate(cursor, self.location, turn.wait)
        except pg_errors.InsufficientPrivilege:
            if not upgrade:  # there is no pipeline yet: it was this role's to make
                raise DatabaseReadOnly(
                    _(
                        "The database role may not create the pipeline's tables in {where}; "
                        "let the database's owner run `salespipe init` there, or grant "
                        "this role CREATE on its schema; nothing was changed."
                    ).format(where=self.location)
                ) from None
            raise NotPermitted(
                _(
                    "The database {where} needs this salespipe's upgrade of its tables, "
                    "which only an admin of the team may apply: the next change an admin "
                    "makes applies it (reading works meanwhile); nothing was changed."
                ).format(where=self.location)
            ) from None

    # -- the team (storage/postgres/team.py) ----------------------------------------------
    def team_members(self) -> list[TeamMember]:
        from salespipe.storage.postgres import team

        return self._of_the_team(team.members) or []

    def open_deals_of_no_member(self, leaving: str | None = None) -> dict[str, int]:
        from salespipe.storage.postgres import team

        found = self._of_the_team(lambda cursor: team.open_deals_of_no_member(cursor, leaving))
        return found or {}

    def _of_the_team(self, read: Callable[[schema.Cursor], T]) -> T | None:
        """What ``read`` reads of the team on a connection of its own; None where the
        team was never made (a database before m002)."""
        from salespipe.storage.postgres import team

        connection = connect(self.target)
        try:
            with _a_reader(self.location), translated(self.target), connection.cursor() as cursor:
                done = schema.applied(cursor, self.location)
                if done is None or team.MIGRATION not in done:
                    return None
                return read(cursor)
        finally:
            connection.close()

    def destroy(self, lock_timeout: LockTimeout) -> None:
        connection = connect(self.target)
        try:
            with translated(self.target), connection.cursor() as cursor:
                if schema.applied(cursor, self.location) is not None:
                    _lock_pipeline(cursor, _Turn(cursor, lock_timeout))
                    schema.drop(cursor)
                commit(connection, self.target, shown_by="salespipe list")
            self._current = False
        finally:
            connection.close()

    def follow(self) -> PostgresFollower:
        from salespipe.storage.postgres.feed import PostgresFollower

        return PostgresFollower(self.target)

    def checkup(self, repair: bool, lock_timeout: LockTimeout, now_iso: str) -> Checkup:
        """What the server keeps derived against what it is derived from: the stays of
        m007 (kept by triggers) against the deals, the slips of m009 (counted by each
        change) against the events; with ``repair``, made afresh in one locked change.
        A role that sees only its own deals checks only their stays: the day totals
        and the slips are the whole team's."""
        connection = connect(self.target)
        checks: list[str] = []
        not_checked: list[str] = []
        findings: list[Finding] = []
        try:
            with translated(self.target), connection.cursor() as cursor:
                done = schema.applied(cursor, self.location) or []
                # The day totals and the slips are the whole team's (m002 made teams).
                everyone = schema.m002_team_visibility.__name__ not in done
                team = checks if everyone or schema.sees_all(cursor) else not_checked
                if schema.m007_stays.__name__ in done:
                    checks.append("stays")
                    team.append("stay days")
                    findings += _stays_findings(*schema.stays_differences(cursor))
                # Before m017 the totals are counted by m009's rule, and read by no one.
                if schema.m017_slips_while_open.__name__ in done:
                    team += ["slips", "slip days"]
                    findings += _slips_findings(*schema.slips_differences(cursor))
        finally:
            connection.close()
        if repair and findings:
            self._repair(findings, lock_timeout)
        repaired = repair and bool(findings)
        return Checkup(checks, findings, repaired, from_deals=True, not_checked=tuple(not_checked))

    def _repair(self, findings: list[Finding], lock_timeout: LockTimeout) -> None:
        """Make afresh what ``findings`` found different, in one locked change; the
        derived tables are written by their owner, an admin of the team."""
        with self._borrowed() as connection:
            self._begin(connection, lock_timeout)
            with translated(self.target), connection.cursor() as cursor:
                try:
                    if any(f.check.startswith("stay") for f in findings):
                        schema.fill_stays(cursor)
                    if any(f.check.startswith("slip") for f in findings):
                        schema.fill_slips(cursor)
                except pg_errors.InsufficientPrivilege:
                    connection.rollback()
                    raise NotPermitted(
                        _(
                            "Only an admin of the team may rebuild what {where} keeps "
                            "derived (doctor --fix); nothing was changed."
                        ).format(where=self.location)
                    ) from None
                commit(connection, self.target, shown_by="salespipe doctor")

    def holds(self, path: str) -> bool:
        return False

    def identity(self) -> str:
        connection = connect(self.target)
        try:
            with translated(self.target), connection.cursor() as cursor:
                # When its server started, to the microsecond, and the database's oid:
                # what every role may read (a managed service may keep the system id back).
                cursor.execute(
                    "SELECT pg_postmaster_start_time(),"
                    " (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
                row = cursor.fetchone()
        finally:
            connection.close()
        assert row is not None
        return f"postgresql:{row[0]}/{row[1]}"
