"""Team commands, for a pipeline on PostgreSQL: team list/add/remove."""

from typing import TYPE_CHECKING, Annotated

import typer

from salespipe.app import team
from salespipe.cli import complete, output
from salespipe.cli.app import state
from salespipe.cli.options import JsonOption
from salespipe.core.errors import SalespipeError, StoreError
from salespipe.present import team_results

if TYPE_CHECKING:
    from salespipe.app.pipeline import Pipeline

team_app = typer.Typer(
    help="Who is on the team of a pipeline on PostgreSQL, as rep, manager or admin.",
    no_args_is_help=True,
)

UserArg = Annotated[
    str, typer.Argument(metavar="USER", help="A login role of the database server.")
]


@team_app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Everyone on the team and their role.

    Example: salespipe --db postgresql:///sales team list --json
    """
    members = team.members(state(ctx).pipeline())
    output.result(team_results.TeamList(members), as_json)


@team_app.command("add")
def add(
    ctx: typer.Context,
    user: UserArg,
    role: Annotated[
        str,
        typer.Option(
            "--role",
            metavar="rep|manager|admin",
            autocompletion=complete.choices("rep", "manager", "admin"),
            help="rep: own deals under visibility own; manager: sees all; admin: stages, "
            "settings and the team too.",
        ),
    ] = "rep",
    create_login: Annotated[
        bool,
        typer.Option(
            "--create-login",
            help="Create the login role if the server has none (it then has no password: "
            "the server's admin sets how it signs in).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Put a user on the team (an admin's command), in place of any role they had.

    Example: salespipe --db postgresql:///sales team add alice --role manager
    """
    joined = team.add(state(ctx).pipeline(), user, role, create_login=create_login)
    changed = team_results.TeamChanged(
        joined.member, joined=True, changed=joined.changed, made_admin=joined.made_admin
    )
    output.result(changed, as_json)


@team_app.command("remove")
def remove(ctx: typer.Context, user: UserArg, as_json: JsonOption = False) -> None:
    """Take a user off the team (an admin's command); their login stays on the server.

    Example: salespipe --db postgresql:///sales team remove bob
    """
    pipeline = state(ctx).pipeline()
    # Counted first: a user who leaves the team themself may read nothing after. A reader
    # that may not count them is told why it may not remove anyone by the removal itself.
    try:
        unseen = team.unseen_by_reps(pipeline, leaving=user)
    except SalespipeError:
        unseen = {}
    member = team.remove(pipeline, user)
    output.result(team_results.TeamChanged(member, joined=False), as_json)
    if unseen.get(member.user):
        output.warn(team_results.left_unseen(member.user, unseen[member.user]))


def warn_of_deals_no_rep_sees(pipeline: "Pipeline") -> None:
    """Under visibility own, say how many open deals no rep sees (their owner is on no
    one of the team): set without a word, the reps' lists came up empty (a trial). It
    is said after the change was made and its result printed: a database that cannot
    answer it then (the connection lost) leaves it unsaid, not the change failed."""
    try:
        unseen = team.unseen_by_reps(pipeline)
    except StoreError:
        return
    if unseen:
        output.warn(team_results.unseen_by_reps(unseen))


def register(app: typer.Typer) -> None:
    app.add_typer(team_app, name="team", rich_help_panel="Data and setup")
