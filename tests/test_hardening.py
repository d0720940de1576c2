"""Issue 17: private files, safe export targets, symlinked data files, validated backups,
and no traceback from any input. Each test reproduces one finding of the adversarial run
(docs/guarantees.md lists what they guarantee)."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from salespipe.app.pipeline import DealFields, Pipeline

Run = Callable[..., subprocess.CompletedProcess[str]]
Snap = Callable[[], dict[str, bytes]]
EXIT_BUSY = 75
EXIT_OUTPUT_FAILED = 74


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# -- 1. export targets ------------------------------------------------------------------


def test_export_to_a_symlink_writes_its_target_and_keeps_the_link(cli: Any, tmp_path: Path) -> None:
    """-o LINK follows the link: the file it names gets the export, the link stays."""
    assert cli("add", "Alpha").exit_code == 0
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    result = cli("export", "-o", str(link))
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    assert os.readlink(link) == str(real)
    assert "Alpha" in real.read_text()


def test_export_to_a_fifo_streams_into_it_and_keeps_it(cli: Any, tmp_path: Path) -> None:
    """-o FIFO writes in place: the reader gets the CSV and the FIFO is still a FIFO."""
    assert cli("add", "Alpha").exit_code == 0
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = cli("export", "-o", str(fifo))
    reader.join(10)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert b"Alpha" in got[0]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.fifo")]


def test_export_dash_means_stdout(cli: Any, tmp_path: Path, monkeypatch: Any) -> None:
    assert cli("add", "Alpha").exit_code == 0
    monkeypatch.chdir(tmp_path)
    result = cli("export", "-o", "-")
    assert result.exit_code == 0, result.stderr
    assert "Alpha" in result.stdout
    assert not (tmp_path / "-").exists()


def test_export_to_a_non_regular_path_is_written_in_place(cli: Any, run: Run) -> None:
    """-o /proc/self/fd/1 (what /dev/stdout is) writes to the stream, not beside it."""
    assert cli("add", "Alpha").exit_code == 0
    result = run("export", "-o", "/proc/self/fd/1")
    assert result.returncode == 0, result.stderr
    assert "Alpha" in result.stdout


def test_export_to_a_regular_file_still_replaces_it_atomically(cli: Any, tmp_path: Path) -> None:
    assert cli("add", "Alpha").exit_code == 0
    target = tmp_path / "deals.csv"
    target.write_text("old\n")
    inode = target.stat().st_ino
    assert cli("export", "-o", str(target)).exit_code == 0
    assert "Alpha" in target.read_text()
    assert target.stat().st_ino != inode  # a new file renamed over the old one


# -- 2. temp files ----------------------------------------------------------------------


def test_a_planted_export_temp_symlink_is_not_followed(cli: Any, tmp_path: Path) -> None:
    """Someone who can write the folder plants the old predictable temp name as a link
    to a file of the victim's: the export never writes through it."""
    assert cli("add", "Alpha").exit_code == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / f".out.csv.tmp-{os.getpid()}").symlink_to(victim)
    result = cli("export", "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0, result.stderr
    assert victim.read_text() == "precious\n"
    assert "Alpha" in (tmp_path / "out.csv").read_text()


def test_a_planted_store_temp_symlink_is_not_followed(db_path: Path, tmp_path: Path) -> None:
    """The store's own temp files (here the schema backup's) are never opened through a
    link planted at a guessable name."""
    from salespipe.storage.jsonl import files

    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    db_path.parent.mkdir(parents=True)
    for planted in (f".pipeline.json.tmp-{os.getpid()}", f".target.tmp-{os.getpid()}"):
        (db_path.parent / planted).symlink_to(victim)
    files.write_atomically(
        db_path.parent / "target", b"data\n", files.DatabasePaths.for_main(db_path).temp_prefix()
    )
    assert victim.read_text() == "precious\n"
    assert (db_path.parent / "target").read_bytes() == b"data\n"


# -- 3. file modes ----------------------------------------------------------------------


def test_new_files_are_private_and_the_folder_too(cli: Any, db_path: Path, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        assert cli("add", "Alpha").exit_code == 0
        assert cli("won", "1").exit_code == 0  # the closed journal
        assert cli("export", "-o", str(tmp_path / "out.csv")).exit_code == 0
        assert cli("export", "-o", str(tmp_path / "out.json")).exit_code == 0
    finally:
        os.umask(old)
    assert _mode(db_path.parent) == 0o700
    for path in db_path.parent.iterdir():
        assert _mode(path) == 0o600, path.name
    assert {p.name for p in db_path.parent.iterdir()} >= {
        "pipeline.json",
        "pipeline.events.jsonl",
        "pipeline.closed.jsonl",
        "pipeline.lock",
    }
    assert _mode(tmp_path / "out.csv") == 0o600
    assert _mode(tmp_path / "out.json") == 0o600


def test_a_stricter_umask_is_respected(cli: Any, tmp_path: Path) -> None:
    assert cli("add", "Alpha").exit_code == 0
    old = os.umask(0o277)  # not even writable by the owner
    try:
        result = cli("export", "-o", str(tmp_path / "out.csv"))
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.stderr
    assert _mode(tmp_path / "out.csv") == 0o400


def test_a_replaced_file_keeps_its_mode(cli: Any, db_path: Path, tmp_path: Path) -> None:
    """After `chmod 640`, later writes (and a compaction's new journal) keep 0640."""
    from salespipe.storage.jsonl import database

    assert cli("add", "Alpha").exit_code == 0
    for path in db_path.parent.iterdir():
        path.chmod(0o640)
    assert cli("add", "Bravo").exit_code == 0
    assert _mode(db_path) == 0o640
    old = (database.COMPACT_ABOVE, database.COMPACT_LIVE_SHARE)
    database.COMPACT_ABOVE, database.COMPACT_LIVE_SHARE = 0, 2.0
    try:
        assert cli("move", "1", "quoted").exit_code == 0
    finally:
        database.COMPACT_ABOVE, database.COMPACT_LIVE_SHARE = old
    journals = list(db_path.parent.glob("pipeline.open-*.jsonl"))
    assert journals
    assert all(_mode(j) == 0o640 for j in journals)
    assert cli("won", "2").exit_code == 0
    assert _mode(db_path.with_name("pipeline.closed.jsonl")) == 0o640
    export = tmp_path / "out.csv"
    export.write_text("")
    export.chmod(0o604)
    assert cli("export", "-o", str(export)).exit_code == 0
    assert _mode(export) == 0o604


def test_the_schema_backup_is_private(pipeline: Pipeline, db_path: Path) -> None:
    from tests.test_open_journal import _as_schema_one

    pipeline.add("Alpha", DealFields())
    _as_schema_one(db_path)
    pipeline.move(1, "quoted")
    assert _mode(db_path.with_name("pipeline.json.schema1.bak")) == 0o600


# -- 4. CSV formula injection -----------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+2", "-3", "@SUM(A1)", "\tTab", "'quoted"]


def test_csv_cells_that_start_a_formula_are_neutralised(cli: Any) -> None:
    for title in FORMULAS[:4]:
        assert cli("add", "--customer", "=cmd|' /C calc'!A0", "--", title).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(cli("export").stdout)))
    assert [r["title"] for r in rows] == ["'" + t for t in FORMULAS[:4]]
    assert all(r["customer"] == "'=cmd|' /C calc'!A0" for r in rows)
    assert all(r["value"] == "0" for r in rows)


def test_the_salespipe_csv_round_trip_stays_exact(cli: Any, tmp_path: Path) -> None:
    titles = [*FORMULAS[:4], "'quoted", "''twice", "plain"]
    for title in titles:
        assert cli("add", "--", title).exit_code == 0
    export = tmp_path / "deals.csv"
    assert cli("export", "-o", str(export)).exit_code == 0
    other = str(tmp_path / "other.json")
    assert cli("--db", other, "import", str(export)).exit_code == 0
    imported = cli.json("--db", other, "list")
    assert sorted(d["title"] for d in imported) == sorted(titles)


# -- 5. control characters in human output ----------------------------------------------

OSC_TITLE = "\x1b]0;pwned\x07Alpha\rBeta\x9b"


def test_control_characters_are_shown_escaped(cli: Any, pipeline: Pipeline) -> None:
    """Data that holds control characters (from any source) reaches a terminal escaped,
    and --json keeps it exact."""
    pipeline.add("Alpha", DealFields())
    with pipeline.store.transaction(lambda: 1.0, "test", "2026-11-27T10:00:00+07:00") as tx:
        deal = tx.get_deal(1)
        assert deal is not None
        import dataclasses

        tx.save_deals([dataclasses.replace(deal, title=OSC_TITLE)])
    for args in (("list",), ("show", "1"), ("log",)):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
        for control in ("\x1b", "\x07", "\r", "\x9b"):
            assert control not in result.stdout, args
    assert "\\x1b]0;pwned\\x07Alpha\\rBeta" in cli("show", "1").stdout
    assert cli.json("list")[0]["title"] == OSC_TITLE


def test_an_error_echoing_a_file_escapes_control_characters(cli: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("title,stage\nAlpha,\x1b]0;pwned\x07\n")
    result = cli("import", str(bad))
    assert result.exit_code != 0
    assert "\x1b" not in result.stderr
    assert "\x07" not in result.stderr
    assert "\\x1b" in result.stderr


# -- 6. a backup is validated before anything is written --------------------------------


def _backup(cli: Any, tmp_path: Path) -> dict[str, Any]:
    for args in (
        ("add", "Alpha", "-v", "100"),
        ("add", "Bravo"),
        ("move", "1", "quoted"),
        ("won", "2"),
        ("note", "1", "hello"),
        ("stage", "set", "quoted", "--prob", "55"),
    ):
        assert cli(*args).exit_code == 0
    path = tmp_path / "b.json"
    assert cli("export", "-o", str(path)).exit_code == 0
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def _stage_event(document: dict[str, Any]) -> dict[str, Any]:
    """The backup's stage-set event: what an undo of it would put back."""
    event: dict[str, Any] = next(e for e in document["events"] if e["type"] == "stage-set")
    return event


def _export_layout(document: dict[str, Any]) -> str:
    """A backup in the layout export writes (one record a line), read a line at a time."""
    compact = {"separators": (",", ":"), "ensure_ascii": False}
    head = {k: v for k, v in document.items() if k not in ("stages", "deals", "events")}
    text = json.dumps(head, **compact)[:-1]  # type: ignore[arg-type]
    for name in ("stages", "deals", "events"):
        records = ",\n".join(json.dumps(r, **compact) for r in document[name])  # type: ignore[arg-type]
        text += f',\n"{name}":[\n{records}\n]'
    return text + "}\n"


BAD_BACKUPS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("config type", lambda d: d["config"].update(currency=5), "config.currency"),
    ("config key", lambda d: d["config"].update(colour="red"), "config.colour"),
    ("config not an object", lambda d: d.update(config=[1]), "config"),
    ("next_deal_id huge", lambda d: d["meta"].update(next_deal_id=2**70), "meta.next_deal_id"),
    ("next_seq text", lambda d: d["meta"].update(next_seq="9"), "meta.next_seq"),
    ("value huge", lambda d: d["deals"][0].update(value=10**30), "deals[0].value"),
    ("value text", lambda d: d["deals"][0].update(value="abc"), "deals[0].value"),
    ("negative id", lambda d: d["deals"][0].update(id=-4), "deals[0].id"),
    ("duplicate id", lambda d: d["deals"][1].update(id=d["deals"][0]["id"]), "deals[1].id"),
    ("status", lambda d: d["deals"][0].update(status="pending"), "deals[0].status"),
    ("missing stage", lambda d: d["deals"][0].update(stage="nowhere"), "deals[0].stage"),
    ("title type", lambda d: d["deals"][0].update(title=7), "deals[0].title"),
    ("title control", lambda d: d["deals"][0].update(title="a\x1bb"), "deals[0].title"),
    ("bad date", lambda d: d["deals"][0].update(created_at="soon"), "deals[0].created_at"),
    ("tags", lambda d: d["deals"][0].update(tags="vip"), "deals[0].tags"),
    (
        "stage probability",
        lambda d: d["stages"][0].update(probability=300),
        "stages[0].probability",
    ),
    ("stage prior", lambda d: d["stages"][0].update(prior=150), "stages[0].prior"),
    ("stage prior text", lambda d: d["stages"][2].update(prior="x"), "stages[2].prior"),
    ("stage key dup", lambda d: d["stages"][1].update(key=d["stages"][0]["key"]), "stages[1].key"),
    (
        "stage record of an event",
        lambda d: _stage_event(d)["before"]["quoted"].update(prior=150),
        ".before.quoted.prior",
    ),
    ("event type", lambda d: d["events"][0].update(type="explode"), "events[0].type"),
    ("event deal", lambda d: d["events"][0].update(type="move", deal_id=999), "events[0].deal_id"),
    ("event seq", lambda d: d["events"][0].update(seq="x"), "events[0].seq"),
    ("event not object", lambda d: d["events"].__setitem__(0, 5), "events[0]"),
    ("changes", lambda d: d.update(changes="all"), "changes"),
]


@pytest.mark.parametrize(
    ("damage", "where"), [(b[1], b[2]) for b in BAD_BACKUPS], ids=[b[0] for b in BAD_BACKUPS]
)
def test_a_bad_backup_is_refused_naming_the_place_and_writes_nothing(
    cli: Any, tmp_path: Path, damage: Callable[[dict[str, Any]], None], where: str
) -> None:
    document = _backup(cli, tmp_path)
    damage(document)
    path = tmp_path / "bad.json"
    path.write_text(_export_layout(document))  # one layout ...
    pretty = tmp_path / "bad-pretty.json"
    pretty.write_text(json.dumps(document, indent=2))  # ... and the other
    folder = tmp_path / "restored"
    for source in (path, pretty):
        result = cli("--db", str(folder / "p.json"), "import", str(source))
        assert result.exit_code == 1, result.stderr + result.stdout
        assert where in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
        assert not folder.exists() or not [p for p in folder.iterdir() if p.suffix != ".lock"]


def test_a_good_backup_still_restores_exactly(cli: Any, tmp_path: Path) -> None:
    _backup(cli, tmp_path)
    path = tmp_path / "b.json"
    other = str(tmp_path / "r" / "p.json")
    assert cli("--db", other, "import", str(path)).exit_code == 0
    again = tmp_path / "again.json"
    assert cli("--db", other, "export", "-o", str(again)).exit_code == 0
    first, second = json.loads(path.read_text()), json.loads(again.read_text())
    first.pop("exported_at"), second.pop("exported_at")
    assert first == second


# -- 7. a symlinked data file -----------------------------------------------------------


def test_a_symlinked_data_file_works_and_keeps_its_files_beside_the_real_one(
    cli: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    synced = tmp_path / "synced"
    synced.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    link = home / "pipeline.json"
    link.symlink_to(synced / "pipeline.json")  # dangling: the first write creates the target
    monkeypatch.setenv("SALESPIPE_DB", str(link))
    assert cli("add", "Alpha").exit_code == 0
    assert cli("add", "Bravo").exit_code == 0
    assert cli("move", "1", "quoted").exit_code == 0
    assert sorted(d["title"] for d in cli.json("list")) == ["Alpha", "Bravo"]
    assert link.is_symlink()
    assert sorted(p.name for p in home.iterdir()) == ["pipeline.json"]
    assert {"pipeline.json", "pipeline.events.jsonl", "pipeline.lock"} <= {
        p.name for p in synced.iterdir()
    }


# -- 8. the --db path -------------------------------------------------------------------


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_an_empty_db_path_is_refused(cli: Any, monkeypatch: Any, how: str) -> None:
    if how == "flag":
        result = cli("--db", "", "list")
    else:
        monkeypatch.setenv("SALESPIPE_DB", "")
        result = cli("list")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "empty" in result.stderr


@pytest.mark.parametrize("environment", ["server", "file"])
def test_an_empty_db_flag_is_refused_whatever_salespipe_db_names(
    cli: Any, monkeypatch: Any, tmp_path: Path, environment: str
) -> None:
    """--db "" fell through to SALESPIPE_DB when that named a server (and to the demo's
    default file for `demo`): an empty --db is refused the same way everywhere."""
    named = "postgresql://127.0.0.1:1/nowhere" if environment == "server" else "other.json"
    monkeypatch.setenv("SALESPIPE_DB", named)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    monkeypatch.chdir(tmp_path)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    for args in (("--db", "", "list"), ("demo", "--db", ""), ("--db", "", "demo")):
        result = cli(*args)
        assert (result.exit_code, result.stderr) == (
            2,
            "Error: --db is empty; give the path of a data file.\n",
        ), args
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("which", ["folder", "dot"])
def test_a_folder_as_db_leaves_nothing_behind(
    cli: Any, tmp_path: Path, monkeypatch: Any, which: str
) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    target = "." if which == "dot" else str(folder)
    for args in (("add", "Alpha"), ("list",)):
        result = cli("--db", target, *args)
        assert result.exit_code == 4, result.stderr
    assert list(folder.iterdir()) == []
    assert list(tmp_path.glob("*.lock")) == []


def test_a_data_file_that_is_not_a_regular_file_is_refused_before_reading(
    cli: Any, tmp_path: Path
) -> None:
    fifo = tmp_path / "p.json"
    os.mkfifo(fifo)  # opening it for reading would block forever; /dev/zero never ends
    for args in (("list",), ("add", "Alpha")):
        result = cli("--db", str(fifo), *args)
        assert result.exit_code == 4, result.stderr
        assert "not a regular file" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]


# -- 9. output failure after a commit ---------------------------------------------------


def test_a_full_stdout_after_a_commit_says_the_change_was_made(db_path: Path) -> None:
    from tests.conftest import salespipe_command

    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [*salespipe_command(), "add", "Alpha", "-q"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert result.returncode == EXIT_OUTPUT_FAILED
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1  # (beside the note that the data file was created)
    assert "was made" in errors[0]
    assert "deal 1" in errors[0]
    assert [d.title for d in Pipeline.open(db_path).read().open_deals()] == ["Alpha"]


def test_a_closed_stdout_after_a_commit_says_the_change_was_made(db_path: Path) -> None:
    from tests.conftest import salespipe_command

    result = subprocess.run(
        [*salespipe_command(), "move", "1", "quoted"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    assert result.returncode == 4  # no data file yet: an ordinary refusal
    command = " ".join(f"'{c}'" for c in salespipe_command())
    result = subprocess.run(
        ["sh", "-c", f"{command} add Alpha -q >&-"],
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    assert result.returncode == EXIT_OUTPUT_FAILED, result.stderr
    assert "Traceback" not in result.stderr
    assert "was made" in result.stderr
    assert "deal 1" in result.stderr


def _in_a_shell(arguments: str, closing: str) -> subprocess.CompletedProcess[str]:
    """salespipe run by sh with ``closing`` (``<&-``, ``2>&-``): the descriptor is closed,
    not /dev/null, so Python starts with sys.stdin (or sys.stderr) None."""
    import shlex

    from tests.conftest import salespipe_command

    command = " ".join(shlex.quote(word) for word in salespipe_command())
    return subprocess.run(
        ["sh", "-c", f"{command} {arguments} {closing}"],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_delete_with_stdin_closed_is_refused_as_without_a_terminal(
    cli: Any, run: Run, as_json: bool
) -> None:
    """`delete 1 <&-` crashed with a traceback (sys.stdin is None, and None has no
    isatty), and with --json printed nothing on stdout (a trial). It is refused as with
    stdin /dev/null: the same sentence, exit code and JSON error; the deal stays."""
    assert cli("add", "ERP").exit_code == 0
    arguments = "delete 1 --json" if as_json else "delete 1"
    closed = _in_a_shell(arguments, "<&-")
    not_a_terminal = run(*arguments.split())  # stdin /dev/null
    assert closed.stderr == "Error: Deleting deal 1 needs --yes when not run from a terminal.\n"
    assert (closed.returncode, closed.stdout, closed.stderr) == (
        not_a_terminal.returncode,
        not_a_terminal.stdout,
        not_a_terminal.stderr,
    )
    assert closed.returncode == 1
    if as_json:
        assert json.loads(closed.stdout)["error"]["code"] == "not_allowed"
    assert cli("show", "1").exit_code == 0


def test_a_usage_error_with_stderr_closed_keeps_its_exit_code(cli: Any) -> None:
    """With stderr closed (sys.stderr None) the usage error's sentence has nowhere to go,
    but writing it raised AttributeError, and the exit code was 1, not a usage error's 2."""
    assert _in_a_shell("lst", "2>&-").returncode == 2
    assert _in_a_shell("lst", "").returncode == 2


def test_an_interrupt_with_stderr_closed_is_said_nowhere_without_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What an interrupt says goes to stderr; started with stderr closed (None), it raised
    AttributeError in the middle of ending the command."""
    import sys

    from salespipe.cli import interrupted

    monkeypatch.setattr(sys, "stderr", None)
    interrupted.say(False, False)
    interrupted.say_stopped()


def test_a_failed_output_without_a_change_is_reported_plainly(cli: Any) -> None:
    from tests.conftest import salespipe_command

    assert cli("init").exit_code == 0

    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [*salespipe_command(), "stage", "list"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert result.returncode == EXIT_OUTPUT_FAILED
    assert "Traceback" not in result.stderr
    assert "was made" not in result.stderr


# -- 10. busy has its own exit code -----------------------------------------------------


def test_busy_exits_75_and_damaged_stays_4(cli: Any, db_path: Path, run: Run) -> None:
    import fcntl

    assert cli("add", "Existing").exit_code == 0
    assert cli("config", "set", "lock_timeout", "0").exit_code == 0
    fd = os.open(db_path.with_name("pipeline.lock"), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        busy = run("add", "Blocked", "--json")
    finally:
        os.close(fd)
    assert busy.returncode == EXIT_BUSY
    assert json.loads(busy.stdout)["error"]["code"] == "busy"
    db_path.write_text("not json")
    assert run("list").returncode == 4


# -- 11. no traceback from any input ----------------------------------------------------


def test_an_import_value_of_many_digits_is_a_row_problem(cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "big.csv"
    source.write_text("title,value\nAlpha,1234567890123456789012345678\nBravo,5\n")
    result = cli("import", str(source))
    assert result.exit_code == 1
    assert "line 2" in result.stderr
    assert "too large" in result.stderr


@pytest.mark.parametrize("command", [["stage", "add", "Site"], ["stage", "set", "quoted"]])
def test_huge_target_days_are_refused(cli: Any, command: list[str]) -> None:
    result = cli(*command, "--target-days", "99999999999999999999999")
    assert result.exit_code in (1, 2)
    assert "target" in result.stderr.lower()


@pytest.mark.parametrize(
    "args",
    [
        ["move", "1", "\udcff", "--json"],
        ["stage", "disable", "\udc80", "--json"],
        ["note", "1", "\udcff", "--json"],
        ["list", "--stage", "\udcff", "--json"],
    ],
)
def test_invalid_utf8_arguments_with_json_give_a_json_error(cli: Any, args: list[str]) -> None:
    assert cli("add", "Alpha").exit_code == 0
    result = cli(*args)
    assert result.exit_code in (1, 2)
    assert "error" in json.loads(result.stdout)


def test_an_encoding_name_of_invalid_utf8_is_refused_plainly(cli: Any, tmp_path: Path) -> None:
    """Found by bench/stress/fuzz_inputs.py: `import f.csv --encoding $'\\xff'`."""
    source = tmp_path / "a.csv"
    source.write_text("title\nAlpha\n")
    result = cli("import", str(source), "--encoding", "\udcff", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "invalid_value"


def test_utf16_without_a_bom_is_refused_plainly(cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "u16.csv"
    source.write_bytes("title,value\nAlpha,1\n".encode("utf-16-le"))
    result = cli("import", str(source), "--encoding", "utf-16")
    assert result.exit_code == 1
    assert "utf-16" in result.stderr.lower()


META_DAMAGE = [
    ("next_deal_id", "5"),
    ("next_seq", None),
    ("next_change", 1.5),
    ("events_size", -1),
    ("open_size", "x"),
    ("open_generation", True),
    ("config", [1]),
    ("changes", {"a": 1}),
    ("config", {"currency": 5}),
    ("config", {"lock_timeout": "soon"}),
]


@pytest.mark.parametrize(("key", "value"), META_DAMAGE, ids=[f"{k}={v!r}" for k, v in META_DAMAGE])
def test_hand_edited_meta_of_the_wrong_type_is_damage(
    cli: Any, db_path: Path, key: str, value: Any
) -> None:
    assert cli("add", "Alpha").exit_code == 0
    assert cli("won", "1").exit_code == 0
    document = json.loads(db_path.read_text())
    document["_meta"]["1"][key] = value
    db_path.write_text(json.dumps(document))
    for args in (("list",), ("add", "Bravo"), ("forecast",), ("undo",), ("log",)):
        result = cli(*args)
        assert result.exit_code == 4, (args, result.stderr)
        assert "pipeline.json" in result.stderr


STAGE_DAMAGE = [
    ("probability", "10"),
    ("probability", 150),
    ("target_days", "7"),
    ("name", None),
    ("position", True),
    ("enabled", "yes"),
]


@pytest.mark.parametrize(
    ("key", "value"), STAGE_DAMAGE, ids=[f"{k}={v!r}" for k, v in STAGE_DAMAGE]
)
def test_a_hand_edited_stage_of_the_wrong_type_is_damage(
    cli: Any, db_path: Path, key: str, value: Any
) -> None:
    """A stage record edited into other types ended reports in a TypeError traceback."""
    assert cli("add", "Alpha", "--value", "100k").exit_code == 0
    document = json.loads(db_path.read_text())
    document["stages"]["1"][key] = value
    db_path.write_text(json.dumps(document))
    for args in (("list",), ("report",), ("check",), ("stage", "list"), ("move", "1", "2")):
        result = cli(*args)
        assert result.exit_code == 4, (args, result.stderr)
        assert "pipeline.json" in result.stderr


@pytest.mark.postgres
def test_a_stage_edited_with_sql_is_one_sentence(cli: Any, pg_database: str) -> None:
    import psycopg

    assert cli("--db", pg_database, "add", "Alpha").exit_code == 0
    with psycopg.connect(pg_database, autocommit=True) as connection:
        connection.execute(
            "UPDATE salespipe_pipeline SET stages = replace(stages::text,"
            ' \'"probability":10,\', \'"probability":"10",\')::json'
        )
    for args in (("report",), ("add", "Bravo")):
        result = cli("--db", pg_database, *args)
        assert result.exit_code == 4, (args, result.stderr)
        assert "pipeline row holds stages or settings salespipe cannot read" in result.stderr


# -- 12. many stage names ---------------------------------------------------------------


def _stage_file(path: Path, count: int) -> None:
    rows = "".join(f"Deal {i},Stage {i}\n" for i in range(count))
    path.write_text("title,stage\n" + rows)


def test_import_folds_each_stage_name_a_bounded_number_of_times(
    cli: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from salespipe.core import collation

    calls = 0
    real = collation.fold

    def counted(text: str) -> str:
        nonlocal calls
        calls += 1
        return real(text)

    monkeypatch.setattr(collation, "fold", counted)
    source = tmp_path / "many.csv"
    counts = {}
    for size in (100, 400):
        _stage_file(source, size)
        calls = 0
        other = str(tmp_path / f"p{size}.json")
        result = cli("--db", other, "import", str(source), "--create-stages", "--dry-run")
        assert result.exit_code == 0, result.stderr
        counts[size] = calls
    assert counts[400] < 6 * counts[100]  # linear (quadratic would be 16 times)


def test_more_than_500_new_stages_need_asking(cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "many.csv"
    _stage_file(source, 501)
    result = cli("import", str(source), "--create-stages", "--dry-run")
    assert result.exit_code == 1
    assert "501" in result.stderr
    assert "--max-new-stages" in result.stderr
    result = cli("import", str(source), "--create-stages", "--max-new-stages", "600", "--dry-run")
    assert result.exit_code == 0, result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_a_replaced_file_keeps_its_owner(cli: Any, db_path: Path, tmp_path: Path) -> None:
    """Root writing a pipeline (or an export) that belongs to someone else leaves it theirs."""
    assert cli("add", "Alpha").exit_code == 0
    for path in db_path.parent.iterdir():
        os.chown(path, 65534, 65534)
    export = tmp_path / "out.csv"
    export.write_text("")
    os.chown(export, 65534, 65534)
    assert cli("add", "Bravo").exit_code == 0
    assert cli("export", "-o", str(export)).exit_code == 0
    for path in (db_path, export):
        assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534), path


def test_the_terminal_renderer_escapes_control_characters_too() -> None:
    """A terminal gets Rich's drawing of the same layout: data in it is escaped as well."""
    from salespipe.present import render

    table = render.Table([render.Column("Title")], rows=[[OSC_TITLE]])
    drawn = render.terminal([table, render.Fields([("Title", OSC_TITLE)])], 80)
    assert "\x1b]" not in drawn
    assert "\x07" not in drawn
    assert "\\x1b]0;pwned\\x07Alpha\\rBeta" in drawn


def test_a_closed_deals_amount_edited_into_text_is_one_sentence(cli: Any, db_path: Path) -> None:
    """ "value": "x" in the closed journal ended list, show and report in a
    decimal.InvalidOperation traceback; show blamed the open deals' journal."""
    assert cli("add", "Alpha", "--value", "100").exit_code == 0
    assert cli("won", "1").exit_code == 0
    closed = db_path.with_name("pipeline.closed.jsonl")
    closed.write_text(closed.read_text().replace('"value":100', '"value":"x"'))
    for args in (("list", "--status", "all"), ("show", "1"), ("report",), ("winrate",)):
        result = cli(*args)
        assert result.exit_code == 4, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert "pipeline.closed.jsonl" in cli("show", "1").stderr


def test_deal_numbers_stay_where_a_data_file_keeps_them_exactly(cli: Any, db_path: Path) -> None:
    """An imported id of 2^53 + 1 (or 10^23) was taken, or ended in a traceback, and a
    counter pushed past 2^53 made every later command refuse the file as damaged."""
    assert cli("add", "Kept").exit_code == 0
    for big in ("9007199254740992", "99999999999999999999999"):
        sheet = db_path.parent / "big.csv"
        sheet.write_text(f"title,value,id\nBig,5,{big}\n")
        refused = cli("import", str(sheet))
        assert refused.exit_code == 1
        assert "a deal id is a whole number from 1 to 9007199254740991" in refused.stderr
    sheet.write_text("title,value,id\nLast,5,9007199254740991\n")
    assert cli("import", str(sheet)).exit_code == 0
    full = cli("add", "One too many")
    assert full.exit_code == 1
    assert "Deal numbers have run out" in full.stderr
    listed = cli.json("list")
    assert [d["id"] for d in listed] == [1, 9007199254740991]
