"""Turning views (neutral tables and text) into what a terminal shows.

Everything is laid out here by display width (exact for Thai), for a terminal and a
pipe alike; a terminal also gets colour, which only ever repeats what the text says.
A table that is too wide first narrows its free-text columns, then leaves out those it
may do without (saying so below it), and else shows each row as one field per line:
a number, a date or a status is never cut.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from salespipe.core.i18n import _
from salespipe.present import textwidth

Align = Literal["left", "right"]


@dataclass
class Column:
    """A table column; ``max_width`` clips its cells, ``wrap`` breaks them into lines,
    ``shrink`` lets free text be cut (with …) to whatever width the table can spare.

    Each makes the column flexible: squeezed (down to a few cells) when the table would
    be wider than the output; other columns (numbers, dates, statuses) are never cut. A
    column with ``drop`` may be left out when the table does not fit even so: the highest
    first. A cell may hold several lines (one amount per currency).
    """

    header: str
    align: Align = "left"
    max_width: int | None = None
    wrap: bool = False
    shrink: bool = False
    drop: int = 0
    min_width: int | None = None  # how narrow it may be squeezed, if not the usual floor

    @property
    def flexible(self) -> bool:
        return self.max_width is not None or self.wrap or self.shrink


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[str]] = field(default_factory=list)
    title: str | None = None
    footer: str | None = None
    # (row, column) -> a style of STYLES: the colour of a cell whose text already says it.
    styles: dict[tuple[int, int], str] = field(default_factory=dict)
    # column -> a line below the table saying what a mark in it means, while it is shown.
    notes: dict[int, str] = field(default_factory=dict)


@dataclass
class Fields:
    """Label/value pairs, e.g. the fields of one deal."""

    pairs: list[tuple[str, str]]
    title: str | None = None


@dataclass
class Text:
    text: str
    style: str = ""


@dataclass
class Lane:
    """One column of a board: heading lines, then cards, each a few styled paragraphs."""

    heading: list[str]
    cards: list[list[tuple[str, str | None]]] = field(default_factory=list)


@dataclass
class Lanes:
    """Columns side by side (a kanban board), as many to a row as fit at ``min_width``
    cells each; the rest wrap to further rows. Their text wraps within its column."""

    lanes: list[Lane]
    title: str | None = None
    footer: str | None = None
    min_width: int = 24


Block = Table | Fields | Text | Lanes


# -- plain -------------------------------------------------------------------------------
DEFAULT_WIDTH = 80  # for output that is not a terminal, without $COLUMNS
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
    """Each column as wide as its widest cell; text columns squeezed until the table fits
    in ``limit`` cells (see :func:`squeezed`)."""
    widths = [
        max(textwidth.width(col.header), column.widest())
        for col, column in zip(table.columns, columns, strict=True)
    ]
    return squeezed(widths, table.columns, limit)


def _floor(width: int, column: Column) -> int:
    """How narrow a column may be squeezed: never below its own floor, nor wider."""
    if not column.flexible:
        return width
    if column.min_width is not None:
        return min(width, column.min_width)
    return min(width, MIN_WRAPPED if column.wrap else MIN_FLEXIBLE)


def squeezed(widths: list[int], columns: Sequence[Column], limit: int) -> list[int]:
    """The widths with text columns narrowed until the table fits in ``limit`` cells (or
    they reach their floor): first the columns whose text wraps, down to MIN_WRAPPED (it
    loses nothing), then every text column, widest first."""
    floors = [_floor(w, col) for w, col in zip(widths, columns, strict=True)]
    widths = list(widths)
    excess = sum(widths) + GAP * (len(widths) - 1) - limit
    wrapping = [i for i, col in enumerate(columns) if col.wrap]
    for stop, group in (
        ([max(f, MIN_WRAPPED) for f in floors], wrapping),
        (floors, range(len(widths))),
    ):
        while excess > 0 and group:
            widest = max(group, key=lambda i: (widths[i] > stop[i], widths[i]))
            if widths[widest] <= stop[widest]:
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


STYLES = {
    "heading": "1",  # bold
    "overdue": "31",  # red
    "stale": "33",  # yellow
    "lost": "2",  # dim
    "won": "32",  # green
}


def paint(text: str, style: str | None, color: bool) -> str:
    """``text`` in the colour of ``style`` (the spaces around it left plain), or as it is."""
    if not (color and style and text.strip(" ")):
        return text
    body = text.strip(" ")
    lead = text[: len(text) - len(text.lstrip(" "))]
    trail = text[len(text.rstrip(" ")) :]
    return f"{lead}\x1b[{STYLES[style]}m{body}\x1b[0m{trail}"


def _table_lines(table: Table, columns: list[_Column], widths: list[int], color: bool) -> list[str]:
    """The header and rows of a table, a row that holds several lines taking that many."""
    layout = list(zip(table.columns, columns, widths, strict=True))
    lines: list[list[str]] = [column.cells for _, column, _ in layout]
    heights = [1] * len(table.rows)
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
    if color and table.styles:
        first_line = list(itertools.accumulate(heights, initial=0))
        for (row, index), style in table.styles.items():
            cells = fitted[index]
            for number in range(first_line[row], first_line[row + 1]):
                cells[number] = paint(cells[number], style, color)
    return [
        paint(header.rstrip(), "heading", color),
        *(gap.join(parts).rstrip() for parts in zip(*fitted, strict=True)),
    ]


def _lines(lines: list[str], height: int) -> list[str]:
    """A cell's lines, with empty ones below it to make ``height`` lines."""
    return lines if len(lines) == height else [*lines, *[""] * (height - len(lines))]


def _fits(widths: list[int], limit: int) -> bool:
    return sum(widths) + GAP * (len(widths) - 1) <= limit


def _only(table: Table, keep: list[int]) -> Table:
    """The table with only the columns at ``keep``."""
    where = {old: new for new, old in enumerate(keep)}
    return Table(
        columns=[table.columns[i] for i in keep],
        rows=[[row[i] for i in keep] for row in table.rows],
        title=table.title,
        footer=table.footer,
        styles={(r, where[c]): s for (r, c), s in table.styles.items() if c in where},
        notes={where[c]: note for c, note in table.notes.items() if c in where},
    )


def _laid_out(table: Table, limit: int) -> tuple[Table, list[_Column], list[int]] | None:
    """The table, its columns and their widths once it fits in ``limit`` cells: its text
    columns squeezed, then those it may do without left out; None if it cannot fit."""
    droppable = sorted(
        (i for i, col in enumerate(table.columns) if col.drop),
        key=lambda i: (-table.columns[i].drop, -i),
    )
    # A column it may do without that has nothing to show is left out without a word.
    empty = {i for i in droppable if table.rows and not any(row[i] for row in table.rows)}
    droppable = [i for i in droppable if i not in empty]
    keep = [i for i in range(len(table.columns)) if i not in empty]
    shown = _only(table, keep) if empty else table
    while True:
        columns = _columns(shown)
        widths = _column_widths(shown, columns, limit)
        if _fits(widths, limit):
            return shown, columns, widths
        if not droppable:
            return None
        keep.remove(droppable.pop(0))
        shown = _only(table, keep)


def _columns(table: Table) -> list[_Column]:
    by_column: list[list[str]] = [[] for _ in table.columns]
    if table.rows:
        by_column = [list(cells) for cells in zip(*table.rows, strict=True)]
    return [
        _Column(cells, col.max_width if col.max_width and not col.wrap else None)
        for cells, col in zip(by_column, table.columns, strict=True)
    ]


def _plain_table(table: Table, limit: int, color: bool = False) -> list[str]:
    fitted = _laid_out(table, limit)
    if fitted is None:
        return _vertical(table, limit, color)
    shown, columns, widths = fitted
    lines = [paint(line, "heading", color) for line in _wrapped(table.title, limit)]
    lines.extend(_table_lines(shown, columns, widths, color))
    lines.extend(_wrapped(table.footer, limit))
    for _index, note in sorted(shown.notes.items()):
        lines.extend(textwidth.wrap(note, limit))
    left_out = [
        col.header
        for i, col in enumerate(table.columns)
        if col.header  # a column without a header only marks what a line below says
        and all(col is not s for s in shown.columns)
        and any(row[i] for row in table.rows)
    ]
    if left_out:
        note = _("Not shown at this width: {columns}.").format(columns=", ".join(left_out))
        lines.extend(textwidth.wrap(note, limit))
    return lines


def _wrapped(text: str | None, limit: int) -> list[str]:
    return textwidth.wrap(text, limit) if text else []


def _vertical(table: Table, limit: int, color: bool) -> list[str]:
    """Each row of a table too wide for ``limit`` as one field per line (label, value),
    the rows apart by a blank line; values wrap, nothing is cut."""
    labels = [col.header for col in table.columns]
    size = max(map(textwidth.width, labels), default=0)
    beside = limit - size - GAP >= MIN_WRAPPED // 2  # values beside their labels, or below
    room = limit - size - GAP if beside else max(1, limit - GAP)
    indent = " " * (size + GAP if beside else GAP)
    lines = [paint(line, "heading", color) for line in _wrapped(table.title, limit)]
    for number, row in enumerate(table.rows):
        if number or lines:
            lines.append("")
        for index, (label, cell) in enumerate(zip(labels, row, strict=True)):
            if not cell:
                continue
            style = table.styles.get((number, index))
            values = [
                paint(piece, style, color)
                for line in cell.split("\n")
                for piece in textwidth.wrap(line, room)
            ]
            if beside:
                head = paint(textwidth.pad(label, size), "heading", color) if label else " " * size
                lines.append(f"{head}{' ' * GAP}{values[0]}".rstrip())
                values = values[1:]
            elif label:
                lines.append(paint(label, "heading", color))
            lines.extend(f"{indent}{value}".rstrip() for value in values)
    if table.footer or table.notes:
        lines.append("")
    lines.extend(_wrapped(table.footer, limit))
    for _index, note in sorted(table.notes.items()):
        lines.extend(textwidth.wrap(note, limit))
    return lines


def _lane_heading(lane: Lane, size: int, color: bool) -> list[str]:
    return [
        paint(textwidth.pad(line, size), "heading", color)
        for text in lane.heading
        for line in textwidth.wrap(text, size)
    ]


def _lane_body(lane: Lane, size: int, color: bool) -> list[str]:
    """A lane's cards, a blank line apart, each line padded to ``size`` cells."""
    lines: list[str] = []
    for number, card in enumerate(lane.cards):
        if number:
            lines.append(" " * size)
        for text, style in card:
            lines.extend(
                paint(textwidth.pad(line, size), style, color)
                for line in textwidth.wrap(text, size)
            )
    return lines


def _side_by_side(columns: list[list[str]], size: int) -> list[str]:
    height = max(map(len, columns), default=0)
    blank = " " * size
    return [
        (" " * GAP).join(column[i] if i < len(column) else blank for column in columns).rstrip()
        for i in range(height)
    ]


def _plain_lanes(block: Lanes, limit: int, color: bool = False) -> list[str]:
    """Lanes side by side, as many to a row as fit; in a row, the headings line up above
    one rule and the cards start on the same line."""
    lanes = block.lanes
    per_row = max(1, min(len(lanes), (limit + GAP) // (block.min_width + GAP)))
    size = (limit - GAP * (per_row - 1)) // per_row
    lines = [paint(line, "heading", color) for line in _wrapped(block.title, limit)]
    for start in range(0, len(lanes), per_row):
        row = lanes[start : start + per_row]
        if lines:
            lines.append("")
        lines.extend(_side_by_side([_lane_heading(lane, size, color) for lane in row], size))
        lines.append((" " * GAP).join("─" * size for _ in row))
        lines.extend(_side_by_side([_lane_body(lane, size, color) for lane in row], size))
    if block.footer:
        lines.append("")
        lines.extend(textwidth.wrap(block.footer, limit))
    return lines


def _plain_fields(block: Fields, limit: int, color: bool = False) -> list[str]:
    size = max((textwidth.width(label) for label, _value in block.pairs), default=0)
    room = max(20, limit - size - GAP)
    lines = [paint(line, "heading", color) for line in _wrapped(block.title, limit)]
    for label, value in block.pairs:
        first, *rest = textwidth.wrap(value, room) if value else [""]
        head = paint(textwidth.pad(label, size), "heading", color)
        lines.append(f"{head}{' ' * GAP}{first}".rstrip())
        lines.extend(f"{' ' * (size + GAP)}{more}".rstrip() for more in rest)
    return lines


def plain(blocks: Sequence[Block], width: int | None = None, *, color: bool = False) -> str:
    """Text laid out by display width, every line at most ``width`` cells (default:
    :func:`plain_width`); with ``color``, ANSI colours that repeat what the text says."""
    limit = width or plain_width()
    out: list[str] = []
    for block in blocks:
        if out:
            out.append("")
        if isinstance(block, Table):
            out.extend(_plain_table(block, limit, color))
        elif isinstance(block, Fields):
            out.extend(_plain_fields(block, limit, color))
        elif isinstance(block, Lanes):
            out.extend(_plain_lanes(block, limit, color))
        else:
            out.extend(
                paint(line, block.style or None, color)
                for line in textwidth.wrap(block.text, limit)
            )
    return "\n".join(out) + "\n"
