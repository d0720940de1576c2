"""What a person sees of calibrate, the backtest and slips: render blocks."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from salespipe.core import fmt
from salespipe.core.i18n import N_, _, ngettext
from salespipe.present.render import Block, Column, Fields, Table, Text
from salespipe.present.report_views import NONE, percent
from salespipe.reports.calibrate import PRIOR_DEALS

COIN_BRIER = 0.25  # the Brier score of saying 50 % of every deal
# The forecast methods as a person reads them (the JSON keeps the words --method takes).
METHOD_NAMES: dict[Method, str] = {"stage": N_("stage"), "history": N_("history")}

if TYPE_CHECKING:
    from salespipe.present.parts import Part
    from salespipe.reports.backtest import Backtest, Score
    from salespipe.reports.calibrate import CalibrateRun, Calibration
    from salespipe.reports.forecast import Method
    from salespipe.reports.slips import SlipGroup, Slips


def calibrate_run_view(result: CalibrateRun) -> list[Part]:
    shown: list[Part] = [*calibration_blocks(result.calibration)]
    stages = result.calibration.stages
    if unknown := result.calibration.stage_unknown:
        shown.append(
            ngettext(
                "{count} closed deal is left out: it was imported without the stage it "
                "closed from, so it says nothing about any stage.",
                "{count} closed deals are left out: they were imported without the stage "
                "they closed from, so they say nothing about any stage.",
                unknown,
            ).format(count=unknown)
        )
    reached = any(stage.deals for stage in stages)
    if not reached and result.since:
        shown.append(
            _("No deal created since {date} has reached a stage.").format(
                date=fmt.long_day(result.since)
            )
        )
    elif not reached:
        shown.append(
            _(
                "No deal has reached a stage yet: calibrate learns from the moves and "
                "closes of your deals as they happen."
            )
        )
    if result.applied:
        shown.append(
            _("The stage probabilities are now the observed ones (`salespipe undo` undoes it).")
        )
        thin = sum(1 for s in result.calibration.changing() if s.leans_on_prior)
        if thin:
            shown.append(
                ngettext(
                    "{count} of them rests on fewer than {least} closed deals (*), so it leans "
                    "on the probability set before and will move as deals close.",
                    "{count} of them rest on fewer than {least} closed deals (*), so they lean "
                    "on the probabilities set before and will move as deals close.",
                    thin,
                ).format(count=thin, least=PRIOR_DEALS)
            )
    elif result.asked_to_apply and not any(s.closed for s in stages):
        shown.append(_("Nothing was applied: no deal has closed yet, so nothing is observed."))
    elif result.asked_to_apply:
        shown.append(_("The stage probabilities are the observed ones already; nothing changed."))
    return shown


def calibration_blocks(result: Calibration) -> list[Block]:
    leans = _("* rests on fewer than {count} closed deals, so it leans on the configured value.")
    if any(stage.set_by_hand is not None for stage in result.stages):
        leans = _(
            "* rests on fewer than {count} closed deals, so it leans on the probability set "
            "before `calibrate --apply`, in brackets where it differs from the configured one."
        )
    observed = _(
        "Observed: the chance a deal that reached the stage is won, from every move "
        "recorded (open deals count for the moves they made)."
    )
    table = Table(
        columns=[
            Column(_("Stage"), shrink=True),
            Column(_("Configured"), "right"),
            Column(_("Observed"), "right"),
            Column(_("Deals"), "right"),
            Column(_("Closed deals"), "right"),
            Column(_("Won"), "right"),
            Column(_("Median days to won"), "right"),
        ],
        title=_("Stage probabilities learned from history (as of {date})").format(
            date=fmt.long_day(result.as_of)
        ),
        footer=observed,
    )
    for stage in result.stages:
        observed = percent(stage.observed)
        if stage.observed is not None and stage.leans_on_prior:
            observed += " *"
            # What the mark means: a line of its own under the footer, as list's marks.
            table.notes[2] = leans.format(count=PRIOR_DEALS)
        configured = percent(stage.configured)
        if stage.set_by_hand is not None:
            configured += f" ({percent(stage.set_by_hand)})"
        table.rows.append(
            [
                stage.name,
                configured,
                observed,
                str(stage.deals),
                str(stage.closed),
                str(stage.won),
                fmt.days(stage.median_days_to_won),
            ]
        )
    return [table]


def _score_cells(score: Score, currency: str) -> list[str]:
    return [
        NONE if score.mae is None else fmt.money(Decimal(str(score.mae)), currency, whole=True),
        percent(score.mape),
        NONE if score.brier is None else f"{score.brier:.3f}",
    ]


def backtest_blocks(result: Backtest) -> list[Block]:
    months = Table(
        columns=[
            Column(_("Month"), max_width=12),
            Column(_("Open deals"), "right"),
            Column(_("Stage forecast"), "right"),
            Column(_("History forecast"), "right"),
            Column(_("Won"), "right"),
        ],
        title=_("Backtest: each month forecast from its first day, {currency}").format(
            currency=result.currency
        ),
        footer=_("Won = what the deals open on the first day brought in during the month."),
    )
    for month in result.months:
        months.rows.append(
            [
                fmt.month(month.month),
                str(month.deals),
                fmt.money(month.forecast["stage"], result.currency, whole=True),
                fmt.money(month.forecast["history"], result.currency, whole=True),
                fmt.money(Decimal(month.won), result.currency, whole=True),
            ]
        )
    scores = Table(
        columns=[
            Column(_("Method")),
            Column(_("MAE"), "right"),
            Column(_("MAPE"), "right"),
            Column(_("Brier"), "right"),
        ],
        title=_("Errors per method (lower is better)"),
        footer=(
            _(
                "MAE: mean monthly error over the months with open deals; MAPE: mean error "
                "as a share of the won value (both of the {currency} deals alone, as the "
                "table above); Brier: mean (probability - outcome)^2 over {forecasts} of "
                "{deals} since closed, of every currency."
            )
            if result.other_currencies
            else _(
                "MAE: mean monthly error over the months with open deals; MAPE: mean error as "
                "a share of the won value; Brier: mean (probability - outcome)^2 over "
                "{forecasts} of {deals} since closed."
            )
        ).format(
            currency=result.currency,
            forecasts=ngettext(
                "{count} forecast", "{count} forecasts", result.scored_forecasts
            ).format(count=result.scored_forecasts),
            deals=ngettext("{count} deal", "{count} deals", result.scored_deals).format(
                count=result.scored_deals
            ),
        ),
    )
    for method, name in METHOD_NAMES.items():
        scores.rows.append([_(name), *_score_cells(result.scores[method], result.currency)])
    if result.too_few:
        from salespipe.reports.backtest import LEAST_SCORED

        verdict = ngettext(
            "Too few deals open in these months have closed since to compare the methods "
            "({count} has, of the {least} it takes); the stage probabilities stand.",
            "Too few deals open in these months have closed since to compare the methods "
            "({count} have, of the {least} it takes); the stage probabilities stand.",
            result.scored_deals,
        ).format(count=result.scored_deals, least=LEAST_SCORED)
    elif result.better == "history":
        verdict = _(
            "On this pipeline the history method was better: use `forecast --method history` "
            "(and consider `calibrate --apply`)."
        )
        if result.lower_mae == "stage":
            verdict += " " + _(
                "Its monthly totals were further off, but a few months' totals swing too "
                "much to tell the methods apart; the score of each deal decides."
            )
    else:
        verdict = _(
            "On this pipeline the history method was not clearly better; the stage "
            "probabilities stand."
        )
        if result.worse:
            verdict = _(
                "On this pipeline the history method was clearly worse; the stage "
                "probabilities stand."
            )
        if result.lower_mae == "history":
            verdict += " " + _(
                "Its monthly totals were closer, but a few months' totals swing too much "
                "to tell the methods apart; the score of each deal decides."
            )
    briers = [result.scores[m].brier for m in ("stage", "history")]
    if not result.too_few and all(b is not None and b >= COIN_BRIER for b in briers):
        verdict += " " + _(
            "Both Brier scores are no better than always saying 50 % (0.25): neither "
            "method's probabilities tell these deals apart yet."
        )
    return [months, scores, Text(verdict)]


def _slip_row(group: SlipGroup, label: str) -> list[str]:
    return [
        label,
        str(group.deals),
        str(group.slipped),
        percent(group.share),
        str(len(group.days)),
        fmt.days(group.median_days),
    ]


def slips_blocks(result: Slips) -> list[Block]:
    if not result.total.deals:
        if result.owner is not None:  # as other reports say of an owner with no deal
            return [
                Text(
                    _('No deal of "{owner}" has had an expected close date.').format(
                        owner=result.owner
                    )
                )
            ]
        return [Text(_("No deal has had an expected close date yet."))]

    def table(title: str, heading: str) -> Table:
        return Table(
            columns=[
                Column(heading, max_width=24),
                # the counts' headers break between words before a name is cut
                Column(_("Dated deals"), "right", header_wraps=True),
                Column(_("Slipped"), "right", header_wraps=True),
                Column(_("Share"), "right", header_wraps=True),
                Column(_("Slips"), "right", header_wraps=True),
                Column(_("Median days"), "right", header_wraps=True),
            ],
            title=title,
        )

    owners = table(_("Expected close dates pushed back, per owner"), _("Owner"))
    for group in result.owners:
        owners.rows.append(_slip_row(group, group.name or NONE))
    owners.rows.append(_slip_row(result.total, _("All")))
    stages = table(_("Per stage (where the deal was when its date moved)"), _("Stage"))
    for group in result.stages:
        stages.rows.append(_slip_row(group, group.name))
    total = result.total
    pairs = [
        (_("Total days pushed"), str(sum(total.days))),
        (
            _("Median push"),
            NONE
            if total.median_days is None
            else _("{days} days").format(days=fmt.days(total.median_days)),
        ),
    ]
    return [owners, stages, Fields(pairs)]
