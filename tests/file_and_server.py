"""The pair the PostgreSQL tests compare: a pipeline made in a data file and its copy
in a server database, every command run through the CLI."""

from __future__ import annotations

import json
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
