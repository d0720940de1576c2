"""Turning what people type into values: money, dates, text, stage names.

Every parser either returns a value that can be stored and shown back exactly, or
raises InvalidValue / StageNotFound / AmbiguousStage with one sentence that names
the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from salespipe.core import clock, collation
from salespipe.core.errors import AmbiguousStage, InvalidValue, StageNotFound
from salespipe.core.i18n import N_, _
from salespipe.core.model import Stage

MAX_MONEY = Decimal("9999999999999.99")  # 15 significant digits: exact as a JSON number
BUDDHIST_ERA_OFFSET = 543
FIRST_BUDDHIST_ERA_YEAR = 2400

_MULTIPLIERS = {
    "k": Decimal(1_000),
    "m": Decimal(1_000_000),
    "พัน": Decimal(1_000),
    "หมื่น": Decimal(10_000),
    "แสน": Decimal(100_000),
    "ล้าน": Decimal(1_000_000),
}
_MONEY = re.compile(r"^(?P<number>\d[\d,]*(?:\.\d+)?|\.\d+)\s*(?P<unit>[a-zA-Z\u0e00-\u0e7f]*)$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_CURRENCY_SYMBOLS = {"฿": "THB", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}


def money(text: str, *, what: str = N_("value")) -> Decimal:
    """Parse ``150000``, ``150,000``, ``150000.50``, ``150k``, ``1.5m``, ``1.5ล้าน``.

    ``what`` (marked with ``N_``) names the value in the error message.
    """
    raw = text.strip().replace("\u00a0", " ")
    for symbol in _CURRENCY_SYMBOLS:
        raw = raw.removeprefix(symbol).strip()
    match = _MONEY.match(raw)
    if not match:
        raise InvalidValue(
            _(
                'The {what} "{text}" is not an amount; use a number like 150000, 150,000, '
                "150k or 1.5m (never negative)."
            ).format(what=_(what), text=text)
        )
    number, unit = match["number"], match["unit"].lower()
    if "," in number and not _GROUPED.match(number):
        raise InvalidValue(
            _('The {what} "{text}" has misplaced thousands separators.').format(
                what=_(what), text=text
            )
        )
    if unit and unit not in _MULTIPLIERS:
        raise InvalidValue(
            _('The {what} "{text}" has an unknown unit "{unit}".').format(
                what=_(what), text=text, unit=match["unit"]
            )
        )
    try:
        amount = Decimal(number.replace(",", "")) * _MULTIPLIERS.get(unit, Decimal(1))
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise InvalidValue(
            _('The {what} "{text}" is not an amount.').format(what=_(what), text=text)
        ) from None
    if amount > MAX_MONEY:  # before quantize, which fails past Decimal's precision
        raise InvalidValue(
            _('The {what} "{text}" is too large (at most 9,999,999,999,999.99).').format(
                what=_(what), text=text
            )
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidValue(
            _('The {what} "{text}" has more than 2 decimal places.').format(what=_(what), text=text)
        )
    return amount.normalize() if amount == amount.to_integral_value() else amount


def currency(text: str) -> str:
    code = text.strip().upper()
    code = _CURRENCY_SYMBOLS.get(code, code)
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise InvalidValue(
            _('The currency "{text}" is not a 3-letter ISO 4217 code like THB or USD.').format(
                text=text
            )
        )
    return code


def probability(text: str) -> int:
    raw = text.strip().removesuffix("%").strip()
    if not raw.isdecimal() or not 0 <= int(raw) <= 100:
        raise InvalidValue(
            _('The probability "{text}" must be a whole number from 0 to 100.').format(text=text)
        )
    return int(raw)


def target_days(text: str) -> int | None:
    raw = text.strip().lower()
    if raw in {"none", "-", ""}:
        return None
    if not raw.isdecimal() or int(raw) < 1:
        raise InvalidValue(
            _('The target days "{text}" must be a whole number of at least 1, or none.').format(
                text=text
            )
        )
    return int(raw)


def positive_int(text: str, *, what: str) -> int:
    if not text.strip().isdecimal() or int(text) < 1:
        raise InvalidValue(
            _('The {what} "{text}" must be a positive whole number.').format(
                what=_(what), text=text
            )
        )
    return int(text)


_RELATIVE = re.compile(r"^(?P<sign>[+-])(?P<count>\d{1,4})(?P<unit>[dw])$")
_NAMED_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1}


def _from_buddhist_era(year: int) -> int:
    return year - BUDDHIST_ERA_OFFSET if year >= FIRST_BUDDHIST_ERA_YEAR else year


def _iso_date(text: str) -> date | None:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if not match:
        return None
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(_from_buddhist_era(year), month, day)
    except ValueError:
        return None


def _relative_days(text: str) -> int | None:
    lowered = text.lower()
    if lowered in _NAMED_DAYS:
        return _NAMED_DAYS[lowered]
    match = _RELATIVE.match(lowered)
    if not match:
        return None
    days = int(match["count"]) * (7 if match["unit"] == "w" else 1)
    return days if match["sign"] == "+" else -days


def day(text: str, *, what: str = N_("date")) -> date:
    """Parse a DATE: ISO (CE or Buddhist Era year), today/yesterday/tomorrow, +3d, -2w."""
    raw = text.strip()
    offset = _relative_days(raw)
    if offset is not None:
        return clock.today() + timedelta(days=offset)
    parsed = _iso_date(raw)
    if parsed is None:
        raise InvalidValue(
            _(
                'The {what} "{text}" is not a date; use YYYY-MM-DD (a year from 2400 is read '
                "as Buddhist Era), today, yesterday, tomorrow, +3d or -2w."
            ).format(what=_(what), text=text)
        )
    return parsed


def moment(text: str, *, what: str = N_("time")) -> datetime:
    """Parse a WHEN: a date (meaning the end of that day, never later than now) or a datetime.

    A datetime without an offset is local time; relative forms keep the current clock time.
    """
    raw = text.strip()
    now = clock.now()
    offset = _relative_days(raw)
    if offset is not None:
        return now + timedelta(days=offset)
    as_date = _iso_date(raw)
    if as_date is not None:
        end_of_day = datetime.combine(as_date, time(23, 59, 59)).astimezone()
        return min(end_of_day, now)
    match = re.fullmatch(r"(\d{4})(-\d{1,2}-\d{1,2}[T ].+)", raw)
    if match:
        raw = f"{_from_buddhist_era(int(match[1])):04d}{match[2]}"
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed.astimezone().replace(microsecond=0)
    raise InvalidValue(
        _(
            'The {what} "{text}" is not a date or time; use YYYY-MM-DD, "YYYY-MM-DD HH:MM", '
            "today, yesterday, +3d or -2w."
        ).format(what=_(what), text=text)
    )


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\n\r\t\u2028\u2029\x85]")


def text(
    value: str, *, what: str, required: bool = False, multiline: bool = False, max_length: int = 500
) -> str:
    """Check a free-text field; it is kept exactly as given.

    ``what`` (marked with ``N_``) names the field in the error message.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidValue(
            _("The {what} contains bytes that are not valid text.").format(what=_(what))
        ) from None
    if required and not value.strip():
        raise InvalidValue(_("The {what} must not be empty.").format(what=_(what)))
    if _CONTROL.search(value) or (not multiline and _LINE_BREAKS.search(value)):
        raise InvalidValue(
            _("The {what} contains a control character or line break.").format(what=_(what))
        )
    if len(value) > max_length:
        raise InvalidValue(
            _("The {what} is longer than {count} characters.").format(
                what=_(what), count=max_length
            )
        )
    return value


def fold(name: str) -> str:
    """The form in which names are compared: NFC (Thai look-alikes made alike), case-folded."""
    return collation.fold(name)


def _name_starts(stage: Stage, wanted: str) -> bool:
    return fold(stage.name).startswith(wanted) or stage.key.startswith(wanted)


def _word_starts(stage: Stage, wanted: str) -> bool:
    return any(word.startswith(wanted) for word in fold(stage.name).split()[1:])


def _name_contains(stage: Stage, wanted: str) -> bool:
    return len(wanted) > 1 and wanted in fold(stage.name)


def stage(stages: Iterable[Stage], name: str, *, enabled_only: bool = True) -> Stage:
    """Find a stage by key, name, position among enabled stages, or a unique part of its name.

    Tried in turn: the key or the whole name (NFC, case ignored); the position; the
    beginning of the name or key; the beginning of a later word of the name; any part of
    the name (Thai writes words without spaces: ``พิจารณา`` finds ``กำลังพิจารณา``).
    The first of these that finds one stage wins; one that finds several is ambiguous.
    """
    candidates = [s for s in stages if s.enabled or not enabled_only]
    ordered = sorted(candidates, key=lambda s: s.position)
    wanted = fold(name)
    if not wanted:
        raise StageNotFound(_("A stage name must not be empty."))
    for found in ordered:
        if found.key == name.strip() or fold(found.name) == wanted:
            return found
    if wanted.isdecimal():
        enabled = [s for s in ordered if s.enabled]
        index = int(wanted)
        if 1 <= index <= len(enabled):
            return enabled[index - 1]
    for finds in (_name_starts, _word_starts, _name_contains):
        matches = [s for s in ordered if finds(s, wanted)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise AmbiguousStage(
                _('The stage "{name}" could mean {stages}; give more of the name.').format(
                    name=name, stages=_quoted_names(matches)
                )
            )
    raise StageNotFound(
        _('There is no stage "{name}"; the stages are {stages}.').format(
            name=name, stages=_quoted_names(ordered) or _("none")
        )
    )


def _quoted_names(stages: Iterable[Stage]) -> str:
    return ", ".join(f'"{s.name}"' for s in stages)
