"""Concurrency stress: W writers × N mixed writes (add, move, note, edit) plus readers.

    python bench/stress/concurrency.py                 # 8 × 200, 2 readers
    python bench/stress/concurrency.py --writers 4 --writes 50

Every write is a real `salespipe` process. Each writer works on its own deals and
keeps its own record of what it did; at the end the database must hold exactly that:
ids unique and complete, each deal's stage, title and notes as its writer left them,
one event per write. Readers run `list --json` the whole time and must always get
valid JSON and exit 0 (also with --compact-always, when every write replaces the
open-deals journal under their feet). Prints a summary and exits 1 if anything was lost or broken.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from command import (
    add_compaction_option,
    doctor_differences,
    salespipe,
    use_compaction_option,
)

from salespipe.app.pipeline import Pipeline

STAGES = ("presented", "considering", "quoted", "negotiating", "approved")


def call(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*salespipe(), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=120,
    )


class Writer(threading.Thread):
    def __init__(self, name: str, writes: int, seed: int) -> None:
        super().__init__(daemon=True)
        self.name = name
        self.writes = writes
        self.rng = random.Random(seed)
        self.mine: dict[int, dict[str, Any]] = {}
        self.failures: list[tuple[list[str], int, str]] = []

    def run(self) -> None:
        for i in range(self.writes):
            self.step(i)

    def step(self, i: int) -> None:
        rng = self.rng
        kind = (
            "add" if not self.mine or rng.random() < 0.25 else rng.choice(["move", "note", "edit"])
        )
        deal = rng.choice(sorted(self.mine)) if self.mine else 0
        target = ""
        if kind == "add":
            args = ["add", f"{self.name} deal {i}", "-q"]
        elif kind == "move":
            target = rng.choice([s for s in STAGES if s != self.mine[deal]["stage"]])
            args = ["move", str(deal), target]
        elif kind == "note":
            args = ["note", str(deal), f"{self.name} โน้ต {i}"]
        else:
            args = ["edit", str(deal), "--title", f"{self.name} deal {deal} v{i}"]
        result = call(*args)
        if result.returncode != 0:
            self.failures.append((args, result.returncode, result.stderr.strip()))
            return
        if kind == "add":
            self.mine[int(result.stdout)] = {
                "stage": "presented",
                "title": args[1],
                "notes": [],
                "counts": Counter({"add": 1}),
            }
            return
        record = self.mine[deal]
        record["counts"][kind] += 1
        if kind == "move":
            record["stage"] = target
        elif kind == "note":
            record["notes"].append(args[2])
        else:
            record["title"] = args[3]


class Reader(threading.Thread):
    def __init__(self, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.stop = stop
        self.reads = 0
        self.bad: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            result = call("list", "--json")
            self.reads += 1
            try:
                ok = result.returncode == 0 and isinstance(json.loads(result.stdout), list)
            except json.JSONDecodeError:
                ok = False
            if not ok:
                self.bad.append(f"exit {result.returncode}: {result.stderr.strip()[:200]}")


def verify(db: Path, writers: list[Writer]) -> list[str]:
    """Everything the writers did is in the database, once; the problems found."""
    problems: list[str] = []
    snapshot = Pipeline.open(db).read()
    deals = {d.id: d for d in snapshot.open_deals()}
    expected = {deal_id: r for w in writers for deal_id, r in w.mine.items()}
    if sorted(deals) != list(range(1, len(expected) + 1)):
        problems.append(f"ids are not 1..{len(expected)}: {len(deals)} deals stored")
    missing = sorted(set(expected) - set(deals))
    if missing:
        problems.append(f"lost deals: {missing[:20]}")
    counts: dict[int, Counter[str]] = {}
    notes: dict[int, list[str]] = {}
    events = snapshot.events()
    for event in events:
        if event.deal_id is None:
            continue
        counts.setdefault(event.deal_id, Counter())[event.type] += 1
        if event.type == "note":
            notes.setdefault(event.deal_id, []).append(event.text or "")
    for deal_id, want in expected.items():
        got = deals.get(deal_id)
        if got is None:
            continue
        if got.stage != want["stage"] or got.title != want["title"]:
            problems.append(f"deal {deal_id}: {got.stage}/{got.title!r}, expected {want}")
        if counts.get(deal_id, Counter()) != want["counts"]:
            problems.append(f"deal {deal_id}: events {dict(counts.get(deal_id, {}))}")
        if notes.get(deal_id, []) != want["notes"]:
            problems.append(f"deal {deal_id}: notes differ")
    done = sum(w.writes - len(w.failures) for w in writers)
    if len(events) != done:
        problems.append(f"{len(events)} events for {done} successful writes")
    problems += [f"doctor: {d}" for d in doctor_differences(db)]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--readers", type=int, default=2)
    add_compaction_option(parser)
    options = parser.parse_args()
    use_compaction_option(options)
    folder = Path(tempfile.mkdtemp(prefix="salespipe-concurrency-"))
    db = folder / "pipeline.json"
    os.environ.update(SALESPIPE_DB=str(db), SALESPIPE_HOOKS=str(folder / "no-hooks"))
    os.environ["SALESPIPE_CONFIG_DIR"] = str(folder / "config")
    assert call("init").returncode == 0
    writers = [Writer(f"w{n}", options.writes, n) for n in range(options.writers)]
    stop = threading.Event()
    readers = [Reader(stop) for _ in range(options.readers)]
    start = time.perf_counter()
    for thread in [*readers, *writers]:
        thread.start()
    for writer in writers:
        writer.join()
    stop.set()
    for reader in readers:
        reader.join()
    seconds = time.perf_counter() - start
    failures = [f for w in writers for f in w.failures]
    problems = verify(db, writers)
    bad_reads = [b for r in readers for b in r.bad]
    total = options.writers * options.writes
    print(
        f"{options.writers} writers × {options.writes} writes = {total} in {seconds:.0f} s; "
        f"{sum(r.reads for r in readers)} reads alongside"
    )
    print(f"failed writes: {len(failures)}  {failures[:5]}")
    print(f"lost or wrong updates: {len(problems)}  {problems[:10]}")
    print(f"bad reads: {len(bad_reads)}  {bad_reads[:5]}")
    ok = not failures and not problems and not bad_reads
    print("OK" if ok else "FAILED", f"(database in {folder})")
    if ok:
        shutil.rmtree(folder)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
