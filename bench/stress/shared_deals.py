"""Concurrency stress on SHARED deals: every kind of write, by writers on the same deals,
with readers replaying the history beside them.

    python bench/stress/shared_deals.py                      # 8 writers × 60 writes, 2 readers
    python bench/stress/shared_deals.py --writers 4 --writes 20 --deals 100000

Every operation is a real `salespipe` process. Writers pick any deal any writer added
and run add, move, won, lost, reopen, delete, note, next, quote, edit, undo (whoever's
change is last), stage add/rename/disable and import; each write carries a token of its
own (title, reason, note text), so that it can be found afterwards. Readers run `chart`,
`report`, `log`, `list --json` and `report --as-of` the whole time.

Checks at the end: every acknowledged write (exit 0) has its event in the history
(events are never removed: an undo or delete appends its own), every acknowledged undo
has its undo event, deal ids never repeat, each deal the database holds was added and
each acknowledged add that is gone is explained by a delete or an undo, `report --as-of
<today>` equals `report`, and a refused write exits 1 or 75 (busy), never anything else.
Readers must always exit 0 with valid output. Exits 1 if anything is wrong.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from command import salespipe

from salespipe.app.pipeline import Pipeline

STAGES = ("presented", "considering", "quoted", "negotiating", "approved")
# How often each kind of write is picked (add more often, so there are deals to share).
KINDS = {
    "add": 6,
    "move": 4,
    "won": 2,
    "lost": 2,
    "reopen": 2,
    "delete": 1,
    "note": 3,
    "next": 2,
    "quote": 2,
    "edit": 3,
    "undo": 2,
    "stage-add": 1,
    "stage-rename": 1,
    "stage-disable": 1,
    "import": 1,
}
ALLOWED_REFUSALS = (1, 75)  # refused (a deleted deal, nothing to undo) or busy
IMPORT_ROWS = 3


def call(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*salespipe(), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=timeout,
    )


@dataclass
class Shared:
    """What the writers know together: the deals and stages added so far."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    deals: list[int] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)  # stage keys the writers added

    def pick_deal(self, rng: random.Random) -> int | None:
        with self.lock:
            return rng.choice(self.deals) if self.deals else None

    def pick_stage(self, rng: random.Random) -> str | None:
        with self.lock:
            return rng.choice(self.stages) if self.stages else None


@dataclass
class Done:
    kind: str
    token: str
    deal: int | None
    args: list[str]


class Writer(threading.Thread):
    def __init__(self, name: str, writes: int, seed: int, shared: Shared, folder: Path) -> None:
        super().__init__(daemon=True)
        self.name = name
        self.writes = writes
        self.rng = random.Random(seed)
        self.shared = shared
        self.folder = folder
        self.done: list[Done] = []
        self.refused: Counter[int] = Counter()
        self.problems: list[str] = []

    def run(self) -> None:
        for i in range(self.writes):
            try:
                self.step(f"{self.name}-{i}")
            except Exception as exc:  # the stress driver itself must not hide a failure
                self.problems.append(f"writer {self.name} step {i}: {exc!r}")

    def _command(self, kind: str, token: str, deal: int | None) -> list[str] | None:
        rng = self.rng
        if kind == "add" or (deal is None and kind not in ("undo", "import")):
            return None if kind != "add" else ["add", f"T {token}", "-q"]
        ref = str(deal)
        simple: dict[str, list[str]] = {
            "move": ["move", ref, rng.choice(STAGES), "-r", token],
            "won": ["won", ref, "-r", token],
            "lost": ["lost", ref, "-r", token],
            "reopen": ["reopen", ref, "-r", token],
            "delete": ["delete", ref, "--yes"],
            "note": ["note", ref, token],
            "next": ["next", ref, token, "--due", "+3d"],
            "quote": ["quote", ref, "--valid-until", "+30d", "--note", token],
            "edit": ["edit", ref, "--title", f"T {token}"],
            "undo": ["undo"],
            "stage-add": ["stage", "add", f"S {token}"],
        }
        if kind in simple:
            return simple[kind]
        if kind == "import":
            source = self.folder / f"import-{token}.csv"
            rows = "".join(f"I {token} {n},{n + 1}000\n" for n in range(IMPORT_ROWS))
            source.write_text("title,value\n" + rows, encoding="utf-8")
            return ["import", str(source)]
        stage = self.shared.pick_stage(rng)
        if stage is None:
            return None
        if kind == "stage-rename":
            return ["stage", "rename", stage, f"R {token}"]
        return ["stage", "disable", stage, "--move-to", STAGES[0]]

    def step(self, token: str) -> None:
        kind = self.rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
        deal = self.shared.pick_deal(self.rng)
        args = self._command(kind, token, deal)
        if args is None:
            kind, args = "add", ["add", f"T {token}", "-q"]
        result = call(*args)
        if "Traceback" in result.stderr:
            self.problems.append(f"{args}: traceback {result.stderr[-300:]}")
        if result.returncode != 0:
            if result.returncode not in ALLOWED_REFUSALS:
                self.problems.append(f"{args}: exit {result.returncode} {result.stderr[:200]}")
            self.refused[result.returncode] += 1
            return
        if "nothing changed" in result.stdout:  # e.g. a move to the stage it is in
            self.refused[0] += 1
            return
        if kind == "add":
            deal = int(result.stdout)
            with self.shared.lock:
                self.shared.deals.append(deal)
        elif kind == "stage-add":
            key = _stage_key(f"S {token}")
            if key:
                with self.shared.lock:
                    self.shared.stages.append(key)
        self.done.append(Done(kind, token, deal, args))


def _stage_key(name: str) -> str | None:
    result = call("stage", "list", "--json")
    if result.returncode != 0:
        return None
    for stage in json.loads(result.stdout):
        if stage["name"] == name:
            return str(stage["key"])
    return None


class Reader(threading.Thread):
    """Replays and reports beside the writers: every read must answer."""

    COMMANDS = (
        ("list", "--status", "all", "--json"),
        ("chart",),
        ("report",),
        ("log", "-n", "30"),
        ("report", "--as-of", "today", "--json"),
        ("chart", "--as-of", "today", "--json"),
    )

    def __init__(self, stop: threading.Event, seed: int) -> None:
        super().__init__(daemon=True)
        self.stop = stop
        self.rng = random.Random(seed)
        self.reads = 0
        self.bad: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            args = self.rng.choice(self.COMMANDS)
            result = call(*args)
            self.reads += 1
            ok = result.returncode == 0 and "Traceback" not in result.stderr
            if ok and "--json" in args:
                try:
                    json.loads(result.stdout)
                except json.JSONDecodeError:
                    ok = False
            if not ok:
                self.bad.append(f"{args}: exit {result.returncode} {result.stderr[:200]}")


def _found(done: Done, events_by_deal: dict[int, list[dict[str, Any]]]) -> bool:
    """Whether the event of one acknowledged deal write is in the history."""
    token = done.token
    for event in events_by_deal.get(done.deal or -1, []):
        kind, after = event["type"], event.get("after") or {}
        if kind != done.kind:
            continue
        if kind in ("move", "won", "lost", "reopen") and event.get("reason") == token:
            return True
        if kind == "note" and event.get("text") == token:
            return True
        if kind == "next" and (after.get("next_action") or {}).get("text") == token:
            return True
        if kind == "quote" and (after.get("quote") or {}).get("note") == token:
            return True
        if kind in ("add", "edit") and after.get("title") == f"T {token}":
            return True
        if kind == "delete":
            return True
    return False


def _stage_found(done: Done, events: list[dict[str, Any]]) -> bool:
    """Whether a stage write is in the history. Disabling a stage that another writer
    disabled a moment before answers exit 0 and records nothing (it is disabled, as
    asked): a disable counts when some disable of that stage is recorded."""
    for event in (e for e in events if e["type"] == done.kind):
        stages = (event.get("after") or {}).values()
        if done.kind == "stage-add" and any(s["name"] == f"S {done.token}" for s in stages):
            return True
        if done.kind == "stage-rename" and any(s["name"] == f"R {done.token}" for s in stages):
            return True
        if done.kind == "stage-disable" and done.args[2] in (event.get("after") or {}):
            return True
    return False


def verify(db: Path, writers: list[Writer], before: set[int]) -> list[str]:
    """What the writers were told was done is in the database; the problems found."""
    problems = [p for w in writers for p in w.problems]
    snapshot = Pipeline.open(db).read()
    events = list(snapshot.event_records())
    by_deal: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        if event.get("deal_id") is not None:
            by_deal.setdefault(event["deal_id"], []).append(event)
    done = [d for w in writers for d in w.done]
    kinds = Counter(d.kind for d in done)
    by_type = Counter(e["type"] for e in events)
    for item in done:
        if item.kind in ("undo", "import") or item.kind.startswith("stage-"):
            continue
        if not _found(item, by_deal):
            problems.append(f"acknowledged {item.args} has no event")
    if by_type["undo"] < kinds["undo"]:
        problems.append(f"{kinds['undo']} undo acknowledged, {by_type['undo']} recorded")
    stage_events = [e for e in events if e["type"].startswith("stage-")]
    for item in (d for d in done if d.kind.startswith("stage-")):
        if not _stage_found(item, stage_events):
            problems.append(f"acknowledged {item.args} has no event")
    for item in (d for d in done if d.kind == "import"):
        titles = {f"I {item.token} {n}" for n in range(IMPORT_ROWS)}
        got = {e["after"]["title"] for e in events if e["type"] == "add" and e.get("after")}
        if not titles <= got:
            problems.append(f"import {item.token}: rows missing")
    added = [e["deal_id"] for e in events if e["type"] == "add"]
    if len(added) != len(set(added)):
        problems.append("a deal id was given twice")
    acked = [d.deal for d in done if d.kind == "add"]
    if len(acked) != len(set(acked)):
        problems.append("two writers were told the same new deal id")
    present = {r["id"] for r in snapshot.all_records()}
    if not present <= set(added) | set(before):
        problems.append("a deal exists that no add created")
    explained = {e["deal_id"] for e in events if e["type"] == "delete"}
    undone = snapshot.undone_changes()
    explained |= {e["deal_id"] for e in events if e["type"] == "add" and e["change"] in undone}
    gone = {d for d in acked if d not in present} - explained
    if gone:
        problems.append(f"acknowledged deals gone without a delete or undo: {sorted(gone)[:10]}")
    now, as_of = call("report", "--json"), call("report", "--as-of", "today", "--json")
    if now.returncode or as_of.returncode or json.loads(now.stdout) != json.loads(as_of.stdout):
        problems.append("report --as-of today differs from report")
    return problems


def run(folder: Path, writers: int, writes: int, readers: int, seed: int = 0) -> dict[str, Any]:
    """One stress run in ``folder`` (SALESPIPE_DB etc. must point there); its figures."""
    shared = Shared()
    existing = Pipeline.open(Path(os.environ["SALESPIPE_DB"])).read()
    start_ids = sorted(existing.open_deal_ids())
    shared.deals.extend(start_ids[-200:])  # on a large file, share its newest open deals too
    team = [Writer(f"w{n}", writes, seed * 1000 + n, shared, folder) for n in range(writers)]
    stop = threading.Event()
    watchers = [Reader(stop, seed * 1000 + 500 + n) for n in range(readers)]
    started = time.perf_counter()
    for thread in [*watchers, *team]:
        thread.start()
    for writer in team:
        writer.join()
    stop.set()
    for reader in watchers:
        reader.join()
    seconds = time.perf_counter() - started
    db = Path(os.environ["SALESPIPE_DB"])
    before = existing.open_deal_ids() | {r["id"] for r in existing.closed_records()}
    problems = verify(db, team, before)
    problems += [b for r in watchers for b in r.bad]
    return {
        "writes": writers * writes,
        "acknowledged": sum(len(w.done) for w in team),
        "refused": dict(sum((w.refused for w in team), Counter())),
        "kinds": dict(Counter(d.kind for w in team for d in w.done)),
        "reads": sum(r.reads for r in watchers),
        "seconds": round(seconds, 1),
        "problems": problems,
    }


def point_at(folder: Path) -> Path:
    db = folder / "pipeline.json"
    os.environ.update(
        SALESPIPE_DB=str(db),
        SALESPIPE_HOOKS=str(folder / "no-hooks"),
        SALESPIPE_CONFIG_DIR=str(folder / "config"),
    )
    return db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--writes", type=int, default=60)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--deals", type=int, default=0, help="start from a demo of N deals")
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="salespipe-shared-"))
    point_at(folder)
    if options.deals:
        made = call("demo", "--db", str(folder / "pipeline.json"), "--deals", str(options.deals))
        assert made.returncode == 0, made.stderr
    else:
        assert call("init").returncode == 0
    assert call("config", "set", "lock_timeout", "60").returncode == 0
    figures = run(folder, options.writers, options.writes, options.readers, options.seed)
    problems = figures.pop("problems")
    print(json.dumps(figures, ensure_ascii=False))
    print(f"problems: {len(problems)}  {problems[:10]}")
    print("OK" if not problems else "FAILED", f"(database in {folder})")
    if not problems:
        shutil.rmtree(folder)
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
