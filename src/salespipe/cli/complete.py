"""Shell completion: stage names (Thai too) and deal ids with their titles.

Typer calls these while the user presses TAB (after ``salespipe --install-completion``).
They read the data file named by ``--db`` / ``SALESPIPE_DB`` without a lock and never
raise: a missing or broken file simply gives no suggestions. Typer keeps only the
values that start with what was typed, so both a stage's name and its key are offered
(names with spaces only by key, which needs no quoting).
"""

from typing import Any

import typer

from salespipe import textwidth
from salespipe.i18n import _

MAX_DEALS = 200
Suggestion = tuple[str, str]


def _snapshot(ctx: typer.Context) -> Any:
    from salespipe import settings
    from salespipe.pipeline import Pipeline

    root = ctx.find_root()
    db = root.params.get("db") if root.params else None
    lang = root.params.get("lang") if root.params else None
    path = settings.database_path(db if isinstance(db, str) else None)
    return Pipeline.open(path, settings.lang_from_environment(lang)).read()


def _stage_suggestions(ctx: typer.Context, include_disabled: bool) -> list[Suggestion]:
    suggestions: list[Suggestion] = []
    for stage in _snapshot(ctx).stages():
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
        closed = ctx.info_name == "reopen"
        deals = snapshot.closed_deals() if closed else snapshot.open_deals()
        chosen = [d for d in deals if str(d.id).startswith(incomplete)]
        chosen = sorted(chosen, key=lambda d: d.updated_at, reverse=True)[:MAX_DEALS]
        names = {s.key: s.name for s in snapshot.stages()}
        return [(str(d.id), _about(d, names)) for d in sorted(chosen, key=lambda d: d.id)]
    except Exception:  # completion must never break the shell
        return []


def _about(deal: Any, names: dict[str, str]) -> str:
    where = names.get(deal.stage, deal.stage) if deal.is_open else deal.status
    title = textwidth.clip(" ".join(deal.title.split()), 40)
    return f"{title} · {where}"
