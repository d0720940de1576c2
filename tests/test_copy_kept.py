"""``copy --replace`` keeps what it replaces, and asks first at a terminal.

A trial swapped SOURCE and TARGET (`copy empty-new.json base.json --replace`): the real
pipeline was gone, with no question and no copy kept. Now the pipeline a replacement
puts aside is written as a JSON backup (the one `export --format json` writes) into the
user's data folder, ``replaced/``, before the replacement commits; a target that holds
nothing needs none. At a terminal the command asks first, naming both sides.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import NOW, salespipe_command


def _on(cli: Any, database: str, *args: str) -> Any:
    result = cli("--db", database, *args)
    assert result.exit_code == 0, result.stderr + result.stdout
    return result


def _fill(cli: Any, database: str, titles: tuple[str, ...] = ("ERP", "CCTV", "Fleet")) -> None:
    """A few deals with some history: a move, a note, a win, a setting and an undo."""
    for title in titles:
        _on(cli, database, "add", title, "-v", "120k")
    _on(cli, database, "move", "1", "quoted")
    _on(cli, database, "note", "2", "asked for a discount")
    _on(cli, database, "won", "3")
    _on(cli, database, "config", "set", "currency", "USD")
    _on(cli, database, "add", "Undone soon")
    _on(cli, database, "undo")


def _exported(cli: Any, database: str, where: Path) -> dict[str, Any]:
    """The database's JSON backup, without the time it was written."""
    _on(cli, database, "export", "--format", "json", "-o", str(where))
    backup: dict[str, Any] = json.loads(where.read_text())
    del backup["exported_at"]
    return backup


def _replaced_folder() -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "salespipe" / "replaced"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_the_tests_keep_their_copies_in_a_data_folder_of_their_own(tmp_path: Path) -> None:
    """No test writes a kept copy into the data folder of whoever runs the suite."""
    assert Path(os.environ["XDG_DATA_HOME"]).is_relative_to(tmp_path)


def test_a_replaced_file_is_kept_and_restores_as_it_was(cli: Any, tmp_path: Path) -> None:
    source, target = str(tmp_path / "empty-new.json"), str(tmp_path / "base.json")
    _on(cli, source, "init")
    _fill(cli, target)
    before = _exported(cli, target, tmp_path / "before.json")

    report = cli.json("copy", source, target, "--replace")

    kept = _replaced_folder() / "base-2026-11-27T1000.json"  # NOW, in the test's zone
    assert NOW.startswith("2026-11-27T10:00")
    assert report["kept"] == {"file": str(kept), "deals": 3, "events": 9}
    assert cli.json("--db", target, "list", "--status", "all") == []
    restored = str(tmp_path / "restored.json")
    _on(cli, restored, "import", str(kept))
    assert _exported(cli, restored, tmp_path / "after.json") == before
    assert oct(kept.stat().st_mode & 0o777) == oct(0o600)
    assert [p.name for p in kept.parent.iterdir()] == [kept.name]  # no temp file left


def test_the_report_says_where_the_replaced_pipeline_is_kept(cli: Any, tmp_path: Path) -> None:
    source, target = str(tmp_path / "empty-new.json"), str(tmp_path / "base.json")
    _on(cli, source, "init")
    _fill(cli, target)
    result = _on(cli, source, "copy", source, target, "--replace")
    kept = _replaced_folder() / "base-2026-11-27T1000.json"
    lines = result.stdout.replace("\n", " ")
    assert f"What {target} held (3 deals, 9 events) is kept in {kept};" in lines
    assert f"salespipe --db NEW.json import {kept}" in lines
    assert f"salespipe copy NEW.json {target} --replace" in lines


def test_two_replacements_in_one_minute_keep_both(cli: Any, tmp_path: Path) -> None:
    first, second, target = (str(tmp_path / n) for n in ("a.json", "b.json", "base.json"))
    _on(cli, first, "add", "First")
    _fill(cli, second, ("Second", "Third", "Fourth"))
    _fill(cli, target)
    one = cli.json("copy", first, target, "--replace")["kept"]["file"]
    two = cli.json("copy", second, target, "--replace")["kept"]["file"]
    assert one != two
    assert Path(one).name == "base-2026-11-27T1000.json"
    assert Path(two).name == "base-2026-11-27T1000-2.json"
    titles = [d["title"] for d in json.loads(Path(two).read_text())["deals"]]
    assert titles == ["First"]  # what the second replacement put aside: the first copy


def test_a_target_holding_nothing_needs_no_kept_copy(cli: Any, tmp_path: Path) -> None:
    source, target = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    _fill(cli, source)
    _on(cli, target, "init")
    report = cli.json("copy", source, target, "--replace")
    assert report["kept"] is None
    assert not _replaced_folder().exists()
    result = _on(cli, source, "copy", source, str(tmp_path / "new.json"), "--replace")
    assert "kept" not in result.stdout
    assert not _replaced_folder().exists()


def test_a_kept_copy_that_cannot_be_written_replaces_nothing(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data folder is a file here: the copy cannot be kept, so nothing is replaced."""
    source, target = str(tmp_path / "empty-new.json"), str(tmp_path / "base.json")
    _on(cli, source, "init")
    _fill(cli, target)
    before = _exported(cli, target, tmp_path / "before.json")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    files = _files(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(blocked))
    refused = cli("copy", source, target, "--replace")
    assert refused.exit_code == 4
    folder = blocked / "salespipe" / "replaced"
    assert refused.stderr == (
        f"Error: Cannot keep a copy of what {target} holds in {folder}: Not a directory; "
        "nothing was replaced.\n"
    )
    assert _files(tmp_path) == files
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-again"))
    assert _exported(cli, target, tmp_path / "after.json") == before


def test_a_full_disk_while_keeping_the_copy_replaces_nothing(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from salespipe.storage import safe_files

    source, target = str(tmp_path / "empty-new.json"), str(tmp_path / "base.json")
    _on(cli, source, "init")
    _fill(cli, target)
    before = _exported(cli, target, tmp_path / "before.json")
    real_fsync = safe_files.fsync

    def full(fd: int) -> None:
        if "replaced" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(safe_files, "fsync", full)
    refused = cli("copy", source, target, "--replace", "--json")
    assert refused.exit_code == 4
    assert "the disk is full; nothing was replaced." in refused.stdout
    assert not _replaced_folder().exists()  # (the folders it made are gone again)
    monkeypatch.undo()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-again"))
    assert _exported(cli, target, tmp_path / "after.json") == before


@pytest.mark.postgres
def test_a_replaced_server_database_is_kept_under_its_name(
    cli: Any, tmp_path: Path, pg_database: str, pg_empty_database: str
) -> None:
    source = str(tmp_path / "empty-new.json")
    _on(cli, source, "init")
    _fill(cli, pg_database)
    before = _exported(cli, pg_database, tmp_path / "before.json")
    with_password = pg_database.replace("postgresql://", "postgresql://:s3cret-pw@", 1)

    report = cli.json("copy", source, pg_database, "--replace")

    name = pg_database.split("?")[0].rsplit("/", 1)[1]
    kept = _replaced_folder() / f"{name}-2026-11-27T1000.json"
    assert report["kept"] == {"file": str(kept), "deals": 3, "events": 9}
    _on(cli, pg_empty_database, "import", str(kept))
    assert _exported(cli, pg_empty_database, tmp_path / "after.json") == before
    if "@" in with_password:  # a password in the address names no kept file
        _on(cli, pg_database, "add", "Again")
        again = cli.json("copy", source, with_password, "--replace")["kept"]["file"]
        assert "s3cret" not in again
        assert Path(again).name == f"{name}-2026-11-27T1000-2.json"


# -- the question at a terminal ---------------------------------------------------------


def _at_a_terminal(*args: str, answer: bytes | None) -> subprocess.CompletedProcess[bytes]:
    """salespipe with its stdin a pseudo-terminal on which ``answer`` is typed (None:
    Ctrl-D); stdout and stderr read apart."""
    master, terminal = pty.openpty()
    os.write(master, b"\x04" if answer is None else answer + b"\r")
    try:
        return subprocess.run(
            [*salespipe_command(), *args],
            env={**os.environ, "TERM": "xterm"},
            stdin=terminal,
            capture_output=True,
            timeout=60,
        )
    finally:
        os.close(terminal)
        os.close(master)


def _sides(cli: Any, tmp_path: Path) -> tuple[str, str]:
    source, target = str(tmp_path / "empty-new.json"), str(tmp_path / "base.json")
    _on(cli, source, "init")
    _fill(cli, target)
    return source, target


@pytest.mark.parametrize("answer", [b"n", b"", None], ids=["no", "enter", "ctrl-d"])
def test_a_no_at_the_terminal_replaces_nothing(
    cli: Any, tmp_path: Path, answer: bytes | None
) -> None:
    source, target = _sides(cli, tmp_path)
    before = _exported(cli, target, tmp_path / "before.json")
    asked = _at_a_terminal("copy", source, target, "--replace", answer=answer)
    question = (f"Replace {target} (3 deals, 9 events) with {source} (0 deals)? [y/N]: ").encode()
    assert question in asked.stderr
    if answer is None:  # not answered: ended as Ctrl-C is, nothing changed
        assert asked.returncode == 130, asked.stderr
    else:
        assert asked.returncode == 0, asked.stderr
        assert asked.stdout == b"Nothing was copied; " + target.encode() + b" is as it was.\n"
    assert _exported(cli, target, tmp_path / "after.json") == before
    assert not _replaced_folder().exists()


def test_a_yes_at_the_terminal_replaces_and_keeps(cli: Any, tmp_path: Path) -> None:
    source, target = _sides(cli, tmp_path)
    asked = _at_a_terminal("copy", source, target, "--replace", "--json", answer=b"y")
    assert asked.returncode == 0, asked.stderr
    assert b"[y/N]" in asked.stderr
    report = json.loads(asked.stdout)
    assert report["replaced"] is True
    assert Path(report["kept"]["file"]).exists()


def test_a_no_with_json_prints_only_json(cli: Any, tmp_path: Path) -> None:
    source, target = _sides(cli, tmp_path)
    asked = _at_a_terminal("copy", source, target, "--replace", "--json", answer=b"n")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout) == {"copied": None}


def test_yes_skips_the_question(cli: Any, tmp_path: Path) -> None:
    source, target = _sides(cli, tmp_path)
    asked = _at_a_terminal("copy", source, target, "--replace", "--yes", answer=b"n")
    assert asked.returncode == 0, asked.stderr
    assert b"[y/N]" not in asked.stderr
    assert b"Copied" in asked.stdout
    assert list(_replaced_folder().iterdir())


def test_without_a_terminal_nothing_is_asked(cli: Any, tmp_path: Path, run: Any) -> None:
    """A script or cron job is not asked (the kept copy protects it)."""
    source, target = _sides(cli, tmp_path)
    done = run("copy", source, target, "--replace")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "kept in" in done.stdout


def test_a_target_holding_nothing_is_not_asked_about(cli: Any, tmp_path: Path) -> None:
    source, target = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    _fill(cli, source)
    _on(cli, target, "init")
    asked = _at_a_terminal("copy", source, target, "--replace", answer=b"n")
    assert asked.returncode == 0, asked.stderr
    assert b"[y/N]" not in asked.stderr
    assert b"Copied" in asked.stdout
