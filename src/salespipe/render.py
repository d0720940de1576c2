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
    header: str
    align: Align = "left"
    max_width: int | None = None


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
def _plain_table(table: Table) -> list[str]:
    cells = [
        [
            textwidth.clip(c, col.max_width) if col.max_width else c
            for c, col in zip(row, table.columns, strict=True)
        ]
        for row in table.rows
    ]
    widths = [textwidth.width(col.header) for col in table.columns]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], textwidth.width(cell))
    lines = [table.title] if table.title else []

    def line(values: Sequence[str]) -> str:
        parts = [
            textwidth.pad(v, w, right=col.align == "right")
            for v, w, col in zip(values, widths, table.columns, strict=True)
        ]
        return "  ".join(parts).rstrip()

    lines.append(line([c.header for c in table.columns]))
    lines.extend(line(row) for row in cells)
    if table.footer:
        lines.append(table.footer)
    return lines


def _plain_fields(block: Fields) -> list[str]:
    size = max((textwidth.width(label) for label, _ in block.pairs), default=0)
    lines = [block.title] if block.title else []
    for label, value in block.pairs:
        first, *rest = value.split("\n") if value else [""]
        lines.append(f"{textwidth.pad(label, size)}  {first}".rstrip())
        lines.extend(f"{' ' * size}  {more}".rstrip() for more in rest)
    return lines


def plain(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if out:
            out.append("")
        if isinstance(block, Table):
            out.extend(_plain_table(block))
        elif isinstance(block, Fields):
            out.extend(_plain_fields(block))
        else:
            out.append(block.text)
    return "\n".join(out) + "\n"


# -- rich ---------------------------------------------------------------------------------
def rich(blocks: Sequence[Block]) -> Any:
    """A Rich renderable for a terminal."""
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
            )
            for col in block.columns:
                table.add_column(
                    col.header,
                    justify=col.align,
                    max_width=col.max_width,
                    overflow="ellipsis" if col.max_width else "fold",
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
