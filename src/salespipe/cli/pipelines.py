"""Pipeline commands: pipeline list/add/rename/use/archive/unarchive/remove, and use."""

from typing import Annotated

import typer

from salespipe.app.pipeline import Pipeline
from salespipe.app.pipeline_admin import COPY_OF
from salespipe.cli import complete, output
from salespipe.cli.app import state
from salespipe.cli.options import JsonOption
from salespipe.core import parse
from salespipe.core.errors import UsageError
from salespipe.core.i18n import _
from salespipe.core.model import PipelineDef
from salespipe.present import pipeline_results

pipeline_app = typer.Typer(
    help="Keep several pipelines (new business, renewals…), each with its own stages.",
    no_args_is_help=True,
)

PipelineArg = Annotated[
    str,
    typer.Argument(
        metavar="PIPELINE",
        help="Pipeline name, key, number or unique prefix (Thai too).",
        autocompletion=complete.pipelines,
    ),
]


def _rows(pipeline: Pipeline) -> list[pipeline_results.PipelineRow]:
    view = pipeline.read()
    open_stages = [r["stage"] for r in view.open_records()]
    current = pipeline.current_pipeline(view).key
    return pipeline_results.pipeline_rows(view.pipelines(), view.stages(), open_stages, current)


def _changed(pipeline: Pipeline, key: str, sentence: str, as_json: bool) -> None:
    row = next(r for r in _rows(pipeline) if r.pipeline.key == key)
    output.result(pipeline_results.PipelineChanged(row, sentence), as_json)


def _find(pipeline: Pipeline, name: str) -> PipelineDef:
    return parse.pipeline(pipeline.read().pipelines(), name)


@pipeline_app.command("list")
def list_pipelines(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Pipelines in order, with their stages and open deals; * marks the current one.

    Example: salespipe pipeline list
    """
    output.result(pipeline_results.PipelineList(_rows(state(ctx).reading_pipeline())), as_json)


@pipeline_app.command("add")
def add_pipeline(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The new pipeline's name, in any language.")],
    stages: Annotated[
        str,
        typer.Option(
            "--stages",
            metavar="default|empty|copy-of",
            help="Its stages: the default ones, none, or (copy-of P) a copy of P's.",
        ),
    ] = "default",
    copy_of: Annotated[
        str | None,
        typer.Argument(
            metavar="[P]",
            help="With --stages copy-of: the pipeline whose stages to copy.",
            autocompletion=complete.pipelines,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a pipeline (at the end) with its own stages.

    Example: salespipe pipeline add Renewals --stages copy-of Sales
    """
    pipeline = state(ctx).pipeline()
    kind, _sep, named = stages.strip().partition(" ")
    kind, _sep, named = (kind, "", named) if named else kind.partition("=")
    source = named.strip() or copy_of
    if (kind == COPY_OF) != (source is not None):
        raise UsageError(_("--stages copy-of takes the pipeline to copy: --stages copy-of P."))
    change = pipeline.pipeline_add(name, stages=kind, copy_of=source)
    added = change.pipelines[-1]
    sentence = _('Added pipeline "{name}" (key {key}) with {count} stages.').format(
        name=added.name, key=added.key, count=sum(s.pipeline == added.key for s in change.stages)
    )
    _changed(pipeline, added.key, sentence, as_json)


@pipeline_app.command("rename")
def rename_pipeline(
    ctx: typer.Context,
    name: PipelineArg,
    new_name: Annotated[str, typer.Argument(metavar="NEW_NAME", help="Its new name.")],
    as_json: JsonOption = False,
) -> None:
    """Rename a pipeline; its deals and history keep pointing at it.

    Example: salespipe pipeline rename Renewals "Renewals 2027"
    """
    pipeline = state(ctx).pipeline()
    old = _find(pipeline, name)
    pipeline.pipeline_rename(name, new_name)
    sentence = _('Renamed pipeline "{old}" to "{new}".').format(
        old=parse.pipeline_name(old), new=new_name.strip()
    )
    _changed(pipeline, old.key, sentence, as_json)


def _use(ctx: typer.Context, name: str, as_json: bool) -> None:
    pipeline = state(ctx).pipeline()
    found = _find(pipeline, name)
    pipeline.use_pipeline(found.key)
    sentence = _('Commands now act on the pipeline "{name}".').format(
        name=parse.pipeline_name(found)
    )
    _changed(pipeline, found.key, sentence, as_json)


@pipeline_app.command("use")
def use_pipeline(ctx: typer.Context, name: PipelineArg, as_json: JsonOption = False) -> None:
    """Make a pipeline the current one: commands act on it unless --pipeline says otherwise.

    Example: salespipe pipeline use Renewals
    """
    _use(ctx, name, as_json)


@pipeline_app.command("archive")
def archive_pipeline(ctx: typer.Context, name: PipelineArg, as_json: JsonOption = False) -> None:
    """Archive a pipeline: hidden from choices, its deals and history kept.

    Example: salespipe pipeline archive "Chiang Mai"
    """
    pipeline = state(ctx).pipeline()
    found = _find(pipeline, name)
    before = pipeline.current_pipeline(pipeline.read())
    pipeline.pipeline_archive(name)
    sentence = _('Archived pipeline "{name}".').format(name=parse.pipeline_name(found))
    _changed(pipeline, found.key, sentence + _current_if_changed(pipeline, before), as_json)


def _current_if_changed(pipeline: Pipeline, before: PipelineDef) -> str:
    """A second sentence where archiving or bringing back a pipeline changed the current
    one (an archived pipeline is never current; the one ``use`` chose is again once back)."""
    after = pipeline.current_pipeline(pipeline.read())
    if after.key == before.key:
        return ""
    return " " + _('Commands now act on the pipeline "{name}".').format(
        name=parse.pipeline_name(after)
    )


@pipeline_app.command("unarchive")
def unarchive_pipeline(ctx: typer.Context, name: PipelineArg, as_json: JsonOption = False) -> None:
    """Bring an archived pipeline back.

    Example: salespipe pipeline unarchive "Chiang Mai"
    """
    pipeline = state(ctx).pipeline()
    found = _find(pipeline, name)
    before = pipeline.current_pipeline(pipeline.read())
    pipeline.pipeline_archive(name, archived=False)
    sentence = _('Pipeline "{name}" is back.').format(name=parse.pipeline_name(found))
    _changed(pipeline, found.key, sentence + _current_if_changed(pipeline, before), as_json)


@pipeline_app.command("remove")
def remove_pipeline(ctx: typer.Context, name: PipelineArg, as_json: JsonOption = False) -> None:
    """Remove a pipeline no deal ever lived in, with its stages (otherwise archive it).

    Example: salespipe pipeline remove Test
    """
    pipeline = state(ctx).pipeline()
    found = _find(pipeline, name)
    pipeline.pipeline_remove(name)
    output.result(pipeline_results.PipelineRemoved(found), as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(pipeline_app, name="pipeline", rich_help_panel="Stages")

    @app.command("use", rich_help_panel="Stages")
    def use(ctx: typer.Context, name: PipelineArg, as_json: JsonOption = False) -> None:
        """Make a pipeline the current one (the same as `pipeline use`).

        Example: salespipe use Renewals
        """
        _use(ctx, name, as_json)
