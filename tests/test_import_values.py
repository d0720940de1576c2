"""Reading the cells other programs write: amounts, dates, probabilities, flags, headers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespipe.core import parse
from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import N_
from salespipe.transfer.crm_formats import normalise, recognise, strip_dominant_prefix
from salespipe.transfer.csvfile import sniff_delimiter
from salespipe.transfer.dates import DateOrderClues, DateReader
from salespipe.transfer.values import (
    BadValue,
    DecimalMarkClues,
    amount,
    flag,
    line_text,
    probability,
)

BANGKOK = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("raw", "value", "currency"),
    [
        ("35000", Decimal(35000), None),
        ("1823.15", Decimal("1823.15"), None),
        ("1,234,567.89", Decimal("1234567.89"), None),
        ("1.234.567,89", Decimal("1234567.89"), None),
        ("12 500,50", Decimal("12500.50"), None),
        ("12\u00a0500,50", Decimal("12500.50"), None),
        ("1'250.00", Decimal("1250"), None),
        ("฿85,000", Decimal(85000), "THB"),
        ("$12,500.00", Decimal(12500), "$"),  # a dollar of some country: the import says which
        ("$12,500.00 SGD", Decimal(12500), "SGD"),
        ("USD 3 400.50", Decimal("3400.50"), "USD"),
        ("12,000 EUR", Decimal(12000), "EUR"),
        ("1,500,000 บาท", Decimal(1500000), "THB"),  # was "an unknown unit บาท"
        ("1,500,000บาท", Decimal(1500000), "THB"),
        ("2,000 baht", Decimal(2000), "THB"),
        # Whole amounts as Thai quotations write them (a Thai trial), and as German ones do
        ("1,250,000.-", Decimal(1250000), None),
        ("1,250,000.- บาท", Decimal(1250000), "THB"),
        ("1,250,000 บาทถ้วน", Decimal(1250000), "THB"),
        ("3 US Dollars", Decimal(3), "USD"),
        ("1475.3000000000002", Decimal("1475.30"), None),
        ("500", Decimal(500), None),
        ("500.5", Decimal("500.5"), None),
        ("1,234", Decimal(1234), None),
        ("THB 1,234,567.89", Decimal("1234567.89"), "THB"),
        ("", None, None),
    ],
)
def test_amounts_in_the_forms_exports_use(
    raw: str, value: Decimal | None, currency: str | None
) -> None:
    """Thousands separators, decimal commas, symbols and codes, float artefacts."""
    assert amount(raw) == (value, currency, False)


@pytest.mark.parametrize(
    ("raw", "value", "currency"),
    [
        ("1k", Decimal(1000), None),
        ("150k", Decimal(150000), None),
        ("1.2m", Decimal(1200000), None),
        ("1.5 M", Decimal(1500000), None),
        ("2.5ล้าน", Decimal(2500000), None),
        ("3แสน", Decimal(300000), None),
        ("฿150k", Decimal(150000), "THB"),
        ("150k USD", Decimal(150000), "USD"),
        ("1,500k", Decimal(1500000), None),
        ("1.5 ล้านบาท", Decimal(1500000), "THB"),
        ("1.5 ลบ.", Decimal(1500000), "THB"),  # ลบ.: ล้านบาท
        ("1,500ลบ.", Decimal(1500000000), "THB"),
        # a sum in Thai units, as Thais say an amount (a Thai trial)
        ("1 ล้าน 5 แสน", Decimal(1500000), None),
        ("1ล้าน2แสน5หมื่น", Decimal(1250000), None),
        ("2 แสน 5 หมื่น บาท", Decimal(250000), "THB"),
    ],
)
def test_amounts_with_a_unit_read_as_add_value_reads_them(
    raw: str, value: Decimal, currency: str | None
) -> None:
    """A value people typed into a sheet (150k, 1.2m, 2.5ล้าน) is what `add --value` makes
    of it, and says it had a unit (the import report counts those)."""
    assert amount(raw) == (value, currency, True)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("-50", "the amount is negative"),
        ("(1,000)", "the amount is negative"),
        ("lots", "not an amount; if it stands for no amount, add --null lots"),
        (
            "1,23,4",
            'The amount "1,23,4" has misplaced thousands separators; a comma goes before each '
            "three digits (150,000) and a dot before decimals (1.5m)",
        ),
        ("12.3456", "the amount has more than 2 decimal places"),
        (
            "12.345",
            "the amount has more than 2 decimal places; if its dot groups thousands, "
            "import with --decimal-mark ,",
        ),
        ("182.31500000000003", "the amount has more than 2 decimal places"),
        ("$5 EUR", "the amount names two currencies ($ and EUR)"),
        ("99999999999999", "the amount is too large (at most 9,999,999,999,999.99)"),
        (
            "1.5x",
            'The amount "1.5x" has an unknown unit "x"; the units are k, m, พัน, หมื่น, แสน '
            "and ล้าน (150k, 1.5m, 1.5 ล้าน)",
        ),
        (
            "1,5k",
            'The amount "1,5k" has misplaced thousands separators; a comma goes before each '
            "three digits (150,000) and a dot before decimals (1.5m)",
        ),
        ("-1k", "the amount is negative"),
        ("-", "not an amount; if it stands for no amount, add --null -"),
        ("N/A", "not an amount; if it stands for no amount, add --null N/A"),
        ("n. a.", "not an amount; if it stands for no amount, add --null 'n. a.'"),
        # Words after the number, not separators out of place (a Thai trial)
        ("96,000 บาท/ปี", "not an amount"),
        ("1,000 per month", "not an amount"),
        (
            "5 แสน 1 ล้าน",
            'The amount "5 แสน 1 ล้าน" repeats a Thai unit or has a smaller one before a '
            "larger; write each unit once, from the largest down (1 ล้าน 5 แสน)",
        ),
    ],
)
def test_bad_amounts_say_why(raw: str, reason: str) -> None:
    """Each unreadable amount gives the reason the import report shows."""
    with pytest.raises(BadValue) as caught:
        amount(raw)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "raw", ["5,00.00", "12,34.50", "1,2,00", "1,2,00.00", "12,00,000", "฿1,2,00", "USD 5,00.00"]
)
def test_misplaced_thousands_separators_are_refused_as_add_value_refuses_them(raw: str) -> None:
    """5,00.00 and 12,34.50 were imported as 500 and 1,234.50, 1,2,00.00 as 1,200 (a
    trial): typos read as smaller amounts, with no word. They are refused, in the
    words `add --value` refuses them with, naming the cell as written."""
    with pytest.raises(InvalidValue) as typed:
        parse.money_and_currency(raw, what=N_("amount"))
    with pytest.raises(BadValue) as imported:
        amount(raw, ".")
    assert imported.value.reason == typed.value.message.rstrip(".")
    assert f'"{raw}" has misplaced thousands separators' in imported.value.reason


@pytest.mark.parametrize("raw", ["5.00,00", "12.34,50", "1.2.00", "1.2.00,00", "12.00.000"])
def test_misplaced_separators_in_a_file_of_decimal_commas_are_refused_its_way(raw: str) -> None:
    """Where the comma is the decimal mark the dot groups thousands, by threes too; the
    refusal says so, as the file writes its numbers."""
    with pytest.raises(BadValue) as imported:
        amount(raw, ",", comma_assumed=True)
    assert imported.value.reason == (
        f'The amount "{raw}" has misplaced thousands separators; a dot goes before each '
        "three digits (150.000) and a comma before decimals (1.234,50)"
    )
    assert amount("1.234,56", ",", comma_assumed=True).value == Decimal("1234.56")
    assert amount("1.234.567,89", ",").value == Decimal("1234567.89")


def _comma_grouped(groups: list[str], decimals: str) -> str:
    """Digits joined by commas, two commas at least or a dot after them."""
    return ",".join(groups) + (decimals or ("" if len(groups) > 2 else ".00"))


@given(
    st.builds(
        _comma_grouped,
        st.lists(st.text(alphabet="0123456789", max_size=4), min_size=2, max_size=6),
        st.one_of(st.just(""), st.text(alphabet="0123456789.", max_size=4).map(".{}".format)),
    )
)
def test_a_comma_that_can_only_group_thousands_is_read_as_add_value_reads_it(raw: str) -> None:
    """Numbers whose comma cannot be a decimal one (two commas, or a dot after it) are
    read by the import, in a file of decimal dots, exactly when `add --value` reads
    them, as the same amount; refused for their grouping in the same words."""
    try:
        typed: Decimal | str = parse.money(raw, what=N_("amount"))
    except InvalidValue as refused:
        typed = refused.message.rstrip(".")
    try:
        imported: Decimal | str | None = amount(raw, ".").value
    except BadValue as refused:
        imported = refused.reason
    if isinstance(typed, Decimal):
        assert imported == typed
    else:
        assert isinstance(imported, str), (raw, imported)
        if "misplaced thousands separators" in typed:
            assert imported == typed


@pytest.mark.parametrize(
    ("raw", "by_comma", "by_dot"),
    [
        ("12.500", Decimal(12500), Decimal("12.5")),
        ("1.234", Decimal(1234), None),  # three decimals: refused where the dot is decimal
        ("12,500", Decimal("12.5"), Decimal(12500)),
        ("2.000.000", Decimal(2000000), Decimal(2000000)),
        ("1.234,56", Decimal("1234.56"), Decimal("1234.56")),
        ("12,5", Decimal("12.5"), Decimal("12.5")),
        ("0,500", Decimal("0.5"), Decimal("0.5")),
        ("1234.500", Decimal("1234.5"), Decimal("1234.5")),
        ("€ 12.500", Decimal(12500), Decimal("12.5")),
    ],
)
def test_one_separator_before_three_digits_is_read_by_the_files_decimal_mark(
    raw: str, by_comma: Decimal, by_dot: Decimal | None
) -> None:
    """12.500 is a thousand times more where the comma is the decimal mark; a number
    that shows its mark reads the same under either."""
    assert amount(raw, ",").value == by_comma
    if by_dot is None:
        with pytest.raises(BadValue):
            amount(raw, ".")
    else:
        assert amount(raw, ".").value == by_dot


@pytest.mark.parametrize("raw", ["12.500", "12,500", "1.500", "฿85,000"])
def test_an_amount_either_mark_reads_differently_is_refused_when_the_mark_is_unknown(
    raw: str,
) -> None:
    with pytest.raises(BadValue) as caught:
        amount(raw, None)
    assert "--decimal-mark" in caught.value.reason
    assert amount("12.50", None).value == Decimal("12.50")


@pytest.mark.parametrize(
    ("text", "mark"),
    [
        ("Deal;Betrag\nA;1.234,56\nB;12.500\n", ","),  # shown by a number
        ("Deal;Betrag\nB;12.500\n", ","),  # ; files write decimal commas
        ("Deal;Amount\nB;12.50\n", "."),  # unless their numbers show the dot
        ("Deal;Betrag\nB;1.500.000\n", ","),  # two dot groups: the comma is decimal
        ('Deal,Amount\nB,"12,500"\n', "."),
        ('Deal,Amount\nB,"1.234,56"\n', ","),
        ("Deal,Amount\nB,5,10\n", "."),  # 5,10 is two cells here, not five point one
        ("Deal,Date\nB,15.04.2021\n", "."),  # a date shows no mark
        ("Deal\tAmount\nB\t12.500\n", None),  # nothing shows it: unknown
        ("Deal\tAmount\nB\t1,500,000\n", "."),
        ("Deal\tAmount\nกล้อง\t85,000\n", "."),  # Thai is written with the dot
        # a quoted cell is one cell: "12,50" shows the decimal comma of a comma file, so
        # its "1,500" is one and a half (both were read, each its own way)
        ('title,value\nA,"1,500"\nB,"12,50"\n', ","),
        ("title,value\nA,1,500\nB,12,50\n", "."),  # unquoted: cells, not decimals
    ],
)
def test_a_files_decimal_mark_is_what_its_numbers_show_else_its_delimiters(
    text: str, mark: str | None
) -> None:
    clues = DecimalMarkClues()
    for line in text.splitlines(keepends=True):
        clues.look(line)
    assert clues.mark == mark


@given(st.decimals(min_value=0, max_value=Decimal("9999999999999.99"), places=2))
def test_grouped_amounts_read_back_exactly(value: Decimal) -> None:
    """An amount written with thousands separators reads back as the same decimal."""
    found = amount(f"{value:,.2f}").value
    assert found == value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-07-11T21:22:07.000+0000", datetime(2024, 7, 12, 4, 22, 7, tzinfo=BANGKOK)),
        ("2026-03-01 14:30", datetime(2026, 3, 1, 14, 30, tzinfo=BANGKOK)),
        ("2026-03-01 14:30:05", datetime(2026, 3, 1, 14, 30, 5, tzinfo=BANGKOK)),
        ("2026-03-01T07:30:00Z", datetime(2026, 3, 1, 14, 30, tzinfo=BANGKOK)),
        ("2026-3-1", datetime(2026, 3, 1, 0, 0, tzinfo=BANGKOK)),
        ("2569-03-01", datetime(2026, 3, 1, 0, 0, tzinfo=BANGKOK)),
        ("31/12/2026", datetime(2026, 12, 31, 0, 0, tzinfo=BANGKOK)),
        ("12/31/2026 2:05 PM", datetime(2026, 12, 31, 14, 5, tzinfo=BANGKOK)),
        ("31.12.2026", datetime(2026, 12, 31, 0, 0, tzinfo=BANGKOK)),
        ("5 Jan 2026", datetime(2026, 1, 5, 0, 0, tzinfo=BANGKOK)),
        ("Jan 5, 2026 09:00", datetime(2026, 1, 5, 9, 0, tzinfo=BANGKOK)),
        ("5 ม.ค. 2569", datetime(2026, 1, 5, 0, 0, tzinfo=BANGKOK)),
        ("5 มกราคม พ.ศ. 2569 14.30 น.", datetime(2026, 1, 5, 14, 30, tzinfo=BANGKOK)),
        ("5-ธ.ค.-2026", datetime(2026, 12, 5, 0, 0, tzinfo=BANGKOK)),
        ("46387", datetime(2026, 12, 31, 0, 0, tzinfo=BANGKOK)),
        ("46387.5", datetime(2026, 12, 31, 12, 0, tzinfo=BANGKOK)),
    ],
)
def test_dates_in_common_export_forms(raw: str, expected: datetime) -> None:
    """ISO with +0000, Z, HH:MM; d/m/Y and m/d/Y when clear; dotted; named months (in
    English and Thai, as Thai sheets write them); serials."""
    assert DateReader().moment(raw) == expected


def test_a_bare_date_closing_a_deal_means_the_end_of_that_day() -> None:
    """end_of_day is used for closing dates given without a time."""
    assert DateReader().moment("2026-08-14", end_of_day=True) == datetime(
        2026, 8, 14, 23, 59, 59, tzinfo=BANGKOK
    )


def test_ambiguous_slash_dates_follow_the_given_order() -> None:
    """03/04/2026 is refused alone, and read by --dates dmy or mdy."""
    with pytest.raises(BadValue, match="add --dates dmy or --dates mdy"):
        DateReader().day("03/04/2026")
    assert DateReader("dmy").day("03/04/2026") == date(2026, 4, 3)
    assert DateReader("mdy").day("03/04/2026") == date(2026, 3, 4)


def _order_of(*pieces: str) -> str | None:
    clues = DateOrderClues()
    for piece in pieces:
        clues.look(piece)
    return clues.order


def test_a_file_settles_the_order_when_one_date_is_clear() -> None:
    """One 25/12 in a file means all its slash dates are day-first."""
    assert _order_of("A,03/04/2026\nB,25/12/2026\n") == "dmy"
    assert _order_of("A,03/04/2026\n", "B,12/25/2026 10:00\n") == "mdy"
    assert _order_of("A,03/04/2026\n") is None
    assert _order_of("A,25/12/2026\n", "B,12/25/2026\n") is None
    assert _order_of("A,1/25/2026/7,2026-12-25\n") is None  # not a date: no clue


def test_the_order_is_the_same_whether_the_text_comes_whole_or_by_lines() -> None:
    """Pieces that end at line ends give the clues the whole text gives."""
    text = "x,03/04/2026\ny,13/04/26\nz,4/5/2026\n"
    assert _order_of(text) == "dmy"
    assert _order_of(*text.splitlines(keepends=True)) == "dmy"


@pytest.mark.parametrize("raw", ["2026-02-30", "yesterday-ish", "13/13/2026", "99999"])
def test_impossible_dates_are_bad_values(raw: str) -> None:
    """Dates that do not exist or cannot be read raise BadValue."""
    with pytest.raises(BadValue):
        DateReader().moment(raw)


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 12, 30)))
def test_iso_moments_read_back(moment: datetime) -> None:
    """Any ISO timestamp with an offset reads back as the same instant (to the second)."""
    aware = moment.replace(microsecond=0, tzinfo=UTC)
    assert DateReader().moment(aware.isoformat()) == aware


def test_probabilities_and_flags() -> None:
    """70, 70%, 0.7 (HubSpot fractions), and 1/empty booleans (Salesforce)."""
    assert probability("70") == 70
    assert probability("70%") == 70
    assert probability("0.7", fractions=True) == 70
    assert probability("") is None
    with pytest.raises(BadValue):
        probability("170")
    assert flag("1") is True
    assert flag("") is False
    assert flag("TRUE") is True


def test_line_text_collapses_whitespace_and_drops_control_characters() -> None:
    """One-line fields lose trailing spaces, tabs, line breaks and control characters."""
    assert line_text("  Website redesign –\tphase 2  \x07", what="title") == (
        "Website redesign – phase 2"
    )


def test_headers_compare_without_case_and_underscores() -> None:
    """ "Expected_Close" and "expected close" are the same header."""
    assert normalise("\ufeffExpected_Close ") == normalise("expected close")


def test_a_prefix_most_headers_share_is_taken_off() -> None:
    """Pipedrive's "Deal - " (or a translated prefix) is removed when it dominates."""
    headers, prefix = strip_dominant_prefix(["Obchod - Název", "Obchod - Hodnota", "Osoba - Jméno"])
    assert prefix == "Obchod"
    assert headers == ["Název", "Hodnota", "Osoba - Jméno"]
    assert strip_dominant_prefix(["Title", "Value"]) == (["Title", "Value"], None)


def test_formats_are_recognised_by_their_headers() -> None:
    """Each CRM's header picks its format."""
    assert recognise(["Id", "Name", "StageName", "Amount"]).format.name == "salesforce"
    assert recognise(["Opportunity Name", "Stage", "Amount"]).format.name == "salesforce-report"
    assert recognise(["Record ID", "Deal Name", "Deal Stage"]).format.name == "hubspot"
    assert recognise(["ID", "Title", "Stage", "Status", "Pipeline"]).format.name == "pipedrive"
    assert recognise(["Deal - Title", "Deal - Value"]).format.name == "pipedrive"
    assert recognise(["title", "value", "stage_name"]).format.name == "salespipe"


def test_a_salesforce_dumps_columns_of_record_ids_are_named_not_read() -> None:
    """AccountId and OwnerId hold ids, not names: not read as customer and owner (nor
    ContactId as the contact); a column of names beside them is read."""
    dump = ["Id", "Name", "StageName", "AccountId", "OwnerId", "ContactId"]
    layout = recognise(dump)
    assert not {"customer", "owner", "contact"} & layout.columns.keys()
    assert layout.ids_not_read == {
        "customer": "AccountId",
        "owner": "OwnerId",
        "contact": "ContactId",
    }
    named = recognise([*dump, "Account.Name"], extra={"owner": "OwnerId"}, ignore=["ContactId"])
    assert (named.columns["customer"], named.columns["owner"]) == (6, 4)
    assert named.ids_not_read == {}


def _read_as(layout, field: str) -> str | None:
    index = layout.columns.get(field)
    return None if index is None else layout.header[index]


@pytest.mark.parametrize(
    ("company", "contact"),
    [("COMPANY_NAME", "CONTACT_NAME"), ("COMPANY_TITLE", "CONTACT_FULL_NAME")],
)
def test_bitrix24_reads_the_company_and_contact_by_name_not_by_id(
    company: str, contact: str
) -> None:
    """BI Builder's crm_deal names the company and contact (COMPANY_NAME, CONTACT_NAME)
    beside their ids: every deal of a trial's file lost both, as only COMPANY_TITLE and
    CONTACT_FULL_NAME were read (else the ids). The names are read, in any order of the
    columns; the ids never, and are named only where no name is read for their field."""
    ids = ["ASSIGNED_BY_ID", "COMPANY_ID", "CONTACT_ID"]
    header = ["ID", "TITLE", "STAGE_ID", "CLOSED", *ids, company, contact]
    for shown in (header, list(reversed(header))):
        layout = recognise(shown)
        assert layout.format.name == "bitrix24"
        assert (_read_as(layout, "customer"), _read_as(layout, "contact")) == (company, contact)
        assert _read_as(layout, "owner") is None
        assert layout.ids_not_read == {"owner": "ASSIGNED_BY_ID"}
    rest = recognise(["ID", "TITLE", "STAGE_ID", "CLOSED", *ids, "CONTACT_IDS"])
    assert not {"customer", "contact", "owner"} & rest.columns.keys()
    assert rest.ids_not_read == {
        "owner": "ASSIGNED_BY_ID",
        "customer": "COMPANY_ID",
        "contact": "CONTACT_ID",
    }
    named = recognise([*header, "ASSIGNED_BY_NAME"])
    assert (_read_as(named, "owner"), named.ids_not_read) == ("ASSIGNED_BY_NAME", {})


def test_odoo_external_ids_are_named_not_read_and_never_win_over_names() -> None:
    """An import-compatible Odoo export gives a many2one's external id under ``/id``
    (``user_id/id``: ``base.user_admin``): it was read as the owner. A column of the
    names beside it (``user_id``, ``partner_id``) is read, wherever it stands."""
    ids = recognise(["id", "name", "stage_id", "user_id/id", "partner_id/id"])
    assert ids.format.name == "odoo"
    assert not {"customer", "owner"} & ids.columns.keys()
    assert ids.ids_not_read == {"owner": "user_id/id", "customer": "partner_id/id"}
    both = ["id", "user_id/id", "partner_id/id", "name", "stage_id", "user_id", "partner_id"]
    named = recognise(both)
    assert (_read_as(named, "owner"), _read_as(named, "customer")) == ("user_id", "partner_id")
    assert named.ids_not_read == {}


def test_a_company_column_is_read_as_the_customer_only_where_an_export_means_it() -> None:
    """Odoo's "Company" is the seller's own company (company_id), not the customer; BI
    Builder's COMPANY holds a company's id and name in one: neither is the customer."""
    odoo = ["Opportunity", "Stage", "Salesperson", "Company"]
    assert "customer" not in recognise(odoo).columns
    assert _read_as(recognise([*odoo, "Customer"]), "customer") == "Customer"
    bitrix = ["ID", "TITLE", "STAGE_ID", "CLOSED", "COMPANY", "COMPANY_ID"]
    assert "customer" not in recognise(bitrix).columns
    assert _read_as(recognise([*bitrix, "COMPANY_NAME"]), "customer") == "COMPANY_NAME"
    hubspot = ["Record ID", "Deal Name", "Deal Stage", "Company"]
    assert _read_as(recognise(hubspot), "customer") == "Company"


def test_delimiters_are_sniffed_from_the_header() -> None:
    """Comma, semicolon and tab, ignoring delimiters inside quotes."""
    assert sniff_delimiter('"a;b",c,d\n') == ","
    assert sniff_delimiter("a;b;c\n1,5;2;3\n") == ";"
    assert sniff_delimiter("a\tb\tc\n") == "\t"


@pytest.mark.parametrize(
    ("raw", "value", "unit"),
    [
        ("๑๒๓,๔๕๖.๗๘", Decimal("123456.78"), False),  # Thai digits: no unit
        ("๑๒๓๔๕๖", Decimal("123456"), False),
        ("๑,๒๐๐,๐๐๐", Decimal("1200000"), False),  # (a review: refused as misplaced)
        ("๑.๕ล้าน", Decimal("1500000"), True),
        ("150k", Decimal("150000"), True),
    ],
)
def test_thai_digits_are_digits_not_a_unit(raw: str, value: Decimal, unit: bool) -> None:
    """The last Thai digit was taken for a unit, so a Thai-digit amount was counted among
    the "values written like 150k" (a trial); its value was right."""
    read = amount(raw)
    assert (read.value, read.unit) == (value, unit)


def test_the_deals_prefix_is_the_one_with_the_title_under_it() -> None:
    """An export with more of the organization's fields than the deal's took
    "Organization - " for the deals' prefix: the file was refused, or a plain export's
    "Organization - Owner" became the deal's owner (a review)."""
    deals_and_more = [
        "Deal - Title",
        "Deal - Value",
        "Organization - Name",
        "Organization - Address",
        "Organization - Owner",
    ]
    headers, prefix = strip_dominant_prefix(deals_and_more)
    assert prefix == "Deal"
    assert headers[:3] == ["Title", "Value", "Organization - Name"]
    plain = ["Title", "Value", "Organization - Name", "Organization - Owner", "Organization - City"]
    assert strip_dominant_prefix(plain) == (plain, None)


def test_the_organizations_own_name_is_read_as_a_column_read_later() -> None:
    """Read through Pipedrive's own names, a file imported before they were read would
    not be known again: its rows' fingerprints would now hold the customer."""
    layout = recognise(["Deal - Title", "Deal - Stage", "Organization - Name", "Person - Name"])
    assert layout.format.name == "pipedrive"
    assert (layout.columns["customer"], layout.columns["contact"]) == (2, 3)
    assert layout.by_our_names == {"customer", "contact"}
    plain = recognise(["Title", "Value", "Stage", "Organization - Name", "Organization - Owner"])
    assert plain.columns["customer"] == 3
    assert "owner" not in plain.columns


@pytest.mark.parametrize(
    ("headers", "prefix"),
    [
        # two columns of one prefix in a sheet of one's own: no deal's (a second review)
        (["Title", "Customer", "Value", "Stage", "Contact - Name", "Contact - Title"], None),
        (["Id", "Name", "StageName", "Amount", "Contact - Name", "Contact - Title"], None),
        (["Title", "Value", "Stage", "Person - Name", "Person - Title"], None),
        # the deal's fields but its title under a prefix
        (["Title", "Deal - Value", "Deal - Stage", "Deal - Status", "Organization - Name"], "Deal"),
        (["Deal - Title", "Deal - Owner"], "Deal"),
    ],
)
def test_a_prefix_is_the_deals_by_the_deals_own_fields_under_it(
    headers: list[str], prefix: str | None
) -> None:
    assert strip_dominant_prefix(headers)[1] == prefix
