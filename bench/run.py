"""The salespipe benchmark: whole processes timed against the bars of docs/benchmark.md.

    python bench/run.py            # 1k, 10k and 100k deals (about 10 minutes)
    python bench/run.py --quick    # 1k and 10k only (about a minute)
    python bench/run.py --sizes 100000 --only slips calibrate --output /tmp/r.md
    python bench/run.py --postgres --million --output /tmp/pg.md   # on a local server

Builds the data sets under bench/data/ with `salespipe demo --deals N` (kept between
runs), times each command as a whole process several times, measures the floors F
(`python -c "import typer"`) and O (orjson-alone parse of the history) in the same
run, prints one table and writes it to bench/RESULTS.md (see bench/README.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import CASES, HISTORY, IMPORT, PG_HISTORY, Case, Target, pg_target, target
from datasets import (
    BENCH,
    Dataset,
    csv_of,
    ensure,
    fresh_folder,
    has_command,
    remove_database,
)
from measure import Measurement, Paired, repeat, repeat_paired
from pg import PgDataset, UndoAfterWrite, ensure_pg
from results import Row, plain, write

FULL_SIZES = (1_000, 10_000, 100_000)
MILLION = 1_000_000
QUICK_SIZES = (1_000, 10_000)
PG_SIZES = (100_000,)  # with --postgres; --million adds the 1M-deal database


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def installed_salespipe() -> list[str]:
    found = shutil.which("salespipe", path=os.path.dirname(sys.executable))
    return [found] if found else [sys.executable, "-m", "salespipe"]


def child_environment() -> dict[str, str]:
    """The user's environment without salespipe settings; no hooks, no terminal colours.

    PYTHONDONTWRITEBYTECODE is dropped: with it every run would compile salespipe's
    sources again (40-60 ms a process here), which no installed copy does.
    """
    dropped = ("SALESPIPE_", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    work = BENCH / ".work"
    env.update(
        SALESPIPE_HOOKS=str(work / "no-hooks"),
        SALESPIPE_CONFIG_DIR=str(work / "config"),
        LANG="C.UTF-8",
        NO_COLOR="1",
    )
    return env


class Bench:
    def __init__(
        self,
        runs: int,
        env: dict[str, str],
        allow_synth: bool,
        only: Collection[str] = (),
        pipelines: int = 1,
        server: str | None = None,
    ) -> None:
        self.pipelines = pipelines  # the deals of each data set spread over this many
        self.server = server  # a PostgreSQL server to hold the data sets, or files
        self.runs = runs
        self.cases = [c for c in CASES if (c.name in only if only else self._by_default(c))]
        self.env = env
        self.allow_synth = allow_synth
        self.salespipe = installed_salespipe()
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.available = {c.command: has_command(self.salespipe, c.command, env) for c in CASES}
        self.floor_f = Measurement()
        self.blocks: list[tuple[int, Measurement, Measurement, list[Any]]] = []

    def _by_default(self, case: Case) -> bool:
        """On PostgreSQL: not the import, and of the history only the reports of PG_HISTORY."""
        if self.server is None:
            return not case.replays_kept
        return case.kind != IMPORT and (case.kind != HISTORY or case.name in PG_HISTORY)

    def target(self, case: Case, deals: int) -> Target | None:
        if self.server is not None:
            return pg_target(case.kind)
        return target(case.kind, deals, case.writes)

    # -- floors ------------------------------------------------------------------------
    def floor_typer(self) -> Measurement:
        return repeat(self.runs * 2, [sys.executable, "-c", "import typer"], self.env)

    def floor_history(self, dataset: Dataset, *flags: str) -> Measurement:
        script = str(BENCH / "history_floor.py")
        return repeat(self.runs, [sys.executable, script, str(dataset.main), *flags], self.env)

    # -- one data set ------------------------------------------------------------------
    def size(self, deals: int) -> None:
        """Measure every command on the data set of ``deals`` deals (judged in finish)."""
        if self.server is not None:
            self.size_pg(deals, self.server)
            return
        dataset = ensure(deals, self.salespipe, self.env, self.allow_synth, log, self.pipelines)
        log(f"{deals:,} deals ({dataset.builder}): {_sizes(dataset)}")
        self.floor_f.samples += self.floor_typer().samples
        floor_o = self.floor_history(dataset)
        floor_closed = self.floor_history(dataset, "--closed-only")
        context = self._context(dataset)
        measured: list[tuple[Case, Measurement | Paired | None]] = []
        for case in self.cases:
            if deals >= MILLION and case.kind not in ("everyday", "show"):
                continue  # the 1M run checks the everyday bars only
            if self.available[case.command] and self._has_context(case, context):
                log(f"  {case.name} …")
                measured.append((case, self._measure(case, dataset, context, floor_o)))
            else:
                measured.append((case, None))
        self.floor_f.samples += self.floor_typer().samples  # F before and after each block
        self.blocks.append((deals, floor_o, floor_closed, measured))

    def size_pg(self, deals: int, server: str) -> None:
        """The same on a database: every case (at 1M too) against the PostgreSQL bars."""
        dataset = ensure_pg(deals, server, self.salespipe, self.env, log)
        log(f"{deals:,} deals in {dataset.target}: {_sizes(dataset)}")
        self.floor_f.samples += self.floor_typer().samples
        context = dataset.context()
        measured: list[tuple[Case, Measurement | Paired | None]] = []
        for case in self.cases:
            if self.available[case.command] and self._has_context(case, context):
                log(f"  {case.name} …")
                measured.append((case, self._measure_pg(case, dataset, context)))
            else:
                measured.append((case, None))
        self.floor_f.samples += self.floor_typer().samples
        self.blocks.append((deals, Measurement(), Measurement(), measured))

    def _measure_pg(
        self, case: Case, dataset: PgDataset, context: dict[str, Any]
    ) -> Measurement | Paired:
        argv = [*self.salespipe, "--db", dataset.target, *case.args(context)]
        undo = UndoAfterWrite(self.salespipe, dataset.target, self.env) if case.writes else None
        bar = self.target(case, dataset.deals)
        measurement: Measurement | Paired
        if case.replays_kept:
            measurement = repeat(self.runs, argv, self.env, before_each=dataset.drop_kept)
        elif bar is not None and bar.floor == "s":
            measurement = repeat(self.runs, argv, self.env, before_each=undo)
        else:
            floor = [sys.executable, "-c", "import typer"]
            measurement = repeat_paired(self.runs, argv, floor, self.env, before_each=undo)
        if undo:
            undo.restore()
        return measurement

    def finish(self) -> None:
        """Judge every figure against F pooled over the whole run (F does not depend on N)."""
        self.rows.append(Row(0, "floor F: import typer (whole run)", self.floor_f))
        for deals, floor_o, floor_closed, measured in self.blocks:
            if floor_o.samples:
                self.rows.append(Row(deals, "floor O: orjson parse of history", floor_o))
                self.rows.append(Row(deals, "(info) orjson parse of main + closed", floor_closed))
            floors = {"F": self.floor_f.median, "O": floor_o.median if floor_o.samples else 0.0}
            floors["s"] = 1.0
            for case, measurement in measured:
                bar = self.target(case, deals)
                if measurement is None:
                    self.rows.append(Row(deals, case.name, target=bar, verdict="not available"))
                else:
                    self.rows.append(self._judge(deals, case, measurement, bar, floors))

    def _context(self, dataset: Dataset) -> dict[str, Any]:
        records = sorted(dataset.open_records(), key=lambda r: r["id"])
        chosen = records[len(records) // 2]
        context: dict[str, Any] = {"open_id": chosen["id"], "open_stage": chosen["stage"]}
        closed_id = dataset.first_closed_id()
        if closed_id is not None:
            context["closed_id"] = closed_id
        wants_import = any(c.kind == IMPORT for c in self.cases)
        if self.available["import"] and wants_import and dataset.deals < MILLION:  # no 1M import
            context["csv"], exporter = csv_of(dataset, self.salespipe, self.env)
            if exporter != "export":
                self._note("the import CSV was written by bench/datasets.py (no `export` yet)")
        return context

    @staticmethod
    def _has_context(case: Case, context: dict[str, Any]) -> bool:
        """Whether the case's arguments can be made (no closed deal: no closed id)."""
        try:
            case.args(context)
        except KeyError:
            return False
        return True

    def _floor_argv(self, case: Case, dataset: Dataset) -> list[str] | None:
        """What a case is paired with: F, or O for a full-history report at 100k."""
        bar = target(case.kind, dataset.deals, case.writes)
        if case.kind == IMPORT:
            return None
        if bar is not None and bar.floor == "O":
            return [sys.executable, str(BENCH / "history_floor.py"), str(dataset.main)]
        return [sys.executable, "-c", "import typer"]

    def _measure(
        self, case: Case, dataset: Dataset, context: dict[str, Any], floor_o: Measurement
    ) -> Measurement | Paired:
        runs = self.runs
        if case.kind == IMPORT:
            folder = fresh_folder(f"import-{dataset.deals}")
            target_db = folder / "imported.json"
            argv = [*self.salespipe, "--db", str(target_db), *case.args(context)]
            reset: Callable[[], None] | None = lambda: remove_database(target_db)  # noqa: E731
            runs = min(runs, 3) if dataset.deals >= 100_000 else runs
        else:
            argv = [*self.salespipe, "--db", str(dataset.main), *case.args(context)]
            reset = dataset.pristine().restore if case.writes else None
        floor_argv = self._floor_argv(case, dataset)
        measurement: Measurement | Paired
        if floor_argv is None:
            measurement = repeat(runs, argv, self.env, before_each=reset)
        else:
            measurement = repeat_paired(runs, argv, floor_argv, self.env, before_each=reset)
        if reset:
            reset()
        return measurement

    def _judge(
        self,
        deals: int,
        case: Case,
        measured: Measurement | Paired,
        bar: Target | None,
        floors: dict[str, float],
    ) -> Row:
        """The verdict of one row: by the median of per-pair ratios where it was paired."""
        paired = measured if isinstance(measured, Paired) else None
        measurement = paired.command if paired else measured
        row = Row(deals, case.name, measurement, bar, paired=paired)
        failed = measurement.failures(lambda code: code in case.ok_codes)
        if failed:
            row.verdict = "error"
            first = failed[0].stderr.strip().splitlines()
            row.note = f"exit {failed[0].exit_code}"
            self._note(
                f"{deals:,} {case.name}: exit {failed[0].exit_code}: " + " ".join(first[-1:])
            )
            return row
        if paired is not None:
            row.ratio = paired.ratio
        elif bar is not None:
            row.ratio = measurement.median / floors[bar.floor]
        if bar is None:
            row.verdict = "info"
            return row
        too_slow = row.ratio is not None and row.ratio > bar.factor
        too_big = measurement.peak_mb > bar.memory_mb
        row.verdict = "miss" if too_slow or too_big else "pass"
        reasons = [r for r, bad in (("time", too_slow), ("memory", too_big)) if bad]
        row.note = ", ".join(reasons)
        return row

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def _sizes(dataset: Dataset | PgDataset) -> str:
    return ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in dataset.sizes().items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k deals only")
    parser.add_argument(
        "--million",
        action="store_true",
        help="also 1M deals (100k open): writes and everyday reads only; builds for minutes",
    )
    parser.add_argument("--sizes", type=int, nargs="+", help="deal counts to run (overrides)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument(
        "--output", type=Path, default=BENCH / "RESULTS.md", help="where to write the table"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="CASE",
        choices=[case.name for case in CASES],
        help="run only these rows (their names as in the table, e.g. slips 'report')",
    )
    parser.add_argument(
        "--allow-synth",
        action="store_true",
        help="build data sets with bench/synth.py when `salespipe demo` is missing",
    )
    parser.add_argument(
        "--pipelines",
        type=int,
        default=1,
        help="spread the data sets' deals over this many pipelines (bench/pipelines.py)",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="time the commands on databases salespipe_bench_N of a PostgreSQL server",
    )
    parser.add_argument(
        "--server",
        default="postgresql:///postgres",
        help="with --postgres: a superuser's connection to the server (default: local socket)",
    )
    options = parser.parse_args(argv)
    default_sizes = PG_SIZES if options.postgres else FULL_SIZES
    sizes = options.sizes or (QUICK_SIZES if options.quick else default_sizes)
    if options.million and MILLION not in sizes:
        sizes = (*sizes, MILLION)
    bench = Bench(
        options.runs,
        child_environment(),
        options.allow_synth,
        options.only or (),
        options.pipelines,
        options.server if options.postgres else None,
    )
    for deals in sizes:
        bench.size(deals)
    bench.finish()
    builders = sorted({ensure_builder(d) for d in sizes})
    if options.postgres:
        builders = ["salespipe demo into databases salespipe_bench_N (PostgreSQL)"]
    bench.notes.insert(0, f"data sets built by: {', '.join(builders)}")
    if options.pipelines > 1:
        bench.notes.insert(1, f"deals spread over {options.pipelines} pipelines")
    missing = sorted({c.name for c in bench.cases if not bench.available[c.command]})
    if missing:
        bench.notes.append(f"not available in this build: {', '.join(missing)}")
    print(plain(bench.rows))
    command = "python bench/run.py" + (" --quick" if options.quick else "")
    if options.postgres:
        command += " --postgres"
    if options.million:
        command += " --million"
    if options.sizes:
        command += " --sizes " + " ".join(map(str, options.sizes))
    if options.only:
        command += " --only " + " ".join(f"'{name}'" for name in options.only)
    if options.pipelines > 1:
        command += f" --pipelines {options.pipelines}"
    write(options.output, bench.rows, bench.notes, command)
    log(f"written to {options.output}")
    return 0


def ensure_builder(deals: int) -> str:
    marker = BENCH / "data" / f"demo-{deals}.builder"
    builder = marker.read_text().strip() if marker.exists() else "?"
    return "salespipe demo" if builder.startswith("demo") else "bench/synth.py (no `demo` yet)"


if __name__ == "__main__":
    sys.exit(main())
