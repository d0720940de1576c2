"""Dates written with the month's name, in English or Thai: what people type and what
sheets hold (``15 Jan 2027``, ``Jan 15, 2027``, ``15 ม.ค. 2570``, ``15 มกราคม พ.ศ. 2570``).

Salespipe prints its long dates this way (``31 ธ.ค. 2569``), so what it shows can be
typed back. A name is looked up without its dots and case, so ``ม.ค.``, ``มค`` and
``JAN.`` are the same month. Which era a year is in is the caller's rule (a year from
2400 is Buddhist Era everywhere a date is read); ``พ.ศ.`` or ``ค.ศ.`` before the year is
allowed and changes nothing.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_NAMES = (
    ("jan", "january", "มค", "มกราคม", "มกรา"),
    ("feb", "february", "กพ", "กุมภาพันธ์", "กุมภา"),
    ("mar", "march", "มีค", "มีนาคม", "มีนา"),
    ("apr", "april", "เมย", "เมษายน", "เมษา"),
    ("may", "พค", "พฤษภาคม", "พฤษภา"),
    ("jun", "june", "มิย", "มิถุนายน", "มิถุนา"),
    ("jul", "july", "กค", "กรกฎาคม", "กรกฎา"),
    ("aug", "august", "สค", "สิงหาคม", "สิงหา"),
    ("sep", "sept", "september", "กย", "กันยายน", "กันยา"),
    ("oct", "october", "ตค", "ตุลาคม", "ตุลา"),
    ("nov", "november", "พย", "พฤศจิกายน", "พฤศจิกา"),
    ("dec", "december", "ธค", "ธันวาคม", "ธันวา"),
)
_NUMBERS = {name: month for month, names in enumerate(_NAMES, start=1) for name in names}

_MONTH = r"[A-Za-z]{3,9}\.?|[\u0e00-\u0e7f][\u0e00-\u0e7f.]{1,11}"
_ERA = r"(?:(?:พ\.ศ\.|ค\.ศ\.)\s*)?"
_TIME = r"(?:,?\s+(?P<time>\d{1,2}[:.]\d{2}(?::\d{2})?)\s*(?:น\.)?\s*(?P<ampm>[AaPp][Mm])?)?"
_DAY_FIRST = re.compile(
    rf"^(?P<day>\d{{1,2}})[\s-]*(?P<month>{_MONTH}),?[\s-]*{_ERA}(?P<year>\d{{4}}|\d{{2}}){_TIME}$"
)
_MONTH_FIRST = re.compile(
    rf"^(?P<month>[A-Za-z]{{3,9}})\.?\s(?P<day>\d{{1,2}}),?\s(?P<year>\d{{4}}){_TIME}$"
)
# The same without a year (15 Dec, 15 ธ.ค., Dec 15): read only to say the year is missing.
_DAY_FIRST_NO_YEAR = re.compile(rf"^(?P<day>\d{{1,2}})[\s-]*(?P<month>{_MONTH})$")
_MONTH_FIRST_NO_YEAR = re.compile(r"^(?P<month>[A-Za-z]{3,9})\.?\s(?P<day>\d{1,2})$")


class NamedDate(NamedTuple):
    day: int
    month: int
    year: str  # as written: two digits or four, perhaps Buddhist Era
    time: str | None  # HH:MM or HH:MM:SS (a dot between hours and minutes made a colon)
    ampm: str | None


def month_number(name: str) -> int | None:
    """1–12 for a month's English or Thai name, short or long; None for anything else."""
    return _NUMBERS.get(name.replace(".", "").casefold())


def named_date(text: str) -> NamedDate | None:
    """The parts of a date written with its month's name, or None if ``text`` is not one."""
    match = _DAY_FIRST.match(text) or _MONTH_FIRST.match(text)
    if match is None:
        return None
    month = month_number(match["month"])
    if month is None:
        return None
    clock = match["time"].replace(".", ":") if match["time"] else None
    return NamedDate(int(match["day"]), month, match["year"], clock, match["ampm"])


def day_and_month(text: str) -> tuple[int, int] | None:
    """The day and month of a date written with its month's name and no year (``15 Dec``,
    ``Dec 15``, ``15 ธ.ค.``); None if ``text`` is not one."""
    match = _DAY_FIRST_NO_YEAR.match(text) or _MONTH_FIRST_NO_YEAR.match(text)
    if match is None:
        return None
    month = month_number(match["month"])
    return None if month is None else (int(match["day"]), month)
