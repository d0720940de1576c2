"""A team writing at once on one PostgreSQL pipeline: several LOGIN roles (password, TCP),
two writer processes each, and a `chart` reader beside them (docs/team.md).

    python bench/stress/team_writers.py                          # 4 roles × 2 × 200 writes
    python bench/stress/team_writers.py --roles 2 --writes 30
    python bench/stress/team_writers.py --server postgresql:///postgres

Makes a database and its roles of its own on the server (a superuser's URI; the roles
get unique names) and drops them afterwards. Each writer process runs mixed commands
in-process through the CLI (add, import of a pair of deals, move, note, edit) on its own
deals, as its own role, and reports what it committed. The reader runs `chart --json` the
whole time: a pair imported in one change is in Negotiating together or not at all, so
that stage's count is always even, and the pipeline never shrinks between two charts.

Checks at the end: deal ids are 1..N and each belongs to the writer that made it, each
deal's stage and title are as its writer left it, every event on a deal names its
writer's role, each role has exactly as many changes and events as its processes
committed, and `chart` totals equal those of `list`. Exits 1 if anything is wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import uuid4

PAIR_STAGE = "negotiating"  # only imported pairs go there
STAGES = ("presented", "considering", "quoted")  # where the other deals move
VALUE = 1000
PASSWORD = "stress-pw"


# -- the team --------------------------------------------------------------------------


def _admin(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


def _in_database(server: str, database: str) -> str:
    return re.sub(r"^([a-z]+://[^/?]*)(/[^?]*)?", lambda m: f"{m[1]}/{database}", server)


@contextmanager
def team_database(server: str, people: int) -> Iterator[dict[str, str]]:
    """A fresh database and ``people`` LOGIN roles with passwords, in one group that may
    use whatever any of them creates: each role's target (over TCP to 127.0.0.1). The
    database and the roles are dropped afterwards."""
    suffix = uuid4().hex[:8]
    database = f"salespipe_team_{suffix}"
    group = f"team_{suffix}"
    roles = [f"rep{n}_{suffix}" for n in range(people)]
    _admin(server, f'CREATE DATABASE "{database}"')
    try:
        _admin(server, f'CREATE ROLE "{group}" NOLOGIN')
        for role in roles:
            _admin(server, f'CREATE ROLE "{role}" LOGIN PASSWORD \'{PASSWORD}\' IN ROLE "{group}"')
        here = _in_database(server, database)
        _admin(here, f'GRANT CREATE, USAGE ON SCHEMA public TO "{group}"')
        for role in roles:
            for kind in ("TABLES", "SEQUENCES"):
                _admin(
                    here,
                    f'ALTER DEFAULT PRIVILEGES FOR ROLE "{role}" IN SCHEMA public'
                    f' GRANT ALL ON {kind} TO "{group}"',
                )
        yield {
            role: f"postgresql://{role}:{PASSWORD}@127.0.0.1/{database}?sslmode=disable"
            for role in roles
        }
    finally:
        _admin(server, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        for role in [*roles, group]:
            _admin(server, f'DROP ROLE IF EXISTS "{role}"')


# -- one writer process ------------------------------------------------------------------


def writer(target: str, name: str, writes: int, go: Path, seed: int, folder: Path) -> None:
    """``writes`` mixed commands on deals of its own; prints what it committed as JSON."""
    from typer.testing import CliRunner

    from salespipe.cli.app import app

    runner = CliRunner()
    rng = random.Random(seed)
    mine: dict[int, dict[str, str]] = {}
    pairs: list[str] = []  # titles of the imported deals (never changed after)
    changes: Counter[str] = Counter()
    events = 0
    failures: list[str] = []
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    for i in range(writes):
        kind = rng.choice(["add", "import", "move", "note", "edit"] if mine else ["add"])
        deal = rng.choice(sorted(mine)) if mine else 0
        if kind == "add":
            args = ["add", f"{name} deal {i}", "-v", str(VALUE), "-q"]
        elif kind == "import":
            csv = folder / f"{name}-{i}.csv"
            rows = "".join(f"{name} pair {i}{half},{PAIR_STAGE},{VALUE}\n" for half in "ab")
            csv.write_text("title,stage,value\n" + rows, encoding="utf-8")
            args = ["import", str(csv)]
        elif kind == "move":
            stage = rng.choice([s for s in STAGES if s != mine[deal]["stage"]])
            args = ["move", str(deal), stage, "--reason", f"{name} {i}"]
        elif kind == "note":
            args = ["note", str(deal), f"{name} โน้ต {i}"]
        else:
            args = ["edit", str(deal), "--title", f"{name} deal {deal} v{i}"]
        result = runner.invoke(app, ["--db", target, *args])
        if result.exit_code != 0:
            failures.append(f"{args[0]}: exit {result.exit_code}: {result.stderr.strip()}")
            continue
        changes[kind] += 1
        if kind == "add":
            mine[int(result.stdout)] = {"stage": "presented", "title": args[1]}
            events += 1
        elif kind == "import":
            pairs += [f"{name} pair {i}{half}" for half in "ab"]
            events += 2
        else:
            events += 1
            if kind == "move":
                mine[deal]["stage"] = args[2]
            elif kind == "edit":
                mine[deal]["title"] = args[3]
    print(
        json.dumps(
            {
                "deals": mine,
                "pairs": pairs,
                "changes": changes,
                "events": events,
                "failures": failures,
            }
        )
    )


# -- the chart reader --------------------------------------------------------------------


def reader(target: str, stop: Path) -> None:
    """`chart --json` until ``stop`` appears; prints how many and what looked wrong."""
    from typer.testing import CliRunner

    from salespipe.cli.app import app

    runner = CliRunner()
    reads, problems, last = 0, [], 0
    print("ready", flush=True)
    while not stop.exists():
        result = runner.invoke(app, ["--db", target, "chart", "--json"])
        reads += 1
        if result.exit_code != 0:
            problems.append(f"chart: exit {result.exit_code}: {result.stderr.strip()}")
            continue
        stages = {s["key"]: s for s in json.loads(result.stdout)["stages"]}
        pairs = stages[PAIR_STAGE]
        if pairs["count"] % 2 or pairs["value"].get("THB", 0) != VALUE * pairs["count"]:
            problems.append(f"half an import: {pairs}")
        total = sum(s["count"] for s in stages.values())
        if total < last:
            problems.append(f"the pipeline shrank from {last} to {total} deals")
        last = total
        time.sleep(0.01)  # leave the writers the cores
    print(json.dumps({"reads": reads, "problems": problems}))


# -- the run -----------------------------------------------------------------------------


def _start(*args: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, __file__, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if line != "ready":
        raise RuntimeError(f"{args[0]} did not start: {line} {process.stderr.read()}")  # type: ignore[union-attr]
    return process


def _result(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=1800)
    if process.returncode != 0:
        raise RuntimeError(err)
    parsed: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return parsed


def run(targets: dict[str, str], per_role: int, writes: int, seed: int = 14) -> dict[str, Any]:
    """Writers (``per_role`` processes for each role of ``targets``) and one chart reader
    on a pipeline; the figures and the problems found."""
    from typer.testing import CliRunner

    from salespipe.cli.app import app

    roles = list(targets)
    first = targets[roles[0]]
    runner = CliRunner()
    for args in (["init", "--currency", "THB"], ["config", "set", "lock_timeout", "120"]):
        done = runner.invoke(app, ["--db", first, *args])
        assert done.exit_code == 0, done.stderr
    with tempfile.TemporaryDirectory(prefix="salespipe-team-") as temp:
        folder = Path(temp)
        go, stop = folder / "go", folder / "stop"
        writers = [
            (
                role,
                _start("writer", targets[role], f"w{n}", str(writes), str(go), str(seed + n), temp),
            )
            for n, role in enumerate(r for r in roles for _ in range(per_role))
        ]
        chart = _start("reader", first, str(stop))
        started = time.perf_counter()
        go.touch()
        done = [(role, _result(process)) for role, process in writers]
        seconds = time.perf_counter() - started
        stop.touch()
        charts = _result(chart)
    problems = [f for _, d in done for f in d["failures"]] + charts["problems"]
    problems += verify(first, done)
    return {
        "writes": sum(sum(d["changes"].values()) for _, d in done),
        "seconds": seconds,
        "reads": charts["reads"],
        "problems": problems,
    }


def verify(target: str, done: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """What the database holds against what each writer says it committed."""
    from typer.testing import CliRunner

    from salespipe.app.pipeline import Pipeline
    from salespipe.cli.app import app

    problems: list[str] = []
    view = Pipeline.open(target, "en").read()
    deals = {d.id: d for d in view.open_deals()}
    by_title = {d.title: d for d in deals.values()}
    author: dict[int, str] = {}
    for role, report in done:
        for title in report["pairs"]:
            pair = by_title.get(title)
            if pair is None or pair.stage != PAIR_STAGE:
                problems.append(f"imported deal {title!r} of {role} is lost or moved")
            else:
                author[pair.id] = role
        for key, want in report["deals"].items():
            deal_id = int(key)
            if deal_id in author:
                problems.append(f"deal {deal_id} was made by two writers")
            author[deal_id] = role
            got = deals.get(deal_id)
            if got is None:
                problems.append(f"deal {deal_id} of {role} is lost")
            elif (got.stage, got.title) != (want["stage"], want["title"]):
                problems.append(f"deal {deal_id}: {got.stage}/{got.title!r}, expected {want}")
    if sorted(deals) != list(range(1, len(author) + 1)):
        problems.append(f"ids are not 1..{len(author)}: {len(deals)} deals stored")
    changes: dict[str, set[int]] = {}
    events: Counter[str] = Counter()
    for event in view.events():
        if event.deal_id is None:
            continue
        if event.who != author.get(event.deal_id):
            problems.append(f"event {event.seq} on deal {event.deal_id} is by {event.who}")
        changes.setdefault(event.who, set()).add(event.change)
        events[event.who] += 1
    for role in {role for role, _ in done}:
        reports = [d for r, d in done if r == role]
        committed = sum(sum(d["changes"].values()) for d in reports)
        if len(changes.get(role, ())) != committed:
            problems.append(f"{role}: {len(changes.get(role, ()))} changes, {committed} committed")
        if events[role] != sum(d["events"] for d in reports):
            problems.append(f"{role}: {events[role]} events, expected another number")
    problems += _reports_disagree(CliRunner(), app, target)
    return problems


def _reports_disagree(runner: Any, app: Any, target: str) -> list[str]:
    """`chart` counts and values per stage against the deals `list` shows."""
    chart = json.loads(runner.invoke(app, ["--db", target, "chart", "--json"]).stdout)
    listed = json.loads(runner.invoke(app, ["--db", target, "list", "--json"]).stdout)
    counts = Counter(d["stage"] for d in listed)
    values: Counter[str] = Counter()
    for deal in listed:
        values[deal["stage"]] += deal["value"]
    problems = []
    for stage in chart["stages"]:
        key = stage["key"]
        if stage["count"] != counts[key] or stage["value"].get("THB", 0) != values[key]:
            problems.append(f"chart says {stage} for {key}; list: {counts[key]}, {values[key]}")
    return problems


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "writer":
        target, name, writes, go, seed, folder = sys.argv[2:]
        writer(target, name, int(writes), Path(go), int(seed), Path(folder))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "reader":
        reader(sys.argv[2], Path(sys.argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server", default=os.environ.get("SALESPIPE_TEST_PG", "postgresql:///postgres")
    )
    parser.add_argument("--roles", type=int, default=4)
    parser.add_argument("--per-role", type=int, default=2)
    parser.add_argument("--writes", type=int, default=200)
    options = parser.parse_args()
    with team_database(options.server, options.roles) as targets:
        figures = run(targets, options.per_role, options.writes)
    processes = options.roles * options.per_role
    print(
        f"{options.roles} roles × {options.per_role} processes × {options.writes} writes: "
        f"{figures['writes']} committed in {figures['seconds']:.0f} s; "
        f"{figures['reads']} charts alongside"
        f" ({processes} writer processes)"
    )
    print(f"problems: {len(figures['problems'])}  {figures['problems'][:10]}")
    print("OK" if not figures["problems"] else "FAILED")
    return 0 if not figures["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
