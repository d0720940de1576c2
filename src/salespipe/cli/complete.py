"""Shell completion: stage names (Thai too) and deal ids with their titles.

Typer calls these while the user presses TAB (after ``salespipe --install-completion``).
They read the data file named by ``--db`` / ``SALESPIPE_DB`` without a lock and never
raise: a missing or broken file simply gives no suggestions. Typer keeps only the
values that start with what was typed, so both a stage's name and its key are offered
(names with spaces only by key, which needs no quoting).
"""

from datetime import datetime
from typing import Any

import typer

from salespipe.core.i18n import _
from salespipe.present import textwidth

MAX_DEALS = 200
Suggestion = tuple[str, str]


def _snapshot(ctx: typer.Context) -> Any:
    from salespipe.app import settings
    from salespipe.app.pipeline import Pipeline

    root = ctx.find_root()
    db = root.params.get("db") if root.params else None
    lang = root.params.get("lang") if root.params else None
    path = settings.database_target(db if isinstance(db, str) else None)
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
        # Stored records, not Deals: a large database has tens of thousands closed.
        records = snapshot.closed_records() if closed else snapshot.open_records()
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
