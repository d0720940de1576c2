"""``salespipe copy SOURCE TARGET``: the whole pipeline, exactly, between any two
databases, into an empty one or with --replace, and nothing changed when it fails.

"Exactly" is checked as a user would see it: every report's ``--json``, ``show --json``
of every deal and ``undo --list`` read the same on the source and the copy, and ``undo``
then does the same thing on both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import orjson
import pytest

from salespipe.storage.jsonl import DatabasePaths

# Every report a copy must answer as its source does.
REPORTS = [
    ("report",),
    ("report", "--as-of", "2026-10-15"),
    ("forecast",),
    ("chart",),
    ("chart", "--by", "value"),
    ("funnel",),
    ("durations",),
    ("winrate",),
    ("stale",),
    ("check",),
    ("calibrate",),
    ("slips",),
    ("log", "-n", "500"),
    ("list", "--status", "all"),
    ("undo", "--list"),
    ("stage", "list"),
    ("config", "list"),
]


def _meta(main: Path) -> dict[str, Any]:
    meta: dict[str, Any] = orjson.loads(main.read_bytes())["_meta"]["1"]
    return meta


def _on(cli: Any, database: str, *args: str) -> Any:
    result = cli("--db", database, *args)
    assert result.exit_code == 0, result.stderr + result.stdout
    return result


def _read(cli: Any, database: str, *args: str) -> str:
    """A report's exit code (``check`` says 3 when it finds something) and its JSON."""
    result = cli("--db", database, *args, "--json")
    assert result.exit_code in (0, 3), result.stderr + result.stdout
    return f"{result.exit_code} {result.stdout}"


def make_source(cli: Any, database: str) -> None:
    """A demo, then a day with Thai titles, notes, a reopen and undone changes."""
    _on(cli, database, "demo", "--seed", "5", "--deals", "30")
    for command in [
        ("add", "ระบบ ERP สยามฟู้ดส์", "--customer", "สยามฟู้ดส์", "--value", "1.2m"),
        ("note", "31", "โทรนัดแล้ว"),
        ("move", "31", "quoted", "--reason", "ส่งใบเสนอราคา"),
        ("won", "31"),
        ("reopen", "31"),
        ("add", "Undone soon"),
        ("undo",),
        ("note", "2", 'asked for a "discount" on C:\\prices\\2026 \\N'),
        ("config", "set", "lock_timeout", "7"),
    ]:
        _on(cli, database, *command)


def everything(cli: Any, database: str) -> dict[str, str]:
    """What a person can read of a pipeline: every report, and every deal."""
    seen = {" ".join(args): _read(cli, database, *args) for args in REPORTS}
    for deal in cli.json("--db", database, "list", "--status", "all"):
        seen[f"show {deal['id']}"] = _on(cli, database, "show", str(deal["id"]), "--json").stdout
    return seen


def assert_same(cli: Any, source: str, target: str) -> None:
    expected, got = everything(cli, source), everything(cli, target)
    assert list(got) == list(expected)
    for name in expected:
        assert got[name] == expected[name], name


def assert_undo_alike(cli: Any, source: str, target: str) -> None:
    """``undo`` then takes back the same change on both, and leaves them alike."""
    undone = [_on(cli, database, "undo", "--json").stdout for database in (source, target)]
    assert undone[0] == undone[1]
    assert '"undid"' in undone[0] or '"change"' in undone[0]
    assert_same(cli, source, target)


def test_a_file_copied_into_a_new_file_reads_the_same(cli: Any, tmp_path: Path) -> None:
    source, target = str(tmp_path / "a.json"), str(tmp_path / "sub" / "b.json")
    make_source(cli, source)
    result = _on(cli, source, "copy", source, target)
    assert "Copied" in result.stdout
    assert "31 deals" in result.stdout
    assert_same(cli, source, target)
    assert_undo_alike(cli, source, target)


def test_a_copy_in_many_small_batches_reads_the_same(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The source is read a batch ahead of the target (transfer/copying.py): every batch
    arrives, in order, however many there are."""
    from salespipe.transfer import copying

    monkeypatch.setattr(copying, "BATCH", 7)
    source, target = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    make_source(cli, source)
    report = cli.json("copy", source, target)
    assert report["deals"] == 31
    assert report["events"] > 7 * 10
    assert_same(cli, source, target)


def test_a_target_failing_stops_the_reading_ahead(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the target fails, the thread reading the source ahead stops too, and the
    error is the target's."""
    import threading

    from salespipe.storage.jsonl.transaction import Transaction
    from salespipe.transfer import copying

    monkeypatch.setattr(copying, "BATCH", 3)
    source, target = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    make_source(cli, source)

    def refused(self: Any, records: Any) -> None:
        raise RuntimeError("the target's disk is full")

    monkeypatch.setattr(Transaction, "save_records", refused)
    with pytest.raises(RuntimeError, match="disk is full"):
        cli("copy", source, target)
    assert not [t for t in threading.enumerate() if t.name == "salespipe-copy-reader"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("b.")] in ([], ["b.lock"])


def test_a_full_disk_under_copy_replace_names_the_target_not_its_scratch_folder(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error named the private folder the copy is built in before it is moved in
    (".b.json.new-1ecppc2k/b.json"), not the file the user gave (the hostile trial)."""
    import errno

    from salespipe.storage.jsonl import database

    source, target = tmp_path / "a.json", tmp_path / "b.json"
    make_source(cli, str(source))
    assert cli("--db", str(target), "add", "Kept").exit_code == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("b.")}
    real_write = database.write_atomically

    def disk_full_aside(path: Path, *args: Any, **kwargs: Any) -> None:
        if ".new-" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, *args, **kwargs)

    monkeypatch.setattr(database, "write_atomically", disk_full_aside)
    refused = cli("copy", str(source), str(target), "--replace")
    assert refused.exit_code == 4
    assert refused.stderr == (
        f"Error: Cannot write the data file {target}: the disk is full; nothing was changed.\n"
    )
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("b.")}
    assert after == before


def test_the_report_says_what_was_carried(cli: Any, tmp_path: Path) -> None:
    source, target = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    make_source(cli, source)
    report = cli.json("copy", source, target)
    undo_list = cli.json("--db", source, "undo", "--list")
    assert report == {
        "source": source,
        "target": target,
        "replaced": False,
        "stages": 5,
        "deals": 31,
        "events": report["events"],
        "undo": len(undo_list["changes"]) if isinstance(undo_list, dict) else len(undo_list),
        "kept": None,  # nothing replaced, so nothing kept (tests/test_copy_kept.py)
    }
    assert report["events"] == len(cli.json("--db", source, "log", "-n", "100000"))


def test_an_empty_source_or_target_is_named_as_such(cli: Any, tmp_path: Path) -> None:
    """`copy "" x.json` said "--db is empty", an option the user had not given."""
    target = tmp_path / "x.json"
    for args, named in ((("", str(target)), "SOURCE"), ((str(target), " "), "TARGET")):
        refused = cli("copy", *args)
        assert (refused.exit_code, refused.stderr) == (
            2,
            f"Error: {named} is empty; give the path of a data file.\n",
        )
    assert not target.exists()


def test_an_initialised_target_counts_as_empty(cli: Any, tmp_path: Path) -> None:
    source, target = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    make_source(cli, source)
    _on(cli, target, "init", "--currency", "USD")
    _on(cli, source, "copy", source, target)
    assert_same(cli, source, target)


def test_a_target_with_deals_is_refused_and_left_alone(cli: Any, tmp_path: Path) -> None:
    source, target = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    make_source(cli, source)
    _on(cli, target, "add", "Mine")
    before = everything(cli, target)
    files = _files(Path(target))
    result = cli("copy", source, target)
    assert result.exit_code == 1
    assert "already holds deals and their history" in result.stderr
    assert "--replace" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _files(Path(target)) == files
    assert everything(cli, target) == before


def test_replace_puts_the_copy_in_place_of_the_target(cli: Any, tmp_path: Path) -> None:
    source, target = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    make_source(cli, source)
    for n in range(40):  # a longer history than the source's, and a compacted journal
        _on(cli, target, "add", f"Old {n}")
    report = cli.json("copy", source, target, "--replace")
    assert report["replaced"] is True
    assert_same(cli, source, target)
    assert_undo_alike(cli, source, target)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []
    assert len(DatabasePaths.for_main(Path(target)).open_journals()) == 1


def test_replace_moves_the_open_index_and_removes_the_old_one(cli: Any, tmp_path: Path) -> None:
    """The copy's checkpoint, tail and facts take a generation of their own in the
    target's folder; the target's old ones are gone, and the next write appends to the
    new tail."""
    source, target = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    make_source(cli, source)
    for n in range(5):
        _on(cli, target, "add", f"Old {n}")
    cli.json("copy", source, target, "--replace")
    paths = DatabasePaths.for_main(Path(target))
    generation = _meta(Path(target))["open_index_generation"]
    facts = paths.open_facts(generation)
    named = {paths.open_checkpoint(generation), paths.open_tail(generation), facts}
    assert set(paths.open_index_files()) <= named
    assert paths.open_checkpoint(generation).exists()
    assert facts.exists()
    assert cli.json("--db", target, "doctor")["differences"] == []
    _on(cli, target, "note", "31", "after the copy")
    assert cli.json("--db", target, "show", "31")["events"][-1]["text"] == "after the copy"


def test_a_missing_source_is_an_error_and_creates_nothing(cli: Any, tmp_path: Path) -> None:
    result = cli("copy", str(tmp_path / "nope.json"), str(tmp_path / "b.json"))
    assert result.exit_code == 4
    assert not (tmp_path / "b.json").exists()


def test_a_database_is_not_copied_onto_itself(cli: Any, tmp_path: Path) -> None:
    source = str(tmp_path / "a.json")
    make_source(cli, source)
    files = _files(Path(source))
    result = cli("copy", source, source, "--replace")
    assert result.exit_code == 1
    assert "the same database" in result.stderr
    assert _files(Path(source)) == files


@pytest.mark.postgres
def test_a_server_database_is_not_copied_onto_itself_named_another_way(
    cli: Any, tmp_path: Path, pg_database: str
) -> None:
    """The same database named twice (here with a setting added) is one database: the
    copy is refused, however it would have ended."""
    source = str(tmp_path / "a.json")
    make_source(cli, source)
    assert cli("copy", source, pg_database).exit_code == 0
    before = everything(cli, pg_database)
    again = f"{pg_database}{'&' if '?' in pg_database else '?'}application_name=again"
    result = cli("copy", pg_database, again, "--replace")
    assert result.exit_code == 1
    assert "are the same database" in result.stderr
    assert everything(cli, pg_database) == before


def test_a_failed_copy_into_a_file_leaves_nothing(cli: Any, tmp_path: Path) -> None:
    source, target = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    make_source(cli, source)
    with failing_half_way(), pytest.raises(RuntimeError):
        cli("copy", source, target)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("b.")] in ([], ["b.lock"])


def test_a_failed_replace_leaves_the_target_as_it_was(cli: Any, tmp_path: Path) -> None:
    source, target = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    make_source(cli, source)
    _on(cli, target, "add", "Mine")
    before, files = everything(cli, target), _files(Path(target))
    with failing_half_way(), pytest.raises(RuntimeError):
        cli("copy", source, target, "--replace")
    assert _files(Path(target)) == files
    assert everything(cli, target) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_copy_in_thai(cli: Any, tmp_path: Path) -> None:
    source, target = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    make_source(cli, source)
    result = _on(cli, source, "--lang", "th", "copy", source, target)
    assert "คัดลอก" in result.stdout


def test_a_copy_between_files_does_not_load_the_database_driver(cli: Any, tmp_path: Path) -> None:
    """The driver is imported for a PostgreSQL end only (docs/team.md, the driver)."""
    import subprocess
    import sys

    source, target = tmp_path / "a.json", tmp_path / "b.json"
    _on(cli, str(source), "add", "One")
    script = (
        "import os, sys\n"
        "end = os._exit\n"
        "def report(code):\n"
        "    sys.stderr.write(' '.join(sorted(sys.modules)))\n"
        "    sys.stderr.flush()\n"
        "    end(code)\n"
        "os._exit = report\n"
        f"sys.argv = ['salespipe', 'copy', {str(source)!r}, {str(target)!r}]\n"
        "from salespipe.cli.app import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    loaded = set(done.stderr.split())
    assert "salespipe.transfer.copying" in loaded
    assert not {"psycopg", "salespipe.storage.postgres.connection"} & loaded


def test_a_thai_copy_into_a_server_without_the_driver_is_refused_in_thai(
    cli: Any, tmp_path: Path
) -> None:
    """copy speaks its Thai source's language, but said that the PostgreSQL driver is
    missing in English: the target was opened, and refused, before the source's settings
    were read."""
    import subprocess
    import sys

    source = tmp_path / "a.json"
    _on(cli, str(source), "init", "--lang", "th")
    script = (
        "import sys\n"
        "sys.modules['psycopg'] = None  # as if it were not installed\n"
        f"sys.argv = ['salespipe', 'copy', {str(source)!r}, 'postgresql:///sales']\n"
        "from salespipe.cli.app import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 4
    assert done.stderr.startswith("ข้อผิดพลาด: ฐานข้อมูล PostgreSQL ต้องใช้ไดรเวอร์"), done.stderr
    assert "pip install 'salespipe[postgres]'" in done.stderr


def test_a_long_copy_shows_its_progress_on_a_terminal(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from salespipe.cli import output, progress

    source, target = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    make_source(cli, source)
    shown: list[Any] = []
    real = progress.ProgressBar.__call__

    def watched(bar: Any, done: int, total: int) -> None:
        real(bar, done, total)
        shown.append((bar._label, done, total, bar._progress is not None))

    monkeypatch.setattr(progress.ProgressBar, "__call__", watched)
    monkeypatch.setattr(progress, "PROGRESS_FROM_ROWS", 10)
    monkeypatch.setattr(output, "for_terminal", lambda stream=None: True)
    report = cli.json("copy", source, target)
    label, done, total, _running = shown[-1]
    assert label == "Copying"
    assert any(running for *_rest, running in shown)
    assert done == report["deals"] + report["events"] <= total


# -- PostgreSQL ---------------------------------------------------------------------------
@pytest.fixture
def same_person(pg_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Changes made after the copy are by the same person on both: on a server the author
    is the database role (docs/team.md, who did what), on a file the login name."""
    import psycopg

    with psycopg.connect(pg_database) as connection:
        row = connection.execute("SELECT current_user").fetchone()
    assert row is not None
    monkeypatch.setenv("SALESPIPE_USER", str(row[0]))


@pytest.mark.postgres
@pytest.mark.usefixtures("same_person")
@pytest.mark.parametrize("copy_from", [1, 10**9], ids=["by-copy", "by-statement"])
def test_file_to_postgres_to_file(
    cli: Any, tmp_path: Path, pg_database: str, copy_from: int
) -> None:
    """Both ways of sending rows (COPY for many, a statement each for a few) store
    the same."""
    from salespipe.storage.postgres import backend

    source, back = str(tmp_path / "a.json"), str(tmp_path / "back.json")
    make_source(cli, source)
    with mock.patch.object(backend, "COPY_FROM", copy_from):
        _on(cli, source, "copy", source, pg_database)
    assert_same(cli, source, pg_database)
    _on(cli, source, "copy", pg_database, back)
    assert_same(cli, pg_database, back)
    everywhere = (source, pg_database, back)
    undone = [_on(cli, database, "undo", "--json").stdout for database in everywhere]
    assert undone[1:] == undone[:1] * 2
    assert_same(cli, source, pg_database)
    assert_same(cli, source, back)


@pytest.mark.postgres
@pytest.mark.usefixtures("same_person")
def test_postgres_target_with_deals_is_refused_unless_replace(
    cli: Any, tmp_path: Path, pg_database: str
) -> None:
    source = str(tmp_path / "a.json")
    make_source(cli, source)
    _on(cli, pg_database, "add", "Mine")
    before = everything(cli, pg_database)
    result = cli("copy", source, pg_database)
    assert result.exit_code == 1
    assert everything(cli, pg_database) == before
    _on(cli, source, "copy", source, pg_database, "--replace")
    assert_same(cli, source, pg_database)
    assert_undo_alike(cli, source, pg_database)


@pytest.mark.postgres
def test_a_failed_copy_into_postgres_rolls_back(cli: Any, tmp_path: Path, pg_database: str) -> None:
    source = str(tmp_path / "a.json")
    make_source(cli, source)
    _on(cli, pg_database, "add", "Mine")
    before = everything(cli, pg_database)
    with failing_half_way(), pytest.raises(RuntimeError):
        cli("copy", source, pg_database, "--replace")
    assert everything(cli, pg_database) == before


@pytest.mark.postgres
def test_a_password_in_the_target_is_never_shown(
    cli: Any, tmp_path: Path, pg_database: str
) -> None:
    source = str(tmp_path / "a.json")
    make_source(cli, source)
    with_password = pg_database.replace("postgresql://", "postgresql://:s3cret-pw@", 1)
    if with_password == pg_database or "@" not in with_password:
        pytest.skip("the test server's URI cannot take a password")
    result = cli("copy", source, with_password, "--json")
    assert "s3cret-pw" not in result.stdout + result.stderr
    result = cli("copy", with_password, str(tmp_path / "b.json"))
    assert "s3cret-pw" not in result.stdout + result.stderr


# -- helpers ------------------------------------------------------------------------------


def _files(main: Path) -> dict[str, bytes]:
    paths = DatabasePaths.for_main(main)
    return {p.name: p.read_bytes() for p in paths.all_data_files() if p.exists()}


def failing_half_way() -> Any:
    """Make the copy fail half-way through the history (as a lost disk or server would)."""
    from salespipe.transfer import copying

    real = copying.Event
    calls = {"n": 0}

    class Failing:
        @staticmethod
        def from_record(record: Any) -> Any:
            calls["n"] += 1
            if calls["n"] > 40:
                raise RuntimeError("the copy failed half-way")
            return real.from_record(record)

    return mock.patch.object(copying, "Event", Failing)


@pytest.mark.postgres
def test_a_copy_speaks_the_language_its_source_is_set_to(
    cli: Any, tmp_path: Path, pg_database: str
) -> None:
    """Every command on a pipeline set to Thai answers in Thai; copy answered in English
    (a team's trial), from a file and from a server alike."""
    source, target = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    _on(cli, source, "init", "--lang", "th")
    _on(cli, source, "add", "งานแรก", "-q")
    copied = cli("--db", source, "copy", source, target)
    assert copied.exit_code == 0, copied.stderr
    assert copied.stdout.startswith("คัดลอก"), copied.stdout
    assert cli("copy", source, pg_database).exit_code == 0
    again = cli("copy", pg_database, target)
    assert again.exit_code == 1
    assert again.stderr.startswith("ข้อผิดพลาด:"), again.stderr


def test_a_copy_done_stays_done_when_the_warning_after_it_cannot_be_read(
    cli: Any, tmp_path: Path
) -> None:
    """After a copy, salespipe asks the target which deals no rep sees; a target that
    cannot answer then (a connection lost) left a copy that was made and printed with
    exit 4, and with --json a second JSON object: the warning is left unsaid."""
    from salespipe.core.errors import DatabaseUnreachable

    source, target = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    make_source(cli, source)
    lost = DatabaseUnreachable("The connection to the server was lost.")
    with mock.patch("salespipe.app.team.unseen_by_reps", side_effect=lost):
        copied = cli("copy", source, target, "--json")
    assert copied.exit_code == 0, copied.stdout
    assert orjson.loads(copied.stdout)["deals"] == 31
