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
from psycopg import sql

from salespipe.core.errors import NewerSchema, NotASalespipeFile
from salespipe.core.i18n import _
from salespipe.core.model import FIRST_PIPELINE
from salespipe.storage.history import MICROS_PER_DAY

Cursor = psycopg.Cursor[Any]

# Held (for the transaction) by whoever creates or migrates the schema, so that two
# first writers do not both create it. An arbitrary constant, salespipe's own.
MIGRATION_LOCK = 0x5A1E5_91BE

# Each commit that records events NOTIFYs the schema's channel with its change id, for
# `salespipe watch`; a copy into the database, whose history is no news, with this.
COPY_NOTICE = "copy"


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


def m006_open_indexes(cursor: Cursor) -> None:
    """Indexes on the open deals for what the everyday questions compare (docs/team.md):
    the moment each entered its stage (microseconds since 1970, m005's function), per
    stage, so the server finds the deals over a stage's target, and orders by days in a
    stage, from the index alone, converting no stored time; and the days a quote and the
    expected close fall on, in the C collation the questions compare them in.

    Only indexes are built (the table is read once, not rewritten), each over the open
    deals alone: readers go on meanwhile."""
    cursor.execute(
        """
        CREATE INDEX salespipe_deals_open_entered
            ON salespipe_deals (stage, salespipe_micros(entered))
            INCLUDE (id, entered, owner, next_due) WHERE status = 'open' AND NOT deleted;
        CREATE INDEX salespipe_deals_open_quote ON salespipe_deals (quote_due COLLATE "C", id)
            INCLUDE (owner, stage, next_due) WHERE status = 'open' AND NOT deleted;
        CREATE INDEX salespipe_deals_open_close ON salespipe_deals (close_due COLLATE "C", id)
            INCLUDE (owner, stage, next_due) WHERE status = 'open' AND NOT deleted;
        """
    )


def _definer(cursor: Cursor) -> str:
    """What makes a function run as the tables' owner, in this schema whatever the
    caller's ``search_path``."""
    return f"SECURITY DEFINER {_fixed_path(cursor)}"


def _fixed_path(cursor: Cursor) -> str:
    """What makes a function find the tables of this schema whatever the caller's
    ``search_path``."""
    cursor.execute("SELECT current_schema()")
    found = cursor.fetchone()
    assert found is not None
    schema = sql.Identifier(str(found[0])).as_string(cursor)
    return f"SET search_path = {schema}, pg_temp"


def m007_stays(cursor: Cursor) -> None:
    """Every stay of every live deal as a row of its own, kept by the server from the
    deals' m005 columns whatever writes them (triggers on ``salespipe_deals``: saves,
    ``copy``, deletions), indexed per stage by length, and the finished ones counted and
    added up per stage and whole day of length; so ``durations`` and ``report`` read
    each stage's count, total and middle lengths off a small table and an index instead
    of sorting every stay (docs/team.md, storage/postgres/history.py).

    A stay's row: the deal, the stay's stage, a finished stay's length in microseconds
    (never below 0) or an unfinished one's start, and what the reports pick deals by
    (the deal's stage, status and owner). The same row-level security as the deals: a
    rep with ``visibility own`` sees only the stays of their own deals, and none of the
    day totals, which are the whole team's."""
    # The triggers write as the tables' owner (a rep needs no right to write stays, so
    # none can forge them), in this schema whatever the writer's search_path.
    definer = _definer(cursor)
    came = _STAYS_OF.format(deals="salespipe_came")
    cursor.execute(
        f"""
        CREATE TABLE salespipe_stays (
            deal_id bigint NOT NULL,
            stay_stage text NOT NULL,
            micros bigint,
            since bigint,
            stage text NOT NULL,
            status text NOT NULL,
            owner text NOT NULL,
            CHECK ((micros IS NULL) <> (since IS NULL))
        );
        -- The finished stays per stage and whole days of length: how many, how long.
        CREATE TABLE salespipe_stay_days (
            stay_stage text NOT NULL,
            day bigint NOT NULL,
            stays bigint NOT NULL,
            micros numeric NOT NULL,
            PRIMARY KEY (stay_stage, day)
        );
        CREATE FUNCTION salespipe_stays_added() RETURNS trigger
            LANGUAGE plpgsql {definer} AS $$
        BEGIN
            WITH added AS ({_INSERT_STAYS} {came} RETURNING stay_stage, micros)
            {_ADD_DAYS.format(rows="added")};
            RETURN NULL;
        END $$;
        CREATE FUNCTION salespipe_stays_changed() RETURNS trigger
            LANGUAGE plpgsql {definer} AS $$
        BEGIN
            {_REMOVE_STAYS};
            WITH added AS ({_INSERT_STAYS} {came} RETURNING stay_stage, micros)
            {_ADD_DAYS.format(rows="added")};
            RETURN NULL;
        END $$;
        CREATE FUNCTION salespipe_stays_removed() RETURNS trigger
            LANGUAGE plpgsql {definer} AS $$
        BEGIN
            {_REMOVE_STAYS};
            RETURN NULL;
        END $$;
        CREATE TRIGGER salespipe_stays_added AFTER INSERT ON salespipe_deals
            REFERENCING NEW TABLE AS salespipe_came
            FOR EACH STATEMENT EXECUTE FUNCTION salespipe_stays_added();
        CREATE TRIGGER salespipe_stays_changed AFTER UPDATE ON salespipe_deals
            REFERENCING OLD TABLE AS salespipe_went NEW TABLE AS salespipe_came
            FOR EACH STATEMENT EXECUTE FUNCTION salespipe_stays_changed();
        CREATE TRIGGER salespipe_stays_removed AFTER DELETE ON salespipe_deals
            REFERENCING OLD TABLE AS salespipe_went
            FOR EACH STATEMENT EXECUTE FUNCTION salespipe_stays_removed();
        """
    )
    fill_stays(cursor)  # before the indexes: building them after is faster
    cursor.execute(
        """
        -- The finished stays of a stage by length, the unfinished by start (latest
        -- first: shortest first), so the middle of a stage is read off the two in order.
        CREATE INDEX salespipe_stays_done ON salespipe_stays (stay_stage, micros)
            WHERE micros IS NOT NULL;
        CREATE INDEX salespipe_stays_going ON salespipe_stays (stay_stage, since DESC)
            INCLUDE (status) WHERE since IS NOT NULL;
        CREATE INDEX salespipe_stays_deal ON salespipe_stays (deal_id);
        ALTER TABLE salespipe_stays ENABLE ROW LEVEL SECURITY;
        CREATE POLICY salespipe_own_stays ON salespipe_stays
            USING ((SELECT salespipe_sees_all()) OR owner = current_user::text)
            WITH CHECK ((SELECT salespipe_sees_all()) OR owner = current_user::text);
        ALTER TABLE salespipe_stay_days ENABLE ROW LEVEL SECURITY;
        CREATE POLICY salespipe_all_stay_days ON salespipe_stay_days
            USING ((SELECT salespipe_sees_all())) WITH CHECK ((SELECT salespipe_sees_all()));
        """
    )
    # A team made before reads them (a later `team add` grants it too).
    cursor.execute("SELECT role FROM salespipe_team")
    for (role,) in cursor.fetchall():
        cursor.execute(
            sql.SQL("GRANT SELECT ON salespipe_stays, salespipe_stay_days TO {}").format(
                sql.Identifier(role)
            )
        )


def fill_stays(cursor: Cursor) -> None:
    """Make the stays and their day totals afresh from the deals (m007, ``doctor
    --fix``)."""
    cursor.execute(
        "DELETE FROM salespipe_stays; DELETE FROM salespipe_stay_days;"
        f" {_INSERT_STAYS} {_STAYS_OF.format(deals='salespipe_deals')};"
        f" WITH added AS (SELECT stay_stage, micros FROM salespipe_stays)"
        f" {_ADD_DAYS.format(rows='added')};"
        " ANALYZE salespipe_stays, salespipe_stay_days"
    )


def stays_differences(cursor: Cursor) -> tuple[int, int, int]:
    """How many stays the deals have that the stays table lacks, how many it has that
    they do not, and how many day totals differ from its stays (``doctor``)."""
    expected = _STAYS_OF.format(deals="salespipe_deals")
    stored = "SELECT deal_id, stay_stage, micros, since, stage, status, owner FROM salespipe_stays"
    days = (
        f"SELECT stay_stage, micros / {MICROS_PER_DAY}, count(*), sum(micros)"
        " FROM salespipe_stays WHERE micros IS NOT NULL GROUP BY 1, 2"
    )
    stored_days = "SELECT stay_stage, day, stays, micros FROM salespipe_stay_days WHERE stays <> 0"
    # The day totals are the whole team's: only one who sees every deal can check them.
    cursor.execute(
        f"SELECT (SELECT count(*) FROM ({expected} EXCEPT ALL {stored}) m),"
        f" (SELECT count(*) FROM ({stored} EXCEPT ALL {expected}) x),"
        " CASE WHEN salespipe_sees_all() THEN (SELECT count(*)"
        f"  FROM ({days}) c (stay_stage, day, stays, micros)"
        f"  FULL JOIN ({stored_days}) s USING (stay_stage, day)"
        "  WHERE c.stays IS DISTINCT FROM s.stays OR c.micros IS DISTINCT FROM s.micros)"
        " ELSE 0 END"
    )
    row = cursor.fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


# The stays of the deals of ``deals`` (a table with salespipe_deals' columns), as rows
# of salespipe_stays: from the deals' m005 columns, so one definition of a stay's
# length holds for both.
_INSERT_STAYS = (
    "INSERT INTO salespipe_stays (deal_id, stay_stage, micros, since, stage, status, owner)"
)
_STAYS_OF = (
    "SELECT d.id, u.stay_stage,"
    " CASE WHEN u.since IS NULL THEN greatest(coalesce(u.micros, 0), 0) END, u.since,"
    " d.stage, d.status, d.owner"
    " FROM {deals} d, unnest(d.stay_stages, d.stay_micros, d.stay_since)"
    " AS u(stay_stage, micros, since)"
    " WHERE NOT d.deleted"
)
# The finished ones of stays ``rows`` (stage and length) added to the day totals.
_ADD_DAYS = (
    "INSERT INTO salespipe_stay_days AS t (stay_stage, day, stays, micros)"
    f" SELECT stay_stage, micros / {MICROS_PER_DAY}, count(*), sum(micros) FROM {{rows}}"
    " WHERE micros IS NOT NULL GROUP BY 1, 2"
    " ON CONFLICT (stay_stage, day) DO UPDATE"
    " SET stays = t.stays + EXCLUDED.stays, micros = t.micros + EXCLUDED.micros"
)
# The stays of the deals of the old rows of a change taken away, with their day totals.
_REMOVE_STAYS = (
    "WITH gone AS (DELETE FROM salespipe_stays s USING salespipe_went w"
    "  WHERE s.deal_id = w.id RETURNING s.stay_stage, s.micros)"
    " UPDATE salespipe_stay_days t SET stays = t.stays - g.stays, micros = t.micros - g.micros"
    f" FROM (SELECT stay_stage, micros / {MICROS_PER_DAY} AS day, count(*) AS stays,"
    "  sum(micros) AS micros FROM gone WHERE micros IS NOT NULL GROUP BY 1, 2) g"
    " WHERE t.stay_stage = g.stay_stage AND t.day = g.day"
)


# A deal without stays entered its stage when its record says (or was made in it).
_WITHOUT_STAYS = """                UNION ALL
                SELECT record->>'stage', salespipe_micros(coalesce(
                    nullif(record->>'stage_entered_at', ''), record->>'created_at'))
                WHERE coalesce(json_typeof(record->'stays') <> 'array'
                    OR json_array_length(record->'stays') = 0, true)"""

# The won deals of no known stage whose m008 columns an older function made, written
# again (from m018's index).
REDO_PATHLESS_WON = """UPDATE salespipe_deals d SET record = record
        WHERE status = 'won' AND NOT deleted
            AND stay_stages = '{}' AND (record->>'stage_unknown') = 'true'"""

# m018's: a deal without stays whose stage is not known went through no stage.
_WITHOUT_STAYS_KNOWN = (
    _WITHOUT_STAYS
    + """
                    AND (record->>'stage_unknown') IS DISTINCT FROM 'true'"""
)

# The deals without stays whose stage is not known (core/model.py ``pathless``), as
# m018's index picks them: the learning reports count them apart (postgres/learning.py).
PATHLESS = "d.stay_stages = '{}' AND (d.record->>'stage_unknown') = 'true'"

# Per stage of a deal's path, when it entered it: m008's version took the first stay of
# the stage's last visit (a reopen into the stage it closed in continued the visit),
# m014's takes the stage's last stay. The name and signature, then the body.
LAST_ENTRIES_OF_VISITS = f"""salespipe_last_entries(record json)
            RETURNS TABLE (stage text, entered bigint)
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            AS $$
                SELECT * FROM (
                    SELECT DISTINCT ON (v.stage) v.stage, salespipe_micros(v.at)
                    FROM (SELECT s->>0 AS stage, s->>1 AS at, n,
                                 lag(s->>0) OVER (ORDER BY n) AS before
                          FROM json_array_elements(
                              CASE WHEN json_typeof(record->'stays') = 'array'
                              THEN record->'stays' ELSE '[]' END) WITH ORDINALITY AS x(s, n)) v
                    WHERE v.before IS DISTINCT FROM v.stage  -- the first stay of a visit
                    ORDER BY v.stage, v.n DESC) visits  -- of each stage, the last visit
{_WITHOUT_STAYS}
            $$"""

LAST_ENTRIES_OF_STAYS = f"""salespipe_last_entries(record json)
            RETURNS TABLE (stage text, entered bigint)
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            AS $$
                SELECT * FROM (
                    SELECT DISTINCT ON (x.s->>0) x.s->>0, salespipe_micros(x.s->>1)
                    FROM json_array_elements(
                        CASE WHEN json_typeof(record->'stays') = 'array'
                        THEN record->'stays' ELSE '[]' END) WITH ORDINALITY AS x(s, n)
                    ORDER BY x.s->>0, x.n DESC) stays  -- of each stage, its last stay
{_WITHOUT_STAYS}
            $$"""

LAST_ENTRIES_OF_KNOWN_STAYS = LAST_ENTRIES_OF_STAYS.replace(_WITHOUT_STAYS, _WITHOUT_STAYS_KNOWN)

# The won deals whose days to the win the other salespipe_last_entries gives otherwise,
# written again (a write recomputes a generated column): only a deal with two stays in a
# row in one stage can differ, which m005's column tells without reading the record
# (CASE: so that the server asks it first; it put the record's function first, 25 s at 1M).
REDO_WON_PATHS = """UPDATE salespipe_deals d SET record = record
        WHERE status = 'won' AND NOT deleted
            AND CASE WHEN EXISTS (SELECT 1 FROM generate_subscripts(d.stay_stages, 1) i
                                  WHERE i > 1 AND d.stay_stages[i] = d.stay_stages[i - 1])
                THEN won_path_entered IS DISTINCT FROM salespipe_won_path_entered(record) END"""


def m008_won_paths(cursor: Cursor) -> None:
    """What ``calibrate`` and ``forecast --method history`` ask of the won deals, as
    generated columns (docs/team.md): each stage of a won deal's path (its stays, a
    stay in the same stage as the one before continuing that visit; a deal without
    stays in its stage) and when the deal last entered it, in microseconds since 1970
    (NULL for a deal not won). The server then gives the days from each stage to the
    win without reading a record (storage/postgres/learning.py). Both columns list the
    stages in one order (by their bytes), so they pair up."""
    cursor.execute(
        f"""
        CREATE FUNCTION {LAST_ENTRIES_OF_VISITS};

        CREATE FUNCTION salespipe_won_path_stages(record json) RETURNS text[]
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            RETURN CASE WHEN record->>'status' = 'won' THEN ARRAY(
                SELECT e.stage FROM salespipe_last_entries(record) e
                ORDER BY e.stage COLLATE "C") END;

        CREATE FUNCTION salespipe_won_path_entered(record json) RETURNS bigint[]
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            RETURN CASE WHEN record->>'status' = 'won' THEN ARRAY(
                SELECT e.entered FROM salespipe_last_entries(record) e
                ORDER BY e.stage COLLATE "C") END;

        ALTER TABLE salespipe_deals
            ADD COLUMN won_path_stages text[]
                GENERATED ALWAYS AS (salespipe_won_path_stages(record)) STORED,
            ADD COLUMN won_path_entered bigint[]
                GENERATED ALWAYS AS (salespipe_won_path_entered(record)) STORED;
        CREATE INDEX salespipe_deals_won_paths ON salespipe_deals (stage)
            INCLUDE (owner, created_micros, closed_micros, won_path_stages, won_path_entered)
            WHERE status = 'won' AND NOT deleted;
        ANALYZE salespipe_deals;
        """
    )


def m009_slips(cursor: Cursor) -> None:
    """What ``slips`` reports, kept by the server as the changes are made (docs/team.md):
    per pipeline the deals are in now, and in it per owner, per stage, per owner and
    stage, and in all, how many deals came there, how many had an expected close there
    and how many had it pushed later; and how many pushes there were of each length in
    days (storage/postgres/slips.py reads them).

    ``salespipe_count_slips()`` brings them up to date with the events recorded since
    it last did (the position it got to is kept): it replays the events of the deals
    those events are of (and of the changes an undo among them takes back) as they were
    before them and as they are, and adds the difference. Every change calls it once,
    before it commits (a copy of 100k deals replays them once, not once a batch). It
    runs as the tables' owner and under the pipeline's lock, so whoever calls it, it
    only ever counts what the events say. The totals are the whole team's: like the
    stays' day totals, only a role that sees every deal reads them."""
    definer = _definer(cursor)
    cursor.execute(
        f"""
        -- pipeline: the one each deal is in now ('' a deal deleted); kind: 'o' an owner
        -- (stage ''), 's' a stage (owner ''), 'p' an owner's deals in a stage, 't' every
        -- deal (both '').
        CREATE TABLE salespipe_slip_groups (
            pipeline text NOT NULL,
            kind "char" NOT NULL,
            owner text NOT NULL,
            stage text NOT NULL,
            deals bigint NOT NULL,
            dated bigint NOT NULL,
            slipped bigint NOT NULL,
            PRIMARY KEY (pipeline, kind, owner, stage)
        );
        CREATE TABLE salespipe_slip_days (
            pipeline text NOT NULL,
            kind "char" NOT NULL,
            owner text NOT NULL,
            stage text NOT NULL,
            days integer NOT NULL,
            slips bigint NOT NULL,
            PRIMARY KEY (pipeline, kind, owner, stage, days)
        );
        -- The events up to this position are counted.
        CREATE TABLE salespipe_slips_counted (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            position bigint NOT NULL
        );
        INSERT INTO salespipe_slips_counted (position) VALUES (0);
        {_SETTERS}
        {count_slips(definer, EVERY_CHANGE)}
        ALTER TABLE salespipe_slip_groups ENABLE ROW LEVEL SECURITY;
        CREATE POLICY salespipe_all_slip_groups ON salespipe_slip_groups
            USING ((SELECT salespipe_sees_all())) WITH CHECK ((SELECT salespipe_sees_all()));
        ALTER TABLE salespipe_slip_days ENABLE ROW LEVEL SECURITY;
        CREATE POLICY salespipe_all_slip_days ON salespipe_slip_days
            USING ((SELECT salespipe_sees_all())) WITH CHECK ((SELECT salespipe_sees_all()));
        """
    )
    fill_slips(cursor)
    cursor.execute("SELECT role FROM salespipe_team")
    for (role,) in cursor.fetchall():
        cursor.execute(
            sql.SQL(
                "GRANT SELECT ON salespipe_slip_groups, salespipe_slip_days,"
                " salespipe_slips_counted TO {}"
            ).format(sql.Identifier(role))
        )


def count_slips(definer: str, counted: str) -> str:
    """The function every change calls to bring the slips up to date (m009), counting
    the changes ``counted`` keeps (:data:`WHILE_OPEN` since m017)."""
    every, before, since = (
        _slip_marks(events, upto, counted)
        for events, upto in (
            ("e.deal_id IS NOT NULL", _ALL),
            ("e.deal_id = ANY(ids)", "first"),
            ("e.deal_id = ANY(ids)", _ALL),
        )
    )
    changes = f"SELECT -1 AS sign, * FROM ({before}) was UNION ALL SELECT 1, * FROM ({since}) now"
    return f"""
CREATE OR REPLACE FUNCTION salespipe_count_slips() RETURNS void
    LANGUAGE plpgsql {definer}
    -- No JIT: a guess of millions of rows for a few would compile for 0.1 s.
    SET work_mem = '256MB' SET jit = off AS $$
DECLARE
    ids bigint[];
    undone bigint[];
    first bigint;
    top bigint;
BEGIN
    PERFORM 1 FROM salespipe_pipeline FOR UPDATE;
    SELECT position + 1 INTO first FROM salespipe_slips_counted FOR UPDATE;
    SELECT max(position) INTO top FROM salespipe_events;
    IF top IS NULL OR top < first THEN
        RETURN;
    END IF;
    IF first = 1 THEN  -- nothing counted yet (a new pipeline, a copy, a demo): every deal
        {_COUNT_SLIPS.format(marks=f"SELECT 1 AS sign, * FROM ({every}) m")};
        UPDATE salespipe_slips_counted SET position = top;
        RETURN;
    END IF;
    -- The changes undone since (an array: a join would guess a scan of every event).
    SELECT coalesce(array_agg(undid), '{{}}') INTO undone FROM salespipe_events
    WHERE position >= first AND undid IS NOT NULL;
    SELECT array_agg(DISTINCT t.deal_id) INTO ids FROM (
        SELECT deal_id FROM salespipe_events
        WHERE position >= first AND deal_id IS NOT NULL
        UNION ALL
        SELECT deal_id FROM salespipe_events
        WHERE change = ANY(undone) AND deal_id IS NOT NULL) t;
    IF ids IS NOT NULL THEN
        {_COUNT_SLIPS.format(marks=changes)};
    END IF;
    UPDATE salespipe_slips_counted SET position = top;
END $$;
"""


def fill_slips(cursor: Cursor) -> None:
    """Count the slips afresh from every event (m009, ``doctor --fix``): from nothing
    counted, the counting function counts every event."""
    cursor.execute(
        f"{_UNCOUNT_SLIPS} SELECT salespipe_count_slips();"
        " ANALYZE salespipe_slip_groups, salespipe_slip_days"
    )


# No slip counted, from no event.
_UNCOUNT_SLIPS = (
    "DELETE FROM salespipe_slip_groups; DELETE FROM salespipe_slip_days;"
    " UPDATE salespipe_slips_counted SET position = 0;"
)


def sees_all(cursor: Cursor) -> bool:
    """Whether the role sees every deal (m002's teams)."""
    cursor.execute("SELECT salespipe_sees_all()")
    found = cursor.fetchone()
    return bool(found and found[0])


def slips_differences(cursor: Cursor) -> tuple[int, int]:
    """How many of the kept slip totals and day counts differ from those counted afresh
    from the events (``doctor``); (0, 0) for a role that does not see every deal."""
    if not sees_all(cursor):
        return 0, 0
    groups = (
        "SELECT pipeline, kind, owner, stage, deals, dated, slipped FROM salespipe_slip_groups"
        " WHERE deals <> 0 OR dated <> 0 OR slipped <> 0"
    )
    days = (
        "SELECT pipeline, kind, owner, stage, days, slips FROM salespipe_slip_days WHERE slips <> 0"
    )
    every = _slip_marks("e.deal_id IS NOT NULL", _ALL, WHILE_OPEN)
    cursor.execute("SET LOCAL work_mem = '256MB'")  # one sort of every event, in memory
    cursor.execute(
        f"WITH marks AS MATERIALIZED (SELECT 1 AS sign, * FROM ({every}) m),"
        f" counted AS MATERIALIZED ({_GROUPS_OF}), counted_days AS MATERIALIZED ({_DAYS_OF})"
        " SELECT (SELECT count(*) FROM ("
        f"  (SELECT * FROM counted EXCEPT ALL {groups})"
        f"  UNION ALL ({groups} EXCEPT ALL SELECT * FROM counted)) d),"
        " (SELECT count(*) FROM ("
        f"  (SELECT * FROM counted_days EXCEPT ALL {days})"
        f"  UNION ALL ({days} EXCEPT ALL SELECT * FROM counted_days)) d)"
    )
    row = cursor.fetchone()
    assert row is not None
    cursor.execute("RESET work_mem")
    return int(row[0]), int(row[1])


# The slips of deals, replayed as reports/slips.py replays their change rows: each
# deal's events in recorded order, without the undone changes and the undos, reading
# only those that make the deal or set its owner, stage, expected close or status. A
# field's value after an event is the one the latest event setting it gave: the
# greatest of the setters' "position, then the value" texts so far (one sort of the
# events, by deal and position, serves every field; "n" marks a JSON null). A row per
# deal, owner and stage the deal came to by the changes ``{counted}`` keeps: whether it
# had an expected close there, and the days of each push later while there; and the
# pipeline the deal is in now, by the stage its events left it in ('' once it is
# deleted), as ``--pipeline`` picks the deals whose history it replays. ``{events}``
# picks the deals; ``{upto}`` keeps the events and undos recorded before a position.
# (Unlike the replay, a removal does not start a deal afresh: no event follows a deal's
# removal that is not undone.)
_SLIP_MARKS = """
    SELECT m.deal_id, CASE WHEN m.gone OR k.key IS NULL THEN '' ELSE k.pipeline END
        AS pipeline, m.owner, m.stage, m.dated, m.slips
    FROM (
    SELECT deal_id, now_in, gone, owner, stage, bool_or(close IS NOT NULL) AS dated,
        coalesce(array_agg(pushed) FILTER (WHERE pushed > 0), '{{}}') AS slips
    FROM (
        SELECT deal_id, now_in, gone, owner, stage, close,
            CASE WHEN NOT added AND has_close AND previous <> '' AND close <> ''
                THEN close::date - previous::date END AS pushed
        FROM (
            SELECT deal_id, added, removed, has_close,
                coalesce(salespipe_set_value(max(set_owner COLLATE "C") OVER w), '') AS owner,
                coalesce(salespipe_set_value(max(set_stage COLLATE "C") OVER w), '') AS stage,
                salespipe_set_value(max(set_close COLLATE "C") OVER w) AS close,
                salespipe_set_value(max(set_status COLLATE "C") OVER w) AS status,
                salespipe_set_value(max(set_close COLLATE "C") OVER (
                    w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) AS previous,
                salespipe_set_value(max(set_stage COLLATE "C") OVER whole) AS now_in,
                bool_or(removed) OVER whole AS gone
            FROM (
                SELECT deal_id, position, added, removed, a ? 'expected_close' AS has_close,
                    salespipe_setter(position, a, 'owner') AS set_owner,
                    salespipe_setter(position, a, 'stage') AS set_stage,
                    salespipe_setter(position, a, 'expected_close') AS set_close,
                    salespipe_setter(position, a, 'status') AS set_status
                FROM (
                    SELECT deal_id, position, r->'after' AS a,
                        coalesce(jsonb_typeof(r->'before'), 'null') = 'null' AS added,
                        coalesce(jsonb_typeof(r->'after'), 'null') = 'null' AS removed
                    FROM (
                        SELECT e.deal_id, e.position, e.record::jsonb AS r
                        FROM salespipe_events e
                        WHERE {events} AND e.type <> 'undo' AND e.position < {upto}
                          AND NOT EXISTS (SELECT 1 FROM salespipe_events u
                              WHERE u.undid = e.change AND u.position < {upto})
                        OFFSET 0  -- each record made jsonb once
                    ) effective
                ) changed
                WHERE removed OR jsonb_typeof(a) = 'object'
                    AND (added OR a ?| ARRAY['owner', 'stage', 'expected_close', 'status'])
                OFFSET 0  -- the sort below carries the setters, not the records
            ) followed
            WINDOW w AS (PARTITION BY deal_id ORDER BY position),
                whole AS (PARTITION BY deal_id)
        ) valued
        WHERE NOT removed AND {counted}
    ) replayed
    GROUP BY deal_id, now_in, gone, owner, stage
    ) m
    LEFT JOIN (
        SELECT s->>'key' AS key, coalesce(s->>'pipeline', '{first_pipeline}') AS pipeline
        FROM salespipe_pipeline p, json_array_elements(p.stages) s
    ) k ON k.key = m.now_in
"""
# What an event sets a field to, as text that sorts by the event's place (NULL if it
# does not set it), and the value back out of the greatest of those texts.
_SETTERS = """
    CREATE FUNCTION salespipe_setter(place bigint, a jsonb, field text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN CASE WHEN a ? field THEN lpad(place::text, 19, '0')
            || coalesce('v' || (a->>field), 'n') END;
    CREATE FUNCTION salespipe_set_value(setter text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN CASE WHEN substr(setter, 20, 1) = 'v' THEN substr(setter, 21) END;
"""
_ALL = "9223372036854775807"
# Which changes count: m009 counted every one; since m017 only those after which the
# deal is open (reports/slips.py CLOSED: a date tidied on a lost deal is no slip).
EVERY_CHANGE = "true"
WHILE_OPEN = "coalesce(status, 'open') NOT IN ('won', 'lost')"


def _slip_marks(events: str, upto: str, counted: str) -> str:
    """The marks of the deals ``events`` picks, by the events recorded before ``upto``,
    of the changes ``counted`` keeps."""
    return _SLIP_MARKS.format(
        events=events, upto=upto, counted=counted, first_pipeline=FIRST_PIPELINE
    )


# The totals of marks (signed) per group: a deal counts once in each group it came to.
_GROUPS_OF = """
    SELECT pipeline, kind, owner, stage, sum(sign) AS deals,
        sum(sign * dated::int) AS dated, sum(sign * slipped::int) AS slipped
    FROM (
        SELECT sign, pipeline, 'p'::"char" AS kind, owner, stage, dated,
            cardinality(slips) > 0 AS slipped FROM marks
        UNION ALL
        SELECT sign, pipeline, 'o', owner, '', bool_or(dated),
            bool_or(cardinality(slips) > 0)
        FROM marks GROUP BY sign, pipeline, deal_id, owner
        UNION ALL
        SELECT sign, pipeline, 's', '', stage, bool_or(dated),
            bool_or(cardinality(slips) > 0)
        FROM marks GROUP BY sign, pipeline, deal_id, stage
        UNION ALL
        SELECT sign, pipeline, 't', '', '', bool_or(dated), bool_or(cardinality(slips) > 0)
        FROM marks GROUP BY sign, pipeline, deal_id
    ) g
    GROUP BY pipeline, kind, owner, stage
"""
_DAYS_OF = """
    SELECT pipeline, kind, owner, stage, days, sum(sign) AS slips
    FROM (
        SELECT sign, pipeline, 'p'::"char" AS kind, owner, stage, unnest(slips) AS days
        FROM marks
        UNION ALL SELECT sign, pipeline, 'o', owner, '', unnest(slips) FROM marks
        UNION ALL SELECT sign, pipeline, 's', '', stage, unnest(slips) FROM marks
        UNION ALL SELECT sign, pipeline, 't', '', '', unnest(slips) FROM marks
    ) d
    GROUP BY pipeline, kind, owner, stage, days
"""
_COUNT_SLIPS = (
    "WITH marks AS MATERIALIZED ({marks}),"
    " grouped AS (INSERT INTO salespipe_slip_groups AS t"
    "  (pipeline, kind, owner, stage, deals, dated, slipped)"
    f"  SELECT * FROM ({_GROUPS_OF}) g WHERE deals <> 0 OR dated <> 0 OR slipped <> 0"
    "  ON CONFLICT (pipeline, kind, owner, stage) DO UPDATE SET"
    "  deals = t.deals + EXCLUDED.deals, dated = t.dated + EXCLUDED.dated,"
    "  slipped = t.slipped + EXCLUDED.slipped)"
    " INSERT INTO salespipe_slip_days AS t (pipeline, kind, owner, stage, days, slips)"
    f" SELECT * FROM ({_DAYS_OF}) d WHERE slips <> 0"
    " ON CONFLICT (pipeline, kind, owner, stage, days)"
    " DO UPDATE SET slips = t.slips + EXCLUDED.slips"
)


def m010_learning_indexes(cursor: Cursor) -> None:
    """Indexes for what the learning reports ask of every deal (storage/postgres/
    learning.py): the walks, read in their order so the server counts each walk as it
    passes instead of hashing every deal's stages, and the won deals by when they
    closed, so the months a forecast shows are read without the lost deals between
    them. Only indexes are built: readers go on meanwhile."""
    cursor.execute(
        """
        CREATE INDEX salespipe_deals_walks ON salespipe_deals (status, stay_stages, stage)
            INCLUDE (owner) WHERE NOT deleted;
        CREATE INDEX salespipe_deals_won_closed ON salespipe_deals (closed_micros)
            INCLUDE (closed_month, currency, value, owner, stage)
            WHERE status = 'won' AND NOT deleted;
        """
    )


def _owned_like_the_tables(cursor: Cursor, *functions: str) -> None:
    """Give ``functions`` (signatures) to the owner of the pipeline's tables: a function
    that runs as its owner must not run as the admin who happened to apply the
    migration (who may leave the team), and ``team add`` hands over only what it finds
    then. Not possible (nor needed) where the tables are some role's own and others
    write them by grants: the functions stay the migrating role's."""
    cursor.execute(
        "SELECT pg_get_userbyid(relowner), pg_has_role(relowner, 'MEMBER') FROM pg_class"
        " WHERE oid = 'salespipe_pipeline'::regclass"
    )
    found = cursor.fetchone()
    assert found is not None
    if not found[1]:  # tables a role owns alone, written by others with grants of theirs
        return
    owner = sql.Identifier(str(found[0]))
    for signature in functions:
        cursor.execute(sql.SQL("ALTER FUNCTION " + signature + " OWNER TO {}").format(owner))


def m011_counters_forward(cursor: Cursor) -> None:
    """The counters of the pipeline row (next deal id, event number, change id) never go
    back to a number in use: reps may update them (every change moves them on), and one
    set back with a SQL client made a teammate's next change fail, or an undo write a
    second event numbered 1 (docs/team.md). A trigger, so it holds for every role,
    the tables' owner too: a counter goes down only to a number no deal, event or undo
    entry holds (``copy --replace`` lowers them after deleting every row), and only for
    a role that may delete events (never a rep or a manager).

    Only a trigger and two functions are made: nothing is read or rewritten."""
    cursor.execute(
        f"""
        -- Whether a deal, event or undo entry holds one of these numbers or a later one;
        -- as the tables' owner, so that row-level security hides none of them.
        CREATE FUNCTION salespipe_numbers_used(deal_id bigint, seq bigint, change bigint)
            RETURNS boolean LANGUAGE sql STABLE {_definer(cursor)}
            AS $$
                SELECT EXISTS (SELECT 1 FROM salespipe_deals d WHERE d.id >= $1)
                    OR EXISTS (SELECT 1 FROM salespipe_events e
                               WHERE e.seq >= $2 OR e.change >= $3)
                    OR EXISTS (SELECT 1 FROM salespipe_undo u WHERE u.change >= $3)
            $$;
        -- As whoever updates the row (its privileges are asked), in this schema.
        CREATE FUNCTION salespipe_counters_forward() RETURNS trigger
            LANGUAGE plpgsql {_fixed_path(cursor)} AS $$
        BEGIN
            IF NEW.next_deal_id >= OLD.next_deal_id AND NEW.next_seq >= OLD.next_seq
                    AND NEW.next_change >= OLD.next_change THEN
                RETURN NEW;
            END IF;
            IF NOT has_table_privilege('salespipe_events', 'DELETE')
                    OR salespipe_numbers_used(NEW.next_deal_id, NEW.next_seq,
                                              NEW.next_change) THEN
                RAISE EXCEPTION 'the counters of the pipeline never go back'
                    USING ERRCODE = 'check_violation',
                    DETAIL = format('next_deal_id %s -> %s, next_seq %s -> %s,'
                        ' next_change %s -> %s', OLD.next_deal_id, NEW.next_deal_id,
                        OLD.next_seq, NEW.next_seq, OLD.next_change, NEW.next_change);
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER salespipe_counters_forward BEFORE UPDATE ON salespipe_pipeline
            FOR EACH ROW EXECUTE FUNCTION salespipe_counters_forward();
        """
    )
    _owned_like_the_tables(
        cursor,
        "salespipe_numbers_used(bigint, bigint, bigint)",
        "salespipe_counters_forward()",
    )


def m012_events_as_self(cursor: Cursor) -> None:
    """Every role but the tables' owner records events as itself only: a rep or a
    manager with a SQL client wrote events whose ``role`` named a colleague, or whose
    record did (``log``, ``show`` and ``watch`` name the author the record holds), and
    ``log`` showed the colleague as their author (docs/team.md, "Who did what").

    A restrictive policy for INSERT: ``role = current_user``; what the record says of
    its author (``who``), deal, type and numbers is what the columns say; and an undo
    event takes back only a change of the role's own (a function reads the events as
    their owner: a policy on the events cannot read them itself). The owner (the admin
    group, a superuser) is not held to it: ``copy`` and a restore carry others' events,
    each by its author, and ``demo`` writes its made-up people's.

    Nothing is read or rewritten: instant at any size."""
    cursor.execute(
        f"""
        -- Whether every event of change ``change`` is by ``who``.
        CREATE FUNCTION salespipe_change_by(change bigint, who text) RETURNS boolean
            LANGUAGE sql STABLE {_definer(cursor)}
            AS $$
                SELECT NOT EXISTS (SELECT 1 FROM salespipe_events e
                                   WHERE e.change = $1 AND e.role <> $2)
            $$;
        CREATE POLICY salespipe_events_as_self ON salespipe_events AS RESTRICTIVE
            FOR INSERT
            WITH CHECK (
                role = current_user::text
                AND coalesce(nullif(record::jsonb->>'who', ''), role) = role
                AND coalesce(record::jsonb->'deal_id', 'null')
                    = coalesce(to_jsonb(deal_id), 'null')
                AND record::jsonb->>'type' = type
                AND record::jsonb->'seq' = to_jsonb(seq)
                AND record::jsonb->'change' = to_jsonb(change)
                AND (undid IS NULL OR salespipe_change_by(undid, current_user::text)));
        """
    )
    _owned_like_the_tables(cursor, "salespipe_change_by(bigint, text)")


def m013_undo_visibility(cursor: Cursor) -> None:
    """Under ``visibility own`` an undo is seen by who may see what it undid: an undo's
    event is of no deal (its ``deal_id`` is NULL), so the m002 policy let every rep see
    a colleague's, and learn that they had won something and taken it back (docs/team.md).
    Now a rep sees an undo of their own, or one of a change that touched a deal they own
    or something of no deal (a stage, a setting), as they see that change; every
    other event as before. A policy on the events cannot read the events itself: a
    function does, as the tables' owner, for the role it is given.

    Only the policy and a function change: instant at any size."""
    cursor.execute(
        f"""
        -- Whether the change ``change`` touched something of no deal or a deal ``who``
        -- owns.
        CREATE FUNCTION salespipe_change_seen(change bigint, who text) RETURNS boolean
            LANGUAGE sql STABLE {_definer(cursor)}
            AS $$
                SELECT EXISTS (SELECT 1 FROM salespipe_events e
                               LEFT JOIN salespipe_deals d ON d.id = e.deal_id
                               WHERE e.change = $1 AND (e.deal_id IS NULL OR d.owner = $2))
            $$;
        ALTER POLICY salespipe_own_events ON salespipe_events
            USING ((SELECT salespipe_sees_all())
                   OR deal_id IS NULL
                      AND (undid IS NULL OR role = current_user::text
                           OR salespipe_change_seen(undid, current_user::text))
                   OR EXISTS (SELECT 1 FROM salespipe_deals d
                              WHERE d.id = salespipe_events.deal_id));
        """
    )
    _owned_like_the_tables(cursor, "salespipe_change_seen(bigint, text)")


def m014_reopen_entries(cursor: Cursor) -> None:
    """A won deal's days to the win count from its last entry into each stage, and a
    reopen into the stage it closed in is one (its stay there starts anew): m008's
    function took the first stay of that visit, so the days the deal lay closed counted
    (docs/forecasting.md; storage/history.py ``days_to_won`` does the same).

    The function is replaced, and only the won deals whose column it changes are written
    again (at 1M deals, 270k of them won, the search for them took 2 s)."""
    cursor.execute(f"CREATE OR REPLACE FUNCTION {LAST_ENTRIES_OF_STAYS}; {REDO_WON_PATHS}")


def m015_kept_backtests(cursor: Cursor) -> None:
    """What ``forecast --backtest`` worked out, kept by whoever replayed it last
    (reports/backtest.py; docs/team.md): what each month start forecast, how those
    forecasts had come out, and a row per deal open at a month start. A kept run names
    the last event it read; it is used while no event before its last month start has
    been written, nor a change with one undone, since, and the deals changed since it
    was kept are counted again as they are now.

    The runs are the whole team's, like the slip totals: only a role that sees every
    deal reads them, and only a manager or an admin keeps them (a rep's run could
    otherwise stand for the team's)."""
    cursor.execute(
        """
        CREATE TABLE salespipe_backtests (
            run bigserial PRIMARY KEY,
            key text NOT NULL UNIQUE,
            position bigint NOT NULL,
            kept json NOT NULL,
            role text NOT NULL DEFAULT current_user
        );
        -- A deal open at one of a run's month starts: the Brier terms of its forecast
        -- if it is won and if it is lost, and its status and what it counted in the
        -- month's won when the run was kept (a deal changed since is counted again).
        CREATE TABLE salespipe_backtest_rows (
            run bigint NOT NULL REFERENCES salespipe_backtests ON DELETE CASCADE,
            month smallint NOT NULL,
            deal_id bigint NOT NULL,
            currency text NOT NULL,
            stage_won float8 NOT NULL,
            history_won float8 NOT NULL,
            stage_lost float8 NOT NULL,
            history_lost float8 NOT NULL,
            status text NOT NULL,
            won numeric
        );
        CREATE INDEX salespipe_backtest_rows_deal ON salespipe_backtest_rows (run, deal_id);

        CREATE FUNCTION salespipe_keeps_reports() RETURNS boolean
            LANGUAGE sql STABLE
        BEGIN ATOMIC
            SELECT EXISTS (
                SELECT 1 FROM salespipe_team t JOIN pg_roles r ON r.rolname = t.role
                WHERE t.kind IN ('manager', 'admin')
                  AND pg_has_role(current_user, r.oid, 'MEMBER'));
        END;

        ALTER TABLE salespipe_backtests ENABLE ROW LEVEL SECURITY;
        CREATE POLICY salespipe_read_backtests ON salespipe_backtests FOR SELECT
            USING ((SELECT salespipe_sees_all()));
        CREATE POLICY salespipe_keep_backtests ON salespipe_backtests FOR INSERT
            WITH CHECK ((SELECT salespipe_keeps_reports()) AND role = current_user::text);
        CREATE POLICY salespipe_drop_backtests ON salespipe_backtests FOR DELETE
            USING ((SELECT salespipe_keeps_reports()));
        ALTER TABLE salespipe_backtest_rows ENABLE ROW LEVEL SECURITY;
        CREATE POLICY salespipe_read_backtest_rows ON salespipe_backtest_rows FOR SELECT
            USING ((SELECT salespipe_sees_all()));
        CREATE POLICY salespipe_keep_backtest_rows ON salespipe_backtest_rows FOR INSERT
            WITH CHECK ((SELECT salespipe_keeps_reports()));
        """
    )
    cursor.execute("SELECT role FROM salespipe_team")
    for (role,) in cursor.fetchall():
        group = sql.Identifier(role)
        for statement in KEEPER_GRANTS:
            cursor.execute(sql.SQL(statement).format(g=group))


# Whether the login asking (session_user: inside a function that runs as the tables'
# owner, current_user is the owner) is the role ``who`` or a member of it. A role that is
# not there is nobody's.
_ASKED_BY = (
    "($2 = session_user::text OR EXISTS (SELECT 1 FROM pg_roles r"
    " WHERE r.rolname = $2 AND pg_has_role(session_user, r.oid, 'MEMBER')))"
)


def m016_ask_of_oneself(cursor: Cursor) -> None:
    """m012's and m013's functions answer only of the one asking: a rep with a SQL client
    called ``salespipe_change_by(c, 'bob')`` and ``salespipe_change_seen(c, 'bob')``
    for every change number, and learnt which changes a colleague made and which touched
    their deals (a team trial). The policies ask only of ``current_user``, so what they
    let through is as before; asked of another role, both now say false.

    Only the two functions are replaced: instant at any size."""
    cursor.execute(
        f"""
        CREATE OR REPLACE FUNCTION salespipe_change_by(change bigint, who text)
            RETURNS boolean LANGUAGE sql STABLE {_definer(cursor)}
            AS $$
                SELECT {_ASKED_BY}
                    AND NOT EXISTS (SELECT 1 FROM salespipe_events e
                                    WHERE e.change = $1 AND e.role <> $2)
            $$;
        CREATE OR REPLACE FUNCTION salespipe_change_seen(change bigint, who text)
            RETURNS boolean LANGUAGE sql STABLE {_definer(cursor)}
            AS $$
                SELECT {_ASKED_BY}
                    AND EXISTS (SELECT 1 FROM salespipe_events e
                                LEFT JOIN salespipe_deals d ON d.id = e.deal_id
                                WHERE e.change = $1 AND (e.deal_id IS NULL OR d.owner = $2))
            $$;
        """
    )


def m017_slips_while_open(cursor: Cursor) -> None:
    """``slips`` counts only the changes after which the deal is open (reports/slips.py):
    a Thai team's trial found 60 of 127 slipped days were close dates tidied on deals
    already lost. m009's counting function is replaced and the slips are counted afresh
    from every event (docs/team.md: as long as m009's first count)."""
    count_slips_by(cursor, WHILE_OPEN)
    fill_slips(cursor)


def count_slips_by(cursor: Cursor, counted: str) -> None:
    """Make (or replace) the function that counts the slips, counting the changes
    ``counted`` keeps (m009, m017)."""
    cursor.execute(count_slips(_definer(cursor), counted))


def m018_stage_unknown(cursor: Cursor) -> None:
    """A deal imported closed without the stage it closed from (``stage_unknown`` in its
    record, and no stay: core/model.py ``pathless``) teaches the learning reports
    nothing about any stage (docs/forecasting.md). m014's function gave such a won deal
    its stage as its path; it now gives none. And an index of those deals, by what the
    walks are grouped by, so the learning reports count them apart from the index alone
    (postgres/learning.py).

    No record written before this release holds ``stage_unknown``: the index, of no
    deal yet, is built by one read of the table (readers go on meanwhile), and the won
    deals' columns are written again only for such deals (none, but where m008 was
    applied again after them, as a test does)."""
    cursor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {LAST_ENTRIES_OF_KNOWN_STAYS};
        CREATE INDEX salespipe_deals_pathless ON salespipe_deals (status, stage)
            INCLUDE (owner, created_micros, closed_micros, currency, value)
            WHERE NOT deleted AND {PATHLESS.replace("d.", "")};
        {REDO_PATHLESS_WON}
        """
    )


# What every group of a team is granted on the kept backtests (the policies above say
# who may read and keep them).
KEEPER_GRANTS = (
    "GRANT SELECT, INSERT, DELETE ON salespipe_backtests, salespipe_backtest_rows TO {g}",
    "GRANT USAGE ON SEQUENCE salespipe_backtests_run_seq TO {g}",
)

MIGRATIONS: tuple[Callable[[Cursor], None], ...] = (
    m001_pipeline,
    m002_team_visibility,
    m003_pipelines,
    m004_open_columns,
    m005_history_columns,
    m006_open_indexes,
    m007_stays,
    m008_won_paths,
    m009_slips,
    m010_learning_indexes,
    m011_counters_forward,
    m012_events_as_self,
    m013_undo_visibility,
    m014_reopen_entries,
    m015_kept_backtests,
    m016_ask_of_oneself,
    m017_slips_while_open,
    m018_stage_unknown,
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
    return recorded([str(name) for (name,) in cursor.fetchall()], where)


def recorded(names: list[str], where: str) -> list[str]:
    """``names``, the migrations a salespipe database records; raises NewerSchema if a
    newer salespipe has migrated it."""
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
        " DELETE FROM salespipe_stages_used; DELETE FROM salespipe_deals;"
        " DELETE FROM salespipe_backtests;"
        f" {_UNCOUNT_SLIPS}"  # those of the events just deleted
    )


def drop(cursor: Cursor) -> None:
    """Remove the pipeline's tables (``demo`` replacing its own pipeline)."""
    cursor.execute(
        "DROP FUNCTION IF EXISTS salespipe_sees_all() CASCADE;"  # and the policies on it
        " DROP FUNCTION IF EXISTS salespipe_keeps_reports() CASCADE;"
        " DROP TABLE IF EXISTS salespipe_backtest_rows, salespipe_backtests,"
        " salespipe_undo, salespipe_events, salespipe_stages_used,"
        " salespipe_stays, salespipe_stay_days, salespipe_slip_groups, salespipe_slip_days,"
        " salespipe_slips_counted,"
        " salespipe_deals, salespipe_pipeline,"
        " salespipe_team,"
        " salespipe_migrations;"
        " DROP SEQUENCE IF EXISTS salespipe_listing_order;"
        " DROP FUNCTION IF EXISTS salespipe_stay_stages(json), salespipe_stay_micros(json),"
        " salespipe_stay_since(json), salespipe_won_path_stages(json),"
        " salespipe_won_path_entered(json), salespipe_last_entries(json), salespipe_micros(text),"
        " salespipe_stays_added(), salespipe_stays_changed(), salespipe_stays_removed(),"
        " salespipe_count_slips(), salespipe_setter(bigint, jsonb, text),"
        " salespipe_set_value(text), salespipe_counters_forward(),"
        " salespipe_numbers_used(bigint, bigint, bigint), salespipe_change_by(bigint, text),"
        " salespipe_change_seen(bigint, text)"
    )
