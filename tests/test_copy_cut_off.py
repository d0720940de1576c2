"""A `copy --replace` cut off while it moved the new database's files in (a kill, a
power loss) is finished by the next command, forward or back; a record of it that
salespipe did not write, or a data file put back since, is refused and nothing is
touched. (bench/stress/crash_points.py kills the copy at each of its file calls.)"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import salespipe_command
from salespipe.storage import safe_files
from salespipe.storage.jsonl import database
from salespipe.storage.jsonl.files import DatabasePaths


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, not even the copy's own clean-up."""


@pytest.fixture
def cut_off(cli: Any, db_path: Path, tmp_path: Path) -> Path:
    """The database at ``db_path`` with two deals, and a copy --replace of another one
    onto it cut off after it moved the old events journal aside and the new one in."""
    assert cli("add", "Alpha", "-v", "100").exit_code == 0
    assert cli("add", "Bravo").exit_code == 0
    assert cli("won", "2").exit_code == 0
    source = tmp_path / "other" / "pipeline.json"
    assert cli("--db", str(source), "add", "Other").exit_code == 0
    events = DatabasePaths.for_main(db_path).events
    real_rename = safe_files.rename

    def rename(old: Path, new: Path) -> None:
        real_rename(old, new)
        if Path(new) == events:  # the new events journal is in: the old main file stays
            raise Killed

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(safe_files, "rename", rename)
        patched.setattr(database, "_put_back", lambda put: False)  # (a kill puts nothing back)
        patched.setattr(shutil, "rmtree", lambda *args, **kwargs: None)
        with pytest.raises(Killed):
            cli("copy", str(source), str(db_path), "--replace")
    return db_path


def _titles(cli: Any) -> list[str]:
    return sorted(d["title"] for d in cli.json("list", "--status", "all"))


def _record(db_path: Path) -> Path:
    return db_path.with_name(f".{db_path.name}.moving")


def test_the_next_read_puts_the_old_database_back(cli: Any, cut_off: Path) -> None:
    assert _record(cut_off).exists()
    assert _titles(cli) == ["Alpha", "Bravo"]
    assert not _record(cut_off).exists()
    assert [p.name for p in cut_off.parent.iterdir() if ".new-" in p.name] == []
    assert cli("doctor").exit_code == 0
    assert cli("add", "Charlie", "-q").exit_code == 0


def test_a_record_naming_another_folder_is_refused_and_touches_nothing(
    cli: Any, cut_off: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep").write_text("x")
    record = orjson.loads(_record(cut_off).read_bytes())
    _record(cut_off).write_bytes(orjson.dumps(dict(record, aside=str(victim))))
    refused = cli("list")
    assert refused.exit_code == 4
    assert "is not a record salespipe wrote of a copy --replace" in refused.stderr
    assert (victim / "keep").read_text() == "x"


def test_a_damaged_record_is_one_sentence_not_a_traceback(cli: Any, cut_off: Path) -> None:
    _record(cut_off).write_bytes(b"garbage{")
    refused = cli("list")
    assert refused.exit_code == 4
    assert refused.stderr.count("\n") == 1, refused.stderr


def test_a_data_file_put_back_since_is_refused_and_the_replaced_files_kept(
    cli: Any, cut_off: Path, snapshot_files: Any
) -> None:
    cut_off.write_bytes(cut_off.read_bytes() + b"\n")  # (the same JSON, another file)
    before = snapshot_files()
    refused = cli("add", "Charlie")
    assert refused.exit_code == 4
    assert "neither the one before it nor the one it was writing" in refused.stderr
    assert snapshot_files() == before
    aside = [p for p in cut_off.parent.iterdir() if ".new-" in p.name]
    assert len(aside) == 1
    assert any((aside[0] / "replaced").iterdir())


def test_replaced_files_without_their_record_are_never_removed(cli: Any, cut_off: Path) -> None:
    _record(cut_off).unlink()  # (a sync tool or a copy that skips dot files)
    cli("add", "Charlie")
    aside = [p for p in cut_off.parent.iterdir() if ".new-" in p.name]
    assert len(aside) == 1
    assert any((aside[0] / "replaced").iterdir())


@pytest.mark.parametrize("route", ["forward", "back"])
def test_a_record_naming_the_main_file_or_another_databases_is_refused(
    cli: Any, cut_off: Path, route: str, snapshot_files: Any
) -> None:
    """The names a record may hold are the files a move puts in place: a planted one
    listing the main file and a neighbouring database's files deleted them all (a
    review)."""
    neighbour = cut_off.with_name("pipeline.2025.json")
    assert cli("--db", str(neighbour), "add", "Archived").exit_code == 0
    here = hashlib.sha256(cut_off.read_bytes()).hexdigest()
    record = orjson.loads(_record(cut_off).read_bytes())
    names = ["pipeline.json", "pipeline.2025.json", "pipeline.2025.events.jsonl"]
    if route == "forward":
        record.update(main=here, absent=names)
    else:
        record.update(old=here, moved=[[name, False] for name in names])
    _record(cut_off).write_bytes(orjson.dumps(record))
    before = snapshot_files()
    refused = cli("list")
    assert refused.exit_code == 4
    assert "is not a record salespipe wrote" in refused.stderr
    assert snapshot_files() == before


def test_a_record_that_is_a_folder_is_refused_by_a_change_too(cli: Any, db_path: Path) -> None:
    assert cli("add", "Alpha").exit_code == 0
    _record(db_path).mkdir()
    for command in (("add", "Bravo"), ("list",)):
        refused = cli(*command)
        assert refused.exit_code == 4, command
        assert "is not a record salespipe wrote" in refused.stderr
        assert "Traceback" not in refused.stderr


def test_copy_replace_onto_a_file_name_that_is_not_utf8(cli: Any, run: Any, tmp_path: Path) -> None:
    """The record keeps the names as the file system has them (orjson refused one that
    is not UTF-8, and the copy ended in a traceback)."""
    target = tmp_path / "latin" / os.fsdecode(b"caf\xe9.json")
    source = tmp_path / "other" / "pipeline.json"
    assert cli("--db", str(target), "add", "Old").exit_code == 0
    assert cli("--db", str(source), "add", "New").exit_code == 0
    copied = subprocess.run(  # (its output names the file: bytes, as a terminal takes them)
        [*salespipe_command(), "copy", str(source), str(target), "--replace"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert copied.returncode == 0, copied.stderr
    assert [d["title"] for d in cli.json("--db", str(target), "list")] == ["New"]
