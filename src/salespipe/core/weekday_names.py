"""Days named by their weekday, in English or Thai, as people say a due date:
``friday``, ``this friday``, ``next friday``, ``Fri``, ``วันศุกร์``, ``ศุกร์นี้``,
``ศุกร์หน้า``.

``friday`` (and ``this friday``, ``วันศุกร์``, ``ศุกร์นี้``) is the coming Friday, today
if today is a Friday; looking back (when something happened) it is the last Friday,
today if today is a Friday. ``next friday`` (``ศุกร์หน้า``) is the Friday of next week,
weeks starting on Monday: said on a Wednesday it is 9 days ahead, on a Saturday 6.

``อาทิตย์`` is Sunday and also "week": ``อาทิตย์หน้า`` stays next week (7 days ahead)
and ``อาทิตย์นี้`` (this week) names no day, so Sunday with ``นี้`` or ``หน้า`` is
written with ``วัน``: ``วันอาทิตย์หน้า``.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_NAMES = (
    ("monday", "mon", "จันทร์"),
    ("tuesday", "tue", "tues", "อังคาร"),
    ("wednesday", "wed", "พุธ"),
    ("thursday", "thu", "thur", "thurs", "พฤหัส", "พฤหัสบดี"),
    ("friday", "fri", "ศุกร์"),
    ("saturday", "sat", "เสาร์"),
    ("sunday", "sun", "อาทิตย์"),
)
_WEEKDAYS = {name: number for number, names in enumerate(_NAMES) for name in names}
_SUNDAY_OR_WEEK = "อาทิตย์"

_ENGLISH = re.compile(r"(?:(?P<which>this|next) )?(?P<name>[a-z]+)")
_THAI = re.compile(r"(?P<day>วัน)?\s*(?P<name>[\u0e00-\u0e7f]+?)\s*(?P<which>นี้|หน้า|ที่จะถึง(?:นี้)?)?")


def _said_weekday(text: str) -> tuple[int, bool] | None:
    """The weekday (0 for Monday) ``text`` names, and whether it says next week's;
    None when ``text`` is not a weekday's name."""
    words = " ".join(text.casefold().split())
    if match := _ENGLISH.fullmatch(words):
        next_week = match["which"] == "next"
    elif match := _THAI.fullmatch(words):
        if match["name"] == _SUNDAY_OR_WEEK and match["which"] and not match["day"]:
            return None  # อาทิตย์นี้ / อาทิตย์หน้า: this week / next week
        next_week = match["which"] == "หน้า"
    else:
        return None
    weekday = _WEEKDAYS.get(match["name"])
    return None if weekday is None else (weekday, next_week)


def named_weekday(text: str, today: date, *, looking_back: bool = False) -> date | None:
    """The day ``text`` names by its weekday, from ``today``; None for other text.

    A weekday alone (or with this, นี้) is the next such day, today included, or the
    last such day when ``looking_back``; with next (หน้า) it is that day of next week.
    """
    said = _said_weekday(text)
    if said is None:
        return None
    weekday, next_week = said
    if next_week:
        next_monday = today + timedelta(days=7 - today.weekday())
        return next_monday + timedelta(days=weekday)
    if looking_back:
        return today - timedelta(days=(today.weekday() - weekday) % 7)
    return today + timedelta(days=(weekday - today.weekday()) % 7)
