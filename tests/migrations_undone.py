"""PostgreSQL databases as salespipe left them before a migration of
storage/postgres/schema.py: each function takes one migration back out (its columns,
indexes, tables and functions, and its line in ``salespipe_migrations``), so that a
test can show such a database still reads the same and its first write upgrades it."""

from __future__ import annotations


def _undo(database: str, name: str, statements: str) -> None:
    import psycopg
    from psycopg import sql

    undo = sql.SQL(statements + "; DELETE FROM salespipe_migrations WHERE name = {}")
    with psycopg.connect(database) as connection:
        connection.execute(undo.format(sql.Literal(name)))


def m005_undone(database: str) -> None:
    """Before m005, and so before m006, m007 and m010 too, which stand on it (m006's index
    by entry moment uses m005's salespipe_micros; m007's stays come from its columns;
    m010's indexes are on them)."""
    m018_undone(database)
    m010_undone(database)
    m007_undone(database)
    m006_undone(database)
    _undo(
        database,
        "m005_history_columns",
        "DROP INDEX salespipe_deals_closed_totals, salespipe_deals_stays;"
        " ALTER TABLE salespipe_deals DROP COLUMN created_micros,"
        " DROP COLUMN closed_micros, DROP COLUMN closed_month, DROP COLUMN lost_reason,"
        " DROP COLUMN stay_stages, DROP COLUMN stay_micros, DROP COLUMN stay_since;"
        " DROP FUNCTION salespipe_stay_stages(json), salespipe_stay_micros(json),"
        " salespipe_stay_since(json), salespipe_micros(text)",
    )


def m006_undone(database: str) -> None:
    _undo(
        database,
        "m006_open_indexes",
        "DROP INDEX salespipe_deals_open_entered, salespipe_deals_open_quote,"
        " salespipe_deals_open_close",
    )


def m007_undone(database: str) -> None:
    _undo(
        database,
        "m007_stays",
        "DROP TABLE salespipe_stays, salespipe_stay_days;"
        " DROP FUNCTION salespipe_stays_added(), salespipe_stays_changed(),"
        " salespipe_stays_removed() CASCADE",
    )


def m008_undone(database: str) -> None:
    m014_undone(database)
    _undo(
        database,
        "m008_won_paths",
        "DROP INDEX salespipe_deals_won_paths;"
        " ALTER TABLE salespipe_deals DROP COLUMN won_path_stages,"
        " DROP COLUMN won_path_entered;"
        " DROP FUNCTION salespipe_won_path_stages(json), salespipe_won_path_entered(json),"
        " salespipe_last_entries(json)",
    )


def m009_undone(database: str) -> None:
    """Before m009, and so before m017, which replaces its counting function."""
    m017_undone(database)
    _undo(
        database,
        "m009_slips",
        "DROP TABLE salespipe_slip_groups, salespipe_slip_days, salespipe_slips_counted;"
        " DROP FUNCTION salespipe_count_slips();"
        " DROP FUNCTION salespipe_setter(bigint, jsonb, text), salespipe_set_value(text)",
    )


def m010_undone(database: str) -> None:
    _undo(
        database,
        "m010_learning_indexes",
        "DROP INDEX salespipe_deals_walks, salespipe_deals_won_closed",
    )


def m011_undone(database: str) -> None:
    _undo(
        database,
        "m011_counters_forward",
        "DROP TRIGGER salespipe_counters_forward ON salespipe_pipeline;"
        " DROP FUNCTION salespipe_counters_forward(),"
        " salespipe_numbers_used(bigint, bigint, bigint)",
    )


def m012_undone(database: str) -> None:
    _undo(
        database,
        "m012_events_as_self",
        "DROP POLICY salespipe_events_as_self ON salespipe_events;"
        " DROP FUNCTION salespipe_change_by(bigint, text)",
    )


def m013_undone(database: str) -> None:
    _undo(
        database,
        "m013_undo_visibility",
        "ALTER POLICY salespipe_own_events ON salespipe_events"
        " USING ((SELECT salespipe_sees_all()) OR deal_id IS NULL"
        "  OR EXISTS (SELECT 1 FROM salespipe_deals d WHERE d.id = salespipe_events.deal_id));"
        " DROP FUNCTION salespipe_change_seen(bigint, text)",
    )


def m014_undone(database: str) -> None:
    """m008's function back, and the won deals' columns made by it again (before m018
    too, which replaces it again)."""
    from salespipe.storage.postgres.schema import LAST_ENTRIES_OF_VISITS, REDO_WON_PATHS

    m018_undone(database)
    _undo(
        database,
        "m014_reopen_entries",
        f"CREATE OR REPLACE FUNCTION {LAST_ENTRIES_OF_VISITS}; {REDO_WON_PATHS}",
    )


def m015_undone(database: str) -> None:
    _undo(
        database,
        "m015_kept_backtests",
        "DROP TABLE salespipe_backtest_rows, salespipe_backtests;"
        " DROP FUNCTION salespipe_keeps_reports()",
    )


def m016_undone(database: str) -> None:
    """m012's and m013's functions as they were: they answered of any role asked."""
    _undo(
        database,
        "m016_ask_of_oneself",
        "CREATE OR REPLACE FUNCTION salespipe_change_by(change bigint, who text)"
        " RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT NOT EXISTS (SELECT 1 FROM"
        " salespipe_events e WHERE e.change = $1 AND e.role <> $2) $$;"
        " CREATE OR REPLACE FUNCTION salespipe_change_seen(change bigint, who text)"
        " RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT EXISTS (SELECT 1 FROM"
        " salespipe_events e LEFT JOIN salespipe_deals d ON d.id = e.deal_id"
        " WHERE e.change = $1 AND (e.deal_id IS NULL OR d.owner = $2)) $$",
    )


def m017_undone(database: str) -> None:
    """m009's counting function back, and the slips counted afresh by it: the pushes of
    deals already won or lost counted too."""
    import psycopg

    from salespipe.storage.postgres import schema

    with psycopg.connect(database) as connection, connection.cursor() as cursor:
        schema.count_slips_by(cursor, schema.EVERY_CHANGE)
        schema.fill_slips(cursor)
    _undo(database, "m017_slips_while_open", "SELECT")


def m018_undone(database: str) -> None:
    """m014's function back (a won deal of no known stage has its stage as its path),
    the won deals it gives another path written again, and no index of those deals."""
    from salespipe.storage.postgres.schema import LAST_ENTRIES_OF_STAYS, REDO_PATHLESS_WON

    _undo(
        database,
        "m018_stage_unknown",
        # (braces doubled: _undo's statements are a format of psycopg's)
        f"CREATE OR REPLACE FUNCTION {LAST_ENTRIES_OF_STAYS}; {REDO_PATHLESS_WON};"
        " DROP INDEX IF EXISTS salespipe_deals_pathless".replace("{", "{{").replace("}", "}}"),
    )
