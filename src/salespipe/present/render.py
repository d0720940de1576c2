"""Turning views (neutral tables and text) into what a terminal shows.

The only module that imports Rich, and only when output goes to a terminal: for a
pipe or with NO_COLOR the plain renderer lays out columns by display width itself,
which is both faster and exact for Thai.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from salespipe.present import textwidth

Align = Literal["left", "right"]


@dataclass
class Column:
    """A table column; ``max_width`` clips its cells, ``wrap`` breaks them into lines.

    Both make the column flexible: squeezed (down to a few cells) when the table would
    be wider than the output. A cell may hold several lines (one amount per currency).
    """

    header: str
    align: Align = "left"
    max_width: int | None = None
    wrap: bool = False

    @property
    def flexible(self) -> bool:
        return self.max_width is not None or self.wrap


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[str]] = field(default_factory=list)
    title: str | None = None
    footer: str | None = None


@dataclass
class Fields:
    """Label/value pairs, e.g. the fields of one deal."""

    pairs: list[tuple[str, str]]
    title: str | None = None


@dataclass
class Text:
    text: str
    style: str = ""


Block = Table | Fields | Text


# -- plain -------------------------------------------------------------------------------
DEFAULT_WIDTH = 80  # as Rich assumes for output that is not a terminal
GAP = 2
MIN_FLEXIBLE = 8  # a text column is never squeezed below this (or its natural width)
MIN_WRAPPED = 20  # nor a column whose text wraps


def plain_width() -> int:
    """The width plain output is laid out for: $COLUMNS, else 80 columns."""
    import os

    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        return DEFAULT_WIDTH
    return columns if columns >= 20 else DEFAULT_WIDTH


def _column_widths(table: Table, columns: list[_Column], limit: int) -> list[int]:
    """Each column as wide as its widest cell; text columns (those with a max_width)
    squeezed, widest first, until the table fits in ``limit`` cells."""
    widths = [
        max(textwidth.width(col.header), column.widest())
        for col, column in zip(table.columns, columns, strict=True)
    ]
    return squeezed(widths, table.columns, limit)


def squeezed(widths: list[int], columns: Sequence[Column], limit: int) -> list[int]:
    """The widths with text columns narrowed, widest first, until the table fits in
    ``limit`` cells (or they reach their floor)."""
    floors = [
        min(w, MIN_WRAPPED if col.wrap else MIN_FLEXIBLE) if col.flexible else w
        for w, col in zip(widths, columns, strict=True)
    ]
    widths = list(widths)
    excess = sum(widths) + GAP * (len(widths) - 1) - limit
    while excess > 0:
        room = [w - f for w, f in zip(widths, floors, strict=True)]
        widest = max(range(len(widths)), key=lambda i: (room[i] > 0, widths[i]))
        if room[widest] <= 0:
            break
        widths[widest] -= 1
        excess -= 1
    return widths


class _Column:
    """The cells of one table column, laid out together.

    When all their characters take one cell (numbers, dates, most Latin text), lengths
    are widths, and cutting and padding them is slicing and ``ljust``; then one-line cells
    are cut to ``limit`` only when fitted to their column's width, in one cut (cutting
    to the limit and then to a smaller width gives what cutting to that width gives).
    """

    def __init__(self, cells: list[str], limit: int | None = None) -> None:
        text = "".join(cells)
        self.one_cell = textwidth.one_cell_each(text)
        self.multiline = "\n" in text
        self.limit = None  # the width one-line, one-cell cells are still to be cut to
        if limit is not None:
            if self.one_cell and not self.multiline:
                self.limit = limit
            else:
                cells = [textwidth.clip(c, limit) for c in cells]
                self.multiline = any("\n" in c for c in cells)
        self.cells = cells

    def widest(self) -> int:
        """The width of the widest line of its cells, once cut to the limit."""
        if not self.cells:
            return 0
        if self.one_cell and not self.multiline:
            widest = max(map(len, self.cells))
            return widest if self.limit is None else min(widest, self.limit)
        return max(map(textwidth.block_width, self.cells))

    def lines(self, size: int, wrap: bool) -> list[list[str]]:
        """Each cell as its lines: wrapped to ``size`` cells in a ``wrap`` column."""
        if wrap:
            return [textwidth.wrap(c, size) for c in self.cells]
        return [c.split("\n") for c in self.cells]

    def fitted(self, lines: list[str], size: int, right: bool) -> list[str]:
        """Lines of its cells, each cut and padded to exactly ``size`` cells."""
        if not self.one_cell:
            return [textwidth.fit(line, size, right=right) for line in lines]
        most = size if self.limit is None else min(size, self.limit)
        if most >= 1 and max(map(len, lines), default=0) > most:
            lines = [line if len(line) <= most else line[: most - 1] + "…" for line in lines]
        elif most < 1:
            lines = [textwidth.clip(line, most) for line in lines]
        return (
            [line.rjust(size) for line in lines] if right else [line.ljust(size) for line in lines]
        )


def _table_lines(table: Table, columns: list[_Column], widths: list[int]) -> list[str]:
    """The header and rows of a table, a row that holds several lines taking that many."""
    layout = list(zip(table.columns, columns, widths, strict=True))
    lines: list[list[str]] = [column.cells for _, column, _ in layout]
    if any(col.wrap or column.multiline for col, column, _ in layout):
        pieces = [column.lines(size, col.wrap) for col, column, size in layout]
        heights = [max(map(len, row)) for row in zip(*pieces, strict=True)]
        lines = [
            [
                line
                for cell, height in zip(cell_lines, heights, strict=True)
                for line in _lines(cell, height)
            ]
            for cell_lines in pieces
        ]
    gap = " " * GAP
    header = gap.join(
        textwidth.fit(col.header, size, right=col.align == "right") for col, _, size in layout
    )
    fitted = [
        column.fitted(cells, size, col.align == "right")
        for (col, column, size), cells in zip(layout, lines, strict=True)
    ]
    return [header.rstrip(), *(gap.join(parts).rstrip() for parts in zip(*fitted, strict=True))]


def _lines(lines: list[str], height: int) -> list[str]:
    """A cell's lines, with empty ones below it to make ``height`` lines."""
    return lines if len(lines) == height else [*lines, *[""] * (height - len(lines))]


def _plain_table(table: Table, limit: int) -> list[str]:
    by_column: list[list[str]] = [[] for _ in table.columns]
    if table.rows:
        by_column = [list(cells) for cells in zip(*table.rows, strict=True)]
    columns = [
        _Column(cells, col.max_width if col.max_width and not col.wrap else None)
        for cells, col in zip(by_column, table.columns, strict=True)
    ]
    widths = _column_widths(table, columns, limit)
    lines = textwidth.wrap(table.title, limit) if table.title else []
    lines.extend(_table_lines(table, columns, widths))
    if table.footer:
        lines.extend(textwidth.wrap(table.footer, limit))
    return lines


def _plain_fields(block: Fields, limit: int) -> list[str]:
    size = max((textwidth.width(label) for label, _value in block.pairs), default=0)
    room = max(20, limit - size - GAP)
    lines = textwidth.wrap(block.title, limit) if block.title else []
    for label, value in block.pairs:
        first, *rest = textwidth.wrap(value, room) if value else [""]
        lines.append(f"{textwidth.pad(label, size)}{' ' * GAP}{first}".rstrip())
        lines.extend(f"{' ' * (size + GAP)}{more}".rstrip() for more in rest)
    return lines


def plain(blocks: Sequence[Block], width: int | None = None) -> str:
    """Plain text laid out by display width, every line at most ``width`` cells
    (default: :func:`plain_width`) as far as the columns can be squeezed."""
    limit = width or plain_width()
    out: list[str] = []
    for block in blocks:
        if out:
            out.append("")
        if isinstance(block, Table):
            out.extend(_plain_table(block, limit))
        elif isinstance(block, Fields):
            out.extend(_plain_fields(block, limit))
        else:
            out.extend(textwidth.wrap(block.text, limit))
    return "\n".join(out) + "\n"


# -- rich ---------------------------------------------------------------------------------
def fit_widths(table: Table, total: int, gap: int = 2) -> list[int]:
    """Column widths that fit ``total`` cells: numbers keep theirs, long text is cut first."""
    widths = []
    for index, col in enumerate(table.columns):
        widest = max((textwidth.block_width(row[index]) for row in table.rows), default=0)
        natural = max(widest, textwidth.width(col.header))
        widths.append(min(natural, col.max_width) if col.max_width else natural)
    shrinkable = [i for i, col in enumerate(table.columns) if col.align == "left"]
    excess = sum(widths) + gap * (len(widths) - 1) - total
    while excess > 0 and shrinkable:
        widest = max(shrinkable, key=lambda i: widths[i])
        if widths[widest] <= 6:
            break
        widths[widest] -= 1
        excess -= 1
    return widths


def rich(blocks: Sequence[Block], width: int = 80) -> Any:
    """A Rich renderable for a terminal ``width`` cells wide; a table row stays one line."""
    from rich import box
    from rich.console import Group
    from rich.table import Table as RichTable
    from rich.text import Text as RichText

    parts: list[Any] = []
    for block in blocks:
        if isinstance(block, Table):
            table = RichTable(
                title=block.title,
                box=box.SIMPLE_HEAD,
                title_justify="left",
                caption=block.footer,
                caption_justify="left",
                header_style="bold",
                pad_edge=False,
                padding=(0, 1),
            )
            # SIMPLE_HEAD without edge padding: an edge cell each side, 3 cells between columns.
            widths = fit_widths(block, width - 2, gap=3)
            for col, cells in zip(block.columns, widths, strict=True):
                table.add_column(
                    col.header,
                    justify=col.align,
                    width=cells,
                    no_wrap=not col.wrap,
                    overflow="fold" if col.wrap else "ellipsis",
                )
            for row in block.rows:
                table.add_row(*(RichText(c) for c in row))
            parts.append(table)
        elif isinstance(block, Fields):
            grid = RichTable.grid(padding=(0, 2))
            grid.add_column(style="bold")
            grid.add_column()
            for label, value in block.pairs:
                grid.add_row(label, RichText(value))
            if block.title:
                parts.append(RichText(block.title, style="bold"))
            parts.append(grid)
        else:
            parts.append(RichText(block.text, style=block.style))
    return Group(*parts)
