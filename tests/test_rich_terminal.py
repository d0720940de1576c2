"""A terminal gets the plain layout drawn with Rich: the same columns, widths and cell
lines, a rule under each table's header, colour as Rich styles; a pipe gets the plain
text, and never imports Rich."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import salespipe_command
from salespipe.present import render, textwidth
from salespipe.present.render import Column, Fields, Lane, Lanes, Table, Text
from test_render import fits, tables
from test_terminal_width import build, in_terminal
from test_thai_layout import assert_aligned

ANSI = re.compile(r"\x1b\[[0-9;]*m")
RULE = re.compile(r"─+")


def _lines(drawn: str) -> list[str]:
    """What a terminal shows, without colour and the spaces that end its lines."""
    return [line.rstrip() for line in ANSI.sub("", drawn).split("\n")]


def _without_rules(drawn: str) -> str:
    """The text of a terminal's output without the rules under table headers."""
    return "\n".join(line for line in _lines(drawn) if not RULE.fullmatch(line))


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
        rows=[
            [
                "1",
                "Office air conditioning",
                "Thai Healthcare",
                "฿12,500,000.50",
                "2026-11-20!",
                "Call",
            ],
            [
                "2",
                "ระบบปรับอากาศสำนักงาน",
                "บริษัท ไทยเฮลท์แคร์",
                "฿1,790,000.00",
                "2026-12-01",
                "นัดประชุมผู้บริหารฝ่ายจัดซื้อ",
            ],
        ],
        title="Deals",
        footer="2 deals",
        styles={(0, 4): "overdue", (1, 1): "lost"},
        notes={4: "! next action overdue"},
    )


@pytest.mark.parametrize("width", [34, 50, 60, 80, 140])
def test_a_terminal_shows_what_a_pipe_shows_plus_the_header_rule(width: int) -> None:
    """The layout's decisions (kept columns, widths, wrapped lines, notes, the vertical
    fall-back) are Rich's: without colour and rules the text is the plain text."""
    drawn = render.terminal([_table()], width)
    plain = render.plain([_table()], width)
    assert _without_rules(drawn) == plain
    assert all(textwidth.width(line) <= width for line in _lines(drawn))
    rules = [line for line in _lines(drawn) if RULE.fullmatch(line)]
    header = plain.splitlines()[1]
    if "Value" in header and "Due" in header:  # laid out as a table: one rule under it
        assert len(rules) == 1
        assert _lines(drawn)[2] == rules[0]
        assert len(rules[0]) >= max(textwidth.width(line) for line in plain.splitlines()[1:4])
    else:  # one field per line: no table to rule
        assert rules == []


def test_colour_is_rich_styles_on_the_marked_text() -> None:
    """The overdue day is red and the lost title dim, the header bold; colour covers the
    text only, never the padding around it."""
    drawn = render.terminal([_table()], 140)
    assert "\x1b[31m2026-11-20!\x1b[" in drawn
    assert "\x1b[2mระบบปรับอากาศสำนักงาน\x1b[" in drawn
    assert "\x1b[1mTitle" in drawn
    assert "\x1b[31m2026-11-20! " not in drawn


def test_every_style_has_its_rich_style() -> None:
    """A style a view may set is drawn in a terminal as in plain colour."""
    assert render.RICH_STYLES.keys() == render.STYLES.keys()


@settings(max_examples=150, deadline=None)
@given(table=tables(), limit=st.integers(min_value=20, max_value=100))
@example(  # blank lines in a column cut to one cell: drawn "…", so the column shows
    table=Table(
        columns=[Column("", max_width=1), Column(""), Column("ID"), Column("")],
        rows=[["\n\n", "0", "", "0"]],
    ),
    limit=20,
)
@example(  # a blank line in a column of no greatest width: nothing shows, so no rule
    table=Table(columns=[Column(""), Column("")], rows=[["\n", "0"]]),
    limit=20,
)
def test_any_table_draws_as_it_is_laid_out(table: Table, limit: int) -> None:
    """Whatever the cells (Thai marks, wide characters, several lines, wrapped text), Rich
    draws the plain layout: the same text, a rule under the header when it is a table."""
    drawn = render.terminal([table], limit)
    assert _without_rules(drawn) == render.plain([table], limit)
    if fits(table, limit) and all(
        _takes_a_cell(table, col, i) for i, col in enumerate(table.columns)
    ):
        assert any(RULE.fullmatch(line) for line in _lines(drawn))
    else:  # one field per line, or a column of nothing visible (Rich would not show it)
        assert not any(RULE.fullmatch(line) for line in _lines(drawn))


def _takes_a_cell(table: Table, column: Column, index: int) -> bool:
    """Whether the column shows anything: a visible cell as the layout cuts it (a cell of
    several lines cut to its column's greatest width is "…", even when they are blank;
    uncut, blank lines show nothing: cases hypothesis found)."""
    cells = [column.header, *(_as_cut(row[index], column) for row in table.rows)]
    return any(textwidth.block_width(cell) for cell in cells)


def _as_cut(cell: str, column: Column) -> str:
    return textwidth.clip(cell, column.max_width) if column.max_width and not column.wrap else cell


def test_fields_lanes_and_text_draw_as_they_are_laid_out() -> None:
    blocks: list[render.Block] = [
        Text("Board (as of 27 Nov 2026)", "heading"),
        Fields([("ชื่อดีล", "ระบบปรับอากาศสำหรับอาคารสำนักงานสามอาคาร"), ("Value", "฿1.00")], "Deal 1"),
        Lanes(
            [
                Lane(["Quoted", "1 deal"], [[("2  CCTV 64 cameras", None), ("43 days*", "stale")]]),
                Lane(["เจรจาต่อรอง", "0 ดีล"]),
                Lane(["Won"], [[("4  Sales training", "won")]]),
            ],
            title="Board",
            footer="* over the stage's target days",
        ),
    ]
    for width in (30, 60, 80):
        drawn = render.terminal(blocks, width)
        assert _lines(drawn) == [line.rstrip() for line in render.plain(blocks, width).split("\n")]
        assert "\x1b[33m43 days*" in drawn


def test_a_long_table_shows_the_same_under_rich_header(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past RICH_ROWS rows Rich draws the header and rule, and the rows are written as laid
    out (Rich would take seconds for thousands): the terminal shows the same text."""
    table = _table()
    table.rows *= 3
    table.styles = {(row, 4): "overdue" for row in range(0, 6, 2)}
    drawn = render.terminal([table], 140)
    monkeypatch.setattr(render, "RICH_ROWS", 2)
    fast = render.terminal([table], 140)
    assert _lines(fast) == _lines(drawn)
    assert RULE.fullmatch(_lines(fast)[2])
    assert fast.count("\x1b[31m2026-11-20!") == drawn.count("\x1b[31m2026-11-20!") == 3


def test_text_rich_would_measure_otherwise_keeps_its_plain_lines() -> None:
    """A cell Rich measures otherwise than textwidth (a Devanagari spacing mark) would be
    padded out of line by Rich: that table keeps the plain lines, in colour."""
    table = _table()
    table.rows[0][1] = "नमः Office"
    assert render.terminal([table], 140) == render.plain([table], 140, color=True)
    assert render.terminal([Text("नमः")], 80) == render.plain([Text("नमः")], 80, color=True)


@pytest.fixture(params=["en", "th"])
def lang(request: pytest.FixtureRequest, cli: Any, db_path: Path) -> str:
    build(cli, request.param)
    return str(request.param)


def _piped(args: tuple[str, ...], columns: int) -> str:
    result = subprocess.run(
        [*salespipe_command(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": str(columns)},
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode in (0, 3), result.stderr
    return result.stdout


@pytest.mark.slow
def test_a_real_terminal_draws_with_rich_and_a_pipe_does_not(lang: str) -> None:
    """On a pseudo-terminal list, agenda and board are drawn by Rich (a rule under each
    table's header); piped, the same commands print the plain text, which is the
    terminal's text without colour and rules."""
    for args, columns in ((("list",), 60), (("list",), 80), (("list",), 140), (("agenda",), 80)):
        shown = in_terminal(args, columns)
        piped = _piped(args, columns)
        assert any(RULE.fullmatch(line) for line in _lines(shown)), shown
        assert "─" not in piped
        assert "\x1b[" not in piped
        assert _without_rules(shown) == piped
    board = in_terminal(("board",), 80)
    assert _lines(board) == [line.rstrip() for line in _piped(("board",), 80).split("\n")]
    assert "\x1b[" in board


@pytest.mark.slow
def test_thai_rows_line_up_under_rich(cli: Any, db_path: Path) -> None:
    """Rich pads Thai by display cells (its cell_len agrees with textwidth on Thai): on a
    terminal, every column of a Thai list starts or ends in the same cell on every row."""
    build(cli, "th")
    lines = _lines(in_terminal(("list",), 140))
    assert RULE.fullmatch(lines[1])
    rows = [lines[0]]
    for line in lines[2:]:
        if not line.startswith(" "):  # the footer
            break
        rows.append(line)
    assert len(rows) == 6  # three deals, two of them two lines high (beside the owners)
    assert_aligned(rows, 9)


@pytest.mark.slow
def test_no_color_or_a_pipe_draws_plain_text(lang: str) -> None:
    """NO_COLOR: no colour and no Rich, the plain text laid out for the real width."""
    shown = in_terminal(("list",), 140, {"NO_COLOR": "1"})
    assert "─" not in shown
    assert "\x1b[" not in shown
    assert shown == _piped(("list",), 140)


def test_piped_output_never_imports_rich(db_path: Path) -> None:
    """Piped list, board and show draw no Rich table, so Rich is never imported."""
    subprocess.run([*salespipe_command(), "demo", "--deals", "5"], capture_output=True, check=True)
    for args in (("list",), ("board",), ("show", "1"), ("report",)):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "salespipe", *args],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert result.returncode in (0, 3), result.stderr
        assert result.stdout
        imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
        assert not {name for name in imported if name.split(".")[0] == "rich"}, args


@pytest.mark.slow
def test_a_report_per_pipeline_draws_on_a_terminal(cli: Any, db_path: Path) -> None:
    """The section headings of --pipeline all are drawn by Rich like any heading."""
    assert cli("add", "New ERP", "--value", "100k").exit_code == 0
    assert cli("pipeline", "add", "ต่ออายุสัญญา", "--stages", "copy-of", "1").exit_code == 0
    for args in (("chart", "--pipeline", "all"), ("report", "--pipeline", "all")):
        for columns in (60, 80):
            shown = in_terminal(args, columns, env={"SALESPIPE_DB": str(db_path)})
            assert "Traceback" not in shown, shown
            lines = _lines(shown)
            assert "Sales" in lines, shown
            assert "ต่ออายุสัญญา" in lines, shown


@pytest.mark.parametrize("limit", [20, 30, 60])
def test_cards_of_a_table_too_wide_draw_as_they_are_laid_out(limit: int) -> None:
    """A table that shows its rows as cards where it does not fit (stale) draws them
    with Rich as in a pipe: the same lines, the colour only on the marked one."""
    card = [("12  Office air conditioning, 3 buildings", None), ("2026-11-20! Call", "overdue")]
    table = Table(
        columns=[Column("ID"), Column("Title"), Column("Value", "right"), Column("Owner")],
        rows=[["12", "Office air conditioning, 3 buildings", "฿12,500,000.50", "somchai.k"]] * 2,
        title="Deals (as of 27 Nov 2026)",
        footer="2 deals.",
        cards=[card, card],
    )
    plain = render.plain([table], limit)
    assert _without_rules(render.terminal([table], limit)) == plain
    assert "ID" not in plain.split()
    assert all(textwidth.width(line) <= limit for line in plain.splitlines())
