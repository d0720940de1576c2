"""The tables of a pipeline in PostgreSQL, made and kept up to date by named migrations.

Each migration is one function, applied once, in order, and recorded by its name in
``salespipe_migrations``: that table is also how a database is known to be salespipe's.
A schema holding other tables but not that one belongs to another program, and one
that records a migration this version does not know was made by a newer salespipe;
both are refused, never written to (docs/team.md).

The tables live in the connection's current schema (``search_path``), so one database
can hold several pipelines, one per schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from salespipe.core.errors import NewerSchema, NotASalespipeFile
from salespipe.core.i18n import _

Cursor = psycopg.Cursor[Any]

# Held (for the transaction) by whoever creates or migrates the schema, so that two
# first writers do not both create it. An arbitrary constant, salespipe's own.
MIGRATION_LOCK = 0x5A1E5_91BE


def m001_pipeline(cursor: Cursor) -> None:
    """The pipeline row, stages, deals, events and the undo list."""
    cursor.execute(
        """
        CREATE TABLE salespipe_pipeline (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            created_at text NOT NULL,
            -- json, not jsonb: the settings and flags keep the order they were set in
            config json NOT NULL,
            flags json NOT NULL,
            stages json NOT NULL,
            next_deal_id bigint NOT NULL,
            next_seq bigint NOT NULL,
            next_change bigint NOT NULL
        );

        -- A deal as it is now. json keeps each record byte for byte as it was written.
        -- open_order: when it last became open; closed_order: when it first closed
        -- (the order of the open and of the closed listings).
        CREATE TABLE salespipe_deals (
            id bigint PRIMARY KEY,
            status text NOT NULL,
            stage text NOT NULL,
            owner text NOT NULL,
            deleted boolean NOT NULL DEFAULT false,
            open_order bigint,
            closed_order bigint,
            record json,
            CHECK (deleted = (record IS NULL))
        );
        CREATE INDEX salespipe_deals_open ON salespipe_deals (open_order)
            WHERE status = 'open' AND NOT deleted;
        CREATE INDEX salespipe_deals_closed ON salespipe_deals (closed_order)
            WHERE status <> 'open' AND NOT deleted;
        CREATE SEQUENCE salespipe_listing_order;

        -- Every stage a stored deal ever named (as its stage or in its stays).
        CREATE TABLE salespipe_stages_used (stage text PRIMARY KEY);

        -- Events in recorded order (position). "role" is the database role that wrote
        -- the event, set by the server itself: who made a change cannot be forged.
        CREATE TABLE salespipe_events (
            position bigserial PRIMARY KEY,
            seq bigint NOT NULL,
            change bigint NOT NULL,
            deal_id bigint,
            type text NOT NULL,
            at timestamptz NOT NULL,
            at_date date NOT NULL,
            undid bigint,
            role text NOT NULL DEFAULT current_user,
            record json NOT NULL
        );
        CREATE INDEX salespipe_events_deal ON salespipe_events (deal_id, position);
        CREATE INDEX salespipe_events_at ON salespipe_events (at, position);
        CREATE INDEX salespipe_events_change ON salespipe_events (change);
        CREATE INDEX salespipe_events_undid ON salespipe_events (undid)
            WHERE undid IS NOT NULL;

        -- The changes undo can take back, oldest first, with the span of their events.
        CREATE TABLE salespipe_undo (
            list_order bigserial PRIMARY KEY,
            change bigint NOT NULL UNIQUE,
            command text NOT NULL,
            at text NOT NULL,
            first_position bigint NOT NULL,
            last_position bigint NOT NULL,
            role text NOT NULL DEFAULT current_user
        );
        """
    )


def m002_team_visibility(cursor: Cursor) -> None:
    """Row-level security: with ``config set visibility own`` a role that is neither a
    manager nor an admin of the team sees and changes only the deals it owns, their
    events and its own undo entries (storage/postgres/team.py makes the team's roles).

    The policies apply to every role but the tables' owner (and superusers). While
    ``visibility`` is not ``own`` they let everything through."""
    cursor.execute(
        """
        -- The team's group roles, by what they may do (filled by `salespipe team add`).
        CREATE TABLE salespipe_team (
            kind text PRIMARY KEY CHECK (kind IN ('rep', 'manager', 'admin')),
            role text NOT NULL UNIQUE
        );

        -- Whether the current role sees every deal. A SQL-standard body binds its
        -- tables now, so a search_path set later cannot point it elsewhere.
        CREATE FUNCTION salespipe_sees_all() RETURNS boolean
            LANGUAGE sql STABLE
        BEGIN ATOMIC
            SELECT coalesce((SELECT p.config->>'visibility' FROM salespipe_pipeline p), 'all')
                    <> 'own'
                OR EXISTS (
                    SELECT 1 FROM salespipe_team t JOIN pg_roles r ON r.rolname = t.role
                    WHERE t.kind IN ('manager', 'admin')
                      AND pg_has_role(current_user, r.oid, 'MEMBER'));
        END;

        ALTER TABLE salespipe_deals ENABLE ROW LEVEL SECURITY;
        CREATE POLICY salespipe_own_deals ON salespipe_deals
            USING ((SELECT salespipe_sees_all()) OR owner = current_user::text)
            WITH CHECK ((SELECT salespipe_sees_all()) OR owner = current_user::text);

        -- A deal's events are seen with the deal (the subquery is itself filtered by
        -- the policy above); events of no deal (stages, settings) by everyone.
        ALTER TABLE salespipe_events ENABLE ROW LEVEL SECURITY;
        CREATE POLICY salespipe_own_events ON salespipe_events
            USING ((SELECT salespipe_sees_all()) OR deal_id IS NULL
                   OR EXISTS (SELECT 1 FROM salespipe_deals d
                              WHERE d.id = salespipe_events.deal_id));

        ALTER TABLE salespipe_undo ENABLE ROW LEVEL SECURITY;
        CREATE POLICY salespipe_own_undo ON salespipe_undo
            USING ((SELECT salespipe_sees_all()) OR role = current_user::text)
            WITH CHECK ((SELECT salespipe_sees_all()) OR role = current_user::text);
        """
    )


def m003_pipelines(cursor: Cursor) -> None:
    """The pipelines of the database (stages name theirs); one made before holds one,
    the first, which its stages belong to."""
    cursor.execute(
        "ALTER TABLE salespipe_pipeline ADD COLUMN pipelines json NOT NULL DEFAULT"
        ' \'[{"key": "sales", "name": "", "position": 1, "archived": false}]\''
    )


def m004_open_columns(cursor: Cursor) -> None:
    """The fields of a deal the everyday reports ask about, as columns the server keeps
    from the record itself (generated: no write can let them differ from it), and two
    indexes on the open deals that hold what chart, stale, agenda and a page of list
    ask, so the server answers those from the index alone (docs/team.md).

    ``whole_value`` is the value when it is a whole number (almost always): summed as an
    integer, many times faster than numeric, and exact."""
    cursor.execute(
        """
        ALTER TABLE salespipe_deals
            ADD COLUMN value numeric GENERATED ALWAYS AS ((record->>'value')::numeric) STORED,
            ADD COLUMN whole_value bigint GENERATED ALWAYS AS (
                CASE WHEN (record->>'value') ~ '^-?[0-9]{1,18}$'
                THEN (record->>'value')::bigint END) STORED,
            ADD COLUMN currency text GENERATED ALWAYS AS (record->>'currency') STORED,
            ADD COLUMN probability integer
                GENERATED ALWAYS AS ((record->>'probability')::integer) STORED,
            ADD COLUMN entered text GENERATED ALWAYS AS (record->>'stage_entered_at') STORED,
            ADD COLUMN next_due text
                GENERATED ALWAYS AS (record->'next_action'->>'due') STORED,
            ADD COLUMN close_due text GENERATED ALWAYS AS (record->>'expected_close') STORED,
            ADD COLUMN quote_due text
                GENERATED ALWAYS AS (record->'quote'->>'valid_until') STORED;
        CREATE INDEX salespipe_deals_open_stage ON salespipe_deals (stage, id)
            INCLUDE (owner, currency, whole_value, value, probability, open_order, entered,
                     next_due, close_due, quote_due)
            WHERE status = 'open' AND NOT deleted;
        CREATE INDEX salespipe_deals_open_next ON salespipe_deals (next_due, id)
            INCLUDE (owner, stage) WHERE status = 'open' AND NOT deleted;
        ANALYZE salespipe_deals;
        """
    )


def m005_history_columns(cursor: Cursor) -> None:
    """What the history reports ask of every deal, as generated columns the server keeps
    from the record (docs/team.md): when it was made and closed (microseconds since
    1970), the month it closed in as written, why it was lost, and its stays (each one's
    stage; a finished one's length in microseconds; when an ongoing one began). The
    reports then add these up instead of reading every record
    (storage/postgres/history.py).

    The functions read a stored time, which always carries its UTC offset, so they do
    not depend on the session's time zone: immutable, as a generated column needs. All
    the columns are added in one statement, so a large table is rewritten once."""
    cursor.execute(
        """
        CREATE FUNCTION salespipe_micros(moment text) RETURNS bigint
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            RETURN (extract(epoch FROM moment::timestamptz) * 1000000)::bigint;

        CREATE FUNCTION salespipe_stay_stages(record json) RETURNS text[]
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            RETURN ARRAY(SELECT s->>0 FROM json_array_elements(record->'stays') s);

        -- A stay without an end ends when its deal closed; one of a deal not closed is
        -- ongoing (NULL here, its start in salespipe_stay_since).
        CREATE FUNCTION salespipe_stay_micros(record json) RETURNS bigint[]
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            RETURN ARRAY(
                SELECT salespipe_micros(coalesce(s->>2, record->>'closed_at'))
                    - salespipe_micros(s->>1)
                FROM json_array_elements(record->'stays') s);

        CREATE FUNCTION salespipe_stay_since(record json) RETURNS bigint[]
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            RETURN ARRAY(
                SELECT CASE WHEN coalesce(s->>2, record->>'closed_at') IS NULL
                    THEN salespipe_micros(s->>1) END
                FROM json_array_elements(record->'stays') s);

        ALTER TABLE salespipe_deals
            ADD COLUMN created_micros bigint
                GENERATED ALWAYS AS (salespipe_micros(record->>'created_at')) STORED,
            ADD COLUMN closed_micros bigint
                GENERATED ALWAYS AS (salespipe_micros(record->>'closed_at')) STORED,
            ADD COLUMN closed_month text
                GENERATED ALWAYS AS (left(record->>'closed_at', 7)) STORED,
            ADD COLUMN lost_reason text GENERATED ALWAYS AS (record->>'lost_reason') STORED,
            ADD COLUMN stay_stages text[]
                GENERATED ALWAYS AS (salespipe_stay_stages(record)) STORED,
            ADD COLUMN stay_micros bigint[]
                GENERATED ALWAYS AS (salespipe_stay_micros(record)) STORED,
            ADD COLUMN stay_since bigint[]
                GENERATED ALWAYS AS (salespipe_stay_since(record)) STORED;
        -- What the reports add up, apart from the records: read from the index alone.
        CREATE INDEX salespipe_deals_closed_totals ON salespipe_deals (closed_micros)
            INCLUDE (status, currency, value, created_micros, closed_order, owner, stage,
                     closed_month, lost_reason)
            WHERE status <> 'open' AND NOT deleted;
        CREATE INDEX salespipe_deals_stays ON salespipe_deals (stage)
            INCLUDE (owner, status, created_micros, stay_stages, stay_micros, stay_since)
            WHERE NOT deleted;
        ANALYZE salespipe_deals;
        """
    )


MIGRATIONS: tuple[Callable[[Cursor], None], ...] = (
    m001_pipeline,
    m002_team_visibility,
    m003_pipelines,
    m004_open_columns,
    m005_history_columns,
)
KNOWN = tuple(migration.__name__ for migration in MIGRATIONS)


def applied(cursor: Cursor, where: str) -> list[str] | None:
    """The migrations the database records, or None if it has no salespipe schema yet.

    Raises NotASalespipeFile if the schema holds another program's tables and
    NewerSchema if a newer salespipe has migrated it.
    """
    cursor.execute(
        "SELECT to_regclass('salespipe_migrations') IS NOT NULL,"
        " (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        "  WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm'))"
    )
    row = cursor.fetchone()
    assert row is not None
    ours, tables = bool(row[0]), int(row[1])
    if not ours:
        if tables:
            raise NotASalespipeFile(
                _(
                    "The database {where} holds tables of another program; salespipe uses "
                    "only an empty database (or schema) or one it made itself."
                ).format(where=where)
            )
        return None
    cursor.execute("SELECT name FROM salespipe_migrations ORDER BY applied_order")
    names = [str(name) for (name,) in cursor.fetchall()]
    unknown = [name for name in names if name not in KNOWN]
    if unknown:
        raise NewerSchema(
            _(
                "The database {where} was set up by a newer salespipe (its schema has "
                "{step}); upgrade salespipe to use it."
            ).format(where=where, step=unknown[0])
        )
    return names


def migrate(cursor: Cursor, where: str, wait: Callable[[], None]) -> bool:
    """Bring the schema up to date inside the caller's transaction; whether it was new.

    Holds the migration lock until that transaction ends, so concurrent first writers
    take turns and only one creates the tables; ``wait`` is called before waiting for
    another one's turn to end (to set how long).
    """
    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
    taken = cursor.fetchone()
    if not (taken and taken[0]):
        wait()
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
    done = applied(cursor, where)
    created = done is None
    if created:
        cursor.execute(
            "CREATE TABLE salespipe_migrations ("
            " applied_order serial PRIMARY KEY,"
            " name text NOT NULL UNIQUE,"
            " applied_at timestamptz NOT NULL DEFAULT now(),"
            " role text NOT NULL DEFAULT current_user)"
        )
    for migration in MIGRATIONS:
        if migration.__name__ not in (done or ()):
            migration(cursor)
            cursor.execute(
                "INSERT INTO salespipe_migrations (name) VALUES (%s)", (migration.__name__,)
            )
    return created


def empty(cursor: Cursor) -> None:
    """Delete every deal, event, undo entry and stage in use (``copy --replace``): rows,
    not tables, so that readers keep their snapshot and nobody waits on a table lock."""
    cursor.execute(
        "DELETE FROM salespipe_undo; DELETE FROM salespipe_events;"
        " DELETE FROM salespipe_stages_used; DELETE FROM salespipe_deals"
    )


def drop(cursor: Cursor) -> None:
    """Remove the pipeline's tables (``demo`` replacing its own pipeline)."""
    cursor.execute(
        "DROP FUNCTION IF EXISTS salespipe_sees_all() CASCADE;"  # and the policies on it
        " DROP TABLE IF EXISTS salespipe_undo, salespipe_events, salespipe_stages_used,"
        " salespipe_deals, salespipe_pipeline, salespipe_team, salespipe_migrations;"
        " DROP SEQUENCE IF EXISTS salespipe_listing_order;"
        " DROP FUNCTION IF EXISTS salespipe_stay_stages(json), salespipe_stay_micros(json),"
        " salespipe_stay_since(json), salespipe_micros(text)"
    )
