"""The results of the team commands (``team list/add/remove``): each one's JSON form and
its view for people, registered in :mod:`salespipe.present.results`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from salespipe.core.i18n import _, ngettext
from salespipe.present.render import Block, Column, Table
from salespipe.storage.port import TeamMember


@dataclass(frozen=True)
class TeamList:
    """``team list``: every user on the team and its role."""

    members: Sequence[TeamMember]

    def to_dict(self) -> list[dict[str, str]]:
        return [member._asdict() for member in self.members]


@dataclass(frozen=True)
class TeamChanged:
    """``team add`` / ``team remove``: who, as what, and whether they joined or left."""

    member: TeamMember
    joined: bool
    changed: bool = True  # False: the user had that role already
    made_admin: str | None = None  # who the team's first add made its admin

    def to_dict(self) -> dict[str, object]:
        made = {"made_admin": self.made_admin} if self.made_admin else {}  # (only then)
        return {**self.member._asdict(), "on_team": self.joined, **made}


def team_list_view(result: TeamList) -> list[Block] | str:
    if not result.members:
        return _("Nobody is on the team yet; an admin adds people with `salespipe team add`.")
    table = Table(columns=[Column(_("User")), Column(_("Role"))])
    table.rows = [[m.user, m.role] for m in result.members]
    return [table]


def team_changed_view(result: TeamChanged) -> str:
    member = result.member
    if result.joined and not result.changed:
        return _("{user} is on the team as {role} already; nothing changed.").format(
            user=member.user, role=member.role
        )
    if result.joined and result.made_admin:
        return _(
            "{user} is on the team as {role}; {admin}, who made the team, is its admin."
        ).format(user=member.user, role=member.role, admin=result.made_admin)
    if result.joined:
        return _("{user} is on the team as {role}.").format(user=member.user, role=member.role)
    return _("{user} is no longer on the team (was {role}).").format(
        user=member.user, role=member.role
    )


UNSEEN_NAMED = 3
"""Owners named in the warning of deals no rep sees; the rest are counted."""


def unseen_by_reps(unseen: dict[str, int]) -> str:
    """How many open deals no rep sees under visibility own, and whose they are."""
    count = sum(unseen.values())
    named = ", ".join(f'"{owner}" ({n})' for owner, n in list(unseen.items())[:UNSEEN_NAMED])
    if len(unseen) > UNSEEN_NAMED:
        named += ", …"
    return ngettext(
        "{count} open deal is owned by someone not on the team ({owners}), so no rep "
        "sees it; hand it to a member with `salespipe edit ID --owner USER`.",
        "{count} open deals are owned by people not on the team ({owners}), so no rep "
        "sees them; hand them to members with `salespipe edit ID --owner USER`.",
        count,
    ).format(count=count, owners=named)


def left_unseen(user: str, count: int) -> str:
    """The open deals of a user just taken off the team, which no rep sees now."""
    return ngettext(
        "{user} owns {count} open deal, which no rep sees now; hand it to a member with "
        "`salespipe edit ID --owner USER`.",
        "{user} owns {count} open deals, which no rep sees now; hand them to members with "
        "`salespipe edit ID --owner USER`.",
        count,
    ).format(user=user, count=count)
