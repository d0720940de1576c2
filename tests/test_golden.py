"""Every command's --json on a seeded demo, byte for byte as recorded in tests/golden/.

A refactoring must not change what scripts read. When a change is *meant* to change an
output (a new key, a different demo history), regenerate and review the diff:

    SALESPIPE_REGEN_GOLDEN=1 python -m pytest tests/test_golden.py
    git diff tests/golden/

The demo is written once per run with a fixed seed, clock, time zone and user, so the
outputs are the same on every machine (docs/architecture.md, "The golden outputs").
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from tests.conftest import NOW, Cli

pytestmark = pytest.mark.usefixtures("each_backend")

GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
REGENERATE = os.environ.get("SALESPIPE_REGEN_GOLDEN") == "1"
SEED = "7"
PLACEHOLDER = "$DIR"
REPOSITORY = str(Path(__file__).resolve().parents[1])

# name, argv after `--db DEMO`, exit code. Read-only: each runs on the same demo.
READS: list[tuple[str, Sequence[str], int]] = [
    ("list", ["list"], 0),
    ("list-all-by-value", ["list", "--status", "all", "--sort", "value"], 0),
    ("list-won-alice", ["list", "--status", "won", "--owner", "alice"], 0),
    ("list-stale", ["list", "--stale"], 0),
    ("list-search-limit", ["list", "--status", "all", "--search", "a", "--limit", "5"], 0),
    ("show-1", ["show", "1"], 0),
    ("show-7", ["show", "7"], 0),
    ("log", ["log"], 0),
    ("log-deal-3", ["log", "3"], 0),
    ("log-since", ["log", "--since", "2026-11-20", "--limit", "10"], 0),
    ("doctor", ["doctor"], 0),
    ("stage-list", ["stage", "list"], 0),
    ("stage-list-all", ["stage", "list", "--all"], 0),
    ("chart", ["chart"], 0),
    ("chart-value", ["chart", "--by", "value"], 0),
    ("chart-weighted-all-stages", ["chart", "--by", "weighted", "--all-stages"], 0),
    ("chart-as-of", ["chart", "--as-of", "2026-10-15"], 0),
    ("report", ["report"], 0),
    ("report-since", ["report", "--since", "2026-11-01"], 0),
    ("report-as-of-owner", ["report", "--as-of", "2026-10-15", "--owner", "chai"], 0),
    ("forecast", ["forecast"], 0),
    ("forecast-6", ["forecast", "--months", "6"], 0),
    ("forecast-history", ["forecast", "--method", "history"], 0),
    ("forecast-backtest", ["forecast", "--backtest", "--months", "3"], 0),
    ("calibrate", ["calibrate"], 0),
    ("calibrate-since-owner", ["calibrate", "--since", "2026-09-01", "--owner", "chai"], 0),
    ("slips", ["slips"], 0),
    ("funnel", ["funnel"], 0),
    ("funnel-period", ["funnel", "--since", "2026-10-01", "--until", "2026-11-15"], 0),
    ("durations", ["durations"], 0),
    ("durations-as-of", ["durations", "--as-of", "2026-10-15"], 0),
    ("winrate", ["winrate"], 0),
    ("winrate-owner", ["winrate", "--by", "owner"], 0),
    ("winrate-month", ["winrate", "--by", "month"], 0),
    ("winrate-stage", ["winrate", "--by", "stage", "--since", "2026-10-01"], 0),
    ("stale", ["stale"], 0),
    ("stale-as-of", ["stale", "--as-of", "2026-10-15"], 0),
    ("stale-limit", ["stale", "--limit", "3"], 0),
    ("check", ["check"], 3),
    ("check-owner", ["check", "--owner", "chai"], 3),
    ("check-limit", ["check", "--limit", "1"], 3),
    ("agenda", ["agenda"], 0),
    ("agenda-limit", ["agenda", "--limit", "1"], 0),
    ("agenda-owner-days", ["agenda", "--owner", "chai", "--days", "14"], 0),
    ("board", ["board"], 0),
    ("board-by-value", ["board", "--by", "value", "--owner", "alice"], 0),
    ("config-list", ["config", "list"], 0),
    ("config-get", ["config", "get", "currency"], 0),
    ("error-no-deal", ["show", "999"], 1),
    ("error-ambiguous-stage", ["list", "--stage", "ing"], 1),
    ("error-unknown-stage", ["list", "--stage", "zzz"], 1),
    # A team is a PostgreSQL pipeline's (tests/test_team.py: its roles are the server's,
    # named per run); on the demo file each team command is the same usage error.
    ("error-team-list-file", ["team", "list"], 2),
    ("error-team-add-file", ["team", "add", "alice", "--role", "rep"], 2),
    ("error-team-remove-file", ["team", "remove", "alice"], 2),
]

# One working session on a copy of the demo, in this order.
N = "41"  # the id the first new deal gets
WRITES: list[tuple[str, Sequence[str], int]] = [
    ("add", ["add", "Golden deal", "--customer", "Siam Foods", "--value", "1.5m",
             "--close", "2026-12-31", "--tag", "vip", "--owner", "alice"], 0),
    ("edit", ["edit", N, "--value", "2m", "--prob", "60", "--untag", "vip"], 0),
    ("move", ["move", N, "quoted", "--reason", "sent the quotation"], 0),
    ("move-same-stage", ["move", N, "quoted"], 0),
    ("quote", ["quote", N, "--amount", "1.9m", "--valid-until", "2026-12-15",
               "--note", "3-year term"], 0),
    ("note", ["note", N, "Called Khun Somchai"], 0),
    ("next", ["next", N, "Site visit", "--due", "2026-12-01"], 0),
    ("next-done", ["next", N, "--done"], 0),
    ("won", ["won", N, "--reason", "PO received"], 0),
    ("error-move-closed", ["move", N, "approved"], 1),
    ("reopen", ["reopen", N, "--stage", "negotiating", "--reason", "scope grew"], 0),
    ("lost", ["lost", N, "--reason", "chose a cheaper supplier"], 0),
    ("delete", ["delete", N, "--yes"], 0),
    ("undo", ["undo"], 0),
    ("stage-add", ["stage", "add", "Golden", "--after", "quoted", "--prob", "60",
                   "--target-days", "5"], 0),
    ("stage-rename", ["stage", "rename", "Golden", "Golden stage"], 0),
    ("stage-set", ["stage", "set", "Golden stage", "--target-days", "none",
                   "--guide", "Check the terms."], 0),
    ("stage-order", ["stage", "order", "approved"], 0),
    ("stage-disable", ["stage", "disable", "Golden stage"], 0),
    ("stage-enable", ["stage", "enable", "Golden stage"], 0),
    ("stage-remove", ["stage", "remove", "Golden stage"], 0),
    ("error-stage-remove-used", ["stage", "remove", "quoted"], 1),
    ("config-set", ["config", "set", "require_reason", "true"], 0),
    ("import-dry-run", ["import", str(EXAMPLES / "import" / "deals.csv"), "--dry-run"], 0),
    ("import", ["import", str(EXAMPLES / "import" / "deals.csv")], 0),
    ("import-again", ["import", str(EXAMPLES / "import" / "deals.csv")], 0),
    ("export-csv", ["export", "--format", "csv", "-o", f"{PLACEHOLDER}/deals.csv"], 0),
    ("export-json", ["export", "--format", "json", "-o", f"{PLACEHOLDER}/backup.json"], 0),
    ("pipeline-add", ["pipeline", "add", "Renewals", "--stages", "copy-of", "Sales"], 0),
    ("pipeline-rename", ["pipeline", "rename", "Renewals", "Renewals 2027"], 0),
    ("pipeline-use", ["pipeline", "use", "2"], 0),
    ("move-across", ["move", "14", "Quoted", "--pipeline", "renewals", "--reason", "renewal"], 0),
    ("use", ["use", "sales"], 0),
    ("pipeline-list", ["pipeline", "list"], 0),
    ("pipeline-archive", ["pipeline", "archive", "renewals"], 0),
    ("pipeline-unarchive", ["pipeline", "unarchive", "renewals"], 0),
    ("pipeline-add-empty", ["pipeline", "add", "Test", "--stages", "empty"], 0),
    ("pipeline-remove", ["pipeline", "remove", "test"], 0),
]  # fmt: skip

# Commands that make a data file of their own.
FRESH: list[tuple[str, Sequence[str], int]] = [
    ("init", ["--db", f"{PLACEHOLDER}/new.json", "init", "--currency", "USD"], 0),
    ("demo", ["demo", "--db", f"{PLACEHOLDER}/demo2.json", "--deals", "12", "--seed", "3"], 0),
    ("restore", ["--db", f"{PLACEHOLDER}/restored.json", "import",
                 f"{PLACEHOLDER}/backup.json"], 0),
    ("copy", ["copy", f"{PLACEHOLDER}/demo2.json", f"{PLACEHOLDER}/copy.json"], 0),
    ("error-copy-not-empty", ["copy", f"{PLACEHOLDER}/demo2.json",
                              f"{PLACEHOLDER}/copy.json"], 1),
]  # fmt: skip


def _env(folder: Path) -> dict[str, str]:
    """The run's environment, pinned: nothing of the developer's own settings leaks in."""
    unset = ("SALESPIPE_LANG", "LC_ALL", "LC_MESSAGES", "NO_COLOR", "SALESPIPE_DB")
    return {
        **{k: v for k, v in os.environ.items() if k not in unset},
        "SALESPIPE_NOW": NOW,
        "TZ": "Asia/Bangkok",
        "SALESPIPE_USER": "tester",
        "SALESPIPE_CONFIG_DIR": str(folder / "config"),
        "SALESPIPE_HOOKS": str(folder / "no-hooks"),
        "LANG": "C.UTF-8",
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded demo, written once by the installed program."""
    folder = tmp_path_factory.mktemp("golden-demo")
    db = folder / "demo.json"
    done = subprocess.run(
        [sys.executable, "-m", "salespipe", "demo", "--db", str(db), "--seed", SEED, "--json"],
        capture_output=True,
        text=True,
        env={**_env(folder), "SALESPIPE_DB": str(db)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return db


def _run(cli: Cli, argv: Sequence[str], folder: Path) -> tuple[int, str]:
    args = [a.replace(PLACEHOLDER, str(folder)) for a in argv]
    result = cli(*args, "--json")
    out = result.stdout.replace(str(folder), PLACEHOLDER).replace(REPOSITORY, "$REPOSITORY")
    return result.exit_code, out


def _compare(name: str, argv: Sequence[str], expected_exit: int, code: int, out: str) -> str:
    """'' when the output is as recorded (or was just recorded), else what differs."""
    path = GOLDEN / f"{name}.json"
    problems = []
    if code != expected_exit:
        problems.append(f"exit {code}, expected {expected_exit}")
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(out, encoding="utf-8")
    elif not path.exists():
        problems.append(f"no {path.name}; regenerate with SALESPIPE_REGEN_GOLDEN=1")
    elif path.read_text(encoding="utf-8") != out:
        problems.append(f"--json output differs from {path.name}")
    return f"{name} ({' '.join(argv)}): {'; '.join(problems)}" if problems else ""


@pytest.mark.parametrize(("name", "argv", "exit_code"), READS, ids=[c[0] for c in READS])
def test_read_commands(demo: Path, name: str, argv: Sequence[str], exit_code: int) -> None:
    """Each listing and report prints the recorded JSON."""
    code, out = _run(Cli(), ["--db", str(demo), *argv], demo.parent)
    assert not _compare(name, argv, exit_code, code, out)


def test_a_working_session(demo: Path, tmp_path: Path) -> None:
    """Every change command, in a realistic order, prints the recorded JSON."""
    folder = tmp_path / "session"
    shutil.copytree(demo.parent, folder, ignore=shutil.ignore_patterns("*.lock", "config"))
    db = folder / demo.name
    cli = Cli()
    problems = []
    for name, argv, exit_code in WRITES:
        code, out = _run(cli, ["--db", str(db), *argv], folder)
        problems.append(_compare(name, argv, exit_code, code, out))
    for name, argv, exit_code in FRESH:
        code, out = _run(cli, argv, folder)
        problems.append(_compare(name, argv, exit_code, code, out))
    assert [p for p in problems if p] == []


def test_every_golden_file_belongs_to_a_case() -> None:
    """No stale golden file is left behind when a case is renamed or dropped."""
    names = {c[0] for c in (*READS, *WRITES, *FRESH)}
    assert len(names) == len(READS) + len(WRITES) + len(FRESH)
    recorded = {p.stem for p in GOLDEN.glob("*.json")}
    assert recorded <= names, recorded - names


# Commands that cannot have a golden case. `watch` runs until stopped, on PostgreSQL
# only: its --json lines are compared with the items of `log --json` instead
# (tests/test_team_feed.py).
NO_GOLDEN_CASE = {"watch"}


def test_every_command_has_a_golden_case() -> None:
    """A new command gets its golden output too."""
    import typer.main

    from salespipe.cli.app import app

    root = typer.main.get_command(app)
    covered = {c[1][0] if c[1][0] != "--db" else c[1][2] for c in (*READS, *WRITES, *FRESH)}
    covered |= {f"stage {c[1][1]}" for c in (*READS, *WRITES) if c[1][0] == "stage"}
    covered |= {f"config {c[1][1]}" for c in (*READS, *WRITES) if c[1][0] == "config"}
    covered |= {f"pipeline {c[1][1]}" for c in (*READS, *WRITES) if c[1][0] == "pipeline"}
    covered |= {f"team {c[1][1]}" for c in (*READS, *WRITES) if c[1][0] == "team"}
    commands = set()
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        commands |= {f"{name} {s}" for s in subcommands} if subcommands else {name}
    assert commands - covered - NO_GOLDEN_CASE == set()


def test_outputs_name_no_machine_path() -> None:
    """Recorded outputs hold the placeholder, never a temporary folder of the run."""
    for path in GOLDEN.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"/tmp/|pytest-of-", text), path.name
        assert REPOSITORY not in text, path.name
