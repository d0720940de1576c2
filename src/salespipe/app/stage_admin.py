"""Stage use cases: add, rename, set, order, disable, enable, remove.

Each is a function of one :class:`~salespipe.app.work.Work` (one transaction);
:class:`salespipe.app.pipeline.Pipeline` runs them, one change each.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from salespipe.app.naming import NameKind, check_name, unique_key
from salespipe.app.work import Work, moved
from salespipe.core import parse
from salespipe.core.errors import InvalidValue, NotAllowed
from salespipe.core.i18n import N_, _, ngettext
from salespipe.core.model import Stage

STAGE_NAME = NameKind(
    what=N_("stage name"),
    only_digits=N_('The stage name "{name}" cannot be only digits (they mean positions).'),
    reserved=N_('The stage name "{name}" is reserved for deal statuses.'),
    taken=N_('There is already a stage "{name}" ({key}).'),
)
UNSET = object()


def check_stage_name(name: str, stages: Sequence[Stage], *, ignore: str | None = None) -> str:
    """``name`` if it can name a stage among ``stages`` (but the one keyed ``ignore``)."""
    return check_name(name, ((s.name, s.key) for s in stages if s.key != ignore), STAGE_NAME)


def add(
    work: Work,
    name: str,
    *,
    before: str | None = None,
    after: str | None = None,
    probability: int | None = None,
    target_days: int | None = None,
    guide: str = "",
) -> None:
    name = check_stage_name(name, work.pipeline_stages)
    if before and after:
        raise InvalidValue(_("Give --before or --after, not both."))
    stage = Stage(
        key=unique_key(name, {s.key for s in work.stages}),
        name=name,
        position=0,
        probability=probability if probability is not None else 50,
        target_days=target_days,
        guide=guide,
    )
    ordered = list(work.pipeline_stages)
    if before or after:
        anchor = parse.stage(work.pipeline_stages, before or after or "", enabled_only=False)
        index = ordered.index(anchor) + (0 if before else 1)
    else:
        index = len(ordered)
    ordered.insert(index, stage)
    work.save_stages("stage-add", ordered, pipeline=work.pipeline.key)


def rename(work: Work, name: str, new_name: str) -> None:
    stage = parse.stage(work.pipeline_stages, name, enabled_only=False)
    new_name = check_stage_name(new_name, work.pipeline_stages, ignore=stage.key)
    if new_name == stage.name:
        work.change.stages = work.stages
        return
    _replace(work, "stage-rename", dataclasses.replace(stage, name=new_name))


def set_fields(
    work: Work,
    name: str,
    *,
    probability: int | None = None,
    target_days: object = UNSET,
    guide: str | None = None,
) -> None:
    stage = parse.stage(work.pipeline_stages, name, enabled_only=False)
    changed = stage
    if probability is not None and probability != stage.probability:
        # A new guess: calibrate leans on it from now on. The same one again changes
        # nothing, not even the guess kept by `calibrate --apply` (clearing that would
        # make calibrate lean on its own result, and the log would show no change).
        changed = dataclasses.replace(changed, probability=probability, prior=None)
    if target_days is not UNSET:
        assert target_days is None or isinstance(target_days, int)
        changed = dataclasses.replace(changed, target_days=target_days)
    if guide is not None:
        parse.text(guide, what=N_("guide"), multiline=True, max_length=2000)
        changed = dataclasses.replace(changed, guide=guide)
    if changed == stage:
        work.change.stages = work.stages
        return
    _replace(work, "stage-set", changed)


def set_probabilities(work: Work, probabilities: Mapping[str, int]) -> None:
    """Set the probabilities of several stages (by key) as one change, undone as one."""
    unknown = sorted(set(probabilities) - {s.key for s in work.stages})
    if unknown:
        raise InvalidValue(
            _('There is no stage "{name}"; the stages are {stages}.').format(
                name=unknown[0], stages=", ".join(s.name for s in work.stages)
            )
        )
    for percent in probabilities.values():
        parse.probability(str(percent))
    changed = [
        dataclasses.replace(s, probability=probabilities[s.key], prior=s.guess)
        if s.key in probabilities and probabilities[s.key] != s.probability
        else s
        for s in work.stages
    ]
    if changed == work.stages:
        work.change.stages = work.stages
        return
    work.save_stages("stage-set", changed)


def order(work: Work, names: Sequence[str]) -> None:
    """The named enabled stages first, in that order; the rest keep their order after,
    a switched-off stage among them in its place (the funnel counts a deal as having
    reached every stage before the furthest it got to, and a stage switched on again
    must come back where it was)."""
    chosen = [parse.stage(work.pipeline_stages, n) for n in names]
    twice = next((s for at, s in enumerate(chosen) if s in chosen[:at]), None)
    if twice is not None:
        raise InvalidValue(
            _('The stage "{name}" is named more than once in the order; name each once.').format(
                name=twice.name
            )
        )
    ordered = [*chosen, *(s for s in work.pipeline_stages if s not in chosen)]
    if [s.key for s in ordered] == [s.key for s in work.pipeline_stages]:
        work.change.stages = work.stages
        return
    work.save_stages("stage-order", ordered, pipeline=work.pipeline.key)


def disable(
    work: Work, name: str, *, move_to: str | None = None, reason: str | None = None
) -> None:
    stage = parse.stage(work.pipeline_stages, name, enabled_only=False)
    if not stage.enabled:
        work.change.stages = work.stages
        return
    holding = [d for d in work.tx.open_deals() if d.stage == stage.key]
    target = None
    if move_to is not None:
        target = parse.stage(work.pipeline_stages, move_to)
        if target.key == stage.key:
            raise InvalidValue(_("--move-to must name another stage."))
    if holding and target is None:
        raise NotAllowed(
            ngettext(
                'The stage "{name}" holds {count} open deal; add --move-to STAGE to move it first.',
                'The stage "{name}" holds {count} open deals; '
                "add --move-to STAGE to move them first.",
                len(holding),
            ).format(name=stage.name, count=len(holding))
        )
    if target is not None:
        for deal in sorted(holding, key=lambda d: d.id):
            when = work.when(None, deal)
            why = reason or _('stage "{name}" disabled').format(name=stage.name)
            work.save("move", deal, moved(deal, target.key, when), when, reason=why)
    _replace(work, "stage-disable", dataclasses.replace(stage, enabled=False))


def enable(work: Work, name: str) -> None:
    stage = parse.stage(work.pipeline_stages, name, enabled_only=False)
    if not stage.enabled:
        _replace(work, "stage-enable", dataclasses.replace(stage, enabled=True))
    else:
        work.change.stages = work.stages


def remove(work: Work, name: str) -> None:
    stage = parse.stage(work.pipeline_stages, name, enabled_only=False)
    if work.tx.stage_in_use(stage.key):
        command = f'salespipe stage disable "{stage.name}"'
        if len(work.pipelines) > 1:  # else it would act on the current pipeline's stage
            command += f" --pipeline {work.pipeline.key}"
        raise NotAllowed(
            _(
                'The stage "{name}" has been used by deals, so it cannot be removed; '
                "`{command}` hides it instead."
            ).format(name=stage.name, command=command)
        )
    kept = [s for s in work.pipeline_stages if s.key != stage.key]
    work.save_stages("stage-remove", kept, pipeline=work.pipeline.key)


def _replace(work: Work, kind: str, stage: Stage) -> None:
    replaced = [stage if s.key == stage.key else s for s in work.pipeline_stages]
    work.save_stages(kind, replaced, pipeline=work.pipeline.key)
