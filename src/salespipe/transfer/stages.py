"""Which stage each imported row goes to: the file's stage labels against the pipeline's.

A label is one of the pipeline's stages (by key or name), a way of closing ("Closed
Won"), mapped with ``--stage-map``, or unknown: then the import stops with a
ready-to-paste map, or ``--create-stages`` creates open stages for the unknown labels.
"""

from __future__ import annotations

import difflib
import itertools
import re
import shlex
from collections import Counter
from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import Literal

from salespipe.app.naming import unique_key
from salespipe.app.pipeline_admin import new_pipeline_stage_key
from salespipe.app.stage_admin import STAGE_NAME, check_stage_name
from salespipe.core import collation, parse
from salespipe.core.errors import AmbiguousStage, InvalidValue, NotAllowed, StageNotFound
from salespipe.core.i18n import _, ngettext
from salespipe.core.model import Stage, Status
from salespipe.transfer.crm_formats import DefaultStage, closing_status
from salespipe.transfer.pending import Pending, StageLabel

# Words CRMs use in stage names, and the default stage each most likely means.
_STAGE_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("negotiat", "review", "เจรจา", "ต่อรอง"), "negotiating"),
    (("proposal", "quot", "price", "offer", "เสนอราคา", "ใบเสนอ"), "quoted"),
    (
        ("decision", "commit", "contract", "approv", "verbal", "อนุมัติ", "สัญญา", "เซ็น"),
        "approved",
    ),
    (
        ("analysis", "discovery", "consider", "evaluat", "demo", "perception", "พิจารณา"),
        "considering",
    ),
    (
        ("lead", "contact", "prospect", "qualif", "new", "present", "นำเสนอ", "ติดต่อ"),
        "presented",
    ),
)
# Words that make an unknown label's suggested target won or lost, as whole words; a
# label that also negates or starts again ("Not won", "Won't proceed", "Won back",
# "Deal lost? re-check") gets a stage instead: pasted, a wrong won would count a win.
_WON_WORDS = frozenset({"won", "signed", "closedwon"})
_LOST_WORDS = frozenset(
    {"lost", "lose", "abandoned", "dead", "cancelled", "canceled", "rejected", "closedlost"}
)
_LOST_PHRASES = ("no deal", "no budget", "not interested")
# Thai, written without spaces, says a deal closed in phrases, not words of its own; a
# label that hedges (ยัง "not yet", โอกาส "a chance of", รอ "waiting for") says none.
_THAI_LOST = ("ไม่ได้งาน", "ไม่สนใจ", "ยกเลิก", "ปิดการขายไม่ได้", "ปิดไม่ได้", "ไม่ชนะ")
_THAI_WON = ("เซ็นสัญญาแล้ว", "ปิดการขายได้", "ปิดได้", "ได้งาน", "ชนะ")
_THAI_HEDGES = ("ยัง", "โอกาส", "รอ", "อาจ")
_NOT_CLOSING = frozenset(
    {"not", "no", "never", "won't", "wont", "don't", "didn't", "isn't"}
    | {"back", "again", "re", "winback", "reactivation", "reactivated", "maybe", "pending"}
)


class UnknownStages(InvalidValue):
    """The file names stages the pipeline does not have (map or create them)."""

    code = "unknown_stages"


@dataclass(frozen=True)
class Target:
    """Where a stage label leads: a stage, or a closing outcome (or both unknown)."""

    stage: str | None = None
    outcome: Status | None = None
    # The name the file gives the stage beside its key, where the stage of that key here
    # answers to another (renamed here or where the file came from): the import says so.
    file_name: str = ""


def parse_stage_map(
    entries: Sequence[str],
    stages: Sequence[Stage],
    *,
    found_in: set[str] | None = None,
    pipeline: str = "",
    switched_off: bool = False,
) -> dict[str, Target]:
    """``--stage-map "Proposal Made=quoted"`` entries, by label as it looks
    (:func:`~salespipe.core.collation.look`).

    With ``found_in`` (a file whose rows go into several pipelines), an entry whose stage
    is not among ``stages`` is left out, and the entries used are added to ``found_in``.
    ``pipeline``: the key of the pipeline of ``stages``, for the command that adds one.
    ``switched_off``: an entry whose stage is switched off maps into it (the comparison
    of rows with their deals: a row that says a stage its deal is not in differs)."""
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
            mapped[collation.look(label)] = Target(outcome="won" if wanted == "won" else "lost")
            if found_in is not None:
                found_in.add(entry)
            continue
        try:
            found = _map_stage(stages, target, switched_off=switched_off)
        except (StageNotFound, AmbiguousStage) as exc:
            if found_in is not None and isinstance(exc, StageNotFound):
                continue
            problem = _('--stage-map "{entry}": {problem}').format(entry=entry, problem=exc.message)
            if isinstance(exc, StageNotFound):
                problem += " " + _add_it_first(target.strip(), pipeline)
            raise type(exc)(problem) from None
        mapped[collation.look(label)] = Target(stage=found.key)
        if found_in is not None:
            found_in.add(entry)
    return mapped


def _map_stage(stages: Sequence[Stage], target: str, *, switched_off: bool) -> Stage:
    """The stage a --stage-map entry names; ``switched_off``: a switched-off one too,
    where no stage switched on answers to it."""
    try:
        return parse.stage(stages, target)
    except StageNotFound:
        if not switched_off:
            raise
        off = [s for s in stages if not s.enabled]
        try:
            return parse.stage(off, target, enabled_only=False)
        except (StageNotFound, AmbiguousStage):
            pass
        raise


def map_into_no_stage(entry: str, pipelines: Sequence[str]) -> StageNotFound:
    """The refusal of a --stage-map entry whose stage none of the ``pipelines`` the
    rows go into has (their names), with how to get past it."""
    stage = entry.rpartition("=")[2].strip()
    names = ", ".join(f'"{name}"' for name in pipelines)
    problem = _(
        '--stage-map "{entry}": none of the pipelines the rows go into ({pipelines}) '
        'has the stage "{stage}".'
    ).format(entry=entry, pipelines=names, stage=stage)
    return StageNotFound(problem + " " + _add_it_first(stage, "PIPELINE"))


def _add_it_first(stage: str, pipeline: str) -> str:
    """How to map a label into a stage that is not here yet, such as another label of
    the file (a stage renamed in the CRM): the map names a stage here, so add it first
    (to ``pipeline``, where one is named)."""
    command = f"salespipe stage add {shlex.quote(stage)}"
    if pipeline:
        command += f" --pipeline {shlex.quote(pipeline)}"
    return _(
        "A map puts a label into a stage that is here, not one --create-stages would "
        "make: add it first with `{command}`."
    ).format(command=command)


class StageResolver:
    """Finds each row's stage and status; collects the labels the pipeline lacks."""

    def __init__(
        self,
        stages: Sequence[Stage],
        mapped: dict[str, Target],
        *,
        new_pipeline: bool = False,  # no stages yet: every label is to be created
        pipeline_name: str = "",
        creating: bool = False,  # --create-stages
        unplaced: Container[str] = (),  # created stages of no known probability
    ) -> None:
        self.stages = list(stages)
        self.unplaced = unplaced
        self.mapped = mapped
        self.enabled = [s for s in stages if s.enabled]
        if not new_pipeline and not self.enabled:
            raise no_stage_to_import_into(pipeline_name, stages, creating=creating)
        self.unknown: Counter[str] = Counter()
        self.unknown_in_invalid: Counter[str] = Counter()  # of rows that are invalid anyway
        self.first_seen: dict[str, StageLabel] = {}
        self._found: dict[StageLabel, Target | None] = {}  # many rows share a label
        # Each stage's key and folded name, once: a file with thousands of stage names
        # must not fold every stage's name again for each of them.
        self._position: dict[str, int] = {}
        self._by_key: dict[str, Stage] = {}
        self._by_name: dict[str, Stage] = {}
        for index, stage in enumerate(self.stages):
            self._position[stage.key] = index
            self._by_key.setdefault(stage.key, stage)
            self._by_name.setdefault(collation.look(stage.name), stage)
        # A stage under a default name answers to it in the other language too (a Thai
        # sheet into an English pipeline), after every stage's own name.
        for stage in self.stages:
            for name in parse.stage_names(stage):
                self._by_name.setdefault(collation.look(name), stage)

    def _existing(self, label: str) -> Stage | None:
        """The first stage whose key is ``label`` or whose name looks as it does (a
        zero-width space or full-width letters do not make another stage)."""
        by_name = self._by_name.get(collation.look(label))
        found = [s for s in (self._by_key.get(label), by_name) if s]
        return min(found, key=lambda s: self._position[s.key], default=None)

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
        folded = collation.look(row.stage_label)
        if folded in self.mapped:
            return self.mapped[folded]
        if row.stage_name and collation.look(row.stage_name) in self.mapped:
            return self.mapped[collation.look(row.stage_name)]  # (our export's stage_name)
        if row.closing_label:
            return Target(outcome=row.status)
        if not folded:
            return Target()
        found = self._existing(row.stage_label) or (
            self._existing(row.stage_name) if row.stage_name else None
        )
        if found is not None:
            return Target(stage=found.key, file_name=_named_otherwise(found, row.stage_name))
        closing = closing_status(row.stage_label) or closing_status(row.stage_name)
        if closing == "won":
            return Target(outcome="won")
        if closing == "lost":
            return Target(outcome="lost")
        return None

    def fallback(self, status: Status) -> str:
        """Where a closed deal whose stage is unknown goes (Salesforce's "Closed Won"):
        the pipeline's last enabled stage if won, else its first (stages the import
        creates included). A created stage of no known probability is appended last
        only for want of a better place, so a won deal goes to the last stage before
        such stages where there is one."""
        if status != "won":
            return self.enabled[0].key
        placed = [s for s in self.enabled if s.key not in self.unplaced]
        return (placed or self.enabled)[-1].key

    def place(self, row: StageLabel, target: Target) -> tuple[str, Status]:
        status: Status = row_status(row, target) or "open"
        return target.stage or self.fallback(status), status


def row_status(row: StageLabel, target: Target | None) -> Status | None:
    """The status a row says, the one place it is decided: the import gives it to the
    deal, and the comparison of a row imported before with its deal (``differing``, and
    so ``import --update``) reads it, so the same row always says the same status.

    A stage that closes the deal (``Target.outcome``, a CRM's "WON" or a --stage-map to
    won or lost) closes it whatever an open flag beside it says (Bitrix24's
    ``STAGE_ID=WON`` with ``CLOSED=N``); a closed flag beside an open stage is kept. A row
    with no status of its own is open in a stage it names (HubSpot's: a deal won here
    whose row is still in an open stage differs from it), and says none where its stage
    is blank or unknown (None; the import makes such a row open)."""
    status = row.status
    if target is not None and target.outcome in ("won", "lost") and status in (None, "open"):
        return target.outcome
    if status is None and target is not None and target.stage is not None:
        return "open"
    return status


def _named_otherwise(stage: Stage, file_name: str) -> str:
    """``file_name`` where ``stage`` does not answer to it (the file's stage of that key
    is named otherwise), else ""."""
    if not file_name:
        return ""
    names = {collation.look(name) for name in parse.stage_names(stage)}
    return "" if collation.look(file_name) in names else file_name


def no_stage_to_import_into(
    pipeline: str, stages: Sequence[Stage], *, creating: bool
) -> NotAllowed:
    """The refusal of an import into a pipeline without an enabled stage, with the
    command that gives it one (in that pipeline), and --create-stages where it would."""
    where = f"--pipeline {shlex.quote(pipeline)}"
    if stages:
        command = f"salespipe stage enable STAGE {where}"
        message = (
            _(
                'The pipeline "{pipeline}" has no enabled stage to import deals into; '
                "`{command}` enables one."
            )
            if creating
            else _(
                'The pipeline "{pipeline}" has no enabled stage to import deals into; '
                "`{command}` enables one, or --create-stages creates the file's."
            )
        )
    else:
        command = f"salespipe stage add NAME {where}"
        message = (
            _('The pipeline "{pipeline}" has no stages to import deals into; `{command}` adds one.')
            if creating
            else _(
                'The pipeline "{pipeline}" has no stages to import deals into; '
                "`{command}` adds one, or --create-stages creates the file's."
            )
        )
    return NotAllowed(message.format(pipeline=pipeline, command=command))


def looks_closing(label: str) -> bool:
    """A label such as "Closed: abandoned": a way of closing, never a stage to create."""
    return parse.fold(label).startswith("closed")


def file_stage(label: StageLabel) -> tuple[str, str]:
    """A stage of the file, as its rows name it (before any --stage-map): the pipeline
    label and the stage label."""
    return label.pipeline_label, label.stage_label


def file_probabilities(rows: Sequence[Pending]) -> dict[tuple[str, str], int]:
    """Each stage of the file's probability: the one most of its open rows give (ties:
    the lower), in one pass over the rows. A CRM writes its stage's default on most
    rows; a deal whose row says otherwise has a probability of its own. A row's 0, which
    some exports write where none was set, is none."""
    found: dict[tuple[str, str], Counter[int]] = {}
    for row in rows:
        if row.label.status in (None, "open") and row.probability:
            found.setdefault(file_stage(row.label), Counter())[row.probability] += 1
    return {stage: min(counts, key=lambda p: (-counts[p], p)) for stage, counts in found.items()}


# Where a created stage's probability came from: the file's rows, the CRM's default
# stage of that name, or neither (50%).
ProbabilityOrigin = Literal["file", "crm", "none"]


@dataclass(frozen=True)
class NewStages:
    """The stages to create, in order, with where each one's probability came from and
    the probability the file gives each (the stages it gives none are not in it)."""

    stages: list[Stage]
    origins: dict[str, ProbabilityOrigin]
    in_file: dict[str, int]


def new_stages_for(
    labels: Sequence[str],
    in_file: dict[tuple[str, str], int],
    resolver: StageResolver,
    defaults: Sequence[DefaultStage] = (),
    taken: Container[str] = (),
    new_pipeline: str | None = None,
) -> NewStages:
    """Stages to create for unknown labels (given in the order they first appear).

    Each takes the probability the file gives it (:func:`file_probabilities`), else that
    of the CRM's default stage of its name, else 50%; a backup's stage takes its own. The
    default stages of the CRM that wrote the file come first, in that CRM's order (a
    file's first rows are often its latest deals, far down the funnel); the others after
    them, in the order of the file (:func:`with_new_stages` places them). ``taken``:
    the keys of other pipelines' stages (a key is unique in the whole database). A label
    that is a free key (a CRM's stage id, salespipe's own) is kept as the key; else the
    key is made as ``stage add`` makes it, or in ``new_pipeline`` (the key of a pipeline
    the import creates) as ``pipeline add`` makes its stages' keys.
    """
    known = {parse.fold(d.name): (index, d) for index, d in enumerate(defaults)}
    created: list[Stage] = []
    rank: dict[str, int] = {}
    origins: dict[str, ProbabilityOrigin] = {}
    given: dict[str, int] = {}
    keys = {s.key: s for s in reversed(resolver.stages)}
    names = {parse.fold(s.name): s for s in reversed(resolver.stages)}
    created_names: set[str] = set()
    for label in labels:
        sample = resolver.first_seen[label]
        name = sample.stage_name if sample.stage_name else label
        if sample.stage_name and parse.fold(name) in created_names:
            continue  # another id of the same stage (Bitrix24: NEW and C1:NEW are "New")
        try:
            name = check_stage_name(name, ())
            _check_unique(name, names, keys)
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
        used = _Either(keys, taken)
        if _usable_key(label, used):
            key = label
        elif new_pipeline is not None:
            key = new_pipeline_stage_key(new_pipeline, name, used)
        else:
            key = unique_key(name, used)
        index, default = known.get(parse.fold(name), (None, None))
        from_file = in_file.get(file_stage(sample))
        if from_file:
            given[key] = from_file
        probability, origins[key] = _created_probability(from_file, default)
        rank[key] = len(defaults) + len(rank) if index is None else index
        stage = Stage(
            key,
            name,
            position=0,
            probability=probability,
            target_days=default.target_days if default is not None else None,
            guide=default.guide if default is not None else "",
        )
        created.append(stage)
        keys.setdefault(key, stage)
        names.setdefault(parse.fold(name), stage)
        created_names.add(parse.fold(name))
    created.sort(key=lambda s: rank[s.key])
    return NewStages(created, origins, given)


def _created_probability(
    from_file: int | None, default: DefaultStage | None
) -> tuple[int, ProbabilityOrigin]:
    """A created stage's probability and where it came from: a backup's stage as it was;
    else the file's (0, where some exports leave it unset, is none); else the CRM's
    default stage's; else 50."""
    if default is not None and default.pipeline is not None and default.probability is not None:
        return default.probability, "file"
    if from_file:
        return from_file, "file"
    if default is not None and default.probability is not None:
        return default.probability, "crm"
    return 50, "none"


class _Either:
    """In one container or the other."""

    def __init__(self, first: Container[str], second: Container[str]) -> None:
        self.first, self.second = first, second

    def __contains__(self, item: object) -> bool:
        return item in self.first or item in self.second


def _check_unique(name: str, names: dict[str, Stage], keys: dict[str, Stage]) -> None:
    """``check_stage_name``'s test for a stage of that name or key, against dicts."""
    folded = parse.fold(name)
    other = names.get(folded) or keys.get(folded)
    if other is not None:
        raise InvalidValue(_(STAGE_NAME.taken).format(name=other.name, key=other.key))


def _usable_key(label: str, keys: Container[str]) -> bool:
    return (
        label.isascii()
        and label == label.strip().lower()
        and all(c.isalnum() or c == "-" for c in label)
        and label[:1].isalpha()
        and label not in {"won", "lost", "open", "all"}
        and label not in keys
    )


def with_new_stages(
    stages: Sequence[Stage], new: NewStages, *, new_pipeline: bool = False
) -> list[Stage]:
    """The pipeline's stages with the new ones among its enabled stages: each of a
    known probability (the file's, else its CRM's default) just before the first stage
    of a higher one (a created 20% stage before an existing 30% one), the others after
    the last enabled stage, in their order. Of a ``new_pipeline`` (one the import
    makes), a backup's stages keep the backup's order."""
    placed = [s for s in stages if s.enabled]
    disabled = [s for s in stages if not s.enabled]
    unplaced = unplaced_stages(new, new_pipeline=new_pipeline)
    for stage in new.stages:
        if stage.key not in unplaced:
            higher = (i for i, s in enumerate(placed) if s.probability > stage.probability)
            placed.insert(next(higher, len(placed)), stage)
    return [*placed, *(s for s in new.stages if s.key in unplaced), *disabled]


def unplaced_stages(new: NewStages, *, new_pipeline: bool = False) -> set[str]:
    """The keys of the created stages that go after the pipeline's stages, in the order
    the file names them: those whose probability neither the file (its rows, a
    backup's stage) nor its CRM gives, and, in a pipeline the import makes, a backup's
    too (its stages as the person had ordered them, whatever their probabilities). Into
    a pipeline here, a backup's stage is placed by its probability (it went after the
    last stage here, a 35% one after Approved's 90%, and ``funnel`` counted its deals as
    past every stage before it)."""
    kept_in_order = ("none", "file") if new_pipeline else ("none",)
    return {
        s.key
        for s in new.stages
        if s.key not in new.in_file and new.origins[s.key] in kept_in_order
    }


# More new stage names than this in one file usually means a wrong column was read as
# the stage (a title, an id); creating them takes --max-new-stages.
MAX_NEW_STAGES = 500


def too_many_new_stages(count: int, limit: int) -> UnknownStages:
    return UnknownStages(
        _(
            "The file has {count} stage names this pipeline does not have, more than {limit}; "
            "nothing was imported. Check that the stage column is the right one (--column "
            "stage=HEADER), or allow them with --max-new-stages {count}."
        ).format(count=count, limit=limit)
    )


def unknown_stages_error(
    resolver: StageResolver,
    rows: Sequence[Pending],
    *,
    creating: bool = False,
    defaults: Sequence[DefaultStage] = (),
) -> UnknownStages:
    """The refusal that lists unknown stages with a ready-to-paste --stage-map line.

    When stages are being created, only closing labels ("Closed: abandoned") are left:
    they say how a deal ended, so they must be mapped to won or lost. ``defaults``: the
    default stages of the CRM that wrote the file, whose order the suggestion keeps.
    """
    labels = _as_named(
        [
            (label, count)
            for label, count in resolver.all_unknown().most_common()
            if not creating or looks_closing(label)
        ],
        resolver,
    )
    listed = ", ".join(
        ngettext('"{label}" ({count} deal)', '"{label}" ({count} deals)', count).format(
            label=shown, count=count
        )
        for shown, count, _label in labels
    )
    in_file = {label: p for (_pipeline, label), p in file_probabilities(rows).items()}
    typical = {**_crm_probabilities(labels, defaults), **in_file}
    # (the target is guessed from the label the rows carry: their probabilities are its;
    # a stage is suggested by its name, as the user calls it, which --stage-map takes)
    # (a name --stage-map would split at its "=" is given by its key)
    name_of = {s.key: s.name for s in resolver.enabled if "=" not in s.name}
    targets = [_target_to_suggest(label, typical, resolver, creating) for *_n, label in labels]
    if not creating:
        targets = _in_crm_order(
            [label for *_n, label in labels], targets, resolver, defaults, typical
        )
    targets = [name_of.get(target, target) for target in targets]
    suggestion = " ".join(
        f"--stage-map {shlex.quote(shown + '=' + target)}"
        for (shown, _count, _label), target in zip(labels, targets, strict=True)
    )
    if creating:
        return UnknownStages(
            _(
                "The file closes deals with stages salespipe cannot read: {labels}; nothing was "
                "imported. Map each to won or lost (--create-stages creates only open stages):"
            ).format(labels=listed)
            + f"\n  {suggestion}"
        )
    ours = ", ".join(s.name for s in resolver.enabled)
    return UnknownStages(
        _(
            "The file has stages this pipeline does not have: {labels}; nothing was imported. "
            "Map each to one of your stages ({stages}) or to won/lost, or add --create-stages:"
        ).format(labels=listed, stages=ours)
        + f"\n  {suggestion}"
    )


def _crm_probabilities(
    labels: Sequence[tuple[str, int, str]], defaults: Sequence[DefaultStage]
) -> dict[str, int]:
    """The probability of each label that is one of the CRM's default stages, where the
    file gives none: HubSpot's "Presentation scheduled" (60%) was suggested the first
    stage (10%) for its word "present"."""
    known = {parse.fold(d.name): d.probability for d in defaults if d.probability}
    return {
        label: known[parse.fold(shown)]
        for shown, _count, label in labels
        if parse.fold(shown) in known
    }


def _mentions(tokens: Sequence[str], folded: str, word: str) -> bool:
    """A word starts one of the label's words (Thai, written without spaces: anywhere)."""
    if word.isascii():
        return any(token.startswith(word) for token in tokens)
    return word in folded


def _closing_guess(folded: str) -> str | None:
    """ "won" or "lost" for a label that plainly says so; None when it does not, or
    also negates or reopens it."""
    if any(phrase in folded for phrase in _LOST_PHRASES):
        return "lost"
    if re.search("[\u0e01-\u0e5b]", folded):
        return _thai_closing_guess(folded)
    words = set(re.findall(r"[\w']+", folded.replace("\u2019", "'")))
    if "?" in folded or words & _NOT_CLOSING:
        return None
    if words & _LOST_WORDS:
        return "lost"
    if words & _WON_WORDS:
        return "won"
    return None


def _thai_closing_guess(folded: str) -> str | None:
    """ "won" or "lost" for a Thai label that plainly says so: ไม่ ("not") turns a win
    into none (ไม่แพ้, "did not lose") and is part of the losses it names (ไม่ได้งาน)."""
    if any(hedge in folded for hedge in _THAI_HEDGES):
        return None
    if any(phrase in folded for phrase in _THAI_LOST) or ("แพ้" in folded and "ไม่แพ้" not in folded):
        return "lost"
    if "ไม่" not in folded and any(phrase in folded for phrase in _THAI_WON):
        return "won"
    return None


def _as_named(labels: list[tuple[str, int]], resolver: StageResolver) -> list[tuple[str, int, str]]:
    """The labels as a person reads them, with their counts and the (first) label each
    stands for: the stage's name where the file gives one beside its key or id (our
    export's stage_name, HubSpot's, Odoo's, Bitrix24's), which --stage-map takes too;
    labels of one name counted together."""
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    for label, count in labels:
        seen = resolver.first_seen.get(label)
        shown = seen.stage_name if seen is not None and seen.stage_name else label
        counts[shown] += count
        first.setdefault(shown, label)
    return [(shown, count, first[shown]) for shown, count in counts.most_common()]


def _target_to_suggest(
    label: str, typical_of: dict[str, int], resolver: StageResolver, closing_only: bool
) -> str:
    """The target a suggested --stage-map gives ``label``; a closing label that says
    neither won nor lost plainly gets ``won|lost``, for the user to choose."""
    if closing_only:
        return _closing_guess(parse.fold(label)) or "won|lost"
    return _guess_target(label, typical_of, resolver)


def _guess_target(label: str, typical_of: dict[str, int], resolver: StageResolver) -> str:
    """The stage a label's name says, unless the file's probability of it is far from
    that stage's (Salesforce's "Perception Analysis", 70%, is no "considering", 25%, for
    its word "perception"); else the stage of the nearest probability; else the first."""
    closing = _closing_guess(parse.fold(label))
    if closing is not None:
        return closing
    by_name = _guess_by_name(label, resolver)
    typical = typical_of.get(label)
    if by_name is not None and (typical is None or _near(resolver, by_name, typical)):
        return by_name
    if typical is not None:
        return min(resolver.enabled, key=lambda s: abs(s.probability - typical)).key
    return resolver.enabled[0].key


_NAME_TRUSTED_WITHIN = 25  # points of probability between a label and the stage it names


def _near(resolver: StageResolver, key: str, probability: int) -> bool:
    stage = next(s for s in resolver.enabled if s.key == key)
    return abs(stage.probability - probability) <= _NAME_TRUSTED_WITHIN


def _guess_by_name(label: str, resolver: StageResolver) -> str | None:
    """The stage a label's words name (a CRM's word for one of the default stages), or
    the stage whose name is most like it; None when no name says."""
    folded = parse.fold(label)
    enabled = {s.key for s in resolver.enabled}
    tokens = re.split(r"\W+", folded)
    for words, key in _STAGE_WORDS:
        if key in enabled and any(_mentions(tokens, folded, word) for word in words):
            return key
    names = {parse.fold(s.name): s.key for s in resolver.enabled}
    names.update({s.key: s.key for s in resolver.enabled})
    close = difflib.get_close_matches(folded, list(names), n=1, cutoff=0.6)
    return names[close[0]] if close else None


def _in_crm_order(
    labels: Sequence[str],
    targets: Sequence[str],
    resolver: StageResolver,
    defaults: Sequence[DefaultStage],
    typical: dict[str, int],
) -> list[str]:
    """The suggested targets with the CRM's default stages kept in the CRM's order.

    Guessed one by one, Salesforce's "Id. Decision Makers" (60%, before Perception
    Analysis, Proposal/Price Quote and Negotiation/Review) went to Approved by its word
    "decision", after them all. The labels that are the CRM's default stages, in its
    order, keep the stages their names gave as long as these follow the pipeline's order
    (the most of them that do); each of the others gets a stage between the ones before
    and after it: its own guess, moved up or down to fit."""
    order = {parse.fold(d.name): index for index, d in enumerate(defaults)}
    position = {s.key: index for index, s in enumerate(resolver.enabled)}
    in_order = sorted(
        (order[parse.fold(label)], index)
        for index, (label, target) in enumerate(zip(labels, targets, strict=True))
        if parse.fold(label) in order and target in position
    )
    places = [index for _rank, index in in_order]
    named = [_guess_by_name(labels[i], resolver) == targets[i] for i in places]
    kept = _longest_rising(
        [position[targets[i]] if named[n] else None for n, i in enumerate(places)]
    )
    fitted = list(targets)
    stages = [s.key for s in resolver.enabled]
    for n, index in enumerate(places):
        if n in kept:
            continue
        low = max((position[targets[places[k]]] for k in kept if k < n), default=0)
        high = min((position[targets[places[k]]] for k in kept if k > n), default=len(stages) - 1)
        here = position[targets[index]]
        if not low <= here <= high:
            here = _nearest_between(resolver, low, high, typical.get(labels[index]), here)
        fitted[index] = stages[here]
    if not kept and _rising(resolver.enabled):
        # With nothing kept by its name (Dynamics' Develop by its 40%, Propose and Close
        # by nothing), the guesses still follow the CRM's order: none before the one
        # before it. (Not in a pipeline whose chances do not rise stage by stage: one
        # late guess would take every label after it there, a review.)
        furthest = 0
        for index in places:
            furthest = max(furthest, position[fitted[index]])
            fitted[index] = stages[furthest]
    return fitted


def _nearest_between(
    resolver: StageResolver, low: int, high: int, probability: int | None, guess: int
) -> int:
    """The place, from ``low`` to ``high``, of the stage nearest ``probability`` (of a
    label whose guess fell outside them; without one, the end nearest the guess): the
    end itself sent HubSpot's "Appointment scheduled" (20%) to an 85% stage of a
    pipeline whose chances do not rise stage by stage (a review)."""
    if probability is None or low > high:
        return min(max(guess, low), high)
    between = range(low, high + 1)
    return min(between, key=lambda at: abs(resolver.enabled[at].probability - probability))


def _rising(stages: Sequence[Stage]) -> bool:
    return all(a.probability <= b.probability for a, b in itertools.pairwise(stages))


def _longest_rising(positions: Sequence[int | None]) -> set[int]:
    """The indexes of the longest run (not necessarily adjacent) of the given positions
    that never goes down; None is never in it. The earliest such run, of several."""
    given = [(index, here) for index, here in enumerate(positions) if here is not None]
    runs: list[list[int]] = []  # the longest run ending at each given position
    for n, (index, here) in enumerate(given):
        longest: list[int] = []
        for k in range(n):
            if given[k][1] <= here and len(runs[k]) > len(longest):
                longest = runs[k]
        runs.append([*longest, index])
    best: list[int] = max(runs, key=len) if runs else []
    return set(best)
