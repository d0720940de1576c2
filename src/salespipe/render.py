"""Turning views (neutral tables and text) into what a terminal shows.

The only module that imports Rich, and only when output goes to a terminal: for a
pipe or with NO_COLOR the plain renderer lays out columns by display width itself,
which is both faster and exact for Thai.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from salespipe import textwidth

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


def _column_widths(table: Table, cells: list[list[str]], limit: int) -> list[int]:
    """Each column as wide as its widest cell; text columns (those with a max_width)
    squeezed, widest first, until the table fits in ``limit`` cells."""
    widths = [textwidth.width(col.header) for col in table.columns]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], textwidth.block_width(cell))
    floors = [
        min(w, MIN_WRAPPED if col.wrap else MIN_FLEXIBLE) if col.flexible else w
        for w, col in zip(widths, table.columns, strict=True)
    ]
    excess = sum(widths) + GAP * (len(widths) - 1) - limit
    while excess > 0:
        room = [w - f for w, f in zip(widths, floors, strict=True)]
        widest = max(range(len(widths)), key=lambda i: (room[i] > 0, widths[i]))
        if room[widest] <= 0:
            break
        widths[widest] -= 1
        excess -= 1
    return widths


def _plain_table(table: Table, limit: int) -> list[str]:
    cells = [
        [
            textwidth.clip(c, col.max_width) if col.max_width and not col.wrap else c
            for c, col in zip(row, table.columns, strict=True)
        ]
        for row in table.rows
    ]
    widths = _column_widths(table, cells, limit)
    lines = textwidth.wrap(table.title, limit) if table.title else []

    def line(values: Sequence[str]) -> str:
        parts = [
            textwidth.pad(textwidth.clip(v, w), w, right=col.align == "right")
            for v, w, col in zip(values, widths, table.columns, strict=True)
        ]
        return (" " * GAP).join(parts).rstrip()

    def row_lines(row: Sequence[str]) -> list[str]:
        """A row as lines: a cell may hold several lines, a ``wrap`` column's text is wrapped."""
        pieces = [
            textwidth.wrap(v, w) if col.wrap else v.split("\n")
            for v, w, col in zip(row, widths, table.columns, strict=True)
        ]
        height = max(len(p) for p in pieces)
        return [line([p[i] if i < len(p) else "" for p in pieces]) for i in range(height)]

    lines.append(line([c.header for c in table.columns]))
    for row in cells:
        lines.extend(row_lines(row))
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
