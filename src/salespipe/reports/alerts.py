"""What needs attention in the open pipeline: stale deals and the ``check`` alerts.

- A deal is stale when the whole days it has spent in its current stage exceed the
  stage's target days (a stage without a target never makes a deal stale).
- ``check`` also reports next actions past their due day or due today, open deals past their
  expected close day, quotes that expire within three days, and quotes that have
  expired while the deal is still open.

Both look at every open deal, so they work on the stored deal records (see
:mod:`salespipe.app.queries`); stored days are ISO dates, compared as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from salespipe.core import fmt
from salespipe.core.i18n import _, ngettext
from salespipe.core.model import Record, Stage, record_days_in_stage, record_to_dict
from salespipe.reports.due import due_actions
from salespipe.reports.scope import Placed, placed_in, with_placed

if TYPE_CHECKING:
    from salespipe.reports.scope import OpenDeals
    from salespipe.storage.queries import Page

QUOTE_WARNING_DAYS = 3

# The order alerts are listed in: the most urgent kind of trouble first.
ALERT_KINDS = (
    "stale",
    "next_action_overdue",
    "next_action_due_today",
    "past_expected_close",
    "quote_expired",
    "quote_expiring",
)


@dataclass(frozen=True)
class StaleDeal:
    record: Record  # the deal's stored record
    stage: Stage
    days_in_stage: int

    @property
    def days_over(self) -> int:
        return self.days_in_stage - (self.stage.target_days or 0)

    def to_dict(self, now: datetime, *, pipeline: bool = False) -> Record:
        data = record_to_dict(self.record, self.stage, now, pipeline=pipeline)
        data["days_over"] = self.days_over
        return data


@dataclass(frozen=True)
class StaleList:
    """The stale deals shown, and how many there are (``matched``, None when all are
    shown); ``by_default`` when they were cut to the default length, not by --limit."""

    as_of: datetime
    deals: list[StaleDeal]
    matched: int | None = None
    by_default: bool = False
    pipeline: bool = False  # each deal names its pipeline (the database has several)
    # Stale deals in a stage only because the import put them there (--as-of): each
    # one's JSON says so already (``stage_unknown``), the text view in one line.
    placed: list[Placed] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.deals) if self.matched is None else self.matched

    def to_dict(self) -> list[Record]:
        return [item.to_dict(self.as_of, pipeline=self.pipeline) for item in self.deals]


def stale_deals_of(
    records: Sequence[Record], stages: Sequence[Stage], now: datetime
) -> list[StaleDeal]:
    """The stale deals of these records (the stale ones, in their order)."""
    by_key = {s.key: s for s in stages}
    found = []
    for record in records:
        stage = by_key.get(record["stage"])
        if stage is not None:
            found.append(StaleDeal(record, stage, record_days_in_stage(record, now)))
    return found


def stale(
    deals: OpenDeals,
    stages: Sequence[Stage],
    now: datetime,
    limit: int | None = None,
    *,
    by_default: bool = False,
    pipeline: bool = False,
    placed: Sequence[Placed] = (),
) -> StaleList:
    """The first ``limit`` stale deals (all with None) and how many there are; with
    ``pipeline``, each deal's JSON names its pipeline, as ``show``'s does. ``placed``:
    the open deals in a stage only because the import put them there (--as-of), of
    which those stale are counted, shown or not."""
    page = deals.stale(now, limit)
    found = stale_deals_of(page.records, stages, now)
    stale_placed = _stale_placed(deals, stages, now, placed, page if limit is None else None)
    return StaleList(now, found, page.matched, by_default, pipeline, stale_placed)


def _stale_placed(
    deals: OpenDeals,
    stages: Sequence[Stage],
    now: datetime,
    placed: Sequence[Placed],
    every: Page | None = None,
) -> list[Placed]:
    """Of the open deals in a stage only because the import put them there (``placed``),
    those stale, shown or not (``every``: the page of all stale deals, when at hand). A
    day's replayed deals are at hand: every stale one is read again only when some are
    so placed."""
    if not placed:
        return []
    if every is None:
        every = deals.stale(now, None)
    return placed_in(every.records, stages)


@dataclass(frozen=True)
class Alert:
    kind: str
    deal_id: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "deal_id": self.deal_id, "message": self.message}


# The alerts of one kind a check shows, and how many it found.
Found = tuple[list[Alert], int]


@dataclass(frozen=True)
class CheckResult:
    """The alerts shown, most urgent kind first; ``more`` counts each kind's alerts cut
    by a limit (only kinds with some), ``by_default`` when the default length cut them."""

    as_of: date
    checked: int
    alerts: list[Alert]
    more: dict[str, int] = field(default_factory=dict)
    by_default: bool = False
    # The stale deals in a stage only because the import put them there (--as-of).
    placed: list[Placed] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many alerts there are, shown or not."""
        return len(self.alerts) + sum(self.more.values())

    @property
    def clean(self) -> bool:
        return not self.count

    def to_dict(self) -> dict[str, Any]:
        data = {
            "as_of": self.as_of.isoformat(),
            "checked": self.checked,
            "alerts": [alert.to_dict() for alert in self.alerts],
        }
        if self.more:
            data["more"] = self.more
        return with_placed(data, self.placed)


def _days(count: int) -> str:
    return ngettext("{count} day", "{count} days", count).format(count=count)


class _Checks:
    """The checks of one ``check`` run, each finding one kind of alert in the open deals."""

    def __init__(self, deals: OpenDeals, stages: Sequence[Stage], now: datetime) -> None:
        self.deals = deals
        self.stages = stages
        self.now = now
        self.today = now.date()
        self.named_template = _('Deal {deal_id} "{title}"')

    def named(self, record: Record) -> str:
        return self.named_template.format(deal_id=record["id"], title=record["title"])

    def stale(self, limit: int | None) -> Found:
        template = _("{deal} has been {days} in {stage} (target {target}).")
        page = self.deals.stale(self.now, limit)
        alerts = [
            Alert(
                "stale",
                item.record["id"],
                template.format(
                    deal=self.named(item.record),
                    days=_days(item.days_in_stage),
                    stage=item.stage.name,
                    target=item.stage.target_days,
                ),
            )
            for item in stale_deals_of(page.records, self.stages, self.now)
        ]
        return alerts, page.matched

    def next_actions(self, limit: int | None) -> tuple[Found, Found]:
        """Alerts of next actions overdue, and of those due today: what the agenda lists
        as overdue and due today (one rule for both, see :mod:`salespipe.reports.due`)."""
        late_template = _('{deal}: the next action "{action}" was due {date} ({days} ago).')
        today_template = _('{deal}: the next action "{action}" is due today.')
        late = self.deals.due_before("next_action", self.today, limit)
        due_today = self.deals.due_by("next_action", self.today, limit, since=self.today)
        overdue, today = [], []
        due = late.records + due_today.records
        for item in due_actions(due, self.stages, self.today, self.today):
            action = item.record["next_action"]["text"]
            deal = self.named(item.record)
            if item.days_late > 0:
                message = late_template.format(
                    deal=deal, action=action, date=fmt.day(item.due), days=_days(item.days_late)
                )
                overdue.append(Alert("next_action_overdue", item.record["id"], message))
            else:
                message = today_template.format(deal=deal, action=action)
                today.append(Alert("next_action_due_today", item.record["id"], message))
        return (overdue, late.matched), (today, due_today.matched)

    def past_expected_close(self, limit: int | None) -> Found:
        template = _("{deal} was expected to close on {date} and is still open.")
        page = self.deals.due_before("close", self.today, limit)
        alerts = [
            Alert(
                "past_expected_close",
                record["id"],
                template.format(deal=self.named(record), date=fmt.iso_day(close)),
            )
            for record in page.records
            if (close := record["expected_close"]) is not None
        ]
        return alerts, page.matched

    def quotes(self, limit: int | None) -> tuple[Found, Found]:
        """Alerts of quotes expired, and of quotes expiring within QUOTE_WARNING_DAYS."""
        warn_until = self.today + timedelta(days=QUOTE_WARNING_DAYS)
        expired_template = _("{deal}: the quote expired on {date}.")
        today_template = _("{deal}: the quote expires today ({date}).")
        gone = self.deals.due_before("quote", self.today, limit)
        soon = self.deals.due_by("quote", warn_until, limit, since=self.today)
        expired, expiring = [], []
        for record in gone.records + soon.records:
            valid_until = date.fromisoformat(record["quote"]["valid_until"])
            left = (valid_until - self.today).days
            named, until = self.named(record), fmt.day(valid_until)
            if left < 0:
                message = expired_template.format(deal=named, date=until)
                expired.append(Alert("quote_expired", record["id"], message))
                continue
            template = today_template if left == 0 else _quote_expires_in(left)
            message = template.format(deal=named, count=left, date=until)
            expiring.append(Alert("quote_expiring", record["id"], message))
        return (expired, gone.matched), (expiring, soon.matched)


def _quote_expires_in(days: int) -> str:
    return ngettext(
        "{deal}: the quote expires in {count} day ({date}).",
        "{deal}: the quote expires in {count} days ({date}).",
        days,
    )


def check(
    deals: OpenDeals,
    stages: Sequence[Stage],
    now: datetime,
    limit: int | None = None,
    *,
    by_default: bool = False,
    placed: Sequence[Placed] = (),
) -> CheckResult:
    """Everything in the open pipeline that needs action, most urgent kind first
    (``ALERT_KINDS``), then by deal; of each kind the ``limit`` most urgent (all with
    None: the longest overdue, the earliest due), and how many more there are. Of the
    open deals in a stage only because the import put them there (``placed``, --as-of),
    those stale are counted."""
    checks = _Checks(deals, stages, now)
    expired, expiring = checks.quotes(limit)
    overdue, due_today = checks.next_actions(limit)
    found = {
        "stale": checks.stale(limit),
        "next_action_overdue": overdue,
        "next_action_due_today": due_today,
        "past_expected_close": checks.past_expected_close(limit),
        "quote_expired": expired,
        "quote_expiring": expiring,
    }
    by_deal = attrgetter("deal_id")
    alerts = [alert for kind in ALERT_KINDS for alert in sorted(found[kind][0], key=by_deal)]
    more = {
        kind: matched - len(shown)
        for kind, (shown, matched) in found.items()
        if matched > len(shown)
    }
    stale_placed = _stale_placed(deals, stages, now, placed)
    return CheckResult(now.date(), deals.count(now), alerts, more, by_default, stale_placed)
