"""Which stage each imported row goes to: the file's stage labels against the pipeline's.

A label is one of the pipeline's stages (by key or name), a way of closing ("Closed
Won"), mapped with ``--stage-map``, or unknown: then the import stops with a
ready-to-paste map, or ``--create-stages`` creates open stages for the unknown labels.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from salespipe.app.stage_admin import _unique_key, check_stage_name
from salespipe.core import parse
from salespipe.core.errors import AmbiguousStage, InvalidValue, NotAllowed, StageNotFound
from salespipe.core.i18n import _, ngettext
from salespipe.core.model import Stage, Status
from salespipe.transfer.crm_formats import DefaultStage, closing_status
from salespipe.transfer.pending import Pending, StageLabel

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
        self.unknown_in_invalid: Counter[str] = Counter()  # of rows that are invalid anyway
        self.first_seen: dict[str, StageLabel] = {}
        self._found: dict[StageLabel, Target | None] = {}  # many rows share a label

    def _existing(self, label: str) -> Stage | None:
        folded = parse.fold(label)
        for stage in self.stages:
            if stage.key == label or parse.fold(stage.name) == folded:
                return stage
        return None

    def target(self, row: StageLabel) -> Target | None:
        """Where a row's label leads; None, counted, for a label the pipeline lacks."""
        if row in self._found:
            found = self._found[row]
        else:
            found = self._found[row] = self._resolve(row)
        if found is None:
            self.unknown[row.stage_label] += 1
            self.first_seen.setdefault(row.stage_label, row)
        return found

    def count_invalid(self, row: StageLabel, count: int) -> None:
        """Count the label of rows that cannot be imported for other reasons: the first
        refusal about stages names every label the file has."""
        found = self._found.get(row) if row in self._found else self._resolve(row)
        if found is None:
            self.unknown_in_invalid[row.stage_label] += count

    def all_unknown(self) -> Counter[str]:
        return self.unknown + self.unknown_in_invalid

    def _resolve(self, row: StageLabel) -> Target | None:
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
        closing = closing_status(row.stage_label) or closing_status(row.stage_name)
        if closing == "won":
            return Target(outcome="won")
        if closing == "lost":
            return Target(outcome="lost")
        return None

    def fallback(self, status: Status) -> str:
        return (self.fallback_enabled[-1] if status == "won" else self.fallback_enabled[0]).key

    def place(self, row: StageLabel, target: Target) -> tuple[str, Status]:
        status: Status = row.status or "open"
        if target.outcome in ("won", "lost") and status == "open":
            status = target.outcome
        return target.stage or self.fallback(status), status


def looks_closing(label: str) -> bool:
    """A label such as "Closed: abandoned": a way of closing, never a stage to create."""
    return parse.fold(label).startswith("closed")


def _typical_probability(rows: Sequence[Pending], label: str) -> int | None:
    """The probability most open rows of a stage give (0 counts as not given)."""
    found = Counter(
        r.probability for r in rows if r.label.stage_label == label and r.label.status != "won"
    )
    found.pop(None, None)
    found.pop(0, None)
    return found.most_common(1)[0][0] if found else None


def new_stages_for(
    labels: Sequence[str],
    rows: Sequence[Pending],
    resolver: StageResolver,
    defaults: Sequence[DefaultStage] = (),
) -> list[Stage]:
    """Stages to create for unknown labels (given in the order they first appear).

    When every one is a default stage of the CRM that wrote the file, they come in that
    CRM's order with its probabilities; otherwise in the order of the file.
    """
    known = {parse.fold(d.name): (index, d) for index, d in enumerate(defaults)}
    created: list[Stage] = []
    rank: dict[str, int] = {}
    for label in labels:
        sample = resolver.first_seen[label]
        name = sample.stage_name if sample.stage_name else label
        if sample.stage_name and any(parse.fold(s.name) == parse.fold(name) for s in created):
            continue  # another id of the same stage (Bitrix24: NEW and C1:NEW are "New")
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
        key = label if _usable_key(label, taken) else _unique_key(name, taken)
        index, default = known.get(parse.fold(name), (None, None))
        probability = default.probability if default is not None else None
        if probability is None:
            probability = _typical_probability(rows, label)
        rank[key] = len(rank) if index is None else index
        created.append(
            Stage(key, name, position=0, probability=50 if probability is None else probability)
        )
    if all(parse.fold(s.name) in known for s in created):
        created.sort(key=lambda s: rank[s.key])
    return created


def _usable_key(label: str, stages: Sequence[Stage]) -> bool:
    return (
        label.isascii()
        and label == label.strip().lower()
        and all(c.isalnum() or c == "-" for c in label)
        and label[:1].isalpha()
        and label not in {"won", "lost", "open", "all"}
        and all(s.key != label for s in stages)
    )


def with_new_stages(stages: Sequence[Stage], created: Sequence[Stage]) -> list[Stage]:
    """The pipeline's stages with new ones after the last enabled stage."""
    enabled = [s for s in stages if s.enabled]
    disabled = [s for s in stages if not s.enabled]
    return [*enabled, *created, *disabled]


def unknown_stages_error(
    resolver: StageResolver, rows: Sequence[Pending], *, creating: bool = False
) -> UnknownStages:
    """The refusal that lists unknown stages with a ready-to-paste --stage-map line.

    When stages are being created, only closing labels ("Closed: abandoned") are left:
    they say how a deal ended, so they must be mapped to won or lost.
    """
    labels = [
        (label, count)
        for label, count in resolver.all_unknown().most_common()
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


def _guess_target(label: str, rows: Sequence[Pending], resolver: StageResolver) -> str:
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
