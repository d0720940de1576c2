"""A help page (--help, or a group named alone) in Thai, loaded only to show one.

The help texts stay in the source in English, as Click and docs/commands.md read them,
and are the catalogue's msgids: while a page is formatted, the command's help, its
commands' and its parameters' are swapped for their translations and put back after,
Click's and Typer's own words on the page (its section titles, ``[required]``) are
looked up too, and its text is wrapped by display width between Thai words (Click's
wrapper counts a Thai mark as a cell and cuts a Thai word at the margin)."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from typer import core as typer_core
from typer._click import core as click_core
from typer._click import formatting

from salespipe.core import i18n
from salespipe.core.i18n import N_, _
from salespipe.present import textwidth

# Typer's and Click's own words on a help page (Typer's gettext has no Thai catalogue;
# its Click writes "Usage:" and the help option's help without one).
CLICK_WORDS = frozenset(
    {
        N_("Usage:"),
        N_("Arguments"),
        N_("Options"),
        N_("Commands"),
        N_("default: {default}"),
        N_("required"),
        N_("Show this message and exit."),
    }
)


# While a page is shown: how to say each help text with values filled in (the root's
# table, given to :func:`in_thai`; this module is loaded by the root, not the reverse).
_said_otherwise: Mapping[str, Callable[[], str]] = {}


def said(text: str | None) -> str | None:
    """A help text of the source in the current language: its translation, or for one
    with values filled in (:func:`salespipe.cli.app.filled`) the translation filled in
    the same way; a text the catalogue does not have stays as it is."""
    if not text:
        return text
    build = _said_otherwise.get(text)
    return build() if build is not None else _(inspect.cleandoc(text))


def _click_word(message: str) -> str:
    return _(message) if message in CLICK_WORDS else message


class _Swaps:
    """Attributes set for a while, each put back as it was by :meth:`undo`."""

    def __init__(self) -> None:
        self._kept: list[tuple[Any, str, Any]] = []

    def set(self, owner: Any, name: str, value: Any) -> None:
        self._kept.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def undo(self) -> None:
        while self._kept:
            owner, name, value = self._kept.pop()
            setattr(owner, name, value)


@contextlib.contextmanager
def in_thai(said_otherwise: Mapping[str, Callable[[], str]]) -> Iterator[None]:
    """Every help page shown meanwhile is in Thai, the texts with values filled in said
    as ``said_otherwise`` builds them; all is as it was afterwards."""
    global _said_otherwise
    previous, kept = i18n.language(), _said_otherwise
    i18n.set_language("th")
    _said_otherwise = said_otherwise
    swaps = _Swaps()
    swaps.set(click_core.Context, "get_help", _help_of(click_core.Context.get_help))
    swaps.set(typer_core, "_", _click_word)
    swaps.set(formatting, "wrap_text", _wrapper_of(formatting.wrap_text))
    swaps.set(
        formatting.HelpFormatter, "write_usage", _usage_of(formatting.HelpFormatter.write_usage)
    )
    swaps.set(click_core, "make_default_short_help", _short_help)
    try:
        yield
    finally:
        swaps.undo()
        i18n.set_language(previous)
        _said_otherwise = kept


def _help_of(get_help: Any) -> Any:
    def thai_help(ctx: Any) -> str:
        swaps = _Swaps()
        try:
            _translate(swaps, ctx.command, ctx)
            return str(get_help(ctx))
        finally:
            swaps.undo()

    return thai_help


def _usage_of(write_usage: Any) -> Any:
    def thai_usage(formatter: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(formatter, prog, args, f"{_('Usage:')} " if prefix is None else prefix)

    return thai_usage


def _translate(swaps: _Swaps, command: Any, ctx: Any) -> None:
    """The texts of ``command``'s page in Thai: its help, its parameters' and (a group)
    its commands' summaries."""
    _texts_of(swaps, command)
    for param in command.get_params(ctx):
        _texts_of(swaps, param)
    for name in getattr(command, "commands", {}):
        _texts_of(swaps, command.commands[name])


def _texts_of(swaps: _Swaps, thing: Any) -> None:
    for name in ("help", "short_help", "rich_help_panel"):
        text = getattr(thing, name, None)
        if isinstance(text, str) and text:
            swaps.set(thing, name, said(text))


def _short_help(help: str, max_length: int = 45) -> str:
    """A command's summary in a group's list: the first paragraph of its help, up to
    where it fits, cut between words (Click's, made for English, stops at the first full
    stop, which Thai does not write, and gives only "..." for a first word wider than
    the room, as a Thai clause is)."""
    summary = " ".join(help.split("\n\n", 1)[0].split())
    if textwidth.width(summary) <= max_length:
        return summary
    return textwidth.wrap(summary, max(max_length - 1, 1), whole_words=True)[0].rstrip() + "…"


def _wrapper_of(wrap_text: Any) -> Any:
    def thai_wrap_text(
        text: str,
        width: int = 78,
        initial_indent: str = "",
        subsequent_indent: str = "",
        preserve_paragraphs: bool = False,
    ) -> str:
        """Click's ``wrap_text``, for a text with Thai in it by display width and
        between words; any other text as Click wraps it."""
        if not textwidth.is_thai(text):
            return str(
                wrap_text(text, width, initial_indent, subsequent_indent, preserve_paragraphs)
            )
        text = text.expandtabs()
        blocks = _blocks(text) if preserve_paragraphs else [(0, False, text)]
        shown = []
        for indent, raw, body in blocks:
            first, rest = initial_indent + " " * indent, subsequent_indent + " " * indent
            if raw:
                lines = body.splitlines()
            else:
                room = width - max(textwidth.width(first), textwidth.width(rest))
                lines = textwidth.wrap(" ".join(body.split()), max(room, 10), whole_words=True)
            shown.append("\n".join((rest if at else first) + line for at, line in enumerate(lines)))
        return "\n\n".join(shown)

    return thai_wrap_text


def _blocks(text: str) -> list[tuple[int, bool, str]]:
    """Its paragraphs as Click parts them: each with its indent, and whether a ``\\b``
    line before it says to keep its lines as they are."""
    blocks: list[tuple[int, bool, str]] = []
    lines: list[str] = []
    indent = 0

    def flush() -> None:
        if lines and lines[0].strip() == "\b":
            blocks.append((indent, True, "\n".join(lines[1:])))
        elif lines:
            blocks.append((indent, False, " ".join(lines)))
        lines.clear()

    for line in text.splitlines():
        if not line:
            flush()
        else:
            if not lines:
                indent = len(line) - len(line.lstrip())
                line = line.lstrip()
            lines.append(line)
    flush()
    return blocks
