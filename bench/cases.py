"""What is timed, and the bar docs/benchmark.md sets for each command at each size."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

EVERYDAY, HISTORY, IMPORT = "everyday", "history", "import"
SHOW = "show"  # one deal's page: held to 2×F at every size
INFO = "info"  # measured and shown beside the others, with no bar of its own
STAGE_KEYS = ("presented", "considering", "quoted", "negotiating", "approved")


@dataclass(frozen=True)
class Target:
    """A bar: a multiple of a floor ("F" or "O") or plain seconds, and a memory cap."""

    factor: float
    floor: str  # "F" (import typer), "O" (orjson parse of the history) or "s" (seconds)
    memory_mb: float

    def describe(self) -> str:
        return f"≤ {self.factor:g} s" if self.floor == "s" else f"≤ {self.factor:g}×{self.floor}"


def target(kind: str, deals: int, writes: bool = False) -> Target | None:
    """The bar of a command at a size (docs/benchmark.md).

    Below 10k deals the 10k bar applies (a smaller file must not be slower). At 1M
    deals (100k open) writes are held to 2×F and everyday reads to 3×F.
    """
    large = deals >= 100_000
    huge = deals >= 1_000_000
    memory = 400.0 if large else 100.0
    if kind == INFO:
        return None
    if kind == SHOW:
        return Target(2.0, "F", memory)
    if kind == EVERYDAY:
        if huge:
            return Target(2.0 if writes else 3.0, "F", memory)
        return Target(2.5 if large else 2.0, "F", memory)
    if kind == HISTORY:
        return Target(1.5, "O", memory) if large else Target(4.0, "F", memory)
    return Target(15.0 if large else 3.0, "s", memory)


# The reports of the history a PostgreSQL run times by default (the others with --only).
PG_HISTORY = ("report", "funnel", "durations", "winrate", "slips")


def pg_target(kind: str) -> Target | None:
    """The bar of a command on a PostgreSQL server (docs/team.md): each everyday
    command and one deal's page within 4×F, a report of the whole history within 3 s,
    at any size up to 1M deals (100k open)."""
    if kind == INFO:
        return None
    if kind == HISTORY:
        return Target(3.0, "s", 400.0)
    if kind == IMPORT:
        return None
    return Target(4.0, "F", 400.0)


@dataclass(frozen=True)
class Case:
    name: str
    command: str  # the subcommand whose presence decides whether the case runs
    kind: str
    args: Callable[[dict[str, Any]], list[str]]
    writes: bool = False
    ok_codes: tuple[int, ...] = (0,)
    # On a server only: the kept backtests are dropped before each run, which then
    # replays the history as the first backtest of a month does (docs/team.md).
    replays_kept: bool = False


def _other_stage(context: dict[str, Any]) -> str:
    current = context["open_stage"]
    return next(k for k in STAGE_KEYS if k != current)


CASES: tuple[Case, ...] = (
    Case(
        "add",
        "add",
        EVERYDAY,
        lambda c: ["add", "Benchmark deal", "--customer", "Bench Co", "--value", "150k"],
        writes=True,
    ),
    Case(
        "move",
        "move",
        EVERYDAY,
        lambda c: ["move", str(c["open_id"]), _other_stage(c), "--reason", "benchmark"],
        writes=True,
    ),
    Case("won", "won", EVERYDAY, lambda c: ["won", str(c["open_id"])], writes=True),
    Case(
        "note",
        "note",
        EVERYDAY,
        lambda c: ["note", str(c["open_id"]), "Called; they want a demo."],
        writes=True,
    ),
    Case("list", "list", EVERYDAY, lambda c: ["list"]),
    Case("list --json", "list", EVERYDAY, lambda c: ["list", "--json"]),
    # Issue 6: the Thai interface must not cost start-up time (compare with the rows above).
    Case("--lang th list", "list", EVERYDAY, lambda c: ["--lang", "th", "list"]),
    Case("--lang th list --json", "list", EVERYDAY, lambda c: ["--lang", "th", "list", "--json"]),
    Case("chart", "chart", EVERYDAY, lambda c: ["chart"]),
    Case("stale", "stale", EVERYDAY, lambda c: ["stale"]),
    Case("check", "check", EVERYDAY, lambda c: ["check"], ok_codes=(0, 3)),
    Case("board", "board", EVERYDAY, lambda c: ["board"]),
    Case("agenda", "agenda", EVERYDAY, lambda c: ["agenda"]),
    Case("show ID", "show", SHOW, lambda c: ["show", str(c["open_id"])]),
    Case("show ID (closed deal)", "show", SHOW, lambda c: ["show", str(c["closed_id"])]),
    Case("--version", "list", INFO, lambda c: ["--version"]),
    Case("list --status all", "list", INFO, lambda c: ["list", "--status", "all"]),
    # The whole table, as list printed it before its default cap of 50 rows (issue 16).
    Case("list --limit 0", "list", INFO, lambda c: ["list", "--limit", "0"]),
    Case("report", "report", HISTORY, lambda c: ["report"]),
    Case("funnel", "funnel", HISTORY, lambda c: ["funnel"]),
    Case("durations", "durations", HISTORY, lambda c: ["durations"]),
    Case("winrate", "winrate", HISTORY, lambda c: ["winrate"]),
    # The forecast reads the won history of the months it shows.
    Case("forecast", "forecast", HISTORY, lambda c: ["forecast"]),
    # Issue 15: the reports that learn from the history read all of it as well.
    Case("calibrate", "calibrate", HISTORY, lambda c: ["calibrate"]),
    Case(
        "forecast --method history",
        "forecast",
        HISTORY,
        lambda c: ["forecast", "--method", "history"],
    ),
    Case("forecast --backtest", "forecast", HISTORY, lambda c: ["forecast", "--backtest"]),
    Case(
        "forecast --backtest, first of a month",
        "forecast",
        HISTORY,
        lambda c: ["forecast", "--backtest"],
        replays_kept=True,
    ),
    Case("slips", "slips", HISTORY, lambda c: ["slips"]),
    Case("import CSV", "import", IMPORT, lambda c: ["import", str(c["csv"])]),
)
