"""Shell completion: stage names (Thai too), deal ids with their titles, owners, tags and
the fixed values of options.

Typer calls these while the user presses TAB (after ``salespipe --install-completion``).
They read the data file named by ``--db`` / ``SALESPIPE_DB`` without a lock and never
raise: a missing or broken file simply gives no suggestions. Typer keeps only the
values that start with what was typed, so both a stage's name and its key are offered
(names with spaces only by key, which needs no quoting).
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import typer

from salespipe.core.i18n import _
from salespipe.present import textwidth

MAX_DEALS = 200
# Commands that take a closed deal as well as an open one (reopen takes only closed ones).
ANY_DEAL_COMMANDS = frozenset({"show", "log", "edit", "note", "delete"})
Suggestion = tuple[str, str]


def _snapshot(ctx: typer.Context) -> Any:
    from salespipe.app import settings
    from salespipe.app.pipeline import Pipeline

    root = ctx.find_root()
    db = root.params.get("db") if root.params else None
    lang = root.params.get("lang") if root.params else None
    path = settings.database_target(db if isinstance(db, str) else None)
    return Pipeline.open(path, settings.lang_from_environment(lang)).read()


def pipelines(ctx: typer.Context, incomplete: str) -> list[Suggestion]:
    """Every pipeline, by name and key (archived ones marked)."""
    try:
        from salespipe.core import parse

        suggestions: list[Suggestion] = []
        for found in _snapshot(ctx).pipelines():
            name = parse.pipeline_name(found)
            about = _("archived") if found.archived else ""
            if not any(c.isspace() for c in name):
                suggestions.append((name, " · ".join(filter(None, (found.key, about)))))
            if found.key != name:
                suggestions.append((found.key, " · ".join(filter(None, (name, about)))))
        return suggestions
    except Exception:  # completion must never break the shell
        return []


def _stages_offered(ctx: typer.Context) -> list[Any]:
    """The stages of the pipeline the command is about: the deal's own (``move ID``),
    else the one --pipeline names, else the current one."""
    from salespipe.app import scope
    from salespipe.core.model import stages_in

    snapshot = _snapshot(ctx)
    stages = snapshot.stages()
    params = ctx.params or {}
    chosen = params.get("into") or params.get("in_pipeline")
    deal_id = params.get("deal_id")
    if chosen is None and isinstance(deal_id, int):
        deal = snapshot.get_deal(deal_id)
        if deal is not None:
            return scope.deal_stages(deal.stage, stages)
    found = scope.current(snapshot.pipelines(), snapshot.config(), chosen)
    return stages_in(stages, found.key)


def _stage_suggestions(ctx: typer.Context, include_disabled: bool) -> list[Suggestion]:
    suggestions: list[Suggestion] = []
    for stage in _stages_offered(ctx):
        if not stage.enabled and not include_disabled:
            continue
        about = f"{stage.probability}%"
        if not stage.enabled:
            about = _("{probability}, disabled").format(probability=about)
        if not any(c.isspace() for c in stage.name):
            suggestions.append((stage.name, f"{stage.key} · {about}"))
        if stage.key != stage.name:
            suggestions.append((stage.key, f"{stage.name} · {about}"))
    return suggestions


def enabled_stages(ctx: typer.Context, incomplete: str) -> list[Suggestion]:
    """Stages a deal can be put in: enabled ones, by name and key."""
    try:
        return _stage_suggestions(ctx, include_disabled=False)
    except Exception:  # completion must never break the shell
        return []


def all_stages(ctx: typer.Context, incomplete: str) -> list[Suggestion]:
    """Every stage, disabled ones too (for stage rename/set/enable/remove)."""
    try:
        return _stage_suggestions(ctx, include_disabled=True)
    except Exception:  # completion must never break the shell
        return []


def deal_ids(ctx: typer.Context, incomplete: str) -> list[Suggestion]:
    """Deal ids with their titles: closed deals for ``reopen``, open deals otherwise."""
    try:
        if incomplete and not incomplete.isdigit():
            return []
        snapshot = _snapshot(ctx)
        # Stored records, not Deals: a large database has tens of thousands closed.
        if ctx.info_name == "reopen":
            records: Iterable[dict[str, Any]] = snapshot.closed_records()
        elif ctx.info_name in ANY_DEAL_COMMANDS:
            records = snapshot.all_records()
        else:
            records = snapshot.open_records()
        chosen = [r for r in records if str(r["id"]).startswith(incomplete)]
        chosen.sort(key=lambda r: datetime.fromisoformat(r["updated_at"]), reverse=True)
        names = {s.key: s.name for s in snapshot.stages()}
        latest = sorted(chosen[:MAX_DEALS], key=lambda r: r["id"])
        return [(str(r["id"]), _about(r, names)) for r in latest]
    except Exception:  # completion must never break the shell
        return []


def _about(record: dict[str, Any], names: dict[str, str]) -> str:
    status = record.get("status", "open")
    where = names.get(record["stage"], record["stage"]) if status == "open" else status
    title = textwidth.clip(" ".join(record["title"].split()), 40)
    return f"{title} · {where}"


def choices(*values: str) -> Callable[[typer.Context, str], list[str]]:
    """Completion of an option that takes one of these words."""

    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        return [value for value in values if value.startswith(incomplete)]

    return complete


def _field_values(ctx: typer.Context, read: Callable[[dict[str, Any]], Iterable[str]]) -> list[str]:
    """The distinct values of a field over every deal, closed ones too, sorted."""
    found: set[str] = set()
    for record in _snapshot(ctx).all_records():
        found.update(value for value in read(record) if value)
    from salespipe.core import collation

    return sorted(found, key=collation.sort_key)


def owners(ctx: typer.Context, incomplete: str) -> list[str]:
    """The owners of the deals."""
    try:
        return [o for o in _field_values(ctx, lambda r: (r["owner"],)) if o.startswith(incomplete)]
    except Exception:  # completion must never break the shell
        return []


def tags(ctx: typer.Context, incomplete: str) -> list[str]:
    """The tags the deals carry."""
    try:
        return [t for t in _field_values(ctx, lambda r: r["tags"]) if t.startswith(incomplete)]
    except Exception:  # completion must never break the shell
        return []


def setting_keys(ctx: typer.Context, incomplete: str) -> list[Suggestion]:
    """The names of the settings, with what each is for."""
    from salespipe.app import settings as known

    return [(key, s.help) for key, s in known.SETTINGS.items() if key.startswith(incomplete)]
