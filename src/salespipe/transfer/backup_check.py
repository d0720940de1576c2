"""A JSON backup is input, not trusted state: every value it holds is checked before a
restore writes anything.

A backup that a later command would trip over (a setting of the wrong type, a counter
beyond 64 bits, a deal in a stage the backup lacks, an event of an unknown kind) is
refused with the place inside the backup, in JSON-path form (``deals[3].value``).
docs/guarantees.md lists what a backup must contain.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import N_, _
from salespipe.core.model import FIRST_PIPELINE
from salespipe.core.parse import MAX_MONEY, MAX_TARGET_DAYS
from salespipe.core.stored import MAX_COUNTER, config_problem, is_count

# Every kind of event salespipe records.
EVENT_TYPES = frozenset(
    (
        "add",
        "move",
        "won",
        "lost",
        "reopen",
        "delete",
        "note",
        "next",
        "quote",
        "edit",
        "undo",
        "config",
        "stage-add",
        "stage-rename",
        "stage-set",
        "stage-order",
        "stage-disable",
        "stage-enable",
        "stage-remove",
        "pipeline-add",
        "pipeline-rename",
        "pipeline-archive",
        "pipeline-unarchive",
        "pipeline-remove",
        "team-add",
        "team-remove",
    )
)
STATUSES = ("open", "won", "lost")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CURRENCY = re.compile(r"[A-Z]{3}")
_META_TEXT = ("created_at",)
_META_FLAGS = ("demo",)
_COUNTERS = ("next_deal_id", "next_seq", "next_change")


class BadPlace(Exception):
    """A value of the backup that is wrong: where it is and why."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(where)
        self.where = where
        self.problem = problem


class BackupRefused(InvalidValue):
    """A backup a restore refuses, said as the restore says it; ``where`` and
    ``problem`` name the wrong place, for ``export`` to say why it wrote none."""

    def __init__(self, message: str, where: str, problem: str) -> None:
        super().__init__(message)
        self.where = where
        self.problem = problem


# -- single values ----------------------------------------------------------------------


def _text(value: Any, where: str, *, required: bool = False) -> None:
    if not isinstance(value, str):
        raise BadPlace(where, N_("not text"))
    if required and not value.strip():
        raise BadPlace(where, N_("empty"))
    if _CONTROL.search(value):
        raise BadPlace(where, N_("holds a control character"))


def _optional_text(value: Any, where: str) -> None:
    if value is not None:
        _text(value, where)


def _count(value: Any, where: str, minimum: int = 1) -> None:
    if not is_count(value, minimum):
        raise BadPlace(where, N_("not a whole number in range"))


def _moment(value: Any, where: str, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadPlace(where, N_("not a date and time")) from None


def _day(value: Any, where: str, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadPlace(where, N_("not a date")) from None


def _money(value: Any, where: str, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if type(value) not in (int, float):
        raise BadPlace(where, N_("not an amount"))
    try:
        amount = Decimal(str(value))
        ok = amount.is_finite() and 0 <= amount <= MAX_MONEY and amount == round(amount, 2)
    except InvalidOperation:
        ok = False
    if not ok:
        raise BadPlace(where, N_("not an amount from 0 to 9,999,999,999,999.99"))


def _percent(value: Any, where: str, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not is_count(value, 0) or value > 100:
        raise BadPlace(where, N_("not a whole number from 0 to 100"))


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise BadPlace(where, N_("not a JSON object"))
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadPlace(where, N_("not a list"))
    return value


# -- the head ---------------------------------------------------------------------------


def _flag_value(value: Any) -> bool:
    """Another name in ``meta`` is a flag the restore keeps (or bookkeeping a backend
    keeps for itself and ignores): a plain value, never a structure."""
    if value is None or isinstance(value, bool):
        return True
    if type(value) is int:
        return abs(value) <= MAX_COUNTER
    return isinstance(value, str) and len(value) <= 200 and not _CONTROL.search(value)


def check_head(head: Mapping[str, Any]) -> None:
    wrong = config_problem(head.get("config", {}))
    if wrong is not None:
        raise BadPlace(wrong, N_("not a setting salespipe knows, or of the wrong type"))
    meta = _object(head.get("meta", {}), "meta")
    for key, value in meta.items():
        where = f"meta.{key}"
        if key in _COUNTERS:
            _count(value, where)
        elif key in _META_TEXT:
            _text(value, where)
        elif key in _META_FLAGS:
            if not isinstance(value, bool):
                raise BadPlace(where, N_("not true or false"))
        elif not _flag_value(value):
            raise BadPlace(where, N_("not a flag value (true/false, a number or short text)"))
    _check_pipelines(head.get("pipelines", []))
    for index, entry in enumerate(_list(head.get("changes", []), "changes")):
        where = f"changes[{index}]"
        entry = _object(entry, where)
        _count(entry.get("change"), f"{where}.change")
        _text(entry.get("command"), f"{where}.command")
        _moment(entry.get("at"), f"{where}.at")


def _check_pipelines(raw: Any) -> None:
    keys: set[str] = set()
    for index, entry in enumerate(_list(raw, "pipelines")):
        where = f"pipelines[{index}]"
        pipeline = _object(entry, where)
        _text(pipeline.get("key"), f"{where}.key", required=True)
        if pipeline["key"] in keys:
            raise BadPlace(f"{where}.key", N_("used by an earlier pipeline"))
        keys.add(pipeline["key"])
        _text(pipeline.get("name", ""), f"{where}.name")
        _count(pipeline.get("position"), f"{where}.position", minimum=0)
        if not isinstance(pipeline.get("archived", False), bool):
            raise BadPlace(f"{where}.archived", N_("not true or false"))


# -- the records ------------------------------------------------------------------------


def check_stages(records: Iterable[Any]) -> set[str]:
    """The stage keys, each stage checked."""
    keys: set[str] = set()
    for index, raw in enumerate(records):
        where = f"stages[{index}]"
        stage = _object(raw, where)
        _text(stage.get("key"), f"{where}.key", required=True)
        if stage["key"] in keys:
            raise BadPlace(f"{where}.key", N_("used by an earlier stage"))
        keys.add(stage["key"])
        _check_stage(stage, where)
    return keys


def _check_stage(stage: Mapping[str, Any], where: str) -> None:
    """One stage record: in the backup's stages, or one a stage event stored (what an
    undo puts back)."""
    _text(stage.get("key"), f"{where}.key", required=True)
    _text(stage.get("name"), f"{where}.name", required=True)
    _count(stage.get("position"), f"{where}.position", minimum=0)
    _percent(stage.get("probability"), f"{where}.probability")
    _percent(stage.get("prior"), f"{where}.prior", optional=True)
    days = stage.get("target_days")
    if days is not None and (not is_count(days) or days > MAX_TARGET_DAYS):
        raise BadPlace(f"{where}.target_days", N_("not a whole number in range"))
    if not isinstance(stage.get("enabled", True), bool):
        raise BadPlace(f"{where}.enabled", N_("not true or false"))
    _text(stage.get("guide", ""), f"{where}.guide")
    _text(stage.get("pipeline", FIRST_PIPELINE), f"{where}.pipeline", required=True)


def _check_deal(deal: Mapping[str, Any], where: str, stages: set[str]) -> None:
    _text(deal.get("title"), f"{where}.title", required=True)
    for key in ("customer", "contact", "owner"):
        _text(deal.get(key, ""), f"{where}.{key}")
    for key in ("lost_reason", "source"):
        _optional_text(deal.get(key), f"{where}.{key}")
    _money(deal.get("value", 0), f"{where}.value")
    currency = deal.get("currency", "THB")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise BadPlace(f"{where}.currency", N_("not a 3-letter currency code"))
    if deal.get("stage") not in stages:
        raise BadPlace(f"{where}.stage", N_("not a stage of the backup"))
    if deal.get("status", "open") not in STATUSES:
        raise BadPlace(f"{where}.status", N_("not open, won or lost"))
    _percent(deal.get("probability"), f"{where}.probability", optional=True)
    _day(deal.get("expected_close"), f"{where}.expected_close", optional=True)
    for key in ("created_at", "updated_at", "stage_entered_at"):
        _moment(deal.get(key), f"{where}.{key}")
    _moment(deal.get("closed_at"), f"{where}.closed_at", optional=True)
    tags = _list(deal.get("tags", []), f"{where}.tags")
    for number, tag in enumerate(tags):
        _text(tag, f"{where}.tags[{number}]", required=True)
    action = deal.get("next_action")
    if action is not None:
        _text(_object(action, f"{where}.next_action").get("text"), f"{where}.next_action.text")
        _day(action.get("due"), f"{where}.next_action.due")
    quote = deal.get("quote")
    if quote is not None:
        _object(quote, f"{where}.quote")
        _money(quote.get("amount"), f"{where}.quote.amount", optional=True)
        _day(quote.get("valid_until"), f"{where}.quote.valid_until")
        _moment(quote.get("sent_at"), f"{where}.quote.sent_at")
        _text(quote.get("note", ""), f"{where}.quote.note")
    if deal.get("stage_unknown", True) is not True:
        raise BadPlace(f"{where}.stage_unknown", N_("not true (left out when false)"))
    for number, stay in enumerate(_list(deal.get("stays", []), f"{where}.stays")):
        place = f"{where}.stays[{number}]"
        if not isinstance(stay, list) or len(stay) != 3 or not isinstance(stay[0], str):
            raise BadPlace(place, N_("not a stage and two times"))
        _moment(stay[1], place)
        _moment(stay[2], place, optional=True)


def check_deals(records: Iterable[Any], stages: set[str]) -> set[int]:
    """The deal ids, each deal checked."""
    ids: set[int] = set()
    for index, raw in enumerate(records):
        where = f"deals[{index}]"
        deal = _object(raw, where)
        _count(deal.get("id"), f"{where}.id")
        if deal["id"] in ids:
            raise BadPlace(f"{where}.id", N_("used by an earlier deal"))
        ids.add(deal["id"])
        _check_deal(deal, where, stages)
    return ids


def check_events(records: Iterable[Any], deals: set[int]) -> None:
    """Each event checked; a deal it names is one of the backup's deals, or one an
    earlier ``add`` event created (a deal deleted since)."""
    known = set(deals)
    for index, raw in enumerate(records):
        where = f"events[{index}]"
        event = _object(raw, where)
        _count(event.get("seq"), f"{where}.seq")
        _count(event.get("change"), f"{where}.change")
        if event.get("type") not in EVENT_TYPES:
            raise BadPlace(f"{where}.type", N_("not a kind of event salespipe records"))
        deal_id = event.get("deal_id")
        if deal_id is not None:
            _count(deal_id, f"{where}.deal_id")
            if event["type"] == "add":
                known.add(deal_id)
            elif deal_id not in known:
                raise BadPlace(f"{where}.deal_id", N_("not a deal of the backup"))
        _moment(event.get("at"), f"{where}.at")
        _moment(event.get("recorded_at"), f"{where}.recorded_at")
        for key in ("who", "command"):
            _text(event.get(key, ""), f"{where}.{key}")
        for key in ("reason", "text"):
            value = event.get(key)
            if value is not None and not isinstance(value, str):
                raise BadPlace(f"{where}.{key}", N_("not text"))
        for key in ("before", "after"):
            value = event.get(key)
            if value is not None and not isinstance(value, dict):
                raise BadPlace(f"{where}.{key}", N_("not a JSON object"))
            if value and deal_id is None and str(event["type"]).startswith("stage"):
                for stage_key, record in value.items():  # what an undo of it puts back
                    if record is not None:
                        place = f"{where}.{key}.{stage_key}"
                        _check_stage(_object(record, place), place)


def check_backup(
    path: Path,
    head: Mapping[str, Any],
    records: Callable[[str], Iterable[Any]],
) -> None:
    """Check every part of a backup; InvalidValue naming the first wrong place."""
    try:
        check_head(head)
        stages = check_stages(records("stages"))
        deals = check_deals(records("deals"), stages)
        check_events(records("events"), deals)
    except BadPlace as bad:
        problem = _(bad.problem)
        raise BackupRefused(
            _("{path}: {where} in the backup is wrong ({problem}); nothing was restored.").format(
                path=path, where=bad.where, problem=problem
            ),
            bad.where,
            problem,
        ) from None


__all__ = ["EVENT_TYPES", "MAX_COUNTER", "BackupRefused", "check_backup"]
