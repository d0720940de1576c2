"""Stage commands: stage list/add/rename/set/order/disable/enable/remove."""

from collections import Counter
from typing import Annotated

import typer

from salespipe.app.pipeline import Change, Pipeline
from salespipe.app.stage_admin import UNSET
from salespipe.cli import complete, output
from salespipe.cli.app import state
from salespipe.cli.options import JsonOption, PipelineOption
from salespipe.core import fmt, parse
from salespipe.core.i18n import _, ngettext
from salespipe.core.model import Event, Stage, stages_in
from salespipe.present import setup_results, views

stage_app = typer.Typer(
    help="Name, add, reorder and switch off the stages of your pipeline (the current one, "
    "or --pipeline P).",
    no_args_is_help=True,
)

StageArg = Annotated[
    str,
    typer.Argument(
        metavar="STAGE",
        help="Stage name, key, number or unique prefix (Thai too).",
        autocompletion=complete.all_stages,
    ),
]


def _open_counts(pipeline: Pipeline) -> Counter[str]:
    return Counter(d.stage for d in pipeline.read().open_deals())


def _current(pipeline: Pipeline) -> list[Stage]:
    """The stages of the pipeline the command acts on."""
    return pipeline.current_stages(pipeline.read())


def _print_stages(pipeline: Pipeline, as_json: bool, show_all: bool = True) -> None:
    shown = [s for s in _current(pipeline) if show_all or s.enabled]
    output.result(setup_results.StageList(shown, _open_counts(pipeline)), as_json)


def _report(
    pipeline: Pipeline,
    change: Change,
    key: str | None,
    as_json: bool,
    message: str,
    *,
    said_unchanged: bool = False,
) -> None:
    if not change.events and not said_unchanged:
        message = _("{said} It was so already; nothing changed.").format(said=message)
    view = pipeline.read()
    stages = stages_in(change.stages or view.stages(), pipeline.current_pipeline(view).key)
    changed = setup_results.StageChanged(stages, _open_counts(pipeline), key, message)
    output.result(changed, as_json)


@stage_app.command("list")
def list_stages(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", "-a", help="Include disabled stages.")] = False,
    in_pipeline: PipelineOption = None,
    as_json: JsonOption = False,
) -> None:
    """Stages in order, with probability, target days and open deals.

    Example: salespipe stage list --all
    """
    current = state(ctx)
    current.read()  # a file named by --db must be there
    _print_stages(current.pipeline(), as_json, show_all)


@stage_app.command("add")
def add_stage(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The new stage's name, in any language.")],
    before: Annotated[
        str | None,
        typer.Option(
            "--before",
            metavar="STAGE",
            help="Put it just before this stage.",
            autocompletion=complete.all_stages,
        ),
    ] = None,
    after: Annotated[
        str | None,
        typer.Option(
            "--after",
            metavar="STAGE",
            help="Put it just after this stage.",
            autocompletion=complete.all_stages,
        ),
    ] = None,
    prob: Annotated[
        str | None, typer.Option("--prob", metavar="P", help="Probability 0-100 (default 50).")
    ] = None,
    target_days: Annotated[
        str | None,
        typer.Option("--target-days", metavar="N", help="Days a deal should take here at most."),
    ] = None,
    in_pipeline: PipelineOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a stage (at the end unless --before/--after).

    Example: salespipe stage add "Site visit" --after considering --prob 30
    """
    pipeline = state(ctx).pipeline()
    change = pipeline.stage_add(
        name,
        before=before,
        after=after,
        probability=parse.probability(prob) if prob is not None else None,
        target_days=parse.target_days(target_days) if target_days is not None else None,
    )
    added = next(s for s in _current(pipeline) if parse.fold(s.name) == parse.fold(name.strip()))
    _report(
        pipeline,
        change,
        added.key,
        as_json,
        _('Added stage "{name}" (key {key}) at position {position}.').format(
            name=added.name, key=added.key, position=added.position
        ),
    )


@stage_app.command("rename")
def rename_stage(
    ctx: typer.Context,
    stage: StageArg,
    new_name: Annotated[str, typer.Argument(metavar="NEW_NAME", help="Its new name.")],
    in_pipeline: PipelineOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rename a stage; deals and history keep pointing at it.

    Example: salespipe stage rename quoted "Proposal sent"
    """
    pipeline = state(ctx).pipeline()
    old = parse.stage(_current(pipeline), stage, enabled_only=False)
    change = pipeline.stage_rename(stage, new_name)
    renamed = next(s for s in change.stages if s.key == old.key)  # as stored: trimmed
    if renamed.name == old.name:
        message = _('The stage "{name}" already has that name; nothing changed.').format(
            name=old.name
        )
    else:
        message = _('Renamed stage "{old}" to "{new}".').format(old=old.name, new=renamed.name)
    _report(pipeline, change, old.key, as_json, message, said_unchanged=renamed.name == old.name)


@stage_app.command("set")
def set_stage(
    ctx: typer.Context,
    stage: StageArg,
    prob: Annotated[
        str | None, typer.Option("--prob", metavar="P", help="Probability 0-100 of its deals.")
    ] = None,
    target_days: Annotated[
        str | None,
        typer.Option(
            "--target-days", metavar="N|none", help="Days a deal should take here, or none."
        ),
    ] = None,
    guide: Annotated[
        str | None,
        typer.Option(
            "--guide", metavar="TEXT", help="What to do in this stage; shown with its deals."
        ),
    ] = None,
    in_pipeline: PipelineOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a stage's probability, target days or guide.

    Example: salespipe stage set quoted --prob 60 --target-days 10
    """
    pipeline = state(ctx).pipeline()
    change = pipeline.stage_set(
        stage,
        probability=parse.probability(prob) if prob is not None else None,
        target_days=parse.target_days(target_days) if target_days is not None else UNSET,
        guide=guide,
    )
    found = parse.stage(_current(pipeline), stage, enabled_only=False)
    said = _('Stage "{name}": probability {probability}%, target days {target}.').format(
        name=found.name, probability=found.probability, target=found.target_days or _("none")
    )
    if guide is not None:  # it was set: say it back, as the other two are
        said += " " + (
            _("Its guide: {guide}").format(guide=fmt.one_line(found.guide))
            if found.guide
            else _("It has no guide now.")
        )
    _report(pipeline, change, found.key, as_json, said)


@stage_app.command("order")
def order_stages(
    ctx: typer.Context,
    stages: Annotated[
        list[str],
        typer.Argument(
            metavar="STAGE...",
            help="The stages to put first, in order.",
            autocompletion=complete.enabled_stages,
        ),
    ],
    in_pipeline: PipelineOption = None,
    as_json: JsonOption = False,
) -> None:
    """Put the named stages first, in this order; the others follow in theirs.

    Example: salespipe stage order presented quoted considering
    """
    pipeline = state(ctx).pipeline()
    change = pipeline.stage_order(stages)
    current = _current(pipeline)
    _report(
        pipeline,
        change,
        None,
        as_json,
        _("Stage order: {stages}.").format(stages=" → ".join(s.name for s in current if s.enabled)),
    )


@stage_app.command("disable")
def disable_stage(
    ctx: typer.Context,
    stage: StageArg,
    move_to: Annotated[
        str | None,
        typer.Option(
            "--move-to",
            metavar="STAGE",
            help="Move its open deals here first.",
            autocompletion=complete.enabled_stages,
        ),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", "-r", help="Why; kept in the history.")
    ] = None,
    in_pipeline: PipelineOption = None,
    as_json: JsonOption = False,
) -> None:
    """Switch a stage off: hidden from charts and choices, keeps its history.

    Example: salespipe stage disable approved --reason "we skip it now"
    """
    pipeline = state(ctx).pipeline()
    found = parse.stage(_current(pipeline), stage, enabled_only=False)
    change = pipeline.stage_disable(stage, move_to=move_to, reason=reason)
    moves = [e for e in change.events if e.type == "move"]
    target = ""
    if not found.enabled:
        message = _('The stage "{name}" is switched off already; nothing changed.')
    elif moves:
        message = " ".join(
            (
                ngettext(
                    'Disabled stage "{name}"; moved {count} open deal to "{target}".',
                    'Disabled stage "{name}"; moved {count} open deals to "{target}".',
                    len(moves),
                ),
                # A move starts a new stay: a deal 20 days over its target is stale no more.
                ngettext(
                    "Its days in a stage start again from today; `stale` counts from now.",
                    "Their days in a stage start again from today; `stale` counts from now.",
                    len(moves),
                ),
            )
        )
        target = views.stage_name({s.key: s for s in change.stages}, _moved_to(moves[0]))
    else:
        message = _('Disabled stage "{name}".')
    _report(
        pipeline,
        change,
        found.key,
        as_json,
        message.format(name=found.name, count=len(moves), target=target),
        said_unchanged=not found.enabled,
    )


def _moved_to(move: Event) -> str:
    """The stage a move event put its deal in."""
    return str((move.after or {}).get("stage", ""))


@stage_app.command("enable")
def enable_stage(
    ctx: typer.Context,
    stage: StageArg,
    in_pipeline: PipelineOption = None,
    as_json: JsonOption = False,
) -> None:
    """Switch a disabled stage back on.

    Example: salespipe stage enable approved
    """
    pipeline = state(ctx).pipeline()
    found = parse.stage(_current(pipeline), stage, enabled_only=False)
    change = pipeline.stage_enable(stage)
    if found.enabled:
        message = _('The stage "{name}" is switched on already; nothing changed.')
    else:
        message = _('Enabled stage "{name}".')
    message = message.format(name=found.name)
    _report(pipeline, change, found.key, as_json, message, said_unchanged=found.enabled)


@stage_app.command("remove")
def remove_stage(
    ctx: typer.Context,
    stage: StageArg,
    in_pipeline: PipelineOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove a stage no deal has ever used (otherwise disable it).

    Example: salespipe stage remove site-visit
    """
    pipeline = state(ctx).pipeline()
    found = parse.stage(_current(pipeline), stage, enabled_only=False)
    pipeline.stage_remove(stage)
    output.result(setup_results.StageRemoved(found), as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(stage_app, name="stage", rich_help_panel="Stages")
