"""One row of an imported file, read into the fields of a deal.

:class:`RowReader` knows each format's conventions (where status comes from, which
date closes a deal, how ids become ``source`` keys) and reports every cell it cannot
read as a :class:`Problem` with the line, the column and the reason.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from salespipe.core import parse
from salespipe.core.currencies import ISO_4217
from salespipe.core.currency_names import AMBIGUOUS_DOLLAR
from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import N_, _
from salespipe.core.limits import MAX_OWNER, MAX_QUOTE_NOTE, MAX_REASON
from salespipe.core.model import NextAction, Quote, Status
from salespipe.core.stored import MAX_DEAL_ID
from salespipe.transfer.crm_formats import Layout, closing_status
from salespipe.transfer.dates import DateReader
from salespipe.transfer.exporting import TAG_SEPARATOR
from salespipe.transfer.values import (
    Amount,
    BadValue,
    DecimalMark,
    amount,
    currency_code,
    flag,
    html_text,
    line_text,
    long_text,
    probability,
)

T = TypeVar("T")

# Status words of Pipedrive in the languages it exports.
_STATUS_WORDS: dict[str, Status | None] = {
    **dict.fromkeys(("open", "otevřeno", "otevřený", "ouvert", "ouverte", "offen"), "open"),
    **dict.fromkeys(("aberto", "abierto", "aperto"), "open"),
    **dict.fromkeys(("won", "vyhráno", "vyhraný", "gagné", "gagnée", "gewonnen"), "won"),
    **dict.fromkeys(("ganho", "ganado", "vinto"), "won"),
    **dict.fromkeys(("lost", "prohráno", "prohraný", "perdu", "perdue", "verloren"), "lost"),
    **dict.fromkeys(("perdido", "perso"), "lost"),
    **dict.fromkeys(("deleted", "smazáno", "supprimé", "gelöscht", "excluído"), None),
    # And salespipe's own Thai words for them (fmt.status), as its exports show them.
    **{"เปิดอยู่": "open", "ปิดได้": "won", "หลุด": "lost"},
}
# A number cut in two by an unquoted thousands comma: "1" (perhaps "$1", "฿1", "EUR 1")
# and "200" (perhaps "200.00", "200 บาท"), in a column read as an amount and the next.
_AMOUNTS = ("value", "quote_amount")
_THOUSANDS_HEAD = re.compile(r"\s*(?:[A-Za-z]{3}\s?)?[^\w\s,]{0,2}\s*\d{1,3}\s*$")
_THOUSANDS_TAIL = re.compile(r"\s*\d{3}(?:[.,]\d+)?\s*[^\d\s,]{0,4}\s*$")
_DEACTIVATED = re.compile(r"\s*\((deactivated|inactive) user\)\s*$", re.IGNORECASE)


class Filled:
    """What stood in for data a row lacks, and how a cell was read when the report says
    so: bits of :attr:`Incoming.filled`, counted and reported by the import (closing bits
    only for the rows that end up closed)."""

    CURRENCY = 1  # no currency: the one of --currency or config
    OWNER = 2  # no owner: the importing user
    DOLLAR = 4  # "$": the currency of --currency, else USD
    CLOSED_FROM_UPDATED = 8  # no close date: the row's last-modified time
    CLOSED_FROM_EXPECTED = 16  # no close date: its expected close date
    CLOSED_FROM_CREATED = 32  # no close date: its creation time
    CLOSED_UNKNOWN = 64  # no date at all: closed when imported
    NO_CLOSE_DATE = 128  # the row gives no closing time (one of the four above, if closed)
    VALUE_UNIT = 256  # a value written with a unit (150k, 1.2m), read as `add --value` does
    CLOSED_LATER = 512  # a close date after the import: closed when imported
    CREATED_LATER = 1024  # created after its close (or the import): created then instead
    NO_VALUE = 2048  # no amount: a value of 0
    NO_STAGE = 4096  # no stage: the pipeline's first stage (a won deal: its last)
    # A closed deal whose stay in its stage is not known (the stage it closed in, or
    # when it entered it): no stay recorded, so no days are counted in a stage for it.
    NO_STAY = 8192
    # An open deal without the time it entered its stage: in it since it was created.
    ENTERED_AT_CREATION = 16384
    # No creation time: created when imported (a closed deal: when it closed).
    NO_CREATION = 32768
    # No id: the row's key made of what it holds and its place among its look-alikes
    # (look_alikes.py pairs such keys with the deals here; a key the file gives is kept).
    KEY_BY_PLACE = 65536


@dataclass(frozen=True)
class RowRules:
    """What the user said about cells: values to read as others, markers of empty cells."""

    value_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    nulls: frozenset[str] = frozenset()
    currency: str | None = None  # what "$" means (--currency), else USD
    decimal_mark: DecimalMark | None = "."  # the file's (--decimal-mark, else as it shows)
    comma_assumed: bool = False  # the decimal comma only from a ";" separator
    dot_assumed: bool = False  # the decimal dot only from a "," separator


# A whole number as a spreadsheet writes one too long for its cell: 1.23457E+10.
_SHORTENED_NUMBER = re.compile(r"\d(?:[.,]\d+)?E\+\d+", re.IGNORECASE)

_OPTIONAL_FIELDS = frozenset({"contact", "tags", "description", "next_step"})

# A cell is quoted in a problem's one line: its line breaks and tabs are shown as escapes.
_ON_ONE_LINE = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})


@dataclass(frozen=True)
class Problem:
    """A cell (or row) that cannot be imported."""

    line: int
    column: str
    value: str
    reason: str
    where: str = "line"
    # The cell is of a column a deal can do without (a note, the next step, tags), so
    # --ignore can leave the column out rather than the row.
    optional: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            self.where: self.line,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }

    def describe(self) -> str:
        """``line 3, column Amount "12,5x": not an amount`` (``item 3`` in a JSON list)."""
        one_line = self.value.translate(_ON_ONE_LINE)
        shown = one_line if len(one_line) <= 40 else one_line[:39] + "…"
        if self.where == "item":
            place = _("item {line}, column {column}").format(line=self.line, column=self.column)
        else:
            place = _("line {line}, column {column}").format(line=self.line, column=self.column)
        value = f' "{shown}"' if shown else ""
        return f"{place}{value}: {self.reason.translate(_ON_ONE_LINE)}"


class RowInvalid(Exception):
    def __init__(self, problems: list[Problem], row: Incoming) -> None:
        super().__init__(problems[0].reason)
        self.problems = problems
        self.row = row  # as far as it was read: its stage label still counts


@dataclass(slots=True)
class Incoming:
    """A deal as a file gives it, before it meets the pipeline's stages and ids."""

    line: int
    title: str
    source: str | None = None
    deal_id: int | None = None
    customer: str = ""
    contact: str = ""
    owner: str | None = None
    value: Decimal = Decimal(0)
    currency: str | None = None
    stage_label: str = ""
    stage_name: str = ""
    pipeline_label: str = ""
    status: Status | None = None
    closing_label: bool = False
    probability: int | None = None
    expected_close: date | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    stage_entered_at: datetime | None = None
    closed_at: datetime | None = None
    lost_reason: str | None = None
    tags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    next_action: NextAction | None = None
    quote: Quote | None = None
    filled: int = 0  # :class:`Filled` bits
    cells: int = 0  # a hash of the row's cells as written: the same for a repeated row


# The currencies written with a bare "$" (dollars and pesos): a "$" amount in another's
# column (EUR, THB) is a mistake, not a way of writing it.
_DOLLAR_SIGN_CURRENCIES = frozenset(
    "USD CAD AUD NZD SGD HKD TWD MXN ARS CLP COP UYU CUP DOP BSD BBD BZD BMD BND KYD FJD "  # noqa: SIM905
    "GYD JMD LRD NAD SBD SRD TTD XCD BRL NIO".split()
)


# Symbols two currencies write alike, read as the first: ¥ (yen, yuan), C$ (Canadian
# dollar, córdoba).
_SHARED_SYMBOLS = (frozenset(("JPY", "CNY")), frozenset(("CAD", "NIO")))


def _disagree(raw: str, written: str, named: str) -> bool:
    """Whether an amount's own currency (``฿1,000``, ``CNY 1000``) is not its currency
    column's. A column of "$" takes the dollars and pesos; a symbol two currencies share
    (``¥``) agrees with either, its code written out (``CNY``) only with itself."""
    if written == named:
        return False
    dollar = written == AMBIGUOUS_DOLLAR or written in _DOLLAR_SIGN_CURRENCIES
    if named == AMBIGUOUS_DOLLAR:
        return not dollar
    if named not in ISO_4217:
        return False
    if written == AMBIGUOUS_DOLLAR:
        return named not in _DOLLAR_SIGN_CURRENCIES
    by_symbol = written not in raw.upper()
    return not (by_symbol and frozenset((written, named)) in _SHARED_SYMBOLS)


class RowReader:
    """Reads the rows of one file of one format."""

    def __init__(
        self,
        layout: Layout,
        dates: DateReader,
        where: str = "line",
        rules: RowRules | None = None,
    ) -> None:
        self.layout = layout
        self.dates = dates
        self.where = where
        self.rules = rules or RowRules()
        self.ours = layout.format.name == "salespipe"
        self._adjusting = bool(self.rules.value_maps or self.rules.nulls)
        columns = layout.columns
        self._has_next_action = any(f in columns for f in ("next_action", "next_action_due"))
        self._has_quote = any(f.startswith("quote_") for f in columns)
        self._problems: list[Problem] = []
        self._line = 0
        self._cells: Sequence[str] = ()
        # The header's width up to its last named column: a header ending in a separator
        # has an empty last name, under which a row shifted by an unquoted 1,200 put its
        # owner (read shifted, the owner lost).
        header = layout.header
        self._named_width = max((i + 1 for i, name in enumerate(header) if name.strip()), default=0)
        # ...and up to the last column read or left out, by a number if it has no name
        # (--column description=5, --ignore 5): cells past it are data no field reads.
        self._read_width = max(
            (
                self._named_width,
                *(i + 1 for i in layout.columns.values()),
                *(i + 1 for i in layout.ignored),
            ),
        )
        # Rows without an id are told apart by what they hold and how many alike came
        # before them in the file: look-alike rows stay distinct deals, and the same file
        # read again gives the same keys.
        self._occurrences: Counter[str] = Counter()

    # -- cells ----------------------------------------------------------------------------
    def _raw(self, name: str) -> str:
        # Layout.cell, inlined: this runs for every cell of every row.
        index = self.layout.columns.get(name)
        cells = self._cells
        raw = cells[index] if index is not None and index < len(cells) else ""
        if self._adjusting and raw:
            return self._adjusted(name, raw)
        return raw

    def _adjusted(self, name: str, raw: str) -> str:
        """The cell as --null and --map make it."""
        text = raw.strip()
        if text in self.rules.nulls:
            return ""
        mapped = self.rules.value_maps.get(name)
        if mapped:
            return mapped.get(text.casefold(), raw)
        return raw

    def _read(self, name: str, reader: Callable[[str], T], default: T) -> T:
        """The cell read by ``reader``; ``default`` for an empty or absent cell or a bad one."""
        raw = self._raw(name)
        if not raw or raw.isspace():
            return default
        try:
            return reader(raw)
        except BadValue as exc:
            self._problem(name, raw, exc.reason)
        except InvalidValue as exc:
            self._problem(name, raw, exc.message.rstrip("."))
        return default

    def _amount(self, raw: str) -> Amount:
        return amount(
            raw,
            self.rules.decimal_mark,
            comma_assumed=self.rules.comma_assumed,
            dot_assumed=self.rules.dot_assumed,
        )

    def _problem(self, name: str, raw: str, reason: str) -> None:
        column = self.layout.column_name(name)
        optional = name in _OPTIONAL_FIELDS
        self._problems.append(
            Problem(self._line, column, raw.strip(), reason, self.where, optional)
        )

    def _text(self, name: str, what: str, max_length: int = 500) -> str:
        if self.ours:
            return self._read(
                name,
                lambda raw: parse.text(raw, what=what, max_length=max_length, exact=True),
                "",
            )
        return self._read(name, lambda raw: line_text(raw, what=what, max_length=max_length), "")

    def _moment(self, name: str, *, end_of_day: bool = False) -> datetime | None:
        return self._read(name, lambda raw: self.dates.moment(raw, end_of_day=end_of_day), None)

    def _day(self, name: str) -> date | None:
        return self._read(name, self.dates.day, None)

    # -- a whole row ----------------------------------------------------------------------
    def read(self, line: int, cells: Sequence[str]) -> Incoming:
        self._problems, self._line, self._cells = [], line, cells
        row = Incoming(line=line, title=self._text("title", N_("title")), cells=hash(tuple(cells)))
        if not row.title.strip() and not self._problems:
            self._problem("title", "", _("the title is empty"))
        self._people_and_money(row)
        self._stage_and_status(row)
        self._times(row)
        self._extras(row)
        row.source, row.deal_id = self._identity(row)
        beyond = self._beyond_the_header()
        if beyond:  # the row's cells are shifted, so its other problems would mislead
            self._problems = [beyond]
        if self._problems:
            raise RowInvalid(self._problems, row)
        return row

    def _beyond_the_header(self) -> Problem | None:
        """A row shifted by a separator in an unquoted cell, or None: one with filled cells
        past the header's last column, or with more cells than the header whose amount
        column and the cell after it are a number cut at its thousands comma (under
        ``Title,Value,Customer,Owner``, ``Deal B,1,200,Acme,`` has its extra cell empty,
        and was read as worth 1, for the customer "200", owned by Acme). Other rows
        ending in an empty cell have a separator after their last cell: no harm, even
        where two numbers stand side by side (a quantity, then the value)."""
        width = self._named_width
        if len(self._cells) <= width:
            return None
        if len(self._cells) <= len(self.layout.header) and not any(
            cell.strip() for cell in self._cells[width:]
        ):  # a header ending in a separator: its rows may too
            return None
        if len(self.layout.header) > width:  # a column without a name: data dropped, or shifted
            reason = _(
                "the row has {cells} cells where the header names {header}; a cell holding "
                "the separator must be in quotes, and a column of data needs a name"
            ).format(cells=len(self._cells), header=width)
        else:
            reason = _(
                "the row has {cells} cells where the header has {header}; a cell holding "
                "the separator must be in quotes"
            ).format(cells=len(self._cells), header=width)
        for index in range(self._read_width, len(self._cells)):
            if self._cells[index].strip():
                return Problem(
                    self._line, str(index + 1), self._cells[index].strip(), reason, self.where
                )
        for name in _AMOUNTS:
            at = self.layout.columns.get(name)
            if at is None or at + 1 >= len(self._cells):
                continue
            first, then = self._cells[at], self._cells[at + 1]
            if _THOUSANDS_HEAD.match(first) and _THOUSANDS_TAIL.match(then):
                cut = f"{first.strip()},{then.strip()}"
                return Problem(self._line, str(at + 1), cut, reason, self.where)
        return None

    def _people_and_money(self, row: Incoming) -> None:
        row.customer = self._text("customer", N_("customer"))
        row.contact = self._text("contact", N_("contact"))
        owner = self._text("owner", N_("owner"), max_length=MAX_OWNER)
        row.owner = _DEACTIVATED.sub("", owner) or None
        if row.owner is None:
            row.filled |= Filled.OWNER
        value, written_currency, unit = self._read("value", self._amount, Amount(None, None))
        row.value = Decimal(0) if value is None else value
        if value is None:
            row.filled |= Filled.NO_VALUE
        if unit:
            row.filled |= Filled.VALUE_UNIT
        named = self._read("currency", currency_code, None)
        if named and written_currency and _disagree(self._raw("value"), written_currency, named):
            self._problem(
                "value",
                self._raw("value"),
                _("the value is in {written}, but the currency column says {named}").format(
                    written=written_currency, named=named
                ),
            )
        currency = named or written_currency
        if currency == AMBIGUOUS_DOLLAR:
            currency = self.rules.currency or "USD"
            row.filled |= Filled.DOLLAR
        row.currency = currency
        if currency is None:
            row.filled |= Filled.CURRENCY

    def _stage_and_status(self, row: Incoming) -> None:
        row.stage_label = self._text("stage", N_("stage"), max_length=200).strip()
        row.stage_name = self._text("stage_name", N_("stage name"), max_length=200).strip()
        row.pipeline_label = self._text("pipeline", N_("pipeline"), max_length=200).strip()
        fmt = self.layout.format
        if fmt.stage_names and row.stage_label and not row.stage_name:
            row.stage_name = fmt.stage_names.get(_stage_code(row.stage_label), "")
        if not row.stage_label and not row.stage_name:
            row.filled |= Filled.NO_STAGE
        if self.layout.has("status"):
            row.status = self._read("status", self._status_word, None)
        if self.layout.has("is_deleted") and self._read("is_deleted", flag, False):
            self._problem("is_deleted", self._raw("is_deleted"), _("the record is deleted"))
        if self.layout.has("is_closed"):
            closed = self._read("is_closed", flag, False)
            if self.layout.has("is_won"):
                won = self._read("is_won", flag, False)
            else:
                won = closing_status(row.stage_name or row.stage_label) == "won"
            row.status = ("won" if won else "lost") if closed else "open"
            row.closing_label = closed
        # An archived lead (Odoo) is a lost one, unless its stage won it; its stage is the
        # one it was lost in (a trial: with it taken for a closing label, the lead was
        # lost in the first stage and "Qualified" never created).
        archived = self.layout.has("active") and not self._read("active", flag, True)
        if archived and closing_status(row.stage_name or row.stage_label) != "won":
            row.status = "lost"
        fractions = fmt.name == "hubspot"
        # A sheet of one's own may write shares (0.5); a CRM's column is a percent (Odoo's
        # 0.53 is half a percent), HubSpot's a share.
        sheet = fmt.name in ("salespipe", "pipedrive")  # (a sheet may read as Pipedrive's)
        row.probability = self._read(
            "probability",
            lambda raw: probability(raw, fractions=fractions, shares_refused=sheet),
            None,
        )

    def _status_word(self, raw: str) -> Status | None:
        word = raw.strip().casefold()
        if not word:
            return None
        if word not in _STATUS_WORDS:
            raise BadValue(
                _(
                    "the status is not open, won or lost; say which it is with "
                    "--map status:{value}=STATUS (won, lost or open)"
                ).format(value=raw.strip())
            )
        status = _STATUS_WORDS[word]
        if status is None:
            raise BadValue(_("the deal is deleted"))
        return status

    def _times(self, row: Incoming) -> None:
        row.created_at = self._moment("created_at")
        row.updated_at = self._moment("updated_at")
        row.stage_entered_at = self._moment("stage_entered_at")
        close_day = self._day("close_date")
        row.expected_close = self._day("expected_close") or close_day
        won_at = self._moment("won_at", end_of_day=True)
        lost_at = self._moment("lost_at", end_of_day=True)
        closed_at = self._moment("closed_at", end_of_day=True)
        by_status = {"won": won_at, "lost": lost_at}.get(row.status or "")
        row.closed_at = by_status or closed_at or won_at or lost_at
        if row.closed_at is None and close_day is not None:
            row.closed_at = self._moment("close_date", end_of_day=True)
        if row.closed_at is None:
            # Settled if the row turns out closed, by its status or by --stage-map even
            # where its Status says Open (it was closed at the moment of the import).
            row.filled |= Filled.NO_CLOSE_DATE
        row.lost_reason = (
            self._read(
                "lost_reason",
                lambda raw: (
                    parse.text(raw, what=N_("lost reason"), multiline=True, max_length=MAX_REASON)
                    if self.ours
                    else long_text(raw, what=N_("lost reason"), max_length=MAX_REASON)
                ),
                "",
            )
            or None
        )

    def _extras(self, row: Incoming) -> None:
        separator = TAG_SEPARATOR if self.ours else ","
        row.tags = self._read("tags", lambda raw: _tags(raw, separator), ())
        notes = []
        description = self._read("description", lambda r: long_text(r, what=N_("description")), "")
        if self.layout.format.html_descriptions:
            description = html_text(description)
        if description:
            notes.append(description)
        next_step = self._read("next_step", lambda r: long_text(r, what=N_("next step")), "")
        if next_step:
            notes.append(f"Next step: {next_step}")
        if row.status == "open" and row.lost_reason:  # lost once, then reopened: kept
            notes.append(f"Lost reason: {row.lost_reason}")
        row.notes = tuple(notes)
        if self._has_next_action:
            row.next_action = self._next_action()
        if self._has_quote:
            row.quote = self._quote()

    def _next_action(self) -> NextAction | None:
        text = self._text("next_action", N_("next action"))
        due = self._day("next_action_due")
        if not text and due is None:
            return None
        if not text or due is None:
            missing = "next_action" if not text else "next_action_due"
            self._problem(missing, "", _("a next action needs both its text and its due date"))
            return None
        return NextAction(text, due)

    def _quote(self) -> Quote | None:
        valid_until = self._day("quote_valid_until")
        sent_at = self._moment("quote_sent_at")
        quoted = self._read("quote_amount", self._amount, Amount(None, None)).value
        note = self._read(
            "quote_note",
            lambda raw: parse.text(
                raw, what=N_("quote note"), multiline=True, max_length=MAX_QUOTE_NOTE
            ),
            "",
        )
        if valid_until is None and sent_at is None:
            return None
        if valid_until is None or sent_at is None:
            missing = "quote_valid_until" if valid_until is None else "quote_sent_at"
            self._problem(missing, "", _("a quote needs both quote_valid_until and quote_sent_at"))
            return None
        return Quote(valid_until=valid_until, sent_at=sent_at, amount=quoted, note=note)

    def _identity(self, row: Incoming) -> tuple[str | None, int | None]:
        """The row's ``source`` key and, for our own CSV, the deal id it had."""
        raw_id = line_text(self._raw("source_id"), what=N_("id"), max_length=100)
        if self.ours:
            deal_id = self._read("id", _deal_id, None)
            source = self._text("source", N_("source"), max_length=200) or None
            if source is None and raw_id:
                source = f"csv:{raw_id}"
            if source is None and deal_id is None:
                source = f"csv:row-{self._occurrence(row)}"
            return source, deal_id
        named = "source_id"
        for other in ("id", "source"):
            if not raw_id:
                named, raw_id = other, line_text(self._raw(other), what=N_("id"), max_length=100)
        prefix = self.layout.format.source_prefix
        if _SHORTENED_NUMBER.fullmatch(raw_id):
            self._problem(
                named,
                raw_id,
                _(
                    "the id is a long number a spreadsheet shortened (Excel shows 12345678901 "
                    "as 1.23457E+10), so it no longer names its deal: export the file again, "
                    "or format the id column as text before saving it"
                ),
            )
        if raw_id:
            return f"{prefix}:{raw_id}", None
        return f"{prefix}:row-{self._occurrence(row)}", None

    def _occurrence(self, row: Incoming) -> str:
        """The row's fingerprint, numbered from its second look-alike in the file on."""
        row.filled |= Filled.KEY_BY_PLACE
        key = _fingerprint(row, self.layout.by_our_names)
        self._occurrences[key] += 1
        count = self._occurrences[key]
        return key if count == 1 else f"{key}-{count}"


def _deal_id(raw: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if not text.isdecimal() or not 1 <= int(text) <= MAX_DEAL_ID:
        raise BadValue(
            _("a deal id is a whole number from 1 to {highest}").format(highest=MAX_DEAL_ID)
        )
    return int(text)


def _tags(raw: str, separator: str) -> tuple[str, ...]:
    """The tags of a cell; those that read the same (ERP and erp) are one, as everywhere."""
    tags: list[str] = []
    seen: set[str] = set()
    for part in raw.split(separator):
        tag = part.strip()
        if not tag or parse.fold(tag) in seen:
            continue
        if len(tag) > 50:
            raise BadValue(_("a tag is longer than 50 characters"))
        tags.append(tag)
        seen.add(parse.fold(tag))
    return tuple(tags)


def _stage_code(label: str) -> str:
    """A stage id as its CRM's defaults name it: Bitrix24 pipelines prefix theirs (C1:NEW)."""
    return re.sub(r"^C\d+:", "", label).casefold()


def _fingerprint(row: Incoming, left_out: Collection[str] = ()) -> str:
    """A stable key for a row without an id: its title, customer, contact and creation
    (but the fields ``left_out``: the same file imported again after an upgrade that
    reads more of it must give the same keys, or its deals come in twice)."""
    created = row.created_at.isoformat() if row.created_at else ""
    kept = [
        "" if name in left_out else getattr(row, name) for name in ("title", "customer", "contact")
    ]
    text = "\x1f".join((*kept, created))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]
