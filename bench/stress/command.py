"""How the stress scripts start salespipe: the installed command, or with the store set
to compact the open-deals journal and bring the indexes' heads up to date on every
write (both normally rare) so that kills and concurrent readers meet them too."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

COMPACTING = (
    "import sys; from salespipe.storage.jsonl import database, line_index; "
    "database.COMPACT_ABOVE = 0; database.COMPACT_LIVE_SHARE = 2.0; line_index.HEADS_LAG = 0; "
    "from salespipe.cli.app import main; sys.exit(main())"
)
# Every write folds the open index's tail into a new checkpoint (open_index.py).
FOLDING = (
    "import sys; from salespipe.storage.jsonl import open_index; "
    "open_index.TAIL_MIN = 0; open_index.TAIL_SHARE = 0.0; "
    "from salespipe.cli.app import main; sys.exit(main())"
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


def doctor_differences(db: Path) -> list[str]:
    """What ``salespipe doctor`` finds in the database: each derived structure (index,
    undone set) that differs from what its journals give; none when all agree."""
    done = subprocess.run(
        [*salespipe(), "--db", str(db), "doctor", "--json"], capture_output=True, check=False
    )
    if done.returncode not in (0, 1):
        return [f"doctor failed (exit {done.returncode}): {done.stderr[-300:]!r}"]
    return _differences(done.stdout)


def doctor_differences_here(db: Path) -> list[str]:
    """``doctor_differences``, the same command run in this process: a check after a
    kill needs no process of its own (starting one cost as much as the killed write)."""
    from typer.testing import CliRunner

    from salespipe.cli.app import app

    done = CliRunner().invoke(app, ["--db", str(db), "doctor", "--json"])
    if done.exit_code not in (0, 1) or not isinstance(done.exception, (SystemExit, type(None))):
        return [f"doctor failed (exit {done.exit_code}): {done.exception!r} {done.stderr[-300:]!r}"]
    return _differences(done.stdout)


def _differences(doctor_json: str | bytes) -> list[str]:
    report = json.loads(doctor_json)
    return [f"{d['check']}: {d['text']}" for d in report["differences"]]
