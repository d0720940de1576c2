"""Horizontal bar charts for the terminal, drawn with plotext (the only module that imports it).

plotext measures labels in code points, so a Thai label (whose vowel and tone marks
take no cell) would push the axis and frame left on its row. Padding does not help.
So plotext is given placeholder labels of plain letters, each exactly as wide as its
real label's *display* width; once the chart is built the real labels take their
places, right-aligned against the axis. Each bar's number is then written just
after the bar's end (the x range leaves room for it). Every line of the result has
the same display width.

plotext is imported only when a chart is drawn, so commands that print JSON or tables
never pay for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import _
from salespipe.present import textwidth

BAR = "█"
AXIS = "┤"
PLACEHOLDER_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
MIN_WIDTH = 30
MAX_LABEL_WIDTH = 24
SPACED_UP_TO = 10  # with at most this many bars, leave an empty row between bars
COLOR_ON, COLOR_OFF = "\x1b[34m", "\x1b[0m"
_BAR_RUN = re.compile(f"{BAR}+")


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its length (any non-negative number) and the text beside it."""

    label: str
    amount: float
    text: str
    short: str | None = None  # the text beside it where ``text`` does not fit


def label_width_for(width: int) -> int:
    return max(6, min(MAX_LABEL_WIDTH, width // 3))


def _placeholder(index: int, cells: int) -> str:
    return PLACEHOLDER_LETTERS[index % len(PLACEHOLDER_LETTERS)] * max(1, cells)


# Beside a bar's number: a space before it, a space after it, and a cell for plotext's
# rounding; and at least one cell of bar.
_AROUND_NUMBER = 4


def _fitting(bars: Sequence[Bar], width: int) -> list[Bar] | None:
    """The bars with texts that fit beside them at ``width`` (each its short text where
    one does not), or None."""
    inner = width - _label_cells(bars, width) - 2
    if all(textwidth.width(bar.text) + _AROUND_NUMBER <= inner for bar in bars):
        return list(bars)
    shortened = [Bar(b.label, b.amount, b.short or b.text) for b in bars]
    if all(textwidth.width(bar.text) + _AROUND_NUMBER <= inner for bar in shortened):
        return shortened
    return None


def _label_cells(bars: Sequence[Bar], width: int) -> int:
    most = label_width_for(width)
    return max((max(1, textwidth.width(textwidth.clip(b.label, most))) for b in bars), default=1)


def _too_narrow(bars: Sequence[Bar], width: int) -> InvalidValue:
    """The refusal, naming the least width that draws the chart (its labels take more
    cells as it widens, so it is found by trying)."""
    wider = width + 1
    while _fitting(bars, wider) is None:
        wider += 1
    return InvalidValue(
        _("The chart is too narrow for its numbers; use --width {width} or more.").format(
            width=wider
        )
    )


def _x_limit(bars: Sequence[Bar], inner: int) -> float:
    """An x range wide enough that every bar's number fits after it, inside the frame."""
    limit = max((bar.amount for bar in bars), default=0.0)
    for bar in bars:
        room = inner - (_AROUND_NUMBER - 1) - textwidth.width(bar.text)
        limit = max(limit, bar.amount * inner / room)
    return limit or 1.0


def _draw(placeholders: list[str], amounts: list[float], width: int, limit: float) -> list[str]:
    import plotext as plt

    count = len(amounts)
    spaced = count <= SPACED_UP_TO
    plt.clear_figure()
    plt.limit_size(False, False)
    plt.theme("clear")
    plt.bar(placeholders, amounts, orientation="horizontal", width=0.4 if spaced else 0.8)
    plt.xticks([])
    plt.yreverse(True)
    plt.xlim(0, limit)
    if spaced:
        plt.plotsize(width, 2 * count + 1 + 2)
        plt.ylim(0.5, count + 0.5)
    else:
        # plotext puts the limits at the first and last rows' centres: bars 1 to count
        # on count rows then fall one on each row. Limits half a bar outside them made
        # each bar straddle two rows (a 1 drawn beside the 0 under it).
        plt.plotsize(width, count + 2)
        plt.ylim(1, count)
    drawn: str = plt.uncolorize(plt.build())
    plt.clear_figure()
    return drawn.rstrip("\n").split("\n")


def _write_number(line: str, start: int, end: int, text: str) -> str:
    """Put ``text`` one space after the bar that runs from ``start`` in ``line[start:end]``,
    in as many of the line's one-cell characters as it takes cells (a Thai tone mark
    takes none: counted by code point, it pulled the frame in)."""
    cells = textwidth.width(text)
    bar_end = line.rfind(BAR, start, end)
    at = (bar_end if bar_end >= 0 else start - 1) + 2
    at = min(at, end - cells)
    return line[:at] + text + line[at + cells :]


def _line(text: str, width: int) -> str:
    return textwidth.clip(text, width).rstrip()  # (padded, a piped title ended in spaces)


def bar_chart(
    bars: Sequence[Bar],
    *,
    width: int,
    title: str | None = None,
    footer: str | None = None,
    color: bool = False,
) -> str:
    """A framed chart of horizontal bars, top to bottom in the given order.

    Every line of the frame is exactly ``width`` terminal cells wide; ``title`` and
    ``footer`` are wrapped to it. ``color`` paints the bars with ANSI codes (for a terminal);
    otherwise the text is plain.
    """
    if width < MIN_WIDTH:
        raise InvalidValue(
            _("A chart needs at least {minimum} columns; --width {width} is less.").format(
                minimum=MIN_WIDTH, width=width
            )
        )
    most = label_width_for(width)
    labels = [textwidth.clip(bar.label, most) for bar in bars]
    placeholders = [_placeholder(i, textwidth.width(label)) for i, label in enumerate(labels)]
    label_cells = max((len(p) for p in placeholders), default=1)
    inner = width - label_cells - 2
    fitting = _fitting(bars, width)
    if fitting is None:
        raise _too_narrow(bars, width)
    bars = fitting
    lines = _draw(placeholders, [float(b.amount) for b in bars], width, _x_limit(bars, inner))
    rows = [i for i, line in enumerate(lines) if line[label_cells : label_cells + 1] == AXIS]
    if len(rows) != len(bars):  # pragma: no cover - plotext labels every bar row
        raise RuntimeError(f"plotext drew {len(rows)} labelled rows for {len(bars)} bars")
    for row, label, bar in zip(rows, labels, bars, strict=True):
        line = lines[row]
        line = _write_number(line, label_cells + 1, label_cells + 1 + inner, bar.text)
        lines[row] = textwidth.pad(label, label_cells, right=True) + line[label_cells:]
    if color:
        lines = [_BAR_RUN.sub(lambda m: COLOR_ON + m.group(0) + COLOR_OFF, line) for line in lines]
    # A title or footer longer than the chart goes on over more lines: cut, it lost
    # its date ("as of 27 Nov 202…").
    if title is not None:
        lines[:0] = [_line(part, width) for part in textwidth.wrap(title, width)]
    if footer is not None:
        lines.extend(_line(part, width) for part in textwidth.wrap(footer, width))
    return "\n".join(lines)
