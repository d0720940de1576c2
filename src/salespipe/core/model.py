"""The things salespipe keeps: stages, deals and the events that change them.

Plain frozen dataclasses and their conversion to and from the JSON records the
store keeps. Standard library only: no storage, no printing.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, Literal, NamedTuple

from salespipe.core.errors import StoreError
from salespipe.core.i18n import _

Status = Literal["open", "won", "lost"]
STATUSES: tuple[Status, ...] = ("open", "won", "lost")

Record = dict[str, Any]


def money_to_json(value: Decimal) -> int | float:
    """A money amount as a JSON number that prints back as the same decimal.

    Amounts are limited to 15 significant digits at input, so the shortest float
    repr of the value is exactly its decimal form.
    """
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def money_from_json(raw: int | float | str) -> Decimal:
    try:
        return Decimal(raw) if type(raw) is int else Decimal(str(raw))
    except ArithmeticError:  # decimal's InvalidOperation: a record edited by hand
        from salespipe.core.errors import UnreadableAmount

        raise UnreadableAmount(raw) from None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


_fromiso = datetime.fromisoformat


# The key of the pipeline every database begins with, and the one every stage stored
# before there were several pipelines belongs to (docs/pipelines.md).
FIRST_PIPELINE = "sales"


@dataclass(frozen=True, slots=True)
class PipelineDef:
    """One pipeline of the database: its key (never changes), its name, its place in
    the list and whether it is archived (hidden from choices, its history kept).

    An empty ``name`` is the first pipeline's default name, shown in the reader's
    language ("Sales"); renaming the pipeline gives it a name of its own.
    """

    key: str
    name: str
    position: int
    archived: bool = False

    def to_record(self) -> Record:
        return dataclasses.asdict(self)

    @classmethod
    def from_record(cls, raw: Record) -> PipelineDef:
        return cls(
            key=raw["key"],
            name=raw.get("name", ""),
            position=raw["position"],
            archived=raw.get("archived", False),
        )


def first_pipeline() -> PipelineDef:
    """The pipeline a new database holds, and a database made before pipelines had."""
    return PipelineDef(FIRST_PIPELINE, "", 1)


@dataclass(frozen=True, slots=True)
class Stage:
    """A stage of one pipeline. Its key is unique in the whole database, so a deal's
    stage also says which pipeline the deal is in; its position counts within its
    pipeline."""

    key: str
    name: str
    position: int
    probability: int
    target_days: int | None = None
    enabled: bool = True
    guide: str = ""
    pipeline: str = FIRST_PIPELINE
    # After `calibrate --apply`: the probability a person had set, which calibrating
    # again leans on (leaning on the applied one would count the same deals twice).
    prior: int | None = None

    @property
    def guess(self) -> int:
        """The probability a person set: what calibrate leans on with few deals."""
        return self.probability if self.prior is None else self.prior

    def to_record(self) -> Record:
        record = dataclasses.asdict(self)
        if self.pipeline == FIRST_PIPELINE:
            del record["pipeline"]  # the records of a one-pipeline database stay as they were
        if self.prior is None:
            del record["prior"]  # as stages were before calibrate kept one
        return record

    @classmethod
    def from_record(cls, raw: Record) -> Stage:
        """The stage a stored record holds; a record edited into other types (a
        probability of "10", a name of null) is a ValueError, which a store reports as
        damage, rather than a failure in the middle of some report."""
        stage = cls(
            key=raw["key"],
            name=raw["name"],
            position=raw["position"],
            probability=raw["probability"],
            target_days=raw.get("target_days"),
            enabled=raw.get("enabled", True),
            guide=raw.get("guide", ""),
            pipeline=raw.get("pipeline", FIRST_PIPELINE),
            prior=raw.get("prior"),
        )
        if not stage.is_well_formed():
            raise ValueError(f"not a stage record: {raw!r}")
        return stage

    def is_well_formed(self) -> bool:
        texts = (self.key, self.name, self.guide, self.pipeline)
        return (
            all(isinstance(text, str) for text in texts)
            and bool(self.key)
            and bool(self.name)
            and _whole(self.position)
            and _whole(self.probability)
            and 0 <= self.probability <= 100
            and (self.target_days is None or (_whole(self.target_days) and self.target_days >= 0))
            and isinstance(self.enabled, bool)
            and (self.prior is None or (_whole(self.prior) and 0 <= self.prior <= 100))
        )


def _whole(value: object) -> bool:
    """A whole number as JSON has them (True is an int to Python, not to a reader)."""
    return isinstance(value, int) and not isinstance(value, bool)


def stages_in(stages: Iterable[Stage], pipeline: str) -> list[Stage]:
    """The stages of one pipeline, in their order."""
    return sorted((s for s in stages if s.pipeline == pipeline), key=lambda s: s.position)


def renumbered(stages: Iterable[Stage]) -> list[Stage]:
    """The stages numbered 1, 2, … within each pipeline, in this order."""
    counts: dict[str, int] = {}
    numbered = []
    for stage in stages:
        counts[stage.pipeline] = counts.get(stage.pipeline, 0) + 1
        numbered.append(dataclasses.replace(stage, position=counts[stage.pipeline]))
    return numbered


def unreadable_record(record: Record) -> StoreError | None:
    """The error for a stored deal record that is not one a deal can be read from (a
    date or a number changed by hand), or None if it is."""
    try:
        Deal.from_record(record)
    except (ValueError, KeyError, TypeError, AttributeError):
        return StoreError(
            _(
                "The stored record of deal {deal_id} cannot be read: it was changed outside "
                "salespipe; restore the database from a backup."
            ).format(deal_id=record.get("id", "?"))
        )
    return None


def several_pipelines(stages: Iterable[Stage]) -> bool:
    """Whether the stages belong to more than one pipeline: then a deal's JSON names its
    pipeline (a one-pipeline database's output stays as it always was)."""
    return len({s.pipeline for s in stages}) > 1


@dataclass(frozen=True, slots=True)
class NextAction:
    text: str
    due: date

    def to_record(self) -> Record:
        return {"text": self.text, "due": self.due.isoformat()}


@dataclass(frozen=True, slots=True)
class Quote:
    valid_until: date
    sent_at: datetime
    amount: Decimal | None = None
    note: str = ""

    def to_record(self) -> Record:
        return {
            "amount": None if self.amount is None else money_to_json(self.amount),
            "valid_until": self.valid_until.isoformat(),
            "sent_at": _iso(self.sent_at),
            "note": self.note,
        }

    @classmethod
    def from_record(cls, raw: Record) -> Quote:
        amount = raw.get("amount")
        return cls(
            valid_until=date.fromisoformat(raw["valid_until"]),
            sent_at=datetime.fromisoformat(raw["sent_at"]),
            amount=None if amount is None else money_from_json(amount),
            note=raw.get("note", ""),
        )


class Stay(NamedTuple):
    """One uninterrupted stretch a deal spent in one stage.

    A named tuple rather than a dataclass: a long history holds hundreds of thousands of
    stays, and building a tuple costs a fraction of a frozen dataclass.
    """

    stage: str
    entered: datetime
    left: datetime | None = None

    def to_record(self) -> list[Any]:
        return [self.stage, _iso(self.entered), _iso(self.left)]

    @classmethod
    def from_record(cls, raw: list[Any]) -> Stay:
        left = raw[2]
        return cls(raw[0], _fromiso(raw[1]), _fromiso(left) if left else None)


@dataclass(frozen=True, slots=True)
class Deal:
    id: int
    title: str
    stage: str
    created_at: datetime
    updated_at: datetime
    stage_entered_at: datetime
    customer: str = ""
    contact: str = ""
    value: Decimal = Decimal(0)
    currency: str = "THB"
    owner: str = ""
    status: Status = "open"
    probability: int | None = None
    expected_close: date | None = None
    next_action: NextAction | None = None
    tags: tuple[str, ...] = ()
    closed_at: datetime | None = None
    lost_reason: str | None = None
    stays: tuple[Stay, ...] = field(default=())
    quote: Quote | None = None
    source: str | None = None
    # Imported closed from a CRM that names only the outcome ("Closed Won"): the stage
    # it closed from is not known, and ``stage`` is where the import put it. Such a deal
    # teaches nothing about any stage (storage/history.py ``path_of``) until a reopen
    # gives it a stay in a stage someone chose (:func:`pathless`); the mark is kept.
    stage_unknown: bool = False

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def to_record(self) -> Record:
        """The JSON record the store keeps (the storage port's "record" of a deal); a
        deal of a known stage has no ``stage_unknown`` (the records written before it
        was kept read as such)."""
        record: Record = {
            "id": self.id,
            "title": self.title,
            "customer": self.customer,
            "contact": self.contact,
            "value": money_to_json(self.value),
            "currency": self.currency,
            "owner": self.owner,
            "stage": self.stage,
            "status": self.status,
            "probability": self.probability,
            "expected_close": self.expected_close.isoformat() if self.expected_close else None,
            "next_action": self.next_action.to_record() if self.next_action else None,
            "tags": list(self.tags),
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "stage_entered_at": _iso(self.stage_entered_at),
            "closed_at": _iso(self.closed_at),
            "lost_reason": self.lost_reason,
            "stays": [stay.to_record() for stay in self.stays],
            "quote": self.quote.to_record() if self.quote else None,
            "source": self.source,
        }
        if self.stage_unknown:
            record["stage_unknown"] = True
        return record

    @classmethod
    def from_record(cls, raw: Record) -> Deal:
        # Positional and with few helper calls: reports build every deal of the history.
        get = raw.get
        next_action = get("next_action")
        quote = get("quote")
        closed_at = get("closed_at")
        expected_close = get("expected_close")
        return cls(
            raw["id"],
            raw["title"],
            raw["stage"],
            _fromiso(raw["created_at"]),
            _fromiso(raw["updated_at"]),
            _fromiso(raw["stage_entered_at"]),
            get("customer", ""),
            get("contact", ""),
            money_from_json(get("value", 0)),
            get("currency", "THB"),
            get("owner", ""),
            get("status", "open"),
            get("probability"),
            date.fromisoformat(expected_close) if expected_close else None,
            NextAction(next_action["text"], date.fromisoformat(next_action["due"]))
            if next_action
            else None,
            tuple(get("tags", ())),
            _fromiso(closed_at) if closed_at else None,
            get("lost_reason"),
            tuple([Stay.from_record(s) for s in get("stays", ())]),
            Quote.from_record(quote) if quote else None,
            get("source"),
            get("stage_unknown") is True,
        )


# The fields of a stored deal record (``Deal.to_record()``; ``stage_unknown`` is left
# out when false) and the JSON types each may hold. Every record salespipe ever wrote has
# them all; a record without one, or with another type, was changed outside salespipe.
_NONE = type(None)
DEAL_FIELDS: tuple[tuple[str, tuple[type, ...]], ...] = (
    ("id", (int,)),
    ("title", (str,)),
    ("customer", (str,)),
    ("contact", (str,)),
    ("value", (int, float)),
    ("currency", (str,)),
    ("owner", (str,)),
    ("stage", (str,)),
    ("status", (str,)),
    ("probability", (_NONE, int)),
    ("expected_close", (_NONE, str)),
    ("next_action", (_NONE, dict)),
    ("tags", (list,)),
    ("created_at", (str,)),
    ("updated_at", (str,)),
    ("stage_entered_at", (str,)),
    ("closed_at", (_NONE, str)),
    ("lost_reason", (_NONE, str)),
    ("stays", (list,)),
    ("quote", (_NONE, dict)),
    ("source", (_NONE, str)),
)
_deal_fields = itemgetter(*(name for name, _types in DEAL_FIELDS))
# Every combination of the fields' types (256): a record's types looked up at once, as
# fast as a look at its keys, so that checking is part of reading every record.
_DEAL_SHAPES = frozenset(itertools.product(*(types for _name, types in DEAL_FIELDS)))


def is_deal_record(record: object) -> bool:
    """Whether a stored record holds every field of a deal, each of its type (a bool
    is not a number here: ``type``, not ``isinstance``)."""
    try:
        return tuple(map(type, _deal_fields(record))) in _DEAL_SHAPES  # type: ignore[arg-type]
    except (KeyError, TypeError, IndexError):
        return False


def deal_record_flaw(record: object) -> tuple[str, bool] | None:
    """What keeps a stored record from being a deal's (:func:`is_deal_record`): the
    first field that is missing (``True``) or holds another type (``False``); None when
    there is none, or when it is not a JSON object at all."""
    if not isinstance(record, dict):
        return None
    for name, types in DEAL_FIELDS:
        if name not in record:
            return name, True
        if type(record[name]) not in types:
            return name, False
    return None


def _probability(status: str, override: int | None, stage: Stage | None) -> int:
    if status == "won":
        return 100
    if status == "lost":
        return 0
    if override is not None:
        return override
    return stage.probability if stage else 0


def effective_probability(deal: Deal, stage: Stage | None) -> int:
    """The probability a deal is weighted by: won 100, lost 0, else override or stage's."""
    return _probability(deal.status, deal.probability, stage)


CENT = Decimal("0.01")


def weighted(value: Decimal, probability: int) -> Decimal:
    """``value`` x ``probability`` / 100, to the cent."""
    return (value * probability / 100).quantize(CENT)


def weighted_value(deal: Deal, stage: Stage | None) -> Decimal:
    return weighted(deal.value, effective_probability(deal, stage))


# A deal's value changed this many times over or more, either way, is most often a slip
# of the finger (5,555 or 405,000,000 typed for 1,500,000), so it is said back.
VALUE_JUMP = 10


def value_jumped(before: Decimal, after: Decimal) -> bool:
    """Whether a value went from ``before`` to ``after`` by VALUE_JUMP times or more,
    up or down; a deal without a value yet (0) has none to compare with."""
    if not before or after == before:
        return False
    return after >= before * VALUE_JUMP or after * VALUE_JUMP <= before


def weighted_json(value: int | float, probability: int) -> int | float:
    """:func:`weighted` of a stored (JSON) amount, as the JSON number it prints as."""
    if type(value) is int:
        # Exact in integers: whole amounts times whole percents have whole cents.
        hundredths = value * probability
        return hundredths // 100 if hundredths % 100 == 0 else hundredths / 100
    return money_to_json(weighted(money_from_json(value), probability))


def whole_days(start: datetime, end: datetime) -> int:
    """The whole days (of 86,400 seconds) from ``start`` to ``end`` (0 if ``end`` is not
    later)."""
    return max(0, int((end - start).total_seconds() / 86400))


def days_in_stage(deal: Deal, now: datetime) -> int:
    """Whole days the deal has spent in its current stage (until closing, if closed)."""
    return whole_days(deal.stage_entered_at, deal.closed_at or now)


def pathless(record: Record) -> bool:
    """Whether a deal's stored record says nothing of the stages it went through: one
    imported closed without the stage it closed from (``stage_unknown``), and no stay
    since (a reopen gives it one, in a stage someone chose)."""
    return record.get("stage_unknown") is True and not record.get("stays")


# -- stored records ----------------------------------------------------------------------
# Read-only commands over thousands of deals work on the stored records (the
# ``Deal.to_record()`` form) instead of building a Deal for each: the record already holds
# most of what they show, in the form JSON shows it. A field these functions need and
# the record lacks is read as ``Deal.from_record`` reads it, except in record_to_dict,
# which shows every field.


def record_probability(record: Record, stage: Stage | None) -> int:
    """:func:`effective_probability` of a stored deal record."""
    return _probability(record.get("status", "open"), record.get("probability"), stage)


def record_days_in_stage(record: Record, now: datetime) -> int:
    """:func:`days_in_stage` of a stored deal record."""
    closed_at = record.get("closed_at")
    end = _fromiso(closed_at) if closed_at else now
    return whole_days(_fromiso(record["stage_entered_at"]), end)


def record_to_dict(
    record: Record, stage: Stage | None, now: datetime, *, pipeline: bool = False
) -> Record:
    """The public JSON shape of a deal (docs/data-format.md), from its whole stored record.

    The stored values are already what JSON shows (ISO times to the second, amounts as
    :func:`money_to_json` numbers); only the stage's name and the derived numbers are added.
    """
    probability = record_probability(record, stage)
    shown: Record = {
        "id": record["id"],
        "title": record["title"],
        "customer": record["customer"],
        "contact": record["contact"],
        "value": record["value"],
        "currency": record["currency"],
        "stage": record["stage"],
        "stage_name": stage.name if stage else record["stage"],
        "status": record["status"],
        "owner": record["owner"],
        "probability": probability,
        "probability_override": record["probability"],
        "weighted_value": weighted_json(record["value"], probability),
        "expected_close": record["expected_close"],
        "next_action": record["next_action"],
        "tags": record["tags"],
        "created_at": record["created_at"],
        "updated_at": record["updated_at"],
        "stage_entered_at": record["stage_entered_at"],
        "days_in_stage": record_days_in_stage(record, now),
        "closed_at": record["closed_at"],
        "lost_reason": record["lost_reason"],
        "quote": record["quote"],
        "source": record["source"],
    }
    if record.get("stage_unknown") is True:
        shown["stage_unknown"] = True
    if pipeline:
        shown["pipeline"] = stage.pipeline if stage else FIRST_PIPELINE
    return shown


def deal_to_dict(
    deal: Deal, stage: Stage | None, now: datetime, *, pipeline: bool = False
) -> Record:
    """The public JSON shape of a deal (docs/data-format.md); ``pipeline``: with the key
    of its pipeline (when the database holds several)."""
    return record_to_dict(deal.to_record(), stage, now, pipeline=pipeline)


# The fields every stored event record has (a line without them was not written by us).
EVENT_KEYS = frozenset(("seq", "change", "type", "at"))


@dataclass(frozen=True, slots=True)
class Event:
    """One recorded change. ``before``/``after`` hold the changed fields' records.

    For a deal, ``before`` is None when the event created it and ``after`` is None
    when it deleted it; otherwise both hold the same keys. Stage events map stage
    keys to stage records, config events map setting names to values.
    """

    seq: int
    change: int
    type: str
    at: datetime
    recorded_at: datetime
    who: str
    command: str
    deal_id: int | None = None
    reason: str | None = None
    text: str | None = None
    before: Record | None = None
    after: Record | None = None

    def to_record(self) -> Record:
        return {
            "seq": self.seq,
            "change": self.change,
            "type": self.type,
            "deal_id": self.deal_id,
            "at": _iso(self.at),
            "recorded_at": _iso(self.recorded_at),
            "who": self.who,
            "command": self.command,
            "reason": self.reason,
            "text": self.text,
            "before": self.before,
            "after": self.after,
        }

    @classmethod
    def from_record(cls, raw: Record) -> Event:
        return cls(
            seq=raw["seq"],
            change=raw["change"],
            type=raw["type"],
            deal_id=raw.get("deal_id"),
            at=datetime.fromisoformat(raw["at"]),
            recorded_at=datetime.fromisoformat(raw["recorded_at"]),
            who=raw.get("who", ""),
            command=raw.get("command", ""),
            reason=raw.get("reason"),
            text=raw.get("text"),
            before=raw.get("before"),
            after=raw.get("after"),
        )

    def to_dict(self) -> Record:
        return self.to_record()


DEFAULT_STAGES: tuple[tuple[str, str, str, int, int], ...] = (
    ("presented", "ติดต่อนำเสนอ", "Presented", 10, 7),
    ("considering", "กำลังพิจารณา", "Considering", 25, 14),
    ("quoted", "เสนอราคา", "Quoted", 50, 14),
    ("negotiating", "เจรจาต่อรอง", "Negotiating", 70, 10),
    ("approved", "อนุมัติซื้อ", "Approved", 90, 7),
)

DEFAULT_GUIDES: dict[str, tuple[str, str]] = {
    "presented": (
        "นัดหมายลูกค้า นำเสนอหรือสาธิตสินค้า ส่งเอกสารแนะนำ และถามคำถามแรกเพื่อเข้าใจความต้องการ",
        "Book the meeting, present or demo, send the brochure and ask the first questions "
        "to learn what they need.",
    ),
    "considering": (
        "ติดตามลูกค้าอย่างสม่ำเสมอ ตอบข้อกังวลและข้อสงสัย ให้ข้อมูลเพิ่มเติมที่ช่วยตัดสินใจ",
        "Follow up regularly, answer their concerns and give what helps them decide.",
    ),
    "quoted": (
        "ส่งใบเสนอราคาที่ครบถ้วน ระบุเงื่อนไขการชำระเงิน การส่งมอบ และวันหมดอายุของราคา แล้วติดตามคำตอบ",
        "Send a complete quotation with payment terms, delivery and how long the price "
        "holds, then follow up for the answer.",
    ),
    "negotiating": (
        "เจรจาราคา เงื่อนไข การส่งมอบ และการรับประกัน รู้ขอบเขตที่ยอมให้ได้ก่อนเข้าเจรจา",
        "Negotiate price, terms, delivery and warranty; know how much room you can give "
        "before you sit down.",
    ),
    "approved": (
        "รับใบสั่งซื้อหรือยืนยันคำสั่งซื้อ ทำสัญญา ตามการอนุมัติภายในของลูกค้า และวางแผนการส่งมอบ",
        "Get the purchase order or confirmation, sign the contract, chase the customer's "
        "internal approvals and plan the delivery.",
    ),
}


def currencies_then(events: Sequence[Event], now: Mapping[int, str]) -> dict[int, str]:
    """The currency each deal event's amounts were in, by its seq: from the newest event
    back, the deal's currency now (or as its deletion left it), changed back by each
    edit of its currency. Exact wherever every later event of the deal is among
    ``events``, as in ``show`` and ``log`` (the newest first)."""
    current = dict(now)
    then: dict[int, str] = {}
    for event in sorted(events, key=lambda e: e.seq, reverse=True):
        if event.deal_id is None:
            continue
        before, after = event.before or {}, event.after or {}
        if event.type == "delete" and before.get("currency"):
            current[event.deal_id] = before["currency"]
        found = after.get("currency") or current.get(event.deal_id)
        if found:
            then[event.seq] = found
        if after.get("currency") and before.get("currency"):  # changed here: before it, that
            current[event.deal_id] = before["currency"]
    return then


def currencies_left(events: Sequence[Event]) -> dict[int, str]:
    """The currency each deal's events leave it in, of the deals one of them names a
    currency of (an add, an edit of it, a deletion's record of the deal): of a deal no
    longer here (an undone add or import), the currency its amounts were in. Exact where
    ``events`` hold every event of the deal after the first that names one, as the newest
    events do."""
    left: dict[int, str] = {}
    for event in sorted(events, key=lambda e: e.seq):
        if event.deal_id is None:
            continue
        named = (event.after or {}).get("currency") or (
            (event.before or {}).get("currency") if event.type == "delete" else None
        )
        if named:
            left[event.deal_id] = named
    return left


def default_stages(lang: str) -> list[Stage]:
    thai = lang == "th"
    return [
        Stage(
            key=key,
            name=name_th if thai else name_en,
            position=index,
            probability=probability,
            target_days=target,
            enabled=True,
            guide=DEFAULT_GUIDES[key][0 if thai else 1],
        )
        for index, (key, name_th, name_en, probability, target) in enumerate(
            DEFAULT_STAGES, start=1
        )
    ]
