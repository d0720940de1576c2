"""Parsing what people type: money, dates, text and stage names."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from salespipe.core import parse
from salespipe.core.errors import AmbiguousStage, InvalidValue, StageNotFound
from salespipe.core.model import Stage, default_stages


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150000", Decimal("150000")),
        ("150,000", Decimal("150000")),
        ("150000.50", Decimal("150000.50")),
        ("150k", Decimal("150000")),
        ("1.5m", Decimal("1500000")),
        ("1.5M", Decimal("1500000")),
        ("2.5ล้าน", Decimal("2500000")),
        ("3 แสน", Decimal("300000")),
        ("฿1,200", Decimal("1200")),
        ("0", Decimal("0")),
        ("9999999999999.99", Decimal("9999999999999.99")),
        ("1,250,000.-", Decimal("1250000")),  # a whole amount, as Thai quotations write it
        ("฿1,250,000.-", Decimal("1250000")),
    ],
)
def test_money_accepts_the_forms_people_write(text: str, expected: Decimal) -> None:
    """Plain, grouped, decimal, k/m and Thai multipliers all give the exact amount."""
    assert parse.money(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        *("-5", "abc", "1.234", "1,00", "NaN", "inf", "1e5", "", "10000000000000", "1.5x"),
        *("1.000005k", ".-", "1-", "1.5 ลบ"),
    ],
)
def test_money_rejects_what_cannot_be_stored_exactly(text: str) -> None:
    """Negative, non-numbers, NaN/inf, over 2 decimals and too large amounts are refused."""
    with pytest.raises(InvalidValue):
        parse.money(text)


@pytest.mark.parametrize(
    ("text", "unit"),
    [("1.5 million", "million"), ("1.5 lakh", "lakh"), ("5 grand", "grand"), ("1.5x", "x")],
)
def test_an_unknown_unit_is_named_as_typed_with_the_units_there_are(text: str, unit: str) -> None:
    """ "1.5 million" was refused for an unknown unit "mill" (its last three letters read
    as a currency code), with no word of the units that work (a trial)."""
    with pytest.raises(InvalidValue) as refused:
        parse.money_and_currency(text)
    assert f'unknown unit "{unit}"; the units are k, m, พัน, หมื่น, แสน and ล้าน' in str(refused.value)


_THAI_UNITS = [("ล้าน", 1_000_000), ("แสน", 100_000), ("หมื่น", 10_000), ("พัน", 1_000)]


@given(
    st.lists(st.integers(1, 9), min_size=4, max_size=4),
    st.lists(st.booleans(), min_size=4, max_size=4),
    st.integers(1, 9999),
    st.sampled_from(["", " "]),
)
def test_a_sum_of_thai_units_from_the_largest_down_is_its_total(
    digits: list[int], kept: list[bool], millions: int, gap: str
) -> None:
    """ "1 ล้าน 5 แสน" (1,500,000), as Thais say an amount, was refused while "1.5 ล้าน"
    was taken (a Thai trial): units from the largest down add up, spaced or not."""
    parts = [
        (millions if unit == "ล้าน" else digit, unit, size)
        for digit, keep, (unit, size) in zip(digits, kept, _THAI_UNITS, strict=True)
        if keep
    ]
    assume(len(parts) >= 2)
    text = gap.join(f"{number}{gap}{unit}" for number, unit, _size in parts)
    assert parse.money(text) == sum(number * size for number, _unit, size in parts)
    assert parse.money_and_currency(f"{text} บาท") == (parse.money(text), "THB")


@given(st.permutations(_THAI_UNITS), st.integers(2, 4), st.integers(1, 9))
def test_thai_units_out_of_order_or_repeated_are_refused_saying_how(
    units: list[tuple[str, int]], count: int, digit: int
) -> None:
    """Units not from the largest down (or one twice) are refused in one sentence that
    says how to write them, never added up as something else."""
    chosen = [unit for unit, _size in units[:count]]
    assume(chosen != sorted(chosen, key=lambda unit: -dict(_THAI_UNITS)[unit]))
    with pytest.raises(InvalidValue, match=r"write each unit once, from the largest down"):
        parse.money(" ".join(f"{digit} {unit}" for unit in chosen))
    with pytest.raises(InvalidValue, match=r"write each unit once, from the largest down"):
        parse.money(f"{digit} {chosen[0]} {digit} {chosen[0]}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 ล้าน 5 แสน", Decimal(1_500_000)),
        ("2 แสน 5 หมื่น", Decimal(250_000)),
        ("1ล้าน2แสน5หมื่น", Decimal(1_250_000)),
        ("฿1 ล้าน 5 แสน", Decimal(1_500_000)),
    ],
)
def test_thai_unit_sums_people_say(text: str, expected: Decimal) -> None:
    assert parse.money(text) == expected


def test_a_part_as_large_as_the_unit_before_it_is_refused() -> None:
    """ "1 ล้าน 15 แสน" may mean 2.5m or be a slip for 1.5m: it is not guessed."""
    with pytest.raises(InvalidValue, match=r"as large as the unit before it"):
        parse.money("1 ล้าน 15 แสน")


def test_a_code_after_a_unit_is_still_a_currency() -> None:
    assert parse.money_and_currency("150kUSD") == (Decimal(150000), "USD")
    assert parse.money_and_currency("100EUR") == (Decimal(100), "EUR")
    assert parse.money_and_currency("USD1,200") == (Decimal(1200), "USD")


def test_misplaced_separators_say_where_they_go() -> None:
    """ "1,5m" (a decimal comma) was refused with no word of how to write it."""
    with pytest.raises(InvalidValue, match=r"before each three digits \(150,000\) and a dot"):
        parse.money("1,5m")


def test_currency_is_an_upper_case_iso_code() -> None:
    """Currency codes are upper-cased and must have three letters."""
    assert parse.currency("thb") == "THB"
    assert parse.currency("฿") == "THB"
    # as amounts are written ("250,000 บาท"): `config set currency บาท` was refused (a trial)
    assert parse.currency(" บาท ") == "THB"
    with pytest.raises(InvalidValue):
        parse.currency("baht")


def test_probability_and_target_days_bounds() -> None:
    """Probability is 0-100; target days at least 1 or none."""
    assert parse.probability("75%") == 75
    assert parse.target_days("none") is None
    assert parse.target_days("7") == 7
    for bad in ("101", "-1", "x"):
        with pytest.raises(InvalidValue):
            parse.probability(bad)
    with pytest.raises(InvalidValue):
        parse.target_days("0")


def test_day_reads_iso_buddhist_era_and_relative_forms() -> None:
    """ISO dates, BE years from 2400, today/yesterday/tomorrow, +3d and -2w all parse."""
    today = date(2026, 11, 27)
    assert parse.day("2026-01-15") == date(2026, 1, 15)
    assert parse.day("2569-01-15") == date(2026, 1, 15)
    assert parse.day("today") == today
    assert parse.day("yesterday") == today - timedelta(days=1)
    assert parse.day("tomorrow") == today + timedelta(days=1)
    assert parse.day("+3d") == today + timedelta(days=3)
    assert parse.day("-2w") == today - timedelta(days=14)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15-01-2570", date(2027, 1, 15)),  # day first with dashes, as a sheet writes it
        ("15-1-2027", date(2027, 1, 15)),
        ("2570/01/15", date(2027, 1, 15)),
        ("2027.01.15", date(2027, 1, 15)),
        ("+7วัน", date(2026, 12, 4)),
        ("อีก 7 วัน", date(2026, 12, 4)),
        ("อีก 2 สัปดาห์", date(2026, 12, 11)),
        ("+1เดือน", date(2026, 12, 27)),
        ("3 วันก่อน", date(2026, 11, 24)),
        ("-1 อาทิตย์", date(2026, 11, 20)),
        ("มะรืนนี้", date(2026, 11, 29)),
    ],
)
def test_day_reads_what_a_thai_user_types(text: str, expected: date) -> None:
    """Refused before (a Thai trial): a day-first date with dashes (which the import read),
    a year-first one with slashes, and Thai words for days ahead or ago."""
    assert parse.day(text) == expected


@pytest.mark.parametrize("text", ["15-01/2570", "7 วัน", "+3 วันก่อน", "15/1/70", "2027-01/15"])
def test_day_refuses_what_could_mean_two_things(text: str) -> None:
    """Mixed marks, a count without a direction, both directions, a two-digit year."""
    with pytest.raises(InvalidValue, match="a year of four digits"):
        parse.day(text)


@pytest.mark.parametrize(
    "text",
    [
        "15 ม.ค. 2570",
        "15 มกราคม พ.ศ. 2570",
        "15 มค 2570",
        "๑๕ ม.ค. ๒๕๗๐",
        "15 Jan 2027",
        "15 january 2027",
        "Jan 15, 2027",
        "15-Jan-2027",
    ],
)
def test_day_reads_the_month_by_its_english_or_thai_name(text: str) -> None:
    """The long dates salespipe shows (``15 ม.ค. 2570``) can be typed back, with or
    without the dots, in Thai digits, or in English."""
    assert parse.day(text) == date(2027, 1, 15)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("soon", "not a date; use YYYY-MM-DD"),
        ("+3x", "not a date; use YYYY-MM-DD"),
        ("15 Jan 27", "not a date; use YYYY-MM-DD"),
        # a known form naming no day: what is wrong with it, not the list of forms
        ("2026-02-30", "not a real date: that month has no day 30."),
        ("30/02/2026", "not a real date: that month has no day 30."),
        ("31 ก.พ. 2570", "not a real date: that month has no day 31."),
        ("2026-13-01", "not a real date: there is no month 13."),
    ],
)
def test_day_rejects_what_is_not_a_date(text: str, said: str) -> None:
    """Impossible dates and unknown forms raise InvalidValue naming the input; a WHEN
    (``--at``) says the same of its date, with a time too."""
    with pytest.raises(InvalidValue, match=re.escape(f'"{text}" is {said}')):
        parse.day(text)
    if "real date" in said:
        with pytest.raises(InvalidValue, match=re.escape(f'"{text} 10:00" is {said}')):
            parse.moment(f"{text} 10:00")


@pytest.mark.parametrize(
    ("text", "example"),
    [
        ("15/12", "15/12/2026"),
        ("27/11", "27/11/2026"),  # today counts
        ("26/11", "26/11/2027"),  # passed this year: the next one
        ("1.3", "1.3.2027"),
        ("29/02", "29/02/2028"),  # the next year that has it
        ("15 ธ.ค.", "15 ธ.ค. 2569"),  # a Thai month's name: its year in the Buddhist Era
        ("15 ธันวาคม", "15 ธันวาคม 2569"),
        ("15 Dec", "15 Dec 2026"),
        ("Dec 15", "Dec 15 2026"),
    ],
)
def test_a_day_and_month_without_a_year_is_told_to_add_it(text: str, example: str) -> None:
    """`--due 15/12` got the long list of date forms (a Thai trial); the year is not
    guessed (--as-of looks back, --due ahead) but shown added: the next such day's."""
    with pytest.raises(InvalidValue) as refused:
        parse.day(text)
    assert str(refused.value) == f'The date "{text}" has no year; add it: "{example}".'


def test_a_when_without_a_year_is_told_the_last_such_day() -> None:
    """`--at` looks back: the year shown is that of the last such day, today counting."""
    for text, example in (("15/12", "15/12/2025"), ("27/11", "27/11/2026")):
        with pytest.raises(InvalidValue, match=re.escape(f'add it: "{example}".')):
            parse.moment(text)
    with pytest.raises(InvalidValue, match="not a date; use"):  # no such day: the forms
        parse.day("31/02")


def test_a_year_outside_the_calendar_is_said_to_be_the_year() -> None:
    """0000-01-15 was said to have "no day 15": the year is what is wrong."""
    for read in (parse.day, parse.moment):
        with pytest.raises(InvalidValue, match="is outside the years 1900–2200"):
            read("0000-01-15")
    for far in ("+99999d", "-99999w", "+999999999m"):  # were "not a date": too many digits
        with pytest.raises(InvalidValue, match=re.escape(f'"{far}" is outside the years')):
            parse.day(far)


def test_moment_date_means_end_of_that_day_but_never_the_future() -> None:
    """A date-only WHEN is 23:59:59 that day; today is clipped to now."""
    moment = parse.moment("2026-11-20")
    assert (moment.year, moment.month, moment.day, moment.hour, moment.minute) == (
        2026,
        11,
        20,
        23,
        59,
    )
    now = parse.moment("today")
    assert now == datetime.fromisoformat("2026-11-27T10:00:00+07:00")
    assert parse.moment("2026-11-27") == now


@pytest.mark.parametrize("text", ["yesterday", "เมื่อวาน", "-1d", "26/11/2026"])
def test_a_relative_day_is_a_date_too_the_end_of_that_day(text: str) -> None:
    """`--at yesterday` kept the clock time (10:00), so after `--at 2026-11-26` (23:59:59)
    it was refused as before the deal's previous event; the docs call it a date."""
    assert parse.moment(text) == datetime.fromisoformat("2026-11-26T23:59:59+07:00")
    assert parse.moment("-1w") == datetime.fromisoformat("2026-11-20T23:59:59+07:00")
    with pytest.raises(InvalidValue, match="is in the future"):
        parse.moment("tomorrow")


def test_moment_reads_datetimes_in_local_time_and_buddhist_era() -> None:
    """A datetime without an offset is local (Asia/Bangkok in tests); BE years convert."""
    moment = parse.moment("2569-11-01 14:30")
    assert moment.isoformat() == "2026-11-01T14:30:00+07:00"
    assert parse.moment("2026-11-01T14:30:00+00:00").isoformat() == "2026-11-01T21:30:00+07:00"


@pytest.mark.parametrize(
    "text",
    ["01/11/2569 14:30", "1 พ.ย. 2569 14.30 น.", "1 Nov 2026 14:30", "01/11/2026, 14:30:00"],
)
def test_moment_reads_a_day_first_or_named_date_with_a_time(text: str) -> None:
    """Day-first and named-month dates take a time of day too, in local time."""
    assert parse.moment(text).isoformat() == "2026-11-01T14:30:00+07:00"


def test_moment_refuses_a_time_of_day_that_is_none() -> None:
    with pytest.raises(InvalidValue, match="DD/MM/YYYY HH:MM"):
        parse.moment("01/11/2569 25:00")


def test_text_keeps_unicode_exactly_and_refuses_controls() -> None:
    """Any script is kept as given, but for the spaces around a one-line text; control
    characters and lone surrogates are refused."""
    for value in ("สยามฟู้ดส์", "株式会社", "Ünïcödé 🚀", "in  between"):
        assert parse.text(value, what="title") == value
    assert parse.text("  spaced  ", what="title") == "spaced"
    assert parse.text("  indented\nnote ", what="note", multiline=True) == "  indented\nnote "
    with pytest.raises(InvalidValue):
        parse.text("a\x00b", what="title")
    with pytest.raises(InvalidValue):
        parse.text("line\nbreak", what="title")
    assert parse.text("line\nbreak", what="note", multiline=True) == "line\nbreak"
    with pytest.raises(InvalidValue):
        parse.text("\ud800", what="title")
    with pytest.raises(InvalidValue):
        parse.text("   ", what="title", required=True)


THAI = default_stages("th")
ENGLISH = default_stages("en")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("quoted", "quoted"),
        ("Quoted", "quoted"),
        ("QUOTED", "quoted"),
        ("3", "quoted"),
        ("neg", "negotiating"),
        ("app", "approved"),
    ],
)
def test_stage_by_key_name_position_or_prefix(name: str, key: str) -> None:
    """A stage is found by key, case-insensitive name, position or unique prefix."""
    assert parse.stage(ENGLISH, name).key == key


def test_thai_stage_names_and_prefixes() -> None:
    """Thai names match exactly, in decomposed form (NFC), and by a unique prefix."""
    assert parse.stage(THAI, "เสนอราคา").key == "quoted"
    assert parse.stage(THAI, "เสนอ").key == "quoted"
    assert parse.stage(THAI, "อนุมัติ").key == "approved"
    decomposed = "เจรจาต่อรอง".replace("\u0e33", "\u0e4d\u0e32")
    assert parse.stage(THAI, decomposed).key == "negotiating"


def test_a_key_or_own_name_beats_another_stages_default_name_in_the_other_language() -> None:
    """ "Negotiating" also answers to its Thai name; a stage added under that Thai name is
    still the one found by it, and "negotiating" (the key) still the default's, whatever
    the order (both went to the first by position: a deal moved to the wrong stage)."""
    thai_named = Stage("cherchatorong", "เจรจาต่อรอง", 0, 50)
    for stages in ([*ENGLISH, thai_named], [thai_named, *ENGLISH]):
        assert parse.stage(stages, "เจรจาต่อรอง").key == "cherchatorong"
        assert parse.stage(stages, "negotiating").key == "negotiating"
        assert parse.stage(stages, "Negotiating").key == "negotiating"
    renamed = [s if s.key != "considering" else Stage(s.key, "เสนอราคา", 2, 25) for s in ENGLISH]
    assert parse.stage(renamed, "quoted").key == "quoted"
    assert parse.stage(renamed, "เสนอราคา").key == "considering"
    assert parse.stage(renamed, "Quoted").key == "quoted"


def test_ambiguous_and_unknown_stage_list_candidates() -> None:
    """An ambiguous prefix names the candidates; an unknown name lists the stages."""
    stages = [*ENGLISH, Stage("qualified", "Qualified", 6, 30)]
    with pytest.raises(AmbiguousStage, match='"Quoted", "Qualified"'):
        parse.stage(stages, "qu")
    with pytest.raises(StageNotFound, match='"Presented"'):
        parse.stage(stages, "Closing")


def test_positions_count_only_enabled_stages() -> None:
    """With stage 2 disabled, position 2 is the third stage and the disabled one is hidden."""
    stages = [
        s
        if s.key != "considering"
        else Stage(s.key, s.name, s.position, s.probability, s.target_days, enabled=False)
        for s in ENGLISH
    ]
    assert parse.stage(stages, "2").key == "quoted"
    # said to be off, not to be missing; also by the beginning or a part of its name, as a
    # stage switched on is found ("อนุมัติ" for อนุมัติซื้อ was "there is no stage")
    for name in ("Considering", "considering", "consid", "sider"):
        with pytest.raises(StageNotFound, match='"Considering" is switched off; switch it on'):
            parse.stage(iter(stages), name)
    with pytest.raises(StageNotFound, match='There is no stage "zzz"'):
        parse.stage(stages, "zzz")
    assert parse.stage(stages, "Considering", enabled_only=False).key == "considering"


@pytest.mark.parametrize(
    "text", ["yesterday 14:30", "เมื่อวาน 14:30", "เมื่อวาน 14.30 น.", "-1d 14:30"]
)
def test_moment_reads_a_relative_day_with_a_time(text: str) -> None:
    """`--at "เมื่อวาน 14:30"` (and "yesterday 14:30") was refused, though each half is read."""
    found = parse.moment(text)
    today = parse.clock.today()
    assert (found.date(), found.hour, found.minute) == (today - timedelta(days=1), 14, 30)


def test_a_stage_a_user_named_like_a_default_answers_only_to_its_own_name() -> None:
    """A Thai "เสนอราคา" added to a new pipeline answered to "quoted", a name shown
    nowhere, which in that file was the key of another pipeline's stage renamed
    "Proposal": `move 16 quoted` moved a deal within its own pipeline. Only a default
    stage (the default key, or a pipeline's key before it) answers to both names."""
    made = [Stage("senorakha", "เสนอราคา", 1, 50, pipeline="renewals")]
    with pytest.raises(StageNotFound):
        parse.stage(made, "quoted")
    with pytest.raises(StageNotFound):
        parse.stage(made, "Quoted")
    assert parse.stage(made, "เสนอราคา").key == "senorakha"
    default = [Stage("renewals-quoted", "Quoted", 1, 50, pipeline="renewals")]
    assert parse.stage(default, "เสนอราคา").key == "renewals-quoted"
    assert parse.stage(THAI, "Quoted").key == "quoted"
