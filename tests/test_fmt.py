"""How money and dates look to a person: baht sign and grouping, Buddhist Era years."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from salespipe.core import fmt, i18n, tally


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        ("1500000", "THB", "฿1,500,000.00"),
        ("1500000.5", "THB", "฿1,500,000.50"),
        ("0.01", "THB", "฿0.01"),
        ("1500", "USD", "USD 1,500.00"),
        ("9999999999999.99", "EUR", "EUR 9,999,999,999,999.99"),
        ("150000", "JPY", "JPY 150,000"),  # yen has no minor unit
        ("150000.5", "JPY", "JPY 150,000.50"),  # ...but a stored fraction is never hidden
        ("12.5", "KWD", "KWD 12.500"),
    ],
)
def test_money_has_its_sign_or_code_and_grouping(value: str, currency: str, shown: str) -> None:
    """THB with ฿, any other currency by its code; grouped; the stored amount exactly."""
    assert fmt.money(Decimal(value), currency) == shown


def test_whole_amounts_and_totals_per_currency() -> None:
    """Chart numbers may be whole; totals list each currency, never one sum."""
    assert fmt.money(Decimal("1250000.75"), "THB", whole=True) == "฿1,250,001"
    # ...but an amount under one keeps its fraction: 40 satang are not ฿0 (a trial)
    assert fmt.money(Decimal("0.4"), "THB", whole=True) == "฿0.40"
    assert fmt.money(Decimal("0.7"), "THB", whole=True) == "฿0.70"
    assert fmt.money(Decimal("0.5"), "JPY", whole=True) == "JPY 0.50"
    assert fmt.money(Decimal("0"), "THB", whole=True) == "฿0"
    totals = {"USD": Decimal("20"), "THB": Decimal("1500.5")}
    assert fmt.money_by_currency(totals) == "฿1,500.50, USD 20.00"
    assert fmt.money_by_currency({}) == "0"


def test_dates_in_the_buddhist_era() -> None:
    """be adds 543 to the year of short dates, times and months; ce leaves them ISO."""
    day, moment = date(2026, 12, 31), datetime(2026, 1, 5, 14, 30)
    assert (fmt.day(day), fmt.moment(moment), fmt.month(day)) == (
        "2026-12-31",
        "2026-01-05 14:30",
        "2026-12",
    )
    fmt.set_era("be")
    assert (fmt.day(day), fmt.moment(moment), fmt.month(day)) == (
        "2569-12-31",
        "2569-01-05 14:30",
        "2569-12",
    )
    assert (fmt.iso_day("2026-02-28"), fmt.iso_month("2026-02")) == ("2569-02-28", "2569-02")
    assert fmt.day(None) == ""


def test_long_dates_name_the_month_in_the_language_of_the_messages() -> None:
    """31 Dec 2026 in English; 31 ธ.ค. 2569 in Thai with Buddhist Era years."""
    assert fmt.long_day(date(2026, 12, 31)) == "31 Dec 2026"
    i18n.set_language("th")
    assert fmt.long_day(date(2026, 12, 31)) == "31 ธ.ค. 2026"
    fmt.set_era("be")
    assert fmt.long_day(datetime(2026, 1, 5, 9, 0)) == "5 ม.ค. 2569"


def test_status_words_follow_the_language() -> None:
    """won/lost/open are words of the current language; unknown statuses stay as they are."""
    assert fmt.status("won") == "won"
    i18n.set_language("th")
    assert [fmt.status(s) for s in ("open", "won", "lost", "other")] == [
        "เปิดอยู่",
        "ปิดได้",
        "หลุด",
        "other",
    ]


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        (lambda: fmt.days(7.25), "7.3"),
        (lambda: fmt.days(37.75), "37.8"),
        (lambda: fmt.days(15.24), "15.2"),
        (lambda: fmt.percent(0.825), "83%"),
        (lambda: fmt.percent(0.835), "84%"),
        (lambda: fmt.percent(5 / 6), "83%"),
        (lambda: tally.rounded(0.65625, 4), 0.6563),
        (lambda: tally.rounded(21.25), 21.3),
        (lambda: tally.rounded(33), 33.0),
    ],
)
def test_figures_round_halves_up_as_a_person_does(shown: Any, expected: object) -> None:
    """A manager checking 7.25 days by hand writes 7.3; salespipe printed 7.2 (Python
    rounds halves to the even digit), in the text and in the JSON."""
    assert shown() == expected


def test_months_in_thai_read_as_thai_dates_do() -> None:
    """forecast, winrate --by month and the backtest labelled months 2569-12 (a Buddhist
    year in ISO layout) under a title dated 8 ธ.ค. 2569 (a Thai trial): in Thai a month
    reads ธ.ค. 2569; in English it stays 2026-12 (2569-12 with date_era be)."""
    december = date(2026, 12, 1)
    assert fmt.month(december) == "2026-12"
    assert fmt.iso_month("2026-12") == "2026-12"
    fmt.set_era("be")
    assert fmt.month(december) == "2569-12"
    i18n.set_language("th")
    assert fmt.month(december) == "ธ.ค. 2569"
    assert fmt.iso_month("2027-01") == "ม.ค. 2570"
    fmt.set_era("ce")  # (as `date_era ce` asks: Thai month names, CE years)
    assert fmt.month(december) == "ธ.ค. 2026"


def test_chart_titles_name_baht_as_thai_tables_show_it() -> None:
    """Chart titles in Thai said THB where Thai tables show ฿ (a Thai trial)."""
    assert fmt.currency_title("THB") == "THB"
    i18n.set_language("th")
    assert fmt.currency_title("THB") == "฿"
    assert fmt.currency_title("USD") == "USD"
