"""The pair the PostgreSQL tests compare: a pipeline made in a data file and its copy
in a server database, every command run through the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


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
