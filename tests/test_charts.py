"""The stage chart: pipeline order, hidden disabled stages, numbers, and exact alignment."""

from __future__ import annotations

import re

import pytest
from tests.checks import ok

from salespipe.core.errors import InvalidValue
from salespipe.present import textwidth
from salespipe.present.charts import BAR, Bar, bar_chart
from test_reports import built_once

pytestmark = pytest.mark.usefixtures("each_backend")

THAI_STAGES = ["ติดต่อนำเสนอ", "กำลังพิจารณา", "เสนอราคา", "เจรจาต่อรอง", "อนุมัติซื้อ"]


def chart_lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line]


def widths(text: str) -> set[int]:
    """The widths of the frame's lines; the title's and footer's are at most theirs, and
    no line ends in a space (a piped title was padded to the width)."""
    lines = chart_lines(text)
    frame = {textwidth.width(line) for line in lines if "│" in line or "┤" in line}
    assert all(textwidth.width(line) <= max(frame) for line in lines)
    assert not any(line.endswith(" ") for line in lines)
    return frame


def bar_row(text: str, label: str) -> str:
    return next(line for line in text.split("\n") if line.lstrip().startswith(label + "┤"))


@pytest.fixture
def thai_deals(cli, db_path) -> None:
    """Open deals in four of the five Thai default stages (2, 1, 3, 0, 1)."""
    built_once("thai deals", db_path, lambda: build_thai_deals(cli))


def build_thai_deals(cli) -> None:
    ok(cli("--lang", "th", "init"))
    for stage, count in (("1", 2), ("2", 1), ("3", 3), ("5", 1)):
        for n in range(count):
            ok(cli("add", f"ดีล {stage}-{n}", "--stage", stage, "--value", "150k"))


@pytest.mark.parametrize("width", [None, "60"])
def test_thai_default_stages_align_exactly(cli, thai_deals, width) -> None:
    """Every line has the same display width, at the default 80 columns and at --width 60."""
    args = ["chart"] + (["--width", width] if width else [])
    result = cli(*args)
    ok(result)
    assert widths(result.stdout) == {int(width or 80)}
    rows = [bar_row(result.stdout, name) for name in THAI_STAGES]
    axis = {textwidth.width(row[: row.index("┤")]) for row in rows}
    assert len(axis) == 1  # the axis sits in the same column on every bar row


def test_bars_follow_pipeline_order_with_their_numbers(cli, thai_deals) -> None:
    """One bar per stage top to bottom in pipeline order, each count printed beside it."""
    text = cli("chart").stdout
    order = [line.split("┤")[0].strip() for line in text.split("\n") if "┤" in line]
    assert order == THAI_STAGES
    numbers = [bar_row(text, name).rstrip("│ ").split(" ")[-1] for name in THAI_STAGES]
    assert numbers == ["2", "1", "3", "0", "1"]
    longest = bar_row(text, "เสนอราคา").count("█")
    assert longest > bar_row(text, "ติดต่อนำเสนอ").count("█") > bar_row(text, "กำลังพิจารณา").count("█")
    assert bar_row(text, "เจรจาต่อรอง").count("█") == 0


def test_stage_order_changes_the_bars(cli, thai_deals) -> None:
    """After `stage order` the chart follows the new order."""
    ok(cli("stage", "order", "เสนอราคา"))
    data = cli.json("chart")
    assert [s["key"] for s in data["stages"]][:2] == ["quoted", "presented"]


def test_mixed_thai_and_english_names_align(cli, pipeline) -> None:
    """Custom names mixing scripts and a long name stay aligned at 80 and 60 columns."""
    ok(cli("stage", "rename", "presented", "Demo สาธิตสินค้า"))
    ok(cli("stage", "rename", "considering", "ทดลองใช้ Trial"))
    ok(cli("stage", "add", "ส่งมอบและติดตั้งระบบ Installation and go-live"))
    ok(cli("add", "Deal", "--stage", "Demo", "--value", "1.5m"))
    ok(cli("add", "Other", "--stage", "ส่งมอบ", "--value", "20k"))
    for width in ("80", "60"):
        for by in ("count", "value", "weighted"):
            result = cli("chart", "--width", width, "--by", by)
            ok(result)
            assert widths(result.stdout) == {int(width)}, result.stdout


def test_disabled_stage_hidden_unless_all_stages(cli, pipeline) -> None:
    """A disabled stage has no bar, and comes back with --all-stages."""
    ok(cli("stage", "disable", "negotiating"))
    shown = [s["key"] for s in cli.json("chart")["stages"]]
    assert shown == ["presented", "considering", "quoted", "approved"]
    assert "Negotiating┤" not in cli("chart").stdout
    every = [s["key"] for s in cli.json("chart", "--all-stages")["stages"]]
    assert "negotiating" in every
    assert "Negotiating┤" in cli("chart", "--all-stages").stdout


def test_value_charts_are_per_currency(cli, pipeline) -> None:
    """THB and USD values get a chart each, never one sum."""
    ok(cli("add", "Baht deal", "--value", "1,250,000"))
    ok(cli("add", "Dollar deal", "--value", "5000", "--currency", "USD", "--stage", "quoted"))
    data = cli.json("chart", "--by", "value")
    assert data["by"] == "value"
    assert data["stages"][0]["value"] == {"THB": 1250000}
    assert data["stages"][2]["value"] == {"USD": 5000}
    text = cli("chart", "--by", "value").stdout
    assert "value, THB" in text
    assert "value, USD" in text
    assert "1,250,000" in bar_row(text, "Presented")
    weighted = cli("chart", "--by", "weighted").stdout
    assert "125,000" in weighted  # 10 % of 1,250,000


def test_piped_chart_is_plain(cli, thai_deals) -> None:
    """Output to a pipe carries no colour codes."""
    assert "\x1b" not in cli("chart").stdout


def test_width_too_small_is_a_usage_error(cli, pipeline) -> None:
    """--width below 30 columns is refused by the command line."""
    result = cli("chart", "--width", "20")
    assert result.exit_code == 2


def test_chart_json_shape(cli, thai_deals) -> None:
    """--json gives the series: by, as_of and per stage key, name, count, value, weighted."""
    data = cli.json("chart")
    assert data["by"] == "count"
    assert data["as_of"] == "2026-11-27"
    first = data["stages"][0]
    assert first == {
        "key": "presented",
        "name": "ติดต่อนำเสนอ",
        "count": 2,
        "value": {"THB": 300000},
        "weighted_value": {"THB": 30000},
    }


def test_bar_chart_lines_have_equal_width_and_numbers_fit() -> None:
    """The drawing itself: exact width, numbers after their bars, inside the frame."""
    bars = [
        Bar(name, amount, f"{amount:,}")
        for name, amount in zip(THAI_STAGES, [12_000_000, 0, 3, 999_999_999, 7], strict=True)
    ]
    for width in (30, 45, 80, 120):
        text = bar_chart(bars, width=width, title="ยอดขาย", footer="รวม")
        assert widths(text) == {width}
        for bar in bars:
            row = bar_row(text, textwidth.clip(bar.label, max(6, min(24, width // 3))))
            after_axis = row.split("┤", 1)[1]
            assert re.fullmatch(rf"█* {re.escape(bar.text)} +│", after_axis), row


def test_a_number_with_thai_marks_beside_its_bar_keeps_the_frame_straight() -> None:
    """The forecast's range beside a bar (`฿2.9ล้าน`) has tone marks that take no cell;
    written over the line by code point it pulled the right frame in by one a mark."""
    bars = [
        Bar("2569-12", 2_703_950, "฿2,703,950 (฿0 / ฿2.9ล้าน / ฿4.5ล้าน)"),
        Bar("หลังจากนั้น", 1_842_600, "฿1,842,600 (฿7.4หมื่น / ฿1.7ล้าน / ฿3.5ล้าน)"),
        Bar("ไม่ระบุวัน", 81_600, "฿81,600"),
    ]
    for width in (60, 80, 140):
        text = bar_chart(bars, width=width)
        assert widths(text) == {width}
        row = bar_row(text, "หลังจากนั้น")
        assert re.fullmatch(rf"█+ {re.escape(bars[1].text)} +│", row.split("┤", 1)[1]), row


def test_colour_only_paints_the_bars() -> None:
    """With colour the bars are wrapped in ANSI codes; removing them gives the plain chart."""
    bars = [Bar("A", 3, "3"), Bar("B", 1, "1")]
    plain = bar_chart(bars, width=40)
    coloured = bar_chart(bars, width=40, color=True)
    assert "\x1b[34m" in coloured
    assert coloured.replace("\x1b[34m", "").replace("\x1b[0m", "") == plain


def test_many_bars_are_drawn_one_row_each() -> None:
    """With more than ten bars there is no gap row, and every bar keeps its label."""
    bars = [Bar(f"month {n}", n, str(n)) for n in range(1, 25)]
    text = bar_chart(bars, width=60)
    assert len(chart_lines(text)) == 24 + 2
    assert widths(text) == {60}


@pytest.mark.parametrize("count", [2, 9, 10, 11, 12, 15, 20, 33, 60])
def test_each_bar_is_drawn_on_its_own_row_and_only_there(count: int) -> None:
    """A pipeline of 20 stages drew a 1 as long on the row of the empty stage under it as
    on its own, and a USD 7,500 bar as long as a USD 250,000 one: with more than ten
    bars each bar straddled two rows. On every row a bar is as long as its amount
    ranks it, none where the amount is 0, and no bar is drawn between the labels."""
    amounts = [(n * 7919 + count) % 6 * (n % 4) for n in range(count)]
    amounts[count // 2] = max(amounts) + 1
    bars = [Bar(f"stage {n}", amount, str(amount)) for n, amount in enumerate(amounts)]
    for width in (40, 80, 140):
        lines = bar_chart(bars, width=width).split("\n")
        labelled = [line for line in lines if "┤" in line]
        assert len(labelled) == count
        assert not [line for line in lines if "┤" not in line and BAR in line]
        cells = [line.count(BAR) for line in labelled]
        assert [c == 0 for c in cells] == [a == 0 for a in amounts], "\n".join(lines)
        by_amount = sorted(zip(amounts, cells, strict=True))
        assert [c for _a, c in by_amount] == sorted(cells), "\n".join(lines)


@pytest.mark.parametrize("width", [40, 60])
def test_a_long_title_goes_on_over_lines_and_keeps_its_date(width: int) -> None:
    """At 60 columns the title was cut to "(as of 27 Nov 202…"; each line is still the
    chart's width."""
    title = "Open deals by stage: number of open deals (as of 27 Nov 2026)"
    footer = "7 open deals, 3 of them stale (over the stage's target days)"
    chart = bar_chart([Bar("Presented", 3, "3")], width=width, title=title, footer=footer)
    assert widths(chart) == {width}
    words = " ".join(chart.split())
    assert title in words
    assert footer in words
    assert "…" not in chart


def test_short_amounts_round_halves_up_as_people_do() -> None:
    """The forecast chart showed a P50 of ฿1,450,000 as ฿1.4M (Decimal's half-even)."""
    from decimal import Decimal

    from salespipe.present.report_views import short_money

    assert short_money(Decimal("1450000"), "THB") == "฿1.5M"
    assert short_money(Decimal("1250000"), "THB") == "฿1.3M"
    assert short_money(Decimal("249500"), "THB") == "฿250k"
    assert short_money(Decimal("2500"), "USD") == "USD 3k"


def test_short_amounts_of_billions_and_more_take_their_unit() -> None:
    """Ten trillion read "฿10000001.8M" and 98.8 billion won "KRW 98765.4M" in the
    forecast's range labels (a trial); 999,600 read "฿1000k"."""
    from decimal import Decimal

    from salespipe.present.report_views import short_money

    assert short_money(Decimal("10000001800000"), "THB") == "฿10.0T"
    assert short_money(Decimal("98765400000"), "KRW") == "KRW 98.8B"
    assert short_money(Decimal("999600"), "THB") == "฿1.0M"
    assert short_money(Decimal("999960000"), "THB") == "฿1.0B"
    assert short_money(Decimal("-2500000"), "THB") == "฿-2.5M"
    assert short_money(Decimal("999.5"), "THB") == "฿1k"  # (a review: ฿1000)
    assert short_money(Decimal("-0"), "THB") == "฿0"


def test_short_amounts_under_one_keep_their_fraction() -> None:
    """A forecast range of 40 satang read ฿0, and of 70 satang ฿1 (a forecasting trial)."""
    from decimal import Decimal

    from salespipe.present.report_views import short_money

    assert short_money(Decimal("0.4"), "THB") == "฿0.40"
    assert short_money(Decimal("0.7"), "USD") == "USD 0.70"
    assert short_money(Decimal("-0.4"), "THB") == "฿-0.40"
    assert short_money(Decimal("0"), "THB") == "฿0"
    assert short_money(Decimal("1.4"), "THB") == "฿1"


def test_a_forecast_row_with_nothing_expected_shows_a_dash_in_the_chart_too(cli) -> None:
    """The forecast table showed "—" for a month with nothing expected (the demo's past
    due row) and its chart "฿0" for the same row."""
    ok(cli("demo", "--seed", "5", "--deals", "40"))
    shown = cli("forecast", "--width", "100").stdout
    table_rows = {
        line.split()[0] if not line.startswith("past due") else "past due": line
        for line in shown.split("\n")
        if line[:1].isdigit() or line.startswith(("past due", "later", "no date"))
    }
    empty = [period for period, line in table_rows.items() if line.rstrip().endswith("—")]
    assert empty, shown  # the case this is about: some row has nothing expected
    for period in empty:
        drawn = bar_row(shown, period)
        assert drawn.split("┤", 1)[1].strip(" │") == "—", drawn


def test_a_bar_whose_text_does_not_fit_shows_its_short_text() -> None:
    """The forecast's bars carry their P10-P90 range; at 40 columns it did not fit, and
    `salespipe forecast` printed its tables and then failed (exit 1)."""
    bars = [
        Bar("2026-12", 2_703_950, "฿2,703,950 (฿1.2m / ฿2.6m / ฿4.1m)", "฿2,703,950"),
        Bar("2027-01", 924_900, "฿924,900 (฿0 / ฿800k / ฿1.9m)", "฿924,900"),
    ]
    wide = bar_chart(bars, width=80)
    assert "(฿1.2m / ฿2.6m / ฿4.1m)" in wide
    narrow = bar_chart(bars, width=40)
    assert "฿2,703,950 " in narrow
    assert "฿1.2m" not in narrow
    assert widths(narrow) == {40}


def test_a_chart_too_narrow_names_a_width_that_draws_it() -> None:
    """The refusal said "--width 50 or more" whatever the numbers, and at --width 50 and
    60 the same refusal came again."""
    bars = [Bar("no date", 1.0, "฿9,999,999,999,999 / ฿9,999,999,999,999"), Bar("x", 2.0, "฿1")]
    with pytest.raises(InvalidValue) as refused:
        bar_chart(bars, width=30)
    named = int(re.search(r"--width (\d+)", refused.value.message)[1])
    assert widths(bar_chart(bars, width=named)) == {named}
    with pytest.raises(InvalidValue):  # the least that draws it
        bar_chart(bars, width=named - 1)
    long_labels = [Bar("a label of some length", 9_999_999_999_999, "฿9,999,999,999,999")]
    with pytest.raises(InvalidValue) as refused:  # (its label takes more cells as it widens)
        bar_chart(long_labels, width=30)
    named = int(re.search(r"--width (\d+)", refused.value.message)[1])
    assert widths(bar_chart(long_labels, width=named)) == {named}


def test_the_forecast_fits_a_40_column_terminal(cli, monkeypatch) -> None:
    ok(cli("demo", "--seed", "5", "--deals", "40"))
    monkeypatch.setenv("COLUMNS", "40")
    shown = cli("forecast")
    ok(shown)
    assert "Expected by month" in shown.stdout


def test_a_terminal_too_narrow_for_the_chart_prints_the_tables_and_says_so(
    cli, monkeypatch
) -> None:
    """At 30 columns with amounts of a trillion, forecast printed its tables and then
    failed (exit 1) for the chart it could not draw at a width nobody asked for."""
    ok(cli("add", "Big", "--value", "123456789012.50", "--close", "+10d"))
    ok(cli("add", "Small", "--value", "USD 9,999,999,999,999.99", "--close", "+40d"))
    monkeypatch.setenv("COLUMNS", "30")
    shown = cli("forecast")
    ok(shown)
    assert "Range of the won value" in shown.stdout
    assert "The chart is too narrow for its numbers; use --width" in shown.stderr
    asked = cli("forecast", "--width", "30")  # asked for: refused, as before
    assert asked.exit_code == 1


def test_chart_alone_too_wide_for_the_terminal_fails_rather_than_print_nothing(
    cli, monkeypatch
) -> None:
    """`chart` is only its chart: at 30 columns it printed nothing, said why on stderr
    and exited 0, which a script took for a chart drawn (a scripting trial)."""
    ok(cli("add", "Small", "--value", "USD 9,999,999,999,999.99"))
    monkeypatch.setenv("COLUMNS", "30")
    shown = cli("chart", "--by", "value")
    assert shown.exit_code == 1
    assert shown.stdout == ""
    assert "The chart is too narrow for its numbers; use --width" in shown.stderr


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("5000", "฿5พัน"),
        ("25000", "฿2.5หมื่น"),
        ("349500", "฿3.5แสน"),
        ("999960", "฿1ล้าน"),
        ("1450000", "฿1.5ล้าน"),
        ("4000000", "฿4ล้าน"),
        ("98765400000", "฿98.8พันล้าน"),
    ],
)
def test_short_amounts_in_thai_count_in_thai_words(value: str, shown: str) -> None:
    """In Thai the forecast's chart and range read ฿1.5M and USD 25k (a Thai trial): a
    Thai reader counts in แสน and ล้าน."""
    from decimal import Decimal

    from salespipe.core import i18n
    from salespipe.present.report_views import short_money

    i18n.set_language("th")
    try:
        assert short_money(Decimal(value), "THB") == shown
    finally:
        i18n.set_language("en")


def test_the_main_currencys_chart_comes_first_then_the_others_as_the_table_lists_them(
    cli, tmp_path
) -> None:
    """In a pipeline mostly in baht with one euro deal, `forecast` drew the EUR chart
    before the THB one (a trial): the charts went in the alphabet's order, whatever the
    currency of the config. The config's currency is drawn first, then the others in
    the table's order (the alphabet's), in `forecast`, `chart --by value` and the page
    `report --html` writes."""
    for title, value in (("Servers", "1,250,000"), ("Racks", "500,000")):
        ok(cli("add", title, "--value", value, "--close", "+20d"))
    ok(cli("add", "Lyon office", "--value", "EUR 8,000", "--close", "+20d"))
    ok(cli("add", "Boston office", "--value", "USD 9,000", "--close", "+20d"))

    def order(text: str, marker: str) -> list[str]:
        return re.findall(marker + r"(EUR|THB|USD)", " ".join(text.split()))

    forecast = cli("forecast").stdout
    assert order(forecast, "won \\+ weighted open, ") == ["THB", "EUR", "USD"]
    assert order(cli("chart", "--by", "value").stdout, "value, ") == ["THB", "EUR", "USD"]
    page = tmp_path / "report.html"
    ok(cli("report", "--html", str(page)))
    shown = page.read_text(encoding="utf-8")
    drawn = order(shown, "won \\+ weighted open, ")  # (each chart's title, and its label)
    assert list(dict.fromkeys(drawn)) == ["THB", "EUR", "USD"]

    ok(cli("config", "set", "currency", "USD"))
    assert order(cli("forecast").stdout, "won \\+ weighted open, ") == ["USD", "EUR", "THB"]
