"""Report commands: chart, report, forecast, calibrate, slips, funnel, durations, winrate,
stale, check.

Which deal records a report reads (open or all, now or ``--as-of``) is decided by
:mod:`salespipe.reports.scope`; ``slips`` and ``forecast --backtest`` read the events'
change rows themselves, in one pass each. The report modules are imported inside the
commands, so other commands do not pay for them at start-up.
"""

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from salespipe.cli import complete, output
from salespipe.cli.app import filled, state
from salespipe.cli.options import (
    DAYS_BACK,
    AsOfOption,
    JsonOption,
    OwnerOption,
    PipelineOption,
    SinceOption,
    UntilOption,
    WidthOption,
    limit_option,
    shown_limit,
)
from salespipe.cli.report_start import (
    as_of_day,
    nothing_to_report,
    warned_that_the_default_file_is_missing,
)
from salespipe.core import clock, parse
from salespipe.core.errors import EXIT_ACTION_NEEDED, InvalidValue, UsageError
from salespipe.core.i18n import N_, _

if TYPE_CHECKING:
    from salespipe.core.change_rows import ChangeRow
    from salespipe.reports.forecast import Forecast
    from salespipe.reports.scope import Scope
    from salespipe.storage.port import ReadView

PANEL = "Reports"
# Without --limit a table of stale deals shows this many, the longest overdue
# (docs/daily-use.md, "How much a table shows").
STALE_LIMIT = 50
# Without --limit check shows this many alerts of each kind, the most urgent, and a line
# for the rest of each: a cron mail of thousands of lines is not read.
CHECK_LIMIT = 20


def _scope(ctx: typer.Context, owner: str | None, as_of: str | None, *, history: bool) -> "Scope":
    """Open deals (or, with ``history``, all deals) now or as of the end of a day."""
    from salespipe.reports.scope import scope

    day = as_of_day(as_of)
    view, pipeline = state(ctx).read_scoped()
    found = scope(view, history=history, owner=owner, as_of=day, pipeline=pipeline)
    _warn_of_an_owner_of_nothing(view, owner, [found], history=history)
    return found


def _warn_of_an_owner_of_nothing(
    view: "ReadView", owner: str | None, found: "list[Scope]", *, history: bool
) -> None:
    """--owner that owns nothing the report counts is most often a typo: say so. Without
    --owner, a reader who sees only the deals it owns and owns no open one is told why the
    report is empty (a cron `check` as a role off the team said "Nothing to act on")."""
    if owner is None:
        sees_none = not history and not any(each.open.count(each.now) for each in found)
        if sees_none and not view.sees_every_deal():
            output.warn(
                _(
                    "You see only the deals you own (visibility own), and own no open deal "
                    "in this pipeline."
                )
            )
        return
    if not history:
        if not any(each.open.count(each.now) for each in found):
            warn_of_an_owner_of_no_open_deal(view, owner)
        return
    if not any(each.has_deals() for each in found):
        if not view.sees_every_deal():
            said = _('no deal you may see has the owner "{owner}".')
        else:
            said = _('no deal has the owner "{owner}".')
        output.warn(said.format(owner=owner))


def warn_of_an_owner_of_no_open_deal(view: "ReadView", owner: str) -> None:
    if not view.sees_every_deal():  # a rep of a team (visibility own)
        said = _('no open deal you may see has the owner "{owner}".')
    else:
        said = _('no open deal has the owner "{owner}".')
    output.warn(said.format(owner=owner))


def _changes_in(
    snapshot: "ReadView", pipeline: str | None, *, deleted_too: bool = False
) -> Iterable["ChangeRow"]:
    """The change rows of the events of the deals in ``pipeline`` (all events when None;
    see :func:`~salespipe.reports.scope.rows_of_pipeline`): the history replayed by slips
    and the backtest, with a bar of how far the replay has got on a terminal (a million
    deals' history takes a minute)."""
    from salespipe.cli.progress import counted
    from salespipe.reports.scope import rows_of_pipeline

    events = snapshot.counters().next_seq - 1
    rows = counted(snapshot.change_records(), events, N_("Replaying the history"))
    return rows_of_pipeline(snapshot, rows, pipeline, deleted_too=deleted_too)


def _all_pipelines(ctx: typer.Context) -> bool:
    """Whether --pipeline all asked for one section per pipeline."""
    from salespipe.app import scope as pipeline_scope

    chosen = state(ctx).chosen_pipeline
    return chosen is not None and chosen.strip().casefold() == pipeline_scope.ALL


def _each(
    ctx: typer.Context,
    owner: str | None,
    as_of: str | None,
    make: "Callable[[Scope], Any]",
    *,
    history: bool,
    total: bool = False,
) -> Any:
    """The result ``make`` makes of the report's deals; with --pipeline all, one per
    pipeline and, with ``total``, one of every deal, as one result."""
    if not _all_pipelines(ctx):
        return make(_scope(ctx, owner, as_of, history=history))
    from salespipe.present.pipeline_results import PerPipeline, Section
    from salespipe.reports.scope import each_pipeline, every_pipeline

    day = parse.day(as_of, what=N_("--as-of date")) if as_of is not None else None
    view = state(ctx).read()
    scopes = each_pipeline(view, history=history, owner=owner, as_of=day)
    every_scope = [found for _pipeline, found in scopes]
    _warn_of_an_owner_of_nothing(view, owner, every_scope, history=history)
    sections = [Section(p, make(found)) for p, found in scopes]
    if not total:
        return PerPipeline(sections, None)
    return PerPipeline(
        sections, make(every_pipeline(view, history=history, owner=owner, as_of=day))
    )


HtmlOption = Annotated[
    str | None,
    typer.Option(
        "--html",
        metavar="FILE",
        help="Write the report as one HTML page to FILE (- for stdout), to forward or mail.",
    ),
]


def _backtest(ctx: typer.Context, months: int, owner: str | None, as_json: bool) -> None:
    """forecast --backtest: both methods on the last ``months`` whole months."""
    from salespipe.reports import backtest

    snapshot, pipeline = state(ctx).read_scoped()
    result = backtest.backtest_in(
        snapshot,
        months=months,
        now=clock.now(),
        owner=owner,
        pipeline=pipeline,
        changes=lambda: _changes_in(snapshot, pipeline, deleted_too=True),
    )
    output.result(result, as_json)


def _write_report_page(ctx: typer.Context, target: str, scope: "Scope", *, period: Any) -> None:
    from salespipe.cli import report_pages

    page = report_pages.report_page(scope, period=period)
    written = report_pages.write_page(target, page, state(ctx).pipeline().store)
    output.result(written, state(ctx).as_json)


def _write_report_pages(
    ctx: typer.Context, target: str, owner: str | None, as_of: str | None, *, period: Any
) -> None:
    """report --html FILE --pipeline all: each pipeline's report on one page."""
    from salespipe.cli import report_pages
    from salespipe.reports.scope import each_pipeline

    day = parse.day(as_of, what=N_("--as-of date")) if as_of is not None else None
    pipeline = state(ctx).pipeline()
    view = pipeline.read()
    scopes = each_pipeline(view, history=True, owner=owner, as_of=day)
    every_scope = [found for _pipeline, found in scopes]
    _warn_of_an_owner_of_nothing(view, owner, every_scope, history=True)
    page = report_pages.per_pipeline_report_page(
        ((parse.pipeline_name(p), s) for p, s in scopes), period=period
    )
    written = report_pages.write_page(target, page, pipeline.store)
    output.result(written, state(ctx).as_json)


def _write_forecast_page(
    ctx: typer.Context,
    target: str,
    owner: str | None,
    as_of: str | None,
    make: "Callable[[Scope], Forecast]",
) -> None:
    """forecast --html FILE: the forecast as a page; with --pipeline all, each pipeline's
    under its name, then the one of every deal."""
    from salespipe.cli import report_pages
    from salespipe.present import html

    if _all_pipelines(ctx):
        every = _each(ctx, owner, as_of, make, history=True, total=True)
        named = [(parse.pipeline_name(s.pipeline), s.result) for s in every.sections]
        page = html.per_pipeline_forecast_page(named, every.total)
    else:
        scope = _scope(ctx, owner, as_of, history=True)
        page = html.forecast_page(make(scope), pipeline=scope.pipeline_name)
    written = report_pages.write_page(target, page, state(ctx).pipeline().store)
    output.result(written, state(ctx).as_json)


def register(app: typer.Typer) -> None:
    @app.command("chart", rich_help_panel=PANEL)
    def chart(
        ctx: typer.Context,
        by: Annotated[
            str,
            typer.Option(
                "--by",
                metavar="count|value|weighted",
                help="Bar length: number of deals, value, or weighted value (per currency).",
                autocompletion=complete.choices("count", "value", "weighted"),
            ),
        ] = "count",
        all_stages: Annotated[
            bool, typer.Option("--all-stages", help="Show disabled stages too.")
        ] = False,
        width: WidthOption = None,
        owner: OwnerOption = None,
        as_of: AsOfOption = None,
        in_pipeline: PipelineOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Bar chart of the open deals per stage.

        One bar per enabled stage, in pipeline order, with its number beside it. Value and
        weighted charts are drawn per currency: the config's currency first, then the
        others in the alphabet's order.

        Example: salespipe chart --by weighted --owner somchai
        """
        from salespipe.reports import summary as reports

        chosen = parse.choice(by, reports.CHART_BY, "--by")
        if nothing_to_report(ctx, as_json, as_of):
            return
        result = _each(
            ctx,
            owner,
            as_of,
            lambda scope: reports.chart(
                scope.open,
                scope.stages,
                by=chosen,  # type: ignore[arg-type]
                as_of=scope.now.date(),
                all_stages=all_stages,
                placed=scope.placed(),
                currency=scope.currency,
            ),
            history=False,
        )
        output.result(result, as_json, chart_width_asked=width)

    @app.command("report", rich_help_panel=PANEL)
    def report(
        ctx: typer.Context,
        since: SinceOption = None,
        until: UntilOption = None,
        owner: OwnerOption = None,
        as_of: AsOfOption = None,
        html_file: HtmlOption = None,
        in_pipeline: PipelineOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """One-screen summary: pipeline, results, bottleneck.

        The open pipeline per stage (count, value, weighted value); the deals won and lost
        from --since to --until (default: all history), win rate, average deal size and
        sales cycle; the bottleneck stage and the number of stale deals.

        With --html FILE: the whole report as one page to forward (charts, forecast with
        its range, stale deals and the week's next actions).

        Example: salespipe report --since 2026-10-01 --owner somchai
        """
        from salespipe.core import tally
        from salespipe.reports import summary as reports

        period = tally.Period.parse(since, until, as_of)
        if nothing_to_report(ctx, as_json, as_of):
            return
        if html_file is not None and _all_pipelines(ctx):
            _write_report_pages(ctx, html_file, owner, as_of, period=period)
            return
        if html_file is not None:
            scope = _scope(ctx, owner, as_of, history=True)
            _write_report_page(ctx, html_file, scope, period=period)
            return
        result = _each(
            ctx,
            owner,
            as_of,
            lambda scope: reports.summary_in(scope, period),
            history=True,
            total=True,
        )
        output.result(result, as_json)

    @app.command("forecast", rich_help_panel=PANEL)
    def forecast(
        ctx: typer.Context,
        months: Annotated[
            int | None,
            typer.Option(
                "--months",
                metavar="N",
                min=1,
                max=24,
                help="Months ahead (this one included) and months of won history to show "
                "(default 3); with --backtest, the months to test (default 6).",
            ),
        ] = None,
        method: Annotated[
            str,
            typer.Option(
                "--method",
                metavar="stage|history",
                autocompletion=complete.choices("stage", "history"),
                help="Weigh deals by their stage's probability, or by what history learned "
                "(see calibrate).",
            ),
        ] = "stage",
        backtest: Annotated[
            bool,
            typer.Option(
                "--backtest", help="Test both methods on the last months; say which was better."
            ),
        ] = False,
        width: WidthOption = None,
        owner: OwnerOption = None,
        as_of: AsOfOption = None,
        html_file: HtmlOption = None,
        in_pipeline: PipelineOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Expected revenue by close month, with its range.

        Open deals by expected-close month, weighted and not (past-due and undated deals in
        their own rows), beside the value won per month, with P10/P50/P90 of each month's
        won value; then the months ahead together, with a range of its own (not the
        months' added up); as a table and a chart per currency (the config's currency
        first, then the others as the table lists them).

        Example: salespipe forecast --method history --months 6
        """
        from salespipe.reports import forecast as forecasting

        chosen = parse.choice(method, forecasting.METHODS, "--method")
        if backtest:
            # Each was taken and left unused: no page written, one method not tested.
            if html_file is not None:
                raise UsageError(_("--backtest has no page; leave out --html."))
            if chosen != "stage":
                raise UsageError(_("--backtest tests both methods; leave out --method."))
            if in_pipeline is not None and in_pipeline.strip().casefold() == "all":
                raise UsageError(
                    _(
                        "--backtest tests one pipeline at a time: name it with --pipeline, "
                        "or leave the option out for the current one."
                    )
                )
            if as_of is not None:
                raise InvalidValue(
                    _("--backtest tests the months before today; leave out --as-of.")
                )
            if nothing_to_report(ctx, as_json):
                return
            _backtest(ctx, months or 6, owner, as_json)
            return

        if nothing_to_report(ctx, as_json, as_of):
            return

        def make(scope: "Scope") -> "Forecast":
            return forecasting.forecast_in(
                scope,
                months=months or 3,
                method=chosen,  # type: ignore[arg-type]
            )

        if html_file is not None:
            _write_forecast_page(ctx, html_file, owner, as_of, make)
            return
        result = _each(ctx, owner, as_of, make, history=True, total=True)
        output.result(result, as_json, chart_width_asked=width)

    @app.command("calibrate", rich_help_panel=PANEL)
    def calibrate(
        ctx: typer.Context,
        since: Annotated[
            str | None,
            typer.Option(
                "--since",
                metavar="DATE",
                help=filled(
                    "Only deals created from DATE on (included): {forms}.", forms=DAYS_BACK
                ),
            ),
        ] = None,
        owner: OwnerOption = None,
        apply: Annotated[
            bool,
            typer.Option(
                "--apply", help="Set the stage probabilities to the observed ones (undoable)."
            ),
        ] = False,
        in_pipeline: PipelineOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Stage probabilities learned from what happened.

        For each stage: its configured probability beside the observed chance that a deal
        which reached it was won (open deals count for the moves they made), the deals it
        rests on, and the median days from the stage to the win. With few deals the
        observed value leans on the configured one.

        Example: salespipe calibrate --since 2026-01-01 --apply
        """
        from salespipe.reports import calibrate as calibration

        day = parse.day(since, what=N_("--since date")) if since is not None else None
        if apply and owner is not None:
            raise UsageError(
                _(
                    "calibrate --apply sets the stage probabilities everyone's deals are "
                    "weighed by, so it learns from everyone's deals: leave out --owner."
                )
            )
        if apply and _all_pipelines(ctx):
            raise UsageError(
                _(
                    "calibrate --apply sets the probabilities of one pipeline: name it with "
                    "--pipeline P, not all."
                )
            )

        if nothing_to_report(ctx, as_json):
            return

        def calibrated(scope: "Scope") -> calibration.CalibrateRun:
            result = calibration.calibrate_in(scope, day)
            changed = False
            if apply:
                change = state(ctx).pipeline().stage_probabilities(result.percentages())
                changed = bool(change.events)
            return calibration.CalibrateRun(result, changed, asked_to_apply=apply, since=day)

        output.result(_each(ctx, owner, None, calibrated, history=True), as_json)

    @app.command("slips", rich_help_panel=PANEL)
    def slips(
        ctx: typer.Context,
        owner: OwnerOption = None,
        in_pipeline: PipelineOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """How often and how far expected close dates are pushed back.

        Per owner and per stage: the deals that had an expected close, how many had it
        pushed to a later date, how often, and the median days pushed.

        Example: salespipe slips --owner somchai
        """
        from salespipe.reports import slips as slipping

        if nothing_to_report(ctx, as_json):
            return

        def slipped(snapshot: "ReadView", pipeline: str | None) -> slipping.Slips:
            return slipping.slips_in(
                snapshot,
                as_of=clock.now().date(),
                owner=owner,
                pipeline=pipeline,
                changes=lambda: _changes_in(snapshot, pipeline),
            )

        if _all_pipelines(ctx):
            from salespipe.present.pipeline_results import PerPipeline, Section

            view = state(ctx).read()
            sections = [
                Section(p, slipped(view, p.key))
                for p in sorted(view.pipelines(), key=lambda p: p.position)
            ]
            output.result(PerPipeline(sections), as_json)
            return
        output.result(slipped(*state(ctx).read_scoped()), as_json)

    @app.command("funnel", rich_help_panel=PANEL)
    def funnel(
        ctx: typer.Context,
        since: SinceOption = None,
        until: UntilOption = None,
        owner: OwnerOption = None,
        as_of: AsOfOption = None,
        in_pipeline: PipelineOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """How far the deals created in a period got.

        How many reached each stage (a skipped stage counts as passed), the conversion from
        each stage to the next, how many were lost in each, and the overall win rate.

        Example: salespipe funnel --since 2026-01-01 --until 2026-06-30
        """
        from salespipe.core import tally
        from salespipe.reports import outcomes

        period = tally.Period.parse(since, until, as_of)
        if nothing_to_report(ctx, as_json, as_of):
            return
        result = _each(
            ctx,
            owner,
            as_of,
            lambda scope: outcomes.funnel_of(
                scope.totals(outcomes.funnel_asks(scope.now, period, scope.stages)).cohort,
                scope.stages,
                period,
                scope.now.date(),
            ),
            history=True,
        )
        output.result(result, as_json)

    @app.command("durations", rich_help_panel=PANEL)
    def durations(
        ctx: typer.Context,
        owner: OwnerOption = None,
        as_of: AsOfOption = None,
        in_pipeline: PipelineOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Days spent in each stage, and the bottleneck.

        Median and mean over every stay, finished or ongoing; how many stays went over the
        stage's target days. The bottleneck is the stage in use whose median most exceeds its
        target.

        Example: salespipe durations --as-of 2026-09-30
        """
        from salespipe.reports import durations as timing

        if nothing_to_report(ctx, as_json, as_of):
            return
        result = _each(
            ctx,
            owner,
            as_of,
            lambda scope: timing.durations_of(
                scope.totals(timing.durations_asks(scope.now)).stays, scope.stages, scope.now
            ),
            history=True,
        )
        output.result(result, as_json)

    @app.command("winrate", rich_help_panel=PANEL)
    def winrate(
        ctx: typer.Context,
        by: Annotated[
            str | None,
            typer.Option(
                "--by",
                metavar="owner|month|stage|reason",
                help="Also per owner, month or stage; or the lost deals per reason.",
                autocompletion=complete.choices("owner", "month", "stage", "reason"),
            ),
        ] = None,
        since: SinceOption = None,
        until: UntilOption = None,
        owner: OwnerOption = None,
        as_of: AsOfOption = None,
        in_pipeline: PipelineOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Win rate: won / (won + lost), by count and value.

        Of the deals closed from --since to --until; by value per currency. With --by
        reason: the lost deals per reason, with their count and value (why we lose).

        Example: salespipe winrate --by owner --since 2026-01-01
        """
        from salespipe.core import tally
        from salespipe.reports import outcomes

        grouping = parse.choice(by, outcomes.WINRATE_BY, "--by") if by is not None else None
        period = tally.Period.parse(since, until, as_of)
        if nothing_to_report(ctx, as_json, as_of):
            return
        result = _each(
            ctx,
            owner,
            as_of,
            lambda scope: outcomes.winrate_of(
                scope.totals(outcomes.winrate_asks(scope.now, period, grouping)).closed,  # type: ignore[arg-type]
                scope.stages,
                period,
                scope.now.date(),
                grouping,  # type: ignore[arg-type]
            ),
            history=True,
            total=grouping in (None, "owner", "month", "reason"),
        )
        output.result(result, as_json)

    @app.command("stale", rich_help_panel=PANEL)
    def stale(
        ctx: typer.Context,
        owner: OwnerOption = None,
        as_of: AsOfOption = None,
        in_pipeline: PipelineOption = None,
        limit: Annotated[
            int | None,
            limit_option(
                help="At most N deals; 0 for all (default: {default} in a table, all with --json).",
                default=STALE_LIMIT,
            ),
        ] = None,
        as_json: JsonOption = False,
    ) -> None:
        """Open deals over their stage's target days.

        Longest overdue first, with each deal's owner, value and next action.

        Example: salespipe stale --owner malee
        """
        from salespipe.reports import alerts

        if nothing_to_report(ctx, as_json, as_of):
            return
        most = shown_limit(limit, as_json, STALE_LIMIT)
        result = _each(
            ctx,
            owner,
            as_of,
            lambda scope: alerts.stale(
                scope.open,
                scope.stages,
                scope.now,
                most,
                by_default=limit is None,
                pipeline=bool(scope.pipeline_name),
                placed=scope.placed(),
            ),
            history=False,
        )
        output.result(result, as_json)

    @app.command("check", rich_help_panel=PANEL)
    def check(
        ctx: typer.Context,
        quiet: Annotated[
            bool, typer.Option("--quiet", "-q", help="Print nothing when there is nothing to do.")
        ] = False,
        owner: OwnerOption = None,
        as_of: AsOfOption = None,
        in_pipeline: PipelineOption = None,
        limit: Annotated[
            int | None,
            limit_option(
                help="At most N alerts of each kind, the most urgent; 0 for all (default: "
                "{default} in a table, all with --json).",
                default=CHECK_LIMIT,
            ),
        ] = None,
        as_json: JsonOption = False,
    ) -> None:
        """For cron: what needs action (exit code 3).

        Stale deals, next actions due today or past due, open deals past their expected
        close, quotes expiring within 3 days or expired. Exits 3 when there is something to
        act on, 0 when all is well.

        \b
        Example: crontab lines that mail you the whole list
        only when there is something to do, in any pipeline
        (cron has neither your HOME, nor your PATH, nor your
        time zone: name the data file, salespipe as
        `command -v salespipe` prints it, and your zone):
          SALESPIPE_DB=/home/you/.local/share/salespipe/pipeline.json
          TZ=Asia/Bangkok
          0 8 * * 1-5  $HOME/.local/bin/salespipe check -q -n 0 -P all
        """
        from salespipe.reports import alerts

        as_of_day(as_of)  # a wrong day is refused, whether or not the file is there
        if warned_that_the_default_file_is_missing(ctx, checked=True) and not as_json:
            return  # nothing else: "Nothing to act on" would be an all-clear cron mails
        most = shown_limit(limit, as_json, CHECK_LIMIT)
        result = _each(
            ctx,
            owner,
            as_of,
            lambda scope: alerts.check(
                scope.open,
                scope.stages,
                scope.now,
                most,
                by_default=limit is None,
                placed=scope.placed(),
            ),
            history=False,
        )
        from salespipe.present.pipeline_results import PerPipeline

        checks = (
            [s.result for s in result.sections] if isinstance(result, PerPipeline) else [result]
        )
        clean = all(c.clean for c in checks)
        if as_json or not (quiet and clean):
            output.result(result, as_json)
        if not clean:
            raise typer.Exit(EXIT_ACTION_NEEDED)
