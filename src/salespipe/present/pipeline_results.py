"""The results of the pipeline commands (pipeline list/add/rename/archive/remove, use):
each one's JSON form (``to_dict()``) and, below, its view for people, registered in
:mod:`salespipe.present.results`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from salespipe.core import parse
from salespipe.core.i18n import _
from salespipe.core.model import PipelineDef, Stage, stages_in
from salespipe.present.parts import Part
from salespipe.present.render import Block, Column, Table, Text


@dataclass(frozen=True)
class PipelineRow:
    """One pipeline as ``pipeline list`` shows it."""

    pipeline: PipelineDef
    stages: int
    open_deals: int
    current: bool

    def to_dict(self) -> dict[str, object]:
        return {
            **self.pipeline.to_record(),
            "name": parse.pipeline_name(self.pipeline),
            "stages": self.stages,
            "open_deals": self.open_deals,
            "current": self.current,
        }


def pipeline_rows(
    pipelines: Sequence[PipelineDef],
    stages: Sequence[Stage],
    open_stage_keys: Sequence[str],
    current: str,
) -> list[PipelineRow]:
    """Each pipeline with how many stages and open deals it has, and which one is current."""
    pipeline_of = {s.key: s.pipeline for s in stages}
    open_counts: dict[str, int] = {}
    for key in open_stage_keys:
        found = pipeline_of.get(key)
        if found is not None:
            open_counts[found] = open_counts.get(found, 0) + 1
    return [
        PipelineRow(p, len(stages_in(stages, p.key)), open_counts.get(p.key, 0), p.key == current)
        for p in sorted(pipelines, key=lambda p: p.position)
    ]


@dataclass(frozen=True)
class PipelineList:
    """``pipeline list``: every pipeline in order."""

    rows: list[PipelineRow]

    def to_dict(self) -> list[dict[str, object]]:
        return [row.to_dict() for row in self.rows]


@dataclass(frozen=True)
class PipelineChanged:
    """A change to the pipelines: the one it was about, and the sentence that says what
    happened (worded by the command)."""

    row: PipelineRow
    sentence: str

    def to_dict(self) -> dict[str, object]:
        return self.row.to_dict()


@dataclass(frozen=True)
class PipelineRemoved:
    pipeline: PipelineDef

    def to_dict(self) -> dict[str, object]:
        return {
            "removed": {**self.pipeline.to_record(), "name": parse.pipeline_name(self.pipeline)}
        }


@dataclass(frozen=True)
class Section:
    """One pipeline's report, in ``--pipeline all``."""

    pipeline: PipelineDef
    result: Any


@dataclass(frozen=True)
class PerPipeline:
    """A report with ``--pipeline all``: one section per pipeline, then (for reports
    whose figures add up: money per currency, counts) the report of every deal."""

    sections: list[Section]
    total: Any = None

    def to_dict(self) -> dict[str, object]:
        return {
            "pipelines": [
                {
                    "key": s.pipeline.key,
                    "name": parse.pipeline_name(s.pipeline),
                    "report": _plain(s.result.to_dict()),
                }
                for s in self.sections
            ],
            "total": None if self.total is None else _plain(self.total.to_dict()),
        }


def _plain(data: Any) -> Any:
    """A report's JSON form with a list for a listing's iterator."""
    return data if isinstance(data, dict | list) else list(data)


def per_pipeline_view(result: PerPipeline) -> list[Part]:
    from salespipe.present import results

    if len(result.sections) == 1:  # one pipeline: its report alone, as without --pipeline
        view = results.view(result.sections[0].result)
        return [view] if isinstance(view, str) else list(view)
    parts: list[Part] = []
    for heading, shown in (
        *((parse.pipeline_name(s.pipeline), s.result) for s in result.sections),
        *(((_("All pipelines"), result.total),) if result.total is not None else ()),
    ):
        parts.append(Text(heading, style="heading"))
        view = results.view(shown)
        parts.extend([view] if isinstance(view, str) else view)
    return parts


def pipeline_list_view(result: PipelineList) -> list[Block]:
    table = Table(
        columns=[
            Column("#", "right"),
            Column(_("Key"), drop=1),
            Column(_("Name")),
            Column(_("Stages"), "right"),
            Column(_("Open deals"), "right"),
            Column(_("Archived")),
        ]
    )
    for row in result.rows:
        mark = " *" if row.current else ""
        table.rows.append(
            [
                str(row.pipeline.position),
                row.pipeline.key,
                parse.pipeline_name(row.pipeline) + mark,
                str(row.stages),
                str(row.open_deals),
                _("yes") if row.pipeline.archived else _("no"),
            ]
        )
    return [table]


def pipeline_changed_view(result: PipelineChanged) -> str:
    return result.sentence


def pipeline_removed_view(result: PipelineRemoved) -> str:
    return _('Removed pipeline "{name}".').format(name=parse.pipeline_name(result.pipeline))
