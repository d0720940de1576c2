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

import collections
import itertools
import re
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple

from salespipe.core.model import Record
from salespipe.transfer.differing import DealNow
from salespipe.transfer.pending import Pending, unpack
from salespipe.transfer.rows import Filled

Content = tuple[object, object, object]  # value, currency, close date, as records keep them


class RowKey(NamedTuple):
    """``pipedrive:row-3f2a…-2`` taken apart."""

    prefix: str
    fingerprint: str
    number: int

    def __str__(self) -> str:
        suffix = "" if self.number == 1 else f"-{self.number}"
        return f"{self.prefix}:row-{self.fingerprint}{suffix}"


_ROW_KEY = re.compile(r"([^:]*):row-([0-9a-f]{12})(?:-([0-9]+))?")


def row_key(source: str | None) -> RowKey | None:
    """The parts of a key made for a row without an id; None for any other key."""
    found = _ROW_KEY.fullmatch(source) if source is not None else None
    if found is None:
        return None
    prefix, fingerprint, number = found.groups()
    return RowKey(prefix, fingerprint, int(number) if number else 1)


def _fingerprint_in_key(source: str | None) -> str | None:
    """The fingerprint in a row's key (every deal's key is asked: most are no row's)."""
    if source is None or ":row-" not in source:
        return None
    key = row_key(source)
    return key.fingerprint if key else None


class Earlier(NamedTuple):
    """A deal imported from a row without an id: its key and what it holds now."""

    source: str
    now: DealNow
    gone: bool = False  # deleted here (deals_here's ``gone``)

    @property
    def content(self) -> Content:
        return (self.now.value, self.now.currency, self.now.expected_close)

    @property
    def number(self) -> int:
        key = row_key(self.source)
        assert key is not None  # (made only of row keys)
        return key.number


class Resembled(NamedTuple):
    """A deal here, found by its title and customer: its id and source key."""

    deal: int
    source: str | None


@dataclass
class DealsHere:
    """What an import needs of the deals here, read in one pass over their records."""

    sources: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    # Every deal under a key made of a salespipe id alone (``salespipe:1``): each merged
    # backup's first deal has it, so one key is several deals, told apart by title and
    # creation (``sources`` keeps only the last one read).
    by_salespipe_id: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)
    ids: dict[int, tuple[str, datetime]] = field(default_factory=dict)
    by_fingerprint: dict[str, list[Earlier]] = field(default_factory=dict)
    now: dict[str, DealNow] = field(default_factory=dict)  # by key, the keys the file may have


def deals_here(
    records: Iterator[Record], rows: Sequence[Pending], gone: Iterable[Record] = ()
) -> DealsHere:
    """The deals' keys and ids, the deals imported under the fingerprints of the file's
    rows without an id, and what each deal a row may be holds now. The deals deleted
    here (``gone``, as they were) are paired with rows too, so that a row that is one of
    them takes its key (and is left out as deleted), not a new one; they are no deals
    here."""
    here = DealsHere()
    fingerprints = {_fingerprint_in_key(row.source) for row in rows} - {None}
    keys = {row.source for row in rows}
    for record in records:  # one at a time: a database is big
        deal = (record["title"], datetime.fromisoformat(record["created_at"]))
        source = record.get("source")
        if source:
            here.sources[source] = deal
            if source.startswith("salespipe:"):
                here.by_salespipe_id.setdefault(source, []).append(deal)
            fingerprint = _fingerprint_in_key(source)
            grouped = fingerprint if fingerprint in fingerprints else None
            if grouped is not None or source in keys:
                now = here.now[source] = DealNow.of(record)
                if grouped is not None:
                    here.by_fingerprint.setdefault(grouped, []).append(Earlier(source, now))
        here.ids[record["id"]] = deal
    # A key deleted, brought back and deleted again is paired once, as the deal deleted
    # last (the highest id, as deleted_sources names it): what it held when deleted.
    paired_gone: set[str] = set()
    for record in sorted(gone, key=lambda r: r["id"], reverse=True):
        source = record.get("source")
        if not source or source in here.sources or source in paired_gone:
            continue  # (a deal here has the key again: brought back under it)
        paired_gone.add(source)
        fingerprint = _fingerprint_in_key(source)
        if fingerprint is not None and fingerprint in fingerprints:
            earlier = Earlier(source, DealNow.of(record), gone=True)
            here.by_fingerprint.setdefault(fingerprint, []).append(earlier)
    return here


def _compared(name: str) -> str:
    """A title or customer as look-alikes are found: case and runs of spaces aside
    (kept NFC, as rows are: no normalising needed)."""
    return " ".join(name.casefold().split())


def _row_content(row: Pending, currency: str) -> Content:
    values = unpack(row)
    return (values.value, values.currency or currency, values.expected_close)


def settle_row_keys(rows: Sequence[Pending], here: DealsHere, currency: str) -> list[Pending]:
    """The rows, each one without an id keyed as the deal here it is (so that it is
    skipped as imported before) or as a new one numbered after those there."""
    groups: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        if not row.filled & Filled.KEY_BY_PLACE:
            continue  # a key the file gives (salespipe's own CSV's source) is the deal's
        fingerprint = _fingerprint_in_key(row.source)
        if fingerprint is not None and fingerprint in here.by_fingerprint:
            groups.setdefault(fingerprint, []).append(index)
    settled = list(rows)
    for fingerprint, indexes in groups.items():
        earlier = _taking_the_deleted_last(here.by_fingerprint[fingerprint], len(indexes))
        if len(indexes) == len(earlier) == 1:  # the common case: nothing to pair by
            if rows[indexes[0]].source != earlier[0].source:  # the key of another CRM's
                settled[indexes[0]] = rows[indexes[0]]._replace(source=earlier[0].source)
            continue
        keys = _paired(
            [_row_content(rows[i], currency) for i in indexes],
            sorted(earlier, key=attrgetter("number")),
            [row_key(rows[i].source) for i in indexes],
        )
        for index, source in zip(indexes, keys, strict=True):
            settled[index] = rows[index]._replace(source=source)
    return settled


def _taking_the_deleted_last(earlier: list[Earlier], rows: int) -> list[Earlier]:
    """The deals ``rows`` rows of one fingerprint are paired with: every deal here, and
    as many of the deals deleted here (the first by number) as there are rows left over.
    A row brought back by --restore-deleted was paired in order of number with the deal
    deleted, not the deal that came back, and named on every import as deleted here."""
    here = [deal for deal in earlier if not deal.gone]
    if len(here) == len(earlier):
        return earlier
    gone = sorted((deal for deal in earlier if deal.gone), key=attrgetter("number"))
    return here + gone[: max(0, rows - len(here))]


def _paired(
    contents: Sequence[Content], earlier: Sequence[Earlier], keys: Sequence[RowKey | None]
) -> list[str]:
    """The key of each row of one fingerprint: an earlier deal's (in order of number),
    paired in the file's order first with one that has all of its value, currency and
    close date, then two of them, then one, then any; or, for the rows left over, a new
    number. Each level looks its deals up by the fields it asks to agree, so a group of
    thousands of look-alikes pairs in linear time."""
    waiting: _Waiting | _Few = (
        _Few(earlier) if len(contents) * len(earlier) <= _FEW else _Waiting(earlier)
    )
    paired: list[str | None] = [None] * len(contents)
    for level in _AGREEING:
        for row, content in enumerate(contents):
            if paired[row] is None:
                paired[row] = waiting.take(content, level)
    number = max((deal.number for deal in earlier), default=0)
    settled = []
    for row, source in enumerate(paired):
        if source is None:
            number += 1
            key = keys[row]
            assert key is not None
            source = str(key._replace(number=number))
        settled.append(source)
    return settled


# The levels of pairing: at each, the sets of fields of which one must agree (all three;
# any two; any one; none, that is any deal).
_AGREEING: tuple[tuple[tuple[int, ...], ...], ...] = (
    ((0, 1, 2),),
    ((0, 1), (0, 2), (1, 2)),
    ((0,), (1,), (2,)),
    ((),),
)


_FEW = 64  # rows times deals up to which a group is paired by comparing each with each


class _Few:
    """The earlier deals not paired yet, of a small group: each compared in turn."""

    def __init__(self, earlier: Sequence[Earlier]) -> None:
        self.earlier = list(earlier)

    def take(self, content: Content, levels: tuple[tuple[int, ...], ...]) -> str | None:
        for at, deal in enumerate(self.earlier):
            if any(all(content[i] == deal.content[i] for i in fields) for fields in levels):
                return self.earlier.pop(at).source
        return None


class _Waiting:
    """The earlier deals not paired yet, looked up by any set of their fields: for each,
    a queue in order of number, a deal taken from one left in the others and passed
    over there."""

    def __init__(self, earlier: Sequence[Earlier]) -> None:
        self.taken = [False] * len(earlier)
        self.earlier = earlier
        self.queues: dict[tuple[object, ...], collections.deque[int]] = {}
        for at, deal in enumerate(earlier):
            for level in _AGREEING:
                for fields in level:
                    key = (fields, *(deal.content[i] for i in fields))
                    self.queues.setdefault(key, collections.deque()).append(at)

    def take(self, content: Content, levels: tuple[tuple[int, ...], ...]) -> str | None:
        """The source of the first deal by number agreeing with ``content`` in one of
        the sets of fields ``levels`` names, taken; None if there is none."""
        best: int | None = None
        for fields in levels:
            queue = self.queues.get((fields, *(content[i] for i in fields)))
            while queue and self.taken[queue[0]]:
                queue.popleft()
            if queue and (best is None or queue[0] < best):
                best = queue[0]
        if best is None:
            return None
        self.taken[best] = True
        return self.earlier[best].source


# How many deals of one title and customer a new deal is compared with: enough for the
# ones a row was matched to or that are the same CRM's other ids, and a bound where a
# title recurs for thousands of customers (a yearly "Annual renewal").
_LOOKED_AT = 20


def resembling(
    fresh: Sequence[Pending], records: Callable[[], Iterator[Record]], matched: Container[str | int]
) -> list[tuple[int, int]]:
    """(line, deal) for each new deal whose title is a deal's here and whose customer is
    that deal's too, or that gives no customer: a row whose key changed with the file
    (a renamed or added column, a customer in other capitals) would otherwise come in
    again without a word. Left out: a deal another row of the file was found to be
    (``matched``: their keys and ids), and two ids of one CRM (two deals by the CRM's
    own word). The deals are read (``records``) only where the file has new rows, for
    their titles: a file imported again reads them once."""
    found: list[tuple[int, int]] = []
    if not fresh:
        return found
    by_title = _by_title(records(), {_compared(unpack(row).title) for row in fresh})
    if not by_title:
        return found
    for row in fresh:
        values = unpack(row)
        customers = by_title.get(_compared(values.title))
        if not customers:
            continue
        customer = _compared(values.customer)
        candidates = (
            customers.get(customer, ())
            if customer
            else itertools.chain.from_iterable(customers.values())
        )
        for deal in itertools.islice(candidates, _LOOKED_AT):
            if (
                deal.deal in matched
                or deal.source in matched
                or _two_ids_of_one_crm(row.source, deal.source)
            ):
                continue
            found.append((row.line, deal.deal))
            break
    return found


def _by_title(
    records: Iterator[Record], titles: Container[str]
) -> dict[str, dict[str, list[Resembled]]]:
    """The deals whose titles are among ``titles``, by title and customer (as compared)."""
    by_title: dict[str, dict[str, list[Resembled]]] = {}
    for record in records:
        title = _compared(record["title"])
        if title in titles:
            customer = _compared(record.get("customer") or "")
            deals = by_title.setdefault(title, {}).setdefault(customer, [])
            deals.append(Resembled(record["id"], record.get("source")))
    return by_title


def _two_ids_of_one_crm(source: str | None, other: str | None) -> bool:
    if source is None or other is None or row_key(source) or row_key(other):
        return False
    return source.partition(":")[0] == other.partition(":")[0]
