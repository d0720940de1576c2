"""`salespipe doctor`: every derived structure recomputed from the journals, each
difference one line (exit 1), and `--fix` rebuilding them under the lock with a backup."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import Cli
from salespipe.app.pipeline import DealFields, Pipeline
from salespipe.storage.jsonl import line_index
from salespipe.storage.jsonl.database import schema_version
from test_open_index import as_index_in_main


def _filled(pipeline: Pipeline) -> None:
    for title in ("Alpha", "Bravo", "Charlie"):
        pipeline.add(title, DealFields(value=Decimal(500)))
    pipeline.note(1, "first call")
    pipeline.close(2, "won")
    pipeline.note(3, "to take back")
    pipeline.undo()


def _edit_meta(db_path: Path, **values: Any) -> None:
    document = orjson.loads(db_path.read_bytes())
    document["_meta"]["1"].update(values)
    db_path.write_bytes(orjson.dumps(document))


def _differences(cli: Cli) -> list[dict[str, str]]:
    result = cli("doctor", "--json")
    assert result.exit_code == (1 if orjson.loads(result.stdout)["differences"] else 0)
    differences: list[dict[str, str]] = orjson.loads(result.stdout)["differences"]
    return differences


def test_a_healthy_file_has_no_difference(pipeline: Pipeline, cli: Cli) -> None:
    _filled(pipeline)
    result = cli("doctor")
    assert result.exit_code == 0
    assert "12 derived structures checked, all agree" in result.stdout
    report = cli.json("doctor")
    assert report["checks"] == [
        "open index",
        "open deal columns",
        "open deals' facts",
        "events index",
        "events heads",
        "closed index",
        "closed heads",
        "undone changes",
        "change log",
        "deal counter",
        "events journal end",
        "deals and their history",
    ]
    assert (report["differences"], report["fixed"]) == ([], False)
    assert "cannot_fix" not in report


def _damage_undone(db_path: Path) -> None:
    _edit_meta(db_path, undone=[77])


def _change_last_entry(db_path: Path, change: Any) -> None:
    """Rewrite the last line of the open index's tail (deal 3's newest entry)."""
    document = orjson.loads(db_path.read_bytes())
    meta = document["_meta"]["1"]
    tail = db_path.with_name(f"pipeline.open-index-{meta['open_index_generation']}.tail")
    lines = tail.read_bytes().splitlines(keepends=True)
    assert lines[-1].startswith(b'{"3":')
    lines[-1] = orjson.dumps({"3": change(orjson.loads(lines[-1])["3"])}) + b"\n"
    tail.write_bytes(b"".join(lines))
    meta["open_tail_size"] = tail.stat().st_size
    db_path.write_bytes(orjson.dumps(document))


def _damage_open_index(db_path: Path) -> None:
    """Deal 3's newest entry points at deal 1's record."""
    _change_last_entry(db_path, lambda entry: {**entry, "at": 0})


def _damage_open_columns(db_path: Path) -> None:
    """Deal 3's newest entry (the last line of the open index's tail) with another value."""
    _change_last_entry(db_path, lambda entry: {**entry, "q": [*entry["q"][:3], 1, *entry["q"][4:]]})


def _damage_events_index(db_path: Path) -> None:
    index = db_path.with_name("pipeline.events.idx")
    data = bytearray(index.read_bytes())
    line_index.RECORD.pack_into(data, 0, 3, 0, 10, 0)  # the first event said to be deal 3's
    index.write_bytes(bytes(data))


def _damage_closed_heads(db_path: Path) -> None:
    heads = db_path.with_name("pipeline.closed.heads")
    heads.write_bytes(line_index.heads_bytes({2: 1, 1: 1}, 1))


@pytest.mark.parametrize(
    ("damage", "check", "words"),
    [
        (_damage_undone, "undone changes", "change 77 is listed as undone"),
        (_damage_open_index, "open index", "open deal 3"),
        (_damage_open_columns, "open deal columns", "open deal 3: its columns"),
        (_damage_events_index, "events index", "indexed wrongly"),
        (_damage_closed_heads, "closed heads", "deal 1: the closed deals index's head"),
    ],
)
def test_each_damaged_structure_is_one_line_and_fix_rebuilds_it(
    pipeline: Pipeline, db_path: Path, cli: Cli, damage: Any, check: str, words: str
) -> None:
    """A difference is reported (exit 1, one line each, saying how to fix); --fix
    rebuilds from the journals, keeps the old main file, and doctor is clean after."""
    _filled(pipeline)
    shown_before = cli.json("show", "1")
    damage(db_path)
    damaged_main = db_path.read_bytes()
    result = cli("doctor")
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith(f"{check}: ") and words in line for line in lines), lines
    assert "doctor --fix" in lines[-1]
    differences = _differences(cli)
    assert {d["check"] for d in differences} == {check}
    fixed = cli("doctor", "--fix")
    assert fixed.exit_code == 0, fixed.stdout
    assert "Fixed" in fixed.stdout
    assert db_path.with_name("pipeline.json.doctor.bak").read_bytes() == damaged_main
    assert _differences(cli) == []
    assert cli.json("show", "1") == shown_before


def test_an_older_file_is_reported_and_fixed_by_building_its_indexes(
    pipeline: Pipeline, db_path: Path, cli: Cli
) -> None:
    """A file from before the indexes: doctor names what it lacks; --fix upgrades it
    (keeping the schema backup) and builds them."""
    _filled(pipeline)
    shown = cli.json("list", "--status", "all")
    as_index_in_main(db_path)
    document = orjson.loads(db_path.read_bytes())
    meta = document["_meta"]["1"]
    for key in ("event_index_size", "closed_index_size", "undone"):
        del meta[key]
    meta["schema"] = 2
    db_path.write_bytes(orjson.dumps(document))
    for name in ("events.idx", "events.heads", "closed.idx", "closed.heads"):
        db_path.with_name(f"pipeline.{name}").unlink(missing_ok=True)
    checks = {d["check"] for d in _differences(cli)}
    assert checks == {"events index", "closed index", "undone changes", "change log"}
    assert cli("doctor", "--fix").exit_code == 0
    assert orjson.loads(db_path.read_bytes())["_meta"]["1"]["schema"] == schema_version()
    assert db_path.with_name("pipeline.json.schema2.bak").exists()
    assert _differences(cli) == []
    assert cli.json("list", "--status", "all") == shown


CLOSED_DAMAGE = {  # each the same size: the journal is not shorter than recorded
    "not JSON": (b'"status":"won",', b'"status":"won"#', "holds data salespipe cannot read"),
    "not a deal": (b'"title":"Bravo",', b'"titlx":"Bravo",', "deal 2 has no field title"),
    "a value that is no amount": (
        b'"value":500,',
        b'"value":"x",',
        "deal 2 holds a value of the wrong type in its field value",
    ),
}


@pytest.mark.parametrize("damage", sorted(CLOSED_DAMAGE))
def test_a_closed_journal_the_commands_refuse_is_damage_to_doctor_too(
    pipeline: Pipeline, db_path: Path, cli: Cli, damage: str
) -> None:
    """doctor reads each closed record as `list --status all` does: a line it cannot
    read is damage (exit 4, the journal named), not a file where all agree."""
    _filled(pipeline)
    journal = db_path.with_name("pipeline.closed.jsonl")
    data = journal.read_bytes()
    old, new, said = CLOSED_DAMAGE[damage]
    assert old in data
    journal.write_bytes(data.replace(old, new))
    assert cli("list", "--status", "all").exit_code == 4  # as list refuses it
    found = cli("doctor")
    assert found.exit_code == 4
    assert f"The file {journal} " in found.stderr
    assert said in found.stderr


def test_a_main_file_older_than_its_journals_is_a_difference(
    pipeline: Pipeline, db_path: Path, cli: Cli
) -> None:
    """The main file put back from an older copy on its own: doctor says so (exit 1)
    as a difference no rebuild mends, and --fix, which cannot put back what only the
    journals hold, changes nothing and says so too (it had promised a rebuild)."""
    _filled(pipeline)
    nightly = db_path.read_bytes()
    pipeline.add("Delta", DealFields())
    pipeline.note(1, "after the copy")
    db_path.write_bytes(nightly)
    before = {f.name: f.read_bytes() for f in db_path.parent.iterdir()}
    for command in (["doctor"], ["doctor", "--fix"]):
        found = cli(*command)
        assert found.exit_code == 1, command
        assert "events journal end: " in found.stdout
        assert "older than its journals" in found.stdout
        assert "doctor --fix rebuilds" not in found.stdout
        assert "1 difference that no rebuild mends" in found.stdout
    report = orjson.loads(cli("doctor", "--json").stdout)
    assert report["differences"] == []
    assert [d["check"] for d in report["cannot_fix"]] == ["events journal end"]
    assert {f.name: f.read_bytes() for f in db_path.parent.iterdir()} == before
    refused = cli("add", "Epsilon")
    assert refused.exit_code == 4
    assert "older than its journals" in refused.stderr


def test_a_deal_counter_set_back_is_a_difference_and_fix_moves_it_on(
    pipeline: Pipeline, db_path: Path, cli: Cli
) -> None:
    """A counter set back by hand would give deal numbers again: doctor reports it, and
    --fix sets it past every deal (deleted ones too)."""
    _filled(pipeline)
    pipeline.delete(3)
    _edit_meta(db_path, next_deal_id=2)
    differences = _differences(cli)
    assert differences == [
        {
            "check": "deal counter",
            "text": "the next deal would get number 2, but deal 3 is already there: "
            "the counter was set back",
        }
    ]
    assert cli("doctor", "--fix").exit_code == 0
    assert _differences(cli) == []
    assert pipeline.add("Delta", DealFields()).deals[0].id == 4


def test_doctor_in_thai(pipeline: Pipeline, db_path: Path, cli: Cli) -> None:
    _filled(pipeline)
    _damage_undone(db_path)
    result = cli("--lang", "th", "doctor")
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert "undone changes: การเปลี่ยนแปลง 77 อยู่ในรายการที่ถูกยกเลิก" in lines[-2]
    assert lines[-1] == "ต่างกัน 2 จุด คำสั่ง salespipe doctor --fix สร้างใหม่จากบันทึกได้"


def test_doctor_names_the_data_file_by_its_whole_path(
    pipeline: Pipeline, db_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crontab example says to copy the data file's whole path from doctor's line;
    with a relative --db doctor printed it relative, useless to cron (a trial)."""
    pipeline.add("ERP", DealFields())
    monkeypatch.chdir(db_path.parent)
    result = cli("--db", db_path.name, "doctor")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{db_path}: ")
    assert cli.json("--db", db_path.name, "doctor")["database"] == str(db_path)


def test_a_missing_data_file_is_an_error(cli: Cli) -> None:
    assert cli("doctor").exit_code == 4


def test_a_backend_without_derived_data_has_nothing_to_check(cli: Cli) -> None:
    """The in-memory backend keeps nothing derived: doctor says so (PostgreSQL's stays:
    tests/storage/test_postgres_history.py)."""
    assert cli("--db", "memory:doctor", "add", "Alpha", "-q").exit_code == 0
    result = cli("--db", "memory:doctor", "doctor")
    assert result.exit_code == 0
    assert "nothing to check" in result.stdout


def test_a_time_no_clock_shows_in_the_checkpoint_is_a_difference(db_path: Path, cli: Cli) -> None:
    """An hour of 93 in the open index's checkpoint ended doctor, and doctor --fix, in a
    traceback with exit 1, doctor's code for differences (an audit)."""
    assert cli("--db", str(db_path), "demo", "--deals", "60").exit_code == 0
    checkpoint = db_path.with_name("pipeline.open-index-1.json")
    data = checkpoint.read_bytes()
    hour = re.search(rb"T\d\d:", data)
    assert hour is not None
    checkpoint.write_bytes(data[: hour.start()] + b"T93:" + data[hour.end() :])
    differences = _differences(cli)
    assert differences, "the damaged time was not found"
    assert all("its columns are not those of its record" in d["text"] for d in differences)
    fixed = cli("doctor", "--fix")
    assert fixed.exit_code == 0, fixed.stdout
    assert _differences(cli) == []
    rebuilt = db_path.parent.glob("pipeline.open-index-*.json")
    assert all(b"T93:" not in made.read_bytes() for made in rebuilt)


def test_fix_on_a_full_disk_says_so_in_one_sentence(
    pipeline: Pipeline, db_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """doctor --fix on a full disk (or past `ulimit -f`) ended in a traceback with exit 1
    (the hostile trial)."""
    import errno

    from salespipe.storage.jsonl import doctor

    _filled(pipeline)
    _damage_undone(db_path)
    before = {f.name: f.read_bytes() for f in db_path.parent.iterdir()}

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    writes = doctor.write_atomically
    monkeypatch.setattr(doctor, "write_atomically", disk_full)
    refused = cli("doctor", "--fix")
    assert refused.exit_code == 4
    assert refused.stderr == (
        f"Error: Cannot write the data file {db_path}: the disk is full; nothing was changed.\n"
    )
    assert {f.name: f.read_bytes() for f in db_path.parent.iterdir()} == before
    monkeypatch.setattr(doctor, "write_atomically", writes)
    assert _differences(cli)  # still there for a later --fix


def test_fix_writes_nothing_once_its_lock_file_was_replaced(
    pipeline: Pipeline, db_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """doctor --fix rewrote the derived files and its copy of the main file, then said
    "nothing was changed" when the lock it held had been replaced meanwhile (a review)."""
    from salespipe.storage.jsonl import doctor

    _filled(pipeline)
    _damage_undone(db_path)
    before = {f.name: f.read_bytes() for f in db_path.parent.iterdir() if f.suffix != ".lock"}
    repair = doctor.repair

    def replacing_the_lock_first(*args: Any) -> None:
        lock = db_path.with_name("pipeline.lock")
        lock.unlink()
        lock.write_bytes(b"")
        repair(*args)

    monkeypatch.setattr(doctor, "repair", replacing_the_lock_first)
    refused = cli("doctor", "--fix")
    assert refused.exit_code == 4
    assert "was removed or replaced" in refused.stderr
    after = {f.name: f.read_bytes() for f in db_path.parent.iterdir() if f.suffix != ".lock"}
    assert after == before


def test_a_record_given_another_deal_s_id_is_named_with_its_mend(
    pipeline: Pipeline, db_path: Path, cli: Cli
) -> None:
    """Deal 2's closed record edited by hand to say deal 1: doctor said the closed index
    was "indexed wrongly" and --fix would have rebuilt it from the journal, losing deal 2
    for good. It says two records claim deal 1, deal 2's record is gone, and how to mend
    it; --fix changes nothing."""
    _filled(pipeline)
    journal = db_path.with_name("pipeline.closed.jsonl")
    data = journal.read_bytes()
    journal.write_bytes(data.replace(b'{"id":2,', b'{"id":1,'))
    before = {f.name: f.read_bytes() for f in db_path.parent.iterdir()}
    for command in (["doctor"], ["doctor", "--fix"]):
        found = cli(*command)
        assert found.exit_code == 4, (command, found.stdout)
        assert (
            f"The file {journal} is damaged: two records claim deal 1, and deal 2's record "
            "is gone (the record at deal 2's place in it is deal 1's); restore the database "
            "from a backup, or put 2 back as that record's id by hand." in found.stderr
        ), found.stderr
    assert {f.name: f.read_bytes() for f in db_path.parent.iterdir()} == before


def test_an_open_record_given_another_deal_s_id_is_named_and_not_fixed_away(
    pipeline: Pipeline, db_path: Path, cli: Cli
) -> None:
    """The same in the open deals' journal: --fix rebuilt the open index without deal 2."""
    _filled(pipeline)
    journal = db_path.with_name("pipeline.open-1.jsonl")
    data = journal.read_bytes()
    at = data.rfind(b'{"id":3,')
    journal.write_bytes(data[:at] + data[at:].replace(b'{"id":3,', b'{"id":1,', 1))
    before = {f.name: f.read_bytes() for f in db_path.parent.iterdir()}
    for command in (["doctor"], ["doctor", "--fix"]):
        found = cli(*command)
        assert found.exit_code == 4, (command, found.stdout)
        assert f"The file {journal} is damaged: two records claim deal 1, and deal 3's" in (
            found.stderr
        )
    assert {f.name: f.read_bytes() for f in db_path.parent.iterdir()} == before
