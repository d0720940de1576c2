"""The pair the PostgreSQL tests compare: a pipeline made in a data file and its copy
in a server database, every command run through the CLI."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Cli, PgDatabases, pg_target


def on(cli: Any, database: str, *args: str) -> Any:
    """``salespipe --db DATABASE ARGS…``, which must succeed."""
    result = cli("--db", database, *args)
    assert result.exit_code == 0, result.stderr + result.stdout
    return result


def file_and_copy(
    cli: Any, make: Callable[[Any, str], None], pg_database: str, tmp_path: Path
) -> tuple[str, str]:
    """The pipeline ``make`` makes in a data file, and the database it is copied into."""
    source = str(tmp_path / "source.json")
    make(cli, source)
    on(cli, source, "copy", source, pg_database)
    return source, pg_database


# What file_and_copy made once in this process, by name: the folder of its data file.
_MADE: dict[str, Path] = {}


def made_once(
    key: str,
    make: Callable[[Any, str], None],
    pg_server: str,
    pg_databases: PgDatabases,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str]]:
    """What ``file_and_copy`` gives, for a test of its own: ``make`` and the copy run
    once in this process (their commands are the same in every test, at fixed times);
    each test gets a copy of the data file's files in its own folder and a database of
    its own copied from the one it was copied into (CREATE DATABASE … TEMPLATE)."""

    def first(database: str) -> None:
        folder = tmp_path_factory.mktemp("made-once")
        file_and_copy(Cli(), make, database, folder)
        _MADE[key] = folder

    name = pg_databases.copy_of(key, first)
    for made in _MADE[key].iterdir():
        shutil.copy2(made, tmp_path / made.name)
    try:
        yield str(tmp_path / "source.json"), pg_target(pg_server, name)
    finally:
        pg_databases.dispose(name)


def pair_made_once(make: Callable[[Any, str], None]) -> Any:
    """A ``both`` fixture for a test module: :func:`made_once` of ``make``, keyed by the
    module that ``make`` is in."""

    @pytest.fixture
    def both(
        pg_server: str,
        pg_databases: PgDatabases,
        tmp_path: Path,
        tmp_path_factory: pytest.TempPathFactory,
    ) -> Iterator[tuple[str, str]]:
        """The same pipeline in a data file and, copied, in a PostgreSQL database: each
        test's own, copies of the pair made once."""
        yield from made_once(
            make.__module__, make, pg_server, pg_databases, tmp_path, tmp_path_factory
        )

    return both


def doctor(cli: Any, database: str, *args: str) -> dict[str, Any]:
    """``doctor --json`` of ``database``; its exit code must say whether any difference
    is left (1) or none (0)."""
    result = cli("--db", database, "doctor", "--json", *args)
    found: dict[str, Any] = json.loads(result.stdout)
    assert result.exit_code == (0 if not found["differences"] or found["fixed"] else 1)
    return found


def all_agree(server: str) -> dict[str, Any]:
    """What ``doctor --json`` says of a server whose four kept structures all agree."""
    return {
        "database": server,
        "checks": ["stays", "stay days", "slips", "slip days"],
        "differences": [],
        "fixed": False,
        "not_checked": [],
    }
