"""The demo command: a realistic pipeline in its own file, then its chart and report."""

import os
from pathlib import Path
from typing import Annotated

import typer

from salespipe.app import settings
from salespipe.cli import output
from salespipe.cli.app import state
from salespipe.cli.options import JsonOption
from salespipe.core import clock, i18n
from salespipe.core.errors import SalespipeError


def _demo_path(option: str | None, global_db: str | None) -> tuple[str | Path, bool]:
    """The demo's own --db, else the global --db or SALESPIPE_DB, else demo.json in the
    user data folder (beside the default pipeline, never in it), and whether it is that
    file of the demo's own. A PostgreSQL target stays as given (docs/team.md)."""
    named = option if option is not None else global_db  # (an empty one is refused)
    if named is not None or os.environ.get("SALESPIPE_DB") is not None:
        return settings.database_target(named), False
    return settings.database_path(None).with_name("demo.json"), True


def _demo_language(flag: str | None, global_db: str | None) -> str:
    """--lang, SALESPIPE_LANG or the locale; else the language set in your pipeline's config."""
    chosen = settings.lang_from_environment(flag)
    if chosen:
        return chosen
    from salespipe.app.pipeline import Pipeline

    try:
        configured = Pipeline.open(settings.database_target(global_db)).read().config().get("lang")
    except SalespipeError:  # an unreadable pipeline only means no preference
        configured = None
    return "th" if configured == "th" else "en"


def register(app: typer.Typer) -> None:
    @app.command("demo", rich_help_panel="Data and setup")
    def demo(
        ctx: typer.Context,
        db: Annotated[
            str | None,
            typer.Option(
                "--db",
                metavar="PATH|URI",
                help="Where to write it: a data file or a postgresql:// database "
                "(default: demo.json in your user data folder).",
            ),
        ] = None,
        deals: Annotated[
            int, typer.Option("--deals", metavar="N", min=1, max=1_000_000, help="How many deals.")
        ] = 40,
        seed: Annotated[
            int, typer.Option("--seed", metavar="S", help="Another seed, another demo.")
        ] = 1,
        as_json: JsonOption = False,
    ) -> None:
        """Write a demo pipeline to its own file and show it.

        A realistic pipeline with 120 days of history, in Thai with --lang th. It goes to
        --db (a data file or a postgresql:// database; or the global --db / SALESPIPE_DB),
        else to demo.json in your user data folder, and never over a pipeline that is not
        a demo.

        Example: salespipe --lang th demo --deals 60 --seed 7
        """
        from salespipe.app import demo as demos
        from salespipe.app.pipeline import Pipeline
        from salespipe.present.setup_results import DemoWritten
        from salespipe.reports.summary import overview

        current = state(ctx)
        path, own_file = _demo_path(db, current.db)
        lang = _demo_language(current.lang, current.db)
        i18n.set_language(lang)
        pipeline = Pipeline.open(path, lang)
        written = demos.write_demo(pipeline, deals=deals, seed=seed, lang=lang, own_file=own_file)
        snapshot = pipeline.read()
        current.apply_config(snapshot.config())  # its era: Buddhist in Thai
        chart, summary = overview(snapshot, clock.now())
        output.result(DemoWritten(written, chart, summary), as_json)
