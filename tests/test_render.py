"""Plain tables laid out a column at a time give what laying out each cell gives."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from salespipe.present import render, textwidth
from salespipe.present.render import GAP, Column, Table, squeezed


def cell_by_cell(table: Table, limit: int) -> list[str]:
    """The plain layout computed cell by cell, as render did before it worked by column:
    cut to max_width, widest cell per column, squeeze, then every line cut and padded."""
    cells = [
        [
            textwidth.clip(c, col.max_width) if col.max_width and not col.wrap else c
            for c, col in zip(row, table.columns, strict=True)
        ]
        for row in table.rows
    ]
    widths = [textwidth.width(col.header) for col in table.columns]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], textwidth.block_width(cell))
    lines = [
        Counter(textwidth.width(line) for row in cells for line in row[i].split("\n"))
        if col.wrap
        else None
        for i, col in enumerate(table.columns)
    ]
    # how wide each line is, counted; and each wrapped column's widest figure
    widths = squeezed(widths, table.columns, limit, lines, figures(table))

    def line(values: Sequence[str]) -> str:
        parts = [
            textwidth.pad(textwidth.clip(v, w), w, right=col.align == "right")
            for v, w, col in zip(values, widths, table.columns, strict=True)
        ]
        return (" " * GAP).join(parts).rstrip()

    lines = textwidth.wrap(table.title, limit) if table.title else []
    lines.append(line([c.header for c in table.columns]))
    for row in cells:
        pieces = [
            textwidth.wrap(v, w) if col.wrap else v.split("\n")
            for v, w, col in zip(row, widths, table.columns, strict=True)
        ]
        height = max(len(p) for p in pieces)
        lines.extend(line([p[i] if i < len(p) else "" for p in pieces]) for i in range(height))
    if table.footer:
        lines.extend(textwidth.wrap(table.footer, limit))
    return lines


# Cells of one kind per column (one-cell text, Thai with marks, wide characters, several
# lines) or mixed, so that both the column-wide fast path and the per-cell path are taken.
ALPHABETS = ["abc XYZ-–€ 0123", "กขเไะ่้ิ ab", "株会ab 🚀", "ab\ncd ", "aก株\n –"]
COLUMN = st.builds(
    Column,
    header=st.sampled_from(["", "ID", "Title", "ชื่อดีล", "A long header text"]),
    align=st.sampled_from(["left", "right"]),
    max_width=st.sampled_from([None, 1, 4, 12, 28]),
    wrap=st.booleans(),
)


@st.composite
def tables(draw: st.DrawFn) -> Table:
    columns = draw(st.lists(COLUMN, min_size=1, max_size=5))
    alphabets = [draw(st.sampled_from(ALPHABETS)) for _ in columns]
    rows = draw(
        st.lists(
            st.tuples(*(st.text(alphabet=a, max_size=30) for a in alphabets)).map(list),
            max_size=6,
        )
    )
    footer = draw(st.sampled_from([None, "3 deals, ฿1,500.00"]))
    return Table(
        columns=columns, rows=rows, title=draw(st.sampled_from([None, "Deals"])), footer=footer
    )


@settings(max_examples=400, deadline=None)
@given(table=tables(), limit=st.integers(min_value=20, max_value=100))
def test_column_layout_equals_cell_by_cell_layout(table: Table, limit: int) -> None:
    """Whatever the cells (Thai marks, wide characters, several lines, wrapped text), the
    table's lines are those of the cell-by-cell layout when it fits; when it cannot, each
    row is shown one field per line, with every fixed cell whole."""
    laid_out = render.plain([table], width=limit)
    if fits(table, limit):
        assert laid_out == "\n".join(cell_by_cell(table, limit)) + "\n"
        return
    assert all(textwidth.width(line) <= limit for line in laid_out.splitlines())
    letters = "".join(laid_out.split())  # a value wider than a line goes on the next one
    for row in table.rows:
        for cell, col in zip(row, table.columns, strict=True):
            if not col.flexible:
                assert "".join(cell.split()) in letters


def fits(table: Table, limit: int) -> bool:
    """Whether the table, its text columns squeezed, fits in ``limit`` cells."""
    widths = [textwidth.width(col.header) for col in table.columns]
    for row in table.rows:
        for i, (cell, col) in enumerate(zip(row, table.columns, strict=True)):
            if col.max_width and not col.wrap:
                cell = textwidth.clip(cell, col.max_width)
            widths[i] = max(widths[i], textwidth.block_width(cell))
    widths = squeezed(widths, table.columns, limit, figures=figures(table))
    return sum(widths) + GAP * (len(widths) - 1) <= limit


def figures(table: Table) -> list[int]:
    """Per column, the widest amount or date a wrapped column that must stay keeps whole
    (render's rule, counted cell by cell)."""
    return [
        max(
            (textwidth.width(w) for row in table.rows for w in render._FIGURE.findall(row[i])),
            default=0,
        )
        if col.wrap and not col.drop
        else 0
        for i, col in enumerate(table.columns)
    ]


def test_a_header_wider_than_the_column_limit_still_cuts_its_cells() -> None:
    """Cells are cut to max_width even when the header makes the column wider."""
    table = Table(
        columns=[Column("A header wider than six", max_width=6), Column("N", "right")],
        rows=[["abcdefghij", "1"], ["abc", "22"]],
    )
    assert render.plain([table], width=80).splitlines() == [
        "A header wider than six   N",
        "abcde…                    1",
        "abc                      22",
    ]


def test_squeezed_text_columns_are_cut_once_to_their_width() -> None:
    """A text column squeezed below its max_width shows each cell cut to the squeezed
    width, with one ellipsis."""
    table = Table(
        columns=[Column("ID", "right"), Column("Title", max_width=28), Column("Value", "right")],
        rows=[["1", "Office air conditioning – Thai Healthcare Co.", "฿154,000.00"]],
    )
    assert render.plain([table], width=30).splitlines() == [
        "ID  Title                Value",
        " 1  Office air c…  ฿154,000.00",
    ]


def test_fields_too_narrow_for_values_beside_their_labels_go_under_them() -> None:
    """report at 40 columns: "Win rate  32% by count, 41% b|y value" ran one cell past
    the edge (the values kept 20 cells beside a 19-cell label). Each value now goes
    under its label, all of it kept."""
    pairs = [("Average sales cycle", "53.1 days"), ("Win rate", "32% by count, 41% by value")]
    for width in (30, 36, 40):
        text = render.plain([render.Fields(pairs, title="Results")], width)
        assert max(textwidth.width(line) for line in text.split("\n")) <= width
        assert "32% by count, 41% by value" in " ".join(text.split())
    wide = render.plain([render.Fields(pairs)], 80).split("\n")
    assert wide[1].startswith("Win rate")
    assert wide[1].endswith("32% by count, 41% by value")


def test_the_column_with_more_to_wrap_keeps_its_width() -> None:
    """The log at 80 columns made "What" and "Reason" equally narrow, so every change's
    "What" wrapped for the sake of the one long reason: the column narrowed is now the
    one that adds the fewest lines by it."""
    what = "edited: value 100,000.00 → 1,300,000.00"
    reason = "the customer asked for a revised quotation with a special discount"
    table = Table(
        columns=[Column("When"), Column("What", wrap=True), Column("Reason", wrap=True)],
        rows=[["2026-11-27 03:00", what, ""] for _ in range(6)]
        + [["2026-11-27 03:00", "moved: Presented → Quoted", reason]],
    )
    lines = render.plain([table], width=80).splitlines()
    assert all(textwidth.width(line) <= 80 for line in lines)
    assert sum(what in line for line in lines) == 6  # each on one line
    at = lines[0].index("Reason")
    below = [line[at:].strip() for line in lines[7:]]
    assert " ".join(below) == reason
    assert len(lines) == 1 + 6 + len(below)


def test_a_cut_that_drops_a_space_sizes_its_column_by_what_is_left() -> None:
    """A cell cut to max_width before a space loses the space too ("00…", not "00 …"):
    its column was still as wide as the limit, one cell more than the cell (the suite's
    layout property found it)."""
    table = Table(columns=[Column("", "right", max_width=4)], rows=[["00 00"]])
    assert render.plain([table], width=20) == "\n00…\n"
