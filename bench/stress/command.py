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


# A process that has imported salespipe once and forks a child for each command: the
# child runs the command as the installed one does (``main()``, which ends the process
# with ``os._exit``) with the environment it is given, SALESPIPE_CRASH_AT read afresh, and
# stdin, stdout and stderr on /dev/null. Starting Python and importing salespipe took
# most of each command's time in the crash pass; a kill still ends a process of its own.
# Reads one JSON request a line ({"args": [...], "env": {...}}); answers each with the
# child's exit code as subprocess gives it (-9 for SIGKILL).
FORKING = """
import importlib, json, os, sys
{prelude}
from salespipe.cli import app
from salespipe.storage import safe_files
for module in {modules!r}:
    importlib.import_module("salespipe.cli." + module)
for line in sys.stdin:
    request = json.loads(line)
    child = os.fork()
    if child == 0:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.environ.clear()
        os.environ.update(request["env"])
        safe_files._reset_crash_point()
        sys.argv = ["salespipe", *request["args"]]
        app.main()
        os._exit(70)  # main() always ends the process; never reached
    print(os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]), flush=True)
"""

# What the preludes above set before the command runs, for FORKING.
SETTINGS = {
    "": "",
    "compact": COMPACTING.split("from salespipe.cli.app")[0],
    "fold": FOLDING.split("from salespipe.cli.app")[0],
}


class Forking:
    """Run salespipe commands, each in a child forked from one process that imported
    salespipe (and the modules of ``commands``) once, with the store's settings of
    ``prelude`` ("", "compact" or "fold"). Use as a context manager."""

    def __init__(self, prelude: str, commands: list[str], env: dict[str, str]) -> None:
        from salespipe.cli.app import COMMAND_MODULES

        modules = sorted({COMMAND_MODULES[c] for c in commands if c in COMMAND_MODULES})
        script = FORKING.format(prelude=SETTINGS[prelude], modules=modules)
        self._process = subprocess.Popen(
            [sys.executable, "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def run(self, args: list[str], env: dict[str, str]) -> int:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(json.dumps({"args": args, "env": env}) + "\n")
        self._process.stdin.flush()
        answer = self._process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the forking process ended (exit {self._process.wait()})")
        return int(answer)

    def __enter__(self) -> Forking:
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.close()
        self._process.wait(timeout=60)
        self._process.stdout.close()
