"""Which pipeline a command acts on, and the stages that belong to it.

A command names a pipeline with ``--pipeline P``; without it, the one ``use`` chose
(the ``pipeline`` setting) while it exists and is not archived; else the first pipeline
not archived. A
deal's pipeline is its stage's (stage keys are unique in the whole database).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from salespipe.core import parse
from salespipe.core.errors import PipelineNotFound, UsageError
from salespipe.core.i18n import _
from salespipe.core.model import FIRST_PIPELINE, PipelineDef, Stage, stages_in

if TYPE_CHECKING:
    from salespipe.storage.port import ReadView

# The setting ``use`` sets: the key of the pipeline commands act on by default.
SETTING = "pipeline"

# What ``--pipeline`` takes, on reports, for one section per pipeline.
ALL = "all"


def current(
    pipelines: Sequence[PipelineDef], config: dict[str, Any], chosen: str | None = None
) -> PipelineDef:
    """The pipeline named by ``chosen`` (key, name, number or unique prefix), else the
    one the settings name unless it is archived, else the first one not archived."""
    ordered = sorted(pipelines, key=lambda p: p.position)
    if chosen is not None:
        try:
            return parse.pipeline(ordered, chosen)
        except PipelineNotFound:
            if chosen.strip().casefold() == ALL:
                raise UsageError(
                    _(
                        "--pipeline all gives one section per pipeline on the reports (chart, "
                        "report, forecast, funnel, durations, winrate, stale, calibrate, slips, "
                        "check); this command shows one pipeline: name it."
                    )
                ) from None
            raise
    by_key = {p.key: p for p in ordered}
    used = config.get(SETTING)
    if isinstance(used, str) and used in by_key and not by_key[used].archived:
        return by_key[used]
    return next((p for p in ordered if not p.archived), ordered[0])


def read_pipeline(view: ReadView, chosen: str | None = None) -> str | None:
    """The key of the pipeline a listing or report reads (``chosen``, else the current
    one), or None when the database has only one: then it is read whole."""
    pipelines = view.pipelines()
    found = current(pipelines, view.config(), chosen)  # a name given must exist, even alone
    return None if len(pipelines) == 1 else found.key


def pipeline_of(stage_key: str, stages: Sequence[Stage]) -> str:
    """The key of the pipeline the stage ``stage_key`` belongs to."""
    return next((s.pipeline for s in stages if s.key == stage_key), FIRST_PIPELINE)


def deal_stages(stage_key: str, stages: Sequence[Stage]) -> list[Stage]:
    """The stages of the pipeline a deal in ``stage_key`` is in, in order."""
    return stages_in(stages, pipeline_of(stage_key, stages))
