"""Which program wrote a CSV file, and which of its columns hold which deal field.

A file is recognised by its header: salespipe's own export, Pipedrive's deals export
(plain, ``Deal - `` prefixed, or with a translated prefix such as ``Affaire - ``),
HubSpot's deals export, and Salesforce opportunities (an API dump such as
``sf data export`` or automig writes, or a report exported as "Details only").
Headers are compared case-insensitively, with ``_`` read as a space.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import _

# Our own CSV header, in order (README "The CSV header" documents each column).
CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "title",
    "customer",
    "contact",
    "value",
    "currency",
    "stage",
    "stage_name",
    "status",
    "owner",
    "probability",
    "expected_close",
    "next_action",
    "next_action_due",
    "tags",
    "created_at",
    "updated_at",
    "stage_entered_at",
    "closed_at",
    "lost_reason",
    "quote_amount",
    "quote_valid_until",
    "quote_sent_at",
    "quote_note",
    "source",
)

# The fields a row can give, whatever program wrote it.
FIELDS: tuple[str, ...] = (
    "id",
    "source_id",
    "title",
    "customer",
    "contact",
    "owner",
    "value",
    "currency",
    "stage",
    "status",
    "is_closed",
    "is_won",
    "is_deleted",
    "probability",
    "expected_close",
    "close_date",
    "created_at",
    "updated_at",
    "stage_entered_at",
    "won_at",
    "lost_at",
    "closed_at",
    "lost_reason",
    "tags",
    "next_action",
    "next_action_due",
    "quote_amount",
    "quote_valid_until",
    "quote_sent_at",
    "quote_note",
    "source",
    "description",
    "next_step",
)


def normalise(header: str) -> str:
    """The form headers are compared in: NFC, case-folded, ``_`` as space, one space."""
    text = unicodedata.normalize("NFC", header).replace("\ufeff", "").replace("_", " ")
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class CrmFormat:
    name: str
    label: str
    source_prefix: str
    aliases: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...] = ()

    def recognises(self, headers: set[str]) -> bool:
        return all(any(a in headers for a in self.aliases[f]) for f in self.required)


def _aliases(**fields: str) -> dict[str, tuple[str, ...]]:
    """Aliases written as ``field="alias one|alias two"``, normalised."""
    return {name: tuple(normalise(a) for a in spec.split("|")) for name, spec in fields.items()}


SALESPIPE = CrmFormat(
    name="salespipe",
    label="salespipe CSV",
    source_prefix="csv",
    aliases={column: (normalise(column),) for column in CSV_COLUMNS},
    required=("title",),
)

# Pipedrive, after its "Deal - " (or translated) prefix is taken off. English first, then
# the Czech, French, German, Portuguese and Spanish names seen in exports.
PIPEDRIVE = CrmFormat(
    name="pipedrive",
    label="Pipedrive",
    source_prefix="pipedrive",
    aliases=_aliases(
        source_id="id|deal id",
        title="title|deal title|název|titre|titel|título|titolo",
        value="value|deal value|hodnota|valeur|wert|valor|valore",
        currency="currency of value|currency|value currency|měna hodnoty|devise de la valeur"
        "|devise|währung des werts|währung|moeda de valor|moeda do valor|moneda del valor",
        customer="organization|organisation|organization name|organizace|organisation nom"
        "|organização|organización",
        contact="contact person|person|contact|kontaktní osoba|personne à contacter"
        "|kontaktperson|pessoa de contato|persona de contacto",
        owner="owner|owner name|deal owner|user|vlastník|propriétaire|besitzer|proprietário"
        "|propietario",
        stage="stage|stage (pipeline)|fáze|étape|phase|etapa|fase",
        status="status|stav|statut|estado|stato",
        created_at="deal created|creation date|add time|created|deal creation date"
        "|vytvořeno|affaire créée|date de création|erstellt am|negócio criado|data de criação",
        updated_at="update time|last updated|aktualizováno|heure de mise à jour"
        "|hora de atualização",
        stage_entered_at="last stage change|stage change time|poslední změna fáze"
        "|dernier changement d'étape|última mudança de etapa",
        won_at="won time|date de gain|datum výhry|gewonnen am|data de ganho",
        lost_at="lost time|heure de l'échec|datum prohry|verloren am|data de perda",
        closed_at="deal closed on|closed on|close time|date de clôture",
        lost_reason="lost reason|důvod prohry|raison de la perte|raison de perte|verlustgrund"
        "|motivo da perda|motivo de pérdida",
        expected_close="expected close date|očekávané datum uzavření|date de clôture prévue"
        "|erwartetes abschlussdatum|data de fechamento esperada|fecha de cierre prevista",
        probability="probability|pravděpodobnost|probabilité|wahrscheinlichkeit|probabilidade"
        "|probabilidad",
        tags="label|labels|štítek|étiquette|etiqueta",
    ),
    required=("title",),
)

HUBSPOT = CrmFormat(
    name="hubspot",
    label="HubSpot",
    source_prefix="hubspot",
    aliases=_aliases(
        source_id="record id|deal id|hs object id",
        title="deal name|dealname",
        stage="deal stage|dealstage",
        close_date="close date|closedate",
        owner="deal owner|hubspot owner|deal owner name|owner",
        value="amount",
        currency="currency|deal currency code",
        created_at="create date|createdate",
        updated_at="last modified date",
        stage_entered_at="date entered current stage",
        lost_reason="closed lost reason",
        customer="associated company|associated company (primary)|company name|company",
        contact="associated contact|associated contact (primary)|contact name",
        probability="deal probability",
        description="deal description|description",
        next_step="next step",
    ),
    required=("title", "stage"),
)

SALESFORCE = CrmFormat(
    name="salesforce",
    label="Salesforce",
    source_prefix="salesforce",
    aliases=_aliases(
        source_id="id",
        title="name",
        stage="stagename",
        value="amount",
        probability="probability",
        close_date="closedate",
        is_closed="isclosed",
        is_won="iswon",
        is_deleted="isdeleted",
        created_at="createddate",
        updated_at="lastmodifieddate",
        stage_entered_at="laststagechangedate",
        owner="owner.name|ownername|ownerid",
        customer="account.name|accountname|accountid",
        contact="contact.name|contactid",
        currency="currencyisocode",
        description="description",
        next_step="nextstep",
    ),
    required=("title", "stage"),
)

SALESFORCE_REPORT = CrmFormat(
    name="salesforce-report",
    label="Salesforce report",
    source_prefix="salesforce",
    aliases=_aliases(
        source_id="opportunity id|opportunity id (18)|record id",
        title="opportunity name",
        stage="stage",
        value="amount|total amount",
        currency="amount currency|opportunity currency|currency",
        probability="probability (%)|probability",
        close_date="close date",
        is_closed="closed",
        is_won="won",
        created_at="created date|create date",
        updated_at="last modified date",
        stage_entered_at="last stage change date",
        owner="opportunity owner|owner|owner name",
        customer="account name|account",
        contact="contact|primary contact|contact name",
        description="description",
        next_step="next step",
    ),
    required=("title", "stage"),
)

FORMATS: tuple[CrmFormat, ...] = (SALESFORCE, SALESFORCE_REPORT, HUBSPOT, PIPEDRIVE, SALESPIPE)
BY_NAME = {f.name: f for f in FORMATS}
_KNOWN_OURS = {normalise(c) for c in CSV_COLUMNS} | {
    "weighted value",
    "days in stage",
    "probability override",
}
_PREFIX = re.compile(r"^(?P<prefix>[^-]{2,30}?) - (?P<rest>.+)$")


def strip_dominant_prefix(headers: Sequence[str]) -> tuple[list[str], str | None]:
    """Take off a prefix that most headers share, as Pipedrive writes ``Deal - Title``."""
    prefixes = Counter(
        m["prefix"].strip() for h in headers if (m := _PREFIX.match(h.strip())) is not None
    )
    if not prefixes:
        return list(headers), None
    prefix, count = prefixes.most_common(1)[0]
    if count < 2 or count * 2 < len(headers):
        return list(headers), None
    marker = f"{prefix} - "
    return [h.strip().removeprefix(marker) for h in headers], prefix


@dataclass
class Layout:
    """One file's format and the column that holds each field."""

    format: CrmFormat
    header: list[str]
    columns: dict[str, int] = field(default_factory=dict)
    prefix: str | None = None

    def cell(self, cells: Sequence[str], name: str) -> str:
        index = self.columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return cells[index]

    def has(self, name: str) -> bool:
        return name in self.columns

    def column_name(self, name: str) -> str:
        index = self.columns.get(name)
        return self.header[index] if index is not None else name


def _locate(fmt: CrmFormat, normalised: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for name, aliases in fmt.aliases.items():
        for alias in aliases:
            if alias in normalised:
                columns[name] = normalised.index(alias)
                break
    return columns


def recognise(
    header: Sequence[str], *, chosen: str | None = None, extra: Mapping[str, str] | None = None
) -> Layout:
    """The layout of a file from its header; ``extra`` maps fields to headers by hand."""
    stripped, prefix = strip_dominant_prefix(header)
    normalised = [normalise(h) for h in stripped]
    present = set(normalised)
    fmt = BY_NAME[chosen] if chosen else _guess(present, prefix)
    if fmt is None and extra:
        fmt = SALESPIPE
    if fmt is None:
        shown = ", ".join(h for h in header[:8] if h) + (", …" if len(header) > 8 else "")
        raise InvalidValue(
            _(
                "The file's header ({header}) is not one salespipe knows: use salespipe's CSV "
                "(at least a title column), or a deals export of Pipedrive, HubSpot or "
                "Salesforce; or name the columns with --column title=HEADER."
            ).format(header=shown)
        )
    layout = Layout(format=fmt, header=list(header), prefix=prefix)
    layout.columns = _locate(fmt, normalised)
    for name, wanted in (extra or {}).items():
        _map_by_hand(layout, name, wanted, normalised)
    if "title" not in layout.columns:
        raise InvalidValue(
            _("The {format} file has no title column; name it with --column title=HEADER.").format(
                format=fmt.label
            )
        )
    return layout


def _map_by_hand(layout: Layout, name: str, wanted: str, normalised: list[str]) -> None:
    if name not in FIELDS:
        raise InvalidValue(
            _('--column names the field "{name}", which is not one of {fields}.').format(
                name=name, fields=", ".join(FIELDS)
            )
        )
    key = normalise(wanted)
    by_raw = [normalise(h) for h in layout.header]
    for candidates in (by_raw, normalised):
        if key in candidates:
            layout.columns[name] = candidates.index(key)
            return
    raise InvalidValue(
        _('--column {name}={header}: the file has no column "{header}".').format(
            name=name, header=wanted
        )
    )


def _guess(present: set[str], prefix: str | None) -> CrmFormat | None:
    if prefix is None and "title" in present and present <= _KNOWN_OURS:
        return SALESPIPE
    for fmt in (SALESFORCE, SALESFORCE_REPORT, HUBSPOT):
        if fmt.recognises(present):
            return fmt
    if PIPEDRIVE.recognises(present):
        distinctive = _locate(PIPEDRIVE, sorted(present)).keys() & {
            "stage",
            "status",
            "currency",
            "customer",
            "created_at",
            "won_at",
        }
        if prefix or distinctive:
            return PIPEDRIVE
    return None
