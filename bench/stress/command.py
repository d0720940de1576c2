"""How the stress scripts start salespipe: the installed command, or with the store set
to compact the open-deals journal on every write (normally rare) so that kills and
concurrent readers meet compactions too."""

from __future__ import annotations

import os
import shutil
import sys

COMPACTING = (
    "import sys; from salespipe.store import database; database.COMPACT_ABOVE = 0; "
    "database.COMPACT_LIVE_SHARE = 2.0; from salespipe.cli.app import main; sys.exit(main())"
)
_COMMAND: list[str] = []


def compact_always() -> None:
    """From now on, start salespipe so that every write compacts."""
    _COMMAND[:] = [sys.executable, "-c", COMPACTING]


def salespipe() -> list[str]:
    if not _COMMAND:
        found = shutil.which("salespipe", path=os.path.dirname(sys.executable))
        _COMMAND.extend([found] if found else [sys.executable, "-m", "salespipe"])
    return _COMMAND
