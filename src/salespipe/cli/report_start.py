"""What a report checks before it reads the database: the day --as-of names, and a
default data file that is not there (a cron job without its user's HOME). Its own
module, so that a daily view (agenda, board) asks it without importing every report
command."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from salespipe.cli.app import state
from salespipe.core import parse
from salespipe.core.i18n import N_, _

if TYPE_CHECKING:
    from datetime import date


def as_of_day(as_of: str | None) -> date | None:
    """The day --as-of names, refused when it is no date or in the future: told before
    the file is read (or found missing)."""
    from salespipe.reports import timeline

    day = parse.day(as_of, what=N_("--as-of date")) if as_of is not None else None
    if day is not None:
        timeline.cutoff(day)
    return day


def warned_that_the_default_file_is_missing(ctx: typer.Context, *, checked: bool = False) -> bool:
    """A report of the default data file where there is none: a cron job without its
    user's HOME or XDG_DATA_HOME looks elsewhere, read an empty pipeline there and
    reported it, every day, without a word (``check`` said all was well). It says why
    there is nothing, and whether it did; the report then prints nothing, but with
    --json the report of nothing, so that a script still reads JSON."""
    if checked:
        said = _(
            "There is no data file at {path}, so nothing was checked. A cron job (whose HOME "
            "or XDG_DATA_HOME may not be yours) names the file with --db or SALESPIPE_DB."
        )
    else:
        said = _(
            "There is no data file at {path}, so there is nothing to report; a cron job "
            "(whose HOME or XDG_DATA_HOME may not be yours) names the file with --db or "
            "SALESPIPE_DB."
        )
    return state(ctx).warned_that_the_default_file_is_missing(said)


def nothing_to_report(ctx: typer.Context, as_json: bool, as_of: str | None = None) -> bool:
    """Whether the report stops here, having warned that the default data file is not
    there: it prints nothing for a person (no empty report for cron to mail), and the
    report of nothing with --json. A wrong --as-of is refused first, as it is where the
    file is there (it had exit code 0 without the file, 1 with it or with --json)."""
    as_of_day(as_of)
    return warned_that_the_default_file_is_missing(ctx) and not as_json
