"""CSV cells a spreadsheet would run as formulas, and how salespipe's CSV keeps them text.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a
formula to Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)`` in a deal title
would open a link). salespipe's CSV export writes such a cell with a ``'`` in front, as
OWASP advises, which spreadsheets show as text; a cell that starts with ``'`` gets one
more. Importing salespipe's own CSV takes that one ``'`` off again, so the round trip is
exact (docs/guarantees.md).
"""

from __future__ import annotations

FORMULA_STARTS = frozenset("=+-@\t\r")
MARK = "'"


def for_spreadsheet(cell: str) -> str:
    """The cell as salespipe's CSV writes it."""
    first = cell[:1]
    return MARK + cell if first in FORMULA_STARTS or first == MARK else cell


def from_spreadsheet(cell: str) -> str:
    """A cell of salespipe's CSV as it was before :func:`for_spreadsheet`."""
    if cell[:1] == MARK and (cell[1:2] in FORMULA_STARTS or cell[1:2] == MARK):
        return cell[1:]
    return cell
