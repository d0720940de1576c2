"""An import holds a file a piece at a time: the text is decoded in chunks, each row is
kept packed until it is written, and what comes out is what reading it whole gave."""

from __future__ import annotations

import codecs
import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespipe.app.pipeline import Pipeline
from salespipe.core.model import Deal, NextAction, Quote
from salespipe.transfer import csvfile
from salespipe.transfer import dates as import_dates
from salespipe.transfer.dates import DateReader
from salespipe.transfer.pending import Packer, RowValues, unpack
from salespipe.transfer.row_times import deal_times
from salespipe.transfer.rows import Incoming

BANGKOK = timezone(timedelta(hours=7))
PIECES = ["a", "b", ",", '"', "\r", "\n", "\r\n", "ก", "–", " ", "\ufeff", "1/2/2026"]


@given(st.lists(st.sampled_from(PIECES), max_size=80), st.sampled_from(["utf-8", "utf-16"]))
def test_text_comes_in_line_aligned_chunks_that_make_the_whole(
    pieces: list[str], encoding: str
) -> None:
    """Chunks end at line ends and join to the decoded text, whatever the chunk size."""
    text = "".join(pieces)
    data = text.encode(encoding)
    whole = data.decode(encoding).removeprefix("\ufeff")
    for size in (3, 1 << 20):
        original = csvfile.CHUNK_BYTES
        csvfile.CHUNK_BYTES = size
        try:
            chunks = list(csvfile._text_chunks(data, Path("x.csv"), encoding, None))
        finally:
            csvfile.CHUNK_BYTES = original
        assert "".join(chunks) == whole
        assert all(chunk.endswith("\n") for chunk in chunks[:-1])


@given(st.lists(st.sampled_from(PIECES), max_size=80))
def test_rows_are_split_into_lines_as_from_the_whole_text(pieces: list[str]) -> None:
    """The csv module gets the lines (CR, LF, CRLF kept) it got from the whole text."""
    text = "".join(pieces)
    expected = list(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    assert list(csvfile._lines(text.encode("utf-8"), "utf-8")) == expected


def test_a_table_read_in_small_chunks_keeps_rows_lines_and_quoted_line_breaks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rows, their line numbers, a quoted multi-line cell and the line estimate survive."""
    monkeypatch.setattr(csvfile, "CHUNK_BYTES", 5)
    text = 'title,note\r\nกล้อง,"two\r\nlines"\r\n\r\nPrinter,ok\r\n'
    seen: list[str] = []
    table = csvfile.read_table(Path("t.csv"), codecs.BOM_UTF8 + text.encode(), look=seen.append)
    assert table.header == ["title", "note"]
    assert [(row.line, row.cells) for row in table.rows] == [
        (2, ["กล้อง", "two\r\nlines"]),
        (5, ["Printer", "ok"]),
    ]
    assert "".join(seen) == text
    assert table.estimated_rows == 4  # the line ends after the header's


def test_a_bad_byte_past_the_first_chunk_names_its_line(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A byte that is not UTF-8 deep in the file is reported with its line, as before."""
    monkeypatch.setattr(csvfile, "CHUNK_BYTES", 16)
    path = tmp_path / "late.csv"
    path.write_bytes(b"title,customer\nA,B\nC,D\nE,caf\xe9\n")
    result = cli("import", str(path))
    assert result.exit_code == 1
    assert "is not UTF-8 text (line 4)" in result.stderr


def test_an_encoding_that_does_not_make_text_is_refused(cli, tmp_path: Path) -> None:
    """--encoding base64 names a codec, but not a text encoding: a clear refusal."""
    path = tmp_path / "deals.csv"
    path.write_text("title\nA\n", encoding="utf-8")
    result = cli("import", str(path), "--encoding", "base64")
    assert result.exit_code == 1
    assert 'The encoding "base64" is not one Python knows.' in result.stderr


def test_the_date_reader_remembers_a_bounded_number_of_moments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the limit the remembered moments are dropped; the answers stay right."""
    monkeypatch.setattr(import_dates, "REMEMBERED_MOMENTS", 3)
    reader = DateReader()
    days = [f"2026-10-{day:02d} 09:00" for day in range(1, 11)]
    for _round in range(2):
        moments = [reader.moment(day) for day in days]
        assert moments == [datetime(2026, 10, d, 9, 0, tzinfo=BANGKOK) for d in range(1, 11)]
        assert len(reader._seen) <= 3


def test_a_packed_row_unpacks_to_its_values_in_record_form() -> None:
    """Every field planning does not read comes back as the deal's record holds it."""
    row = Incoming(
        line=7,
        title="ERP ให้สยามฟู้ดส์",
        source="pipedrive:12",
        customer="Siam Foods",
        contact="คุณสมชาย",
        owner=None,
        value=Decimal("1250000.50"),
        currency="USD",
        stage_label="Proposal Made",
        status="lost",
        probability=40,
        expected_close=date(2026, 12, 31),
        created_at=datetime(2026, 10, 1, 9, 0, tzinfo=BANGKOK),
        closed_at=datetime(2026, 11, 2, 17, 30, tzinfo=BANGKOK),
        lost_reason='chose the "cheap" offer\nretry 2027',
        tags=("vip", "erp, phase 1"),
        notes=("Next step: call",),
        next_action=NextAction("call back", date(2026, 12, 2)),
        quote=Quote(date(2026, 12, 15), datetime(2026, 10, 5, 10, 0, tzinfo=BANGKOK)),
    )
    packer = Packer()
    pending = packer.pack(row)
    values = unpack(pending)
    assert (pending.line, pending.source, pending.deal_id, pending.probability) == (
        7,
        "pipedrive:12",
        None,
        40,
    )
    assert pending.label == ("Proposal Made", "", False, "lost", "")
    assert (values.title, values.contact, values.owner) == ("ERP ให้สยามฟู้ดส์", "คุณสมชาย", None)
    assert (values.value, values.currency) == (1250000.5, "USD")
    assert values.expected_close == "2026-12-31"
    assert values.created_at == "2026-10-01T09:00:00+07:00"
    assert (values.updated_at, values.stage_entered_at) == (None, None)
    assert values.closed_at == "2026-11-02T17:30:00+07:00"
    assert values.lost_reason == 'chose the "cheap" offer\nretry 2027'
    assert values.tags == ("vip", "erp, phase 1")
    assert values.notes == ("Next step: call",)
    assert values.next_action == {"text": "call back", "due": "2026-12-02"}
    assert values.quote == {
        "amount": None,
        "valid_until": "2026-12-15",
        "sent_at": "2026-10-05T10:00:00+07:00",
        "note": "",
    }
    assert packer.pack(row).label is pending.label  # rows with one label share it


EVERY_KIND = [
    "title,customer,value,currency,stage,status,probability,created_at,updated_at,closed_at,"
    "lost_reason,tags,next_action,next_action_due,quote_valid_until,quote_sent_at,quote_amount",
    'Open one,Siam Foods,"1,500,000.50",THB,quoted,open,35,2026-10-01 09:00,2026-10-05 10:00,'
    ",,vip;erp,call back,2026-12-02,2026-12-15,2026-10-05 10:00,1450000",
    "Won one,Cold Co,480000,USD,approved,won,,2026-09-01 08:00,,2026-11-01 16:00,,,,,,,",
    'Lost one,Print Co,90000,THB,presented,lost,,2026-09-10 08:00,,2026-10-20 12:00,"too ""cheap""'
    '",,,,,,',
]


def test_imported_records_have_exactly_the_form_deals_store(
    cli, pipeline: Pipeline, tmp_path: Path
) -> None:
    """Records built straight from packed rows equal Deal.to_record(), field and order."""
    path = tmp_path / "every.csv"
    path.write_text("\n".join(EVERY_KIND) + "\n", encoding="utf-8")
    assert cli("import", str(path)).exit_code == 0
    snapshot = pipeline.read()
    records = [e.after for e in snapshot.events() if e.type == "add"]
    records += snapshot.open_records()
    assert len(records) == 4
    for record in records:
        assert record is not None
        canonical = Deal.from_record(record).to_record()
        assert list(record.items()) == list(canonical.items())
    deals = {d.title: d for d in snapshot.all_deals()}
    assert deals["Open one"].value == Decimal("1500000.50")
    assert deals["Open one"].quote is not None
    assert deals["Won one"].closed_at == datetime(2026, 11, 1, 16, 0, tzinfo=BANGKOK)
    assert deals["Lost one"].lost_reason == 'too "cheap"'
    closing = [e for e in snapshot.events() if e.type in ("won", "lost")]
    assert [(e.type, e.reason) for e in closing] == [("won", None), ("lost", 'too "cheap"')]


def test_rows_that_share_an_unknown_label_are_each_counted(cli, tmp_path: Path) -> None:
    """A label is resolved once for all its rows, yet the refusal counts every row."""
    path = tmp_path / "leads.csv"
    rows = ["title,stage,probability", "A,Lead In,10", "B,Lead In,10", "C,Demo Day,30"]
    path.write_text("\n".join([*rows, "D,Lead In,20"]) + "\n", encoding="utf-8")
    result = cli("import", str(path))
    assert result.exit_code == 1
    assert '"Lead In" (3 deals), "Demo Day" (1 deal)' in result.stderr
    report = cli.json("import", str(path), "--create-stages")
    assert report["new_stages"] == ["Lead In", "Demo Day"]
    stages = {s["name"]: s["probability"] for s in cli.json("stage", "list")}
    assert (stages["Lead In"], stages["Demo Day"]) == (10, 30)


def _values(**times: str | None) -> RowValues:
    fields = dict.fromkeys(RowValues._fields)
    fields.update(title="T", customer="", contact="", value=0, tags=(), notes=())
    fields.update(times)
    return RowValues(**fields)


NOW = (datetime(2026, 11, 27, 10, 0, tzinfo=BANGKOK), "2026-11-27T10:00:00+07:00")


def test_times_keep_the_files_text_and_order_history_can_replay() -> None:
    """Future times become now, stage entry falls inside the deal's life, ISO text is kept."""
    future = deal_times(_values(created_at="2027-01-01T09:00:00+07:00"), "open", NOW)
    assert (future.created, future.entered, future.closed) == (NOW, NOW, None)
    closed = deal_times(
        _values(
            created_at="2026-10-10T09:00:00+00:00",
            stage_entered_at="2026-12-01T09:00:00+07:00",
            closed_at="2026-10-01T17:00:00+07:00",
        ),
        "lost",
        NOW,
    )
    assert closed.closed is not None
    assert closed.created[1] == closed.closed[1] == "2026-10-01T17:00:00+07:00"
    assert closed.entered == closed.created  # entry after closing: moved to creation
    assert closed.updated == closed.closed


def test_of_two_equal_times_the_first_is_kept_as_min_and_max_do() -> None:
    """The same instant in another offset does not replace the file's own text."""
    same_instant = "2026-11-27T03:00:00+00:00"  # = NOW in UTC
    times = deal_times(_values(created_at=same_instant, updated_at=same_instant), "open", NOW)
    assert times.created[1] == same_instant
    assert times.updated[1] == same_instant
