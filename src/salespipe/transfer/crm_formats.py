"""Which program wrote a CSV file, and which of its columns hold which deal field.

A file is recognised by its header: salespipe's own export, Pipedrive's deals export
(plain, ``Deal - `` prefixed, or with a translated prefix such as ``Affaire - ``),
HubSpot's deals export, Salesforce opportunities (an API dump such as
``sf data export`` or automig writes, or a report exported as "Details only"), Zoho
CRM deals (potentials), Microsoft Dynamics 365 opportunity views, Odoo ``crm.lead``
(import-compatible, or with the fields' labels) and Bitrix24 deals. Headers are compared
case-insensitively, with ``_`` read as a space.

Each CRM also brings what it knows about stages: its default stages in order with their
probabilities (``--create-stages`` creates them so), the ids it writes for them, and the
labels that close a deal.
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
    "active",
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
    "stage_name",
    "pipeline",
)

# Stage labels that mean the deal is closed, as CRMs name their closing stages.
_WON_LABELS = (
    "won|closed won|closed: won|closedwon|closed-won|closed - won|deal won|"
    "сделка успешна|ganho|ganado|gagné|gewonnen|ปิดได้|ปิดการขายได้"
)
_LOST_LABELS = (
    "lost|closed lost|closed: lost|closedlost|closed-lost|closed - lost|deal lost|lose|"
    "closed-lost to competition|closed lost to competition|analyse failure|analyze failure|"
    "apology|сделка провалена|анализ причины провала|perdido|perdu|verloren|หลุด|ปิดไม่ได้"
)
CLOSING_LABELS: dict[str, str] = {
    **dict.fromkeys(_WON_LABELS.split("|"), "won"),
    **dict.fromkeys(_LOST_LABELS.split("|"), "lost"),
}


def closing_status(label: str) -> str | None:
    """ "won" or "lost" for a label that closes a deal in some CRM, else None."""
    return CLOSING_LABELS.get(" ".join(unicodedata.normalize("NFC", label).casefold().split()))


def normalise(header: str) -> str:
    """The form headers are compared in: NFC, case-folded, ``_`` as space, one space."""
    text = unicodedata.normalize("NFC", header).replace("\ufeff", "").replace("_", " ")
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class DefaultStage:
    name: str
    probability: int | None
    # A backup's stage, as it had it: the label of its pipeline (as its rows name it)
    # and its settings; a CRM's default stages are of any pipeline (None).
    pipeline: str | None = None
    target_days: int | None = None
    guide: str = ""


@dataclass(frozen=True)
class CrmFormat:
    name: str
    label: str
    source_prefix: str
    aliases: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...] = ()
    # The CRM's own open stages, in its order; probabilities where it sets them.
    default_stages: tuple[DefaultStage, ...] = ()
    # The names (case-folded) the CRM gives its own first pipeline: rows in it go into the
    # pipeline the file is imported into, unless a pipeline of that name is here.
    default_pipelines: tuple[str, ...] = ()
    # Stage ids the CRM writes instead of names (case-folded) -> its default name.
    stage_names: Mapping[str, str] = field(default_factory=dict)
    # Fields of which the header must have one too, where the required headers are words
    # any sheet may have ("Opportunity", "Stage").
    telling: tuple[str, ...] = ()
    # The CRM writes descriptions as HTML (Odoo's editor): they are read as their text.
    html_descriptions: bool = False
    # Columns of record ids, by the field whose name they stand for (Salesforce's
    # OwnerId): not read as that field, but named (Layout.ids_not_read). Read as the
    # owner, a rep's deals were an id's, out of `list --owner NAME` and reports by owner.
    id_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def recognises(self, headers: set[str]) -> bool:
        return all(self._has(headers, f) for f in self.required) and (
            not self.telling or any(self._has(headers, f) for f in self.telling)
        )

    def _has(self, headers: set[str], name: str) -> bool:
        return any(a in headers for a in self.aliases[name])


def _stages(spec: str) -> tuple[DefaultStage, ...]:
    """Default stages written as ``"Name:10|Other:20"`` (no number: the CRM sets none)."""
    stages = []
    for part in spec.split("|"):
        name, _sep, number = part.rpartition(":") if ":" in part else (part, "", "")
        stages.append(DefaultStage(name, int(number) if number else None))
    return tuple(stages)


def _aliases(**fields: str) -> dict[str, tuple[str, ...]]:
    """Aliases written as ``field="alias one|alias two"``, normalised."""
    return {name: tuple(normalise(a) for a in spec.split("|")) for name, spec in fields.items()}


SALESPIPE = CrmFormat(
    name="salespipe",
    label="salespipe CSV",
    source_prefix="csv",
    aliases={
        **{column: (normalise(column),) for column in (*CSV_COLUMNS, "pipeline")},
        # A sheet of the user's own, headed in our words, may have a column of notes.
        **_aliases(description="description|notes|note|comments|comment"),
    },
    required=("title",),
)

# The headers Thai sheets give the fields: a sheet so headed is read as one named with
# --column (its "close date" is the expected close of an open deal and the close of a
# closed one, as a CRM's "Close Date" is).
THAI_HEADERS = _aliases(
    title="ชื่อดีล|ดีล|ชื่อโครงการ|โครงการ|ชื่องาน|หัวข้อ|ชื่อโอกาสการขาย|โอกาสการขาย",
    customer="ลูกค้า|ชื่อลูกค้า|บริษัท|ชื่อบริษัท|บริษัทลูกค้า|องค์กร|หน่วยงาน",
    contact="ผู้ติดต่อ|ชื่อผู้ติดต่อ",
    value="มูลค่า|มูลค่าดีล|มูลค่า (บาท)|มูลค่า(บาท)|มูลค่าโครงการ|ยอดเงิน|จำนวนเงิน|ยอดขาย",
    currency="สกุลเงิน",
    stage="ขั้นตอน|ขั้นตอนการขาย|ขั้น|สถานะการขาย",
    status="สถานะ|ผลลัพธ์",
    owner="ผู้รับผิดชอบ|เจ้าของ|เจ้าของดีล|พนักงานขาย|เซลส์|ผู้ดูแล",
    probability="โอกาสสำเร็จ|โอกาสสำเร็จ (%)|โอกาส (%)|โอกาส(%)|ความน่าจะเป็น|ความน่าจะเป็น (%)",
    expected_close="วันที่คาดว่าจะปิด|คาดว่าจะปิด|วันที่คาดว่าจะปิดการขาย",
    close_date="วันปิดการขาย|วันที่ปิดการขาย|กำหนดปิด|กำหนดปิดการขาย",
    closed_at="วันที่ปิด|ปิดเมื่อ",  # (วันที่ปิด alone: see _thai_close_date)
    created_at="วันที่สร้าง|วันที่เพิ่ม|วันที่เริ่ม",
    lost_reason="เหตุผลที่แพ้|เหตุผลที่ไม่ได้|สาเหตุที่แพ้|เหตุผลที่หลุด",
    tags="แท็ก|ป้ายกำกับ",
    description="หมายเหตุ|รายละเอียด|บันทึก",
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
        "|vytvořeno|affaire créée|date de création|erstellt am|deal erstellt|negócio criado"
        "|data de criação",
        updated_at="update time|last updated|aktualizováno|heure de mise à jour"
        "|aktualisiert am|hora de atualização",
        stage_entered_at="last stage change|stage change time|poslední změna fáze"
        "|dernier changement d'étape|última mudança de etapa",
        won_at="won time|date de gain|datum výhry|gewonnen am|data de ganho",
        lost_at="lost time|heure de l'échec|datum prohry|verloren am|data de perda",
        closed_at="deal closed on|closed on|close time|date de clôture|deal geschlossen am"
        "|geschlossen am",
        lost_reason="lost reason|důvod prohry|raison de la perte|raison de perte|verlustgrund"
        "|motivo da perda|motivo de pérdida",
        expected_close="expected close date|očekávané datum uzavření|date de clôture prévue"
        "|erwartetes abschlussdatum|data de fechamento esperada|fecha de cierre prevista",
        probability="probability|pravděpodobnost|probabilité|wahrscheinlichkeit|probabilidade"
        "|probabilidad",
        tags="label|labels|štítek|étiquette|etiqueta",
        pipeline="pipeline",
    ),
    required=("title",),
    default_pipelines=("pipeline",),
    default_stages=_stages(
        "Lead In|Qualified|Contact Made|Demo Scheduled|Needs Defined|Proposal Made"
        "|Negotiations Started"
    ),
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
        pipeline="pipeline",
    ),
    required=("title", "stage"),
    default_pipelines=("sales pipeline", "default"),
    default_stages=_stages(
        "Appointment Scheduled:20|Qualified To Buy:40|Presentation Scheduled:60"
        "|Decision Maker Bought-In:80|Contract Sent:90"
    ),
    stage_names={
        "appointmentscheduled": "Appointment Scheduled",
        "qualifiedtobuy": "Qualified To Buy",
        "presentationscheduled": "Presentation Scheduled",
        "decisionmakerboughtin": "Decision Maker Bought-In",
        "contractsent": "Contract Sent",
        "closedwon": "Closed Won",
        "closedlost": "Closed Lost",
    },
)

_SALESFORCE_STAGES = _stages(
    "Prospecting:10|Qualification:10|Needs Analysis:20|Value Proposition:50"
    "|Id. Decision Makers:60|Perception Analysis:70|Proposal/Price Quote:75"
    "|Negotiation/Review:90"
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
        owner="owner.name|ownername",
        customer="account.name|accountname",
        contact="contact.name",
        currency="currencyisocode",
        description="description",
        next_step="nextstep",
    ),
    required=("title", "stage"),
    default_stages=_SALESFORCE_STAGES,
    id_columns=_aliases(customer="accountid", owner="ownerid", contact="contactid"),
)

SALESFORCE_REPORT = CrmFormat(
    name="salesforce-report",
    label="Salesforce report",
    source_prefix="salesforce",
    aliases=_aliases(
        source_id="opportunity id|opportunity id (18)|record id",
        title="opportunity name",
        stage="stage",
        # A products report repeats the deal's Amount on each of its lines: each line's
        # Total Price is what is added up into the deal (they sum to its Amount).
        value="total price|amount|total amount",
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
    default_stages=_SALESFORCE_STAGES,
)

ZOHO = CrmFormat(
    name="zoho",
    label="Zoho CRM",
    source_prefix="zoho",
    aliases=_aliases(
        source_id="record id|deal id|potential id|id",
        title="deal name|potential name",
        owner="deal owner|potential owner|owner",
        customer="account name|account",
        contact="contact name|contact",
        value="amount",
        currency="currency",
        stage="stage",
        probability="probability (%)|probability",
        close_date="closing date|close date",
        created_at="created time|created date",
        updated_at="modified time|last activity time",
        lost_reason="reason for loss|reason for lost",
        description="description",
        next_step="next step",
        tags="tag|tags",
    ),
    required=("title", "stage"),
    default_stages=_stages(
        "Qualification:10|Needs Analysis:20|Value Proposition:40|Id. Decision Makers:60"
        "|Identify Decision Makers:60|Proposal/Price Quote:75|Negotiation/Review:90"
    ),
)

DYNAMICS = CrmFormat(
    name="dynamics",
    label="Dynamics 365",
    source_prefix="dynamics",
    aliases=_aliases(
        source_id="(do not modify) opportunity|opportunity id|opportunityid",
        title="topic",
        customer="potential customer|account|account name",
        contact="contact",
        owner="owner",
        status="status",
        lost_reason="status reason",
        value="est. revenue|estimated revenue|actual revenue",
        currency="currency",
        expected_close="est. close date|estimated close date",
        closed_at="actual close date",
        created_at="created on",
        updated_at="modified on|(do not modify) modified on",
        stage="sales stage|pipeline phase",
        probability="probability",
        description="description",
    ),
    required=("title", "status"),
    default_stages=_stages("Qualify|Develop|Propose|Close"),
)

ODOO = CrmFormat(
    name="odoo",
    label="Odoo",
    source_prefix="odoo",
    html_descriptions=True,
    aliases=_aliases(
        source_id="id",
        title="name",
        customer="partner_name|partner_id|partner_id/name|customer",
        contact="contact_name|partner_id/display_name",
        owner="user_id|user_id/name",
        stage="stage_id|stage_id/name|stage_id/id",
        value="expected_revenue|planned_revenue",
        currency="company_currency|currency_id",
        probability="probability",
        expected_close="date_deadline",
        created_at="create_date",
        updated_at="write_date",
        closed_at="date_closed",
        active="active",
        lost_reason="lost_reason_id|lost_reason",
        description="description",
        tags="tag_ids",
    ),
    required=("title", "stage"),
    default_stages=_stages("New:10|Qualified:30|Proposition:70"),
    # A many2one's external id (``base.user_admin``), which the import-compatible export
    # writes under ``/id`` where that sub-field is chosen: the field itself is the name.
    id_columns=_aliases(owner="user_id/id", customer="partner_id/id"),
    stage_names={
        "crm.stage_lead1": "New",
        "crm.stage_lead2": "Qualified",
        "crm.stage_lead3": "Proposition",
        "crm.stage_lead4": "Won",
    },
)

# Odoo's export with field labels ("I want to update data (import-compatible export)" not
# ticked): the labels of crm.lead's fields, the names of stages and people.
ODOO_LABELS = CrmFormat(
    name="odoo-labels",
    label="Odoo",
    source_prefix="odoo",
    html_descriptions=True,
    aliases=_aliases(
        source_id="id",
        title="opportunity",
        customer="customer|company name",
        contact="contact name",
        owner="salesperson",
        stage="stage",
        value="expected revenue",
        currency="currency",
        probability="probability",
        expected_close="expected closing",
        created_at="created on",
        updated_at="last updated on",
        closed_at="closed date",
        active="active",
        lost_reason="lost reason",
        description="notes|internal notes",
        tags="tags",
    ),
    required=("title", "stage"),
    telling=("owner", "value", "expected_close"),
    default_stages=ODOO.default_stages,
)

BITRIX24 = CrmFormat(
    name="bitrix24",
    label="Bitrix24",
    source_prefix="bitrix24",
    aliases=_aliases(
        source_id="id",
        title="title",
        stage="stage_id|stage",
        owner="assigned_by_name|responsible|assigned_by",
        value="opportunity",
        currency="currency_id",
        probability="probability",
        close_date="closedate",
        created_at="date_create|begindate",
        updated_at="date_modify",
        is_closed="closed",
        # BI Builder's crm_deal names them so beside their ids (its COMPANY and CONTACT
        # hold the id and the name together, and are not read).
        customer="company_name|company_title",
        contact="contact_name|contact_full_name",
        description="comments",
    ),
    required=("title", "stage", "is_closed"),
    # The REST field list's and BI Builder's ids of the company, contact and responsible.
    id_columns=_aliases(
        owner="assigned_by_id", customer="company_id", contact="contact_id|contact_ids"
    ),
    default_stages=_stages("New|Preparing documents|Prepayment invoice|In progress|Final invoice"),
    stage_names={
        "new": "New",
        "preparation": "Preparing documents",
        "prepayment_invoice": "Prepayment invoice",
        "executing": "In progress",
        "final_invoice": "Final invoice",
        "won": "Deal won",
        "lose": "Deal lost",
        "apology": "Analyze failure",
    },
)

# The formats a header is tried against, in this order, before Pipedrive's (whose few
# required columns other exports also have) and salespipe's own.
_BY_THEIR_HEADERS: tuple[CrmFormat, ...] = (
    SALESFORCE,
    SALESFORCE_REPORT,
    HUBSPOT,
    ZOHO,
    DYNAMICS,
    BITRIX24,
    ODOO,
    ODOO_LABELS,
)
FORMATS: tuple[CrmFormat, ...] = (*_BY_THEIR_HEADERS, PIPEDRIVE, SALESPIPE)
BY_NAME = {f.name: f for f in FORMATS}
_KNOWN_OURS = {normalise(c) for c in CSV_COLUMNS} | {
    "weighted value",
    "days in stage",
    "probability override",
}
_OUR_PIPELINE = {"pipeline"}
# How a line item's own amount is headed, spaces left out: Salesforce's "Total Price"
# (``TotalPrice`` in an API dump, "Total Price (converted)" in a report), a "Line Total".
_LINE_AMOUNTS = ("totalprice", "linetotal", "lineamount", "lineitemamount")
_PREFIX = re.compile(r"^(?P<prefix>[^-]{2,30}?) - (?P<rest>.+)$")


def strip_dominant_prefix(headers: Sequence[str]) -> tuple[list[str], str | None]:
    """Take off the prefix Pipedrive writes before the deal's fields (``Deal - Title``).

    It is the prefix of at least two headers under which most of the deal's own fields
    are (title, value, stage, status…): an export with the organization's or person's
    fields too may have more of theirs (``Organization - Address``), and a sheet of one's
    own may have two columns of one prefix (``Contact - Name``, ``Contact - Title``),
    which are no deal's. Failing that, a prefix most headers share with the deal's title
    under it (``Deal - Title``, ``Deal - Owner``)."""
    prefixes = Counter(
        m["prefix"].strip() for h in headers if (m := _PREFIX.match(h.strip())) is not None
    )
    best: tuple[int, int, str, list[str]] | None = None
    for prefix, count in prefixes.items():
        if count < 2:
            continue
        marker = f"{prefix} - "
        stripped = [h.strip().removeprefix(marker) for h in headers]
        under = {normalise(s) for h, s in zip(headers, stripped, strict=True) if h.strip() != s}
        deals = sum(1 for aliases in _DEAL_OWN.values() if under & aliases)
        titled = bool(under & _DEAL_OWN["title"])
        the_deals = deals >= 2 or (titled and count * 2 >= len(headers))
        if the_deals and (best is None or (deals, count) > best[:2]):
            best = (deals, count, prefix, stripped)
    if best is None:
        return list(headers), None
    return best[3], best[2]


# Pipedrive's names of the fields only a deal has (an organization or a person has an
# owner and a name too), by field.
_DEAL_OWN_FIELDS = (
    "title",
    "value",
    "currency",
    "stage",
    "status",
    "probability",
    "won_at",
    "lost_at",
    "lost_reason",
    "expected_close",
    "stage_entered_at",
)
_DEAL_OWN = {name: set(PIPEDRIVE.aliases[name]) for name in _DEAL_OWN_FIELDS}


@dataclass
class Layout:
    """One file's format and the column that holds each field."""

    format: CrmFormat
    header: list[str]
    columns: dict[str, int] = field(default_factory=dict)
    prefix: str | None = None
    ignored: set[int] = field(default_factory=set)  # by --ignore
    by_hand: bool = False  # a header no program writes, read as --column names it
    by_position: bool = False  # no header row: columns named by number
    # Fields a CRM's file gives under salespipe's own name (_add_our_own_names): left out
    # of a row's fingerprint, which they were not in before they were read.
    by_our_names: set[str] = field(default_factory=set)
    # Fields left unread whose column holds only record ids (CrmFormat.id_columns), by
    # field: the header of that column.
    ids_not_read: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """What the file is called in the report: a sheet read by hand is "CSV", and so
        is one headed in salespipe's words that salespipe's export did not write (a
        hand-made "Title,Customer,Value,Stage" was called "the salespipe CSV file")."""
        if self.by_hand or (self.format is SALESPIPE and not self._exported_by_salespipe()):
            return "CSV"
        return self.format.label

    def _exported_by_salespipe(self) -> bool:
        """Whether the file has the columns only salespipe's export writes: each deal's
        id, and its stage's key beside the stage's name."""
        return {"id", "stage", "stage_name"} <= self.columns.keys()

    def unread(self) -> list[str]:
        """The headers of the columns no field reads and no --ignore names, in file order
        (without a header row: their numbers)."""
        read = set(self.columns.values()) | self.ignored
        return [
            header.strip() if not self.by_position else str(index + 1)
            for index, header in enumerate(self.header)
            if index not in read and (header.strip() or self.by_position)
        ]

    @property
    def values_per_line(self) -> bool:
        """Whether the value column holds each line item's own amount (a products
        report's Total Price), which add up to the deal's, rather than the deal's whole
        value, which such a report repeats on every line."""
        index = self.columns.get("value")
        if index is None:
            return False
        compact = normalise(self.header[index]).replace(" ", "")
        return compact.startswith(_LINE_AMOUNTS)

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


def _locate(aliases_of: Mapping[str, tuple[str, ...]], normalised: list[str]) -> dict[str, int]:
    """The column of each field, by the first of its aliases the header has."""
    columns: dict[str, int] = {}
    for name, aliases in aliases_of.items():
        for alias in aliases:
            if alias in normalised:
                columns[name] = normalised.index(alias)
                break
    return columns


# Fields a sheet of a CRM's shape may still name as salespipe's CSV does ("Customer" in
# what reads as a Pipedrive file, whose own name for it is "Organization"; "Notes" in one
# of a CRM that exports none). Not "source" nor "id": a CRM's Source ("Web") or ID would
# be taken for salespipe's own keys.
_OUR_NAMES_TOO = ("title", "customer", "contact", "owner", "currency", "tags", "description")


# The organization's and the person's name in a Pipedrive export with their fields, each
# under its own prefix ("Organization - Name" beside "Deal - Title"), in the languages of
# PIPEDRIVE's aliases.
_PIPEDRIVE_RELATED = _aliases(
    customer="organization - name|organisation - name|organisation - nom|organizace - název"
    "|organização - nome|organización - nombre|organizzazione - nome",
    contact="person - name|personne - nom|osoba - jméno|pessoa - nome|persona - nombre"
    "|persona - nome",
)


def _add_our_own_names(layout: Layout, normalised: list[str]) -> None:
    """Read a column the format does not read whose header is salespipe's own name for a
    field the format found no column of (or, in a Pipedrive export, the organization's or
    person's name): it was dropped, said only in a count. Such a column is left out of a
    row's fingerprint, so that a file imported before it was read is still known."""
    used = set(layout.columns.values())
    ours = _locate({f: SALESPIPE.aliases[f] for f in _OUR_NAMES_TOO}, normalised)
    if layout.format is PIPEDRIVE:
        ours = {**_locate(_PIPEDRIVE_RELATED, normalised), **ours}
    for name, index in ours.items():
        if name not in layout.columns and index not in used:
            layout.columns[name] = index
            layout.by_our_names.add(name)
            used.add(index)


_THAI_CLOSE_DAY = normalise("วันที่ปิด")


def _thai_close_date(columns: dict[str, int], normalised: list[str]) -> dict[str, int]:
    """A Thai sheet's "วันที่ปิด" is the day a deal closed beside a column of the day it
    should close; alone, it is that day too (an open deal's expected close), as a CRM's
    Close Date is: read as the day closed only, an open deal's date was dropped."""
    at = columns.get("closed_at")
    if at is None or normalised[at] != _THAI_CLOSE_DAY:
        return columns
    if "close_date" in columns or "expected_close" in columns:
        return columns
    kept = {name: index for name, index in columns.items() if name != "closed_at"}
    return {**kept, "close_date": at}


def recognise(
    header: Sequence[str],
    *,
    chosen: str | None = None,
    extra: Mapping[str, str] | None = None,
    ignore: Sequence[str] = (),
    by_position: bool = False,
) -> Layout:
    """The layout of a file from its header.

    ``extra`` maps fields to headers (or 1-based column numbers) by hand, overriding
    what the recogniser picked; an empty header means "do not read that field".
    ``ignore`` names columns not to read at all.
    """
    stripped, prefix = strip_dominant_prefix(header)
    normalised = [normalise(h) for h in stripped]
    present = set(normalised)
    fmt = BY_NAME[chosen] if chosen else (None if by_position else _guess(present, prefix))
    by_hand = fmt is None and (bool(extra) or _is_thai_sheet(normalised))
    if by_hand:
        fmt = SALESPIPE
    if fmt is None and by_position:
        raise InvalidValue(
            _("A file without a header row needs its columns named by number: --column title=N.")
        )
    if fmt is None and len([h for h in header if h.strip()]) == 1:
        raise InvalidValue(
            _(
                'The file\'s first line has a single cell ("{cell}"): if it is a title above '
                "the header row (as board exports write), name the header's columns with "
                "--column (title=HEADER at least) and up to three such lines above it are left "
                "out, or delete them; a file with one column names it with --column "
                "title=HEADER."
            ).format(cell=next(h.strip() for h in header if h.strip()))
        )
    if fmt is None:
        shown = ", ".join(h for h in header[:8] if h) + (", …" if len(header) > 8 else "")
        raise InvalidValue(
            _(
                "The file's header ({header}) is not one salespipe knows: use salespipe's CSV "
                "(at least a title column), or a deals export of Pipedrive, HubSpot, "
                "Salesforce, Zoho CRM, Dynamics 365, Odoo or Bitrix24; or name the columns "
                "with --column title=HEADER (see docs/import.md)."
            ).format(header=shown)
        )
    layout = Layout(
        format=fmt, header=list(header), prefix=prefix, by_hand=by_hand, by_position=by_position
    )
    layout.columns = {} if by_position else _locate(fmt.aliases, normalised)
    if by_hand and not by_position:
        layout.columns = _thai_close_date(
            {**_locate(THAI_HEADERS, normalised), **layout.columns}, normalised
        )
    if fmt is not SALESPIPE and not by_position:
        _add_our_own_names(layout, normalised)
    for wanted in ignore:
        index = _find_column(layout, wanted, normalised, f"--ignore {wanted}", by_position)
        layout.columns = {k: v for k, v in layout.columns.items() if v != index}
        layout.ignored.add(index)
    hand: dict[str, int] = {}
    for name, wanted in (extra or {}).items():
        _check_field(name)
        if not wanted:
            layout.columns.pop(name, None)
            continue
        option = f"--column {name}={wanted}"
        hand[name] = _find_column(layout, wanted, normalised, option, by_position)
    # A column chosen by hand is read for that field only.
    taken = set(hand.values())
    layout.columns = {k: v for k, v in layout.columns.items() if v not in taken}
    layout.columns.update(hand)
    if not by_position:
        numbered = {n for n, wanted in (extra or {}).items() if normalise(wanted).isdecimal()}
        _refuse_twice_named(layout, normalised, numbered)
    if "title" not in layout.columns:
        raise InvalidValue(
            _("The {format} file has no title column; name it with --column title=HEADER.").format(
                format=fmt.label
            )
        )
    if not by_position:
        _note_ids_not_read(layout, normalised)
    return layout


def _note_ids_not_read(layout: Layout, normalised: list[str]) -> None:
    """Name the columns of record ids of fields no column is read for (nor --column
    reads, nor --ignore leaves out): the report says how to read them."""
    taken = set(layout.columns.values()) | layout.ignored
    for name, index in _locate(layout.format.id_columns, normalised).items():
        if name not in layout.columns and index not in taken:
            layout.ids_not_read[name] = layout.header[index].strip()


def _is_thai_sheet(normalised: list[str]) -> bool:
    return any(alias in normalised for alias in THAI_HEADERS["title"])


def _refuse_twice_named(layout: Layout, normalised: list[str], numbered: set[str]) -> None:
    """Refuse a field whose header names more than one column (the first is not
    necessarily the one meant), unless --column named it by number."""
    for name, index in layout.columns.items():
        positions = [i + 1 for i, header in enumerate(normalised) if header == normalised[index]]
        if len(positions) > 1 and name not in numbered:
            raise InvalidValue(
                _(
                    'The file has {count} columns named "{header}" (columns {numbers}); name '
                    "the one to read as the {field} by its number, e.g. --column {field}={first}."
                ).format(
                    count=len(positions),
                    header=layout.header[index],
                    numbers=", ".join(map(str, positions)),
                    field=name,
                    first=positions[0],
                )
            )


def _check_field(name: str) -> None:
    if name not in FIELDS:
        raise InvalidValue(
            _('--column names the field "{name}", which is not one of {fields}.').format(
                name=name, fields=", ".join(FIELDS)
            )
        )


def _find_column(
    layout: Layout, wanted: str, normalised: list[str], option: str, by_position: bool
) -> int:
    """The column a header (or, without a header row, a 1-based number) names."""
    key = normalise(wanted)
    if not by_position:
        by_raw = [normalise(h) for h in layout.header]
        for candidates in (by_raw, normalised):
            if key in candidates:
                return candidates.index(key)
    if key.isdecimal() and 1 <= int(key) <= len(layout.header):
        return int(key) - 1
    if by_position:
        raise InvalidValue(
            _("{option}: the file has no column {number} (it has {count}).").format(
                option=option, number=wanted, count=len(layout.header)
            )
        )
    raise InvalidValue(
        _('{option}: the file has no column "{header}".').format(option=option, header=wanted)
    )


def _guess(present: set[str], prefix: str | None) -> CrmFormat | None:
    # Our export's last column, "pipeline", is Pipedrive's too: ours comes with "stage_name".
    ours = _KNOWN_OURS | _OUR_PIPELINE if "stage name" in present else _KNOWN_OURS
    if prefix is None and "title" in present and present <= ours:
        return SALESPIPE
    for fmt in _BY_THEIR_HEADERS:
        if fmt.recognises(present):
            return fmt
    if PIPEDRIVE.recognises(present):
        distinctive = _locate(PIPEDRIVE.aliases, sorted(present)).keys() & {
            "stage",
            "status",
            "currency",
            "customer",
            "created_at",
            "won_at",
        }
        if prefix is None and _more_of_ours(present):
            return SALESPIPE
        if prefix or distinctive:
            return PIPEDRIVE
        # Nothing of Pipedrive's but names both use (title, value) and a Label: a sheet of
        # one's own, whose other columns are named as not read.
        return SALESPIPE
    return None


def _only_ours(present: set[str]) -> set[str]:
    """The columns of the header only salespipe's CSV names (``customer``)."""
    pipedrives = {alias for aliases in PIPEDRIVE.aliases.values() for alias in aliases}
    return (present & _KNOWN_OURS) - pipedrives - {"weighted value"}


def _more_of_ours(present: set[str]) -> bool:
    """Whether a header without Pipedrive's prefix is a sheet in salespipe's own words:
    it has a column only salespipe writes (``customer``: read as Pipedrive's, a sheet of
    ``title,customer,stage,notes`` lost its customers), and none Pipedrive's export has
    that salespipe's has not. Names both write (id, title, value, stage, weighted value…)
    tell nothing."""
    pipedrives = {alias for aliases in PIPEDRIVE.aliases.values() for alias in aliases}
    only_theirs = present & pipedrives - _KNOWN_OURS
    return bool(_only_ours(present)) and not only_theirs
