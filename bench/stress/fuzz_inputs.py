"""Fuzzing the inputs that reach salespipe from outside its own command line checks:
import values and encodings, backup contents, option values, invalid UTF-8 arguments
and failing stdout.

    python bench/stress/fuzz_inputs.py                 # 300 cases per kind
    python bench/stress/fuzz_inputs.py --cases 50 --seed 7

Seeded and repeatable. Every case must end with a documented exit code (0, 1, 2, 4, 74,
75) and no traceback; a refused write must leave every file of the database as it was;
a restored backup must then answer list, show, report, forecast, log and chart; with
--json an error is still a JSON object; a failing stdout after a change says the change
was made. Prints the counts per kind and exits 1 on the first kind with a problem.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from command import salespipe
from typer.testing import CliRunner

from salespipe.cli.app import app

RUNNER = CliRunner()
EXIT_CODES = {0, 1, 2, 4, 74, 75}
ODD_TEXT = [
    "",
    " ",
    "-1",
    "0",
    "1e400",
    "nan",
    "inf",
    "9" * 30,
    "1" * 400,
    "๑๒๓",
    "١٢",
    "\udcff",
    "a\udc80b",
    "\x1b]0;x\x07",
    "\u202e",
    "--json",
    "2026-02-30",
    "+99999d",
    "-0",
    "1,2,3",
    "0x10",
    "๕๐%",
]
ODD_VALUES: list[Any] = [
    None,
    -1,
    0,
    2**70,
    10**30,
    1.5,
    True,
    "x",
    "",
    [],
    {},
    "\x1b[2J",
    "2026-13-01",
    [1, 2],
    {"a": 1},
]


class Case:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = folder / "pipeline.json"

    def invoke(self, *args: str) -> Any:
        return RUNNER.invoke(app, ["--db", str(self.db), *args], catch_exceptions=True)

    def files(self) -> dict[str, bytes]:
        if not self.folder.exists():
            return {}
        return {
            p.name: p.read_bytes()
            for p in self.folder.iterdir()
            if p.is_file() and p.name.startswith("pipeline") and not p.name.endswith(".lock")
        }


def _clean(result: Any, what: str) -> str | None:
    """None if a result ended cleanly; else what went wrong."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"{what}: {type(result.exception).__name__}: {result.exception}"
    if result.exit_code not in EXIT_CODES:
        return f"{what}: exit {result.exit_code}"
    if "Traceback" in result.stderr:
        return f"{what}: traceback"
    return None


def _seeded(case: Case) -> None:
    for args in (("add", "Alpha", "-v", "100"), ("add", "Bravo"), ("note", "1", "hello")):
        assert case.invoke(*args).exit_code == 0


# -- import values and encodings -------------------------------------------------------


def _value_cell(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 40)))
    pieces = [digits, rng.choice(["", ".", ",", ".5", ",50", "e5", "%", " THB", "฿", "k"])]
    return rng.choice(["", "-", "(", "+", "$", "€ "]) + "".join(pieces) + rng.choice(["", ")"])


def fuzz_import(case: Case, rng: random.Random) -> str | None:
    encoding = rng.choice([None, "utf-8", "utf-16", "utf-16-le", "cp874", "latin-1", "bogus"])
    rows = [
        [rng.choice(["Deal", "ดีล", "=SUM(1)", "x\x00y"]) + str(n), _value_cell(rng)]
        for n in range(rng.randint(1, 5))
    ]
    text = "title,value\n" + "".join(",".join(r) + "\n" for r in rows)
    data = text.encode(rng.choice(["utf-8", "utf-16-le", "utf-16", "cp874"]), errors="replace")
    if rng.random() < 0.2:
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
    source = case.folder / "in.csv"
    source.write_bytes(data)
    before = case.files()
    args = ["import", str(source)] + (["--encoding", encoding] if encoding else [])
    result = case.invoke(*args)
    problem = _clean(result, f"import {encoding} {data[:60]!r}")
    if problem is None and result.exit_code != 0 and case.files() != before:
        problem = f"refused import changed files ({encoding})"
    return problem


# -- backup contents --------------------------------------------------------------------


def _mutated(document: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    section = rng.choice(["config", "meta", "stages", "deals", "events", "changes"])
    value = rng.choice(ODD_VALUES)
    target = document.get(section)
    if isinstance(target, list) and target:
        item = rng.choice(target)
        if isinstance(item, dict) and item:
            item[rng.choice(list(item))] = value
    elif isinstance(target, dict) and target:
        target[rng.choice(list(target))] = value
    else:
        document[section] = value
    return document


def fuzz_backup(case: Case, rng: random.Random, backup: dict[str, Any]) -> str | None:
    document = _mutated(json.loads(json.dumps(backup)), rng)
    source = case.folder / "backup.json"
    source.write_text(json.dumps(document, indent=rng.choice([None, 1])), encoding="utf-8")
    target = case.folder / "restored" / "pipeline.json"
    shutil.rmtree(target.parent, ignore_errors=True)
    result = RUNNER.invoke(app, ["--db", str(target), "import", str(source)])
    problem = _clean(result, "restore")
    if problem or result.exit_code != 0:
        if problem is None and target.exists():
            problem = "a refused backup left a data file"
        return problem
    for args in (("list",), ("show", "1"), ("report",), ("forecast",), ("log",), ("chart",)):
        after = RUNNER.invoke(app, ["--db", str(target), *args], catch_exceptions=True)
        if after.exception is not None and not isinstance(after.exception, SystemExit):
            return f"{args} after a restore: {type(after.exception).__name__}: {after.exception}"
        if after.exit_code not in (0, 1):
            return f"{args} after a restore: exit {after.exit_code}"
    return None


# -- option values and invalid UTF-8 ---------------------------------------------------

OPTIONS = [
    ["add", "T", "--value"],
    ["add", "T", "--prob"],
    ["add", "T", "--close"],
    ["add", "T", "--currency"],
    ["add", "T", "--at"],
    ["edit", "1", "--value"],
    ["move", "1"],
    ["won", "1", "--at"],
    ["next", "1", "call", "--due"],
    ["quote", "1", "--valid-until"],
    ["list", "--stage"],
    ["list", "--sort"],
    ["list", "--limit"],
    ["log", "--limit"],
    ["report", "--as-of"],
    ["report", "--since"],
    ["chart", "--width"],
    ["chart", "--by"],
    ["forecast", "--months"],
    ["stale", "--days"],
    ["stage", "add", "S", "--target-days"],
    ["stage", "set", "quoted", "--probability"],
    ["stage", "disable"],
    ["config", "set", "lock_timeout"],
    ["config", "set", "currency"],
    ["export", "--format"],
    ["import", "--encoding"],
]


def fuzz_option(case: Case, rng: random.Random) -> str | None:
    args = [*rng.choice(OPTIONS), rng.choice(ODD_TEXT)]
    if args[0] == "import":
        args = ["import", str(case.folder / "in.csv"), *args[1:]]
    as_json = rng.random() < 0.5
    before = case.files()
    result = case.invoke(*args, *(["--json"] if as_json else []))
    problem = _clean(result, repr(args))
    if problem:
        return problem
    reads = ("list", "log", "report", "chart", "forecast", "stale", "export")
    if result.exit_code != 0 and args[0] not in reads and case.files() != before:
        return f"{args!r} was refused but changed files"
    if as_json and result.exit_code in (1, 4):
        try:
            json.loads(result.stdout)
        except json.JSONDecodeError:
            return f"{args!r} --json: the error is not JSON"
    return None


# -- stdout failures (real processes) ---------------------------------------------------

WRITES = [["add", "Out", "-q"], ["note", "1", "n"], ["move", "1", "quoted"], ["undo"]]
READS = [["list"], ["list", "--json"], ["report"], ["stage", "list"], ["export"]]


def fuzz_stdout(case: Case, rng: random.Random) -> str | None:
    args = rng.choice(WRITES + READS)
    env = {**os.environ, "SALESPIPE_DB": str(case.db)}
    closed = rng.random() < 0.5
    command = [*salespipe(), *args]
    before = case.files()
    if closed:
        quoted = " ".join("'" + part.replace("'", "'\\''") + "'" for part in command)
        done = subprocess.run(
            ["sh", "-c", f"{quoted} >&-"], env=env, capture_output=True, text=True, timeout=60
        )
    else:
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                command, env=env, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60
            )
    what = f"{args} with stdout {'closed' if closed else '/dev/full'}"
    if "Traceback" in done.stderr or done.returncode not in EXIT_CODES:
        return f"{what}: exit {done.returncode} {done.stderr[-200:]}"
    changed = case.files() != before  # a move to the stage the deal is in changes nothing
    if done.returncode == 74 and changed != ("was made" in done.stderr):
        return f"{what}: changed {changed}, but stderr says {done.stderr.strip()!r}"
    if done.returncode == 74 and len(done.stderr.strip().splitlines()) != 1:
        return f"{what}: not one line on stderr"
    return None


def run(cases: int, seed: int, folder: Path) -> dict[str, dict[str, Any]]:
    """Every kind of fuzzing, ``cases`` each; counts and first problems per kind."""
    rng = random.Random(seed)
    case = Case(folder / "db")
    case.folder.mkdir(parents=True)
    _seeded(case)
    export = case.invoke("export", "--format", "json")
    backup = json.loads(export.stdout)
    kinds: dict[str, Callable[[], str | None]] = {
        "import": lambda: fuzz_import(case, rng),
        "backup": lambda: fuzz_backup(case, rng, backup),
        "options": lambda: fuzz_option(case, rng),
        "stdout": lambda: fuzz_stdout(case, rng),
    }
    figures: dict[str, dict[str, Any]] = {}
    for name, one in kinds.items():
        count = cases if name != "stdout" else max(1, cases // 10)  # real processes: slower
        problems = [p for p in (one() for _ in range(count)) if p]
        figures[name] = {"cases": count, "problems": problems}
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="salespipe-fuzz-inputs-"))
    for variable in ("SALESPIPE_HOOKS", "SALESPIPE_CONFIG_DIR"):
        os.environ.setdefault(variable, str(folder / variable.lower()))
    figures = run(options.cases, options.seed, folder)
    failed = False
    for name, found in figures.items():
        problems = found["problems"]
        failed = failed or bool(problems)
        print(f"{name}: {found['cases']} cases, {len(problems)} problems {problems[:5]}")
    print("FAILED" if failed else "OK", f"(files in {folder})")
    if not failed:
        shutil.rmtree(folder)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
