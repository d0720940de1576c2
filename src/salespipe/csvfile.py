"""Reading a CSV file as people bring it: any common encoding, delimiter and footer.

Spreadsheets and CRMs save CSV as UTF-8 with or without a byte-order mark, as UTF-16
("Unicode text", often tab-separated), with ``,`` or ``;`` (where the comma is the
decimal mark) and with CRLF or LF line ends. Salesforce report exports add footer
lines after the data. This module turns the bytes into a header and data rows, each
row with the line number it starts on.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from salespipe.errors import InvalidValue
from salespipe.i18n import _

DELIMITERS = (",", ";", "\t")
_FOOTER = re.compile(r"^(grand totals?\b|confidential information\b|copyright\b|©)", re.IGNORECASE)


@dataclass(frozen=True)
class Row:
    line: int
    cells: list[str]


@dataclass
class Table:
    """A file's header and its data rows, read one by one (blank and footer rows left out)."""

    header: list[str]
    rows: Iterator[Row]
    text: str
    encoding: str
    delimiter: str

    @property
    def estimated_rows(self) -> int:
        return max(self.text.count("\n"), 1)


def decode(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """The text of a file and the name of the encoding it was read with."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise InvalidValue(
                _('The encoding "{encoding}" is not one Python knows.').format(encoding=encoding)
            ) from None
        except UnicodeDecodeError as exc:
            raise InvalidValue(
                _("{path} is not valid {encoding} (at byte {byte}).").format(
                    path=path, encoding=encoding, byte=exc.start
                )
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        chosen = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        chosen = "utf-16"
    elif len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] != 0:
        chosen = "utf-16-le"
    elif len(data) >= 4 and data[0] == 0 and data[2] == 0 and data[1] != 0:
        chosen = "utf-16-be"
    else:
        chosen = "utf-8"
    try:
        return data.decode(chosen), chosen
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidValue(
            _(
                '{path} is not UTF-8 text (line {line}); save it as "CSV UTF-8" from your '
                "spreadsheet, or name its encoding with --encoding (e.g. cp874 for Thai "
                "Windows, cp1252 for Western Windows)."
            ).format(path=path, line=line)
        ) from None


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def sniff_delimiter(text: str) -> str:
    """The delimiter the header line uses most: comma, semicolon or tab."""
    first_line = text.split("\n", 1)[0]
    counts = {d: _count_outside_quotes(first_line, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(text: str, delimiter: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    start = 1
    for cells in reader:
        yield Row(start, cells)
        start = reader.line_num + 1


def _is_blank(row: Row) -> bool:
    return not "".join(row.cells).strip()


def _is_footer(row: Row) -> bool:
    filled = [cell.strip() for cell in row.cells if cell.strip()]
    return len(filled) == 1 and bool(_FOOTER.match(filled[0]))


def _data_rows(records: Iterator[Row]) -> Iterator[Row]:
    """The rows after the header, without blank rows and a report's trailing footer.

    A footer-looking row is held back until a data row follows it (then it was data).
    """
    held: list[Row] = []
    for row in records:
        if _is_blank(row):
            continue
        if _is_footer(row):
            held.append(row)
            continue
        yield from held
        held.clear()
        yield row


def read_table(path: Path, data: bytes, encoding: str | None = None) -> Table:
    """The header and a stream of data rows of a CSV file."""
    text, used = decode(data, path, encoding)
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise InvalidValue(_("{path} is empty; there is nothing to import.").format(path=path))
    delimiter = sniff_delimiter(text)
    records = _records(text, delimiter)
    try:
        header_row = next(r for r in records if not _is_blank(r))
    except StopIteration:
        raise InvalidValue(
            _("{path} is empty; there is nothing to import.").format(path=path)
        ) from None
    except csv.Error as exc:
        raise unreadable(path, exc) from None
    header = [cell.strip() for cell in header_row.cells]
    return Table(header, _checked(_data_rows(records), path), text, used, delimiter)


def _checked(rows: Iterator[Row], path: Path) -> Iterator[Row]:
    try:
        yield from rows
    except csv.Error as exc:
        raise unreadable(path, exc) from None


def unreadable(path: Path, problem: Exception) -> InvalidValue:
    return InvalidValue(
        _("{path} is not a readable CSV file: {problem}.").format(path=path, problem=problem)
    )
