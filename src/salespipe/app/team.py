"""The team of a pipeline on a database server: who may see and change what.

Only a storage whose users are the server's roles has a team (the
:class:`~salespipe.storage.port.Team` of PostgreSQL); on a data file every command
here is a usage error. What each role may do is enforced by the database itself
(docs/team.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from salespipe.app import settings
from salespipe.core import parse
from salespipe.core.errors import UsageError
from salespipe.core.i18n import N_, _
from salespipe.storage.port import TEAM_ROLES, Team, TeamMember

if TYPE_CHECKING:
    from salespipe.app.pipeline import Pipeline


def members(pipeline: Pipeline) -> list[TeamMember]:
    return _team(pipeline).team_members()


def add(pipeline: Pipeline, user: str, role: str, *, create_login: bool = False) -> TeamMember:
    """Put ``user`` on the team as ``role`` (a TEAM_ROLES), in place of a role it had."""
    name = _user(user)
    role = parse.choice(role, TEAM_ROLES, "--role")
    _team(pipeline).join_team(
        name, role, create_login=create_login, lock_timeout=settings.lock_timeout_of(pipeline.store)
    )
    return TeamMember(name, role)


def remove(pipeline: Pipeline, user: str) -> TeamMember:
    """Take ``user`` off the team (its login stays on the server); what it was."""
    name = _user(user)
    return TeamMember(
        name, _team(pipeline).leave_team(name, settings.lock_timeout_of(pipeline.store))
    )


def _team(pipeline: Pipeline) -> Team:
    store = pipeline.store
    if not isinstance(store, Team):
        raise UsageError(
            _(
                "{path} is a data file, which has no users: a team needs a pipeline on "
                "PostgreSQL (--db postgresql://…, docs/team.md)."
            ).format(path=store.location)
        )
    return store


def _user(text: str) -> str:
    return parse.text(text, what=N_("user"), required=True, max_length=63)


__all__ = ["TEAM_ROLES", "add", "members", "remove"]
