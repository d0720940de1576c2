"""Deciding what an import does: which stage each row goes to, which rows are already
there, and the deals and events that the rest become.

Everything here is computed from a snapshot and changes nothing; ``importing``
writes the plan in one transaction (or only reports it, for ``--dry-run``).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import shlex
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from salespipe import parse
from salespipe.errors import AmbiguousStage, InvalidValue, NotAllowed, StageNotFound
from salespipe.i18n import _, ngettext
from salespipe.import_rows import Incoming, Problem
from salespipe.model import Deal, Record, Stage, Status, Stay
from salespipe.stage_admin import _unique_key, check_stage_name
from salespipe.work import record_diff

# Stage labels that mean the deal is closed, as CRMs name their closing stages.
CLOSING_LABELS: dict[str, Status] = {
    **dict.fromkeys(
        ("won", "closed won", "closed: won", "closedwon", "closed-won", "closed - won"), "won"
    ),
    **dict.fromkeys(
        ("lost", "closed lost", "closed: lost", "closedlost", "closed-lost", "closed - lost"),
        "lost",
    ),
}
# Words CRMs use in stage names, and the default stage each most likely means.
_STAGE_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("negotiat", "review", "เจรจา"), "negotiating"),
    (("proposal", "quot", "price", "offer", "เสนอราคา"), "quoted"),
    (("decision", "commit", "contract", "approv", "verbal", "อนุมัติ"), "approved"),
    (
        ("analysis", "discovery", "consider", "evaluat", "demo", "perception", "พิจารณา"),
        "considering",
    ),
    (("lead", "contact", "prospect", "qualif", "new", "present", "นำเสนอ"), "presented"),
)
_WON_WORDS = ("won", "win", "signed", "closed won")
_LOST_WORDS = ("lost", "lose", "abandon", "dead", "cancel", "reject", "no deal")


class UnknownStages(InvalidValue):
    code = "unknown_stages"


@dataclass(frozen=True)
class Target:
    """Where a stage label leads: a stage, or a closing outcome (or both unknown)."""

    stage: str | None = None
    outcome: Status | None = None


@dataclass
class PlannedDeal:
    opened: Deal
    final: Deal
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Defaults:
    now: datetime
    currency: str
    owner: str
    exact: bool  # rows of our own CSV: probability is the deal's own, values as given


@dataclass(frozen=True, slots=True)
class Entry:
    """A row that will become a deal: its id, stage and status are settled."""

    row: Incoming
    deal_id: int
    stage: Stage
    status: Status


@dataclass
class Plan:
    entries: list[Entry] = field(default_factory=list)
    defaults: Defaults | None = None
    stages_after: list[Stage] = field(default_factory=list)
    new_stages: list[Stage] = field(default_factory=list)
    duplicates: int = 0
    problems: list[Problem] = field(default_factory=list)
    next_deal_id: int = 1


def parse_stage_map(entries: Sequence[str], stages: Sequence[Stage]) -> dict[str, Target]:
    """``--stage-map "Proposal Made=quoted"`` entries, by folded label."""
    mapped: dict[str, Target] = {}
    for entry in entries:
        label, sep, target = entry.rpartition("=")
        if not sep or not label.strip() or not target.strip():
            raise InvalidValue(
                _(
                    '--stage-map "{entry}" is not LABEL=STAGE, '
                    'e.g. --stage-map "Proposal Made=quoted".'
                ).format(entry=entry)
            )
        wanted = target.strip().casefold()
        if wanted in ("won", "lost"):
            mapped[parse.fold(label)] = Target(outcome="won" if wanted == "won" else "lost")
            continue
        try:
            found = parse.stage(stages, target)
        except (StageNotFound, AmbiguousStage) as exc:
            raise type(exc)(
                _('--stage-map "{entry}": {problem}').format(entry=entry, problem=exc.message)
            ) from None
        mapped[parse.fold(label)] = Target(stage=found.key)
    return mapped


class StageResolver:
    """Finds each row's stage and status; collects the labels the pipeline lacks."""

    def __init__(
        self,
        stages: Sequence[Stage],
        mapped: dict[str, Target],
        fallback_stages: Sequence[Stage] | None = None,
    ) -> None:
        self.stages = list(stages)
        self.mapped = mapped
        self.enabled = [s for s in stages if s.enabled]
        # Closed deals whose stage is unknown go to the pipeline's own first/last stage.
        self.fallback_enabled = [s for s in (fallback_stages or stages) if s.enabled]
        if not self.enabled or not self.fallback_enabled:
            raise NotAllowed(
                _("There is no enabled stage to import deals into; `salespipe stage enable` one.")
            )
        self.unknown: Counter[str] = Counter()
        self.first_seen: dict[str, Incoming] = {}

    def _existing(self, label: str) -> Stage | None:
        folded = parse.fold(label)
        for stage in self.stages:
            if stage.key == label or parse.fold(stage.name) == folded:
                return stage
        return None

    def target(self, row: Incoming) -> Target | None:
        folded = parse.fold(row.stage_label)
        if folded in self.mapped:
            return self.mapped[folded]
        if row.closing_label:
            return Target(outcome=row.status)
        if not folded:
            return Target()
        found = self._existing(row.stage_label) or (
            self._existing(row.stage_name) if row.stage_name else None
        )
        if found is not None:
            return Target(stage=found.key)
        if folded in CLOSING_LABELS:
            return Target(outcome=CLOSING_LABELS[folded])
        self.unknown[row.stage_label] += 1
        self.first_seen.setdefault(row.stage_label, row)
        return None

    def fallback(self, status: Status) -> str:
        return (self.fallback_enabled[-1] if status == "won" else self.fallback_enabled[0]).key

    def place(self, row: Incoming, target: Target) -> tuple[str, Status]:
        status: Status = row.status or "open"
        if target.outcome in ("won", "lost") and status == "open":
            status = target.outcome
        return target.stage or self.fallback(status), status


def looks_closing(label: str) -> bool:
    """A label such as "Closed: abandoned": a way of closing, never a stage to create."""
    return parse.fold(label).startswith("closed")


def _typical_probability(rows: Sequence[Incoming], label: str) -> int | None:
    """The probability most open rows of a stage give (0 counts as not given)."""
    found = Counter(r.probability for r in rows if r.stage_label == label and r.status != "won")
    found.pop(None, None)
    found.pop(0, None)
    return found.most_common(1)[0][0] if found else None


def new_stages_for(
    labels: Sequence[str], rows: Sequence[Incoming], resolver: StageResolver
) -> list[Stage]:
    """Stages to create for unknown labels, ordered by their typical probability."""
    created: list[Stage] = []
    order: dict[str, int] = {}
    for label in labels:
        sample = resolver.first_seen[label]
        name = sample.stage_name if sample.stage_name else label
        taken = [*resolver.stages, *created]
        try:
            name = check_stage_name(name, taken)
        except InvalidValue as exc:
            raise InvalidValue(
                _(
                    'The stage "{label}" cannot be created: {problem} Map it instead: {option}.'
                ).format(
                    label=label,
                    problem=exc.message,
                    option=f"--stage-map {shlex.quote(label + '=STAGE')}",
                )
            ) from None
        key = label if _usable_key(label, taken) else _unique_key(_ascii(name), taken)
        probability = _typical_probability(rows, label)
        order[key] = len(order)
        created.append(
            Stage(key, name, position=0, probability=50 if probability is None else probability)
        )
    return sorted(created, key=lambda s: (s.probability, order[s.key]))


def _ascii(name: str) -> str:
    """Accents taken off (Négociation → Negociation), so keys keep their letters."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() or name


def _usable_key(label: str, stages: Sequence[Stage]) -> bool:
    return (
        label.isascii()
        and label == label.strip().lower()
        and all(c.isalnum() or c == "-" for c in label)
        and not label.isdigit()
        and label not in {"won", "lost", "open", "all"}
        and all(s.key != label for s in stages)
    )


def with_new_stages(stages: Sequence[Stage], created: Sequence[Stage]) -> list[Stage]:
    """The pipeline's stages with new ones after the last enabled stage."""
    enabled = [s for s in stages if s.enabled]
    disabled = [s for s in stages if not s.enabled]
    return [*enabled, *created, *disabled]


def unknown_stages_error(
    resolver: StageResolver, rows: Sequence[Incoming], *, creating: bool = False
) -> UnknownStages:
    """The refusal that lists unknown stages with a ready-to-paste --stage-map line.

    When stages are being created, only closing labels ("Closed: abandoned") are left:
    they say how a deal ended, so they must be mapped to won or lost.
    """
    labels = [
        (label, count)
        for label, count in resolver.unknown.most_common()
        if not creating or looks_closing(label)
    ]
    listed = ", ".join(
        ngettext('"{label}" ({count} deal)', '"{label}" ({count} deals)', count).format(
            label=label, count=count
        )
        for label, count in labels
    )
    suggestion = " ".join(
        f"--stage-map {shlex.quote(label + '=' + _guess_target(label, rows, resolver))}"
        for label, _count in labels
    )
    if creating:
        return UnknownStages(
            _(
                "The file closes deals with stages salespipe cannot read: {labels}; nothing was "
                "imported. Map each to won or lost (--create-stages creates only open stages):"
            ).format(labels=listed)
            + f"\n  {suggestion}"
        )
    ours = ", ".join(s.key for s in resolver.enabled)
    return UnknownStages(
        _(
            "The file has stages this pipeline does not have: {labels}; nothing was imported. "
            "Map each to one of your stages ({stages}) or to won/lost, or add --create-stages:"
        ).format(labels=listed, stages=ours)
        + f"\n  {suggestion}"
    )


def _mentions(tokens: Sequence[str], folded: str, word: str) -> bool:
    """A word starts one of the label's words (Thai, written without spaces: anywhere)."""
    if word.isascii():
        return any(token.startswith(word) for token in tokens)
    return word in folded


def _guess_target(label: str, rows: Sequence[Incoming], resolver: StageResolver) -> str:
    folded = parse.fold(label)
    if any(word in folded for word in _LOST_WORDS):
        return "lost"
    if any(word in folded for word in _WON_WORDS):
        return "won"
    enabled = {s.key for s in resolver.enabled}
    tokens = re.split(r"\W+", folded)
    for words, key in _STAGE_WORDS:
        if key in enabled and any(_mentions(tokens, folded, word) for word in words):
            return key
    names = {parse.fold(s.name): s.key for s in resolver.enabled}
    names.update({s.key: s.key for s in resolver.enabled})
    close = difflib.get_close_matches(folded, list(names), n=1, cutoff=0.6)
    if close:
        return names[close[0]]
    typical = _typical_probability(rows, label)
    if typical is not None:
        return min(resolver.enabled, key=lambda s: abs(s.probability - typical)).key
    return resolver.enabled[0].key


def _times(row: Incoming, status: Status, now: datetime) -> dict[str, Any]:
    """Creation, stage entry, closing and last update, in an order history can replay."""
    created = min(row.created_at or now, now)
    closed = None
    if status != "open":
        closed = min(row.closed_at or row.updated_at or now, now)
        created = min(created, closed)
    end = closed or now
    entered = row.stage_entered_at
    if entered is None or not created <= entered <= end:
        entered = created
    latest = max(created, entered, closed or created)
    updated = row.updated_at if row.updated_at and latest <= row.updated_at <= now else latest
    return {"created": created, "entered": entered, "closed": closed, "updated": updated}


def build_deal(
    row: Incoming, deal_id: int, stage: Stage, status: Status, defaults: Defaults
) -> PlannedDeal:
    """The deal as it was created (open) and as it is now (maybe closed)."""
    times = _times(row, status, defaults.now)
    probability = row.probability
    opened_update = (
        times["updated"] if status == "open" else max(times["created"], times["entered"])
    )
    if not defaults.exact and (status != "open" or probability == stage.probability):
        probability = None
    opened = Deal(
        id=deal_id,
        title=row.title,
        stage=stage.key,
        created_at=times["created"],
        updated_at=opened_update,
        stage_entered_at=times["entered"],
        customer=row.customer,
        contact=row.contact,
        value=row.value,
        currency=row.currency or defaults.currency,
        owner=row.owner or defaults.owner,
        probability=probability,
        expected_close=row.expected_close,
        next_action=row.next_action,
        tags=row.tags,
        stays=(Stay(stage.key, times["entered"]),),
        quote=row.quote,
        source=row.source,
    )
    if status == "open":
        return PlannedDeal(opened, opened, row.notes)
    final = dataclasses.replace(
        opened,
        status=status,
        closed_at=times["closed"],
        updated_at=times["updated"],
        lost_reason=row.lost_reason if status == "lost" else None,
        stays=(Stay(stage.key, times["entered"], times["closed"]),),
    )
    return PlannedDeal(opened, final, row.notes)


@dataclass(frozen=True)
class EventSpec:
    kind: str
    at: datetime
    deal_id: int
    before: Record | None
    after: Record | None
    reason: str | None = None
    text: str | None = None


def _closing_fields(final: Deal) -> Record:
    """The fields closing changes, in record form (cheaper than the whole record)."""
    return {
        "status": final.status,
        "updated_at": final.updated_at.isoformat(timespec="seconds"),
        "closed_at": final.closed_at.isoformat(timespec="seconds") if final.closed_at else None,
        "lost_reason": final.lost_reason,
        "stays": [stay.to_record() for stay in final.stays],
    }


def planned_deals(plan: Plan) -> Iterator[PlannedDeal]:
    assert plan.defaults is not None
    for entry in plan.entries:
        yield build_deal(entry.row, entry.deal_id, entry.stage, entry.status, plan.defaults)


def events_of(planned: PlannedDeal) -> Iterator[EventSpec]:
    """``add`` at creation, notes, then ``won``/``lost`` at closing: history that replays."""
    opened, final = planned.opened, planned.final
    opened_record = opened.to_record()
    yield EventSpec("add", opened.created_at, opened.id, None, opened_record)
    for note in planned.notes:
        yield EventSpec("note", opened.created_at, opened.id, {}, {}, text=note)
    if final.status != "open":
        assert final.closed_at is not None
        before, after = record_diff(opened_record, _closing_fields(final))
        reason = final.lost_reason if final.status == "lost" else None
        yield EventSpec(final.status, final.closed_at, final.id, before, after, reason=reason)
