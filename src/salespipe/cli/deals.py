"""Deal commands: add, list, show, edit, move, won, lost, reopen, note, next, quote,
delete, undo, log."""

import sys
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from salespipe.app.queries import (
    SORT_FIELDS,
    STATUS_CHOICES,
    DealQuery,
    list_deals,
    newest_events,
)
from salespipe.app.reading import deal_not_found, must_exist
from salespipe.cli import complete, output
from salespipe.cli.app import filled, state
from salespipe.cli.options import (
    DAYS_AHEAD,
    DAYS_BACK,
    AtOption,
    JsonOption,
    OwnerOption,
    PipelineOption,
    ReasonOption,
    SinceOption,
    given,
    limit_option,
    shown_limit,
)
from salespipe.core import clock, fmt, parse
from salespipe.core.errors import InvalidValue, NotAllowed, UsageError
from salespipe.core.i18n import N_, _
from salespipe.core.model import VALUE_JUMP, NextAction, value_jumped
from salespipe.present import deal_results, views

if TYPE_CHECKING:  # the use cases are loaded by the commands that change deals
    from salespipe.app.pipeline import Change, DealFields, Pipeline
    from salespipe.core.model import Deal, Event
    from salespipe.storage.port import ReadView

# A table of deals without --limit shows this many: a screen or two of rows, the deals to
# decide about today (docs/daily-use.md, "How much a table shows").
LIST_LIMIT = 50
LOG_LIMIT = 50  # events of the feed shown at once (a script asks for all: --limit 0)
IdArg = Annotated[
    int,
    typer.Argument(metavar="ID", help="The deal's number.", autocompletion=complete.deal_ids),
]


def _report_change(
    change: "Change", as_json: bool, message: str, *, says_if_changed: bool = False
) -> None:
    output.result(deal_results.DealChanged(change, message, says_if_changed), as_json)


def _done_message(deal_id: int, before: "Deal | None") -> str:
    """What ``next --done`` says: the action done, as ``log`` names it."""
    done = before.next_action if before is not None else None
    if done is None:
        return _("Deal {deal_id}: next action cleared.").format(deal_id=deal_id)
    return _('Deal {deal_id}: next action "{action}" (due {date}) done.').format(
        deal_id=deal_id, action=done.text, date=fmt.day(done.due)
    )


def _warn_if_the_owner_has_no_open_deal(
    snapshot: "ReadView", owner: str, now: datetime, pipeline: str | None
) -> None:
    """`list --owner` that matched nothing: a typo most often (alice for tlead_alice), said
    as the reports say it, unless the owner has open deals the other filters left out
    (asked of the open deals alone: the database answers it from an index)."""
    if not list_deals(snapshot, DealQuery(owner=owner, limit=1), now, pipeline=pipeline).matched:
        from salespipe.cli.reports import warn_of_an_owner_of_no_open_deal

        warn_of_an_owner_of_no_open_deal(snapshot, owner)


def _say_the_amounts_kept(deal: "Deal") -> None:
    """A new currency relabels the deal's value and its quote's amount (it mends a
    currency given wrong): say so where there is an amount, lest it read as converted."""
    if not deal.value and not (deal.quote and deal.quote.amount):
        return
    output.note(
        _(
            "The amounts are not converted: deal {deal_id} is worth {value} now; "
            "`salespipe edit {deal_id} --value AMOUNT` sets another."
        ).format(deal_id=deal.id, value=fmt.money(deal.value, deal.currency))
    )


def _say_the_own_probability_kept(change: "Change") -> None:
    """A deal with a probability of its own keeps it in the stage it moved to (an
    imported deal often has one from its CRM's stage): say so, and how to drop it."""
    deal = change.deal
    stage = next((s for s in change.stages if s.key == deal.stage), None)
    if deal.probability is None or stage is None:
        return
    output.note(
        _(
            "It keeps its own probability {own}% ({stage}'s is {probability}%); "
            "`salespipe edit {deal_id} --prob none` gives it the stage's."
        ).format(
            own=deal.probability,
            stage=views.stage_name({stage.key: stage}, stage.key),
            probability=stage.probability,
            deal_id=deal.id,
        )
    )


def _warn_if_the_value_jumped(change: "Change") -> None:
    """A quote that made the deal's value 10 times more or less (a slip of the finger,
    most often): said on stderr, the change kept, so --json's stdout stays JSON."""
    before = change.deals_before.get(change.deal.id)
    if before is None or not value_jumped(before.value, change.deal.value):
        return
    output.warn(
        _(
            "Deal {deal_id} was worth {before}; this quote made it {after}, a change of "
            "{factor} times or more. If the amount was mistyped, `salespipe undo` right "
            "away, before another change, takes the quote back (`salespipe undo --list` "
            "shows what undo takes back)."
        ).format(
            deal_id=change.deal.id,
            before=fmt.money(before.value, before.currency),
            after=fmt.money(change.deal.value, change.deal.currency),
            factor=VALUE_JUMP,
        )
    )


def _quote_sentence(change: "Change", until: date) -> str:
    """What quote did: the quote, and the deal's value where the amount changed it (the
    deal's value follows a quoted amount, which the sentence did not say)."""
    deal, before = change.deal, change.deals_before.get(change.deal.id)
    if before is None or (before.value, before.currency) == (deal.value, deal.currency):
        return _("Deal {deal_id}: quote recorded, valid until {date}.").format(
            deal_id=deal.id, date=fmt.day(until)
        )
    return _(
        "Deal {deal_id}: quote recorded, valid until {date}; its value is now {after} "
        "(was {before})."
    ).format(
        deal_id=deal.id,
        date=fmt.day(until),
        after=fmt.money(deal.value, deal.currency),
        before=fmt.money(before.value, before.currency),
    )


def _stage_name(change: "Change", key: str) -> str:
    return views.stage_name({s.key: s for s in change.stages}, key)


def _pipeline_entered(change: "Change") -> str | None:
    """The name of the pipeline a move took its deal into, or None if it stayed in its own."""
    before = change.deals_before.get(change.deal.id)
    stages = {s.key: s for s in change.stages}
    was = stages.get(before.stage) if before else None
    now = stages.get(change.deal.stage)
    if was is None or now is None or was.pipeline == now.pipeline:
        return None
    names = {p.key: parse.pipeline_name(p) for p in change.pipelines}
    return names.get(now.pipeline, now.pipeline)


def _when(text: str | None) -> datetime | None:
    return parse.moment(text, what=N_("--at time")) if text is not None else None


def register(app: typer.Typer) -> None:
    @app.command("add", rich_help_panel="Deals")
    def add(
        ctx: typer.Context,
        title: Annotated[str, typer.Argument(help="What the deal is, e.g. 'ERP for Siam Foods'.")],
        customer: Annotated[str, typer.Option("--customer", "-c", help="Customer company.")] = "",
        contact: Annotated[str, typer.Option("--contact", "-p", help="Contact person.")] = "",
        value: Annotated[
            str | None,
            typer.Option("--value", "-v", help="Deal value: 150000, 150,000, 150k, 1.5m."),
        ] = None,
        currency: Annotated[
            str | None,
            typer.Option("--currency", help="ISO code, e.g. THB (default: config currency)."),
        ] = None,
        stage: Annotated[
            str | None,
            typer.Option(
                "--stage",
                "-s",
                help="Stage name, key, number or prefix (default: the first).",
                autocompletion=complete.enabled_stages,
            ),
        ] = None,
        owner: Annotated[str | None, typer.Option("--owner", "-o", help="Who owns it.")] = None,
        close: Annotated[
            str | None,
            typer.Option(
                "--close",
                metavar="DATE",
                help=filled("Expected close date: {forms}.", forms=DAYS_AHEAD),
            ),
        ] = None,
        prob: Annotated[
            str | None,
            typer.Option("--prob", metavar="P", help="Probability 0-100 instead of the stage's."),
        ] = None,
        tag: Annotated[
            list[str] | None, typer.Option("--tag", "-t", help="A tag; repeatable.")
        ] = None,
        next_text: Annotated[
            str | None,
            typer.Option("--next", metavar="TEXT", help="The next action to take (with --due)."),
        ] = None,
        due: Annotated[
            str | None,
            typer.Option(
                "--due",
                metavar="DATE",
                help=filled("When the next action is due: {forms}.", forms=DAYS_AHEAD),
            ),
        ] = None,
        in_pipeline: PipelineOption = None,
        at: AtOption = None,
        quiet: Annotated[
            bool, typer.Option("--quiet", "-q", help="Print only the new id.")
        ] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Add an open deal (in the first stage unless --stage).

        Example: salespipe add "ERP for Siam Foods" -c "Siam Foods" --value 1.5m --close +1m
        """
        pipeline = state(ctx).pipeline()
        fields = _fields(
            title=title,
            customer=customer,
            contact=contact,
            value=value,
            currency=currency,
            owner=owner,
            close=close,
            prob=prob,
            tags=tag or [],
        )
        action = _next_action(next_text, due)
        change = pipeline.add(title, fields, stage=stage, next_action=action, at=_when(at))
        deal = change.deal
        if quiet and not as_json:
            output.say(str(deal.id))
            return
        _report_change(
            change,
            as_json,
            _('Added deal {deal_id} "{title}" in {stage}.').format(
                deal_id=deal.id, title=deal.title, stage=_stage_name(change, deal.stage)
            ),
        )

    @app.command("list", rich_help_panel="Deals")
    def list_(
        ctx: typer.Context,
        stage: Annotated[
            str | None,
            typer.Option(
                "--stage",
                "-s",
                help="Only this stage.",
                autocompletion=complete.all_stages,
                callback=given,
            ),
        ] = None,
        status: Annotated[
            str | None,
            typer.Option(
                "--status",
                help="open, won, lost or all (default: open; all with --closed-since/-until).",
                autocompletion=complete.choices(*STATUS_CHOICES),
                callback=given,
            ),
        ] = None,
        owner: OwnerOption = None,
        customer: Annotated[
            str | None,
            typer.Option("--customer", "-c", help="Customer name contains this.", callback=given),
        ] = None,
        tag: Annotated[
            str | None,
            typer.Option(
                "--tag",
                "-t",
                help="Only deals with this tag.",
                autocompletion=complete.tags,
                callback=given,
            ),
        ] = None,
        search: Annotated[
            str | None,
            typer.Option(
                "--search",
                help="Title, customer, contact, tag, next action, note or reason contains this.",
                callback=given,
            ),
        ] = None,
        stale: Annotated[
            bool, typer.Option("--stale", help="Only deals over their stage's target days.")
        ] = False,
        closed_since: Annotated[
            str | None,
            typer.Option(
                "--closed-since",
                metavar="DATE",
                help=filled("Only deals closed on or after DATE: {forms}.", forms=DAYS_BACK),
            ),
        ] = None,
        closed_until: Annotated[
            str | None,
            typer.Option(
                "--closed-until",
                metavar="DATE",
                help=filled("Only deals closed on or before DATE: {forms}.", forms=DAYS_BACK),
            ),
        ] = None,
        close_after: Annotated[
            str | None,
            typer.Option(
                "--close-after",
                metavar="DATE",
                help=filled(
                    "Only deals expected to close on or after DATE: {forms}.", forms=DAYS_AHEAD
                ),
            ),
        ] = None,
        close_before: Annotated[
            str | None,
            typer.Option(
                "--close-before",
                metavar="DATE",
                help=filled(
                    "Only deals expected to close on or before DATE: {forms}.", forms=DAYS_AHEAD
                ),
            ),
        ] = None,
        sort: Annotated[
            str,
            typer.Option(
                "--sort",
                help=filled("Order by {fields}.", fields=", ".join(SORT_FIELDS)),
                autocompletion=complete.choices(*SORT_FIELDS),
            ),
        ] = "stage",
        limit: Annotated[
            int | None,
            limit_option(
                help="At most N deals; 0 for all (default: {default} in a table, all with --json).",
                default=LIST_LIMIT,
            ),
        ] = None,
        columns: Annotated[
            str | None,
            typer.Option(
                "--columns",
                metavar="A,B,…",
                help=filled(
                    "Columns to show, in order: {columns}.", columns=", ".join(views.LIST_COLUMNS)
                ),
            ),
        ] = None,
        in_pipeline: PipelineOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """List deals (open ones by default), in pipeline order.

        Example: salespipe list --status all --closed-since 2026-10-01 --search price
        """
        closed = closed_since is not None or closed_until is not None
        query = DealQuery(
            status=status or ("all" if closed else "open"),
            limit=shown_limit(limit, as_json, LIST_LIMIT),
            stage=stage,
            owner=owner,
            customer=customer,
            tag=tag,
            search=search,
            stale=stale,
            sort=sort,
            closed_since=_day(closed_since, N_("--closed-since date")),
            closed_until=_day(closed_until, N_("--closed-until date")),
            close_after=_day(close_after, N_("--close-after date")),
            close_before=_day(close_before, N_("--close-before date")),
        )
        snapshot = state(ctx).read()
        now = clock.now()
        shown = views.list_columns(columns)
        # (without --columns the owner is read too: with several, its column is shown)
        read = shown if columns is not None else views.TEAM_LIST_COLUMNS
        fields = () if as_json else views.list_fields(read)
        listing = list_deals(
            snapshot, query, now, pipeline=state(ctx).chosen_pipeline, fields=fields
        )
        is_new = not listing.records and snapshot.counters().next_deal_id == 1
        shown_list = deal_results.DealList(
            listing.records,
            listing.stages,
            now,
            shown,
            listing.matched,
            is_new,
            by_default=limit is None,
            several=listing.several_pipelines,
            per_status=query.status == "all",
            columns_asked=columns is not None,
        )
        output.result(shown_list, as_json)
        if owner is not None and not listing.matched and query.status == "open":
            _warn_if_the_owner_has_no_open_deal(snapshot, owner, now, state(ctx).chosen_pipeline)

    @app.command("show", rich_help_panel="Deals")
    def show(ctx: typer.Context, deal_id: IdArg, as_json: JsonOption = False) -> None:
        """Show one deal: all its fields, the stage's guide, and its history with reasons.

        Example: salespipe show 12
        """
        snapshot = state(ctx).read()
        deal = snapshot.get_deal(deal_id)
        if deal is None:
            raise deal_not_found(snapshot, deal_id)
        stages = snapshot.stages()
        # In the order things happened: a note may have been backdated among older events.
        events = sorted(snapshot.events(deal_id), key=lambda e: (e.at, e.seq))
        undone = snapshot.undone_changes()
        names = deal_results.pipeline_names(snapshot.pipelines())
        output.result(deal_results.DealDetail(deal, stages, events, undone, names), as_json)

    @app.command("edit", rich_help_panel="Deals")
    def edit(
        ctx: typer.Context,
        deal_id: IdArg,
        title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
        customer: Annotated[
            str | None, typer.Option("--customer", "-c", help="New customer company.")
        ] = None,
        contact: Annotated[
            str | None, typer.Option("--contact", "-p", help="New contact person.")
        ] = None,
        value: Annotated[
            str | None, typer.Option("--value", "-v", help="New value: 150000, 150k, 1.5m.")
        ] = None,
        currency: Annotated[
            str | None,
            typer.Option(
                "--currency",
                help="New ISO currency code, e.g. USD; the amounts keep their numbers "
                "(not converted).",
            ),
        ] = None,
        owner: Annotated[
            str | None,
            typer.Option("--owner", "-o", help="New owner.", autocompletion=complete.owners),
        ] = None,
        close: Annotated[
            str | None,
            typer.Option(
                "--close",
                metavar="DATE|none",
                help=filled("Expected close date ({forms}), or none.", forms=DAYS_AHEAD),
            ),
        ] = None,
        prob: Annotated[
            str | None,
            typer.Option(
                "--prob", metavar="P|none", help="Probability 0-100, or none for the stage's."
            ),
        ] = None,
        tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Add a tag.")] = None,
        untag: Annotated[list[str] | None, typer.Option("--untag", help="Remove a tag.")] = None,
        as_json: JsonOption = False,
    ) -> None:
        """Change a deal's fields; each change is recorded.

        Example: salespipe edit 12 --value 1.8m --close 2027-01-31 --tag urgent
        """
        given = (title, customer, contact, value, currency, owner, close, prob)
        if all(option is None for option in given) and not tag and not untag:
            # (a script that lost its option went on as if the deal had been changed)
            raise UsageError(_("Name what to change, e.g. --value 2m or --close 2026-12-31."))
        fields = _fields(
            title=title,
            customer=customer,
            contact=contact,
            value=value,
            currency=currency,
            owner=owner,
            close=close,
            prob=prob,
            tags=tag or [],
            untags=untag or [],
        )
        pipeline = state(ctx).pipeline()
        change = pipeline.edit(deal_id, fields)
        if not change.events:
            message = _("Deal {deal_id} already had those values; nothing changed.").format(
                deal_id=deal_id
            )
        else:
            changes = views.describe_edit(
                change.events[0], {s.key: s for s in change.stages}, change.deal.currency
            )
            message = _("Updated deal {deal_id}: {changes}.").format(
                deal_id=deal_id, changes=changes
            )
        _report_change(change, as_json, message, says_if_changed=True)
        if change.events and "currency" in (change.events[0].after or {}) and value is None:
            _say_the_amounts_kept(change.deal)

    @app.command("move", rich_help_panel="Deals")
    def move(
        ctx: typer.Context,
        deal_id: IdArg,
        stage: Annotated[
            str,
            typer.Argument(
                metavar="STAGE",
                help="Stage name, key, number or unique prefix (Thai too).",
                autocompletion=complete.enabled_stages,
            ),
        ],
        into: Annotated[
            str | None,
            typer.Option(
                "--pipeline",
                "-P",
                metavar="P",
                help="Move it into this pipeline, to STAGE of that pipeline's stages.",
                autocompletion=complete.pipelines,
            ),
        ] = None,
        reason: ReasonOption = None,
        at: AtOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Move an open deal to another stage.

        Example: salespipe move 12 เสนอราคา --reason "sent the quotation"
        """
        pipeline = state(ctx).pipeline()
        change = pipeline.move(deal_id, stage, reason=reason, at=_when(at), pipeline=into)
        name = _stage_name(change, change.deal.stage)
        entered = _pipeline_entered(change) if change.events else None
        if entered is not None:
            message = _("Deal {deal_id} moved to {stage} ({pipeline}).")
        elif change.events:
            message = _("Deal {deal_id} moved to {stage}.")
        else:
            message = _("Deal {deal_id} is already in {stage}; nothing changed.")
        message = message.format(deal_id=deal_id, stage=name, pipeline=entered)
        _report_change(change, as_json, message, says_if_changed=True)
        if change.events:
            _say_the_own_probability_kept(change)

    @app.command("won", rich_help_panel="Deals")
    def won(
        ctx: typer.Context,
        deal_id: IdArg,
        reason: ReasonOption = None,
        at: AtOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Mark an open deal won.

        Example: salespipe won 12 --reason "signed the contract"
        """
        pipeline = state(ctx).pipeline()
        change = pipeline.close(deal_id, "won", reason=reason, at=_when(at))
        _report_change(change, as_json, _("Deal {deal_id} won.").format(deal_id=deal_id))

    @app.command("lost", rich_help_panel="Deals")
    def lost(
        ctx: typer.Context,
        deal_id: IdArg,
        reason: Annotated[
            str | None, typer.Option("--reason", "-r", help="Why it was lost (required).")
        ] = None,
        at: AtOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Mark an open deal lost, with the reason.

        Example: salespipe lost 12 --reason "price too high"
        """
        pipeline = state(ctx).pipeline()
        change = pipeline.close(deal_id, "lost", reason=reason, at=_when(at))
        _report_change(
            change,
            as_json,
            _("Deal {deal_id} lost: {reason}.").format(
                deal_id=deal_id, reason=fmt.one_line(reason or "")
            ),
        )

    @app.command("reopen", rich_help_panel="Deals")
    def reopen(
        ctx: typer.Context,
        deal_id: IdArg,
        stage: Annotated[
            str | None,
            typer.Option(
                "--stage",
                "-s",
                help="Stage to reopen in (default: the one it closed from).",
                autocompletion=complete.enabled_stages,
            ),
        ] = None,
        reason: ReasonOption = None,
        at: AtOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Reopen a won or lost deal.

        Example: salespipe reopen 12 --stage negotiating --reason "they came back"
        """
        pipeline = state(ctx).pipeline()
        change = pipeline.reopen(deal_id, stage=stage, reason=reason, at=_when(at))
        _report_change(
            change,
            as_json,
            _("Deal {deal_id} reopened in {stage}.").format(
                deal_id=deal_id, stage=_stage_name(change, change.deal.stage)
            ),
        )

    @app.command("note", rich_help_panel="Deals")
    def note(
        ctx: typer.Context,
        deal_id: IdArg,
        text: Annotated[str, typer.Argument(help="What happened: a call, a meeting, an email.")],
        at: AtOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Log a contact or activity with a deal.

        Example: salespipe note 12 "called Somchai, wants a demo" --at yesterday
        """
        pipeline = state(ctx).pipeline()
        change = pipeline.note(deal_id, text, at=_when(at))
        _report_change(change, as_json, _("Noted on deal {deal_id}.").format(deal_id=deal_id))

    @app.command("next", rich_help_panel="Deals")
    def next_(
        ctx: typer.Context,
        deal_id: IdArg,
        text: Annotated[str | None, typer.Argument(help="The next action to take.")] = None,
        due: Annotated[
            str | None,
            typer.Option(
                "--due", metavar="DATE", help=filled("When it is due: {forms}.", forms=DAYS_AHEAD)
            ),
        ] = None,
        done: Annotated[bool, typer.Option("--done", help="Clear the next action.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Set a deal's next action (TEXT --due DATE), or clear it with --done.

        Example: salespipe next 12 "send the brochure" --due "next week"
        """
        if done and (text or due):
            raise InvalidValue(_("Give either TEXT --due DATE or --done, not both."))
        if not done and text is not None and due is None:
            # (It said "Give the next action's TEXT and --due DATE" of a TEXT given.)
            raise InvalidValue(
                _(
                    'The next action "{text}" needs its due date: add --due DATE, '
                    'e.g. --due "next week".'
                ).format(text=text)
            )
        if not done and text is None and due is not None:
            from salespipe.cli.usage_words import shell_word  # (only to say this refusal)

            raise InvalidValue(
                _("--due {due} needs the next action's text: `{command}`.").format(
                    due=due, command=f"salespipe next {deal_id} TEXT --due {shell_word(due)}"
                )
            )
        if not done and (text is None or due is None):
            raise InvalidValue(_("Give the next action's TEXT and --due DATE, or --done."))
        action = None if done else _next_action(text, due)
        pipeline = state(ctx).pipeline()
        change = pipeline.set_next(deal_id, action)
        if not change.events:
            if action is None:
                message = _("Deal {deal_id} has no next action; nothing changed.")
            else:
                message = _("Deal {deal_id} already has that next action; nothing changed.")
            message = message.format(deal_id=deal_id)
        elif action is None:
            message = _done_message(deal_id, change.deals_before.get(deal_id))
        else:
            message = _('Deal {deal_id}: next action "{action}" due {date}.').format(
                deal_id=deal_id, action=action.text, date=fmt.day(action.due)
            )
        _report_change(change, as_json, message, says_if_changed=True)
        if action is not None and change.events and change.deals[-1].status != "open":
            output.warn(
                _(
                    "Deal {deal_id} is {status}: agenda and check follow open deals only, "
                    "so only `show` lists this next action."
                ).format(deal_id=deal_id, status=fmt.status(change.deals[-1].status))
            )

    @app.command("quote", rich_help_panel="Deals")
    def quote(
        ctx: typer.Context,
        deal_id: IdArg,
        valid_until: Annotated[
            str,
            typer.Option(
                "--valid-until",
                metavar="DATE",
                help=filled("Until when the quoted price holds: {forms}.", forms=DAYS_AHEAD),
            ),
        ],
        amount: Annotated[
            str | None,
            typer.Option(
                "--amount",
                help=filled(
                    "The quoted amount; the deal's value follows it (with a warning when "
                    "that is {factor} times more or less).",
                    factor=VALUE_JUMP,
                ),
            ),
        ] = None,
        note: Annotated[str, typer.Option("--note", help="Anything to remember about it.")] = "",
        as_json: JsonOption = False,
    ) -> None:
        """Record a quotation sent, and how long its price holds.

        Example: salespipe quote 12 --valid-until +30d --amount 1.45m --note "5% off"
        """
        until = parse.day(valid_until, what=N_("--valid-until date"))
        money, named = (None, None)
        if amount is not None:
            money, named = parse.money_and_currency(amount, what=N_("quote amount"))
        pipeline = state(ctx).pipeline()
        currency = None if named is None else parse.currency(named)
        change = pipeline.quote(
            deal_id, valid_until=until, amount=money, note=note, currency=currency
        )
        _report_change(change, as_json, _quote_sentence(change, until))
        _warn_if_the_value_jumped(change)

    @app.command("delete", rich_help_panel="Deals")
    def delete(
        ctx: typer.Context,
        deal_id: IdArg,
        yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Delete a deal (its history stays in the log; `undo` brings it back).

        Example: salespipe delete 12 --yes
        """
        pipeline = state(ctx).pipeline()
        view = pipeline.read()
        deal = view.get_deal(deal_id)
        if deal is None:
            if pipeline.named:  # a mistyped --db: the file is what is missing
                must_exist(view, pipeline.store)
            raise deal_not_found(view, deal_id)
        if not yes:
            if not output.is_terminal(sys.stdin):  # (None: started with stdin closed)
                raise NotAllowed(
                    _("Deleting deal {deal_id} needs --yes when not run from a terminal.").format(
                        deal_id=deal_id
                    )
                )
            question = _('Delete deal {deal_id} "{title}"?').format(
                deal_id=deal_id, title=deal.title
            )
            answer = output.ask(question)
            if answer is None:  # Ctrl-D: not answered, so ended as Ctrl-C is (130)
                raise KeyboardInterrupt
            if not answer:
                output.result(deal_results.NothingDeleted(deal_id), as_json)
                return
        change = pipeline.delete(deal_id)
        output.result(deal_results.DealDeleted(change, deal_id), as_json)

    @app.command("undo", rich_help_panel="Deals")
    def undo(
        ctx: typer.Context,
        list_changes: Annotated[
            bool,
            typer.Option("--list", help="Only show the last changes undo can take back."),
        ] = False,
        limit: Annotated[
            int,
            typer.Option(
                "--limit", "-n", min=0, help="With --list: at most N changes (0: all kept)."
            ),
        ] = 10,
        as_json: JsonOption = False,
    ) -> None:
        """Revert the most recent change (on a server: your own); repeat to go further back.

        Example: salespipe undo --list
        """
        if list_changes:
            _list_undoable(state(ctx).reading_pipeline(), limit, as_json)
            return
        pipeline = state(ctx).pipeline()
        output.result(deal_results.Undone(pipeline.undo(describe=views.describe)), as_json)

    @app.command("log", rich_help_panel="Deals")
    def log(
        ctx: typer.Context,
        deal_id: Annotated[
            int | None,
            typer.Argument(
                metavar="[ID]", help="Only this deal's events.", autocompletion=complete.deal_ids
            ),
        ] = None,
        since: SinceOption = None,
        limit: Annotated[
            int | None,
            typer.Option(
                "--limit",
                "-n",
                min=0,
                help=filled("At most N events (0 for all; default {limit}).", limit=LOG_LIMIT),
                show_default=False,
            ),
        ] = None,
        as_json: JsonOption = False,
    ) -> None:
        """The event feed, newest first.

        Example: salespipe log 12 --since -2w
        """
        start = parse.day(since, what=N_("--since date")) if since is not None else None
        snapshot = state(ctx).read()
        # The newest LOG_LIMIT also with --json: a history holds far more events than deals
        # (every one of 300k took 1.9 GB), so a script asks for all with --limit 0.
        most = LOG_LIMIT if limit is None else limit
        newest = newest_events(snapshot, most, deal_id=deal_id, since=start)
        if limit is None and len(newest) == LOG_LIMIT:
            output.note(_("the newest {count} events — --limit 0 for all").format(count=LOG_LIMIT))
        feed = deal_results.EventFeed(
            newest,
            snapshot.stages(),
            snapshot.undone_changes(),
            deal_results.pipeline_names(snapshot.pipelines()),
            _currencies_of_amounts_changed(snapshot, newest),
        )
        output.result(feed, as_json)


def _currencies_of_amounts_changed(snapshot: "ReadView", events: "list[Event]") -> dict[int, str]:
    """The currency now of each deal whose value an event changed without naming it: the
    log shows that value with it (only those deals are read). Of a deal no longer here
    (an undone add or import took it away), the currency its events left it in: its
    undone edits showed their amounts without one (a trial)."""
    from salespipe.core.model import currencies_left

    ids = {
        e.deal_id
        for e in events
        if e.deal_id is not None and "value" in (e.after or {}) and e.type != "add"
    }
    found: dict[int, str] = {}
    listed: dict[int, str] | None = None
    for deal_id in sorted(ids):
        deal = snapshot.get_deal(deal_id)
        if deal is not None:
            found[deal_id] = deal.currency
            continue
        if listed is None:
            listed = currencies_left(events)
        currency = listed.get(deal_id) or currencies_left(snapshot.events(deal_id)).get(deal_id)
        if currency:
            found[deal_id] = currency
    return found


def _list_undoable(pipeline: "Pipeline", limit: int, as_json: bool) -> None:
    changes = pipeline.undoable(limit, describe=views.describe)
    snapshot = pipeline.read()
    titles = {}
    for deal_id in {i for c in changes for i in c.deal_ids}:
        deal = snapshot.get_deal(deal_id)
        title = (
            deal.title
            if deal is not None
            else views.event_title(reversed(snapshot.events(deal_id)))
        )
        if title is not None:  # a deleted deal's, from its history
            titles[deal_id] = title
    names = deal_results.pipeline_names(snapshot.pipelines())
    output.result(deal_results.UndoList(changes, titles, snapshot.stages(), names), as_json)


def _day(text: str | None, what: str) -> date | None:
    return parse.day(text, what=what) if text is not None else None


def _next_action(text: str | None, due: str | None) -> NextAction | None:
    from salespipe.app.pipeline import next_action

    return next_action(text, _day(due, N_("--due date")))


def _fields(
    *,
    title: str | None,
    customer: str | None,
    contact: str | None,
    value: str | None,
    currency: str | None,
    owner: str | None,
    close: str | None,
    prob: str | None,
    tags: list[str],
    untags: list[str] | None = None,
) -> "DealFields":
    from salespipe.app.pipeline import DealFields

    return DealFields.from_text(
        title=title,
        customer=customer,
        contact=contact,
        value=value,
        currency=currency,
        owner=owner,
        close=close,
        probability=prob,
        tags=tags,
        untags=untags or (),
    )
