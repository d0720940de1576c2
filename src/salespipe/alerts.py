"""What needs attention in the open pipeline: stale deals and the ``check`` alerts.

- A deal is stale when the whole days it has spent in its current stage exceed the
  stage's target days (a stage without a target never makes a deal stale).
- ``check`` also reports next actions past their due day, open deals past their
  expected close day, quotes that expire within three days, and quotes that have
  expired while the deal is still open.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from salespipe import fmt
from salespipe.i18n import _, ngettext
from salespipe.model import Deal, Record, Stage, days_in_stage, deal_to_dict
from salespipe.queries import is_stale

QUOTE_WARNING_DAYS = 3

# The order alerts are listed in: the most urgent kind of trouble first.
ALERT_KINDS = (
    "stale",
    "next_action_overdue",
    "past_expected_close",
    "quote_expired",
    "quote_expiring",
)


@dataclass(frozen=True)
class StaleDeal:
    deal: Deal
    stage: Stage
    days_in_stage: int

    @property
    def days_over(self) -> int:
        return self.days_in_stage - (self.stage.target_days or 0)

    def to_dict(self, now: datetime) -> Record:
        return {**deal_to_dict(self.deal, self.stage, now), "days_over": self.days_over}


@dataclass(frozen=True)
class StaleList:
    as_of: datetime
    deals: list[StaleDeal]

    def to_dict(self) -> list[Record]:
        return [item.to_dict(self.as_of) for item in self.deals]


def stale_deals(deals: Iterable[Deal], stages: Sequence[Stage], now: datetime) -> list[StaleDeal]:
    """Open deals over their stage's target days, longest overdue first."""
    by_key = {s.key: s for s in stages}
    found = []
    for deal in deals:
        stage = by_key.get(deal.stage)
        if stage is not None and is_stale(deal, stage, now):
            found.append(StaleDeal(deal, stage, days_in_stage(deal, now)))
    found.sort(key=lambda item: (-item.days_over, item.deal.id))
    return found


def stale(deals: Iterable[Deal], stages: Sequence[Stage], now: datetime) -> StaleList:
    return StaleList(now, stale_deals(deals, stages, now))


@dataclass(frozen=True)
class Alert:
    kind: str
    deal_id: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "deal_id": self.deal_id, "message": self.message}


@dataclass(frozen=True)
class CheckResult:
    as_of: date
    checked: int
    alerts: list[Alert]

    @property
    def clean(self) -> bool:
        return not self.alerts

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "checked": self.checked,
            "alerts": [alert.to_dict() for alert in self.alerts],
        }


def _days(count: int) -> str:
    return ngettext("{count} day", "{count} days", count).format(count=count)


def _named(deal: Deal) -> str:
    return _('Deal {deal_id} "{title}"').format(deal_id=deal.id, title=deal.title)


def _deal_alerts(deal: Deal, stage: Stage | None, now: datetime) -> Iterable[Alert]:
    today = now.date()
    if stage is not None and is_stale(deal, stage, now):
        spent = days_in_stage(deal, now)
        yield Alert(
            "stale",
            deal.id,
            _("{deal} has been {days} in {stage} (target {target}).").format(
                deal=_named(deal), days=_days(spent), stage=stage.name, target=stage.target_days
            ),
        )
    action = deal.next_action
    if action is not None and action.due < today:
        yield Alert(
            "next_action_overdue",
            deal.id,
            _('{deal}: the next action "{action}" was due {date} ({days} ago).').format(
                deal=_named(deal),
                action=action.text,
                date=fmt.day(action.due),
                days=_days((today - action.due).days),
            ),
        )
    if deal.expected_close is not None and deal.expected_close < today:
        yield Alert(
            "past_expected_close",
            deal.id,
            _("{deal} was expected to close on {date} and is still open.").format(
                deal=_named(deal), date=fmt.day(deal.expected_close)
            ),
        )
    quote = deal.quote
    if quote is not None:
        left = (quote.valid_until - today).days
        until = fmt.day(quote.valid_until)
        if left < 0:
            yield Alert(
                "quote_expired",
                deal.id,
                _("{deal}: the quote expired on {date}.").format(deal=_named(deal), date=until),
            )
        elif left <= QUOTE_WARNING_DAYS:
            if left == 0:
                message = _("{deal}: the quote expires today ({date}).")
            else:
                message = ngettext(
                    "{deal}: the quote expires in {count} day ({date}).",
                    "{deal}: the quote expires in {count} days ({date}).",
                    left,
                )
            yield Alert(
                "quote_expiring",
                deal.id,
                message.format(deal=_named(deal), count=left, date=until),
            )


def check(deals: Iterable[Deal], stages: Sequence[Stage], now: datetime) -> CheckResult:
    """Everything in the open pipeline that needs action, most urgent kind first."""
    by_key = {s.key: s for s in stages}
    alerts: list[Alert] = []
    checked = 0
    for deal in deals:
        if not deal.is_open:
            continue
        checked += 1
        alerts.extend(_deal_alerts(deal, by_key.get(deal.stage), now))
    order = {kind: index for index, kind in enumerate(ALERT_KINDS)}
    alerts.sort(key=lambda alert: (order[alert.kind], alert.deal_id))
    return CheckResult(now.date(), checked, alerts)
