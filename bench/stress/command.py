"""How the stress scripts start salespipe: the installed command, or with the store set
to compact the open-deals journal on every write (normally rare) so that kills and
concurrent readers meet compactions too."""

from __future__ import annotations

import argparse
import os
import shutil
import sys

COMPACTING = (
    "import sys; from salespipe.storage.jsonl import database; database.COMPACT_ABOVE = 0; "
    "database.COMPACT_LIVE_SHARE = 2.0; from salespipe.cli.app import main; sys.exit(main())"
)
_COMMAND: list[str] = []


def add_compaction_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--compact-always",
        action="store_true",
        help="make every write rewrite the open-deals journal as a new generation",
    )


def use_compaction_option(options: argparse.Namespace) -> None:
    """With --compact-always, start salespipe from now on so that every write compacts."""
    if options.compact_always:
        _COMMAND[:] = [sys.executable, "-c", COMPACTING]


def salespipe() -> list[str]:
    if not _COMMAND:
        found = shutil.which("salespipe", path=os.path.dirname(sys.executable))
        _COMMAND.extend([found] if found else [sys.executable, "-m", "salespipe"])
    return _COMMAND
