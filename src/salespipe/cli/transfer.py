"""Import and export commands."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds import and export; filled in by the import/export work (issue 4)."""
