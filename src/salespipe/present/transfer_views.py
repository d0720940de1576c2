"""The text of the commands that write or read files: what an import did, what an
export or a copy wrote, and where the report page (`report --html`) went.

The import's result is :class:`salespipe.transfer.importing.ImportReport`; the export's
is :class:`ExportWritten` below, the page's :class:`PageWritten` and :class:`PageShown`.
All are registered in :mod:`salespipe.present.results`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from salespipe.core.i18n import N_, _, ngettext
from salespipe.present.parts import Part, Verbatim, Warned

if TYPE_CHECKING:
    from collections.abc import Sequence

    from salespipe.transfer.copying import CopyReport, Held
    from salespipe.transfer.differing import Differing
    from salespipe.transfer.importing import ImportReport
    from salespipe.transfer.updating import Update


@dataclass(frozen=True)
class ExportWritten:
    """``export -o FILE``: where it went, in which format, and how many of each it holds."""

    file: str
    format: str
    counts: dict[str, int]

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "format": self.format, **self.counts}


@dataclass(frozen=True)
class PageWritten:
    """``report --html FILE`` (and ``forecast``): where the page went."""

    file: str

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "format": "html"}


@dataclass(frozen=True)
class PageShown:
    """``--html -``: the page itself, on stdout (in ``--json``, as its ``page``)."""

    page: str

    def to_dict(self) -> dict[str, object]:
        return {"format": "html", "page": self.page}


def page_written_view(result: PageWritten) -> str:
    return _("Wrote the report page to {path}.").format(path=result.file)


def page_shown_view(result: PageShown) -> list[Part]:
    return [Verbatim(result.page.rstrip("\n"))]


def export_view(result: ExportWritten) -> str:
    what = ", ".join(_counted(name, n) for name, n in result.counts.items())
    return _("Wrote {what} to {path} ({format}).").format(
        what=what, path=result.file, format=result.format
    )


def _deals(count: int) -> str:
    return ngettext("{count} deal", "{count} deals", count).format(count=count)


def _restore_line(report: ImportReport, deals: int) -> str:
    if report.dry_run:
        message = _(
            "Would restore the backup {file}: {deals}, {events}, with their ids, history and "
            "undo list as they were."
        )
    else:
        message = _(
            "Restored the backup {file}: {deals}, {events}, with their ids, history and undo "
            "list as they were."
        )
    events = ngettext("{count} event", "{count} events", report.events).format(count=report.events)
    return message.format(file=report.file, deals=_deals(deals), events=events)


def _imported_line(report: ImportReport, data: dict[str, Any]) -> str:
    counts = data["by_status"]
    if report.dry_run:
        line = _("Read {rows} of the {format} file: would import {deals} ({breakdown}){stages}.")
    else:
        line = _("Read {rows} of the {format} file: imported {deals} ({breakdown}){stages}.")
    stages = ""
    if report.with_history:
        stages = ngettext(
            ", {count} with its history ({events})",
            ", {count} with their history ({events})",
            report.with_history,
        ).format(
            count=report.with_history,
            events=ngettext("{count} event", "{count} events", report.events).format(
                count=report.events
            ),
        )
    if report.new_pipelines:
        names = ", ".join(f'"{n}"' for n in report.new_pipelines)
        if report.dry_run:
            stages = _("; would create pipelines {names}").format(names=names)
        else:
            stages = _("; created pipelines {names}").format(names=names)
    if report.new_stages:
        names = ", ".join(f'"{n}"' for n in report.new_stages)
        if report.dry_run:
            stages += _("; would create stages {names}").format(names=names)
        else:
            stages += _("; created stages {names}").format(names=names)
    return line.format(
        rows=_rows(report.rows),
        format=report.format,
        deals=_deals(data["imported"]),
        breakdown=_("{open} open, {won} won, {lost} lost").format(**counts),
        stages=stages,
    )


def _new_stage_probabilities_line(report: ImportReport) -> str:
    """The probabilities the new stages got, which every forecast weighs their deals by:
    the one most of the stage's rows in the file give, else the CRM's default stage's,
    else a guess of 50%, each of the last two said. Stages of a database with several
    pipelines are named with theirs (one name may be in each, and `stage set` looks in
    the current one)."""
    several = report.several_pipelines
    stages = ", ".join(
        (f'"{stage.name}" ({stage.pipeline})' if several else f'"{stage.name}"')
        + f" {stage.probability}%"
        + _probability_origin(stage.origin, report.format)
        for stage in report.created_stages
    )
    command = "salespipe stage set STAGE --prob N" + (" --pipeline P" if several else "")
    return _(
        "The new stages' probabilities, as most of each stage's rows in the file give it: "
        "{stages}; `{command}` changes one."
    ).format(stages=stages, command=command)


def _named_otherwise_line(report: ImportReport) -> str:
    """The file's stage names that this database's stage of the same key does not answer
    to (renamed here, or where the file came from): each deal went into the stage of its
    key, which is said, not done quietly. Stages are named with their pipelines where the
    database has several."""
    pairs = [
        (
            _('"{file_name}" → "{name}" ({pipeline}, {deals})')
            if report.several_pipelines
            else _('"{file_name}" → "{name}" ({deals})')
        ).format(
            file_name=stage.file_name,
            name=stage.name,
            pipeline=stage.pipeline,
            deals=_deals(stage.deals),
        )
        for stage in report.named_otherwise
    ]
    return _(
        "Stages the file names otherwise than here, placed by their keys: {pairs}; "
        '--stage-map "NAME=STAGE" places a name\'s deals in another stage.'
    ).format(pairs=_first_ten(pairs))


def _probability_origin(origin: str, crm: str) -> str:
    """What a new stage's probability is where the file gives none."""
    if origin == "crm":
        return " " + _("(none in the file: {crm}'s default)").format(crm=crm)
    if origin == "none":
        return " " + _("(none in the file)")
    return ""


def _own_probabilities_line(count: int) -> str:
    """The deals whose row gives a probability other than most rows of its stage: kept
    as the deal's own, which stays with it from stage to stage."""
    return ngettext(
        "{count} deal with a probability of its own (its row's differs from most rows of "
        "its stage): it keeps it in every stage; `salespipe edit ID --prob none` gives it "
        "its stage's.",
        "{count} deals with a probability of their own (their row's differs from most rows "
        "of their stage): each keeps it in every stage; `salespipe edit ID --prob none` "
        "gives one its stage's.",
        count,
    ).format(count=count)


def _counted(name: str, count: int) -> str:
    """``3 stages``, ``12 events``: what an export holds."""
    if name == "stages":
        text = ngettext("{count} stage", "{count} stages", count)
    elif name == "events":
        text = ngettext("{count} event", "{count} events", count)
    else:
        text = ngettext("{count} deal", "{count} deals", count)
    return text.format(count=count)


def _rows(count: int) -> str:
    return ngettext("{count} row", "{count} rows", count).format(count=count)


def _filled_lines(report: ImportReport) -> list[str]:
    """One line for each thing that stood in for data the file lacks, with its count."""
    lines: list[str] = []
    items = report.line_items
    if items.rows:
        shown = _first_ten(items.deals)
        lines.append(
            ngettext(
                "Added {rows} line-item row into the deals with the same id ({ids}).",
                "Added {rows} line-item rows into the deals with the same id ({ids}).",
                items.rows,
            ).format(rows=items.rows, ids=shown)
        )
    filled = report.filled
    if filled["value_unit"]:
        lines.append(
            _("{deals} with a value like 150k or 1.2m: read as add --value reads it.").format(
                deals=_deals(filled["value_unit"])
            )
        )
    if filled["currency"]:
        where = _("from --currency") if report.currency_from == "option" else _("from the config")
        lines.append(
            _("{deals} without a currency: {currency} ({where}).").format(
                deals=_deals(filled["currency"]), currency=report.currency, where=where
            )
        )
    if filled["dollar"]:
        hint = "" if report.currency_from == "option" else _("; say otherwise with --currency")
        lines.append(
            _('{deals} in "$": read as {currency}{hint}.').format(
                deals=_deals(filled["dollar"]), currency=report.dollar, hint=hint
            )
        )
    if filled["value"]:
        lines.append(
            _("{deals} without an amount: a value of 0.").format(deals=_deals(filled["value"]))
        )
    if filled["stage"]:
        lines.append(
            _(
                "{deals} without a stage: in the pipeline's first stage (a won one in its last)."
            ).format(deals=_deals(filled["stage"]))
        )
    if filled["stay"]:
        lines.append(
            _(
                "{deals} closed without the stage they closed in or when they entered it: "
                "left out of the days in each stage."
            ).format(deals=_deals(filled["stay"]))
        )
    if filled["created_at_import"]:
        lines.append(
            _(
                "{deals} without a creation date: created when imported (a closed one when "
                "it closed), so their days in a stage and sales cycles start there."
            ).format(deals=_deals(filled["created_at_import"]))
        )
    if filled["entered_at_creation"]:
        lines.append(
            _(
                "{deals} open without the time they entered their stage: in it since they "
                "were created."
            ).format(deals=_deals(filled["entered_at_creation"]))
        )
    if filled["owner"]:
        lines.append(
            _("{deals} without an owner: {owner} (the importing user).").format(
                deals=_deals(filled["owner"]), owner=report.owner
            )
        )
    closings = (
        ("closed_from_updated", _("its last-modified date")),
        ("closed_from_expected", _("its expected close date")),
        ("closed_from_created", _("its creation date")),
        ("closed_at_import", _("the time of the import (the row gives no date)")),
    )
    for name, source in closings:
        if filled[name]:
            lines.append(
                _("{deals} closed without a close date: closed at {source}.").format(
                    deals=_deals(filled[name]), source=source
                )
            )
    if filled["closed_after_import"]:
        lines.append(
            _("{deals} with a close date still to come: closed at the time of the import.").format(
                deals=_deals(filled["closed_after_import"])
            )
        )
    if filled["created_after_close"]:
        lines.append(
            _(
                "{deals} created after they closed (or after now): created when they closed "
                "(or now)."
            ).format(deals=_deals(filled["created_after_close"]))
        )
    return lines


def _unread_line(headers: list[str]) -> str:
    names = ", ".join(h if h.isdecimal() else f'"{h}"' for h in headers)  # numbers: no header
    return ngettext(
        "Not read: the column {names} (read it with --column FIELD=HEADER, or leave it out "
        "with --ignore HEADER).",
        "Not read: the columns {names} (read one with --column FIELD=HEADER, or leave them "
        "out with --ignore HEADER).",
        len(headers),
    ).format(names=names)


# The CRMs other than Salesforce whose exports have columns of ids (their formats'
# id_columns), by the label the report gives the format: what the ids are, and where
# the names are.
_IDS_OF = {
    "Bitrix24": (
        N_("Bitrix24 record ids"),
        N_("BI Builder's crm_deal dataset gives the names (COMPANY_NAME, CONTACT_NAME)"),
    ),
    "Odoo": (
        N_("Odoo external ids"),
        N_("the fields themselves (user_id, partner_id) give the names"),
    ),
}


def _ids_not_read_line(ids: dict[str, str], file_format: str) -> str:
    """The columns of record ids not read as the names they stand for (Salesforce's
    AccountId, OwnerId; Bitrix24's ASSIGNED_BY_ID; Odoo's user_id/id), and how to give
    names (the owner's, an example, if named)."""
    names = ", ".join(f'"{header}" ({name})' for name, header in ids.items())
    name = "owner" if "owner" in ids else next(iter(ids))
    if file_format in _IDS_OF:
        what, names_from = _IDS_OF[file_format]
        return ngettext(
            "Not read: the column {names}, which holds {ids}, not names; {names_from}, or "
            '--column {field}={header} --map "{field}:ID=NAME" reads each id as the name '
            "given.",
            "Not read: the columns {names}, which hold {ids}, not names; {names_from}, or "
            '--column {field}={header} --map "{field}:ID=NAME" reads each id as the name '
            "given.",
            len(ids),
        ).format(names=names, ids=_(what), names_from=_(names_from), field=name, header=ids[name])
    return ngettext(
        "Not read: the column {names}, which holds Salesforce record ids, not names; a "
        "Salesforce report gives the names (Account Name, Opportunity Owner), or --column "
        '{field}={header} --map "{field}:ID=NAME" reads each id as the name given.',
        "Not read: the columns {names}, which hold Salesforce record ids, not names; a "
        "Salesforce report gives the names (Account Name, Opportunity Owner), or --column "
        '{field}={header} --map "{field}:ID=NAME" reads each id as the name given.',
        len(ids),
    ).format(names=names, field=name, header=ids[name])


def _renumbered_line(renumbered: list[tuple[int, int, int]]) -> str:
    """Our rows whose deal id is taken here (by a deal, or one deleted: a rep under
    visibility own may not see it, so it is not said to be a deal's): which number each
    got."""
    moves = _first_ten([f"{old} → {new}" for _line, old, new in renumbered])
    return ngettext(
        "{count} deal of the file is given a new number: its own is taken here ({moves}).",
        "{count} deals of the file are given new numbers: theirs are taken here ({moves}).",
        len(renumbered),
    ).format(count=len(renumbered), moves=moves)


# The fields a row imported before may say otherwise than its deal (differing.py).
_FIELD_NAMES = {
    "value": N_("value"),
    "currency": N_("currency"),
    "expected_close": N_("close date"),
    "status": N_("status"),
    "stage": N_("stage"),
}


def _field_names(fields: tuple[str, ...]) -> str:
    return ", ".join(_(_FIELD_NAMES[name]) for name in fields)


def _rows_of_deals(rows: Sequence[Differing | Update]) -> str:
    """The first ten rows named by their line, deal and fields."""
    each = _("line {line} (deal {deal}): {fields}")
    listed = [each.format(line=d.line, deal=d.deal, fields=_field_names(d.fields)) for d in rows]
    return _first_ten(listed, separator="; ")


def _differing_line(differing: list[Differing], update: bool) -> str:
    """Rows skipped as imported before that differ from their deal here now: where the
    other CRM moved on (won there, open here), said; applied with --update (``update``:
    given, and these are what it could not change)."""
    named = _rows_of_deals(differing)
    if not update:
        return ngettext(
            "{count} of them differs from its deal here now ({named}); where the file is "
            "right, change it with edit, move, won, lost or reopen, or import again with "
            "--update.",
            "{count} of them differ from their deals here now ({named}); where the file is "
            "right, change those with edit, move, won, lost or reopen, or import again with "
            "--update.",
            len(differing),
        ).format(count=len(differing), named=named)
    return ngettext(
        "{count} of them differs from its deal here now ({named}); where the file is "
        "right, change it with edit, move, won, lost or reopen.",
        "{count} of them differ from their deals here now ({named}); where the file is "
        "right, change those with edit, move, won, lost or reopen.",
        len(differing),
    ).format(count=len(differing), named=named)


def _updated_line(updates: list[Update], dry_run: bool) -> str:
    """The deals here ``--update`` changed (or would) as their rows say."""
    named = _rows_of_deals(updates)
    if dry_run:
        message = ngettext(
            "Would update {count} deal here as its row says ({named}).",
            "Would update {count} deals here as their rows say ({named}).",
            len(updates),
        )
    else:
        message = ngettext(
            "Updated {count} deal here as its row says ({named}).",
            "Updated {count} deals here as their rows say ({named}).",
            len(updates),
        )
    return message.format(count=len(updates), named=named)


def _dated_at_import_line(updates: list[Update], dry_run: bool) -> str:
    """The wins and losses ``--update`` dated at the import's time, not at the row's close
    date as a fresh import of the row would: that came before the deal's last change, or
    is in the future."""
    named = _lines_of_deals([(update.line, update.deal) for update in updates])
    if dry_run:
        message = ngettext(
            "{count} of them would close its deal at the time of the import, not at its "
            "row's close date, which comes before the deal's last change or is in the "
            "future ({named}).",
            "{count} of them would close their deals at the time of the import, not at "
            "their rows' close dates, which come before the deals' last changes or are in "
            "the future ({named}).",
            len(updates),
        )
    else:
        message = ngettext(
            "{count} of them closed its deal at the time of the import, not at its row's "
            "close date, which comes before the deal's last change or is in the future "
            "({named}).",
            "{count} of them closed their deals at the time of the import, not at their "
            "rows' close dates, which come before the deals' last changes or are in the "
            "future ({named}).",
            len(updates),
        )
    return message.format(count=len(updates), named=named)


def _lines_of_deals(rows: list[tuple[int, int]]) -> str:
    """The first ten rows named by their line and deal: "line 2: deal 1, line 5: deal 4"."""
    each = _("line {line}: deal {deal}")
    return _first_ten([each.format(line=line, deal=deal) for line, deal in rows])


def _already_here_line(count: int, lines: list[int], update: bool = False) -> str:
    """Rows of deals here (``duplicates``): imported before, or (salespipe's own export)
    the deals the file was exported from, however they were added. Not "skipped": that
    word, and the key, are the invalid rows --skip-invalid leaves out. With --update
    (``update``) they are not new deals, but what differs of them is changed."""
    if update:
        return ngettext(
            "{count} row is of a deal already here ({where}): not imported as a new deal.",
            "{count} rows are of deals already here ({where}): not imported as new deals.",
            count,
        ).format(count=count, where=_lines_named([str(n) for n in lines]))
    return ngettext(
        "{count} row is of a deal already here ({where}): not imported, as an import adds "
        "deals and does not change the deals here.",
        "{count} rows are of deals already here ({where}): not imported, as an import adds "
        "deals and does not change the deals here.",
        count,
    ).format(count=count, where=_lines_named([str(n) for n in lines]))


def _deleted_here_line(deleted: list[tuple[int, int]]) -> str:
    """Rows of deals deleted here, which the import left out."""
    pairs = _lines_of_deals(deleted)
    return ngettext(
        "{count} row is of a deal deleted here ({pairs}), so it is left out; "
        "--restore-deleted brings it back.",
        "{count} rows are of deals deleted here ({pairs}), so they are left out; "
        "--restore-deleted brings them back, --restore-deal ID one of them.",
        len(deleted),
    ).format(count=len(deleted), pairs=pairs)


def _brought_back_line(rows: list[tuple[int, int]]) -> str:
    """Rows of deals deleted here that --restore-deleted (or --restore-deal) imports as
    new deals."""
    pairs = _lines_of_deals(rows)
    return ngettext(
        "{count} row is of a deal deleted here ({pairs}); it is imported again, as a new deal.",
        "{count} rows are of deals deleted here ({pairs}); they are imported again, as new deals.",
        len(rows),
    ).format(count=len(rows), pairs=pairs)


def _without_history_line(deals: list[int], dry_run: bool) -> str:
    """Deals of a merged backup whose events do not replay to the deal placed here (a
    stage of their history mapped to won or lost, say): made in their stage at their
    creation, as a CSV's deals are."""
    count = len(deals)
    if dry_run:
        message = ngettext(
            "{count} deal of the backup would come without its history (its deal {where}): "
            "its events do not lead to the deal as it would be here (a stage it was in "
            "mapped to won or lost, say), so it would be made in its stage at its creation, "
            "as a CSV's deals are.",
            "{count} deals of the backup would come without their history (its deals {where}): "
            "their events do not lead to the deals as they would be here (a stage they were "
            "in mapped to won or lost, say), so they would be made in their stage at their "
            "creation, as a CSV's deals are.",
            count,
        )
    else:
        message = ngettext(
            "{count} deal of the backup came without its history (its deal {where}): its "
            "events do not lead to the deal as it is here (a stage it was in mapped to won "
            "or lost, say), so it was made in its stage at its creation, as a CSV's deals "
            "are.",
            "{count} deals of the backup came without their history (its deals {where}): their "
            "events do not lead to the deals as they are here (a stage they were in mapped "
            "to won or lost, say), so they were made in their stage at their creation, as "
            "a CSV's deals are.",
            count,
        )
    return message.format(count=count, where=_first_ten([str(deal) for deal in deals]))


def _look_alikes_line(look_alikes: list[tuple[int, int]], dry_run: bool) -> str:
    """New deals whose title and customer are a deal's here: the same deals under a key
    the file changed (a renamed or added column, a customer in other capitals), or new."""
    like = _("line {line} like deal {deal}")
    pairs = _first_ten([like.format(line=line, deal=deal) for line, deal in look_alikes])
    if dry_run:
        message = ngettext(
            "{count} new deal has the title of a deal here, and its customer or none "
            "({pairs}): if it is that deal under a key the file changed (a renamed or "
            "added column, a customer in other capitals), it would come in a second time.",
            "{count} new deals have the titles of deals here, and their customers or none "
            "({pairs}): if they are those deals under keys the file changed (a renamed or "
            "added column, a customer in other capitals), they would come in a second time.",
            len(look_alikes),
        )
    else:
        message = ngettext(
            "{count} new deal has the title of a deal here, and its customer or none "
            "({pairs}): if it is that deal under a key the file changed (a renamed or "
            "added column, a customer in other capitals), it came in a second time, and "
            "`salespipe undo` takes the import back.",
            "{count} new deals have the titles of deals here, and their customers or none "
            "({pairs}): if they are those deals under keys the file changed (a renamed or "
            "added column, a customer in other capitals), they came in a second time, and "
            "`salespipe undo` takes the import back.",
            len(look_alikes),
        )
    return message.format(count=len(look_alikes), pairs=pairs)


def _same_but_id_line(same: list[tuple[int, int]], dry_run: bool) -> str:
    """Rows the same as an earlier row of the file but for their id: records the file
    (or the other CRM) holds twice, imported as different deals."""
    like = _("line {line} like line {like}")
    pairs = _first_ten([like.format(line=line, like=earlier) for line, earlier in same])
    if dry_run:
        message = ngettext(
            "{count} row is the same as another row of the file but for its id ({pairs}): "
            "if the file holds its records twice, the import would bring them in twice.",
            "{count} rows are the same as other rows of the file but for their ids "
            "({pairs}): if the file holds its records twice, the import would bring them "
            "in twice.",
            len(same),
        )
    else:
        message = ngettext(
            "{count} row is the same as another row of the file but for its id ({pairs}): "
            "if the file holds its records twice, `salespipe undo` takes the import back.",
            "{count} rows are the same as other rows of the file but for their ids "
            "({pairs}): if the file holds its records twice, `salespipe undo` takes the "
            "import back.",
            len(same),
        )
    return message.format(count=len(same), pairs=pairs)


def _first_ten(names: list[str], separator: str = ", ") -> str:
    """A list of line numbers or ids as a report line names them: the first ten."""
    return separator.join(names[:10]) + (separator + "…" if len(names) > 10 else "")


def _lines_named(lines: list[str]) -> str:
    return ngettext("line {lines}", "lines {lines}", len(lines)).format(lines=_first_ten(lines))


def _short_rows_line(lines: list[int]) -> str:
    shown = _first_ten([str(line) for line in lines])
    return ngettext(
        "{count} row has fewer cells than the header (line {lines}): its last columns are "
        "read as empty. If a cell's text went on over a line without quotes, that line was "
        "read as a row of its own.",
        "{count} rows have fewer cells than the header (lines {lines}): their last columns "
        "are read as empty. If a cell's text went on over a line without quotes, that line "
        "was read as a row of its own.",
        len(lines),
    ).format(count=len(lines), lines=shown)


def _unread_count_line(count: int) -> str:
    return ngettext(
        "{count} column is not read; `--json` names it (unread_columns), and --column "
        "FIELD=HEADER reads it.",
        "{count} columns are not read; `--json` names them (unread_columns), and --column "
        "FIELD=HEADER reads one.",
        count,
    ).format(count=count)


def _left_out_lines(report: ImportReport) -> list[str]:
    """One line per kind of line of the file that holds no deal, with their numbers."""
    lines = []
    for kind in ("title", "group_title", "header", "footer"):
        numbers = [str(line) for line, of in report.left_out if of == kind]
        if numbers:
            shown = _first_ten(numbers)
            message = _left_out_message(kind, len(numbers))
            lines.append(message.format(count=len(numbers), lines=shown))
    return lines


def _left_out_message(kind: str, count: int) -> str:
    if kind == "footer":
        return ngettext(
            "Left out {count} total or footer row of a report (line {lines}).",
            "Left out {count} total or footer rows of a report (lines {lines}).",
            count,
        )
    if kind == "title":
        return ngettext(
            "Left out {count} title line above the header (line {lines}).",
            "Left out {count} title lines above the header (lines {lines}).",
            count,
        )
    if kind == "header":
        return ngettext(
            "Left out {count} row repeating the header (line {lines}).",
            "Left out {count} rows repeating the header (lines {lines}).",
            count,
        )
    return ngettext(
        "Left out {count} group title above a repeated header (line {lines}).",
        "Left out {count} group titles above a repeated header (lines {lines}).",
        count,
    )


def _nothing_imported_line(report: ImportReport, skipped: int) -> str:
    """Why an import brought in nothing: no rows, every row skipped, or nothing new."""
    if not report.rows:
        return _("The {format} file has no rows under its header: nothing was imported.").format(
            format=report.format
        )
    if skipped and not report.duplicates:
        return _(
            "Read {rows} of the {format} file: every one was skipped (see below), so "
            "nothing was imported."
        ).format(rows=_rows(report.rows), format=report.format)
    return _("Read {rows} of the {format} file: nothing new.").format(
        rows=_rows(report.rows), format=report.format
    )


def import_view(report: ImportReport) -> list[Part]:
    """What an import read, did (or would do) and skipped; the rows it skipped as
    warnings on stderr."""
    data = report.to_dict()
    if report.restored:
        return [_restore_line(report, data["imported"])]
    shown: list[Part] = []
    if report.not_restored is not None:
        shown.append(report.not_restored.said(report.database))
    if not data["imported"] and not report.new_stages:
        shown.append(_nothing_imported_line(report, data["skipped"]))
    if data["imported"] or report.new_stages:
        shown.append(_imported_line(report, data))
    if report.new_stages:
        shown.append(_new_stage_probabilities_line(report))
    if report.named_otherwise:
        shown.append(_named_otherwise_line(report))
    if report.own_probabilities:
        shown.append(_own_probabilities_line(report.own_probabilities))
    if report.duplicates:
        shown.append(_already_here_line(report.duplicates, report.duplicate_lines, report.update))
    if report.updates:
        shown.append(_updated_line(report.updates, report.dry_run))
    if report.dated_at_import:
        shown.append(_dated_at_import_line(report.dated_at_import, report.dry_run))
    if report.differing:
        shown.append(_differing_line(report.differing, report.update))
    if report.deleted_here:
        shown.append(Warned(_deleted_here_line(report.deleted_here)))
    if report.brought_back:
        shown.append(_brought_back_line(report.brought_back))
    if report.without_history:
        shown.append(Warned(_without_history_line(report.without_history, report.dry_run)))
    if report.guessed_encoding:
        shown.append(
            _(
                "Read as Thai Windows text ({encoding}), as it is not UTF-8; if it is in "
                "another encoding, name it with --encoding."
            ).format(encoding=report.guessed_encoding)
        )
    shown.extend(_left_out_lines(report))
    if report.renumbered:
        shown.append(_renumbered_line(report.renumbered))
    if report.look_alikes:
        shown.append(Warned(_look_alikes_line(report.look_alikes, report.dry_run)))
    if report.same_but_id:
        shown.append(Warned(_same_but_id_line(report.same_but_id, report.dry_run)))
    if report.short_rows:
        shown.append(_short_rows_line(report.short_rows))
    shown.extend(_filled_lines(report))
    if report.unread and report.unread_shown:
        shown.append(_unread_line(report.unread))
    elif report.unread:  # another CRM's export: many columns salespipe has no field for
        shown.append(_unread_count_line(len(report.unread)))
    if report.ids_not_read:
        shown.append(_ids_not_read_line(report.ids_not_read, report.format))
    for entry in report.unused_maps:
        label = entry.rpartition("=")[0]
        shown.append(
            Warned(
                _(
                    '--stage-map "{entry}": no row has the stage "{label}", so it mapped nothing.'
                ).format(entry=entry, label=label)
            )
        )
    for entry in report.unused_pipeline_maps:
        label = entry.rpartition("=")[0]
        shown.append(
            Warned(
                _(
                    '--pipeline-map "{entry}": no row has the pipeline "{label}", so it '
                    "mapped nothing."
                ).format(entry=entry, label=label)
            )
        )
    for problem in report.problems:
        shown.append(Warned(_("skipped {problem}").format(problem=problem.describe())))
    if report.dry_run:
        shown.append(_("Dry run: nothing was written."))
    elif report.change is not None:
        shown.append(_("`salespipe undo` takes the whole import back."))
    return shown


@dataclass(frozen=True)
class NothingCopied:
    """``copy --replace`` answered "no" at its question."""

    target: str

    def to_dict(self) -> dict[str, object]:
        return {"copied": None}


def nothing_copied_view(result: NothingCopied) -> str:
    return _("Nothing was copied; {target} is as it was.").format(target=result.target)


def replace_question(source: Held, target: Held) -> str:
    """The question before ``copy --replace`` puts ``source`` in place of ``target``."""
    return _("Replace {target} ({target_deals}, {target_events}) with {source} ({deals})?").format(
        target=target.location,
        target_deals=_counted("deals", target.deals),
        target_events=_counted("events", target.events),
        source=source.location,
        deals=_counted("deals", source.deals),
    )


def copy_view(report: CopyReport) -> str | list[Part]:
    """One sentence: what was copied where; and where what it replaced is kept."""
    copied = _copied(report)
    if report.kept is None:
        return copied
    return [
        copied,
        _(
            "What {target} held ({deals}, {events}) is kept in {file}; to put it back, "
            "restore that into a new file (salespipe --db NEW.json import {file}), then "
            "salespipe copy NEW.json {target} --replace."
        ).format(
            target=report.target,
            deals=_counted("deals", report.kept.deals),
            events=_counted("events", report.kept.events),
            file=report.kept.file,
        ),
    ]


def _copied(report: CopyReport) -> str:
    if report.replaced:
        message = _(
            "Copied {source} into {target} in place of what it held: {deals}, {events}, "
            "{stages}, with their ids, history and undo list as they were."
        )
    else:
        message = _(
            "Copied {source} into {target}: {deals}, {events}, {stages}, with their ids, "
            "history and undo list as they were."
        )
    return message.format(
        source=report.source,
        target=report.target,
        deals=_counted("deals", report.deals),
        events=_counted("events", report.events),
        stages=_counted("stages", report.stages),
    )
