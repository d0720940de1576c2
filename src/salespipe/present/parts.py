"""The parts a view is made of: blocks, lines said as they are, charts drawn when
printed, warnings and remarks. :func:`salespipe.cli.output.result` prints them in order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from salespipe.present.render import Block


@dataclass(frozen=True)
class Drawing:
    """Charts, drawn only when printed: ``draw(width, color)`` returns each chart drawn,
    for the chart width the renderer chose (``--width``, else the terminal's)."""

    draw: Callable[[int, bool], list[str]]


@dataclass(frozen=True)
class Warned:
    """A warning for the person, never for a script reading stdout: said on stderr."""

    text: str


@dataclass(frozen=True)
class Verbatim:
    """Text a reader takes as it is (a page of HTML): on stdout, never rewrapped."""

    text: str


@dataclass(frozen=True)
class Noted:
    """A remark for the person (how to see more), not part of what a script reads: said
    on stderr as it is."""

    text: str


@dataclass(frozen=True)
class Hanging:
    """A line whose first ``hang`` cells label it (a time): on a terminal too narrow
    for it, what follows wraps under the text, not under the label."""

    text: str
    hang: int


Part = Block | Drawing | Warned | Noted | Hanging | Verbatim | str
View = str | Sequence[Part]
