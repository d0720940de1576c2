"""Options that several commands share, declared once: --json, --owner, --as-of,
--since, --until, --reason, --at, --width and --pipeline; and what a --limit means."""

from typing import Annotated, Any

import typer

from salespipe.cli import complete
from salespipe.cli.app import Phrase, filled, state
from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import N_, _

# The forms a DATE may take, named in the help of each option that takes one (a day
# ahead: a close or due date; a day back: where a period starts or ends). Each form
# is one core/parse.py reads (tests/test_thai_help.py checks it, in both languages).
DAYS_AHEAD = Phrase(N_("2027-01-31, 31/1/2027, 'next friday', +2w; in Thai 31/1/2570, ศุกร์หน้า"))
DAYS_BACK = Phrase(
    N_("2026-10-01, 1/10/2026, yesterday, -2w; in Thai 1/10/2569, เมื่อวาน, '2 สัปดาห์ก่อน'")
)


def _json_mode(ctx: typer.Context, value: bool) -> bool:
    """Tell the run that it prints JSON: its dates stay ISO 8601 CE, and an error is
    printed as a JSON object too (cli/app.py)."""
    if value:
        state(ctx).as_json = True
    return value


JsonOption = Annotated[
    bool, typer.Option("--json", help="Print only JSON on stdout.", callback=_json_mode)
]


def _pipeline_chosen(ctx: typer.Context, value: str | None) -> str | None:
    """The command acts on this pipeline (the pipeline the run opens is told so)."""
    if value is not None:
        state(ctx).chosen_pipeline = value
    return value


PipelineOption = Annotated[
    str | None,
    typer.Option(
        "--pipeline",
        "-P",
        metavar="P",
        help="In this pipeline (key, name, number or unique prefix); default: the current one.",
        callback=_pipeline_chosen,
        autocompletion=complete.pipelines,
    ),
]


def given(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """Refuse a filter given empty: a script's `--stage "$STAGE"` with STAGE unset listed
    every deal and gave their total, as if no filter had been asked for."""
    if value is not None and not value.strip():
        raise InvalidValue(
            _("{option} was given empty; give a value, or leave the option out.").format(
                option=param.opts[0] if param.opts else param.name
            )
        )
    return value


OwnerOption = Annotated[
    str | None,
    typer.Option(
        "--owner",
        "-o",
        metavar="O",
        help="Only the deals of this owner.",
        autocompletion=complete.owners,
        callback=given,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help=filled(
            "As the pipeline stood at the end of DATE, replayed from its history: {forms}.",
            forms=DAYS_BACK,
        ),
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since", metavar="DATE", help=filled("From DATE on (included): {forms}.", forms=DAYS_BACK)
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        "--until", metavar="DATE", help=filled("Up to DATE (included): {forms}.", forms=DAYS_BACK)
    ),
]
ReasonOption = Annotated[
    str | None, typer.Option("--reason", "-r", help="Why it happened; kept in the deal's history.")
]
AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="WHEN",
        help="When it happened, if earlier: 2026-01-15, '2026-01-15 14:30', yesterday, -3d.",
    ),
]
WidthOption = Annotated[
    int | None,
    typer.Option(
        "--width",
        metavar="N",
        min=30,
        max=400,
        help="Chart width in columns (default: the terminal's, at most 80).",
    ),
]


def limit_option(help: str, default: int) -> Any:
    """The ``--limit N`` of a listing that shows ``default`` items where a person reads it
    (see :func:`shown_limit`); ``help`` says what N counts, and where ``{default}`` goes."""
    return typer.Option("--limit", "-n", min=0, help=filled(help, default=default))


def shown_limit(given: int | None, as_json: bool, default: int) -> int | None:
    """How many items a listing shows (None: all): ``--limit N`` N, ``--limit 0`` all;
    without --limit, ``default`` for a person reading a screen and all of them for a script
    reading JSON (docs/daily-use.md, "How much a table shows")."""
    if given is not None:
        return given or None
    return None if as_json else default
