"""Assertions the CLI tests share."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def ok(result: Any) -> Any:
    """``result`` of a command that must have succeeded (exit 0); what it said if not."""
    assert result.exit_code == 0, result.stderr + result.stdout
    return result


def deals_by_title(cli: Any) -> dict[str, dict[str, Any]]:
    """Every deal's ``list --json`` record, open and closed, by its title."""
    return {d["title"]: d for d in cli.json("list", "--status", "all")}


def written(folder: Path, name: str, text: str) -> str:
    """The path of a UTF-8 file ``name`` in ``folder`` holding ``text`` (a sheet to import)."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)
