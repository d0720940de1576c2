"""forecast: the months ahead together (the number a quarter is committed by), with a
range of its own, on a data file and on PostgreSQL alike.

The clock is the tests' (27 Nov 2026): with the default --months 3, the months ahead
are 2026-11, 2026-12 and 2027-01.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.checks import ok

pytestmark = pytest.mark.usefixtures("each_backend")

AHEAD = ("2026-11", "2026-12", "2027-01")
MONEY = ("value", "weighted_value", "won_value", "expected")


def forecast(cli, *args: str) -> dict[str, Any]:
    """forecast --json, its amounts as Decimals (to compare to the cent)."""
    result = cli("forecast", *args, "--json")
    ok(result)
    return json.loads(result.stdout, parse_float=Decimal)


def months_ahead(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for row in data["rows"] if row["kind"] == "month" and row["period"] in AHEAD]


def summed(rows: list[dict[str, Any]], key: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for row in rows:
        for currency, amount in row[key].items():
            totals[currency] = totals.get(currency, Decimal(0)) + Decimal(amount)
    return totals


def as_decimals(totals: dict[str, Any]) -> dict[str, Decimal]:
    return {currency: Decimal(amount) for currency, amount in totals.items()}


def add(cli, title: str, value: str, *options: str) -> None:
    ok(cli("add", title, "-v", value, "-q", *options))


@pytest.fixture
def mixed(cli) -> None:
    """Won deals to learn from (two of them won this month, in two currencies), and open
    deals in baht and dollars: one dated in each month ahead, one past due, one without
    a date and one later."""
    history = [
        ("Won fast", "100000", "THB", "2026-08-03", ("won", "2026-08-20")),
        ("Won slow", "200000", "THB", "2026-08-05", ("won", "2026-10-05")),
        ("Won this month", "300000.10", "THB", "2026-09-01", ("won", "2026-11-02")),
        ("Won in dollars", "1234.56", "USD", "2026-09-10", ("won", "2026-11-05")),
        ("Lost", "50000", "THB", "2026-08-10", ("lost", "2026-08-25")),
    ]
    for deal_id, (title, value, currency, added, (outcome, when)) in enumerate(history, start=1):
        add(cli, title, value, "--currency", currency, "--close", "2026-12-15", "--at", added)
        reason = ["--reason", "price"] if outcome == "lost" else []
        ok(cli(outcome, str(deal_id), "--at", when, *reason))
    add(cli, "This month", "333333.33", "--close", "2026-11-30", "-s", "quoted")
    add(cli, "Next month", "20000.05", "--currency", "USD", "--close", "2026-12-15", "--prob", "37")
    add(cli, "Third month", "150000", "--close", "2027-01-20", "-s", "negotiating")
    add(cli, "Past due", "90000.03", "--close", "2026-11-20", "--at", "2026-11-10")
    add(cli, "No date", "5000.01", "--currency", "USD", "-s", "quoted", "--at", "2026-11-01")
    add(cli, "Later", "70000", "--close", "2027-04-01")


@pytest.mark.parametrize("method", ["stage", "history"])
def test_the_total_ahead_adds_up_the_months_ahead_to_the_cent(cli, mixed, method: str) -> None:
    data = forecast(cli, "--method", method)
    months = months_ahead(data)
    total = data["ahead"]
    assert (total["first"], total["last"]) == ("2026-11", "2027-01")
    for key in MONEY:
        assert as_decimals(total[key]) == summed(months, key), key
    assert set(total["expected"]) == {"THB", "USD"}
    assert total["count"] == sum(row["count"] for row in months) == 3
    assert total["won_count"] == sum(row["won_count"] for row in months) == 2
    for currency in ("THB", "USD"):
        won = Decimal(total["won_value"][currency])
        low, middle, high = (Decimal(total[p][currency]) for p in ("p10", "p50", "p90"))
        assert won <= low <= middle <= high  # what is won is sure
    if method == "history":  # the past-due and undated deals' weight is in the months
        rows = {row["period"]: row for row in data["rows"]}
        for kind in ("past due", "no date"):
            assert (rows[kind]["count"], rows[kind]["weighted_value"]) == (1, {})
    # Not a row: scripts that add up the rows count nothing twice.
    assert all(row["kind"] != "ahead" for row in data["rows"])
    assert forecast(cli, "--method", method) == data  # the same figures every run


@pytest.fixture
def two_halves(cli) -> None:
    """฿1,000 at 50 % this month and ฿1,000 at 50 % next month."""
    add(cli, "First", "1000", "--close", "2026-11-30", "--prob", "50")
    add(cli, "Second", "1000", "--close", "2026-12-15", "--prob", "50")


def test_the_range_ahead_is_of_the_sum_of_the_months(cli, two_halves) -> None:
    """Two independent deals at 50 %: the sum is ฿0 a quarter of the time, ฿1,000 half
    the time and ฿2,000 a quarter: P10 ฿0, P50 ฿1,000, P90 ฿2,000 (2,000 simulated
    quarters: the 200th smallest is among the ~500 of ฿0, the 1000th among the ~1000 of
    ฿1,000 after them, the 1800th among the ~500 of ฿2,000 above ~1500)."""
    data = forecast(cli)
    total = data["ahead"]
    assert (total["p10"], total["p50"], total["p90"]) == (
        {"THB": 0},
        {"THB": 1000},
        {"THB": 2000},
    )
    assert total["expected"] == {"THB": 1000}
    for row in months_ahead(data)[:2]:  # each month alone: won or not
        assert (row["p10"], row["p90"]) == ({"THB": 0}, {"THB": 1000})


def test_the_low_end_ahead_is_not_the_months_low_ends_added(cli) -> None:
    """Two deals at 80 %: each month's P10 is ฿0 (nothing won one time in five), but
    both are lost together one time in 25, so the two months' P10 is ฿1,000."""
    add(cli, "First", "1000", "--close", "2026-11-30", "--prob", "80")
    add(cli, "Second", "1000", "--close", "2026-12-15", "--prob", "80")
    data = forecast(cli)
    assert [row["p10"] for row in months_ahead(data)[:2]] == [{"THB": 0}] * 2
    assert data["ahead"]["p10"] == {"THB": 1000}
    assert data["ahead"]["p90"] == {"THB": 2000}


def test_a_deal_spread_over_the_months_counts_once_with_its_shares_added(cli) -> None:
    """History learns 25 % for Presented (4 won, 6 lost, and the prior of 10 deals at
    10 %), the wins 2, 20, 50 and 100 days after entering it: a new undated deal is
    placed a quarter of that in each month ahead and in "later" (6.25 %, so each month
    alone stays at ฿0 nine times in ten), and 18.75 % in the three months together
    (above one in ten: P90 is the whole deal)."""
    for deal_id, days in enumerate((2, 20, 50, 100), start=1):
        add(cli, f"Won {deal_id}", "1000", "--at", "2026-06-01")
        won = date(2026, 6, 1) + timedelta(days=days)
        ok(cli("won", str(deal_id), "--at", won.isoformat()))
    for deal_id in range(5, 11):
        add(cli, f"Lost {deal_id}", "1000", "--at", "2026-06-01")
        ok(cli("lost", str(deal_id), "--at", "2026-06-05", "--reason", "price"))
    add(cli, "Undated", "100000")
    data = forecast(cli, "--method", "history")
    assert data["probabilities"]["presented"] == pytest.approx(0.25)
    for row in months_ahead(data):
        assert row["weighted_value"] == {"THB": 6250}
        assert row["p90"] == {"THB": 0}
    total = data["ahead"]
    assert total["weighted_value"] == {"THB": 18750}
    assert (total["p10"], total["p90"]) == ({"THB": 0}, {"THB": 100000})


def test_a_likely_deal_spread_over_the_months_is_won_in_one_of_them_at_most(cli) -> None:
    """The test above holds even where each month's share is a deal apart (three 6.25 %
    deals are also won at least once more than one time in ten): here Approved learns
    12/13 (3 won, and the prior of 10 deals at 90 %), the wins 2, 20 and 50 days after
    entering it, so a new undated deal is placed a third of that in each month ahead. As
    one deal it is lost 1 time in 13: P10 and P90 are its value. As three deals apart it
    would be won twice or more one time in five (P90 twice its value) and never one time
    in three (P10 ฿0)."""
    for deal_id, days in enumerate((2, 20, 50), start=1):
        add(cli, f"Won {deal_id}", "1000", "-s", "approved", "--at", "2026-06-01")
        won = date(2026, 6, 1) + timedelta(days=days)
        ok(cli("won", str(deal_id), "--at", won.isoformat()))
    add(cli, "Undated", "100000", "-s", "approved")
    data = forecast(cli, "--method", "history")
    assert float(data["probabilities"]["approved"]) == pytest.approx(12 / 13, abs=1e-4)
    for row in months_ahead(data):
        assert float(row["weighted_value"]["THB"]) == pytest.approx(100000 * 4 / 13, abs=1)
    total = data["ahead"]
    assert (total["p10"], total["p50"], total["p90"]) == ({"THB": 100000},) * 3


def test_on_the_demo_the_low_end_ahead_is_not_the_months_added(cli) -> None:
    ok(cli("demo"))  # (to the tests' database, as SALESPIPE_DB names it)
    data = forecast(cli)
    months = months_ahead(data)
    total = data["ahead"]
    assert as_decimals(total["expected"]) == summed(months, "expected")
    # Every month short at once is rarer than one of them: the low end is higher.
    assert Decimal(total["p10"]["THB"]) > summed(months, "p10")["THB"]
    assert Decimal(total["p90"]["THB"]) < summed(months, "p90")["THB"]


def table_lines(text: str, title: str) -> list[str]:
    """The lines of the table under ``title`` (up to the blank line after it)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def test_both_tables_show_the_total_after_the_months_ahead(cli, two_halves) -> None:
    shown = cli("forecast", "--width", "80")
    ok(shown)
    for title, around in (
        ("Forecast by expected close month", ["2027-01", "Expected = won"]),
        # (2027-01 has no range; no deal is later, past due or undated: no such rows)
        ("Range of the won value", ["2026-12", "The won value is below P10"]),
    ):
        periods = [line.split("  ")[0] for line in table_lines(shown.stdout, title)]
        at = periods.index("2026-11 – 2027-01")
        assert [periods[at - 1], periods[at + 1][: len(around[1])]] == around
    forecast_lines = table_lines(shown.stdout, "Forecast by expected close month")
    total_line = next(line for line in forecast_lines if line.startswith("2026-11 – 2027-01"))
    assert total_line.split()[-1] == "฿1,000.00"  # its Expected
    range_lines = table_lines(shown.stdout, "Range of the won value")
    total_line = next(line for line in range_lines if line.startswith("2026-11 – 2027-01"))
    assert total_line.split()[-3:] == ["฿0", "฿1,000", "฿2,000"]
    assert "the months ahead together" in " ".join(shown.stdout.split())


def test_the_total_is_named_by_its_months_in_thai(cli, two_halves) -> None:
    shown = cli("--lang", "th", "forecast")
    ok(shown)
    # both tables, and the footer; months named as Thai dates name them (a Thai trial)
    assert shown.stdout.count("พ.ย. 2569 – ม.ค. 2570") == 3, shown.stdout
    assert "เดือนข้างหน้ารวมกัน" in shown.stdout
    assert "2569-11" not in shown.stdout
    # --json keeps ISO months (CE) in both languages
    periods = [row["period"] for row in cli.json("--lang", "th", "forecast")["rows"]]
    assert "2026-11" in periods, periods


def test_one_month_ahead_is_its_own_total(cli, two_halves) -> None:
    """With --months 1 the total is that month's row: the tables do not repeat it, and
    the JSON's is the month's, range and all."""
    shown = cli("forecast", "--months", "1")
    ok(shown)
    assert "–" not in shown.stdout
    data = forecast(cli, "--months", "1")
    month = months_ahead(data)[0]
    total = data["ahead"]
    assert (total["first"], total["last"]) == ("2026-11", "2026-11")
    assert {key: month[key] for key in month if key not in ("period", "kind")} == {
        key: total[key] for key in total if key not in ("first", "last")
    }


def test_the_page_shows_the_total_in_its_tables(cli, two_halves, tmp_path) -> None:
    page = tmp_path / "forecast.html"
    ok(cli("forecast", "--html", str(page)))
    text = page.read_text(encoding="utf-8")
    assert text.count("2026-11 – 2027-01</td>") == 2
    assert '<p class="note">2026-11 – 2027-01 is the months ahead together' in text


def test_a_row_of_no_deals_past_due_later_or_undated_is_not_shown(cli, two_halves) -> None:
    """forecast showed "past due —" when nothing was past due (a team lead's trial), and
    "later" and "no date" rows of nothing: such a row is left out of the tables and the
    chart. A month of the range asked for is shown with nothing in it (nothing won in
    it is worth knowing), and --json keeps every row for scripts."""
    shown = cli("forecast", "--width", "80")
    ok(shown)
    lines = table_lines(shown.stdout, "Forecast by expected close month")[2:-1]
    periods = [line.split("  ")[0] for line in lines]  # (under the title and the header)
    assert periods == ["2026-08", "2026-09", "2026-10", *AHEAD, "2026-11 – 2027-01"], periods
    chart = shown.stdout.split("Expected by month")[1]
    for label in ("past due", "later", "no date"):
        assert label not in chart, chart
    assert "2026-08┤" in chart, chart
    kinds = [row["kind"] for row in forecast(cli)["rows"]]
    assert kinds.count("past_due") == kinds.count("later") == kinds.count("undated") == 1
    add(cli, "Overdue", "1000", "--close", "2026-11-20")
    overdue = cli("forecast", "--width", "80").stdout
    assert "past due" in "\n".join(table_lines(overdue, "Forecast by expected close month"))
    assert "past due┤" in overdue


def test_a_forecast_of_nothing_open_shows_no_range_table(cli, tmp_path) -> None:
    """An empty pipeline's forecast showed the range table's title and header with no
    row, and under it two notes about rows that were not there: it is left out, on the
    page too; with an open deal it is back."""
    ok(cli("init"))
    shown = cli("forecast", "--width", "80").stdout
    assert "Range of the won value" not in shown, shown
    assert "months ahead together" not in shown, shown
    page = tmp_path / "forecast.html"
    ok(cli("forecast", "--html", str(page)))
    assert "Range of the won value" not in page.read_text(encoding="utf-8")
    add(cli, "Open", "250000", "--close", "2026-12-20", "--prob", "50")
    assert "Range of the won value" in cli("forecast", "--width", "80").stdout
