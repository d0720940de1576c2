"""Import and export commands."""

import functools
import io
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from salespipe.cli import output
from salespipe.cli.app import state
from salespipe.cli.options import JsonOption, PipelineOption
from salespipe.cli.progress import ProgressBar
from salespipe.core import clock
from salespipe.core.errors import InvalidValue, SalespipeError, os_problem
from salespipe.core.i18n import N_, _

if TYPE_CHECKING:
    from salespipe.app.pipeline import Pipeline
    from salespipe.storage.port import Storage

EXPORT_HELP = """Write all deals as CSV, or the whole database as a JSON backup.

CSV (the default) has one row per deal, open and closed. JSON holds settings, stages,
deals, every event and the counters: importing it into an empty database restores it
exactly. Output goes to stdout unless -o FILE: a regular file is replaced atomically
(keeping its mode; a new one is private, 0600), a link is followed, a FIFO or device
is written in place; -o - is stdout. CSV cells a spreadsheet would run as a formula
(=, +, -, @) start with ' (importing salespipe's CSV takes it off again). A data file
that is not there, the default one too, is an error (exit 4): no file is written.

\b
Examples:
  salespipe export -o deals.csv
  salespipe export --format json -o backup-$(date +%F).json
"""

IMPORT_HELP = """Import deals from a CSV or JSON file, as one change (`undo` takes it back).

Reads salespipe's own CSV and JSON backup, and the deal exports of Pipedrive, HubSpot,
Salesforce, Zoho CRM, Dynamics 365, Odoo and Bitrix24, recognised by their headers.
Stage names the pipeline does not have must be mapped with --stage-map or created
with --create-stages. Any other file: name its columns with --column.

If any row is invalid, nothing is imported and every bad row is listed with its line
and column; --skip-invalid imports the others. No row is dropped quietly: rows that
repeat a deal's id are added into it, and the report says what stood in for missing
data. Importing the same file again skips the deals it already imported, and
leaves out the deals deleted here since.
All options, with examples: docs/import.md.

\b
Examples:
  salespipe import deals.csv --dry-run
  salespipe import pipedrive.csv -m "Proposal Made=quoted" -m "Contact Made=1"
  salespipe import hubspot.csv --create-stages -m "Closed: abandoned=lost"
  salespipe import sheet.csv --column title="Deal" --column value="Baht" --dates dmy
  salespipe import legacy.csv --map "status:Ganha=won" --null 'N/A' --ignore Notes
  salespipe import raw.csv --no-header --column title=2 --column value=5
"""


def _complete_format() -> list[tuple[str, str]]:
    return [("csv", _("deals, one row each")), ("json", _("the whole database (backup)"))]


def _complete_dates() -> list[tuple[str, str]]:
    return [
        ("dmy", _("31/12/2025: day first")),
        ("mdy", _("12/31/2025: month first")),
        ("ymd", _("25/12/31: year first")),
    ]


def _export_format(chosen: str | None, path: Path | None, as_json: bool) -> str:
    if chosen is not None:
        wanted = chosen.strip().lower()
        if wanted not in ("csv", "json"):
            raise InvalidValue(
                _('The export format "{format}" is not csv or json.').format(format=chosen)
            )
        if wanted == "csv" and path is None and as_json:  # stdout would not be JSON
            raise InvalidValue(
                _(
                    "With --json only JSON goes to stdout: leave out --json for CSV there, "
                    "or write the CSV to a file with -o (--json then says what was written)."
                )
            )
        return wanted
    if path is not None:  # a file is what its name says; --json is the report's form
        return "json" if path.suffix.lower() == ".json" else "csv"
    return "json" if as_json else "csv"  # on stdout, --json asks for JSON: the backup


def refuse_database_target(target: Path, database: "Storage", option: str) -> None:
    """Refuse to write ``target`` (given by ``option``) when it is a file of the database,
    or the data file of another."""
    from salespipe.storage import is_database_file

    if database.holds(str(target)):
        raise InvalidValue(
            _("{path} is a file of the database itself; choose another file with {option}.").format(
                path=target, option=option
            )
        )
    if is_database_file(target):
        raise InvalidValue(
            _("{path} belongs to a salespipe database; choose another file with {option}.").format(
                path=target, option=option
            )
        )


def _write_export(kind: str, snapshot: Any, binary: IO[bytes], bom: bool | None) -> dict[str, int]:
    """Write the export; ``bom`` None: a CSV has a byte-order mark if it holds other
    than ASCII."""
    from salespipe.transfer import exporting

    if kind == "json":
        return exporting.write_backup(snapshot, binary, clock.now())
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="", write_through=True)
    try:
        deals = exporting.write_csv(
            snapshot.all_deals(), snapshot.stages(), text, snapshot.pipelines(), bom=bom
        )
        text.flush()
    finally:
        text.detach()
    return {"deals": deals}


COPY_HELP = """Copy a whole pipeline into another database: a data file into PostgreSQL,
PostgreSQL into a data file, or a file into a file.

Everything comes along exactly: settings, stages, every deal, every event (with its
ids, times, author and reason), the counters and the undo list, so every report reads
the same on both and `undo` on the copy takes back the source's last change (on a
server, each member's own last change, as there). SOURCE
and TARGET are data-file paths or postgresql:// URIs (docs/team.md). The target must
be empty (new, or only `init`ed) unless --replace. The copy is one transaction: if it
fails, the target is left as it was.

--replace first keeps what the target holds as a JSON backup (the one `export --format
json` writes) in the folder `replaced` of your user data folder (on Linux
~/.local/share/salespipe/replaced), named after the target and the time; if it cannot
be written, nothing is replaced. Restore one into a new file with `salespipe --db
NEW.json import FILE`. They are never removed by salespipe: delete the old ones when
you no longer need them. At a terminal, --replace asks first (--yes does not ask).

\b
Examples:
  salespipe copy ~/.local/share/salespipe/pipeline.json postgresql:///sales
  salespipe copy postgresql://alice@db.example/sales sales-copy.json
  salespipe copy sales-copy.json postgresql:///sales --replace
"""


def _settings_of(where: "Path | str", source: "Pipeline") -> dict[str, Any]:
    """The source's settings, for copy to speak as its other commands do (a Thai
    pipeline's copy answered in English); {} where they cannot be read, which
    the copy then says in its own words."""
    from salespipe.storage import settings_of_data_file

    try:
        if isinstance(where, Path):
            return settings_of_data_file(where)
        return source.read().config()
    except SalespipeError:
        return {}


def _replace_agreed(source: "Pipeline", target: "Pipeline") -> bool:
    """At a terminal, before --replace: the question naming both sides, as `delete`
    asks (no by default; Ctrl-D ends as Ctrl-C does, nothing changed). A target that
    holds nothing is not asked about: nothing of it is lost."""
    from salespipe.present.transfer_views import replace_question
    from salespipe.transfer.copying import sides

    source_held, target_held = sides(source, target)
    if target_held.nothing:
        return True
    answer = output.ask(replace_question(source_held, target_held))
    if answer is None:
        raise KeyboardInterrupt
    return answer


def register(app: typer.Typer) -> None:
    @app.command("copy", help=COPY_HELP, rich_help_panel="Data and setup")
    def copy(
        ctx: typer.Context,
        source: Annotated[
            str, typer.Argument(metavar="SOURCE", help="The pipeline to copy (a file or a URI).")
        ],
        target: Annotated[
            str, typer.Argument(metavar="TARGET", help="Where to copy it (a file or a URI).")
        ],
        replace: Annotated[
            bool,
            typer.Option(
                "--replace",
                help="Put the copy in place of everything TARGET holds (what it held is "
                "kept as a backup in your data folder's replaced/ first).",
            ),
        ] = False,
        yes: Annotated[
            bool, typer.Option("--yes", "-y", help="With --replace: do not ask.")
        ] = False,
        as_json: JsonOption = False,
    ) -> None:
        from salespipe.app import settings
        from salespipe.app.pipeline import Pipeline
        from salespipe.transfer.copying import copy_pipeline

        lang = settings.lang_from_environment(state(ctx).lang)
        source_at = settings.database_target(source, option="SOURCE")
        origin = Pipeline.open(source_at, lang)
        # The source's language before the target is opened: a refusal of the target (a
        # bad address, no PostgreSQL driver) is said in it too.
        state(ctx).apply_config(_settings_of(source_at, origin))
        destination = Pipeline.open(settings.database_target(target, option="TARGET"), lang)
        if (
            replace
            and not yes
            and output.is_terminal(sys.stdin)
            and not _replace_agreed(origin, destination)
        ):
            from salespipe.present.transfer_views import NothingCopied

            output.result(NothingCopied(destination.store.location), as_json)
            return
        progress = ProgressBar(N_("Copying"))
        try:
            report = copy_pipeline(origin, destination, replace=replace, progress=progress)
        finally:
            progress.close()
        output.result(report, as_json)
        # Into a team's database that keeps visibility own, the copy's owners are its
        # file's names ("Alice", not the login alice): their deals no rep sees.
        from salespipe.cli.team import warn_of_deals_no_rep_sees

        warn_of_deals_no_rep_sees(destination)

    @app.command("export", help=EXPORT_HELP, rich_help_panel="Data and setup")
    def export(
        ctx: typer.Context,
        format_: Annotated[
            str | None,
            typer.Option(
                "--format",
                "-f",
                metavar="csv|json",
                help="csv (deals) or json (full backup); default from -o's suffix, else csv "
                "(json with --json on stdout).",
                autocompletion=_complete_format,
            ),
        ] = None,
        output_file: Annotated[
            Path | None,
            typer.Option(
                "--output", "-o", metavar="FILE", help="Write to FILE, not stdout (- is stdout)."
            ),
        ] = None,
        bom: Annotated[
            bool | None,
            typer.Option(
                "--bom/--no-bom",
                help="Start the CSV with a byte-order mark, for Excel to read it as UTF-8 "
                "(default: a file written with -o that holds other than ASCII, such as Thai, "
                "which Excel reads in Windows' code page otherwise; stdout has none).",
                show_default=False,
            ),
        ] = None,
        as_json: JsonOption = False,
    ) -> None:
        pipeline = state(ctx).pipeline()
        if output_file is not None and str(output_file) == "-":
            output_file = None
        kind = _export_format(format_, output_file, as_json)
        snapshot = state(ctx).read(whole=True)  # (no default file: no export, not an empty one)
        if output_file is None:
            try:
                with output.reader_may_leave():
                    _write_export(kind, snapshot, sys.stdout.buffer, bool(bom))
                    sys.stdout.flush()
            except OSError as exc:
                raise InvalidValue(
                    _("Cannot write the export to stdout: {problem}.").format(
                        problem=os_problem(exc)
                    )
                ) from None
            return
        refuse_database_target(output_file, pipeline.store, "-o")
        from salespipe.transfer.target import export_target

        check = None
        if kind == "json":  # the restore's own check, before the backup takes its name
            from salespipe.transfer.restore import check_written

            check = functools.partial(check_written, target=output_file)
        with export_target(output_file, check) as handle:
            counts = _write_export(kind, snapshot, handle, bom)
        from salespipe.present.transfer_views import ExportWritten

        output.result(ExportWritten(str(output_file), kind, counts), as_json)

    @app.command("import", help=IMPORT_HELP, rich_help_panel="Data and setup")
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
        restore_deleted: Annotated[
            bool,
            typer.Option(
                "--restore-deleted",
                help="Import the rows of deals deleted here too (left out by default).",
            ),
        ] = False,
        restore_deal: Annotated[
            list[int] | None,
            typer.Option(
                "--restore-deal",
                metavar="ID",
                help="Import the rows of this deal deleted here (as the import names it), "
                "not the other deleted ones; repeatable.",
            ),
        ] = None,
        update: Annotated[
            bool,
            typer.Option(
                "--update",
                help="Change the deals already here that a row says otherwise of (value, "
                "currency, close date, stage, status) as the row says, in the same change.",
            ),
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
        pipeline_map: Annotated[
            list[str] | None,
            typer.Option(
                "--pipeline-map",
                metavar="LABEL=PIPELINE",
                help="Put the rows of the file's pipeline LABEL in PIPELINE; repeatable.",
            ),
        ] = None,
        create_stages: Annotated[
            bool,
            typer.Option(
                "--create-stages",
                help="Create the stages (and pipelines) the database lacks.",
            ),
        ] = False,
        max_new_stages: Annotated[
            str | None,
            typer.Option(
                "--max-new-stages",
                metavar="N",
                help="Allow more than 500 new stage names in the file (--create-stages).",
            ),
        ] = None,
        currency: Annotated[
            str | None,
            typer.Option(
                "--currency",
                metavar="CUR",
                help="Currency of amounts the file gives none for (default: config), and "
                'what "$" means (default: USD).',
            ),
        ] = None,
        dates: Annotated[
            str | None,
            typer.Option(
                "--dates",
                metavar="dmy|mdy|ymd|FORMAT",
                help="Read 01/02/2025 as day/month (dmy) or month/day (mdy), or every date "
                'in a strptime FORMAT such as "%d.%m.%Y %H:%M".',
                autocompletion=_complete_dates,
            ),
        ] = None,
        decimal_mark: Annotated[
            str | None,
            typer.Option(
                "--decimal-mark",
                metavar=", | .",
                help="The file's decimal mark, if its numbers do not show it: 12.500 is "
                "twelve thousand five hundred with --decimal-mark , and twelve and a half "
                "with --decimal-mark .",
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
                help="Read FIELD (title, value, stage, customer…) from column HEADER "
                "(or number N; FIELD= reads nothing).",
            ),
        ] = None,
        value_map: Annotated[
            list[str] | None,
            typer.Option(
                "--map",
                metavar="FIELD:LABEL=VALUE",
                help='Read LABEL in FIELD as VALUE, e.g. "status:Ganha=won"; repeatable.',
            ),
        ] = None,
        ignore: Annotated[
            list[str] | None,
            typer.Option("--ignore", metavar="HEADER", help="Do not read column HEADER."),
        ] = None,
        null: Annotated[
            list[str] | None,
            typer.Option(
                "--null", metavar="MARKER", help=r"Read cells holding MARKER (e.g. \N) as empty."
            ),
        ] = None,
        no_header: Annotated[
            bool,
            typer.Option(
                "--no-header", help="The file has no header row: name columns --column FIELD=N."
            ),
        ] = False,
        in_pipeline: PipelineOption = None,
        as_json: JsonOption = False,
    ) -> None:
        from salespipe.core import parse
        from salespipe.transfer import importing
        from salespipe.transfer.stages import MAX_NEW_STAGES

        if format_ is not None and format_.strip().lower() not in ("csv", "json"):
            raise InvalidValue(
                _('The import format "{format}" is not csv or json.').format(format=format_)
            )
        from salespipe.transfer.dates import date_option

        order, date_format = date_option(dates)
        from salespipe.transfer.values import decimal_mark_option

        options = importing.ImportOptions(
            decimal_mark=decimal_mark_option(decimal_mark),
            format=format_.strip().lower() if format_ else None,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            restore_deleted=restore_deleted,
            restore_deals=tuple(restore_deal or ()),
            update=update,
            stage_map=tuple(stage_map or ()),
            pipeline_map=tuple(pipeline_map or ()),
            create_stages=create_stages,
            max_new_stages=(
                parse.positive_int(max_new_stages, what=N_("--max-new-stages"))
                if max_new_stages is not None
                else MAX_NEW_STAGES
            ),
            currency=parse.currency(currency) if currency else None,
            dates=order,
            date_format=date_format,
            encoding=encoding,
            columns=tuple(column or ()),
            value_maps=tuple(value_map or ()),
            ignore=tuple(ignore or ()),
            nulls=tuple(null or ()),
            no_header=no_header,
        )
        pipeline = state(ctx).pipeline()
        pipeline.read()  # its settings first: the rows' problems are said in its language
        progress = ProgressBar()
        try:
            report = importing.import_file(pipeline, file, options, progress)
        finally:
            progress.close()
        output.result(report, as_json)
        if report.change is not None:  # deals of owners not on the team may have come in
            from salespipe.cli.team import warn_of_deals_no_rep_sees

            warn_of_deals_no_rep_sees(pipeline)
