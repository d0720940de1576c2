"""What a person sees of the daily views: the agenda and the board, as render blocks."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from salespipe.core import fmt
from salespipe.core.i18n import N_, _, ngettext
from salespipe.present.parts import Noted, Part
from salespipe.present.render import Block, Column, Lane, Lanes, Table, Text, stage_names

if TYPE_CHECKING:
    from salespipe.core.tally import Totals
    from salespipe.reports.agenda import Agenda
    from salespipe.reports.alerts import StaleDeal
    from salespipe.reports.board import Board, Card
    from salespipe.reports.due import DueAction, When

OVERDUE_MARK = "!"
STALE_MARK = "*"


def _days(count: int) -> str:
    return ngettext("{count} day", "{count} days", count).format(count=count)


def _how_late(item: DueAction) -> str:
    if item.days_late > 0:
        return fmt.days_late(item.days_late)
    if item.days_late == 0:
        return _("today")
    ahead = -item.days_late
    return ngettext("in {count} day", "in {count} days", ahead).format(count=ahead)


# -- agenda ------------------------------------------------------------------------------------
def _action_table(items: list[DueAction], title: str, style: str | None, more: int) -> Table:
    table = Table(
        columns=[
            Column(_("Due")),
            Column(_("ID"), "right"),
            Column(_("Deal"), shrink=True),
            Column(_("Customer"), shrink=True, drop=1),
            stage_names(_("Stage")),
            Column(_("Next action"), wrap=True, min_width=12),
        ],
        title=f"{title} ({len(items) + more})",
        same_columns="agenda",
    )
    _left_out(table, more)
    for number, item in enumerate(items):
        record = item.record
        table.rows.append(
            [
                f"{fmt.day(item.due)}\n{_how_late(item)}",
                str(record["id"]),
                record["title"],
                record["customer"],
                item.stage.name if item.stage else record["stage"],
                record["next_action"]["text"],
            ]
        )
        if style:
            table.styles[number, 0] = style
    return table


def _plan_table(items: list[StaleDeal], more: int) -> Table:
    table = Table(
        columns=[
            Column(_("ID"), "right"),
            Column(_("Deal"), shrink=True),
            Column(_("Customer"), shrink=True, drop=1),
            stage_names(_("Stage")),
            Column(_("Days"), "right"),
            Column(_("Over"), "right"),
        ],
        title=_("Needs a plan: stale, with no next action ({count})").format(
            count=len(items) + more
        ),
        same_columns="agenda",
    )
    _left_out(table, more)
    for number, item in enumerate(items):
        record = item.record
        table.rows.append(
            [
                str(record["id"]),
                record["title"],
                record["customer"],
                item.stage.name,
                str(item.days_in_stage),
                str(item.days_over),
            ]
        )
        table.styles[number, 5] = "stale"
    return table


SECTIONS: tuple[tuple[When, str | None], ...] = (
    ("overdue", "overdue"),
    ("today", None),
    ("coming", None),
)


def agenda_blocks(result: Agenda) -> list[Part]:
    """The agenda's tables; on stderr how to see all when the default left some out."""
    if result.by_default and result.more:
        return [*agenda_tables(result), Noted(_how_to_see_all(result))]
    return [*agenda_tables(result)]


# What each part is called where the line under the agenda counts them.
PART_NAMES = {
    "overdue": N_("overdue"),
    "today": N_("due today"),
    "coming": N_("coming"),
    "needs_plan": N_("needs a plan"),
}


def _how_to_see_all(result: Agenda) -> str:
    """What the default length left out, part by part as the tables count them, so that
    the parts add up to the whole ("showing 22 of 140" alone, under a part titled 138
    that shows 20, read as counts that disagree)."""
    counts: list[tuple[str, int]] = [(when, len(result.part(when))) for when, _style in SECTIONS]
    counts.append(("needs_plan", len(result.needs_plan)))
    parts = _("; ").join(
        _("{part} {shown} of {count}").format(
            part=_(PART_NAMES[part]), shown=shown, count=shown + result.more.get(part, 0)
        )
        for part, shown in counts
        if shown
    )
    return _("showing {shown} of {count} deals: {parts} — --limit 0 for all").format(
        shown=result.shown, count=result.count, parts=parts
    )


def agenda_tables(result: Agenda) -> list[Block]:
    """Each part of the agenda with what it shows and a line for what a limit left out."""
    if result.empty:
        return [
            Text(
                _("Nothing to do: no next action due by {date}, no stale deal without one.").format(
                    date=_until(result)
                )
            )
        ]
    titles = {
        "overdue": _("Overdue"),
        "today": _("Due today"),
        "coming": ngettext(
            "Coming in the next {count} day", "Coming in the next {count} days", result.days
        ).format(count=result.days),
    }
    blocks: list[Block] = []
    for when, style in SECTIONS:
        items = result.part(when)
        if items:
            table = _action_table(items, titles[when], style, result.more.get(when, 0))
            blocks.append(table)
    if result.needs_plan:
        blocks.append(_plan_table(result.needs_plan, result.more.get("needs_plan", 0)))
    return blocks


def _left_out(table: Table, more: int) -> None:
    """End ``table`` with how many rows a limit left out of it."""
    if more:
        table.footer = _("… and {count} more").format(count=more)


def _until(result: Agenda) -> str:
    return fmt.day(result.as_of.date() + timedelta(days=result.days))


# -- board -------------------------------------------------------------------------------------
def _value_lines(totals: Totals) -> list[str]:
    return [fmt.money(v, c) for c, v in sorted(totals.items())] or ["—"]


def _card(card: Card) -> list[tuple[str, str | None]]:
    record = card.record
    money = fmt.stored_money(record["value"], record["currency"])
    days = _days(card.days_in_stage)
    paragraphs: list[tuple[str, str | None]] = [
        (f"{record['id']}  {record['title']}", None),
        (f"{money} · {days}", None),
    ]
    if card.stale:
        paragraphs[1] = (f"{money} · {days}{STALE_MARK}", "stale")
    if card.overdue:
        text = record["next_action"]["text"]
        paragraphs.append((f"{OVERDUE_MARK} {text} ({fmt.days_late(card.days_late)})", "overdue"))
    return paragraphs


def board_blocks(result: Board) -> list[Block]:
    lanes = []
    for lane in result.lanes:
        count = ngettext("{count} deal", "{count} deals", lane.count).format(count=lane.count)
        heading = [lane.stage.name, count, *_value_lines(lane.value)]
        cards = [_card(card) for card in lane.cards]
        more = _("+{count} more").format(count=lane.more) if lane.more else None
        lanes.append(Lane(heading=heading, cards=cards, more=more))
    notes = [
        _("{mark} over the stage's target days").format(mark=STALE_MARK),
        _("{mark} next action overdue").format(mark=OVERDUE_MARK),
    ]
    order = _("largest value first") if result.by == "value" else _("most urgent first")
    title = _("Board (as of {date}), {order}").format(date=fmt.long_day(result.as_of), order=order)
    return [Lanes(lanes=lanes, title=title, footer="; ".join(notes))]
