"""Reading a CSV file as people bring it: any common encoding, delimiter and footer.

Spreadsheets and CRMs save CSV as UTF-8 with or without a byte-order mark, as UTF-16
("Unicode text", often tab-separated), with ``,`` or ``;`` (where the comma is the
decimal mark) and with CRLF or LF line ends. Salesforce report exports add footer
lines after the data; grouped exports (monday.com's) repeat the header under each
group's title. This module turns the bytes into a header and data rows, each row with
the line number it starts on, and notes the lines it left out as no deal's.

The text is decoded a chunk at a time, never whole: once to check it (and to show it
to a caller that must see all of it before the rows, e.g. to settle the date order),
then again row by row. A file of 100,000 rows held as one string would cost 2-4 times
its size (Python keeps text with one Thai or dash character at 2 bytes a character,
and ``io.StringIO`` copies it at 4).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import _

DELIMITERS = (",", ";", "\t")
CHUNK_BYTES = 1 << 20
_FOOTER = re.compile(r"^(grand totals?\b|confidential information\b|copyright\b|©)", re.IGNORECASE)
# What a report writes in the first cell of a (sub)total row, the title cell left empty.
_SUBTOTAL = re.compile(r"((sub[- ]?)?totals?|sum|รวม|ยอดรวม|รวมทั้งหมด|รวมทั้งสิ้น):?", re.IGNORECASE)
# A sum beside it: a number, with a currency's code or sign and a sign of its own.
_SUM = re.compile(
    r"(?:[A-Z]{3} ?)?[-+(]?[^\w\s]{0,2} ?\d[\d .,'\u00a0\u202f]*[^\w\s]{0,2}\)?%?(?: ?[A-Z]{3})?"
)


@dataclass(frozen=True)
class Row:
    line: int
    cells: list[str]


LeftOutKind = Literal["footer", "header", "group_title"]
"""A line that holds no deal: a report's total or footer, the header repeated under a
group, or that group's title above it."""


@dataclass
class Table:
    """A file's header and its data rows, read one by one (blank and footer rows left out)."""

    header: list[str]
    records: Iterator[Row]  # the rows after the header, as they are
    encoding: str
    delimiter: str
    estimated_rows: int
    has_header: bool = True
    left_out: list[tuple[int, LeftOutKind]] = field(default_factory=list)  # as read

    @property
    def rows(self) -> Iterator[Row]:
        return self.data_rows()

    def data_rows(self, title_column: int | None = None) -> Iterator[Row]:
        """The data rows; with the title column known, a report's trailing subtotal row
        is left out with its footer. The lines left out are noted in ``left_out``."""
        heading = _heading(self.header) if self.has_header else None
        return _data_rows(self.records, title_column, heading, self.left_out)


def _guess_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] != 0:
        return "utf-16-le"
    if len(data) >= 4 and data[0] == 0 and data[2] == 0 and data[1] != 0:
        return "utf-16-be"
    return "utf-8"


def _not_decodable(data: bytes, path: Path, chosen: str, given: str | None) -> InvalidValue:
    """Why the file is not text in ``chosen``: the first undecodable byte, or its line."""
    try:
        data.decode(chosen)
    except UnicodeDecodeError as exc:
        if given:
            return InvalidValue(
                _("{path} is not valid {encoding} (at byte {byte}).").format(
                    path=path, encoding=given, byte=exc.start
                )
            )
        line = data.count(b"\n", 0, exc.start) + 1
        return InvalidValue(
            _(
                '{path} is not UTF-8 text (line {line}); save it as "CSV UTF-8" from your '
                "spreadsheet, or name its encoding with --encoding (e.g. cp874 for Thai "
                "Windows, cp1252 for Western Windows)."
            ).format(path=path, line=line)
        )
    raise AssertionError("the text decoded whole but not in chunks")  # pragma: no cover


def _text_chunks(data: bytes, path: Path, chosen: str, given: str | None) -> Iterator[str]:
    """The file's text a chunk at a time, each ending at a line end (or the file's end)."""
    decoder = codecs.getincrementaldecoder(chosen)()
    view = memoryview(data)
    carried = ""
    first = True
    for start in range(0, len(data) + 1, CHUNK_BYTES):
        end = start + CHUNK_BYTES
        try:
            text = decoder.decode(view[start:end], final=end > len(data))
        except UnicodeDecodeError:
            raise _not_decodable(data, path, chosen, given) from None
        except UnicodeError as exc:  # utf-16 without a byte-order mark says only this
            raise InvalidValue(
                _(
                    "{path} is not {encoding} text as given ({problem}); name the byte order "
                    "with --encoding utf-16-le or utf-16-be."
                ).format(path=path, encoding=given or chosen, problem=exc)
            ) from None
        if first and text:
            text, first = text.removeprefix("\ufeff"), False
        cut = text.rfind("\n") + 1
        if cut:
            yield carried + text[:cut]
            carried = text[cut:]
        else:
            carried += text
    if carried:
        yield carried


def _checked_encoding(encoding: str) -> str:
    """The encoding, if it names one that makes text (``bytes.decode`` refuses base64,
    rot13 and the like the way it refuses unknown names). Windows' own names for its
    code pages (windows-874, Thai; Python knows most as cp…) are read as those."""
    windows = re.fullmatch(r"(?:windows|win)[-_ ]?(\d{3,4})", encoding.strip(), re.IGNORECASE)
    used = f"cp{windows[1]}" if windows else encoding
    try:
        known = getattr(codecs.lookup(used), "_is_text_encoding", True)
    except (LookupError, UnicodeError):  # UnicodeError: a name of undecodable bytes
        known = False
    if not known:
        raise InvalidValue(
            _('The encoding "{encoding}" is not one Python knows.').format(encoding=encoding)
        )
    return used


def _lines(data: bytes, encoding: str) -> Iterator[str]:
    """The file's lines as the csv module reads them (line ends kept), decoded as they go."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    first = stream.readline().removeprefix("\ufeff")
    if first:
        yield first
    yield from stream


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def sniff_delimiter(text: str) -> str:
    """The delimiter the first line uses most: comma, semicolon or tab. Where two are
    used as often (``A;1,500`` as the first line of a file without a header), the one
    the next lines use as often as the first does: ``B;300`` is a ``;`` file's line."""
    lines = text.split("\n", SNIFFED_LINES + 1)[: SNIFFED_LINES + 1]
    counts = {d: _count_outside_quotes(lines[0], d) for d in DELIMITERS}
    most = max(counts.values())
    if not most:
        return ","
    tied = [d for d in DELIMITERS if counts[d] == most]
    later = [line for line in lines[1:] if line.strip()]
    alike = {d: sum(_count_outside_quotes(line, d) == most for line in later) for d in tied}
    return max(tied, key=lambda d: alike[d])  # (the first of DELIMITERS on a tie)


SNIFFED_LINES = 20  # the lines after the first that settle a tie


def _records(lines: Iterator[str], delimiter: str) -> Iterator[Row]:
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    start = 1
    for cells in reader:
        yield Row(start, cells)
        start = reader.line_num + 1


def _is_blank(row: Row) -> bool:
    return not "".join(row.cells).strip()


def _is_footer(row: Row, title_column: int | None) -> bool:
    """A report's footer line: its first filled cell says so (an unquoted copyright line
    is cut into several cells at its commas, a total line has its sums beside it), or
    it is a subtotal row."""
    filled = [cell.strip() for cell in row.cells if cell.strip()]
    if filled and _FOOTER.match(filled[0]):
        return True
    return title_column is not None and _is_subtotal(row, title_column)


def _is_sum_row(row: Row) -> bool:
    """A report's total wherever its "Total" stands (the title's column or the first):
    the first filled cell says so, and every other filled cell is a number. Such a row
    is no deal even in the middle of the file, as a report's group subtotals are."""
    filled = [cell.strip() for cell in row.cells if cell.strip()]
    return (
        len(filled) > 1
        and bool(_SUBTOTAL.fullmatch(filled[0]))
        and all(_SUM.fullmatch(cell) for cell in filled[1:])
    )


def _is_subtotal(row: Row, title_column: int) -> bool:
    """A report's sum, no deal: "Total" (or the like) in the first cell, and no title."""
    title = row.cells[title_column].strip() if title_column < len(row.cells) else ""
    return not title and bool(_SUBTOTAL.fullmatch(row.cells[0].strip()))


def _heading(cells: list[str]) -> list[str]:
    return [cell.strip().casefold() for cell in cells]


def _is_title_only(row: Row) -> bool:
    """Only the first cell filled: a group's title in a grouped export, or a deal with
    nothing but its name."""
    cells = row.cells
    return bool(cells[0].strip()) and not any(cell.strip() for cell in cells[1:])


def _repeats(row: Row, heading: list[str] | None) -> bool:
    """Whether the row is the header again (its first cell tells most rows apart)."""
    cells = row.cells
    return (
        heading is not None
        and len(cells) == len(heading)
        and cells[0].strip().casefold() == heading[0]
        and _heading(cells) == heading
    )


def _data_rows(
    records: Iterator[Row],
    title_column: int | None,
    heading: list[str] | None,
    left_out: list[tuple[int, LeftOutKind]],
) -> Iterator[Row]:
    """The rows after the header, without blank rows, a report's trailing footer, and
    the header repeated under a group's title with that title.

    A footer-looking row, and one with only its first cell filled, is held back until
    the next row shows what it was: a repeated header makes the row before it the
    group's title if it has only its first cell and a blank line comes before it (as
    grouped exports set their groups apart; a deal with only its name just above a
    header, as two files joined make, stays a deal); a data row makes them all data;
    the file's end makes the footer-looking ones a footer.
    """
    held: list[Row] = []
    titles: set[int] = set()  # lines of held rows that could be a group's title
    after_blank = False
    for row in records:
        if _is_blank(row):
            after_blank = True
            continue
        follows_blank, after_blank = after_blank, False
        if _is_sum_row(row):
            left_out.append((row.line, "footer"))
            continue
        if _repeats(row, heading):
            if held and held[-1].line in titles and not _is_footer(held[-1], title_column):
                left_out.append((held.pop().line, "group_title"))
            yield from held
            held.clear()
            left_out.append((row.line, "header"))
            continue
        if _is_footer(row, title_column) or _is_title_only(row):
            if follows_blank and _is_title_only(row):
                titles.add(row.line)
            held.append(row)
            continue
        yield from held
        held.clear()
        yield row
    for row in held:
        if _is_footer(row, title_column):
            left_out.append((row.line, "footer"))
        else:
            yield row


def read_table(
    path: Path,
    data: bytes,
    encoding: str | None = None,
    look: Callable[[str], None] | None = None,
    header: bool = True,
) -> Table:
    """The header and a stream of data rows of a CSV file.

    The whole text is checked (and shown to ``look``, a chunk at a time, each ending at
    a line end) before this returns; the rows are decoded as they are read. A file
    without a header row (``header=False``) gets one of column numbers, ``1``, ``2``….
    """
    _refuse_a_workbook(path, data)
    used = _checked_encoding(encoding) if encoding else _guess_encoding(data)
    first_line: str | None = None
    first_chunk = ""
    blank = True
    line_ends = 0
    for chunk in _text_chunks(data, path, used, encoding):
        if first_line is None:
            first_line, first_chunk = chunk.split("\n", 1)[0], chunk
        blank = blank and chunk.isspace()
        line_ends += chunk.count("\n")
        if look is not None:
            look(chunk)
    if blank or first_line is None:
        raise InvalidValue(_("{path} is empty; there is nothing to import.").format(path=path))
    declared = _SEPARATOR_LINE.fullmatch(first_line.rstrip("\r\n").strip(" "))
    delimiter = declared[1] if declared else sniff_delimiter(first_chunk)
    records = _records(_lines(data, used), delimiter)
    if declared:
        next(records)  # the line that names the separator is no row
    try:
        header_row = next(r for r in records if not _is_blank(r))
    except StopIteration:
        raise InvalidValue(
            _("{path} is empty; there is nothing to import.").format(path=path)
        ) from None
    except csv.Error as exc:
        raise unreadable(path, exc) from None
    if not header:
        numbers = [str(n) for n in range(1, len(header_row.cells) + 1)]
        rows = _checked(itertools.chain([header_row], records), path)
        return Table(numbers, rows, used, delimiter, max(line_ends, 1), has_header=False)
    names = [cell.strip() for cell in header_row.cells]
    # (the header's line is no row: a 50,000-row file's bar counted to 50,001)
    return Table(names, _checked(records, path), used, delimiter, max(line_ends - 1, 1))


# Excel's first line naming the file's separator ("sep=;"), which it writes and reads.
_SEPARATOR_LINE = re.compile(r'"?sep=(.)"?', re.IGNORECASE)

# What a spreadsheet program's own files begin with: a zip (.xlsx, .ods) or the older
# compound document (.xls).
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


def _refuse_a_workbook(path: Path, data: bytes) -> None:
    if data.startswith(_WORKBOOK_MAGIC):
        raise InvalidValue(
            _(
                '{path} is a spreadsheet workbook, not CSV text; save it as "CSV UTF-8" from '
                "your spreadsheet and import that file."
            ).format(path=path)
        )


def _checked(rows: Iterator[Row], path: Path) -> Iterator[Row]:
    try:
        yield from rows
    except csv.Error as exc:
        raise unreadable(path, exc) from None


def unreadable(path: Path, problem: Exception) -> InvalidValue:
    return InvalidValue(
        _("{path} is not a readable CSV file: {problem}.").format(path=path, problem=problem)
    )
