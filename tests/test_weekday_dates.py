"""Dates said by their weekday ("friday", "next friday", "วันศุกร์", "ศุกร์หน้า"), as a
freelancer types a due date, from each day of one week (Monday 7 – Sunday 13 December
2026) as today."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from salespipe.core import parse
from salespipe.core.errors import InvalidValue

WEEK = [date(2026, 12, day) for day in range(7, 14)]  # Monday 7 … Sunday 13 December
THIS_FRIDAY = ["friday", "Friday", "FRI", "this friday", "วันศุกร์", "ศุกร์", "ศุกร์นี้"]
NEXT_FRIDAY = ["next friday", "Next Fri", "ศุกร์หน้า", "วันศุกร์หน้า"]
# For each today of the week: the coming Friday (today on a Friday), the Friday of next
# week, and the last Friday (today on a Friday).
COMING = dict(zip(WEEK, [11, 11, 11, 11, 11, 18, 18], strict=True))
OF_NEXT_WEEK = dict(zip(WEEK, [18, 18, 18, 18, 18, 18, 18], strict=True))
LAST = dict(zip(WEEK, [4, 4, 4, 4, 11, 11, 11], strict=True))


def _today(monkeypatch: pytest.MonkeyPatch, today: date) -> None:
    monkeypatch.setenv("SALESPIPE_NOW", f"{today.isoformat()}T10:00:00+07:00")


@pytest.mark.parametrize("today", WEEK, ids=lambda day: day.strftime("%a"))
@pytest.mark.parametrize("typed", THIS_FRIDAY)
def test_a_weekday_is_the_coming_one_today_included(monkeypatch, today, typed) -> None:
    _today(monkeypatch, today)
    assert parse.day(typed) == date(2026, 12, COMING[today])


@pytest.mark.parametrize("today", WEEK, ids=lambda day: day.strftime("%a"))
@pytest.mark.parametrize("typed", NEXT_FRIDAY)
def test_next_weekday_is_that_day_of_next_week(monkeypatch, today, typed) -> None:
    """Weeks start on Monday: said anywhere in the week of 7–13 December, "next friday"
    is the 18th (only 5 days ahead on the Sunday, 11 on the Monday)."""
    _today(monkeypatch, today)
    assert parse.day(typed) == date(2026, 12, OF_NEXT_WEEK[today])


@pytest.mark.parametrize("today", WEEK, ids=lambda day: day.strftime("%a"))
@pytest.mark.parametrize("typed", THIS_FRIDAY)
def test_at_a_weekday_is_the_last_one_today_included(monkeypatch, today, typed) -> None:
    """`--at friday` says when something happened: the last Friday, the end of that day,
    or now when today is a Friday."""
    _today(monkeypatch, today)
    found = parse.moment(typed)
    if today.weekday() == 4:
        assert found == datetime.fromisoformat("2026-12-11T10:00:00+07:00")
    else:
        assert found == datetime.fromisoformat(f"2026-12-{LAST[today]:02d}T23:59:59+07:00")
    assert parse.moment(f"{typed} 09:30").isoformat() == (
        f"2026-12-{LAST[today]:02d}T09:30:00+07:00"
    )


@pytest.mark.parametrize("today", WEEK, ids=lambda day: day.strftime("%a"))
@pytest.mark.parametrize("typed", NEXT_FRIDAY)
def test_at_next_weekday_is_in_the_future(monkeypatch, today, typed) -> None:
    _today(monkeypatch, today)
    with pytest.raises(InvalidValue, match="is in the future"):
        parse.moment(typed)


# Each name, from Wednesday 9 December: (day alone, that day of next week, the last one).
_EACH_DAY = {
    ("monday", "mon", "จันทร์", "วันจันทร์"): (14, 14, 7),
    ("tuesday", "tue", "อังคาร", "วันอังคาร"): (15, 15, 8),
    ("wednesday", "wed", "พุธ", "วันพุธ"): (9, 16, 9),
    ("thursday", "thu", "พฤหัส", "วันพฤหัสบดี"): (10, 17, 3),
    ("friday", "fri", "ศุกร์", "วันศุกร์"): (11, 18, 4),
    ("saturday", "sat", "เสาร์", "วันเสาร์"): (12, 19, 5),
    ("sunday", "sun", "อาทิตย์", "วันอาทิตย์"): (13, 20, 6),
}


@pytest.mark.parametrize(("names", "days"), list(_EACH_DAY.items()), ids=lambda x: str(x[0]))
def test_each_weekday_in_english_and_thai(monkeypatch, names, days) -> None:
    _today(monkeypatch, date(2026, 12, 9))
    alone, of_next_week, last = (date(2026, 12, day) for day in days)
    english, short, thai, thai_with_day = names
    for typed in (english, english.upper(), short, short.title(), thai, thai_with_day):
        assert parse.day(typed) == alone, typed
        assert parse.moment(typed).date() == last, typed
    for typed in (f"this {english}", f"This {short}", f"{thai_with_day}นี้"):
        assert parse.day(typed) == alone, typed
    for typed in (f"next {english}", f"next {short}", f"{thai_with_day}หน้า"):
        assert parse.day(typed) == of_next_week, typed


def test_thai_thursday_and_sunday_have_their_own_words() -> None:
    """อาทิตย์ is Sunday and "week": อาทิตย์หน้า stays next week (7 days), อาทิตย์นี้ (this
    week) names no day; with วัน it is Sunday. Thursday is พฤหัส or พฤหัสบดี."""
    # The clock is pinned to Friday 27 November 2026.
    assert parse.day("อาทิตย์หน้า") == date(2026, 12, 4)
    assert parse.day("วันอาทิตย์หน้า") == date(2026, 12, 6)
    assert parse.day("วันอาทิตย์นี้") == date(2026, 11, 29)
    assert parse.day("พฤหัสหน้า") == parse.day("พฤหัสบดีหน้า") == date(2026, 12, 3)
    with pytest.raises(InvalidValue, match="is not a date"):
        parse.day("อาทิตย์นี้")


@pytest.mark.parametrize(
    "typed", ["someday", "fridays", "next", "friday next", "last friday", "วัน", "ศุกร", "เดือนนี้"]
)
def test_what_is_no_weekday_is_still_refused_with_the_forms(typed) -> None:
    with pytest.raises(InvalidValue, match=re.escape("friday, next friday, +3d")) as refused:
        parse.day(typed)
    assert f'"{typed}" is not a date; use YYYY-MM-DD' in str(refused.value)
    with pytest.raises(InvalidValue, match=re.escape("today, yesterday, friday, -3d or -2w")):
        parse.moment(typed)


# -- as typed at the command line ---------------------------------------------------------


def ok(result):
    assert result.exit_code == 0, result.stderr + result.stdout
    return result


@pytest.mark.parametrize(
    ("typed", "due"),
    [("ศุกร์หน้า", "2026-12-04"), ("วันศุกร์", "2026-11-27"), ("next monday", "2026-11-30")],
)
def test_a_next_action_is_due_on_a_weekday(cli, typed, due) -> None:
    ok(cli("add", "ERP"))
    ok(cli("next", "1", "โทรติดตาม", "--due", typed))
    assert cli.json("show", "1")["next_action"]["due"] == due


def test_a_close_date_and_a_backdated_note_on_a_weekday(cli) -> None:
    ok(cli("add", "ERP", "--close", "friday", "--at", "2026-11-01"))
    assert cli.json("show", "1")["expected_close"] == "2026-11-27"
    ok(cli("note", "1", "called", "--at", "wednesday 14:30"))
    notes = [e for e in cli.json("show", "1")["events"] if e["type"] == "note"]
    assert notes[0]["at"].startswith("2026-11-25T14:30")


def test_a_refused_date_lists_the_weekdays_in_thai(cli) -> None:
    ok(cli("add", "ERP"))
    refused = cli("--lang", "th", "next", "1", "โทร", "--due", "วันศุกร")
    assert refused.exit_code == 1
    assert "วันศุกร์, ศุกร์หน้า (หรือ today," in refused.stderr
    refused = cli("--lang", "th", "note", "1", "โทร", "--at", "วันศุกร")
    assert refused.exit_code == 1
    assert "friday (วันศุกร์ที่ผ่านมา)" in refused.stderr
