"""How a table gives way when the output is narrow: text first, then optional columns
(said below it), then one field per line; colour only repeats what the text says."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from salespipe.cli import output
from salespipe.present import render, textwidth, thaibreak
from salespipe.present.render import Column, Table

AMOUNT = "฿12,500,000.50"


def _table() -> Table:
    return Table(
        columns=[
            Column("ID", "right"),
            Column("Title", shrink=True),
            Column("Customer", shrink=True, drop=2),
            Column("Value", "right"),
            Column("Due"),
            Column("Next action", wrap=True, drop=1),
        ],
        rows=[["1", "Office air conditioning", "Thai Healthcare", AMOUNT, "2026-11-20!", "Call"]],
        title="Deals",
        footer="1 deal",
        styles={(0, 4): "overdue"},
    )


def test_a_wide_enough_output_shows_every_column() -> None:
    lines = render.plain([_table()], width=100).splitlines()
    assert lines[1].split() == ["ID", "Title", "Customer", "Value", "Due", "Next", "action"]
    assert not any("Not shown" in line for line in lines)


def test_optional_columns_go_first_and_are_named() -> None:
    """Narrower: the optional columns are left out, the most optional first, and a line
    below the table names them; the figures stay whole."""
    only_customer = render.plain([_table()], width=60).splitlines()
    assert "Next action" in only_customer[1]
    assert only_customer[-1] == "Not shown at this width: Customer."
    lines = render.plain([_table()], width=50).splitlines()
    assert "Customer" not in lines[1]
    assert "Next action" not in lines[1]
    assert lines[-1] == "Not shown at this width: Customer, Next action."
    assert AMOUNT in "\n".join(lines)
    assert all(textwidth.width(line) <= 50 for line in lines)


def test_an_empty_optional_column_goes_without_a_word() -> None:
    table = _table()
    table.rows[0][2] = ""
    lines = render.plain([table], width=100).splitlines()
    assert "Customer" not in lines[1]
    assert not any("Not shown" in line for line in lines)


def test_too_narrow_even_so_one_field_per_line() -> None:
    """When even without its optional columns the table does not fit, each row is shown
    one field per line: nothing cut, every line within the width."""
    lines = render.plain([_table()], width=34).splitlines()
    assert lines[0] == "Deals"
    assert "Value        " + AMOUNT in lines  # labels as wide as "Next action"
    assert "Due          2026-11-20!" in lines
    assert "Customer     Thai Healthcare" in lines
    assert all(textwidth.width(line) <= 34 for line in lines)
    assert lines[-1] == "1 deal"


def test_colour_repeats_the_text_and_never_replaces_it() -> None:
    coloured = render.plain([_table()], width=100, color=True)
    plain = render.plain([_table()], width=100)
    assert "\x1b[31m2026-11-20!\x1b[0m" in coloured
    assert "\x1b[" not in plain
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("no_color", "colour"), [(None, True), ("", True), ("1", False)])
def test_no_color_empty_counts_as_unset(
    monkeypatch: pytest.MonkeyPatch, no_color: str | None, colour: bool
) -> None:
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    monkeypatch.setenv("TERM", "xterm")
    assert output.for_terminal(_Terminal()) is colour


def test_piped_width_is_columns_or_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "64")
    assert output.width(io.StringIO()) == 64
    monkeypatch.delenv("COLUMNS")
    assert output.width(io.StringIO()) == 80


@pytest.mark.skipif(not thaibreak.available(), reason="the system has no libthai")
def test_thai_wraps_between_words() -> None:
    """A Thai sentence (no spaces) wraps at word boundaries, not inside a word."""
    text = "ลูกค้าต้องการให้รวมค่าติดตั้งและอบรมพนักงาน"
    words = thaibreak.words(text)
    assert "".join(words) == text
    assert "ติดตั้ง" in words
    lines = textwidth.wrap(text, 12)
    assert "".join(lines) == text
    assert all(textwidth.width(line) <= 12 for line in lines)
    for line in lines:  # each line is whole words
        assert line == "".join(thaibreak.words(line))
        assert any(line.startswith(word) for word in words)


@pytest.mark.skipif(not thaibreak.available(), reason="the system has no libthai")
def test_a_thai_run_wider_than_a_line_starts_on_the_line_it_follows() -> None:
    """On the board a late next action showed as "!" alone on its line and the Thai action
    under it, cut mid-word ("ฝ่ายจัด" / "ซื้อ"): a run of Thai that is cut anyway now fills
    the line it follows, between words."""
    text = "! โทรติดตามใบเสนอราคากับฝ่ายจัดซื้อ (เลยกำหนด 7 วัน)"
    lines = textwidth.wrap(text, 25)
    assert lines[0].startswith("! โทรติดตาม")
    assert all(textwidth.width(line) <= 25 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    words = thaibreak.words("โทรติดตามใบเสนอราคากับฝ่ายจัดซื้อ")
    assert lines[0].removeprefix("! ") == "".join(words[: len(words) - 2])
    # a run that fits on a line of its own still goes there whole, unless that would
    # leave a mark alone on its line: then the mark keeps its first words
    assert textwidth.wrap("ราคา เสนอราคา", 9) == ["ราคา", "เสนอราคา"]
    assert textwidth.wrap("! เสนอราคา", 9) == ["! เสนอ", "ราคา"]


@pytest.mark.parametrize(
    "text",
    [
        "! ส่งใบเสนอราคาฉบับแก้ไขให้ลูกค้า (เลยกำหนด 6 วัน)",
        "! https://siamfoods.example/q (6 days late)",
        "! Call https://siamfoods.example/q (6 days late)",
    ],
)
def test_a_mark_is_never_left_alone_on_its_line(text: str) -> None:
    """The board's "!" stood alone on its line at 80 columns, its action under it, where
    the action's first word (a Thai run, a link) fitted a line but not beside the mark (a
    trial in tmux): the mark keeps the first part of the word with it."""
    lines = textwidth.wrap(text, 25)
    assert all(line.strip() not in ("!", "") for line in lines), lines
    assert all(textwidth.width(line) <= 25 for line in lines), lines
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_thai_interface_shows_the_buddhist_era_unless_configured(cli: Any) -> None:
    """A Thai interface without date_era shows BE years and Thai months; date_era ce (set
    by the user) keeps CE."""
    cli("--lang", "th", "add", "ระบบบัญชี", "--next", "โทร", "--due", "2026-12-04")
    cli("config", "set", "lang", "th")
    shown = cli("list").stdout
    assert "2569-12-04" in shown
    assert "27 พ.ย. 2569" in cli("report").stdout
    assert cli.json("list")[0]["next_action"]["due"] == "2026-12-04"  # JSON stays CE
    assert "2026-12-04" in cli("--lang", "en", "list").stdout  # English: CE by default
    cli("config", "set", "date_era", "ce")
    assert "2026-12-04" in cli("list").stdout


@pytest.mark.parametrize(
    ("title", "size"),
    [
        ("Forecast by expected close month (as of 7 Dec 2026)", 45),
        ("Deals over their stage's target days (as of 7 Dec 2026)", 49),
        ("จำนวนวันในแต่ละขั้น (ทั้งที่ผ่านไปแล้วและยังอยู่ ณ 7 ธ.ค. 2569)", 44),
    ],
)
def test_a_date_in_a_title_is_never_broken_across_lines(title: str, size: int) -> None:
    """At 45 columns forecast's title ended "(as of 7 Dec" above "2026)" (a trial in
    tmux; stale's at 49, durations' in Thai at 44): a date is kept on one line."""
    lines = textwidth.wrap(title, size)
    date = re.search(r"7 \S+ \d{4}", title)
    assert date is not None
    assert any(date.group(0) in line for line in lines), lines
    assert all(textwidth.width(line) <= size for line in lines), lines


@pytest.mark.parametrize(("lang", "args"), [("en", ("forecast",)), ("th", ("durations",))])
def test_a_report_title_keeps_its_date_whole_in_a_terminal(
    cli: Any, lang: str, args: tuple[str, ...]
) -> None:
    """The same, as a user sees it: the report on a pseudo-terminal 46 columns wide,
    where its title ended "(as of 27 Nov" above "2026)"."""
    from test_terminal_width import ANSI, in_terminal

    assert cli("--lang", lang, "init").exit_code == 0
    assert cli("add", "Cloud migration", "-v", "1m", "--close", "2026-12-31").exit_code == 0
    shown = ANSI.sub("", in_terminal(("--lang", lang, *args), 46)).splitlines()
    day = "27 Nov 2026" if lang == "en" else "27 พ.ย. 2569"
    assert day in " ".join(shown[:2]), shown
    assert any(day in line for line in shown[:2]), shown
