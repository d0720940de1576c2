"""The everyday questions answered by the PostgreSQL server (storage/postgres/queries.py)
give exactly the default answers (storage/queries.py) over the same open deals: the
values with cents, probabilities of their own, several currencies, owners written in
other cases and scripts, days that fall due, whole days in a stage at each side of a
day's boundary with times stored at several UTC offsets, every order the server sorts
by, limits, and a rep who sees only their own deals; on a database with the indexes of
m006 (days from the index) and on one from before them (days from the stored text)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from tests.conftest import Cli, PgDatabases, pg_target
from tests.migrations_undone import m006_undone

from salespipe.app.pipeline import Pipeline
from salespipe.storage import queries
from salespipe.storage.queries import OpenWhere

pytestmark = pytest.mark.postgres


def _due(day: str) -> tuple[str, ...]:
    return ("--next", "Call", "--due", day)


DEALS: list[tuple[str, ...]] = [
    ("Whole", "--value", "150k", "--owner", "Somchai", *_due("2026-12-01")),
    ("Cents", "--value", "1234.55", "--prob", "33", "--owner", "somchai"),
    ("Odd cents", "--value", "0.05", "--prob", "50", "--owner", "SOMCHAI", "--stage", "2"),
    ("Thai", "--value", "99.99", "--owner", "สมชาย", "--close", "2026-12-20", "--stage", "2"),
    ("Dollars", "--value", "2500", "--currency", "USD", "--owner", "Émilie", "--stage", "3"),
    ("More dollars", "--value", "7.5", "--currency", "USD", "--owner", "émilie", "--stage", "3"),
    ("Nobody's", "--value", "0", "--stage", "4", *_due("2026-12-05"), "--close", "2027-01-31"),
    ("Late", "--value", "1m", "--prob", "0", "--stage", "5", *_due("2026-11-20")),
    ("Twin day", "--value", "1m", "--prob", "100", "--stage", "5", *_due("2026-11-20")),
]


def _add_the_deals(database: str) -> None:
    cli = Cli()
    for title, *options in DEALS:
        done = cli("--db", database, "add", title, "--at", "2026-10-01", *options)
        assert done.exit_code == 0, done.stderr
    for deal, stage in (("1", "3"), ("4", "4")):
        assert cli("--db", database, "move", deal, stage, "--at", "2026-11-02").exit_code == 0
    assert cli("--db", database, "quote", "5", "--valid-until", "2026-12-09").exit_code == 0


THE_DEALS = "the deals of test_postgres_queries"


@pytest.fixture
def pg_database(pg_server: str, pg_databases: PgDatabases) -> Iterator[str]:
    """A database of this test's own holding the deals of DEALS, for a test that changes
    it: a copy of the one the CLI wrote them into (the same commands at fixed times)."""
    name = pg_databases.copy_of(THE_DEALS, _add_the_deals)
    try:
        yield pg_target(pg_server, name)
    finally:
        pg_databases.dispose(name)


@pytest.fixture
def view(pg_server: str, pg_databases: PgDatabases) -> Any:
    """A read view (a READ ONLY transaction) of the deals of DEALS, for a test that only
    reads them: of one copy this process's readers share, which refuses every write."""
    shared = pg_databases.shared_copy_of(THE_DEALS, _add_the_deals)
    return Pipeline.open(pg_target(pg_server, shared)).read()


WHERES = [
    OpenWhere(),
    OpenWhere(owner="somchai"),
    OpenWhere(owner="ÉMILIE"),
    OpenWhere(owner="สมชาย"),
    OpenWhere(owner="nobody at all"),
    OpenWhere(stages=frozenset({"considering", "quoted"})),
    OpenWhere(owner="Somchai", stages=frozenset({"quoted"})),
    OpenWhere(stages=frozenset()),
    OpenWhere(unplanned=True),
    OpenWhere(owner="SOMCHAI", unplanned=True),
    OpenWhere(stages=frozenset({"quoted", "negotiating"}), unplanned=True),
]


def _name(where: OpenWhere) -> str:
    stages = "-" if where.stages is None else "+".join(sorted(where.stages)) or "none"
    return f"{where.owner or '-'}/{stages}" + ("/unplanned" if where.unplanned else "")


@pytest.mark.parametrize("where", WHERES, ids=_name)
def test_stage_totals_are_the_default_ones_to_the_cent(view: Any, where: OpenWhere) -> None:
    expected = queries.stage_totals(view.open_records(), view.stages(), where)
    got = view.stage_totals(where)
    assert got == expected
    assert [repr(s) for s in got] == [repr(s) for s in expected]  # 0.05 not 0.050


@pytest.mark.parametrize("where", WHERES, ids=_name)
def test_stale_and_due_are_the_default_ones(view: Any, where: OpenWhere) -> None:
    records = view.open_records()
    stages = view.stages()
    start = datetime.fromisoformat("2026-10-01T00:00:00+07:00")
    for days in (0, 13, 14, 15, 31, 32, 33, 60, 400):
        for extra in (timedelta(0), timedelta(hours=23, minutes=59), timedelta(seconds=1)):
            now = start + timedelta(days=days) + extra
            for limit in (None, 0, 1, 3):
                expected = queries.stale_deals(records, stages, now, where, limit)
                assert view.stale_deals(now, where, limit) == expected
    days = (date(2026, 11, 19), date(2026, 11, 20), date(2026, 12, 9), date(2027, 6, 1))
    for what in ("next_action", "close", "quote"):
        for until in days:
            for limit in (None, 0, 1, 3):
                for since in (None, date(2026, 11, 20)):
                    expected = queries.due_by(records, what, until, where, limit, since)
                    assert view.due_by(what, until, where, limit, since) == expected


# When each open deal entered its stage, stored at offsets from UTC-11 to UTC+14 (a
# time's day by its own clock is then a day off its UTC day), at the same moment for
# deals 1 and 9 (ties go by id).
ENTERED = {
    1: "2026-10-20T09:15:00+07:00",
    2: "2026-10-20T23:59:59-11:00",
    3: "2026-10-21T00:00:00+14:00",
    4: "2026-10-14T23:30:01+00:00",
    5: "2026-10-01T00:00:00+05:30",
    6: "2026-09-30T13:00:00-09:00",
    7: "2026-10-27T12:00:00+00:00",
    8: "2026-11-03T08:00:00+07:00",
    9: "2026-10-20T02:15:00+00:00",
}


@pytest.fixture(params=["m006", "before m006"])
def offsets_view(request: Any, pg_server: str, pg_databases: PgDatabases) -> Any:
    """The deals of ``view`` entered at ENTERED, with a stage without target days; with
    the indexes of m006, and without them (one read-only copy of each per process)."""
    import psycopg

    def make(database: str) -> None:
        _add_the_deals(database)
        done = Cli()("--db", database, "stage", "set", "negotiating", "--target-days", "none")
        assert done.exit_code == 0, done.stderr
        with psycopg.connect(database) as connection:
            for deal, entered in ENTERED.items():
                connection.execute(
                    "UPDATE salespipe_deals SET record = jsonb_set(record::jsonb,"
                    " '{stage_entered_at}', to_jsonb(%s::text))::json WHERE id = %s",
                    (entered, deal),
                )
        if request.param == "before m006":
            m006_undone(database)

    shared = pg_databases.shared_copy_of(f"the offsets, {request.param}", make)
    return Pipeline.open(pg_target(pg_server, shared)).read()


def _moments() -> list[datetime]:
    """Each side of the moment every deal has been in its stage for whole days that a
    target may fall on, to the microsecond, and some moments between."""
    found = []
    tiny = timedelta(microseconds=1)
    for entered in ENTERED.values():
        for days in (7, 8, 10, 11, 14, 15, 21, 30, 31):
            edge = datetime.fromisoformat(entered) + timedelta(days=days)
            found += [edge - tiny, edge, edge + tiny]
    start = datetime.fromisoformat("2026-10-20T00:00:00+07:00")
    found += [start + timedelta(days=n, hours=7 * n) for n in range(40)]
    # Deals 1 and 9 entered at the same moment: their edges are asked about once.
    return sorted(set(found))


@pytest.mark.parametrize("where", WHERES, ids=_name)
def test_days_in_a_stage_are_the_default_ones_at_every_boundary(
    offsets_view: Any, where: OpenWhere
) -> None:
    records = offsets_view.open_records()
    stages = offsets_view.stages()
    assert {r["stage_entered_at"] for r in records} == set(ENTERED.values())
    assert [s.target_days for s in stages if s.key == "negotiating"] == [None]
    # The filters are the server's WHERE and the days its SELECT: each boundary is asked
    # of every deal unfiltered and of two stages, and every filter at a fifth of them.
    moments = _moments()
    if where not in (WHERES[0], WHERES[5]):
        moments = moments[::5]
    for now in moments:
        for limit in (None, 0, 2):
            expected = queries.stale_deals(records, stages, now, where, limit)
            assert offsets_view.stale_deals(now, where, limit) == expected, (now, limit)
            for order in ("days", "urgency"):
                expected = queries.open_page(records, stages, where, order, limit, now)
                assert offsets_view.open_page(where, order, limit, now) == expected, (now, order)


@pytest.mark.parametrize("order", queries.ORDERS)
@pytest.mark.parametrize("where", WHERES, ids=_name)
def test_a_page_is_the_default_one(view: Any, where: OpenWhere, order: str) -> None:
    now = datetime.fromisoformat("2026-12-05T09:00:00+07:00")
    for moment in (now, now + timedelta(days=40, hours=5)):
        for limit in (1, 3, 50, None):
            records = view.open_records()
            expected = queries.open_page(records, view.stages(), where, order, limit, moment)
            assert view.open_page(where, order, limit, moment) == expected


def test_the_server_answers_them(view: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The view asks the server, not the default over every open record."""

    def no_records() -> list[Any]:
        raise AssertionError("every open record was read")

    monkeypatch.setattr(view, "open_records", no_records)
    now = datetime.fromisoformat("2026-12-05T09:00:00+07:00")
    assert view.stage_totals(OpenWhere())
    assert view.stale_deals(now, OpenWhere()).records
    assert view.due_by("next_action", now.date(), OpenWhere()).records
    assert view.due_by("next_action", now.date(), OpenWhere(), 1).matched > 1
    for order in queries.ORDERS:
        assert view.open_page(OpenWhere(), order, 2, now).matched == 9


def test_deals_in_a_stage_no_longer_defined_come_last_in_the_stage_order(
    pg_database: str,
) -> None:
    """Deals whose stage is not among the pipeline's (records written elsewhere) sort
    after every defined stage, by id, as the default sorts them, also when the server
    reads only the first of each stage."""
    import psycopg

    with psycopg.connect(pg_database) as connection:
        for deal, stage in ((2, "zz-gone"), (7, "aa-gone"), (3, "aa-gone")):
            connection.execute(
                "UPDATE salespipe_deals SET stage = %(stage)s, record = jsonb_set("
                "record::jsonb, '{stage}', to_jsonb(%(stage)s::text))::json WHERE id = %(id)s",
                {"stage": stage, "id": deal},
            )
    view = Pipeline.open(pg_database).read()
    now = datetime.fromisoformat("2026-12-05T09:00:00+07:00")
    records = view.open_records()
    for where in WHERES:
        for limit in (1, 2, 7, 8, 50, None):
            expected = queries.open_page(records, view.stages(), where, "stage", limit, now)
            assert view.open_page(where, "stage", limit, now) == expected, (where, limit)
    last = view.open_page(OpenWhere(), "stage", 9, now).records[-3:]
    assert [r["id"] for r in last] == [2, 3, 7]  # by id, whichever stage of no position


@pytest.mark.parametrize("where", WHERES[:4], ids=_name)
def test_before_m006_the_answers_are_the_same(pg_database: str, where: OpenWhere) -> None:
    """A database a write has not upgraded to m006 yet is answered without its indexes,
    the same."""
    m006_undone(pg_database)
    before = Pipeline.open(pg_database).read()
    records = before.open_records()
    stages = before.stages()
    now = datetime.fromisoformat("2026-12-05T09:00:00+07:00")
    for moment in (now, now + timedelta(days=40, hours=5)):
        for limit in (None, 1, 3):
            expected = queries.stale_deals(records, stages, moment, where, limit)
            assert before.stale_deals(moment, where, limit) == expected
            for order in queries.ORDERS:
                expected = queries.open_page(records, stages, where, order, limit, moment)
                assert before.open_page(where, order, limit, moment) == expected
        for what in ("next_action", "close", "quote"):
            expected = queries.due_by(records, what, moment.date(), where, 3)
            assert before.due_by(what, moment.date(), where, 3) == expected
