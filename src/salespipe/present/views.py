"""What a person sees of deals, stages and events, as neutral blocks for render."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from salespipe.app.queries import is_stale, next_action_done, totals_by_currency
from salespipe.core import fmt, parse
from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import N_, _, ngettext
from salespipe.core.model import (
    FIRST_PIPELINE,
    STATUSES,
    Deal,
    Event,
    PipelineDef,
    Record,
    Stage,
    currencies_then,
    days_in_stage,
    effective_probability,
    money_from_json,
    record_days_in_stage,
    record_probability,
    several_pipelines,
)
from salespipe.present import textwidth
from salespipe.present.parts import Hanging
from salespipe.present.render import Block, Column, Fields, Table, Text, stage_names

FIELD_LABELS = {
    "title": N_("title"),
    "customer": N_("customer"),
    "contact": N_("contact"),
    "value": N_("value"),
    "currency": N_("currency"),
    "owner": N_("owner"),
    "probability": N_("probability"),
    "expected_close": N_("expected close"),
    "tags": N_("tags"),
    "next_action": N_("next action"),
    "quote": N_("quote"),
}
STAGE_CHANGES = {
    "stage-add": N_("stage add"),
    "stage-rename": N_("stage rename"),
    "stage-set": N_("stage set"),
    "stage-order": N_("stage order"),
    "stage-disable": N_("stage disable"),
    "stage-enable": N_("stage enable"),
    "stage-remove": N_("stage remove"),
}
PIPELINE_CHANGES = {
    "pipeline-add": N_("pipeline add"),
    "pipeline-rename": N_("pipeline rename"),
    "pipeline-archive": N_("pipeline archive"),
    "pipeline-unarchive": N_("pipeline unarchive"),
    "pipeline-remove": N_("pipeline remove"),
}
NONE = "—"


def stage_name(stages: dict[str, Stage], key: str | None) -> str:
    if key is None:
        return ""
    stage = stages.get(key)
    return stage.name if stage else key


def _status_cell(status: str, stage_key: str, stages: dict[str, Stage]) -> str:
    name = stage_name(stages, stage_key)
    if status == "open":
        return name
    return _("{status} ({stage})").format(status=fmt.status(status), stage=name)


def _next_cell(deal: Deal, today: date) -> str:
    """The next action, and how late it is if it is overdue (as list marks it ``!``)."""
    if not deal.next_action:
        return ""
    text = fmt.next_action(deal.next_action.to_record())
    late = (today - deal.next_action.due).days
    if deal.is_open and late > 0:
        return f"{text} ({fmt.days_late(late)})"
    return text


def _days(count: int) -> str:
    return ngettext("{count} day", "{count} days", count).format(count=count)


# The columns ``list`` can show (``--columns``): header, how it is laid out, the stored
# fields it reads. Free text gives way first when the table is too wide: names are cut
# (with …), then titles, the next action wraps and, like the customer and the due day, is
# left out (saying so) before the table turns into one field per line; each of these three
# also, in that order, where a title would be cut unreadably short (render.READABLE_NAME):
# titles are what a reader of the list looks for first. A due day marked overdue is the
# exception: its warning is kept wherever it fits. The owner (shown when the deals listed
# have several) goes first, and where titles would be cut below render.SPARE_ROOM_NAME: a
# team's list says whose deal each row is where there is room for it, not at the cost of
# the titles, customers and next actions one person's list shows at the same width.
LIST_COLUMNS: dict[str, tuple[str, Column, tuple[str, ...]]] = {
    "id": (N_("ID"), Column("", "right"), ("id",)),
    "title": (N_("Title"), Column("", shrink=True, cut_last=True), ("title",)),
    "customer": (N_("Customer"), Column("", shrink=True, drop=3), ("customer",)),
    "contact": (N_("Contact"), Column("", shrink=True, drop=3), ("contact",)),
    "owner": (N_("Owner"), Column("", drop=4, spare=True), ("owner",)),
    "stage": (N_("Stage"), stage_names(""), ("status", "stage")),
    "value": (N_("Value"), Column("", "right"), ("value", "currency")),
    "prob": (N_("Prob."), Column("", "right"), ("probability", "status", "stage")),
    "days": (N_("Days"), Column("", "right"), ("stage_entered_at", "closed_at", "status")),
    "due": (N_("Due"), Column("", drop=1), ("next_action", "status")),
    "next": (
        N_("Next action"),
        Column("", wrap=True, drop=2, min_width=12),
        ("next_action", "quote"),
    ),
    "close": (N_("Close"), Column(""), ("expected_close",)),
    "quote": (N_("Quote until"), Column(""), ("quote",)),
    "tags": (N_("Tags"), Column("", wrap=True, drop=1), ("tags",)),
    "created": (N_("Created"), Column(""), ("created_at",)),
    "updated": (N_("Updated"), Column(""), ("updated_at",)),
}
DEFAULT_LIST_COLUMNS = ("id", "title", "customer", "stage", "value", "days", "due", "next")
# The default columns when the deals listed have more than one owner (a team's pipeline,
# or a file a small team shares): whose deal it is, beside the customer.
TEAM_LIST_COLUMNS = ("id", "title", "customer", "owner", "stage", "value", "days", "due", "next")
OVERDUE_MARK = "!"
STALE_MARK = "*"


def list_columns(text: str | None) -> tuple[str, ...]:
    """The columns ``--columns`` names (comma-separated), or the default ones."""
    if text is None:
        return DEFAULT_LIST_COLUMNS
    names = tuple(name.strip().lower() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in LIST_COLUMNS]
    if unknown or not names:
        raise InvalidValue(
            _('No column "{column}"; the columns are {columns}.').format(
                column=unknown[0] if unknown else text, columns=", ".join(LIST_COLUMNS)
            )
        )
    return names


def default_columns(records: Iterable[Record]) -> tuple[str, ...]:
    """The columns ``list`` shows without ``--columns``: the owner's too when the deals
    have more than one (a deal without an owner is none of them)."""
    owners: set[str] = set()
    for record in records:
        if record["owner"]:
            owners.add(record["owner"])
            if len(owners) > 1:
                return TEAM_LIST_COLUMNS
    return DEFAULT_LIST_COLUMNS


def list_fields(columns: Sequence[str]) -> tuple[str, ...]:
    """What the table of these columns reads of a record (and the totals: value)."""
    fields = {"id", "value", "currency", "status"}
    for name in columns:
        fields.update(LIST_COLUMNS[name][2])
    return tuple(sorted(fields))


class _ListCells:
    """The cells of one ``list`` row, by column name, and the styles that repeat in colour
    what their marks say."""

    def __init__(self, stages: Sequence[Stage], now: datetime) -> None:
        self.by_key = {s.key: s for s in stages}
        self.now = now
        self.today = now.date().isoformat()  # stored days compare as text
        self.quote_to = _("(quote to {date})")
        self.overdue = self.stale = False  # whether a mark was used: then a legend says it
        self.around_stage = 0  # the cells "won (…)" adds around a closed deal's stage

    def cell(self, name: str, record: Record) -> tuple[str, str | None]:
        status = record["status"]
        if name == "stage":
            text = _status_cell(status, record["stage"], self.by_key)
            if status == "open":
                return text, None
            around = textwidth.width(text) - textwidth.width(
                stage_name(self.by_key, record["stage"])
            )
            self.around_stage = max(self.around_stage, around)
            return text, status
        if name == "value":
            return fmt.stored_money(record["value"], record["currency"]), None
        if name == "days":
            days = record_days_in_stage(record, self.now)
            if is_stale(record, self.by_key.get(record["stage"]), self.now):
                self.stale = True
                return f"{days}{STALE_MARK}", "stale"
            return str(days), None
        if name == "due":
            action = record["next_action"]
            if not action:
                return "", None
            if status == "open" and action["due"] < self.today:
                self.overdue = True
                return fmt.iso_day(action["due"]) + OVERDUE_MARK, "overdue"
            return fmt.iso_day(action["due"]), None
        if name == "next":
            action, quote = record["next_action"], record["quote"]
            text = action["text"] if action else ""
            if quote and status == "open":
                quote_cell = self.quote_to.format(date=fmt.iso_day(quote["valid_until"]))
                text = f"{text} {quote_cell}" if text else quote_cell
            return text, None
        return self._plain(name, record), None

    def _plain(self, name: str, record: Record) -> str:
        if name == "prob":
            return f"{record_probability(record, self.by_key.get(record['stage']))}%"
        if name == "close":
            return fmt.iso_day(record["expected_close"]) if record["expected_close"] else ""
        if name == "quote":
            return fmt.iso_day(record["quote"]["valid_until"]) if record["quote"] else ""
        if name == "tags":
            return ", ".join(record["tags"])
        if name in ("created", "updated"):
            return fmt.moment(datetime.fromisoformat(record[f"{name}_at"]))
        return str(record[name])

    def notes(self) -> dict[str, str]:
        """What the marks used mean, by the column they are in."""
        notes = {}
        if self.overdue:
            notes["due"] = _("{mark} next action overdue").format(mark=OVERDUE_MARK)
        if self.stale:
            notes["days"] = _("{mark} over the stage's target days").format(mark=STALE_MARK)
        return notes


def deal_table(
    records: Iterable[Record],
    stages: Sequence[Stage],
    now: datetime,
    columns: Sequence[str] = DEFAULT_LIST_COLUMNS,
    matched: int | None = None,
    *,
    per_status: bool = False,
    columns_asked: bool = False,
) -> Table:
    """The deals of ``list``, from their stored records (see :mod:`salespipe.app.queries`),
    gone through once: each record can be freed as soon as its row is made. ``matched``:
    how many deals the listing was cut down from (by --limit); ``per_status``: the total
    names the status of the deals even when they share one (``--status all``);
    ``columns_asked``: ``--columns`` named the columns, the default ones too."""
    # Columns named with --columns are shown even when no row has anything in them
    # (`--columns id,tags` printed only ID); the default ones without anything are not.
    table = Table(
        columns=[
            replace(
                LIST_COLUMNS[name][1], header=_(LIST_COLUMNS[name][0]), keep_empty=columns_asked
            )
            for name in columns
        ]
    )
    cells = _ListCells(stages, now)
    amounts: dict[str, list[tuple[str, int | float]]] = {}
    for number, record in enumerate(records):
        amounts.setdefault(record["status"], []).append((record["currency"], record["value"]))
        row = []
        for index, name in enumerate(columns):
            text, style = cells.cell(name, record)
            row.append(text)
            if style:
                table.styles[number, index] = style
        table.rows.append(row)
    table.footer = _list_footer(amounts, len(table.rows), matched, per_status)
    if cells.around_stage and "stage" in columns:  # a status is never cut, nor its stage sooner
        at = list(columns).index("stage")
        stage = table.columns[at]
        table.columns[at] = replace(
            stage,
            max_width=(stage.max_width or 0) + cells.around_stage,
            min_width=(stage.min_width or 0) + cells.around_stage,
        )
    notes = cells.notes()
    table.notes = {i: notes[name] for i, name in enumerate(columns) if name in notes}
    return table


def _list_footer(
    amounts: dict[str, list[tuple[str, int | float]]],
    count: int,
    matched: int | None,
    per_status: bool = False,
) -> str:
    """``3 deals, ฿700.00``; ``2 of 18 deals, …``; with several statuses, or any with
    ``per_status``, a total for each (open, won and lost money added together would mean
    nothing, and a total of all statuses must say which it is)."""
    if matched is not None and matched > count:
        counted = ngettext("{count} of {total} deal", "{count} of {total} deals", matched)
    else:
        counted = ngettext("{count} deal", "{count} deals", count)
    counted = counted.format(count=count, total=matched)
    if not count:
        return counted  # no money to add up ("0 deals, 0" read as a sum of nothing)
    if len(amounts) <= 1 and not per_status:
        totals = fmt.money_by_currency(totals_by_currency(next(iter(amounts.values()), [])))
        return _("{deals}, {totals}").format(deals=counted, totals=totals)
    each = "; ".join(  # (the totals hold commas: a space would not part them in Thai)
        _("{status} {count}, {totals}").format(
            status=fmt.status(status),
            count=len(amounts[status]),
            totals=fmt.money_by_currency(totals_by_currency(amounts[status])),
        )
        for status in STATUSES
        if status in amounts
    )
    return _("{deals}: {per_status}").format(deals=counted, per_status=each)


def how_to_see_all(shown: int, matched: int) -> str:
    """What a listing cut to its default length says (on stderr, beside its footer)."""
    return _("showing {shown} of {matched} — --limit 0 for all").format(
        shown=shown, matched=matched
    )


def how_to_start() -> str:
    """What an empty pipeline says: how to begin."""
    return _(
        "No deals yet. Add your first with\n"
        '  salespipe add "ERP for Siam Foods" --customer "Siam Foods" --value 1.5m\n'
        "or try a realistic pipeline in its own file with `salespipe demo`."
    )


def _quote_text(deal: Deal, today: date) -> str:
    quote = deal.quote
    assert quote is not None
    if quote.valid_until < today:
        text = _("sent {sent}, expired {until}")
    else:
        text = _("sent {sent}, valid until {until}")
    text = text.format(sent=fmt.day(quote.sent_at), until=fmt.day(quote.valid_until))
    if quote.amount is not None:
        text = f"{fmt.money(quote.amount, deal.currency)}, {text}"
    return f"{text} — {quote.note}" if quote.note else text


def deal_detail(
    deal: Deal,
    stages: Sequence[Stage],
    events: Sequence[Event],
    now: datetime,
    undone: set[int] | frozenset[int] = frozenset(),
    *,
    pipelines: Mapping[str, str] | None = None,
) -> list[Block]:
    """``show``: the deal's fields and its timeline; ``pipelines`` names them by key."""
    names = pipelines or {}
    by_key = {s.key: s for s in stages}
    stage = by_key.get(deal.stage)
    probability = f"{effective_probability(deal, stage)}%"
    if deal.probability is not None:
        probability = _("{percent} (set on the deal)").format(percent=probability)
    pairs = [
        (_("Title"), deal.title),
        (_("Customer"), deal.customer),
        (_("Contact"), deal.contact),
        (_("Stage"), _status_cell(deal.status, deal.stage, by_key)),
        (_("Value"), fmt.money(deal.value, deal.currency)),
        (_("Probability"), probability),
        (_("Owner"), deal.owner),
        (_("Expected close"), fmt.day(deal.expected_close)),
        (_("Tags"), ", ".join(deal.tags)),
        (_("Next action"), _next_cell(deal, now.date())),
        (
            _("In stage since"),
            f"{fmt.moment(deal.stage_entered_at)} ({_days(days_in_stage(deal, now))})",
        ),
        (_("Created"), fmt.moment(deal.created_at)),
    ]
    if several_pipelines(stages) and stage is not None:
        pairs.insert(3, (_("Pipeline"), names.get(stage.pipeline, stage.pipeline)))
    if deal.quote:
        pairs.append((_("Quote"), _quote_text(deal, now.date())))
    if deal.closed_at:
        pairs.append((_("Closed"), fmt.moment(deal.closed_at)))
    if deal.lost_reason:
        pairs.append((_("Lost because"), deal.lost_reason))
    title = _("Deal {deal_id}: {title}").format(deal_id=deal.id, title=deal.title)
    blocks: list[Block] = [Fields(pairs=[p for p in pairs if p[1]], title=title)]
    if deal.is_open and stage and stage.guide:
        blocks.append(
            Text(_("What to do in {stage}: {guide}").format(stage=stage.name, guide=stage.guide))
        )
    blocks.append(
        event_table(
            events,
            stages,
            with_deal=False,
            title=_("Timeline"),
            undone=undone,
            pipelines=names,
            currencies={deal.id: deal.currency},
        )
    )
    return blocks


# What parts one line's clauses ("value … ; owner …"): Thai parts them with a space.
CLAUSES = N_("; ")


def _value_text(key: str, value: Any, stages: dict[str, Stage], currency: str | None = None) -> str:
    if value is None:
        return NONE
    if key == "stage":
        return stage_name(stages, value)
    if key == "value":  # with its currency where the event's deal tells it
        amount = money_from_json(value)
        return fmt.money(amount, currency) if currency else fmt.amount(amount)
    if key == "tags":
        return ", ".join(value) or NONE
    if key == "expected_close":
        return fmt.iso_day(value)
    if key == "next_action":
        return fmt.next_action(value)
    if key == "quote":
        return _("valid until {date}").format(date=fmt.iso_day(value["valid_until"]))
    return str(value)


def _setting_shown(key: str, value: Any, pipelines: Mapping[str, str]) -> str:
    """A setting's value as a person reads it: the pipeline setting holds a key, shown by
    its pipeline's name (where there are several, ``pipelines`` names them); one not set
    is its default ("visibility: all → own", not "— → own")."""
    from salespipe.app.settings import DEFAULTS

    if value is None:
        value = DEFAULTS.get(key)
    if key == "pipeline" and isinstance(value, str):
        value = pipelines.get(value, value)
    return _setting_text(value)


def _setting_text(value: Any) -> str:
    if value is None:
        return NONE
    return str(value).lower() if isinstance(value, bool) else str(value)


def _change(label: str, before: str, after: str) -> str:
    return _("{label} {before} → {after}").format(label=label, before=before, after=after)


def _renumbered_only(old: Record | None, new: Record | None) -> bool:
    if old is None or new is None:
        return False
    return {**old, "position": 0} == {**new, "position": 0}


def _describe_stages(kind: str, before: Record, after: Record, pipelines: Mapping[str, str]) -> str:
    """``stage add: Demo``: the stages a change is about (not those only renumbered by it),
    with their pipeline's name where there are several (``stage add: Demo (Renewals)``)."""
    # In the stages' order (after the change, for a new order), not by key.
    keys = sorted(
        {*before, *after},
        key=lambda k: ((after.get(k) or before.get(k) or {}).get("position", 0), k),
    )
    if kind == "stage-order":  # where each moved: "Quoted 3 → 2" (it named them only)
        names = ", ".join(_stage_moved(before.get(k), after.get(k), k) for k in keys)
    elif kind == "stage-set":  # what was set: "Quoted (target days 14 → 10)" (it named it only)
        keys = [k for k in keys if not _renumbered_only(before.get(k), after.get(k))] or keys
        names = ", ".join(_stage_set(before.get(k), after.get(k), k) for k in keys)
    else:
        keys = [k for k in keys if not _renumbered_only(before.get(k), after.get(k))] or keys
        names = ", ".join(_stage_named(before.get(k), after.get(k), k) for k in keys)
    label = _(STAGE_CHANGES[kind]) if kind in STAGE_CHANGES else kind.replace("-", " ")
    if len(pipelines) > 1 and keys:
        first = after.get(keys[0]) or before.get(keys[0]) or {}
        pipeline = first.get("pipeline", FIRST_PIPELINE)
        return f"{label}: {names} ({pipelines.get(pipeline, pipeline)})"
    return f"{label}: {names}"


def _describe_member(user: str, was: str | None, now: str | None) -> str:
    """``team add: bob as admin``, ``team add: bob, rep → manager``, ``team remove: bob
    (was rep)``: who was put on the team or taken off, and their role before and after."""
    if now is None:
        return _("team remove: {user} (was {role})").format(user=user, role=was or NONE)
    if was is None:
        return _("team add: {user} as {role}").format(user=user, role=now)
    return _("team add: {user}, {before} → {after}").format(user=user, before=was, after=now)


# A stage's settings `stage set` changes, in the order they are said.
STAGE_SETTINGS = {
    "probability": N_("probability"),
    "target_days": N_("target days"),
    "guide": N_("guide"),
}


def _stage_set(before: Record | None, after: Record | None, key: str) -> str:
    """A stage `stage set` changed, with what it changed: ``Quoted (target days 14 →
    10)``; a guide, too long for a line, is only said to have changed."""
    was, now = before or {}, after or {}
    changed = [
        _("{setting} changed").format(setting=_(label))
        if name == "guide"
        else _change(
            _(label), _stage_setting(name, was.get(name)), _stage_setting(name, now.get(name))
        )
        for name, label in STAGE_SETTINGS.items()
        if was.get(name) != now.get(name)
    ]
    name = _stage_named(before, after, key)
    return f"{name} ({_(CLAUSES).join(changed)})" if changed else name


def _stage_setting(name: str, value: Any) -> str:
    if value is None:
        return NONE
    return f"{value}%" if name == "probability" else str(value)


def _stage_moved(before: Record | None, after: Record | None, key: str) -> str:
    """A stage a new order moved, with its place before and after (counted from 1)."""
    name = _stage_named(before, after, key)
    was, now = (before or {}).get("position"), (after or {}).get("position")
    return f"{name} {was} → {now}" if was is not None and now is not None else name


def _stage_named(before: Record | None, after: Record | None, key: str) -> str:
    """A stage's name in a change, ``Quoted → Proposal`` when the change renamed it."""
    was, now = (before or {}).get("name"), (after or {}).get("name")
    if was and now and was != now:
        return f"{was} → {now}"
    return str(now or was or key)


def _pipeline_named(before: Record | None, after: Record | None) -> str:
    """A pipeline's name in a change, ``Sales → Projects`` when the change renamed it
    (a rename said only the new name)."""
    was, now = (PipelineDef.from_record(r) if r else None for r in (before, after))
    if was and now and parse.pipeline_name(was) != parse.pipeline_name(now):
        return f"{parse.pipeline_name(was)} → {parse.pipeline_name(now)}"
    found = now or was
    return parse.pipeline_name(found) if found else ""


def _stage_across(
    stages: dict[str, Stage], old: str | None, new: str | None, pipelines: Mapping[str, str]
) -> str:
    """The stage a deal moved to, with its pipeline's name (else key) when it left its
    pipeline."""
    name = stage_name(stages, new)
    was, now = stages.get(old or ""), stages.get(new or "")
    if was is None or now is None or was.pipeline == now.pipeline:
        return name
    return f"{name} ({pipelines.get(now.pipeline, now.pipeline)})"


def _describe_quote(
    before: Record, after: Record, stages: dict[str, Stage], currency: str | None
) -> str:
    quote = after.get("quote") or {}
    until = quote.get("valid_until")
    text = _("quote sent, valid until {date}").format(date=fmt.iso_day(until) if until else "")
    if "value" in after:
        value = _change(
            _("value"),
            _value_text("value", before.get("value"), stages, currency),
            _value_text("value", after["value"], stages, currency),
        )
        text = _(CLAUSES).join((text, value))
    return text


def describe(
    event: Event,
    stages: dict[str, Stage],
    pipelines: Mapping[str, str] | None = None,
    currency: str | None = None,
) -> str:
    """One line saying what an event did, in the current language; ``pipelines``: the
    names of the pipelines by key (a move across names the one it went into);
    ``currency``: the one the deal's amounts were in then, if known."""
    before, after = event.before or {}, event.after or {}
    kind = event.type
    if kind == "add":
        return _("created in {stage}, {value}").format(
            stage=stage_name(stages, after.get("stage")),
            value=fmt.money(money_from_json(after.get("value", 0)), after.get("currency", "")),
        )
    if kind in ("move", "reopen"):
        verb = _("moved") if kind == "move" else _("reopened")
        if "stage" not in after:
            return verb
        return _("{verb}: {before} → {after}").format(
            verb=verb,
            before=stage_name(stages, before.get("stage")),
            after=_stage_across(stages, before.get("stage"), after.get("stage"), pipelines or {}),
        )
    if kind in ("won", "lost"):
        return fmt.status(kind)
    if kind == "delete":
        return _("deleted")
    if kind == "note":
        return _("note: {text}").format(text=event.text)
    if kind == "next":
        if after.get("next_action") is None and before.get("next_action"):  # next --done
            done = _value_text("next_action", before["next_action"], stages)
            return _("next action done: {action}").format(action=done)
        action = _value_text("next_action", after.get("next_action"), stages)
        return _("next action: {action}").format(action=action)
    if kind == "undo":
        return _describe_undo(after)
    if kind == "config":
        named = pipelines or {}
        return _(CLAUSES).join(
            _("setting {key}: {before} → {after}").format(
                key=k,
                before=_setting_shown(k, before.get(k), named),
                after=_setting_shown(k, v, named),
            )
            for k, v in after.items()
        )
    if kind.startswith("stage-"):
        return _describe_stages(kind, before, after, pipelines or {})
    if kind.startswith("team-"):  # app/team.py: a user's role before and after, by name
        return _(CLAUSES).join(
            _describe_member(user, before.get(user), after.get(user))
            for user in {**before, **after}
        )
    if kind in PIPELINE_CHANGES:
        names = ", ".join(
            _pipeline_named(before.get(k), after.get(k)) for k in sorted({*before, *after})
        )
        return f"{_(PIPELINE_CHANGES[kind])}: {names}"
    if kind == "quote":
        quoted = _describe_quote(before, after, stages, currency)
        return f"{quoted} — {event.text}" if event.text else quoted
    changes = describe_edit(event, stages, currency)
    return _("edited: {changes}").format(changes=changes) if changes else _("edited")


def _describe_undo(after: Record) -> str:
    """``undo of stage move of deal 22 (change 24)``; of a change of several deals, how
    many; of one of no deal (or recorded before undo events named their deals), neither."""
    command = after.get("command") or ""
    what = _(CHANGE_WORDS[command]) if command in CHANGE_WORDS else command
    change = after.get("undid")
    deal_id, count = undone_deal(after), after.get("deal_count") or 0
    added = after.get("new_deal_count")
    if command == "import" and isinstance(added, int):  # (an import that updated deals)
        what = _import_words(added, count - added)
        return _("undo of {command} (change {change})").format(command=what, change=change)
    if deal_id is not None:
        template = UNDO_SAID.get(
            command, N_("undo of {command} of deal {deal_id} (change {change})")
        )
        if command == "next" and isinstance(after.get("next_done"), bool):
            template = UNDO_OF_NEXT_ACTION[after["next_done"]]  # (recorded since 2026-12)
        return _(template).format(command=what, deal_id=deal_id, change=change)
    if count > 1:
        return ngettext(
            "undo of {command} of {count} deal (change {change})",
            "undo of {command} of {count} deals (change {change})",
            count,
        ).format(command=what, count=count, change=change)
    return _("undo of {command} (change {change})").format(command=what, change=change)


def undone_deal(after: Record | None) -> int | None:
    """The one deal the change an undo event took back touched, if it touched one."""
    deal_id = (after or {}).get("deal")
    return deal_id if isinstance(deal_id, int) else None


# What each command's change is called, to say what an undo takes back.
CHANGE_WORDS = {
    "add": N_("new deal"),
    "edit": N_("edit"),
    "move": N_("stage move"),
    "won": N_("marking won"),
    "lost": N_("marking lost"),
    "reopen": N_("reopening"),
    "note": N_("note"),
    "next": N_("next action"),
    "quote": N_("quote"),
    "delete": N_("deletion"),
    "config": N_("setting change"),
    "import": N_("import"),
    "stage add": N_("new stage"),
    "stage rename": N_("stage rename"),
    "stage set": N_("stage change"),
    "stage order": N_("stage order"),
    "stage disable": N_("stage disabling"),
    "stage enable": N_("stage enabling"),
    "stage remove": N_("stage removal"),
}

# A change of one deal, said in words of its own where a language puts them around the
# deal (Thai: "ปิดการขายดีล 3", "ดีล 8 หลุด", not "the marking lost of deal 8"); in
# English each reads as the others do.
DEAL_CHANGE_SAID = {
    "won": N_('marking won on deal {deal_id} "{title}"'),
    "lost": N_('marking lost on deal {deal_id} "{title}"'),
    "reopen": N_('reopening on deal {deal_id} "{title}"'),
}
UNDO_OF_A_DEAL = N_("undo of {command} of deal {deal_id} (change {change})")
UNDO_SAID = {
    "won": N_("undo of marking won of deal {deal_id} (change {change})"),
    "lost": N_("undo of marking lost of deal {deal_id} (change {change})"),
    "reopen": N_("undo of reopening of deal {deal_id} (change {change})"),
}
# A next action set and one finished (`next --done`) are one command: each said as what
# it did ("งานถัดไปของดีล 3" read the same of both in undo --list).
NEXT_ACTION_SAID = {
    False: N_('setting the next action on deal {deal_id} "{title}"'),
    True: N_('finishing the next action on deal {deal_id} "{title}"'),
}
UNDO_OF_NEXT_ACTION = {
    False: N_("undo of setting the next action of deal {deal_id} (change {change})"),
    True: N_("undo of finishing the next action of deal {deal_id} (change {change})"),
}


def describe_change(
    command: str,
    events: Sequence[Event],
    titles: dict[int, str],
    stages: dict[str, Stage],
    pipelines: Mapping[str, str] | None = None,
) -> str:
    """A change in words: ``note on deal 12 "Cloud migration"``, ``import of 40 deals``,
    ``setting owner: somchai → malee``. ``titles``: the deals' titles by id;
    ``pipelines``: the pipelines' names by key (a stage change names its pipeline)."""
    what = _(CHANGE_WORDS[command]) if command in CHANGE_WORDS else command
    deal_ids = sorted({e.deal_id for e in events if e.deal_id is not None})
    stage_change = next(
        (e for e in events if e.deal_id is None and e.type.startswith("stage-")), None
    )
    moved_ids = {e.deal_id for e in events if e.deal_id is not None and e.type == "move"}
    if stage_change is not None and command.startswith(("stage", "pipeline")) and moved_ids:
        # A stage switched off, its deals moved on (an import that made stages is an import).
        moved = ngettext("{count} deal moved", "{count} deals moved", len(moved_ids))
        described = describe(stage_change, stages, pipelines)
        return f"{described} ({moved.format(count=len(moved_ids))})"
    if not deal_ids:
        # A pipeline change is its pipeline's event (the stages it adds or removes with
        # it are recorded first: "pipeline remove" read "stage remove: Presented, …").
        told = [e for e in events if e.type.startswith("pipeline-")] or list(events)
        return describe(told[0], stages, pipelines) if told else what
    if command == "import":
        return _describe_import(events, len(deal_ids))
    if len(deal_ids) > 1:
        return ngettext("{what} of {count} deal", "{what} of {count} deals", len(deal_ids)).format(
            what=what, count=len(deal_ids)
        )
    deal_id = deal_ids[0]
    title = titles.get(deal_id) or event_title(events) or ""
    if command == "add":
        template = _('new deal {deal_id} "{title}"')
    elif command == "delete":
        template = _('deletion of deal {deal_id} "{title}"')
    elif command == "next":
        template = _(NEXT_ACTION_SAID[next_action_done(events)])
    else:
        template = _(DEAL_CHANGE_SAID.get(command, N_('{what} on deal {deal_id} "{title}"')))
    return template.format(what=what, deal_id=deal_id, title=title)


def _describe_import(events: Sequence[Event], deal_count: int) -> str:
    """``import of 40 deals``; of one with ``--update`` that changed deals here, how many
    it added and how many it changed: "import of 6 deals" said of 1 added and 5 updated
    had the undo of an update read as taking away 5 deals that were here before it (a
    trial). A deal it added has its ``add`` event in the change."""
    added = len({e.deal_id for e in events if e.deal_id is not None and e.type == "add"})
    return _import_words(added, deal_count - added)


def _import_words(added: int, updated: int) -> str:
    """An import that added ``added`` deals and updated ``updated`` deals here."""
    if not updated:  # (an import of one deal is an import)
        return ngettext("{what} of {count} deal", "{what} of {count} deals", added).format(
            what=_(CHANGE_WORDS["import"]), count=added
        )
    updates = ngettext("{count} update", "{count} updates", updated).format(count=updated)
    if not added:
        return _("import of {updated}").format(updated=updates)
    new = ngettext("{count} new deal", "{count} new deals", added).format(count=added)
    return _("import of {new} and {updated}").format(new=new, updated=updates)


def event_title(events: Iterable[Event]) -> str | None:
    """The first title the events' records hold (a deleted deal's is in its history)."""
    for event in events:
        for record in (event.after, event.before):
            if record and record.get("title"):
                return str(record["title"])
    return None


def undo_table(
    changes: Sequence[Any],
    titles: dict[int, str],
    stages: Sequence[Stage],
    pipelines: Mapping[str, str] | None = None,
) -> Table:
    """``undo --list``: the changes undo can take back, the next one first (the footer
    says how, unless the first would be refused: that is said instead)."""
    by_key = {s.key: s for s in stages}
    first_refused = bool(changes) and changes[0].refused is not None
    table = Table(
        columns=[
            Column(_("Change"), "right"),
            Column(_("When")),
            Column(_("What"), wrap=True),
            Column(_("Who")),  # on a shared data file, undo takes back anyone's change
        ],
        footer=None
        if first_refused
        else _("`salespipe undo` takes back the first one; repeat to go further back."),
    )
    for item in changes:
        table.rows.append(
            [
                str(item.change),
                fmt.moment(item.at),
                describe_change(item.command, item.events, titles, by_key, pipelines),
                item.who or "",
            ]
        )
    return table


def undo_refused(sentence: str) -> str:
    """Under ``undo --list``: what ``undo`` would answer now, said before it is tried."""
    return _('Now `salespipe undo` would answer: "{sentence}"').format(sentence=sentence)


def describe_edit(event: Event, stages: dict[str, Stage], currency: str | None = None) -> str:
    """The fields an edit changed: ``value ฿100.00 → ฿250.00; owner somchai → malee``
    (amounts with ``currency``, or each side's own where the edit changed it)."""
    before, after = event.before or {}, event.after or {}
    was, now = before.get("currency") or currency, after.get("currency") or currency
    return _(CLAUSES).join(
        _change(
            _(FIELD_LABELS[k]),
            _value_text(k, before.get(k), stages, was),
            _value_text(k, after.get(k), stages, now),
        )
        for k in after
        if k in FIELD_LABELS
    )


def event_line(event: Event, stages: dict[str, Stage], currency: str | None = None) -> Hanging:
    """One event on one line, in the words of :func:`event_table` (``watch``), its time
    the label the rest wraps under; ``currency``: its deal's then."""
    what = describe(event, stages, None, currency)
    if event.deal_id is not None:
        what = _("deal {deal_id}: {what}").format(deal_id=event.deal_id, what=what)
    if event.reason:
        what = f"{what} — {event.reason}"
    time = fmt.moment(event.at)
    line = _("{time}  {what} (by {who})").format(time=time, what=what, who=event.who)
    return Hanging(line, textwidth.width(time) + 2)


# How narrow what a change did and its reason may wrap in `log` and `show`'s timeline.
EVENT_TEXT_MIN = 12


def event_table(
    events: Iterable[Event],
    stages: Sequence[Stage],
    *,
    with_deal: bool = True,
    title: str | None = None,
    undone: frozenset[int] | set[int] = frozenset(),
    pipelines: Mapping[str, str] | None = None,
    currencies: Mapping[int, str] | None = None,
) -> Table:
    """Events as ``log`` and ``show`` list them; ``currencies``: each deal's currency now,
    from which each event's is found (:func:`salespipe.core.model.currencies_then`)."""
    by_key = {s.key: s for s in stages}
    events = list(events)
    then = currencies_then(events, currencies or {})
    # Who did it is a name, never cut (a team's database roles are long): what and why
    # wrap narrower to make room for it, and when even that is too wide each change
    # becomes a card.
    columns = [
        Column(_("When")),
        Column(_("What"), wrap=True, min_width=EVENT_TEXT_MIN, wraps_to_floor=True),
        Column(_("Reason"), wrap=True, min_width=EVENT_TEXT_MIN, wraps_to_floor=True),
        Column(_("Who")),
    ]
    if with_deal:
        columns.insert(1, Column(_("Deal"), "right"))
    table = Table(columns=columns, title=title)
    for event in events:
        what = describe(event, by_key, pipelines, then.get(event.seq))
        if event.change in undone:
            what = _("{what} (undone)").format(what=what)
        row = [fmt.moment(event.at), what, event.reason or "", event.who]
        if with_deal:
            deal_id = event.deal_id
            if deal_id is None and event.type == "undo":
                deal_id = undone_deal(event.after)  # (an undo of one deal's change: that one)
            row.insert(1, str(deal_id) if deal_id else "")
        table.rows.append(row)
    return table


def stage_table(stages: Sequence[Stage], open_counts: dict[str, int]) -> Table:
    table = Table(
        columns=[
            Column("#", "right"),
            Column(_("Key"), drop=1),  # a stage is named by its name or number too
            Column(_("Name")),  # a name is how stages are called: never cut
            Column(_("Prob."), "right"),
            Column(_("Target days"), "right"),
            Column(_("Enabled")),
            Column(_("Open deals"), "right"),
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
                str(stage.target_days or NONE),
                _("yes") if stage.enabled else _("no"),
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
