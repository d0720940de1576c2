"""The daily views: agenda (what to do today) and board (the pipeline as a kanban)."""

from typing import TYPE_CHECKING, Annotated

import typer

from salespipe.cli import complete, output
from salespipe.cli.app import state
from salespipe.cli.options import (
    JsonOption,
    OwnerOption,
    PipelineOption,
    limit_option,
    shown_limit,
)
from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import _

if TYPE_CHECKING:
    from salespipe.reports.scope import Scope
    from salespipe.storage.port import ReadView

PANEL = "Daily"
# Without --limit a board shows this many cards a stage, the most urgent (or largest):
# with five stages side by side, about a screen (docs/daily-use.md, "How much a table
# shows").
BOARD_LIMIT = 10
# Without --limit each part of the agenda (overdue, today, coming, needs a plan) shows
# this many deals, the earliest due or longest over first: four parts, a screen or two.
AGENDA_LIMIT = 20


def register(app: typer.Typer) -> None:
    @app.command("agenda", rich_help_panel=PANEL)
    def agenda(
        ctx: typer.Context,
        owner: OwnerOption = None,
        days: Annotated[
            int,
            typer.Option(
                "--days", metavar="N", min=0, max=366, help="How many days ahead to show."
            ),
        ] = 7,
        in_pipeline: PipelineOption = None,
        limit: Annotated[
            int | None,
            limit_option(
                help="At most N deals in each part; 0 for all (default: {default} in a table, all "
                "with --json).",
                default=AGENDA_LIMIT,
            ),
        ] = None,
        as_json: JsonOption = False,
    ) -> None:
        """What to do today: next actions overdue, due today and coming.

        Each with its deal, customer, stage and how late it is; then the stale deals that
        have no next action ("needs a plan").

        Example: salespipe agenda --owner somchai --days 14
        """
        from salespipe.cli.report_start import nothing_to_report
        from salespipe.reports import agenda as planning
        from salespipe.reports.scope import scope

        if nothing_to_report(ctx, as_json):
            return
        view, pipeline = state(ctx).read_scoped()
        chosen = scope(view, history=False, owner=owner, pipeline=pipeline)
        _warn_of_an_owner_of_nothing(view, owner, chosen)
        most = shown_limit(limit, as_json, AGENDA_LIMIT)
        result = planning.agenda(
            chosen.open, chosen.stages, chosen.now, days, most, by_default=limit is None
        )
        output.result(result, as_json)

    @app.command("board", rich_help_panel=PANEL)
    def board(
        ctx: typer.Context,
        owner: OwnerOption = None,
        by: Annotated[
            str,
            typer.Option(
                "--by",
                metavar="urgency|value",
                autocompletion=complete.choices("urgency", "value"),
                help="Order of the deals in a stage: most urgent or largest value first.",
            ),
        ] = "urgency",
        limit: Annotated[
            int | None,
            limit_option(
                help="At most N deals a stage; 0 for all (default: {default} on the board, all "
                "with --json).",
                default=BOARD_LIMIT,
            ),
        ] = None,
        in_pipeline: PipelineOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """The open deals as a board: a column per stage, the most urgent deal on top.

        Each stage shows its number of deals and value; each deal its value and days in
        the stage, marked when stale or its next action is overdue; a stage with more deals
        than --limit ends with how many more. Stages wrap to further rows when the terminal
        is too narrow for all of them side by side.

        Example: salespipe board --owner somchai --by value
        """
        from salespipe.cli.report_start import nothing_to_report
        from salespipe.reports import board as kanban
        from salespipe.reports.scope import scope

        if by not in kanban.BOARD_BY:
            raise InvalidValue(
                _('{option} "{value}" is not one of {choices}.').format(
                    option="--by", value=by, choices=", ".join(kanban.BOARD_BY)
                )
            )
        if nothing_to_report(ctx, as_json):
            return
        view, pipeline = state(ctx).read_scoped()
        chosen = scope(view, history=False, owner=owner, pipeline=pipeline)
        _warn_of_an_owner_of_nothing(view, owner, chosen)
        most = shown_limit(limit, as_json, BOARD_LIMIT)
        # (the config's currency: its deals come first)
        result = kanban.board(chosen.open, chosen.stages, chosen.now, by, most, chosen.currency)
        output.result(result, as_json)


def _warn_of_an_owner_of_nothing(view: "ReadView", owner: str | None, chosen: "Scope") -> None:
    """--owner that owns no open deal is most often a typo: said, as the reports say it
    (board and agenda printed an empty view without a word, a manager's trial)."""
    if owner is not None and not chosen.open.count(chosen.now):
        from salespipe.cli.reports import warn_of_an_owner_of_no_open_deal

        warn_of_an_owner_of_no_open_deal(view, owner)
