"""Running the user's hooks after a change (SPEC §4 "Hooks")."""

from __future__ import annotations

from pathlib import Path

from salespipe.work import Change


def run_hooks(change: Change, folder: Path) -> list[str]:
    """Run on-change and on-<event> hooks; return warnings. Filled in by issue 4."""
    return []
