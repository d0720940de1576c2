"""Property tests: whatever the CLI accepts it shows back exactly; whatever it refuses
leaves the data file untouched and prints no traceback."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from salespipe.cli.app import app

RUNNER = CliRunner()
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

any_text = st.text(alphabet=st.characters(codec=None, categories=None), max_size=60)
thai_text = st.text(
    alphabet=st.characters(min_codepoint=0x0E01, max_codepoint=0x0E5B), min_size=1, max_size=40
)
texts = st.one_of(any_text, thai_text)


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return RUNNER.invoke(app, list(args), catch_exceptions=False)


def files(db_path: Path) -> dict[str, bytes]:
    if not db_path.parent.exists():
        return {}
    return {
        p.name: p.read_bytes() for p in db_path.parent.iterdir() if not p.name.endswith(".lock")
    }


def check_refused(result, before: dict[str, bytes], db_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code in (1, 2), result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert files(db_path) == before


@SETTINGS
@given(title=texts, customer=texts, contact=texts)
def test_text_fields_round_trip_exactly(
    db_path: Path, title: str, customer: str, contact: str
) -> None:
    """A title, customer and contact that add accepts come back identical from show, but
    for the spaces around them, which typed text does not keep."""
    before = files(db_path)
    result = invoke("add", f"--customer={customer}", f"--contact={contact}", "--json", "--", title)
    if result.exit_code != 0:
        check_refused(result, before, db_path)
        return
    deal_id = json.loads(result.stdout)["id"]
    shown = json.loads(invoke("show", str(deal_id), "--json").stdout)
    given = tuple(text.strip(" ") for text in (title, customer, contact))
    assert (shown["title"], shown["customer"], shown["contact"]) == given


TEXTS_THAT_MUST_BE_KEPT = [
    ("ระบบ ERP ของสยามฟู้ดส์", "บริษัท สยามฟู้ดส์ จำกัด", "คุณสมชาย ใจดี"),
    ("Café racks, phase 2", "Ünïcødé & Co.", "O'Brien"),
    ("日本語の案件 🚀", "a", "x" * 60),
]


@pytest.mark.parametrize(("title", "customer", "contact"), TEXTS_THAT_MUST_BE_KEPT)
def test_ordinary_text_is_accepted_and_shown_back(
    db_path: Path, title: str, customer: str, contact: str
) -> None:
    """The properties above let a refusal pass (it must only change nothing): text any
    user types must also be accepted, or refusing everything would pass them."""
    added = invoke("add", f"--customer={customer}", f"--contact={contact}", "--json", "--", title)
    assert added.exit_code == 0, added.stderr
    deal_id = json.loads(added.stdout)["id"]
    assert invoke("note", str(deal_id), "--", title).exit_code == 0
    shown = json.loads(invoke("show", str(deal_id), "--json").stdout)
    assert (shown["title"], shown["customer"], shown["contact"]) == (title, customer, contact)
    assert shown["events"][-1]["text"] == title


@SETTINGS
@given(note=st.one_of(any_text, thai_text, st.text(max_size=300)))
def test_notes_round_trip_exactly(db_path: Path, note: str) -> None:
    """A note that is accepted appears unchanged in the deal's events."""
    if not files(db_path):
        invoke("add", "Holder")
    before = files(db_path)
    result = invoke("note", "1", "--json", "--", note)
    if result.exit_code != 0:
        check_refused(result, before, db_path)
        return
    events = json.loads(invoke("show", "1", "--json").stdout)["events"]
    assert events[-1]["text"] == note


money_text = st.one_of(
    st.decimals(
        min_value=0,
        max_value=Decimal("9999999999999.99"),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    ).map(str),
    st.integers(min_value=0, max_value=10**13).map(lambda n: f"{n:,}"),
    st.text(alphabet="0123456789.,-kKmM eE+", max_size=14),
    st.sampled_from(["NaN", "nan", "inf", "-inf", "Infinity", "1e5", "-0", "0.001"]),
)


@SETTINGS
@given(value=money_text)
def test_values_round_trip_exactly_or_are_refused(db_path: Path, value: str) -> None:
    """An accepted value equals the parsed decimal exactly; the rest exit 1 untouched."""
    from salespipe.core import parse
    from salespipe.core.errors import InvalidValue

    before = files(db_path)
    result = invoke("add", "Deal", f"--value={value}", "--json")
    try:
        expected = parse.money(value)
    except InvalidValue:
        check_refused(result, before, db_path)
        return
    assert result.exit_code == 0, result.stderr
    deal_id = json.loads(result.stdout)["id"]
    shown = json.loads(invoke("show", str(deal_id), "--json").stdout)
    assert Decimal(str(shown["value"])) == expected


@SETTINGS
@given(
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)), buddhist=st.booleans()
)
def test_close_dates_round_trip(db_path: Path, day: date, buddhist: bool) -> None:
    """An expected close date, typed in CE or BE, comes back as the same ISO CE date."""
    year = day.year + 543 if buddhist and day.year + 543 >= 2400 else day.year
    typed = f"{year:04d}-{day.month:02d}-{day.day:02d}"
    result = invoke("add", "Deal", f"--close={typed}", "--json")
    if day.year >= 2400 and not buddhist:
        # A CE year from 2400 on reads as Buddhist Era: a different, earlier date.
        assert result.exit_code in (0, 1)
        return
    assert result.exit_code == 0, result.stderr
    deal_id = json.loads(result.stdout)["id"]
    shown = json.loads(invoke("show", str(deal_id), "--json").stdout)
    assert shown["expected_close"] == day.isoformat()


@SETTINGS
@given(typed=st.text(max_size=20))
def test_arbitrary_date_text_never_crashes(db_path: Path, typed: str) -> None:
    """Any text given as a date is either stored as a valid date or refused cleanly."""
    before = files(db_path)
    result = invoke("add", "Deal", f"--close={typed}", "--json")
    if result.exit_code != 0:
        check_refused(result, before, db_path)
        return
    shown = json.loads(result.stdout)
    if typed.strip().lower() == "none":
        assert shown["expected_close"] is None
    else:
        assert date.fromisoformat(shown["expected_close"])
