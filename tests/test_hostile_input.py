"""Strange input that ordinary users and scripts give: each test reproduces a finding of
a hostile-input trial (invisible characters, device files, odd environments). Each is
refused in one sentence with nothing changed, or kept as it was given and shown safely."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from salespipe.app import settings
from salespipe.app.pipeline import Pipeline
from salespipe.core.errors import InvalidValue

Snap = Callable[[], dict[str, bytes]]


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("\u200b", "The owner has no character that is shown"),
        ("\u200bBob", "The owner contains a character that is not shown (U+200B)"),
        ("Bob\u00adK", "The owner contains a character that is not shown (U+00AD)"),
        ("Bob\u00a0K", "The owner contains a character that is not shown (U+00A0)"),
        ("a\u202eb", "The owner contains a control character"),
    ],
)
def test_an_owner_with_an_unseen_character_is_refused_and_the_file_still_opens(
    cli: Any, snapshot_files: Snap, name: str, said: str
) -> None:
    """`config set owner` with a zero-width space was kept, and then the data file was
    refused as damaged by every command (list, undo, doctor --fix): locked out."""
    assert cli("add", "A", "-q").exit_code == 0
    before = snapshot_files()
    refused = cli("config", "set", "owner", name)
    assert refused.exit_code == 1
    assert said in refused.stderr
    assert snapshot_files() == before
    assert cli("list").exit_code == 0
    assert cli("config", "set", "owner", "สมชาย ใจดี").exit_code == 0  # a space is shown


def test_no_setting_is_stored_that_the_file_would_refuse(
    cli: Any, pipeline: Pipeline, snapshot_files: Snap, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a setting's own check lets through, a value the data file would be
    refused with is not written."""
    assert cli("add", "A", "-q").exit_code == 0
    monkeypatch.setitem(
        settings.SETTINGS, "owner", settings.Setting("owner", lambda text: text, "any")
    )
    before = snapshot_files()
    with pytest.raises(InvalidValue, match="The setting owner cannot hold"):
        pipeline.set_config("owner", "\u200b")
    assert snapshot_files() == before


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("\udcff", "bytes that are not valid text"),
        ("a\nb", "a control character or line break"),
        ("\x1b[31mEVIL", "a control character or line break"),
        ("x" * 101, "longer than 100 characters"),
    ],
)
def test_a_user_name_from_the_environment_is_checked_as_an_owner(
    cli: Any, snapshot_files: Snap, monkeypatch: pytest.MonkeyPatch, given: str, problem: str
) -> None:
    """SALESPIPE_USER with a stray byte stopped a write with a traceback; one with a line
    break or an escape sequence was recorded as the author of changes."""
    assert cli("add", "A", "-q").exit_code == 0
    before = snapshot_files()
    monkeypatch.setenv("SALESPIPE_USER", given)
    refused = cli("note", "1", "hi")
    assert refused.exit_code == 1
    assert "The environment variable SALESPIPE_USER does not hold a user name" in refused.stderr
    assert problem in refused.stderr
    assert "Traceback" not in refused.stderr
    assert snapshot_files() == before
    assert cli("list").exit_code == 0  # reading needs no author


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_import_of_a_device_is_refused_before_reading_it(
    cli: Any, snapshot_files: Snap, device: str
) -> None:
    """`import /dev/zero` read until the machine ran out of memory (24 GB, then the
    kernel killed it)."""
    assert cli("add", "A", "-q").exit_code == 0
    before = snapshot_files()
    refused = cli("import", device)
    assert refused.exit_code == 1
    assert f"{device} is not a regular file (a device, a pipe or a socket)" in refused.stderr
    assert snapshot_files() == before


def test_import_of_a_pipe_says_to_save_it_to_a_file(cli: Any, tmp_path: Path) -> None:
    """A FIFO waited for ever (an import reads its file twice), and `import <(…)` said the
    file was empty."""
    fifo = tmp_path / "deals.csv"
    os.mkfifo(fifo)
    refused = cli("import", str(fifo))
    assert refused.exit_code == 1
    assert "save what it gives to a file and import that" in refused.stderr
    folder = cli("import", str(tmp_path))
    assert folder.exit_code == 1
    assert "is a folder; name the file to import." in folder.stderr


def test_import_takes_only_the_currencies_the_command_line_takes(cli: Any, tmp_path: Path) -> None:
    """XYZ, abc and XXX were imported (and totalled as currencies of their own), while
    `edit --currency XYZ` is refused as not ISO 4217."""
    sheet = tmp_path / "deals.csv"
    sheet.write_text("title,value,currency\nA,1,XYZ\nB,1,abc\nC,1,XXX\nD,1,usd\n")
    refused = cli("import", str(sheet))
    assert refused.exit_code == 1
    for line, code in ((2, "XYZ"), (3, "abc"), (4, "XXX")):
        assert f'line {line}, column currency "{code}": not a currency' in refused.stderr
    mapped = cli("import", str(sheet), "--skip-invalid")
    assert mapped.exit_code == 0
    assert [d["currency"] for d in cli.json("list")] == ["USD"]
    assert cli("edit", "1", "--currency", "XYZ").exit_code == 1


@pytest.mark.parametrize(
    "command",
    [
        ["add", "\u200b"],
        ["stage", "add", "\u200b"],
        ["pipeline", "add", "\u2060"],
        ["edit", "1", "--owner", "\u200b"],
        ["edit", "1", "--tag", "\ufeff"],
        ["next", "1", "\u200b", "--due", "+3d"],
        ["note", "1", "\u200b \u200b"],
    ],
)
def test_a_name_or_text_of_only_invisible_characters_is_refused(
    cli: Any, snapshot_files: Snap, command: list[str]
) -> None:
    """A zero-width space was taken as a title, a stage, an owner or a tag: a deal titled
    with nothing to see, "Deal 1 moved to ." (spaces alone were already refused)."""
    assert cli("add", "A", "-q").exit_code == 0
    before = snapshot_files()
    refused = cli(*command)
    assert refused.exit_code == 1
    assert "has no character that is shown, only spaces or invisible ones." in refused.stderr
    assert snapshot_files() == before


def test_a_bidirectional_override_is_refused_and_shown_escaped_if_stored(
    cli: Any, tmp_path: Path
) -> None:
    """U+202E in a title turned the rest of a table's row around in a terminal that lays
    out right-to-left text; escape sequences were already refused. One already in the
    data (a backup from before) is shown as an escape."""
    refused = cli("add", "a\u202eRLO")
    assert refused.exit_code == 1
    assert "contains a control character or line break" in refused.stderr
    assert cli("add", "ordinary ข้อความไทย עברית", "-q").exit_code == 0  # RTL script itself is fine
    backup = tmp_path / "backup.json"
    assert cli("export", "--format", "json", "-o", str(backup)).exit_code == 0
    backup.write_text(backup.read_text().replace("ordinary", "a\\u202eRLO"))
    restored = str(tmp_path / "restored.json")
    assert cli("--db", restored, "import", str(backup)).exit_code == 0
    shown = cli("--db", restored, "list").stdout
    assert "a\\u202eRLO" in shown
    assert "\u202e" not in shown


def test_a_reason_or_guide_with_line_breaks_is_said_back_on_one_line(cli: Any) -> None:
    """`lost 2 --reason $'too\\nexpensive'` said "Deal 2 lost: too" and "expensive." on a
    second line; a message in a pipe stays one line. The reason is kept as given."""
    assert cli("add", "A", "-q").exit_code == 0
    lost = cli("lost", "1", "--reason", "too\nexpensive")
    assert lost.stdout == "Deal 1 lost: too expensive.\n"
    assert cli.json("show", "1")["lost_reason"] == "too\nexpensive"
    guided = cli("stage", "set", "quoted", "--guide", "Send it\nthen call")
    assert guided.stdout.count("\n") == 1
    assert "Its guide: Send it then call" in guided.stdout


def test_an_output_encoding_that_cannot_write_the_text_is_said_plainly(run: Any, cli: Any) -> None:
    """PYTHONIOENCODING=ascii gave Python's "'ascii' codec can't encode characters in
    position 82-85: ordinal not in range(128)"."""
    assert cli("add", "ระบบ ERP", "-q").exit_code == 0
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    failed = run("list", env=env)
    assert failed.returncode == 74
    assert "The output cannot be written: its encoding, ascii, cannot write" in failed.stderr
    assert "PYTHONIOENCODING=utf-8" in failed.stderr
    assert "codec" not in failed.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["list", "--status", ""],
        ["list", "--stage", " "],
        ["list", "--tag", ""],
        ["list", "--customer", ""],
        ["list", "--search", ""],
        ["list", "--owner", ""],
        ["chart", "--owner", ""],
        ["watch", "--owner", ""],  # (it followed no deal without a word: a code review)
    ],
)
def test_a_filter_given_empty_is_refused(cli: Any, command: list[str]) -> None:
    """`list --stage "$STAGE"` with STAGE unset listed every deal, and their total, as if
    no filter had been asked for (--owner "" listed none)."""
    assert cli("add", "A", "-q").exit_code == 0
    refused = cli(*command)
    assert refused.exit_code == 1
    assert "was given empty; give a value, or leave the option out." in refused.stderr
    scripted = cli(*command, "--json")  # --json after the option: still a JSON error
    assert scripted.exit_code == 1
    assert json.loads(scripted.stdout)["error"]["code"] == "invalid_value"


def test_tags_that_read_the_same_are_one_tag(cli: Any) -> None:
    """Café typed precomposed and with a combining accent were stored as two tags, and
    --untag took off only the one typed the same way."""
    precomposed, combining = "Caf\u00e9", "Cafe\u0301"
    assert cli("add", "A", "--tag", precomposed, "--tag", combining, "--tag", "ERP").exit_code == 0
    assert cli("edit", "1", "--tag", "erp").exit_code == 0
    assert cli.json("show", "1")["tags"] == [precomposed, "ERP"]
    assert [d["id"] for d in cli.json("list", "--tag", combining)] == [1]
    assert [d["id"] for d in cli.json("list", "--tag", "erp")] == [1]
    assert cli("edit", "1", "--untag", combining).exit_code == 0
    assert cli.json("show", "1")["tags"] == ["ERP"]


def test_a_tag_holding_the_export_separator_is_refused(cli: Any, db_path: Path) -> None:
    """A tag "x;y" came back from an export and import as two tags, x and y."""
    assert cli("add", "A", "--tag", "a,b").exit_code == 0
    before = db_path.read_bytes()
    for args in (("add", "B", "--tag", "x;y"), ("edit", "1", "--tag", "x;y")):
        refused = cli(*args)
        assert (refused.exit_code, refused.stderr) == (
            1,
            'Error: The tag "x;y" contains ";", which separates tags in exports.\n',
        ), args
    assert db_path.read_bytes() == before


def test_a_tag_both_added_and_taken_off_is_refused(cli: Any) -> None:
    """`edit 1 --tag q --untag Q` kept q without a word: the --untag was dropped."""
    assert cli("add", "A", "--tag", "vip").exit_code == 0
    refused = cli("edit", "1", "--tag", "q", "--untag", "Q")
    assert (refused.exit_code, refused.stderr) == (
        1,
        'Error: The tag "q" is given to both --tag and --untag.\n',
    )
    assert cli.json("show", "1")["tags"] == ["vip"]


def test_spaces_around_a_name_are_not_kept(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`add "  padded  "` and `config set owner " Bob "` kept the spaces: a title shown
    out of line, and " Bob " another owner than Bob in the log."""
    monkeypatch.delenv("SALESPIPE_USER")  # (which comes before the setting)
    assert cli("add", "  padded  ", "--customer", "  Siam  ", "-o", " Bob ", "-q").exit_code == 0
    shown = cli.json("show", "1")
    assert (shown["title"], shown["customer"], shown["owner"]) == ("padded", "Siam", "Bob")
    assert cli("config", "set", "owner", " Bob ").exit_code == 0
    assert cli("config", "get", "owner").stdout.strip() == "Bob"


def test_a_file_of_another_program_gets_no_lock_file_beside_it(cli: Any, tmp_path: Path) -> None:
    """`--db package.json add x` was refused but left package.lock beside it; a lock file
    that was there already (composer.lock) is left as it was."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "x", "version": "1.0.0"}')
    (project / "composer.json").write_text("{}")
    (project / "composer.lock").write_text("theirs")
    for name in ("package.json", "composer.json"):
        refused = cli("--db", str(project / name), "add", "x")
        assert refused.exit_code == 4
        assert "is JSON but not a salespipe data file" in refused.stderr
    assert sorted(p.name for p in project.iterdir()) == [
        "composer.json",
        "composer.lock",
        "package.json",
    ]
    assert (project / "composer.lock").read_text() == "theirs"


def test_a_damaged_index_says_doctor_fix_rebuilds_it_not_to_restore_a_backup(
    cli: Any, db_path: Path
) -> None:
    """A cut open-deals index said "Restore it from a backup", which loses every change
    since the backup; the index is derived from the journals, and `doctor --fix`
    rebuilds it with nothing lost."""
    for title in ("A", "B", "C"):
        assert cli("add", title, "-q").exit_code == 0
    index = db_path.with_name("pipeline.open-index-1.json")
    index.write_bytes(index.read_bytes()[: index.stat().st_size // 2])
    refused = cli("list")
    assert refused.exit_code == 4
    assert "`salespipe doctor --fix` rebuilds it from the journals." in refused.stderr
    assert "backup" not in refused.stderr
    assert cli("doctor", "--fix").exit_code == 0
    assert [d["title"] for d in cli.json("list")] == ["A", "B", "C"]
    events = db_path.with_name("pipeline.events.jsonl")  # the history itself: no rebuild
    events.write_bytes(events.read_bytes()[:-20])
    broken = cli("log")
    assert broken.exit_code == 4
    assert "; restore the database from a backup." in broken.stderr


def test_salespipe_s_own_csv_keeps_its_text_exactly_and_is_known_again(
    cli: Any, tmp_path: Path
) -> None:
    """Trimming typed text must not reach the import of salespipe's own CSV: a title kept
    with spaces (from before, or a backup) is given back as it is, and its rows are
    known again (a re-import of an earlier import made duplicates when it trimmed)."""
    sheet = tmp_path / "deals.csv"
    sheet.write_text('title,customer,value,created_at\n" Solar roof ",Siam,5000,2026-11-01\n')
    assert cli("import", str(sheet)).exit_code == 0
    assert cli.json("show", "1")["title"] == " Solar roof "
    again = cli("import", str(sheet))
    assert "nothing new" in again.stdout
    backup = tmp_path / "backup.json"
    assert cli("export", "--format", "json", "-o", str(backup)).exit_code == 0
    restored = str(tmp_path / "restored.json")
    assert cli("--db", restored, "import", str(backup)).exit_code == 0
    exported = tmp_path / "out.csv"
    assert cli("--db", restored, "export", "-o", str(exported)).exit_code == 0
    assert "nothing new" in cli("--db", restored, "import", str(exported)).stdout


def test_an_import_takes_tags_that_read_the_same_as_one(cli: Any, tmp_path: Path) -> None:
    """A cell `ERP;erp` made two tags, where add, edit and list --tag take them as one."""
    sheet = tmp_path / "deals.csv"
    sheet.write_text("title,tags\nA,ERP;erp;Caf\u00e9;Cafe\u0301\n")
    assert cli("import", str(sheet)).exit_code == 0
    assert cli.json("show", "1")["tags"] == ["ERP", "Caf\u00e9"]


@pytest.mark.parametrize("damage", ["checkpoint deleted", "tail deleted", "entry renamed"])
def test_doctor_fix_rebuilds_an_open_index_deleted_or_edited_by_hand(
    cli: Any, db_path: Path, damage: str
) -> None:
    """A deleted index file stopped every command, doctor --fix too, with a message that
    sent the user to doctor --fix again; an entry edited into another shape (its "id"
    renamed) made doctor blame the open-deals journal and advise a backup."""
    for title in ("A", "B", "C", "D"):
        assert cli("add", title, "-q").exit_code == 0
    assert cli("won", "2").exit_code == 0
    checkpoint = db_path.with_name("pipeline.open-index-1.json")
    tail = db_path.with_name("pipeline.open-index-1.tail")
    if damage == "checkpoint deleted":
        checkpoint.unlink()
    elif damage == "tail deleted":
        tail.unlink()
    else:
        checkpoint.write_bytes(checkpoint.read_bytes().replace(b'"id":1', b'"iX":1', 1))
    found = cli("doctor")
    assert found.exit_code == 1
    assert "`salespipe doctor --fix` rebuilds it from the journals." in found.stdout
    assert "backup" not in found.stdout
    assert cli("doctor", "--fix").exit_code == 0
    assert cli("doctor").exit_code == 0
    listed = {d["title"]: d["status"] for d in cli.json("list", "--status", "all")}
    assert listed == {"A": "open", "B": "won", "C": "open", "D": "open"}


def _damage_created_at(journal: Path) -> None:
    """A date in the last record of a journal changed by hand into no date."""
    data = journal.read_bytes()
    at = data.rfind(b'"created_at":"2026-11-') + len(b'"created_at":"2026-11-')
    journal.write_bytes(data[:at] + b"X" + data[at + 1 :])


def test_a_record_changed_by_hand_is_named_not_a_traceback(cli: Any, db_path: Path) -> None:
    """A closed deal's date changed by hand made report end in a Python traceback
    (ValueError: Invalid isoformat string); an open one's made export end in one, and
    export to stdout call it a failed output (exit 74)."""
    for title in ("A", "B", "C"):
        assert cli("add", title, "--at", "2026-11-20", "-q").exit_code == 0
    assert cli("won", "2").exit_code == 0
    _damage_created_at(db_path.with_name("pipeline.closed.jsonl"))
    report = cli("report")
    assert report.exit_code == 4
    assert "The stored record of deal 2 cannot be read" in report.stderr
    _damage_created_at(db_path.with_name("pipeline.open-1.jsonl"))
    for command in (["export", "--format", "csv"], ["export", "--format", "json"]):
        exported = cli(*command)
        assert exported.exit_code == 4, command
        assert "holds data salespipe cannot read" in exported.stderr


def test_the_files_of_a_generation_a_killed_writer_never_committed_are_removed(
    cli: Any, db_path: Path
) -> None:
    """A writer killed while it folded left open-index-2.json and open-facts-2.json
    (megabytes at 2,000 deals) beside a main file that names generation 1; the docs
    say the next change cleans up what a crash leaves, and two changes did not."""
    for title in ("A", "B"):
        assert cli("add", title, "-q").exit_code == 0
    unborn = [
        db_path.with_name(name)
        for name in (
            "pipeline.open-index-2.json",
            "pipeline.open-index-2.tail",
            "pipeline.open-facts-2.json",
            "pipeline.open-2.jsonl",
        )
    ]
    for path in unborn:
        path.write_bytes(b"from a writer killed before its commit")
    assert cli("note", "1", "after the crash").exit_code == 0
    assert [path.name for path in unborn if path.exists()] == []
    assert db_path.with_name("pipeline.open-index-1.json").exists()
    assert db_path.with_name("pipeline.open-1.jsonl").exists()
    assert cli("doctor").exit_code == 0
    assert [d["title"] for d in cli.json("list")] == ["A", "B"]


def test_a_backup_of_a_damaged_history_is_not_written(cli: Any, db_path: Path) -> None:
    """An event line changed by hand was copied into the backup as it was: export said
    it wrote the backup (exit 0), and its restore then refused it."""
    for title in ("A", "B"):
        assert cli("add", title, "-q").exit_code == 0
    events = db_path.with_name("pipeline.events.jsonl")
    data = events.read_bytes()
    at = data.find(b'"who":')
    events.write_bytes(data[:at] + b'"w"o":' + data[at + 6 :])
    backup = db_path.with_name("backup.json")
    refused = cli("export", "--format", "json", "-o", str(backup))
    assert refused.exit_code == 4
    assert "Event 1 of the history cannot be read" in refused.stderr
    assert not backup.exists()


@pytest.mark.parametrize(
    ("name", "remedy"),
    [
        ("pipeline.events.jsonl", "; restore the database from a backup."),
        ("pipeline.open-1.jsonl", "; restore the database from a backup."),
        ("pipeline.changes.jsonl", "; `salespipe doctor --fix` rebuilds it from the journals."),
    ],
)
def test_a_deleted_file_is_said_to_be_missing(
    cli: Any, db_path: Path, name: str, remedy: str
) -> None:
    """A deleted events journal gave "cannot be read: No such file or directory" with
    nothing to do, or, for a write, "shorter than the data file records (0 of 72514
    bytes)"."""
    for title in ("A", "B"):
        assert cli("add", title, "-q").exit_code == 0
    assert cli("move", "1", "quoted").exit_code == 0
    db_path.with_name(name).unlink()
    said = cli("log").stderr + cli("note", "1", "x").stderr + cli("report").stderr
    assert f"The file {db_path.with_name(name)} is missing{remedy}\n" in said  # one sentence
    assert "shorter than" not in said


def test_a_main_file_copied_alone_says_its_files_go_together(
    cli: Any, db_path: Path, tmp_path: Path
) -> None:
    """Only pipeline.json copied to another machine: every command said the open-deals
    journal was missing and to restore from a backup (a trial). Now one sentence says
    the journals are missing and that the pipeline.* files go together, in the file's
    language, by reads and writes alike; once they are all there, it reads."""
    assert cli("init", "--lang", "th").exit_code == 0
    assert cli("add", "ดีล", "-q").exit_code == 0
    moved = tmp_path / "mv1" / "pipeline.json"
    moved.parent.mkdir()
    moved.write_bytes(db_path.read_bytes())
    for command in (["list"], ["add", "x"], ["report"], ["log"]):
        said = cli("--lang", "en", "--db", str(moved), *command)
        assert said.exit_code == 4, command
        assert said.stderr == (
            f"Error: The data file {moved} is here without its journals "
            "(pipeline.open-1.jsonl is missing): all its pipeline.* files belong together, "
            "so copy or move them together, or move the pipeline with `salespipe copy` or "
            "`salespipe export --format json`.\n"
        ), command
    thai = cli("--db", str(moved), "list", "--json")
    assert "ไฟล์ pipeline.* ทั้งหมดต้องอยู่ด้วยกัน" in json.loads(thai.stdout)["error"]["message"]
    for path in db_path.parent.glob("pipeline.*"):
        moved.with_name(path.name).write_bytes(path.read_bytes())
    assert cli("--db", str(moved), "list", "--json").exit_code == 0


@pytest.mark.parametrize("name", ["deals", ".deals.json", "team.deals.json"])
def test_a_main_file_copied_alone_is_known_by_any_name(cli: Any, tmp_path: Path, name: str) -> None:
    """A data file named without .json, or hidden (a dot first: ~/.deals.json), copied
    alone is said to be without its journals as pipeline.json is; the hidden one was
    told to be restored from a backup (a trial). Nothing is written beside it."""
    made = tmp_path / "made" / name
    assert cli("--db", str(made), "add", "A", "-q").exit_code == 0
    moved = tmp_path / "moved" / name
    moved.parent.mkdir()
    moved.write_bytes(made.read_bytes())
    said = cli("--db", str(moved), "list")
    assert said.exit_code == 4
    stem = name.removesuffix(".json")
    assert said.stderr.startswith(
        f"Error: The data file {moved} is here without its journals "
        f"({stem}.open-1.jsonl is missing): all its {stem}.* files belong together"
    ), said.stderr
    assert [path.name for path in moved.parent.iterdir()] == [name]


def test_a_journal_cut_short_is_said_with_its_size(cli: Any, db_path: Path) -> None:
    """An open-deals journal emptied by hand was said to hold 12483 of its 52803 bytes
    (where the read stopped), by one command, and 0 by another."""
    for title in ("A", "B", "C"):
        assert cli("add", title, "-q").exit_code == 0
    journal = db_path.with_name("pipeline.open-1.jsonl")
    size = journal.stat().st_size
    journal.write_bytes(b"")
    for command in (["list"], ["show", "3"], ["report"]):
        said = cli(*command)
        assert said.exit_code == 4, command
        assert f"(0 of {size} bytes)" in said.stderr, command


def test_older_journals_under_a_newer_main_file_are_said_alike_by_writes(
    cli: Any, db_path: Path
) -> None:
    """Journals put back from an older copy under the newer main file: reads said they
    were shorter than the data file records (restore from a backup), a write said its
    indexes did not match and `doctor --fix` rebuilt them, which doctor then refused to
    do (the hostile trial)."""
    for title in ("A", "B"):
        assert cli("add", title, "-q").exit_code == 0
    journals = {
        p: p.read_bytes() for p in db_path.parent.glob("pipeline.*.*") if p.suffix != ".lock"
    }
    assert cli("add", "C", "-q").exit_code == 0
    for path, data in journals.items():
        path.write_bytes(data)
    before = {p.name: p.read_bytes() for p in db_path.parent.iterdir()}
    events = db_path.with_name("pipeline.events.jsonl")
    for command in (["list"], ["add", "D"], ["doctor"], ["doctor", "--fix"]):
        said = cli(*command)
        assert said.exit_code == 4, command
        assert f"{events} is shorter than the data file records" in said.stderr, command
    assert {p.name: p.read_bytes() for p in db_path.parent.iterdir()} == before


def test_a_record_changed_by_hand_is_found_and_not_blessed_by_fix(cli: Any, db_path: Path) -> None:
    """A value changed by hand in the open-deals journal went unseen by every command
    and by doctor, and doctor --fix rebuilt the open deals' columns from it and then
    said all agreed. Now doctor finds the deal whose record its history disagrees
    with, and --fix, which cannot tell which of the two was changed, still says so."""
    assert cli("add", "A", "--value", "260500", "-q").exit_code == 0
    assert cli("add", "B", "-q").exit_code == 0
    journal = db_path.with_name("pipeline.open-1.jsonl")
    journal.write_bytes(journal.read_bytes().replace(b"260500", b"960500", 1))
    found = cli("doctor")
    assert found.exit_code == 1
    assert "deal 1: its record and its history disagree on value" in found.stdout
    assert "no rebuild mends" in found.stdout
    fixed = cli("doctor", "--fix")
    assert fixed.exit_code == 1
    assert "deal 1: its record and its history disagree on value" in fixed.stdout
    report = json.loads(cli("doctor", "--json").stdout)
    assert report["cannot_fix"] == [
        {
            "check": "deals and their history",
            "text": "deal 1: its record and its history disagree on value",
        }
    ]


@pytest.mark.parametrize("args", [("/a", "x", "list"), ("+b", "c", "d")])
def test_a_command_name_that_looks_like_an_option_is_a_usage_error(
    cli: Any, args: tuple[str, ...]
) -> None:
    """`salespipe /a x list` (a path where a command goes) ended in a RecursionError
    traceback: Click's second look at a bad command name re-entered the repeated-option
    check, which looked the name up again."""
    result = cli(*args)
    assert result.exit_code == 2
    assert f"No such command '{args[0]}'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not isinstance(result.exception, RecursionError)


def test_log_says_when_it_shows_only_the_newest_events(cli: Any) -> None:
    """`log --json` stopped at 50 events without a word. It still shows the newest 50
    (every event of a large history took gigabytes), and says so on stderr."""
    for number in range(30):
        assert cli("add", f"Deal {number}", "-q").exit_code == 0
        assert cli("note", str(number + 1), "called").exit_code == 0
    cut = cli("log", "--json")
    assert len(json.loads(cut.stdout)) == 50
    assert "the newest 50 events — --limit 0 for all" in cut.stderr
    assert len(cli.json("log", "--limit", "0")) == 60
    assert "--limit 0 for all" not in cli("log", "--limit", "5").stderr
    shown = cli("log")
    assert shown.stdout.count("called") == 25
    assert "the newest 50 events" in shown.stderr


@pytest.mark.file_only
def test_a_key_added_by_hand_beside_the_main_files_records_is_refused(
    cli: Any, db_path: Path, snapshot_files: Snap
) -> None:
    """`_meta.next_deal_id = "abc"` beside the real `_meta["1"]`: reads went on, doctor
    said all agreed, and every change ended in a ValueError traceback inside TinyDB."""
    assert cli("add", "Roof").exit_code == 0
    document = json.loads(db_path.read_text(encoding="utf-8"))
    document["_meta"]["next_deal_id"] = "abc"
    db_path.write_text(json.dumps(document), encoding="utf-8")
    before = snapshot_files()
    for args in (("add", "Door"), ("list",), ("doctor",)):
        result = cli(*args)
        assert result.exit_code == 4, args
        assert "holds a wrong value at _meta.next_deal_id" in result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert snapshot_files() == before


@pytest.mark.file_only
@pytest.mark.parametrize("journal", ["events.jsonl", "closed.jsonl", "open-1.jsonl"])
def test_a_journal_cut_short_stops_the_reports_that_do_not_read_it(
    cli: Any, db_path: Path, journal: str
) -> None:
    """`check`, `stale`, `agenda` and `chart` answer from the derived files: with a
    journal cut short they said "Nothing to act on" (exit 0), so a cron job alerting on
    exit 4 never heard of the damage."""
    for title in ("Roof", "Door"):
        assert cli("add", title).exit_code == 0
    assert cli("lost", "2", "--reason", "price").exit_code == 0
    path = db_path.with_name(f"{db_path.stem}.{journal}")
    with path.open("r+b") as cut:
        cut.truncate(20)
    for command in ("check", "stale", "agenda", "chart"):
        result = cli(command)
        assert result.exit_code == 4, command
        assert f"{path} is shorter than the data file records (20 of" in result.stderr


@pytest.mark.file_only
def test_a_journal_moved_in_by_a_copy_before_its_main_file_is_read_again(
    cli: Any, db_path: Path, tmp_path: Path
) -> None:
    """`copy --replace` moves its journals in just before its main file: a reader in
    between saw a journal shorter than the old main file records and refused the
    database as damaged ("Restore the database from a backup"). It reads again."""
    import shutil
    import threading
    import time

    from salespipe.storage.jsonl.database import Store

    for title in ("Roof", "Door", "Window"):
        assert cli("add", title, "--value", "1000000").exit_code == 0
    small = tmp_path / "small" / "p.json"
    assert cli("--db", str(small), "add", "Only").exit_code == 0
    for path in small.parent.iterdir():  # the copy's journals are in, its main file not yet
        if path.name != small.name and not path.name.endswith(".lock"):
            shutil.copy(path, db_path.with_name(path.name.replace("p.", f"{db_path.stem}.", 1)))

    def main_file_last() -> None:  # replaced whole, by a rename, as salespipe replaces it
        time.sleep(0.1)
        staged = db_path.with_name("staged.json")
        shutil.copy(small, staged)
        os.replace(staged, db_path)

    mover = threading.Thread(target=main_file_last)
    mover.start()
    try:
        snapshot = Store(db_path, initial=lambda: None).read()  # type: ignore[arg-type,return-value]
    finally:
        mover.join()
    assert snapshot.counters().next_deal_id == 2


def _two_deals(cli: Any) -> None:
    """Deal 1 open in Quoted (Siam Foods), deal 2 won (Chai Co), a sixth stage."""
    assert cli("add", "POS rollout", "-c", "Siam Foods", "-q").exit_code == 0
    assert cli("add", "Big win", "-c", "Chai Co", "-v", "250000", "-q").exit_code == 0
    assert cli("won", "2").exit_code == 0
    assert cli("stage", "add", "Demo done").exit_code == 0
    assert cli("move", "1", "quoted").exit_code == 0


_WRONG_TYPE = "holds a value of the wrong type in its field {}"


@pytest.mark.parametrize(
    ("journal", "deal", "old", "new", "said"),
    [
        ("open-1", 1, b'"customer"', b'"cxstomer"', "has no field customer"),
        ("open-1", 1, b'"Siam Foods"', b"123456789012", _WRONG_TYPE.format("customer")),
        ("closed", 2, b'"customer"', b'"cxstomer"', "has no field customer"),
        ("closed", 2, b'"tags":[]', b'"tags":{}', _WRONG_TYPE.format("tags")),
    ],
)
def test_a_deal_record_lacking_a_field_is_a_damaged_file_to_every_command_that_reads_it(
    cli: Any,
    db_path: Path,
    snapshot_files: Snap,
    journal: str,
    deal: int,
    old: bytes,
    new: bytes,
    said: str,
) -> None:
    """ "customer" renamed by hand in a journal: list ended in a KeyError traceback, show
    and export wrote the customer as "", and a move wrote the deal back with "customer":
    "" for good (the name survived only in the history)."""
    _two_deals(cli)
    path = db_path.with_name(f"pipeline.{journal}.jsonl")
    data = path.read_bytes()
    at = data.rfind(b'{"id":%d,' % deal)
    path.write_bytes(data[:at] + data[at:].replace(old, new, 1))
    before = snapshot_files()
    sentence = f"The file {path} is damaged: the record of deal {deal} {said};"
    commands = [
        ["list", "--status", "all"],
        ["list", "--status", "all", "--json"],
        ["show", str(deal)],
        ["export"],
        ["export", "--format", "json"],
        ["report"],
        ["note", str(deal), "called"],
        ["edit", str(deal), "--value", "5"],
        ["doctor"],
        ["doctor", "--fix"],
    ]
    if deal == 1:
        commands += [["list"], ["list", "--json"], ["move", "1", "considering"]]
    else:
        commands += [["reopen", "2"], ["list", "--status", "won"]]
    for command in commands:
        refused = cli(*command)
        assert refused.exit_code == 4, (command, refused.stdout, refused.stderr)
        assert sentence in refused.stderr, (command, refused.stderr)
        assert "Traceback" not in refused.stderr
    assert snapshot_files() == before


def _refused_backup(cli: Any, db_path: Path, said: str, *, doctor: bool = True) -> None:
    """export --format json over an older backup: refused, the older one kept."""
    backup = db_path.parent.parent / "backup.json"
    backup.write_bytes(b"the good backup of last night")
    refused = cli("export", "--format", "json", "-o", str(backup))
    assert refused.exit_code == 4, refused.stdout
    assert said in refused.stderr, refused.stderr
    assert ("`salespipe doctor`" in refused.stderr) is doctor
    assert backup.read_bytes() == b"the good backup of last night"
    assert [p.name for p in backup.parent.iterdir() if p.is_file()] == ["backup.json"]


def test_a_backup_of_a_deal_in_no_stage_is_not_written(cli: Any, db_path: Path) -> None:
    """A deal's stage changed by hand into one that does not exist: export said it wrote
    the backup (exit 0), and its own restore refused it."""
    _two_deals(cli)
    journal = db_path.with_name("pipeline.open-1.jsonl")
    data = journal.read_bytes()
    at = data.rfind(b'{"id":1,')
    journal.write_bytes(data[:at] + data[at:].replace(b'"stage":"quoted"', b'"stage":"qxoted"', 1))
    _refused_backup(
        cli, db_path, "its restore would refuse it (deals[0].stage is wrong: not a stage of"
    )


def test_two_stages_of_one_key_are_a_damaged_file(
    cli: Any, db_path: Path, snapshot_files: Snap
) -> None:
    """A stage's key changed by hand into another's: doctor said all agreed, deal 1 (in
    Quoted) was listed in "Demo done", and export wrote a backup its restore refused."""
    _two_deals(cli)
    main = json.loads(db_path.read_text())
    for record in main["stages"].values():
        if record["key"] == "demo-done":
            record["key"] = "quoted"
    db_path.write_text(json.dumps(main))
    before = snapshot_files()
    for command in (["list"], ["doctor"], ["add", "X"], ["chart"]):
        refused = cli(*command)
        assert refused.exit_code == 4, command
        assert f"The file {db_path} is damaged: two stages have the key quoted;" in refused.stderr
    assert snapshot_files() == before
    _refused_backup(cli, db_path, "two stages have the key quoted", doctor=False)


_HALF_EXPORT = """
import os, sys
from pathlib import Path
from salespipe.transfer.target import export_target
with export_target(Path(sys.argv[1])) as out:
    out.write(b"half a backup")
    out.flush()
    print("writing", flush=True)
    if sys.argv[2] == "kill":
        os.kill(os.getpid(), 9)
    sys.stdin.read()
"""


def test_a_killed_export_s_temporary_file_is_removed_by_the_next_one(
    cli: Any, tmp_path: Path
) -> None:
    """Each `kill -9` of an export left its .bk.json.tmp-XXXX beside the backup for ever
    (0 B, 1.2 MB, 20.8 MB): later exports did not remove them, nor did cron's `find`."""
    assert cli("add", "A", "-q").exit_code == 0
    folder = tmp_path / "backups"
    folder.mkdir()
    backup = folder / "bk.json"

    def temporaries() -> set[Path]:
        return set(folder.glob(".bk.json.tmp-*"))

    with subprocess.Popen(
        [sys.executable, "-c", _HALF_EXPORT, str(backup), "wait"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    ) as live:
        assert live.stdout is not None
        assert live.stdin is not None
        assert live.stdout.readline() == b"writing\n"
        running = temporaries()
        assert len(running) == 1
        killed = subprocess.run(
            [sys.executable, "-c", _HALF_EXPORT, str(backup), "kill"],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        assert killed.returncode == -9
        assert len(temporaries()) == 2  # the running export's is left
        assert cli("export", "--format", "json", "-o", str(backup)).exit_code == 0
        assert temporaries() == running  # the killed one's is gone, the running one's left
        assert json.loads(backup.read_bytes())["format"] == "salespipe-backup"
        live.stdin.close()
        assert live.wait(timeout=60) == 0
    assert temporaries() == set()
    assert backup.read_bytes() == b"half a backup"  # the running export finished


def test_an_export_of_another_machine_is_left_while_its_backup_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a shared folder a running export of another machine is known only by the lock
    it holds on its temp file (its process id means nothing here): that lock was let go
    when the file was closed, before the restore's check and the rename, so another
    machine's export removed the temp file under it, and the running one failed."""
    from salespipe.transfer import target

    monkeypatch.setattr(target, "_running", lambda pid: False)  # as another machine sees it
    backup = tmp_path / "bk.json"

    def check(written: Path) -> None:
        target._remove_left_behind(tmp_path, backup.name)  # the other machine's export
        assert written.exists()

    with target.export_target(backup, check) as out:
        out.write(b"the backup")
    assert backup.read_bytes() == b"the backup"
    assert not list(tmp_path.glob(".bk.json.tmp-*"))


def _misplaced(deal: int, other: int, path: Path) -> str:
    return f"The file {path} is damaged: the record at deal {deal}'s place in it is deal {other}'s;"


@pytest.mark.parametrize("both_closed", [False, True])
def test_a_record_given_another_deal_s_id_is_a_damaged_file_not_a_deal_gone(
    cli: Any, db_path: Path, snapshot_files: Snap, both_closed: bool
) -> None:
    """`{"id":2,` changed by hand to `{"id":1,` in the closed journal: list --status all
    showed 1 deal (the won 250,000 deal 2 gone, exit 0), show 2 printed "Deal 1: Big
    win", and export wrote a backup without deal 2 that restored cleanly."""
    _two_deals(cli)
    if both_closed:
        assert cli("lost", "1", "--reason", "price").exit_code == 0
    path = db_path.with_name("pipeline.closed.jsonl")
    data = path.read_bytes()
    assert data.count(b'{"id":2,') == 1
    path.write_bytes(data.replace(b'{"id":2,', b'{"id":1,'))
    before = snapshot_files()
    sentence = _misplaced(2, 1, path)
    commands = [
        ["list", "--status", "all"],
        ["list", "--status", "all", "--json"],
        ["list", "--status", "won"],
        ["show", "2"],
        ["show", "2", "--json"],
        ["export"],
        ["export", "--format", "json"],
        ["report"],
        ["note", "2", "called"],
        ["edit", "2", "--value", "5"],
        ["reopen", "2"],
    ]
    for command in commands:
        refused = cli(*command)
        assert refused.exit_code == 4, (command, refused.stdout, refused.stderr)
        assert sentence in refused.stderr, (command, refused.stderr)
        assert "put 2 back as that record's id by hand" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert snapshot_files() == before
    _refused_backup(cli, db_path, sentence, doctor=False)
    path.write_bytes(data)  # the id put back by hand: all is well again
    assert cli("list", "--status", "all").stdout.count("Big win") == 1
    assert cli("doctor").exit_code == 0


def test_an_open_record_given_another_deal_s_id_is_a_damaged_file(
    cli: Any, db_path: Path, snapshot_files: Snap
) -> None:
    """The same in the open deals' journal: list showed deal 1 twice, and show 2 said
    "Deal 1"."""
    assert cli("add", "POS rollout", "-c", "Siam Foods", "-q").exit_code == 0
    assert cli("add", "Big deal", "-c", "Chai Co", "-v", "250000", "-q").exit_code == 0
    path = db_path.with_name("pipeline.open-1.jsonl")
    data = path.read_bytes()
    path.write_bytes(data.replace(b'{"id":2,', b'{"id":1,'))
    before = snapshot_files()
    for command in (
        ["list"],
        ["list", "--json"],
        ["list", "--status", "all"],
        ["show", "2"],
        ["export", "--format", "json"],
        ["move", "2", "quoted"],
        ["won", "2"],
    ):
        refused = cli(*command)
        assert refused.exit_code == 4, (command, refused.stdout, refused.stderr)
        assert _misplaced(2, 1, path) in refused.stderr, (command, refused.stderr)
    assert snapshot_files() == before


def test_a_closed_index_damaged_by_hand_still_lists_every_deal(cli: Any, db_path: Path) -> None:
    """The closed journal is right and its index wrong (a deal id in it changed to one no
    deal has): the commands read the journal, and doctor --fix rebuilds the index."""
    _two_deals(cli)
    index = db_path.with_name("pipeline.closed.idx")
    data = bytearray(index.read_bytes())
    assert int.from_bytes(data[0:8], "little") == 2
    data[0:8] = (9999).to_bytes(8, "little")
    index.write_bytes(bytes(data))
    shown = cli("list", "--status", "all")
    assert shown.exit_code == 0, shown.stderr
    assert "Big win" in shown.stdout
    assert cli("doctor").exit_code == 1
    assert cli("doctor", "--fix").exit_code == 0
    assert cli("doctor").exit_code == 0
