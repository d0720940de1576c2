"""Pipeline use cases: add, rename, archive, remove (docs/pipelines.md).

Each is a function of one :class:`~salespipe.app.work.Work` (one transaction), like
the stage use cases of :mod:`salespipe.app.stage_admin`, and is undone as one change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Container, Sequence

from salespipe.app import scope
from salespipe.app.naming import NameKind, check_name, unique_key
from salespipe.app.work import Work
from salespipe.core import i18n, parse
from salespipe.core.errors import InvalidValue, NotAllowed
from salespipe.core.i18n import N_, _
from salespipe.core.model import PipelineDef, Stage, default_stages, stages_in

# Where a new pipeline's stages come from (``pipeline add --stages``).
DEFAULT, EMPTY, COPY_OF = "default", "empty", "copy-of"

PIPELINE_NAME = NameKind(
    what=N_("pipeline name"),
    only_digits=N_('The pipeline name "{name}" cannot be only digits (they mean positions).'),
    reserved=N_('The pipeline name "{name}" is reserved.'),
    taken=N_('There is already a pipeline "{name}" ({key}).'),
)


def check_pipeline_name(
    name: str, pipelines: Sequence[PipelineDef], *, ignore: str | None = None
) -> str:
    """``name`` if it can name a pipeline among ``pipelines`` (but the one keyed ``ignore``):
    not a name one of them answers to (the first's default name in either language too)."""
    others = (
        (other, p.key) for p in pipelines if p.key != ignore for other in parse.pipeline_names(p)
    )
    return check_name(name, others, PIPELINE_NAME)


def pipeline_key(name: str, pipelines: Sequence[PipelineDef]) -> str:
    """The key of a new pipeline named ``name``: its slug, numbered if another has it."""
    return unique_key(name, {p.key for p in pipelines}, "pipeline")


def new_pipeline_stage_key(pipeline: str, stage: str, taken: Container[str]) -> str:
    """The key of a stage of a new pipeline (``pipeline add``, or an import that creates
    the pipeline): the pipeline's key in front, ``renewals-quoted``, so that it reads
    apart from the stage of the same name in another pipeline."""
    return unique_key(f"{pipeline} {stage}", taken)


def add(work: Work, name: str, *, stages: str = DEFAULT, copy_of: str | None = None) -> None:
    """A new pipeline at the end, with the default stages, none, or a copy of another's."""
    name = check_pipeline_name(name, work.pipelines)
    key = pipeline_key(name, work.pipelines)
    if copy_of is not None:
        source = parse.pipeline(work.pipelines, copy_of)
        template = stages_in(work.stages, source.key)
    elif stages == DEFAULT:
        template = default_stages(i18n.language())
    elif stages == EMPTY:
        template = []
    else:
        raise InvalidValue(
            _('--stages takes "default", "empty" or "copy-of PIPELINE", not "{given}".').format(
                given=stages
            )
        )
    work.save_pipelines("pipeline-add", [*work.pipelines, PipelineDef(key, name, 0)])
    made: list[Stage] = []
    taken = {s.key for s in work.stages}
    for stage in template:
        new_key = new_pipeline_stage_key(key, stage.key, taken)
        taken.add(new_key)
        made.append(dataclasses.replace(stage, key=new_key, pipeline=key))
    if made:
        work.save_stages("stage-add", made, pipeline=key)


def rename(work: Work, name: str, new_name: str) -> None:
    found = parse.pipeline(work.pipelines, name)
    new_name = check_pipeline_name(new_name, work.pipelines, ignore=found.key)
    if new_name == found.name:
        return
    _replace(work, "pipeline-rename", dataclasses.replace(found, name=new_name))


def archive(work: Work, name: str, *, archived: bool = True) -> None:
    """Hide a pipeline from choices (its deals and history stay), or show it again."""
    found = parse.pipeline(work.pipelines, name)
    if found.archived == archived:
        return
    if archived and all(p.archived for p in work.pipelines if p.key != found.key):
        raise NotAllowed(_("The last pipeline that is not archived cannot be archived."))
    was_current = scope.current(work.pipelines, work.config).key == found.key
    kind = "pipeline-archive" if archived else "pipeline-unarchive"
    _replace(work, kind, dataclasses.replace(found, archived=archived))
    if was_current and archived:
        _choose_the_one_now_current(work)


def _choose_the_one_now_current(work: Work) -> None:
    """Archiving the current pipeline: the ``pipeline`` setting names the one now current,
    in the same change. Left as it was (naming the archived one, or unset while the
    first was current), bringing the archived one back made it current again, away from
    the pipeline everyone had worked in since."""
    chosen = work.config.get(scope.SETTING)
    now = scope.current(work.pipelines, work.config)
    work.tx.set_config(scope.SETTING, now.key)
    work.event("config", work.now, before={scope.SETTING: chosen}, after={scope.SETTING: now.key})


def remove(work: Work, name: str) -> None:
    """Remove a pipeline no deal ever lived in, with its stages."""
    found = parse.pipeline(work.pipelines, name)
    shown = parse.pipeline_name(found)
    if len(work.pipelines) == 1:
        raise NotAllowed(_("The only pipeline cannot be removed."))
    stages = stages_in(work.stages, found.key)
    if any(work.tx.stage_in_use(s.key) for s in stages):
        raise NotAllowed(
            _(
                'Deals have lived in the pipeline "{name}", so it cannot be removed; '
                '`salespipe pipeline archive "{name}"` hides it instead.'
            ).format(name=shown)
        )
    if stages:
        work.save_stages("stage-remove", [], pipeline=found.key)
    work.save_pipelines("pipeline-remove", [p for p in work.pipelines if p.key != found.key])


def _replace(work: Work, kind: str, pipeline: PipelineDef) -> None:
    work.save_pipelines(kind, [pipeline if p.key == pipeline.key else p for p in work.pipelines])
