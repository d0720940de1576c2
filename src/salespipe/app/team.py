"""The team of a pipeline on a database server: who may see and change what.

Only a storage whose users are the server's roles has a team (the
:class:`~salespipe.storage.port.Team` of PostgreSQL); on a data file every command
here is a usage error. What each role may do is enforced by the database itself
(docs/team.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from salespipe.app import settings
from salespipe.core import parse
from salespipe.core.errors import NoDataFile, NoTeam, NotPermitted
from salespipe.core.i18n import N_
from salespipe.storage.port import TEAM_ROLES, Team, TeamMember, TeamTransaction

if TYPE_CHECKING:
    from salespipe.app.pipeline import Pipeline
    from salespipe.app.work import Work

# The events of a team change: of no deal, their ``before`` and ``after`` the user's
# role before and after it by user name (None: not on the team), as a setting's are.
ADDED, REMOVED = "team-add", "team-remove"


def members(pipeline: Pipeline) -> list[TeamMember]:
    """Who is on the team; on a database without the pipeline, the refusal every command
    that reads gives there (a script pointed at the wrong one is told so)."""
    store = _team(pipeline)
    if not pipeline.read().exists:
        raise NoDataFile(pipeline.store.location, server=True)
    return store.team_members()


def unseen_by_reps(pipeline: Pipeline, leaving: str | None = None) -> dict[str, int]:
    """Under visibility own, the open deals no rep sees because their owner is on no one
    of the team (a file copied in names "Alice", not the login alice; a member taken
    off), counted by owner, as if ``leaving`` were off the team already; none on a data
    file or while reps see every deal."""
    store = pipeline.store
    if not isinstance(store, Team):
        return {}
    if settings.effective_in(pipeline.read()).get("visibility") != "own":
        return {}
    return store.open_deals_of_no_member(leaving)


def spelling(store: object) -> dict[str, str]:
    """On a server, each team member's name as the server spells it, by its folded form
    (row-level security compares owners exactly: a deal of "Alice" was one alice never
    saw); on a data file, none."""
    if not isinstance(store, Team):
        return {}
    return {parse.fold(member.user): member.user for member in store.team_members()}


def roles(store: object) -> dict[str, str]:
    """On a server, each team member's role (a TEAM_ROLES) by its name; on a data file,
    none."""
    if not isinstance(store, Team):
        return {}
    return {member.user: member.role for member in store.team_members()}


@dataclass(frozen=True)
class Joined:
    """What ``team add`` did: who is on the team as what, whether that changed anything,
    and who the first ``team add`` made an admin by making the team (whoever runs it)."""

    member: TeamMember
    changed: bool
    made_admin: str | None = None


def add(pipeline: Pipeline, user: str, role: str, *, create_login: bool = False) -> Joined:
    """Put ``user`` on the team as ``role`` (a TEAM_ROLES), in place of a role it had.
    Recorded as a ``team-add`` event in the same transaction as the grants, unless it
    had that role already; the team's first also says who it made an admin."""
    name = _user(user)
    role = parse.choice(role, TEAM_ROLES, "--role")
    try:
        first = not _team(pipeline).team_members()
    except NotPermitted:  # not on the team: the change says who may make it or change it
        first = False
    made_admin = None
    with pipeline.work("team add") as work:
        had = _changing(work).join_team(name, role, create_login=create_login)
        changed = had != (role,)
        if changed:
            _record(work, ADDED, name, had[0] if had else None, role)
        maker = work.tx.user()
        if first and maker is not None and maker != name:
            made_admin = maker  # (said; the team's roles being made is no event of its own)
    return Joined(TeamMember(name, role), changed, made_admin)


def remove(pipeline: Pipeline, user: str) -> TeamMember:
    """Take ``user`` off the team (its login stays on the server); what it was.
    Recorded as a ``team-remove`` event in the same transaction as the revokes."""
    name = _user(user)
    _team(pipeline)
    with pipeline.work("team remove") as work:
        had = _changing(work).leave_team(name)
        _record(work, REMOVED, name, had, None)
    return TeamMember(name, had)


def _changing(work: Work) -> TeamTransaction:
    tx = work.tx
    assert isinstance(tx, TeamTransaction), "a Team storage's transactions change the team"
    return tx


def _record(work: Work, kind: str, user: str, before: str | None, after: str | None) -> None:
    """The change's one event; not undoable: taking a role back is ``team remove``, and
    an undo must not give back a role an admin took away (docs/team.md)."""
    work.tx.not_undoable()
    work.event(kind, work.now, before={user: before}, after={user: after})


def _team(pipeline: Pipeline) -> Team:
    store = pipeline.store
    if not isinstance(store, Team):
        raise NoTeam(store.location)
    return store


def _user(text: str) -> str:
    return parse.text(text, what=N_("user"), required=True, max_length=63)


__all__ = ["TEAM_ROLES", "add", "members", "remove"]
