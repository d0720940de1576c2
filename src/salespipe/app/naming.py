"""How stages and pipelines are named: the checks of a new name, and the keys made from
names. A pipeline is named exactly like a stage (docs/pipelines.md); each kind words its
refusals in sentences of its own."""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from dataclasses import dataclass

from salespipe.core import collation, parse
from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import _
from salespipe.core.romanise import romanise

# The words that mean a deal's status (or every pipeline): never a name or a key.
RESERVED_NAMES = {"won", "lost", "open", "all"}


@dataclass(frozen=True)
class NameKind:
    """What is being named, in its own words: each sentence marked with ``N_`` and
    formatted with ``{name}`` (and ``{key}`` for ``taken``)."""

    what: str  # "stage name": what a text error calls it
    only_digits: str
    reserved: str
    taken: str


def check_name(name: str, others: Iterable[tuple[str, str]], kind: NameKind) -> str:
    """``name`` without its surrounding spaces, if it can name a new one of ``kind``:
    not empty or too long, not only digits (they mean positions), not a reserved word,
    and not the name or key of one of ``others`` (name, key); else the error, worded
    for ``kind``."""
    parse.text(name, what=kind.what, required=True, max_length=60)
    folded = parse.fold(name)
    if folded.isdigit():
        raise InvalidValue(_(kind.only_digits).format(name=name))
    if folded in RESERVED_NAMES:
        raise InvalidValue(_(kind.reserved).format(name=name))
    looks = collation.look(name)
    for other, key in others:
        if folded == key or looks in {collation.look(other), key}:
            raise InvalidValue(_(kind.taken).format(name=other, key=key))
    return name.strip()


def slug(name: str, kind: str = "stage") -> str:
    """A key from a name: Latin letters and digits, never a digit first (a key that looks
    like a number would be read as a position); ``kind`` when nothing is left."""
    ascii_only = re.sub(r"[^a-z0-9]+", "-", romanise(name).casefold()).strip("-")
    if not ascii_only:
        return kind
    if ascii_only[0].isdigit():
        ascii_only = f"{kind}-{ascii_only}"
    return ascii_only[:30].rstrip("-")


def unique_key(name: str, taken: Container[str], kind: str = "stage") -> str:
    """A key from ``name`` that is not ``taken`` (a stage's: no stage of any pipeline
    has it) nor a reserved word: its slug, else the slug numbered (``quoted-2``)."""
    base = slug(name, kind)
    key, counter = base, 2
    while key in taken or key in RESERVED_NAMES:
        key, counter = f"{base}-{counter}", counter + 1
    return key
