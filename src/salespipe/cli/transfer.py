"""Import and export commands."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from salespipe import clock
from salespipe.cli import output
from salespipe.cli.app import JsonOption, handles_errors, state
from salespipe.errors import InvalidValue

PROGRESS_FROM_ROWS = 3000

EXPORT_HELP = """Write all deals as CSV, or the whole database as a JSON backup.

CSV (the default) has one row per deal, open and closed. JSON holds settings, stages,
deals, every event and the counters: importing it into an empty database restores it
exactly. Output goes to stdout unless -o FILE (written atomically).

\b
Examples:
  salespipe export -o deals.csv
  salespipe export --format json -o backup-$(date +%F).json
"""

IMPORT_HELP = """Import deals from a CSV or JSON file, as one change (`undo` takes it back).

Reads salespipe's own CSV and JSON backup, and the deal exports of Pipedrive,
HubSpot and Salesforce, recognised by their headers. Stage names the pipeline does
not have must be mapped with --stage-map or created with --create-stages.

If any row is invalid, nothing is imported and every bad row is listed with its line
and column; --skip-invalid imports the others. Importing the same file again skips
the deals it already imported.

\b
Examples:
  salespipe import deals.csv --dry-run
  salespipe import pipedrive.csv -m "Proposal Made=quoted" -m "Contact Made=1"
  salespipe import hubspot.csv --create-stages -m "Closed: abandoned=lost"
"""


def _complete_format() -> list[tuple[str, str]]:
    return [("csv", "deals, one row each"), ("json", "the whole database (backup)")]


def _complete_dates() -> list[tuple[str, str]]:
    return [("dmy", "31/12/2025: day first"), ("mdy", "12/31/2025: month first")]


def _export_format(chosen: str | None, path: Path | None, as_json: bool) -> str:
    if chosen is not None:
        wanted = chosen.strip().lower()
        if wanted not in ("csv", "json"):
            raise InvalidValue(f'The export format "{chosen}" is not csv or json.')
        return wanted
    if path is not None and path.suffix.lower() == ".json":
        return "json"
    return "json" if as_json else "csv"


def _refuse_database_target(target: Path, database: Path) -> None:
    from salespipe.store import DatabasePaths

    for own in (*DatabasePaths.for_main(database).all_data_files(), database):
        with contextlib.suppress(OSError):
            if target.resolve() == own.resolve():
                raise InvalidValue(
                    f"{target} is a file of the database itself; choose another file with -o."
                )


@contextlib.contextmanager
def _atomic_output(target: Path) -> Any:
    """A binary file that replaces ``target`` only once it is completely written."""
    folder = target.parent if str(target.parent) else Path(".")
    temp = folder / f".{target.name}.tmp-{os.getpid()}"
    try:
        with temp.open("wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise InvalidValue(f"Cannot write {target}: {exc.strerror}.") from None
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def _write_export(kind: str, snapshot: Any, binary: IO[bytes], bom: bool) -> dict[str, int]:
    from salespipe import exporting

    if kind == "json":
        return exporting.write_backup(snapshot, binary, clock.now())
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="", write_through=True)
    try:
        if bom:
            text.write("\ufeff")
        deals = exporting.write_csv(snapshot.all_deals(), snapshot.stages(), text)
        text.flush()
    finally:
        text.detach()
    return {"deals": deals}


class _ProgressBar:
    """A Rich progress bar on stderr, shown only for large files on a terminal."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._progress is None:
            if total < PROGRESS_FROM_ROWS or not output.for_terminal(sys.stderr):
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("Reading rows"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("import", total=total)
        self._progress.update(self._task, completed=done)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _say_import(report: Any) -> None:
    data = report.to_dict()
    counts = data["by_status"]
    if report.restored:
        verb = "Would restore" if report.dry_run else "Restored"
        output.say(
            f"{verb} the backup {report.file}: {_count(data['imported'], 'deal')}, "
            f"{_count(report.events, 'event')}, with their ids, history and undo list as they were."
        )
        return
    verb = "would import" if report.dry_run else "imported"
    if not data["imported"] and not report.new_stages:
        output.say(f"Read {_count(report.rows, 'row')} of a {report.format} file: nothing new.")
    line = (
        f"Read {_count(report.rows, 'row')} of a {report.format} file: {verb} "
        f"{_count(data['imported'], 'deal')} ({counts['open']} open, {counts['won']} won, "
        f"{counts['lost']} lost)"
    )
    if report.new_stages:
        created = "would create" if report.dry_run else "created"
        line += f"; {created} stages " + ", ".join(f'"{n}"' for n in report.new_stages)
    if data["imported"] or report.new_stages:
        output.say(line + ".")
    if report.duplicates:
        output.say(f"Skipped {_count(report.duplicates, 'deal')} already imported before.")
    for problem in report.problems:
        output.warn(f"skipped {problem.describe()}")
    if report.dry_run:
        output.say("Dry run: nothing was written.")
    elif report.change is not None:
        output.say("`salespipe undo` takes the whole import back.")


def register(app: typer.Typer) -> None:
    @app.command("export", help=EXPORT_HELP, rich_help_panel="Data and setup")
    @handles_errors
    def export(
        ctx: typer.Context,
        format_: Annotated[
            str | None,
            typer.Option(
                "--format",
                "-f",
                metavar="csv|json",
                help="csv (deals) or json (full backup); default from -o's suffix, else csv.",
                autocompletion=_complete_format,
            ),
        ] = None,
        output_file: Annotated[
            Path | None,
            typer.Option("--output", "-o", metavar="FILE", help="Write to FILE, not stdout."),
        ] = None,
        bom: Annotated[
            bool,
            typer.Option("--bom", help="Start the CSV with a byte-order mark (for Excel)."),
        ] = False,
        as_json: JsonOption = False,
    ) -> None:
        pipeline = state(ctx).pipeline()
        kind = _export_format(format_, output_file, as_json)
        snapshot = pipeline.read()
        if output_file is None:
            try:
                with output.reader_may_leave():
                    _write_export(kind, snapshot, sys.stdout.buffer, bom)
                    sys.stdout.flush()
            except OSError as exc:
                raise InvalidValue(f"Cannot write the export to stdout: {exc.strerror}.") from None
            return
        _refuse_database_target(output_file, pipeline.store.path)
        with _atomic_output(output_file) as handle:
            counts = _write_export(kind, snapshot, handle, bom)
        if as_json:
            output.json({"file": str(output_file), "format": kind, **counts})
        else:
            what = ", ".join(f"{n} {name}" for name, n in counts.items())
            output.say(f"Wrote {what} to {output_file} ({kind}).")

    @app.command("import", help=IMPORT_HELP, rich_help_panel="Data and setup")
    @handles_errors
    def import_(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(metavar="FILE", help="A CSV or JSON file of deals.")],
        format_: Annotated[
            str | None,
            typer.Option(
                "--format",
                "-f",
                metavar="csv|json",
                help="The file's format (default: from its suffix and content).",
                autocompletion=_complete_format,
            ),
        ] = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", "-n", help="Check and report; write nothing.")
        ] = False,
        skip_invalid: Annotated[
            bool,
            typer.Option("--skip-invalid", help="Import the good rows; report and skip the rest."),
        ] = False,
        stage_map: Annotated[
            list[str] | None,
            typer.Option(
                "--stage-map",
                "-m",
                metavar="LABEL=STAGE",
                help="Put the file's stage LABEL in STAGE (or won/lost); repeatable.",
            ),
        ] = None,
        create_stages: Annotated[
            bool,
            typer.Option("--create-stages", help="Create the stages the pipeline lacks."),
        ] = False,
        currency: Annotated[
            str | None,
            typer.Option(
                "--currency",
                metavar="CUR",
                help="Currency of amounts the file gives none for (default: config).",
            ),
        ] = None,
        dates: Annotated[
            str | None,
            typer.Option(
                "--dates",
                metavar="dmy|mdy",
                help="Read 01/02/2025 as day/month (dmy) or month/day (mdy).",
                autocompletion=_complete_dates,
            ),
        ] = None,
        encoding: Annotated[
            str | None,
            typer.Option(
                "--encoding",
                metavar="NAME",
                help="The file's encoding if not UTF-8/UTF-16, e.g. cp874.",
            ),
        ] = None,
        column: Annotated[
            list[str] | None,
            typer.Option(
                "--column",
                metavar="FIELD=HEADER",
                help="Read FIELD (title, value, stage, customer…) from column HEADER.",
            ),
        ] = None,
        as_json: JsonOption = False,
    ) -> None:
        from salespipe import importing, parse

        if format_ is not None and format_.strip().lower() not in ("csv", "json"):
            raise InvalidValue(f'The import format "{format_}" is not csv or json.')
        if dates is not None and dates.strip().lower() not in ("dmy", "mdy"):
            raise InvalidValue(f'--dates "{dates}" is not dmy or mdy.')
        options = importing.ImportOptions(
            format=format_.strip().lower() if format_ else None,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            stage_map=tuple(stage_map or ()),
            create_stages=create_stages,
            currency=parse.currency(currency) if currency else None,
            dates="dmy" if dates and dates.strip().lower() == "dmy" else ("mdy" if dates else None),
            encoding=encoding,
            columns=tuple(column or ()),
        )
        progress = _ProgressBar()
        try:
            report = importing.import_file(state(ctx).pipeline(), file, options, progress)
        finally:
            progress.close()
        if as_json:
            output.json(report.to_dict())
        else:
            _say_import(report)
