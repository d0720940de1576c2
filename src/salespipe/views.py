"""What a person sees of deals, stages and events, as neutral blocks for render."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from salespipe import fmt
from salespipe.model import (
    Deal,
    Event,
    Stage,
    days_in_stage,
    effective_probability,
    money_from_json,
)
from salespipe.queries import totals_by_currency
from salespipe.render import Block, Column, Fields, Table, Text

FIELD_LABELS = {
    "title": "title",
    "customer": "customer",
    "contact": "contact",
    "value": "value",
    "currency": "currency",
    "owner": "owner",
    "probability": "probability",
    "expected_close": "expected close",
    "tags": "tags",
    "next_action": "next action",
    "quote": "quote",
}


def stage_name(stages: dict[str, Stage], key: str | None) -> str:
    if key is None:
        return ""
    stage = stages.get(key)
    return stage.name if stage else key


def _status_cell(deal: Deal, stages: dict[str, Stage]) -> str:
    name = stage_name(stages, deal.stage)
    return name if deal.is_open else f"{deal.status} ({name})"


def _next_cell(deal: Deal) -> str:
    if not deal.next_action:
        return ""
    return f"{fmt.day(deal.next_action.due)} {deal.next_action.text}"


def deal_table(deals: Sequence[Deal], stages: Sequence[Stage], now: datetime) -> Table:
    by_key = {s.key: s for s in stages}
    table = Table(
        columns=[
            Column("ID", "right"),
            Column("Title", max_width=28),
            Column("Customer", max_width=20),
            Column("Stage", max_width=18),
            Column("Value", "right"),
            Column("Days", "right"),
            Column("Next action", max_width=24),
        ]
    )
    for deal in deals:
        quote = ""
        if deal.quote and deal.is_open:
            quote = f" (quote to {fmt.day(deal.quote.valid_until)})"
        table.rows.append(
            [
                str(deal.id),
                deal.title,
                deal.customer,
                _status_cell(deal, by_key),
                fmt.money(deal.value, deal.currency),
                str(days_in_stage(deal, now)),
                _next_cell(deal) + quote,
            ]
        )
    count = len(deals)
    table.footer = f"{count} deal{'s' if count != 1 else ''}, " + fmt.money_by_currency(
        totals_by_currency(deals)
    )
    return table


def deal_detail(
    deal: Deal,
    stages: Sequence[Stage],
    events: Sequence[Event],
    now: datetime,
    undone: set[int] | frozenset[int] = frozenset(),
) -> list[Block]:
    by_key = {s.key: s for s in stages}
    stage = by_key.get(deal.stage)
    pairs = [
        ("Title", deal.title),
        ("Customer", deal.customer),
        ("Contact", deal.contact),
        ("Stage", _status_cell(deal, by_key)),
        ("Value", fmt.money(deal.value, deal.currency)),
        (
            "Probability",
            f"{effective_probability(deal, stage)}%"
            + (" (set on the deal)" if deal.probability is not None else ""),
        ),
        ("Owner", deal.owner),
        ("Expected close", fmt.day(deal.expected_close)),
        ("Tags", ", ".join(deal.tags)),
        ("Next action", _next_cell(deal)),
        (
            "In stage since",
            f"{fmt.moment(deal.stage_entered_at)} ({days_in_stage(deal, now)} days)",
        ),
        ("Created", fmt.moment(deal.created_at)),
    ]
    if deal.quote:
        q = deal.quote
        amount = f"{fmt.money(q.amount, deal.currency)}, " if q.amount is not None else ""
        state = "expired" if q.valid_until < now.date() else "valid"
        pairs.append(
            (
                "Quote",
                f"{amount}sent {fmt.day(q.sent_at)}, {state} until "
                f"{fmt.day(q.valid_until)}" + (f" — {q.note}" if q.note else ""),
            )
        )
    if deal.closed_at:
        pairs.append(("Closed", fmt.moment(deal.closed_at)))
    if deal.lost_reason:
        pairs.append(("Lost because", deal.lost_reason))
    blocks: list[Block] = [
        Fields(pairs=[p for p in pairs if p[1]], title=f"Deal {deal.id}: {deal.title}")
    ]
    if deal.is_open and stage and stage.guide:
        blocks.append(Text(f"What to do in {stage.name}: {stage.guide}"))
    blocks.append(event_table(events, stages, with_deal=False, title="Timeline", undone=undone))
    return blocks


def _value_text(key: str, value: Any, stages: dict[str, Stage]) -> str:
    if value is None:
        return "—"
    if key == "stage":
        return stage_name(stages, value)
    if key == "value":
        return fmt.money(money_from_json(value), "").strip()
    if key == "tags":
        return ", ".join(value) or "—"
    if key == "next_action":
        return f"{value['due']} {value['text']}"
    if key == "quote":
        return f"valid until {value['valid_until']}"
    return str(value)


def describe(event: Event, stages: dict[str, Stage]) -> str:
    before, after = event.before or {}, event.after or {}
    kind = event.type
    if kind == "add":
        return f"created in {stage_name(stages, after.get('stage'))}, " + fmt.money(
            money_from_json(after.get("value", 0)), after.get("currency", "")
        )
    if kind in ("move", "reopen"):
        verb = "moved" if kind == "move" else "reopened"
        return (
            f"{verb}: {stage_name(stages, before.get('stage'))} → "
            f"{stage_name(stages, after.get('stage'))}"
            if "stage" in after
            else verb
        )
    if kind in ("won", "lost", "delete"):
        return {"won": "won", "lost": "lost", "delete": "deleted"}[kind]
    if kind == "note":
        return f"note: {event.text}"
    if kind == "next":
        return f"next action: {_value_text('next_action', after.get('next_action'), stages)}"
    if kind == "undo":
        return f"undo of {after.get('command')} (change {after.get('undid')})"
    if kind == "config":
        return "; ".join(f"setting {k}: {before.get(k)} → {v}" for k, v in after.items())
    if kind.startswith("stage-"):
        keys = sorted({*before, *after})
        return f"{kind.replace('-', ' ')}: " + ", ".join(
            (after.get(k) or before.get(k) or {}).get("name", k) for k in keys
        )
    if kind == "quote":
        quote = after.get("quote") or {}
        text = f"quote sent, valid until {quote.get('valid_until', '')}"
        if "value" in after:
            text += f"; value {_value_text('value', before.get('value'), stages)} → "
            text += _value_text("value", after["value"], stages)
        return text
    changed = [k for k in after if k in FIELD_LABELS]
    parts = [
        f"{FIELD_LABELS[k]} {_value_text(k, before.get(k), stages)} → "
        f"{_value_text(k, after.get(k), stages)}"
        for k in changed
    ]
    return "edited: " + "; ".join(parts) if parts else "edited"


def event_table(
    events: Iterable[Event],
    stages: Sequence[Stage],
    *,
    with_deal: bool = True,
    title: str | None = None,
    undone: frozenset[int] | set[int] = frozenset(),
) -> Table:
    by_key = {s.key: s for s in stages}
    columns = [
        Column("When"),
        Column("What", max_width=50),
        Column("Reason", max_width=30),
        Column("Who", max_width=12),
    ]
    if with_deal:
        columns.insert(1, Column("Deal", "right"))
    table = Table(columns=columns, title=title)
    for event in events:
        what = describe(event, by_key) + (" (undone)" if event.change in undone else "")
        row = [fmt.moment(event.at), what, event.reason or "", event.who]
        if with_deal:
            row.insert(1, str(event.deal_id) if event.deal_id else "")
        table.rows.append(row)
    return table


def stage_table(stages: Sequence[Stage], open_counts: dict[str, int]) -> Table:
    table = Table(
        columns=[
            Column("#", "right"),
            Column("Key"),
            Column("Name", max_width=30),
            Column("Prob.", "right"),
            Column("Target days", "right"),
            Column("Enabled"),
            Column("Open deals", "right"),
        ]
    )
    position = 0
    for stage in stages:
        if stage.enabled:
            position += 1
        table.rows.append(
            [
                str(position) if stage.enabled else "-",
                stage.key,
                stage.name,
                f"{stage.probability}%",
                str(stage.target_days or "—"),
                "yes" if stage.enabled else "no",
                str(open_counts.get(stage.key, 0)),
            ]
        )
    return table


def settings_fields(config: dict[str, Any]) -> Fields:
    return Fields(
        pairs=[
            (k, "" if v is None else str(v).lower() if isinstance(v, bool) else str(v))
            for k, v in config.items()
        ]
    )
