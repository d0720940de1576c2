"""Rows without an id: which deal here each one is, and the new deals that look like
deals here.

A row without an id is keyed by its fingerprint (title, customer, contact, creation:
``rows._fingerprint``) and numbered among the file's rows with the same one
(``csv:row-3f2a…``, ``csv:row-3f2a…-2``). Numbered by place alone, a newer export with a
new look-alike before an old one gave the new row the old deal's key (skipped, so lost)
and the old row a new one (a second copy). Here the rows of a fingerprint are paired
with the deals imported under it by what they hold first (value, currency, close date),
then in order; only rows left over are new, numbered after the deals there. A key is
read whatever CRM's name is before it, so that a sheet read as another format once a
column is added (``Organization`` makes a sheet Pipedrive's) keeps its deals.

The rest of what may tell two deals apart (a customer written differently, a renamed
column, a contact column added) changes the fingerprint. No rule could tell such a
row from a new deal, so the import names every new deal whose title and customer are a
deal's here (:func:`resembling`), and the user decides (``undo`` takes the import back).
"""

from __future__ import annotations

import itertools
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple

from salespipe.core.model import Record
from salespipe.transfer.differing import DealNow
from salespipe.transfer.pending import Pending, unpack

Content = tuple[object, object, object]  # value, currency, close date, as records keep them


class RowKey(NamedTuple):
    """``pipedrive:row-3f2a…-2`` taken apart."""

    prefix: str
    fingerprint: str
    number: int

    def __str__(self) -> str:
        suffix = "" if self.number == 1 else f"-{self.number}"
        return f"{self.prefix}:row-{self.fingerprint}{suffix}"


def row_key(source: str | None) -> RowKey | None:
    """The parts of a key made for a row without an id; None for any other key."""
    if source is None:
        return None
    prefix, _colon, rest = source.partition(":")
    if not rest.startswith("row-"):
        return None
    fingerprint, _dash, number = rest[4:].partition("-")
    if len(fingerprint) != 12 or (not number.isdecimal() and number):
        return None
    return RowKey(prefix, fingerprint, int(number) if number else 1)


def _fingerprint(source: str | None) -> str | None:
    """The fingerprint in a row's key (every deal's key is asked: most are no row's)."""
    if source is None or ":row-" not in source:
        return None
    key = row_key(source)
    return key.fingerprint if key else None


class Earlier(NamedTuple):
    """A deal imported from a row without an id: its key and what it holds now."""

    source: str
    content: Content

    @property
    def number(self) -> int:
        key = row_key(self.source)
        return key.number if key else 1


class Resembled(NamedTuple):
    """A deal here, found by its title: its id, source key and customer (folded)."""

    deal: int
    source: str | None
    customer: str


@dataclass
class DealsHere:
    """What an import needs of the deals here, read in one pass over their records."""

    sources: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    ids: dict[int, tuple[str, datetime]] = field(default_factory=dict)
    by_fingerprint: dict[str, list[Earlier]] = field(default_factory=dict)
    by_title: dict[str, list[Resembled]] = field(default_factory=dict)  # the file's titles
    now: dict[str, DealNow] = field(default_factory=dict)  # by key, the keys the file may have


def deals_here(records: Iterator[Record], rows: Sequence[Pending]) -> DealsHere:
    """The deals' keys, ids and look-alike index, for the titles the file's rows have."""
    here = DealsHere()
    first = next(records, None)
    if first is None:  # a new database: no row's title need be read for this
        return here
    titles = {unpack(row).title.casefold().strip() for row in rows}  # kept NFC, as rows
    fingerprints = {_fingerprint(row.source) for row in rows} - {None}
    keys = {row.source for row in rows}
    for record in itertools.chain((first,), records):  # one at a time: a database is big
        deal = (record["title"], datetime.fromisoformat(record["created_at"]))
        source = record.get("source")
        if source:
            here.sources[source] = deal
            fingerprint = _fingerprint(source)
            if fingerprint is not None and fingerprint in fingerprints:
                earlier = Earlier(source, _record_content(record))
                here.by_fingerprint.setdefault(fingerprint, []).append(earlier)
                here.now[source] = DealNow.of(record)
            elif source in keys:
                here.now[source] = DealNow.of(record)
        here.ids[record["id"]] = deal
        title = record["title"].casefold().strip()
        if title in titles:
            customer = (record.get("customer") or "").casefold().strip()
            here.by_title.setdefault(title, []).append(Resembled(record["id"], source, customer))
    return here


def _record_content(record: Record) -> Content:
    return (record["value"], record["currency"], record.get("expected_close"))


def _row_content(row: Pending, currency: str) -> Content:
    values = unpack(row)
    return (values.value, values.currency or currency, values.expected_close)


def settle_row_keys(rows: Sequence[Pending], here: DealsHere, currency: str) -> list[Pending]:
    """The rows, each one without an id keyed as the deal here it is (so that it is
    skipped as imported before) or as a new one numbered after those there."""
    groups: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        fingerprint = _fingerprint(row.source)
        if fingerprint is not None and fingerprint in here.by_fingerprint:
            groups.setdefault(fingerprint, []).append(index)
    settled = list(rows)
    for fingerprint, indexes in groups.items():
        earlier = sorted(here.by_fingerprint[fingerprint], key=attrgetter("number"))
        if len(indexes) == len(earlier) == 1:  # the common case: nothing to pair by
            if rows[indexes[0]].source != earlier[0].source:  # the key of another CRM's
                settled[indexes[0]] = rows[indexes[0]]._replace(source=earlier[0].source)
            continue
        keys = _paired(
            [_row_content(rows[i], currency) for i in indexes],
            earlier,
            [row_key(rows[i].source) for i in indexes],
        )
        for index, source in zip(indexes, keys, strict=True):
            settled[index] = rows[index]._replace(source=source)
    return settled


def _paired(
    contents: Sequence[Content], earlier: Sequence[Earlier], keys: Sequence[RowKey | None]
) -> list[str]:
    """The key of each row of one fingerprint: an earlier deal's, paired by the most of
    value, currency and close date they share (in the file's order), then in order; or,
    for the rows left over, a new number."""
    taken = [False] * len(earlier)
    paired: list[str | None] = [None] * len(contents)
    for agreeing in (3, 2, 1, 0):
        for row, content in enumerate(contents):
            if paired[row] is not None:
                continue
            for at, deal in enumerate(earlier):
                if not taken[at] and _agreement(content, deal.content) >= agreeing:
                    taken[at], paired[row] = True, deal.source
                    break
    numbers = {deal.number for deal in earlier}
    number = 0
    settled = []
    for row, source in enumerate(paired):
        if source is None:
            number += 1
            while number in numbers:
                number += 1
            key = keys[row]
            assert key is not None
            source = str(key._replace(number=number))
        settled.append(source)
    return settled


def _agreement(row: Content, deal: Content) -> int:
    return sum(a == b for a, b in zip(row, deal, strict=True))


def resembling(
    fresh: Sequence[Pending], here: DealsHere, matched: Container[str | int]
) -> list[tuple[int, int]]:
    """(line, deal) for each new deal whose title is a deal's here and whose customer is
    that deal's too (or one of the two gives none, or one begins the other's name): a row
    whose key changed with the file (a renamed or added column, a customer written
    otherwise) would otherwise come in again without a word. Left out: a deal another row
    of the file was found to be (``matched``: their keys and ids), and two ids of one CRM
    (two deals by the CRM's own word)."""
    found: list[tuple[int, int]] = []
    if not here.by_title:
        return found
    for row in fresh:
        values = unpack(row)
        title = values.title.casefold().strip()
        customer = values.customer.casefold().strip()
        for deal in here.by_title.get(title, ()):
            if (
                deal.deal in matched
                or deal.source in matched
                or _two_ids_of_one_crm(row.source, deal.source)
            ):
                continue
            if _same_customer(customer, deal.customer):
                found.append((row.line, deal.deal))
                break
    return found


def _two_ids_of_one_crm(source: str | None, other: str | None) -> bool:
    if source is None or other is None or row_key(source) or row_key(other):
        return False
    return source.partition(":")[0] == other.partition(":")[0]


def _same_customer(one: str, other: str) -> bool:
    return not one or not other or one.startswith(other) or other.startswith(one)
