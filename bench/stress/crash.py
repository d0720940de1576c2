"""Crash stress: SIGKILL real `salespipe` writers at random moments on a large database.

    python bench/stress/crash.py                    # 100 kills on the 100k-deal data set
    python bench/stress/crash.py --deals 10000 --kills 20

Works on a copy of bench/data/demo-N.json (build it with `python bench/run.py` first).
Half of the kills hit writes that shrink the main file (won, lost, delete of an open
deal), half writes that grow it (add, note). Each kill lands a random moment between
30% and 110% of the command's usual duration (the first part is start-up). After each
kill: the main file parses, every journal line committed since the last check parses
and the bytes committed before are untouched (the whole database is parsed at the
start and at the end), `salespipe list --json` answers, the lock is free again within
2 s, and after the next write no temp file is left and no torn journal tail remains.
With --compact-always every write also rewrites the open-deals journal as a new
generation (the store's compaction, normally rare), so the kills land in it too; after
the next write only the current generation may be left. Exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson
from command import (
    add_compaction_option,
    doctor_differences,
    salespipe,
    use_compaction_option,
)

from salespipe.app.pipeline import Pipeline
from salespipe.core.model import Deal, Event
from salespipe.storage.jsonl import DatabasePaths

BENCH = Path(__file__).resolve().parents[1]
SHRINKING = ("won", "lost", "delete")
JOURNALS = ("events", "closed", "open")
GROWING = ("add", "note")


def copy_database(deals: int, folder: Path) -> Path:
    source = BENCH / "data" / f"demo-{deals}.json"
    if not source.exists():
        raise SystemExit(f"{source} is missing; run `python bench/run.py` first to build it")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    stem = source.name.removesuffix(".json")
    for path in source.parent.glob(f"{stem}.*"):
        if path.suffix in (".json", ".jsonl", ".idx", ".heads"):  # the indexes too
            shutil.copy(path, folder / path.name.replace(stem, "pipeline"))
    return folder / "pipeline.json"


def open_ids(db: Path) -> list[int]:
    return sorted(d.id for d in Pipeline.open(db).read().open_deals())


def command(kind: str, deal_id: int, n: int) -> list[str]:
    return {
        "won": ["won", str(deal_id)],
        "lost": ["lost", str(deal_id), "--reason", "stress"],
        "delete": ["delete", str(deal_id), "--yes"],
        "add": ["add", f"Crash test {n}", "--customer", "Stress Co", "--value", "10k"],
        "note": ["note", str(deal_id), f"crash note {n} " + "ข้อความ " * 50],
    }[kind]


def usual_duration(db: Path, kind: str, deal_id: int) -> float:
    """How long this kind of write takes here (one run; its change is kept)."""
    start = time.perf_counter()
    subprocess.run([*salespipe(), *command(kind, deal_id, 0)], capture_output=True, check=True)
    return time.perf_counter() - start


def validate(db: Path) -> str | None:
    """None if the whole database reads; else what is wrong."""
    try:
        snapshot = Pipeline.open(db).read()
        snapshot.stages()
        open_deals = snapshot.open_deals()
        closed = snapshot.closed_deals()
        events = snapshot.events()
    except Exception as exc:  # any failure to read is what this stress looks for
        return f"{type(exc).__name__}: {exc}"
    if {d.id for d in open_deals} & {d.id for d in closed}:
        return "a deal is both open and closed"
    if not events:
        return "no events"
    return None


class Validator:
    """Checks the database after each kill without re-reading 400 MB of history each time.

    A writer only ever replaces the main file (atomically) and appends to the journals
    after their committed size, so after a full check at the start it is enough to check
    the main file whole, that the committed journal bytes seen before are still there
    (their last 4 KiB, and the size), and that every newly committed line parses.
    """

    TAIL = 4096

    def __init__(self, db: Path) -> None:
        self.db = db
        self.seen: dict[str, tuple[int, bytes]] = {}
        problem = validate(db)
        if problem:
            raise SystemExit(f"the copied database is not valid to begin with: {problem}")
        meta = Pipeline.open(db).read().meta
        self.generation = meta["open_generation"]
        for name in JOURNALS:
            size = meta[f"{name}_size"]
            self.seen[name] = (size, self._tail(name, size))

    def _journal(self, name: str) -> Path:
        paths = DatabasePaths.for_main(self.db)
        return paths.open_journal(self.generation) if name == "open" else getattr(paths, name)

    def _tail(self, name: str, size: int) -> bytes:
        with self._journal(name).open("rb") as handle:
            handle.seek(max(0, size - self.TAIL))
            return handle.read(min(size, self.TAIL))

    def check(self) -> str | None:
        try:
            snapshot = Pipeline.open(self.db).read()
            snapshot.stages()
            snapshot.open_deals()
            meta = snapshot.meta
            if meta["open_generation"] != self.generation:
                # Compacted: a new file, whose every live record open_deals() just parsed.
                self.generation = meta["open_generation"]
                self.seen["open"] = (0, b"")
            for name in JOURNALS:
                problem = self._check_journal(name, meta[f"{name}_size"])
                if problem:
                    return problem
        except Exception as exc:  # any failure to read is what this stress looks for
            return f"{type(exc).__name__}: {exc}"
        return None

    def _check_journal(self, name: str, size: int) -> str | None:
        before, tail = self.seen[name]
        if size < before:
            return f"the {name} journal's committed size went down ({before} -> {size})"
        if self._tail(name, before) != tail:
            return f"committed bytes of the {name} journal changed"
        with self._journal(name).open("rb") as handle:
            handle.seek(before)
            fresh = handle.read(size - before)
        if len(fresh) != size - before:
            return f"the {name} journal is shorter than its committed size"
        for line in fresh.splitlines():
            record = orjson.loads(line)
            if name == "events":
                Event.from_record(record)
            elif not record.get("deleted"):
                Deal.from_record(record)  # open records, and closed ones but tombstones
        self.seen[name] = (size, self._tail(name, size))
        return None


def seconds_until_lock_is_free(lock: Path, limit: float = 2.0) -> float | None:
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    start = time.perf_counter()
    try:
        while time.perf_counter() - start < limit:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return time.perf_counter() - start
            except BlockingIOError:
                time.sleep(0.005)
        return None
    finally:
        os.close(fd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    add_compaction_option(parser)
    options = parser.parse_args()
    use_compaction_option(options)
    folder = BENCH / ".work" / "crash"
    db = copy_database(options.deals, folder)
    os.environ.update(SALESPIPE_DB=str(db), SALESPIPE_HOOKS=str(folder / "no-hooks"))
    os.environ["SALESPIPE_CONFIG_DIR"] = str(folder / "config")
    rng = random.Random(options.seed)
    ids = open_ids(db)
    rng.shuffle(ids)
    durations = {kind: usual_duration(db, kind, ids.pop()) for kind in (*SHRINKING, *GROWING)}
    del ids
    print("usual durations:", {k: round(v, 2) for k, v in durations.items()})
    validator = Validator(db)
    problems: list[str] = []
    lock_waits: list[float] = []
    torn = leftovers = 0
    start = time.perf_counter()
    for n in range(options.kills):
        kind = rng.choice(SHRINKING if n % 2 else GROWING)
        deal_id = rng.choice(sorted(Pipeline.open(db).read().open_deal_ids()))
        writer = subprocess.Popen(
            [*salespipe(), *command(kind, deal_id, n)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # The first third of a run is start-up (imports); aim at the rest, where it writes.
        time.sleep(rng.uniform(0.3, 1.1) * durations[kind])
        writer.kill()
        writer.wait()
        meta = Pipeline.open(db).read().meta
        events_file = db.with_name("pipeline.events.jsonl")
        torn += events_file.stat().st_size != meta["events_size"]
        leftovers += any(".tmp-" in p.name for p in folder.iterdir())
        problem = validator.check()
        if problem:
            problems.append(f"kill {n} ({kind}): invalid database: {problem}")
            break
        differences = doctor_differences(db)
        if differences:
            problems.append(f"kill {n} ({kind}): doctor: {differences[:5]}")
        listed = subprocess.run([*salespipe(), "list", "--json"], capture_output=True, check=False)
        if listed.returncode != 0 or not isinstance(orjson.loads(listed.stdout or b"0"), list):
            problems.append(f"kill {n} ({kind}): list --json failed: {listed.stderr[-300:]!r}")
        waited = seconds_until_lock_is_free(db.with_name("pipeline.lock"))
        if waited is None:
            problems.append(f"kill {n} ({kind}): lock still held after 2 s")
        else:
            lock_waits.append(waited)
        after = subprocess.run(
            [*salespipe(), "add", f"after kill {n}", "-q"], capture_output=True, text=True
        )
        if after.returncode != 0:
            problems.append(f"kill {n}: the next write failed: {after.stderr.strip()}")
        if any(".tmp-" in p.name for p in folder.iterdir()):
            problems.append(f"kill {n}: temp files left after the next write")
        generations = [p.name for p in DatabasePaths.for_main(db).open_journals()]
        if len(generations) > 1:
            problems.append(f"kill {n}: old open-deals journals left: {generations}")
        meta = Pipeline.open(db).read().meta
        if events_file.stat().st_size != meta["events_size"]:
            problems.append(f"kill {n}: the next write left a torn journal tail")
        if (n + 1) % 10 == 0:
            print(f"  {n + 1} kills, {len(problems)} problems so far", flush=True)
    final = validate(db)
    if final:
        problems.append(f"the full check at the end failed: {final}")
    seconds = time.perf_counter() - start
    print(
        f"{options.kills} kills on {options.deals:,} deals in {seconds:.0f} s: "
        f"{torn} left a torn journal tail, {leftovers} left a temp file (both healed by the "
        "next write)"
    )
    if lock_waits:
        print(
            f"lock free again after: median {statistics.median(lock_waits) * 1000:.1f} ms, "
            f"max {max(lock_waits) * 1000:.1f} ms"
        )
    print(f"problems: {len(problems)}")
    for problem in problems[:20]:
        print("  " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
