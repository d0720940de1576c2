"""Turning views (neutral tables and text) into what a terminal shows.

Everything is laid out here by display width (exact for Thai), for a terminal and a
pipe alike. A table that is too wide first narrows its free-text columns, then leaves
out those it may do without (saying so below it), and else shows each row as one field
per line: a number, a date or a status is never cut.

That layout is drawn in two ways: as plain text for a pipe (:func:`plain`), and with
Rich for a terminal (:func:`terminal`): the same columns, widths and cell lines, with
Rich's rules and styles. Colour only ever repeats what the text says. Rich is imported
only by :func:`terminal`, so piped output never loads it.
"""

from __future__ import annotations

import io
import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from salespipe.core.i18n import _
from salespipe.present import textwidth

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table as RichTable
    from rich.text import Text as RichText

    # What a terminal is shown: drawn by Rich, or lines of text as they are laid out.
    Part = RenderableType | list[str]

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
    keep_empty: bool = False  # asked for: shown even with nothing in it (droppable for width)
    # Wrapped text that gives way first down to its floor, not to MIN_WRAPPED: where the
    # wrapping columns share the room (what and why of the log) by the lines they add.
    wraps_to_floor: bool = False
    # The text a row is known by (a deal's title): cut only once the other text columns
    # are at their floor, not as soon as it is the widest.
    cut_last: bool = False
    # A column of figures whose header of several words may be broken onto more lines
    # (between words) before any text of the table is cut.
    header_wraps: bool = False
    # Good to have where there is room (a team's owners): left out, as soon as the table
    # is squeezed, where the name column would be cut below SPARE_ROOM_NAME.
    spare: bool = False

    @property
    def flexible(self) -> bool:
        return self.max_width is not None or self.wrap or self.shrink


def stage_names(header: str) -> Column:
    """A column of stage names: a long name is cut (with …) to 24 cells, and squeezed
    to 16 before the deals' titles give way."""
    return Column(header, max_width=24, min_width=16)


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
    # Laid out without a width limit when the output is no terminal: each row one line.
    whole_rows_in_a_pipe: bool = False
    # Each row as a card of a few styled lines, shown where the table does not fit
    # instead of one field per line, which repeats every label on every row.
    cards: list[list[tuple[str, str | None]]] = field(default_factory=list)
    # (row, column) -> a shorter text of a cell, shown in its place where the table's
    # layout would otherwise break the cell onto more lines (a forecast's span of months).
    shorter: dict[tuple[int, int], str] = field(default_factory=dict)
    # Tables of one view that show the same columns at one width (the agenda's parts): a
    # column one of them leaves out for the width, the others leave out too.
    same_columns: str | None = None
    left_out: frozenset[str] = frozenset()  # headers of columns it may do without, left out


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
    more: str | None = None  # under the cards ("+3 more"), level with the other lanes'


@dataclass
class Lanes:
    """Columns side by side (a kanban board), as many to a row as fit at ``min_width``
    cells each; the rest wrap to further rows. Their text wraps within its column."""

    lanes: list[Lane]
    title: str | None = None
    footer: str | None = None
    min_width: int = 24


Block = Table | Fields | Text | Lanes


# -- control characters --------------------------------------------------------------------
# Text from the data (a restored backup, an imported file) must not drive the terminal:
# every control character but the line break and the tab is shown as an escape (\x1b),
# and so is a bidirectional override or isolate (\u202e), which turns the rest of a
# table's row around in a terminal that lays out right-to-left text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` with its control characters shown as escapes (``\\x1b``, ``\\r``)."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    char = found.group()
    if char == "\r":
        return "\\r"
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def _visible_block(block: Block) -> Block:
    if isinstance(block, Table):
        return replace(
            block,
            columns=[replace(c, header=visible(c.header)) for c in block.columns],
            rows=[[visible(cell) for cell in row] for row in block.rows],
            title=visible(block.title) if block.title else block.title,
            footer=visible(block.footer) if block.footer else block.footer,
        )
    if isinstance(block, Fields):
        return replace(
            block,
            pairs=[(visible(label), visible(value)) for label, value in block.pairs],
            title=visible(block.title) if block.title else block.title,
        )
    if isinstance(block, Lanes):
        return replace(
            block,
            lanes=[
                Lane(
                    [visible(line) for line in lane.heading],
                    [[(visible(text), style) for text, style in card] for card in lane.cards],
                    lane.more,  # (salespipe's own words and a number)
                )
                for lane in block.lanes
            ],
            title=visible(block.title) if block.title else block.title,
            footer=visible(block.footer) if block.footer else block.footer,
        )
    return replace(block, text=visible(block.text))


def _texts(block: Block) -> list[str]:
    if isinstance(block, Table):
        cells = [cell for row in block.rows for cell in row]
        return [*cells, *(c.header for c in block.columns), block.title or "", block.footer or ""]
    if isinstance(block, Fields):
        return [text for pair in block.pairs for text in pair] + [block.title or ""]
    if isinstance(block, Lanes):
        texts = [line for lane in block.lanes for line in lane.heading]
        texts += [text for lane in block.lanes for card in lane.cards for text, _ in card]
        return [*texts, block.title or "", block.footer or ""]
    return [block.text]


def visible_blocks(blocks: Sequence[Block]) -> Sequence[Block]:
    """The blocks with every control character escaped; the same blocks (no copy, one
    search over all their text) in the usual case of none."""
    if not any(_CONTROL.search("\n".join(_texts(block))) for block in blocks):
        return blocks
    return [_visible_block(block) for block in blocks]


# -- plain -------------------------------------------------------------------------------
DEFAULT_WIDTH = 80  # for output that is not a terminal, without $COLUMNS
GAP = 2
MIN_FLEXIBLE = 8  # a text column is never squeezed below this (or its natural width)
MIN_WRAPPED = 20  # nor a column whose text wraps
# A row's name (``cut_last``) cut narrower than this is hard to read ("Cloud m…"): a
# column the table may do without is left out first, where that gives it the room.
READABLE_NAME = 12
SPARE_ROOM_NAME = 2 * READABLE_NAME  # what a name keeps before a spare column is shown
# An amount (grouped by thousands or with decimals, its currency sign before it) or a
# date, as salespipe writes them: what wrapping keeps whole. (A reference number or an
# address with digits is broken as any long word is.)
_FIGURE = re.compile(
    r"(?<!\S)[(]?[^\s\d(]{0,3}(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\d{4}-\d{2}-\d{2})[)]?[,;.:]?(?!\S)"
)


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
    lines = [
        column.line_widths() if col.wrap else None
        for col, column in zip(table.columns, columns, strict=True)
    ]
    figures = [  # (a column that may be left out gives way, its figures with it)
        column.widest_figure() if col.wrap and not col.drop else 0
        for col, column in zip(table.columns, columns, strict=True)
    ]
    headed = [
        max(_widest_word(col.header), column.widest()) if col.header_wraps else widths[i]
        for i, (col, column) in enumerate(zip(table.columns, columns, strict=True))
    ]
    return squeezed(widths, table.columns, limit, lines, figures, headed)


def _widest_word(header: str) -> int:
    """How narrow a header may be made by breaking it between words (Thai, written
    without spaces, where the system's word breaker finds them)."""
    from salespipe.present import thaibreak

    return max(
        (
            textwidth.width(part)
            for word in header.split(" ")
            for part in (thaibreak.words(word) if textwidth.is_thai(word) else (word,))
        ),
        default=0,
    )


def _header_lines(column: Column, size: int) -> list[str]:
    """A header on as many lines as it needs to fit ``size`` cells: a column of figures
    breaks its header between words rather than cut the text of another column."""
    if not column.header_wraps or textwidth.width(column.header) <= size:
        return [column.header]
    return textwidth.wrap(column.header, size)


def _floor(width: int, column: Column) -> int:
    """How narrow a column may be squeezed: never below its own floor, nor wider."""
    if not column.flexible:
        return width
    if column.min_width is not None:
        return min(width, column.min_width)
    return min(width, MIN_WRAPPED if column.wrap else MIN_FLEXIBLE)


def squeezed(
    widths: list[int],
    columns: Sequence[Column],
    limit: int,
    lines: Sequence[Counter[int] | None] = (),
    figures: Sequence[int] = (),
    headed: Sequence[int] = (),
) -> list[int]:
    """The widths with text columns narrowed until the table fits in ``limit`` cells (or
    they reach their floor): first the columns whose text wraps, down to MIN_WRAPPED (it
    loses nothing; to their floor if they ``wraps_to_floor``), then every text column,
    widest first, a column that is ``cut_last`` (a deal's title) once the others are at
    their floor.

    Of the columns whose text wraps, the one narrowed a cell at a time is the one that
    adds the fewest lines by it, as counted from ``lines`` (per column, how many of its
    lines are how wide): a column of long text in every row keeps its width before one
    with a single long cell (the log's "What" before its "Reason"), rather than both
    being made equally narrow. A column is never made narrower than its widest figure
    (``figures``, per column): an amount or a date is not broken across lines.

    Before any text is cut, a column whose header wraps (``header_wraps``, not a text
    column) is narrowed to ``headed`` (per column: its widest cell or header word), its
    header broken between words: a long name beside "Dated deals" keeps its end."""
    floors = [_floor(w, col) for w, col in zip(widths, columns, strict=True)]
    for i, figure in enumerate(figures):
        floors[i] = max(floors[i], min(widths[i], figure))
    widths = list(widths)
    excess = sum(widths) + GAP * (len(widths) - 1) - limit
    wrapping = [i for i, col in enumerate(columns) if col.wrap]
    counted = list(lines) + [None] * (len(widths) - len(lines))

    def added_lines(i: int) -> int:
        found = counted[i]
        size = widths[i]
        if found is None or size <= 1:  # (a column that narrow is not narrowed further)
            return 0
        return sum(
            times * (-(-width // (size - 1)) - -(-width // size))
            for width, times in found.items()
            if width > size - 1
        )

    wrapped_to = [
        f if col.wraps_to_floor else max(f, MIN_WRAPPED)
        for f, col in zip(floors, columns, strict=True)
    ]
    # A column cut last gives way before a wrapping column goes below MIN_WRAPPED: one
    # more line per row (a list's next action) costs more than a title's last words.
    cut_last = any(col.cut_last for col in columns)
    last = [col.cut_last or (cut_last and col.wrap) for col in columns]
    fixed = [i for i, col in enumerate(columns) if col.header_wraps and i < len(headed)]
    header_floors = [min(w, headed[i]) if i in fixed else w for i, w in enumerate(widths)]
    for stop, group, fewest_lines in (
        (wrapped_to, wrapping, True),
        (header_floors, fixed, False),
        (floors, range(len(widths)), False),
    ):
        while excess > 0 and group:
            narrowed = min(
                group,
                key=lambda i: (
                    widths[i] <= stop[i],
                    added_lines(i) if fewest_lines else last[i],
                    -widths[i],
                ),
            )
            if widths[narrowed] <= stop[narrowed]:
                break
            widths[narrowed] -= 1
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

    def line_widths(self) -> Counter[int]:
        """How many of its cells' lines are how wide (what wrapping them costs)."""
        measure = len if self.one_cell else textwidth.width
        return Counter(measure(line) for cell in self.cells for line in cell.split("\n"))

    def widest_figure(self) -> int:
        """The width of the widest figure in its cells (an amount or a date, with the
        marks around it), which wrapping must not break; 0 if none."""
        return max(
            (textwidth.width(word) for cell in self.cells for word in _FIGURE.findall(cell)),
            default=0,
        )

    def widest(self) -> int:
        """The width of the widest line of its cells, once cut to the limit."""
        if not self.cells:
            return 0
        if self.one_cell and not self.multiline:
            widest = max(map(len, self.cells))
            if self.limit is None or widest <= self.limit:
                return widest
            # (a cut drops a space or a vowel before its ellipsis: it may come out narrower)
            return max(
                len(c) if len(c) <= self.limit else len(textwidth.shortened(c, self.limit))
                for c in self.cells
            )
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
            lines = [
                line if len(line) <= most else textwidth.shortened(line, most) for line in lines
            ]
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


@dataclass
class _Grid:
    """A table as laid out: its header cells and each column's lines, every one cut and
    padded to its column's width; a row takes as many lines as its tallest cell."""

    header: list[list[str]]  # each column's header lines, as many for every column
    columns: list[list[str]]
    heights: list[int]
    widths: list[int]

    def starts(self) -> list[int]:
        """The first line of each row, and the line after the last."""
        return list(itertools.accumulate(self.heights, initial=0))


def _grid(table: Table, columns: list[_Column], widths: list[int]) -> _Grid:
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
    headers = [_header_lines(col, size) for col, _, size in layout]
    tallest = max(map(len, headers), default=1)
    header = [
        [textwidth.fit(line, size, right=col.align == "right") for line in _lines(lines, tallest)]
        for (col, _, size), lines in zip(layout, headers, strict=True)
    ]
    fitted = [
        column.fitted(cells, size, col.align == "right")
        for (col, column, size), cells in zip(layout, lines, strict=True)
    ]
    return _Grid(header, fitted, heights, widths)


def _table_lines(table: Table, grid: _Grid, color: bool) -> list[str]:
    """The header and rows of a table as lines of text, its gaps GAP spaces wide."""
    fitted = grid.columns
    if color and table.styles:
        first_line = grid.starts()
        for (row, index), style in table.styles.items():
            cells = fitted[index]
            for number in range(first_line[row], first_line[row + 1]):
                cells[number] = paint(cells[number], style, color)
    gap = " " * GAP
    return [
        *(
            paint(gap.join(parts).rstrip(), "heading", color)
            for parts in zip(*grid.header, strict=True)
        ),
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


def _laid_out(table: Table, limit: int) -> tuple[Table, _Grid] | None:
    """:func:`_laid_out_as_given`, with the shorter texts of its cells (``shorter``) in
    place of those the layout would break onto more lines."""
    found = _laid_out_as_given(table, limit)
    if found is None or not table.shorter or not _breaks_a_cell(table, *found):
        return found
    rows = [list(row) for row in table.rows]
    for (row, column), text in table.shorter.items():
        rows[row][column] = text
    return _laid_out_as_given(replace(table, rows=rows, shorter={}), limit) or found


def _breaks_a_cell(table: Table, shown: Table, grid: _Grid) -> bool:
    """Whether a cell that has a shorter text is wider than its column is laid out."""
    for (row, column), _text in table.shorter.items():
        at = next((i for i, col in enumerate(shown.columns) if col is table.columns[column]), None)
        if at is not None and textwidth.block_width(table.rows[row][column]) > grid.widths[at]:
            return True
    return False


def _laid_out_as_given(table: Table, limit: int) -> tuple[Table, _Grid] | None:
    """The table with the columns it shows, and their grid, once it fits in ``limit``
    cells: its text columns squeezed, then those it may do without left out; None if it
    cannot fit. A column it may do without (a customer, then a next action, then a due
    day) is also left out where its name column (a title) would be cut below
    READABLE_NAME, whether or not that gives the name the room, so that a wider output
    never shows fewer columns. Two are kept beside a name cut short, left out only where
    the table does not fit: a column asked for (``keep_empty``), and one whose marks a
    line below explains (an overdue due day: a warning is not lost where it fits). A
    spare column goes, for the same reason, where the name would be cut below
    SPARE_ROOM_NAME."""
    droppable = sorted(
        (i for i, col in enumerate(table.columns) if col.drop),
        key=lambda i: (-table.columns[i].drop, -i),
    )
    # A column it may do without that has nothing to show is left out without a word.
    empty = {
        i
        for i in droppable
        if table.rows and not table.columns[i].keep_empty and not any(row[i] for row in table.rows)
    }
    droppable = [i for i in droppable if i not in empty]
    agreed = {i for i in droppable if table.columns[i].header in table.left_out}
    empty |= agreed  # (left out as in the other tables of its view: said below it)
    droppable = [i for i in droppable if i not in agreed]
    for_the_name = [
        i for i in droppable if not table.columns[i].keep_empty and i not in table.notes
    ]
    keep = [i for i in range(len(table.columns)) if i not in empty]
    shown = _only(table, keep) if empty else table
    while True:
        columns = _columns(shown)
        widths = _column_widths(shown, columns, limit)
        if _fits(widths, limit):
            spare = [i for i in for_the_name if table.columns[i].spare]
            if spare and _name_cut_short(shown, columns, widths, SPARE_ROOM_NAME):
                left_out = spare[0]
            elif for_the_name and _name_cut_short(shown, columns, widths):
                left_out = for_the_name[0]
            else:
                return shown, _grid(shown, columns, widths)
        elif not droppable:
            return None
        else:
            left_out = droppable[0]
        droppable.remove(left_out)
        if left_out in for_the_name:
            for_the_name.remove(left_out)
        keep.remove(left_out)
        shown = _only(table, keep)


def _name_cut_short(
    table: Table, columns: list[_Column], widths: list[int], room: int = READABLE_NAME
) -> bool:
    """Whether the column a row is known by is cut below what reads (``room``, or its
    whole text where that is shorter)."""
    return any(
        col.cut_last and width < min(column.widest(), room)
        for col, column, width in zip(table.columns, columns, widths, strict=True)
    )


def _columns(table: Table) -> list[_Column]:
    by_column: list[list[str]] = [[] for _ in table.columns]
    if table.rows:
        by_column = [list(cells) for cells in zip(*table.rows, strict=True)]
    return [
        _Column(cells, col.max_width if col.max_width and not col.wrap else None)
        for cells, col in zip(by_column, table.columns, strict=True)
    ]


def _below(table: Table, shown: Table, limit: int) -> list[str]:
    """The lines under a table: its footer, what its marks mean, the columns left out."""
    lines = _wrapped(table.footer, limit)
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


def _plain_table(
    table: Table, limit: int, color: bool = False, below: int | None = None
) -> list[str]:
    """The table laid out for ``limit`` cells, the lines under it for ``below``."""
    laid_out = _laid_out(table, limit)
    if laid_out is None and table.cards:
        lines = [paint(line, "heading", color) for line in _wrapped(table.title, limit)]
        lines.extend(paint(text, style, color) for text, style in _card_lines(table, limit))
        return [*lines, *_vertical_below(table, below or limit)]
    if laid_out is None:
        return _vertical(table, limit, color, below)
    shown, grid = laid_out
    lines = [paint(line, "heading", color) for line in _wrapped(table.title, limit)]
    lines.extend(_table_lines(shown, grid, color))
    lines.extend(_below(table, shown, below or limit))
    return lines


def _wrapped(text: str | None, limit: int) -> list[str]:
    return textwidth.wrap(text, limit) if text else []


@dataclass
class _Record:
    """A table too wide for its output, shown a row at a time, one field per line: each
    label ``size`` cells wide with its value ``beside`` it, else the value below it."""

    size: int
    beside: bool
    room: int  # cells for a value

    @classmethod
    def of(cls, table: Table, limit: int) -> _Record:
        size = max((textwidth.width(col.header) for col in table.columns), default=0)
        beside = limit - size - GAP >= MIN_WRAPPED // 2
        return cls(size, beside, limit - size - GAP if beside else max(1, limit - GAP))

    def fields(self, table: Table, number: int) -> list[tuple[str, list[str], str | None]]:
        """The label, value lines and style of each field of row ``number`` that has one."""
        return [
            (
                col.header,
                [p for line in cell.split("\n") for p in textwidth.wrap(line, self.room)],
                table.styles.get((number, index)),
            )
            for index, (col, cell) in enumerate(zip(table.columns, table.rows[number], strict=True))
            if cell
        ]


CARD_INDENT = GAP  # cells: a card's lines after its first, under its first


def _card_lines(table: Table, limit: int) -> Styled:
    """The rows as their cards, after a blank line: the first line of a card flush left
    (what wraps of it under its text after the id that begins it), the others indented
    CARD_INDENT cells, which parts the cards."""
    lines: Styled = [("", None)] if table.title else []
    for card in table.cards:
        (head, head_style), *others = card
        first, *rest = textwidth.wrap(head, limit)
        lines.append((first, head_style))
        if rest:
            label = _CARD_LABEL.match(head)
            lines.extend(_hung(head[len(first) :].lstrip(" "), head_style, limit, label))
        for text, style in others:
            lines.extend(_hung(text, style, limit))
    return lines


def _hung(text: str, style: str | None, limit: int, label: re.Match[str] | None = None) -> Styled:
    """``text`` wrapped under a card's first line: after its ``label``, else CARD_INDENT."""
    hang = textwidth.width(label.group(0)) if label else CARD_INDENT
    return [(" " * hang + line, style) for line in textwidth.wrap(text, max(1, limit - hang))]


_CARD_LABEL = re.compile(r"[0-9]+  ")  # the id a card begins with, and the GAP after it


def _vertical_below(table: Table, limit: int) -> list[str]:
    lines = [""] if table.footer or table.notes else []
    lines.extend(_wrapped(table.footer, limit))
    for _index, note in sorted(table.notes.items()):
        lines.extend(textwidth.wrap(note, limit))
    return lines


def _vertical(table: Table, limit: int, color: bool, below: int | None = None) -> list[str]:
    """Each row of a table too wide for ``limit`` as one field per line (label, value),
    the rows apart by a blank line; values wrap, nothing is cut."""
    record = _Record.of(table, limit)
    size = record.size
    indent = " " * (size + GAP if record.beside else GAP)
    lines = [paint(line, "heading", color) for line in _wrapped(table.title, limit)]
    for number in range(len(table.rows)):
        if number or lines:
            lines.append("")
        for label, pieces, style in record.fields(table, number):
            values = [paint(piece, style, color) for piece in pieces]
            if record.beside:
                head = paint(textwidth.pad(label, size), "heading", color) if label else " " * size
                lines.append(f"{head}{' ' * GAP}{values[0]}".rstrip())
                values = values[1:]
            elif label:
                lines.append(paint(label, "heading", color))
            lines.extend(f"{indent}{value}".rstrip() for value in values)
    lines.extend(_vertical_below(table, below or limit))
    return lines


Styled = list[tuple[str, str | None]]  # lines of text, each with its style


def _row_headings(row: list[Lane], size: int) -> list[Styled]:
    """The headings of a row of lanes, each heading line level with the same line of
    the others (a stage name in two lines pushes every lane's count and value down)."""
    wrapped = [[textwidth.wrap(text, size) for text in lane.heading] for lane in row]
    parts = max((len(heading) for heading in wrapped), default=0)
    tallest = [
        max((len(heading[j]) for heading in wrapped if j < len(heading)), default=0)
        for j in range(parts)
    ]
    return [
        [(line, "heading") for j, lines in enumerate(heading) for line in _lines(lines, tallest[j])]
        for heading in wrapped
    ]


def _lane_body(lane: Lane, size: int) -> Styled:
    """A lane's cards, a blank line apart; what wraps of a card's first line under its
    text after the id that begins it."""
    lines: Styled = []
    for number, card in enumerate(lane.cards):
        if number:
            lines.append(("", None))
        for place, (text, style) in enumerate(card):
            first, *rest = textwidth.wrap(text, size)
            label = _CARD_LABEL.match(text) if place == 0 and rest else None
            if label is None:
                lines.extend((line, style) for line in [first, *rest])
                continue
            lines.append((first, style))
            lines.extend(_hung(text[len(first) :].lstrip(" "), style, size, label))
    return lines


def _row_bodies(row: list[Lane], size: int) -> list[Styled]:
    """The cards of a row of lanes, and under them each lane's ``more``, all on the same
    line: below the longest lane's cards."""
    bodies = [_lane_body(lane, size) for lane in row]
    if not any(lane.more for lane in row):
        return bodies
    height = max(map(len, bodies))
    for lane, body in zip(row, bodies, strict=True):
        if lane.more:
            body.extend([("", None)] * (height - len(body) + (1 if height else 0)))
            body.extend((line, None) for line in textwidth.wrap(lane.more, size))
    return bodies


def _lane_rows(block: Lanes, limit: int) -> tuple[list[list[Lane]], int]:
    """The lanes in rows of as many as fit, and the width of each."""
    lanes = block.lanes
    per_row = max(1, min(len(lanes), (limit + GAP) // (block.min_width + GAP)))
    size = (limit - GAP * (per_row - 1)) // per_row
    return [lanes[start : start + per_row] for start in range(0, len(lanes), per_row)], size


def _padded(lines: Styled, size: int, color: bool) -> list[str]:
    return [paint(textwidth.pad(text, size), style, color) for text, style in lines]


def _side_by_side(columns: list[list[str]], size: int) -> list[str]:
    height = max(map(len, columns), default=0)
    blank = " " * size
    return [
        (" " * GAP).join(column[i] if i < len(column) else blank for column in columns).rstrip()
        for i in range(height)
    ]


def _lanes_below(block: Lanes, limit: int) -> list[str]:
    return ["", *textwidth.wrap(block.footer, limit)] if block.footer else []


def _plain_lanes(
    block: Lanes, limit: int, color: bool = False, below: int | None = None
) -> list[str]:
    """Lanes side by side, as many to a row as fit; in a row, the headings line up above
    one rule and the cards start on the same line."""
    rows, size = _lane_rows(block, limit)
    lines = [paint(line, "heading", color) for line in _wrapped(block.title, limit)]
    for row in rows:
        if lines:
            lines.append("")
        headings = [_padded(heading, size, color) for heading in _row_headings(row, size)]
        lines.extend(_side_by_side(headings, size))
        lines.append((" " * GAP).join("─" * size for _ in row))
        lines.extend(
            _side_by_side([_padded(body, size, color) for body in _row_bodies(row, size)], size)
        )
    lines.extend(_lanes_below(block, below or limit))
    return lines


def _field_shape(block: Fields, limit: int) -> tuple[int, int]:
    """The width of the labels, and of the values beside them."""
    size = max((textwidth.width(label) for label, _value in block.pairs), default=0)
    return size, max(20, limit - size - GAP)


def _field_values(value: str, room: int) -> list[str]:
    return textwidth.wrap(value, room) if value else [""]


def _plain_fields(block: Fields, limit: int, color: bool = False) -> list[str]:
    size, room = _field_shape(block, limit)
    lines = [paint(line, "heading", color) for line in _wrapped(block.title, limit)]
    if size + GAP + room > limit:  # too narrow for the values beside: each under its label
        for label, value in block.pairs:
            lines.extend(paint(line, "heading", color) for line in textwidth.wrap(label, limit))
            lines.extend(
                f"{' ' * GAP}{more}".rstrip() for more in _field_values(value, limit - GAP)
            )
        return lines
    for label, value in block.pairs:
        first, *rest = _field_values(value, room)
        head = paint(textwidth.pad(label, size), "heading", color)
        lines.append(f"{head}{' ' * GAP}{first}".rstrip())
        lines.extend(f"{' ' * (size + GAP)}{more}".rstrip() for more in rest)
    return lines


def _plain_block(block: Block, limit: int, color: bool, below: int | None = None) -> list[str]:
    """A block laid out for ``limit`` cells; the lines under a table or lanes (a total,
    what the marks mean) for ``below`` (default: ``limit``)."""
    if isinstance(block, Table):
        return _plain_table(block, limit, color, below)
    if isinstance(block, Fields):
        return _plain_fields(block, limit, color)
    if isinstance(block, Lanes):
        return _plain_lanes(block, limit, color, below)
    return [paint(line, block.style or None, color) for line in textwidth.wrap(block.text, limit)]


def _joined(blocks: Sequence[list[str]]) -> str:
    """Blocks of lines, a blank line apart."""
    out: list[str] = []
    for lines in blocks:
        if out:
            out.append("")
        out.extend(lines)
    return "\n".join(out) + "\n"


def plain(
    blocks: Sequence[Block], width: int | None = None, *, color: bool = False, pipe: bool = False
) -> str:
    """Text laid out by display width, every line at most ``width`` cells (default:
    :func:`plain_width`); with ``color``, ANSI colours that repeat what the text says;
    for a ``pipe``, a table that asks for it with its rows whole, however wide, and the
    lines under a table each one line, as every sentence is there: a script greps the
    total of `list` whole, a pager or a mail reader wraps it."""
    limit = width or plain_width()
    below = UNLIMITED if pipe else None
    return _joined(
        [
            _plain_block(block, _limit_of(block, limit, pipe), color, below)
            for block in _agreed(visible_blocks(blocks), limit, pipe)
        ]
    )


UNLIMITED = 1_000_000  # cells: a line as long as its text


def _agreed(blocks: Sequence[Block], limit: int, pipe: bool = False) -> Sequence[Block]:
    """The blocks, each table of a view whose tables show the same columns
    (``same_columns``) leaving out every column it may do without that one of them
    leaves out at this width (a column that is empty in it does not count)."""
    groups: dict[str, list[int]] = {}
    for index, block in enumerate(blocks):
        if isinstance(block, Table) and block.same_columns:
            groups.setdefault(block.same_columns, []).append(index)
    if not any(len(indices) > 1 for indices in groups.values()):
        return blocks
    agreed = list(blocks)
    for indices in groups.values():
        out: set[str] = set()
        for index in indices:
            table = blocks[index]
            assert isinstance(table, Table)
            found = _laid_out(table, _limit_of(table, limit, pipe))
            if found is None:
                continue
            out.update(
                col.header
                for i, col in enumerate(table.columns)
                if col.drop
                and all(col is not s for s in found[0].columns)
                and any(row[i] for row in table.rows)
            )
        for index in indices:
            table = blocks[index]
            assert isinstance(table, Table)
            agreed[index] = replace(table, left_out=frozenset(out))
    return agreed


def _limit_of(block: Block, limit: int, pipe: bool) -> int:
    if pipe and isinstance(block, Table) and block.whole_rows_in_a_pipe:
        return UNLIMITED
    return limit


# -- a terminal: the same layout, drawn with Rich ----------------------------------------
RICH_STYLES = {
    "heading": "bold",
    "overdue": "red",
    "stale": "yellow",
    "lost": "dim",
    "won": "green",
}
RICH_ROWS = 500  # the most rows of a table Rich draws cell by cell (see _rich_table)


class _Unlike(Exception):
    """Rich would measure a line otherwise than :mod:`textwidth` does, so it would pad or
    cut it to another width than the layout gave it."""


def _measured_alike(line: str) -> bool:
    if line.isascii() and line.isprintable():
        return True
    from rich.cells import cell_len

    return cell_len(line) == textwidth.width(line)


def _rich_lines(lines: Styled) -> RichText:
    """Lines as one Rich text that Rich neither wraps nor cuts, each line's style on its
    text and not on the spaces around it (as :func:`paint` does)."""
    from rich.text import Text as RichText

    text = RichText(no_wrap=True, overflow="ignore", end="")
    if len(lines) > 1 and not lines[-1][0]:
        lines = [*lines[:-1], (" ", None)]  # in a cell, Rich drops an empty last line
    for number, (line, style) in enumerate(lines):
        if not _measured_alike(line):
            raise _Unlike(line)
        if number:
            text.append("\n")
        body = line.strip(" ")
        if not (style and body):
            text.append(line)
            continue
        lead = len(line) - len(line.lstrip(" "))
        text.append(line[:lead])
        text.append(body, RICH_STYLES[style])
        text.append(line[lead + len(body) :])
    return text


def _rich_text(lines: Sequence[str], style: str | None = None) -> RichText:
    return _rich_lines([(line, style) for line in lines])


def _rich_table(table: Table, grid: _Grid) -> list[Part]:
    """The grid as a Rich table: its header in bold over a rule, its cells the grid's.

    Rich draws a table cell by cell, which takes seconds for thousands of rows (a list of
    a big pipeline's open deals): the rows of a longer table are written as laid out,
    the text Rich would write, in the same colours.
    """
    from rich import box
    from rich.table import Table as RichTable

    if not all(grid.widths):
        raise _Unlike(grid.widths)  # Rich shows nothing, not even marks, in no width
    drawn = RichTable(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        # a cell's right padding and the (blank) line between columns: GAP cells, as plain
        padding=(0, GAP - 1, 0, 0),
        header_style=RICH_STYLES["heading"],
    )
    for header, size in zip(grid.header, grid.widths, strict=True):
        drawn.add_column(_rich_text(header), width=size, no_wrap=True, overflow="crop")
    if len(grid.heights) > RICH_ROWS:
        return [drawn, _table_lines(table, grid, color=True)[len(grid.header[0]) :]]
    starts = grid.starts()
    for row, (first, end) in enumerate(itertools.pairwise(starts)):
        drawn.add_row(
            *(
                _rich_text(lines[first:end], table.styles.get((row, index)))
                for index, lines in enumerate(grid.columns)
            )
        )
    return [drawn]


def _rich_grid(*widths: int) -> RichTable:
    """A Rich grid of columns this wide, GAP cells apart."""
    from rich.table import Table as RichTable

    grid = RichTable.grid(padding=(0, GAP, 0, 0))
    for size in widths:
        grid.add_column(width=size, no_wrap=True, overflow="crop")
    return grid


def _rich_heading(text: str | None, limit: int) -> list[Part]:
    return [_rich_text(lines, "heading")] if (lines := _wrapped(text, limit)) else []


def _rich_vertical(table: Table, limit: int) -> list[Part]:
    """:func:`_vertical` with Rich: each row a grid of labels and values."""
    record = _Record.of(table, limit)
    parts = _rich_heading(table.title, limit)
    for number in range(len(table.rows)):
        if number or parts:
            parts.append(_rich_text([""]))
        fields = record.fields(table, number)
        if not fields:  # Rich would show an empty grid as a blank line
            continue
        if record.beside:
            grid = _rich_grid(record.size, record.room)
            for label, values, style in fields:
                grid.add_row(_rich_text([label], "heading"), _rich_text(values, style))
            parts.append(grid)
            continue
        lines: Styled = []
        for label, values, style in fields:
            if label:
                lines.append((label, "heading"))
            lines.extend((" " * GAP + value, style) for value in values)
        parts.append(_rich_lines(lines))
    if below := _vertical_below(table, limit):
        parts.append(_rich_text(below))
    return parts


def _rich_tabular(table: Table, limit: int) -> list[Part]:
    laid_out = _laid_out(table, limit)
    if laid_out is None and table.cards:
        parts = _rich_heading(table.title, limit)
        parts.append(_rich_lines(_card_lines(table, limit)))
        if below := _vertical_below(table, limit):
            parts.append(_rich_text(below))
        return parts
    if laid_out is None:
        return _rich_vertical(table, limit)
    shown, grid = laid_out
    parts = _rich_heading(table.title, limit)
    parts.extend(_rich_table(shown, grid))
    if below := _below(table, shown, limit):
        parts.append(_rich_text(below))
    return parts


def _rich_lanes(block: Lanes, limit: int) -> list[Part]:
    """:func:`_plain_lanes` with Rich: each row of lanes a grid."""
    rows, size = _lane_rows(block, limit)
    parts = _rich_heading(block.title, limit)
    for row in rows:
        if parts:
            parts.append(_rich_text([""]))
        headings = _row_headings(row, size)
        bodies = _row_bodies(row, size)
        grid = _rich_grid(*[size] * len(row))
        if any(headings):  # a row of cells takes a line even when all are empty
            grid.add_row(*map(_rich_lines, headings))
        grid.add_row(*(_rich_text(["─" * size]) for _ in row))
        if any(bodies):
            grid.add_row(*map(_rich_lines, bodies))
        parts.append(grid)
    if below := _lanes_below(block, limit):
        parts.append(_rich_text(below))
    return parts


def _rich_fields(block: Fields, limit: int) -> list[Part]:
    size, room = _field_shape(block, limit)
    if size + GAP + room > limit:
        raise _Unlike(block.title)  # as wide as plain text makes it, not Rich's width
    parts = _rich_heading(block.title, limit)
    grid = _rich_grid(size, room)
    for label, value in block.pairs:
        grid.add_row(_rich_text([label], "heading"), _rich_text(_field_values(value, room)))
    parts.append(grid)
    return parts


def _rich_block(block: Block, limit: int) -> list[Part]:
    if isinstance(block, Table):
        return _rich_tabular(block, limit)
    if isinstance(block, Fields):
        return _rich_fields(block, limit)
    if isinstance(block, Lanes):
        return _rich_lanes(block, limit)
    return [_rich_text(textwidth.wrap(block.text, limit), block.style or None)]


def terminal(blocks: Sequence[Block], width: int) -> str:
    """What :func:`plain` lays out for ``width`` cells, drawn with Rich for a terminal:
    the same columns, widths and cell lines, tables with a rule under their header, and
    colour that repeats what the text says.

    A block with text that Rich would measure otherwise than :mod:`textwidth` (control
    characters, some emoji sequences, a few scripts' spacing marks; never Thai) keeps its
    plain lines, in colour: Rich would pad or cut them out of line.
    """
    from rich.console import Console

    console = Console(
        file=io.StringIO(),
        width=width,
        force_terminal=True,
        color_system="standard",
        no_color=False,  # the caller has decided: an empty NO_COLOR= is unset
        legacy_windows=False,
        highlight=False,
        markup=False,
        emoji=False,
    )
    drawn: list[list[str]] = []
    for block in _agreed(visible_blocks(blocks), width):
        try:
            parts = _rich_block(block, width)
        except _Unlike:
            drawn.append(_plain_block(block, width, color=True))
            continue
        lines: list[str] = []
        for part in parts:
            if isinstance(part, list):
                lines.extend(part)
                continue
            with console.capture() as captured:
                console.print(part, crop=False)
            lines.extend(captured.get().split("\n")[:-1])
        drawn.append(lines)
    return _joined(drawn)
