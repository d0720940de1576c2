"""Report commands (chart, report, forecast, funnel, durations, winrate, stale, check, demo)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds the report commands; filled in by the reports work (issue 3)."""
