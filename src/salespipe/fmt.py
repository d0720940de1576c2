"""How values look to a person: money, dates, days. JSON never goes through here."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal


def money(value: Decimal, currency: str) -> str:
    amount = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return f"{amount} {currency}"


def money_by_currency(totals: dict[str, Decimal]) -> str:
    if not totals:
        return "0"
    return ", ".join(money(v, c) for c, v in sorted(totals.items()))


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def moment(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"
