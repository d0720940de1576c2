"""Deterministic crash pass: a writer stopped at EVERY write, fsync, rename and ftruncate.

    python bench/stress/crash_points.py   # add, move, undo, import, compaction, fold, copy-replace
    python bench/stress/crash_points.py --only import
    python bench/stress/crash_points.py --installed   # each command the installed one

As SQLite's crash tests do, each scenario's command is run again and again on a fresh
copy of the same database, killed (SIGKILL, by the store's test hook
``SALESPIPE_CRASH_AT=N``) at its 1st, 2nd, ... file-changing system call until it runs
to the end; a write killed at its Nth call leaves half of its bytes (a torn write).
After each kill: the database reads, and holds exactly the state before the command
or the state after it (deals, events, stages, settings, counters); the next write
succeeds; after it no temp file is left and only the current open-deals journal and
open index generation. Exits 1 if any check failed.

Each command runs in a process of its own, forked from one that imported salespipe
once (command.Forking): the kill ends that process at the same system call as it would
end the installed command, without paying a Python start and the imports per crash
point. ``--installed`` starts the installed command for every run instead.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from command import COMPACTING, FOLDING, Forking, doctor_differences_here, salespipe

from salespipe.app.pipeline import Pipeline
from salespipe.storage.jsonl import DatabasePaths

NOW = "2026-11-27T10:00:00+07:00"


def _environment(db: Path, crash_at: int = 0) -> dict[str, str]:
    env = {
        **os.environ,
        "SALESPIPE_DB": str(db),
        "SALESPIPE_NOW": NOW,
        "SALESPIPE_HOOKS": str(db.parent / "no-hooks"),
        "SALESPIPE_CONFIG_DIR": str(db.parent / "config"),
        "SALESPIPE_USER": "crash",
    }
    env.pop("SALESPIPE_CRASH_AT", None)
    if crash_at:
        env["SALESPIPE_CRASH_AT"] = str(crash_at)
    return env


# How a scenario's commands run: as installed, compacting the open-deals journal on
# every write, or folding the open index's tail on every write.
PRELUDES = {"compact": COMPACTING, "fold": FOLDING}


def run(db: Path, args: list[str], crash_at: int = 0, compact: str = "") -> int:
    command = [sys.executable, "-c", PRELUDES[compact]] if compact else salespipe()
    done = subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        env=_environment(db, crash_at),
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    return done.returncode


Run = Callable[[Path, list[str], int], int]


class Runs:
    """How a scenario runs its commands (``run(db, args, crash_at)``): each in a child of
    a forking process (command.Forking) or, with ``installed``, as the installed command
    started afresh; with the store's settings of ``compact`` ("", "compact", "fold")."""

    def __init__(self, compact: str, commands: list[str], installed: bool = False) -> None:
        self.compact = compact
        self.forking = None if installed else Forking(compact, commands, _environment(Path()))

    def run(self, db: Path, args: list[str], crash_at: int = 0) -> int:
        if self.forking is None:
            return run(db, args, crash_at, self.compact)
        return self.forking.run(args, _environment(db, crash_at))

    def __enter__(self) -> Runs:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.forking is not None:
            self.forking.__exit__(*exc)


def state(db: Path) -> Any:
    """Everything a user can see of the database, comparable."""
    snapshot = Pipeline.open(db).read()
    meta = snapshot.meta
    return {
        "deals": sorted((r for r in snapshot.all_records()), key=lambda r: r["id"]),
        "events": list(snapshot.event_records()),
        "stages": [s.to_record() for s in snapshot.stages()],
        "config": snapshot.config(),
        "counters": [meta[k] for k in ("next_deal_id", "next_seq", "next_change")],
        "undo": [c["change"] for c in snapshot.change_stack()],
    }


def base_database(folder: Path, installed: bool = False) -> Path:
    db = folder / "pipeline.json"
    with Runs("", ["add", "won", "note"], installed) as runs:
        _fill_base(db, runs)
    return db


def _fill_base(db: Path, runs: Runs) -> None:
    folder = db.parent
    for args in (
        ["add", "Alpha", "-v", "100"],
        ["add", "Bravo", "-c", "Siam"],
        ["add", "Charlie"],
        ["won", "2"],
        ["note", "1", "first note"],
    ):
        assert runs.run(db, args) == 0, args
    other = folder / "other.json"  # what copy --replace puts in the database's place
    for args in (["add", "Other one", "-v", "7"], ["add", "Other two"], ["lost", "2", "-r", "x"]):
        assert runs.run(other, args) == 0, args
    source = folder / "rows.csv"
    source.write_text(
        "title,value,stage\n" + "".join(f"Row {n},{n}00,quoted\n" for n in range(40)),
        encoding="utf-8",
    )


SCENARIOS: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "add": (lambda folder: ["add", "Delta", "-v", "5k", "-q"], ""),
    "move": (lambda folder: ["move", "1", "quoted", "-r", "crash"], ""),
    "undo": (lambda folder: ["undo"], ""),
    "import": (lambda folder: ["import", str(folder / "rows.csv")], ""),
    "compaction": (lambda folder: ["move", "3", "negotiating"], "compact"),
    "fold": (lambda folder: ["move", "3", "negotiating"], "fold"),
    # (the database crashed into is the work folder's, beside the base folder)
    "copy-replace": (
        lambda folder: [
            "copy",
            str(folder / "other.json"),
            str(folder.parent / "work" / "pipeline.json"),
            "--replace",
        ],
        "",
    ),
}


def _copy(source: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, symlinks=True)
    return target / "pipeline.json"


def _leftovers(db: Path) -> list[str]:
    paths = DatabasePaths.for_main(db)
    meta = Pipeline.open(db).read().meta
    current = paths.open_journal(meta["open_generation"])
    index = meta["open_index_generation"]
    names = [p.name for p in db.parent.iterdir() if ".tmp" in p.name or ".new-" in p.name]
    names += [p.name for p in db.parent.iterdir() if p.name.endswith(".moving")]
    names += [p.name for p in paths.open_journals() if p != current]
    in_use = (paths.open_checkpoint(index), paths.open_tail(index), paths.open_facts(index))
    names += [p.name for p in paths.open_index_files() if p not in in_use]
    return names


def crash_scenario(name: str, base: Path, work: Path, installed: bool = False) -> dict[str, Any]:
    """Kill the scenario's command at each of its crash points; the findings."""
    make_args, compact = SCENARIOS[name]
    args = make_args(base.parent)
    with Runs(compact, [args[0], "add"], installed) as runs:
        return _crash_scenario(name, base, work, args, runs.run)


def _crash_scenario(name: str, base: Path, work: Path, args: list[str], run: Run) -> dict[str, Any]:
    before = state(base)
    after_db = _copy(base.parent, work)
    assert run(after_db, args, 0) == 0, f"{name} does not run"
    after = state(after_db)
    problems: list[str] = []
    point, kills = 0, 0
    while True:
        point += 1
        db = _copy(base.parent, work)
        code = run(db, args, point)
        if code == 0:
            break  # ran to the end: every crash point was visited
        if code != -9:
            problems.append(f"{name} @{point}: exit {code} instead of being killed")
            continue
        kills += 1
        try:
            seen = state(db)
        except Exception as exc:  # a database that does not read is what this looks for
            problems.append(f"{name} @{point}: unreadable after the kill: {exc}")
            continue
        if seen not in (before, after):
            problems.append(f"{name} @{point}: neither the state before nor after")
        differences = doctor_differences_here(db)
        if differences:
            problems.append(f"{name} @{point}: doctor: {differences[:5]}")
        if run(db, ["add", "After the crash", "-q"], 0) != 0:
            problems.append(f"{name} @{point}: the next write failed")
            continue
        left = _leftovers(db)
        if left:
            problems.append(f"{name} @{point}: left behind {left}")
    return {"scenario": name, "crash_points": point - 1, "kills": kills, "problems": problems}


def crash_all(
    folder: Path, only: list[str] | None = None, installed: bool = False
) -> list[dict[str, Any]]:
    base_folder = folder / "base"
    base_folder.mkdir(parents=True)
    base = base_database(base_folder, installed)
    names = only or list(SCENARIOS)
    return [crash_scenario(name, base, folder / "work", installed) for name in names]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=list(SCENARIOS))
    parser.add_argument(
        "--installed", action="store_true", help="start the installed command for every run"
    )
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="salespipe-crash-points-"))
    results = crash_all(folder, options.only, options.installed)
    failed = False
    for result in results:
        problems = result.pop("problems")
        failed = failed or bool(problems)
        print(json.dumps(result), f"problems: {len(problems)} {problems[:5]}")
    print("FAILED" if failed else "OK", f"(databases in {folder})")
    if not failed:
        shutil.rmtree(folder)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
