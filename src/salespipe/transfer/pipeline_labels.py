"""Which pipeline each row of an import goes into, from the file's Pipeline column.

A label is the key or the name of a pipeline here (not a number or part of a name, as
``--pipeline`` takes: a file's "Renewals" is not the "Renewals 2027" here);
``--pipeline-map LABEL=P`` sends a label to an existing pipeline;
``--create-stages`` creates a pipeline for a label that is not here. A row without a
label, or with the name the CRM gives its own first pipeline (HubSpot's "Sales
Pipeline") when no pipeline here has that name, goes into the pipeline imported into.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from salespipe.app.pipeline_admin import check_pipeline_name, pipeline_key
from salespipe.core import parse
from salespipe.core.errors import AmbiguousPipeline, InvalidValue, PipelineNotFound
from salespipe.core.i18n import _, ngettext
from salespipe.core.model import PipelineDef


class UnknownPipelines(InvalidValue):
    """The file names pipelines this database does not have (map or create them)."""

    code = "unknown_pipelines"


@dataclass
class Placement:
    """Each label's pipeline key, and the pipelines the import creates."""

    keys: dict[str, str] = field(default_factory=dict)
    new: list[PipelineDef] = field(default_factory=list)


def parse_pipeline_map(entries: Sequence[str], pipelines: Sequence[PipelineDef]) -> dict[str, str]:
    """``--pipeline-map "Renewals=Renewals 2027"`` entries: folded label -> pipeline key."""
    mapped: dict[str, str] = {}
    for entry in entries:
        label, sep, name = entry.rpartition("=")
        if not sep or not label.strip() or not name.strip():
            raise InvalidValue(
                _(
                    '--pipeline-map "{entry}" is not LABEL=PIPELINE, '
                    'e.g. --pipeline-map "Renewals=Sales".'
                ).format(entry=entry)
            )
        try:
            found = parse.pipeline(pipelines, name)
        except (PipelineNotFound, AmbiguousPipeline) as exc:
            raise type(exc)(
                _('--pipeline-map "{entry}": {problem}').format(entry=entry, problem=exc.message)
            ) from None
        mapped[parse.fold(label)] = found.key
    return mapped


def place_pipelines(
    labels: Iterable[str],
    pipelines: Sequence[PipelineDef],
    into: str,
    *,
    mapped: dict[str, str],
    crm_defaults: Sequence[str] = (),
    create: bool = False,
) -> Placement:
    """The pipeline of each label (in the order given); refuses labels that are not here
    unless ``create``."""
    placement = Placement()
    unknown: list[str] = []
    for label in labels:
        if label in placement.keys:
            continue
        folded = parse.fold(label)
        if not folded:
            placement.keys[label] = into
        elif folded in mapped:
            placement.keys[label] = mapped[folded]
        else:
            key = _existing(label, [*pipelines, *placement.new])
            if key is None and folded in crm_defaults:
                key = into
            if key is None and create:
                key = _new_pipeline(label, pipelines, placement)
            if key is None:
                unknown.append(label)
            else:
                placement.keys[label] = key
    if unknown:
        raise _unknown_error(unknown)
    return placement


def _existing(label: str, pipelines: Sequence[PipelineDef]) -> str | None:
    found = parse.pipeline_named_exactly(pipelines, label)
    return None if found is None else found.key


def _new_pipeline(label: str, pipelines: Sequence[PipelineDef], placement: Placement) -> str:
    everyone = [*pipelines, *placement.new]
    name = check_pipeline_name(label, everyone)
    key = pipeline_key(name, everyone)
    placement.new.append(PipelineDef(key, name, len(everyone) + 1))
    return key


def _unknown_error(labels: Sequence[str]) -> UnknownPipelines:
    names = ", ".join(f'"{label}"' for label in labels)
    message = ngettext(
        "The file puts deals in the pipeline {names}, which is not here, so nothing was "
        "imported; map it to a pipeline with {option}, or add --create-stages to create it.",
        "The file puts deals in the pipelines {names}, which are not here, so nothing was "
        "imported; map each to a pipeline with {option}, or add --create-stages to create "
        "them.",
        len(labels),
    )
    option = "--pipeline-map " + shlex.quote(labels[0] + "=PIPELINE")
    return UnknownPipelines(message.format(names=names, option=option))
