"""The slips the PostgreSQL server keeps (m009: storage/postgres/slips.py and the
trigger of schema.py) are exactly what replaying the events gives
(reports/slips.py): of every deal and of each owner (written in other cases and
scripts too), after every kind of write (pushes later and earlier, a date cleared and
set again, a push undone, a new owner, a move, a deletion, a copy over it all; a date
tidied on a deal already lost counts nowhere); ``slips`` prints the same on a file and
on its copy in a server; a database made before m009 (or m017) reads the same and its
first write counts them; ``doctor`` finds totals that differ and counts them afresh."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from tests.file_and_server import all_agree, doctor, on, pair_made_once
from tests.migrations_undone import m009_undone, m017_undone

from salespipe.app.pipeline import Pipeline
from salespipe.core.model import stages_in
from salespipe.reports.slips import from_tallies, slips

pytestmark = pytest.mark.postgres

DAY = date(2026, 12, 1)  # the report's date: not what is compared
OWNERS = [None, "alice", "สมชาย", "Bao", "nobody at all"]


def _make(cli: Any, database: str) -> None:
    """A demo (whose history pushes many dates), then deals of owners written in other
    cases and scripts whose expected close goes later, earlier, away and back, across
    a new owner, a move and a second pipeline."""
    on(cli, database, "demo", "--seed", "5", "--deals", "120")
    on(cli, database, "pipeline", "add", "Renewals", "--stages", "copy-of", "Sales")
    ids = []
    for title, *options in [
        ("ต่ออายุ", "--owner", "สมชาย", "--close", "2026-12-20", "-P", "Renewals"),
        ("Later and later", "--owner", "Émilie", "--close", "2026-12-10"),
        ("Cleared", "--owner", "émilie", "--close", "2026-12-12"),
        ("Case one", "--owner", "SOMCHAI", "--close", "2026-12-01"),
        ("Case two", "--owner", "somchai"),
    ]:
        ids.append(on(cli, database, "add", title, "-q", *options).stdout.strip())
    renewal, later, cleared, upper, lower = ids
    for args in [
        ("edit", renewal, "--close", "2027-01-20"),
        ("edit", later, "--close", "2026-12-31"),
        ("move", later, "3"),
        ("edit", later, "--close", "2027-02-01"),
        ("edit", later, "--close", "2027-01-15"),  # earlier: no slip
        ("edit", cleared, "--close", "none"),
        ("edit", cleared, "--close", "2027-03-01"),  # set again: no slip
        ("edit", cleared, "--owner", "alice"),
        ("edit", cleared, "--close", "2027-03-02"),  # alice's push
        ("edit", upper, "--close", "2026-12-24"),
        ("edit", lower, "--close", "2026-12-24"),  # a first date: no slip
        ("edit", lower, "--close", "2027-06-30"),
        ("move", later, "2", "-P", "Renewals"),  # its pushes go with it
        ("edit", later, "--close", "2027-02-20"),
        ("delete", upper, "--yes"),  # in no pipeline now
    ]:
        on(cli, database, *args)


both = pair_made_once(_make)


PIPELINES = [None, "sales", "renewals"]


def _kept_is_replayed(database: str, owners: list[str | None] = OWNERS) -> None:
    """For every owner asked, of every deal and of the deals now in each pipeline: the
    server's totals, as the report reads them, equal the replay of the events it holds
    (of a pipeline, the events of the deals in it now, as `slips --pipeline` replays)."""
    view = Pipeline.open(database).read()
    every = view.stages()
    live = {r["id"]: r["stage"] for r in view.all_records()}
    for pipeline in PIPELINES:
        stages = every if pipeline is None else stages_in(every, pipeline)
        keys = {s.key for s in stages}
        for owner in owners:
            tallies = view.slip_tallies(owner, pipeline)
            assert tallies is not None, (owner, pipeline)
            kept = from_tallies(tallies, stages, as_of=DAY)
            rows = view.change_records()
            if pipeline is not None:
                rows = (r for r in rows if live.get(r[2]) in keys)
            replayed = slips(rows, view.undone_changes(), stages, as_of=DAY, owner=owner)
            assert kept.to_dict() == replayed.to_dict(), (owner, pipeline)


def _same_slips(cli: Any, file: str, server: str) -> None:
    """``slips --json`` prints the same on the server as on the file."""
    assert on(cli, server, "slips", "--json").stdout == on(cli, file, "slips", "--json").stdout


def test_the_servers_slips_are_the_replays(both: tuple[str, str]) -> None:
    _kept_is_replayed(both[1])
    total = Pipeline.open(both[1]).read().slip_tallies(None)
    assert total is not None
    assert total.total.slipped > 20  # the comparison has slips to compare
    assert {t.key for t in total.owners} >= {"Émilie", "émilie", "SOMCHAI", "somchai", "สมชาย"}


@pytest.mark.parametrize("owner", ["Somchai", "ÉMILIE"])
def test_two_owners_that_fold_alike_are_replayed(
    both: tuple[str, str], cli: Any, owner: str
) -> None:
    """SOMCHAI and somchai are one --owner, as are Émilie and émilie: their deals
    together are not kept, so the report replays the events, and prints the same as on
    the file."""
    assert Pipeline.open(both[1]).read().slip_tallies(owner) is None
    file, server = both
    asked = ("slips", "--owner", owner, "--json")
    assert on(cli, server, *asked).stdout == on(cli, file, *asked).stdout


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--owner", "émilie"],
        ["--owner", "nobody"],
        ["-P", "Renewals"],
        ["-P", "Renewals", "--owner", "Émilie"],
        ["-P", "all"],
    ],
)
def test_slips_prints_the_same_on_the_server(
    both: tuple[str, str], cli: Any, options: list[str]
) -> None:
    file, server = both
    for args in (("slips", "--json"), ("slips",), ("--lang", "th", "slips")):
        assert on(cli, server, *args, *options).stdout == on(cli, file, *args, *options).stdout


def test_the_slips_follow_every_kind_of_write(both: tuple[str, str], cli: Any) -> None:
    """Each write (undo too) changes the totals as the replay changes; doctor finds
    nothing after any of them, nor after a copy over it all."""
    file, server = both
    deals = [d["id"] for d in cli.json("--db", server, "list", "--limit", "0")][:4]
    first, second, third, fourth = (str(d) for d in deals)
    for args in [
        ("edit", first, "--close", "2027-05-01"),
        ("edit", first, "--close", "2027-06-01"),
        ("undo",),
        ("edit", second, "--owner", "someone new"),
        ("edit", second, "--close", "2028-01-01"),
        ("move", second, "4"),
        ("edit", second, "--close", "2028-02-01"),
        ("won", second),
        ("delete", third, "--yes"),
        ("undo",),
        ("delete", fourth, "--yes"),
        ("add", "Fresh", "--close", "2027-01-01"),
        ("move", first, "3", "-P", "Renewals"),
        ("edit", first, "--close", "2029-01-01"),
        ("undo",),
        ("undo",),
    ]:
        on(cli, server, *args)
        assert doctor(cli, server)["differences"] == [], args
        _kept_is_replayed(server, [None, "someone new"])
    _kept_is_replayed(server)
    on(cli, server, "copy", file, server, "--replace")
    assert doctor(cli, server) == all_agree(server)
    _kept_is_replayed(server)
    _same_slips(cli, file, server)


def _deal_of(cli: Any, database: str, status: str) -> str:
    """The id of a deal of the demo that is ``status``."""
    found = cli.json("--db", database, "list", "--status", status, "--limit", "1")
    return str(found[0]["id"])


def _total_slips(cli: Any, database: str) -> int:
    return int(cli.json("--db", database, "slips")["total"]["slips"])


def test_only_the_pushes_of_open_deals_count_on_both(both: tuple[str, str], cli: Any) -> None:
    """A date pushed while the deal is open counts; pushed after it is lost or won (a
    date tidied) it does not, nor does a closed deal's new owner; after a reopen it
    counts again; the undo of the loss and of the reopen put the totals back. The
    server's totals follow each write, and print what the file does."""
    file, server = both
    lost, won = _deal_of(cli, file, "lost"), _deal_of(cli, file, "won")
    first = _total_slips(cli, file)
    for *args, slips_since in [
        ("edit", lost, "--close", "2029-03-15", 0),  # lost: tidied
        ("edit", lost, "--owner", "tidier", 0),  # lost: no dated deal of the tidier's
        ("edit", won, "--close", "2029-04-01", 0),  # won: tidied
        ("reopen", lost, 0),
        ("edit", lost, "--close", "2029-04-14", 1),  # open again: a slip
        ("undo", 0),
        ("undo", 0),  # lost again
        ("reopen", won, 0),
        ("lost", won, "--reason", "gone", 0),
        ("edit", won, "--close", "2029-05-01", 0),  # lost: tidied
        ("undo", 0),
        ("undo", 0),  # the loss undone: open
        ("edit", won, "--close", "2029-05-01", 1),  # open: a slip
    ]:
        for database in both:
            on(cli, database, *args)
        assert _total_slips(cli, file) == first + slips_since, args
        assert doctor(cli, server)["differences"] == [], args
        _kept_is_replayed(server, [None, "tidier"])
        _same_slips(cli, file, server)
    owners = cli.json("--db", server, "slips")["owners"]
    assert "tidier" not in [o["key"] for o in owners]


def test_a_database_before_m017_reads_the_same_and_a_write_counts_again(
    both: tuple[str, str], cli: Any
) -> None:
    """m009's totals counted the dates tidied on lost deals: until a write applies m017
    the report replays, and m017 counts the totals afresh by the rule of open deals."""
    import psycopg

    file, server = both
    lost = _deal_of(cli, file, "lost")
    for database in both:
        on(cli, database, "edit", lost, "--close", "2029-03-15")
    kept = "SELECT sum(slips) FROM salespipe_slip_days WHERE kind = 't'"
    with psycopg.connect(server) as connection:
        [(now,)] = connection.execute(kept).fetchall()
    m017_undone(server)
    with psycopg.connect(server) as connection:
        [(before_m017,)] = connection.execute(kept).fetchall()
    assert before_m017 == now + 1  # the tidied date counted as a slip
    assert Pipeline.open(server).read().slip_tallies(None) is None  # replayed meanwhile
    _same_slips(cli, file, server)
    for database in both:
        on(cli, database, "note", lost, "after the upgrade")
    assert Pipeline.open(server).read().slip_tallies(None) is not None
    assert doctor(cli, server) == all_agree(server)
    _kept_is_replayed(server)
    _same_slips(cli, file, server)


def test_a_database_before_m009_reads_the_same_and_a_write_counts_them(
    both: tuple[str, str], cli: Any
) -> None:
    file, server = both
    m009_undone(server)
    assert Pipeline.open(server).read().slip_tallies(None) is None  # replayed meanwhile
    _same_slips(cli, file, server)
    for database in both:
        on(cli, database, "add", "After the upgrade", "-o", "alice", "--close", "2027-01-01")
    assert Pipeline.open(server).read().slip_tallies(None) is not None
    assert doctor(cli, server)["differences"] == []
    _kept_is_replayed(server)
    _same_slips(cli, file, server)


def test_doctor_finds_slips_that_differ_and_counts_them_afresh(
    both: tuple[str, str], cli: Any
) -> None:
    import psycopg

    _, server = both
    with psycopg.connect(server) as connection:
        connection.execute(
            "UPDATE salespipe_slip_groups SET slipped = slipped + 1"
            " WHERE kind = 't' AND pipeline = 'sales';"
            " DELETE FROM salespipe_slip_days WHERE kind = 'o'"
            " AND ctid = (SELECT min(ctid) FROM salespipe_slip_days WHERE kind = 'o')"
        )
    found = doctor(cli, server)
    assert found["differences"] == [
        {"check": "slips", "text": "2 slip totals differ from the events"},
        {"check": "slip days", "text": "1 count of slips by length differs from the events"},
    ]
    thai = cli("--db", server, "--lang", "th", "doctor")
    assert "ไม่ตรงกับเหตุการณ์" in thai.stdout
    fixed = cli("--db", server, "doctor", "--fix")
    assert fixed.exit_code == 0
    assert fixed.stdout.splitlines()[-1] == "Fixed 2 differences: rebuilt from the deals."
    assert doctor(cli, server)["differences"] == []
    _kept_is_replayed(server)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_writes_keep_the_slips(cli: Any, pg_database: str, seed: int) -> None:
    """Sixty writes picked at random (pushes, pulls and clears of dates, new owners,
    moves, closes, reopens, deletions, undos), the totals checked after each."""
    import random

    pick = random.Random(seed)
    owners = ["ann", "Ann", "bo", "ชัย"]
    ids: list[str] = []
    for _ in range(60):
        day = f"2027-{pick.randint(1, 12):02d}-{pick.randint(1, 28):02d}"
        dated = ["--close", day] * pick.randrange(2)
        deal = pick.choice(ids) if ids else None
        choice = pick.randrange(9) if deal else 0
        args = {
            0: ("add", "deal", "-q", "-o", pick.choice(owners), *dated),
            1: ("edit", deal, "--close", day),
            2: ("edit", deal, "--close", day),
            3: ("edit", deal, "--close", "none"),
            4: ("edit", deal, "--owner", pick.choice(owners)),
            5: ("move", deal, str(pick.randint(1, 5))),
            6: (pick.choice(["won", "lost", "reopen"]), deal),
            7: ("delete", deal, "--yes"),
            8: ("undo",),
        }[choice]  # fmt: skip
        result = cli("--db", pg_database, *args)
        if choice == 0:
            ids.append(result.stdout.strip())
        elif choice == 7 and result.exit_code == 0:
            ids.remove(deal)
        _kept_is_replayed(pg_database, [None, "bo", "ชัย", "nobody"])
    assert doctor(cli, pg_database)["differences"] == []
    kept = Pipeline.open(pg_database).read().slip_tallies(None)
    assert kept is not None
    assert kept.total.days  # something was pushed


def test_the_undo_of_an_import_that_made_its_stages_keeps_the_slips(
    cli: Any, pg_database: str, tmp_path: Any
) -> None:
    """The undo took the stages away before the slips were counted: its deals were
    taken off a pipeline of no name (-1 each) and left on Sales, and doctor found 8
    totals that differ."""
    sheet = tmp_path / "deals.csv"
    sheet.write_text(
        "title,value,stage,expected close\nA,1000,Newone,2027-01-10\nB,5,Newone,\n",
        encoding="utf-8",
    )
    on(cli, pg_database, "init")
    on(cli, pg_database, "import", str(sheet), "--create-stages")
    assert doctor(cli, pg_database) == all_agree(pg_database)
    on(cli, pg_database, "undo")
    assert doctor(cli, pg_database) == all_agree(pg_database)
    _kept_is_replayed(pg_database)
