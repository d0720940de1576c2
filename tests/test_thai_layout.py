"""Every table and chart, in Thai with Thai data, fits 80 columns and lines up by display
width (Thai vowel and tone marks take no cell)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from salespipe.present import textwidth
from test_reports import built_once

pytestmark = pytest.mark.usefixtures("each_backend")

WIDTH = 80
# Words that may stay Latin in Thai output: data of the test, codes, commands.
LATIN_ALLOWED = {"ERP", "POS", "CCTV", "USD", "THB", "tester", "Café", "Amazon"}
STAGE_KEYS = {"presented", "considering", "quoted", "negotiating", "approved"}


def _build(cli: Any) -> None:
    """A Thai pipeline with history: moves, a win, a loss, stale deals, actions, quotes."""

    def ok(*args: str) -> None:
        result = cli("--lang", "th", *args)
        assert result.exit_code == 0, result.stderr

    ok("init")
    ok(
        "add",
        "ระบบ ERP สำหรับโรงงานผลิตชิ้นส่วนยานยนต์",
        "-c",
        "บริษัท ไทยยานยนต์อุตสาหกรรม จำกัด",
        "-v",
        "12500000.50",
        "--close",
        "2026-11-15",
        "--at",
        "2026-09-01 09:00",
    )
    ok("move", "1", "พิจารณา", "--reason", "ลูกค้าขอเดโมระบบ", "--at", "2026-09-10 10:00")
    ok("move", "1", "เสนอ", "--reason", "ส่งใบเสนอราคาฉบับแรกให้ฝ่ายจัดซื้อ", "--at", "2026-09-25 10:00")
    ok("move", "1", "เจรจา", "--at", "2026-10-10 10:00")
    ok("next", "1", "นัดประชุมผู้บริหารฝ่ายจัดซื้อเรื่องส่วนลด", "--due", "2026-11-20")
    ok("note", "1", "ลูกค้าต้องการให้รวมค่าติดตั้งและอบรมพนักงาน")
    ok(
        "add",
        "กล้องวงจรปิด 64 ตัว",
        "-c",
        "ห้างสรรพสินค้าพระราม ๙",
        "-v",
        "1.85m",
        "--at",
        "2026-10-15 09:00",
    )
    ok("move", "2", "เสนอราคา", "--at", "2026-10-20 09:00")
    ok(
        "quote",
        "2",
        "--valid-until",
        "2026-11-28",
        "--amount",
        "1,790,000",
        "--note",
        "รวมภาษีมูลค่าเพิ่มแล้ว",
    )
    ok(
        "add",
        "ฝึกอบรมทีมขาย",
        "-c",
        "โรงพยาบาลกรุงเทพคริสเตียน",
        "-v",
        "350k",
        "--at",
        "2026-08-01 09:00",
    )
    ok("won", "3", "--reason", "ได้รับใบสั่งซื้อแล้ว", "--at", "2026-10-20 15:00")
    ok("add", "โซลาร์รูฟท็อป", "-c", "เอสซีจี", "-v", "4.2m", "--at", "2026-08-15 09:00")
    ok("move", "4", "เสนอราคา", "--at", "2026-09-01 09:00")
    ok("lost", "4", "--reason", "คู่แข่งเสนอราคาถูกกว่า 15%", "--at", "2026-11-01 09:00")
    ok("add", "ระบบ POS ร้านกาแฟ", "-c", "Café Amazon สาขาบางนา", "-v", "25000", "--currency", "USD")
    ok(
        "add",
        "ตู้แช่เย็นห้องเย็น",
        "-c",
        "ซีพีเอฟ",
        "-v",
        "980,000",
        "--close",
        "2027-01-20",
        "--at",
        "2026-11-01 09:00",
    )
    ok("config", "set", "lang", "th")
    ok("config", "set", "date_era", "be")


@pytest.fixture
def thai(cli: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The Thai pipeline, printed for an 80-column terminal (plain output, as in a pipe)."""
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    built_once("thai layout", db_path, lambda: _build(cli))
    return cli


def _cells(line: str) -> list[str]:
    """The terminal cells of a line: a character with its zero-width marks; a wide
    character takes two cells (the second empty)."""
    cells: list[str] = []
    for char in line:
        size = textwidth.char_width(char)
        if size == 0 and cells:
            cells[-1] += char
        else:
            cells.append(char)
            cells.extend([""] * (size - 1))
    return cells


def _blank_columns(lines: list[str]) -> set[int]:
    grids = [_cells(line) for line in lines]
    width = max(len(g) for g in grids)
    return {i for i in range(width) if all(i >= len(g) or g[i] == " " for g in grids)}


def _header_spans(header: str) -> list[tuple[int, int]]:
    """Cell ranges of the header texts (headers are separated by two spaces or more)."""
    cells = _cells(header)
    text = "".join(c if c == " " else "x" for c in cells)
    return [m.span() for m in re.finditer(r"x+(?: x+)*", text)]


def _runs(columns: list[int]) -> list[tuple[int, int]]:
    """Consecutive column numbers as (first, after last) ranges."""
    runs: list[list[int]] = []
    for column in columns:
        if runs and runs[-1][-1] == column - 1:
            runs[-1].append(column)
        else:
            runs.append([column])
    return [(run[0], run[-1] + 1) for run in runs]


def _text_span(cells: list[str], start: int, end: int) -> tuple[int, int] | None:
    filled = [i for i in range(start, min(end, len(cells))) if cells[i] not in (" ", "")]
    return (filled[0], filled[-1]) if filled else None


def assert_aligned(lines: list[str], columns: int) -> None:
    """The table's columns line up by display cells.

    Between each two headers there must be a gutter of two or more cells blank on every
    line; within each column so found, the text of every line starts in the same cell
    (left-aligned) or ends in the same cell (right-aligned). A row padded by code points
    instead of cells fails one or the other.
    """
    spans = _header_spans(lines[0])
    assert len(spans) == columns, lines[0]
    blank = _blank_columns(lines)
    bounds = [0]
    for (_start, end), (start, _end) in itertools.pairwise(spans):
        gutters = _runs(sorted(c for c in blank if end <= c < start))
        wide = [run for run in gutters if run[1] - run[0] >= 2]
        assert wide, "no gutter between columns:\n" + "\n".join(lines)
        first, after = max(wide, key=lambda run: run[1] - run[0])
        bounds.extend([first, after])
    grids = [_cells(line) for line in lines]
    width = max(len(grid) for grid in grids)
    # A last column without a header (e.g. the bottleneck marker) starts after a gutter.
    after_last = _runs(sorted(c for c in blank if c >= spans[-1][1]))
    inner = [run for run in after_last if run[1] - run[0] >= 2 and run[1] < width]
    if inner:
        bounds.extend(inner[0])
    bounds.append(width)
    for left, right in zip(bounds[::2], bounds[1::2], strict=True):
        found = [span for grid in grids if (span := _text_span(grid, left, right))]
        starts, ends = {s for s, _e in found}, {e for _s, e in found}
        assert len(starts) == 1 or len(ends) == 1, "\n".join(lines)


def _table(output: str, header: str, footer: str | None = None) -> list[str]:
    """The header line (the one starting with ``header``) and the rows after it."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(header))
    table = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.strip() or (footer is not None and line.startswith(footer)):
            break
        table.append(line)
    return table


def _fits(output: str, sentences: tuple[str, ...] = ()) -> None:
    """Every line fits, but the lines under a table starting with one of ``sentences``:
    in a pipe each stays one line, as a sentence does."""
    too_wide = [
        line
        for line in output.splitlines()
        if textwidth.width(line) > WIDTH and not line.startswith(sentences or ("\0",))
    ]
    assert too_wide == []
    latin = set(re.findall(r"[A-Za-zÀ-ÿ]{3,}", output)) - LATIN_ALLOWED - STAGE_KEYS
    assert latin <= {"date", "era", "lang"}, latin  # data only: no English message left


def _run(cli: Any, *args: str, sentences: tuple[str, ...] = ()) -> str:
    result = cli(*args)
    assert result.exit_code in (0, 3), result.stderr
    _fits(result.stdout, sentences)
    return str(result.stdout)


def test_the_aligned_check_catches_code_point_padding() -> None:
    """Padding Thai by code points (as str.ljust does) breaks a gutter: the check fails."""
    rows = [("ขั้น", "ดีล"), ("ติดต่อนำเสนอ", "3"), ("Quoted", "12")]
    by_cells = [textwidth.pad(a, 12) + "  " + b for a, b in rows]
    assert_aligned(by_cells, 2)
    by_code_points = [a.ljust(12) + "  " + b for a, b in rows]
    with pytest.raises(AssertionError):
        assert_aligned(by_code_points, 2)


def test_list(thai: Any) -> None:
    """list: seven columns, Thai headers, ฿ amounts and 2569 dates, within 80 columns."""
    out = _run(thai, "list")
    table = _table(out, "เลขที่", footer="4 ดีล")
    assert_aligned(table, 7)
    assert "฿12,500,000.50" in out
    assert "2569-11-20" in out
    assert "4 ดีล รวม ฿15,270,000.50, USD 25,000.00" in out.splitlines()
    assert "งานถัดไป" in table[0]  # the next action has room at 80 columns
    assert out.splitlines()[-1] == "ไม่แสดงเพราะจอแคบ: ลูกค้า"  # the customer has not: said


def test_stage_list(thai: Any) -> None:
    """stage list: seven columns of Thai stage names and counts."""
    out = _run(thai, "stage", "list")
    assert_aligned(_table(out, "#"), 7)
    assert "อนุมัติซื้อ" in out


def test_show(thai: Any) -> None:
    """show: the fields, the guide and the timeline, all within 80 columns."""
    out = _run(thai, "show", "1")
    assert "มูลค่า" in out
    assert "฿12,500,000.50" in out
    timeline = _table(out, "เมื่อ")
    assert_aligned(timeline, 4)
    assert "ย้ายขั้น: ติดต่อนำเสนอ →" in out


def test_log(thai: Any) -> None:
    """log: five columns, newest first, Thai descriptions wrapped inside their column."""
    out = _run(thai, "log")
    table = _table(out, "เมื่อ")
    assert_aligned(table, 5)
    assert "การตั้งค่า date_era: — → be" in out


def test_report(thai: Any) -> None:
    """report: the open pipeline table and the results, in Thai."""
    out = _run(thai, "report")
    assert_aligned(_table(out, "ขั้น"), 4)
    assert "ไปป์ไลน์ที่เปิดอยู่ (ณ 27 พ.ย. 2569)" in out
    assert "อัตราปิดการขาย" in out


def test_forecast(thai: Any) -> None:
    """forecast: the table by month (พ.ย. 2569…) and its charts, each line within 80 (but
    the sentences under the range table, each one line in a pipe)."""
    out = _run(thai, "forecast", sentences=("พ.ย. 2569 – ม.ค. 2570 คือ", "ยอดที่ปิดได้จะต่ำกว่า"))
    assert_aligned(_table(out, "ช่วงเวลา", footer="คาดการณ์ ="), 6)
    # months as the header writes its date (8 ธ.ค. 2569), not 2569-12 (a Thai trial)
    assert "ธ.ค. 2569" in out
    assert "2569-12" not in out
    assert "เลยกำหนด" in out
    assert "พ.ย. 2569 – ม.ค. 2570" in out  # the months ahead together, in Thai years
    # what P10 / P50 / P90 are, and the chart's title names baht as the tables do
    assert "P50 คือค่ากลาง" in out
    assert "ถ่วงน้ำหนัก (฿)" in out
    assert "THB" not in out


def test_funnel(thai: Any) -> None:
    """funnel: five columns per stage."""
    out = _run(thai, "funnel", sentences=("สร้าง",))
    assert_aligned(_table(out, "ขั้น", footer="สร้าง"), 5)


def test_durations(thai: Any) -> None:
    """durations: eight columns with the bottleneck marker."""
    out = _run(thai, "durations")
    assert_aligned(_table(out, "ขั้น", footer="คอขวด:"), 7)


def test_winrate(thai: Any) -> None:
    """winrate --by stage: six columns, Thai stage names as groups."""
    out = _run(thai, "winrate", "--by", "stage")
    assert_aligned(_table(out, "ปิดที่ขั้น", footer="อัตรา ="), 6)
    assert "เสนอราคา" in out


def test_stale(thai: Any) -> None:
    """stale: at 80 columns eight (the owner and the value, the next action's due day;
    its text is left out, said below the table), longest overdue first."""
    out = _run(thai, "stale")
    table = _table(out, "เลขที่", footer="ดีลค้างนาน")
    assert_aligned(table, 8)
    assert {"ผู้ดูแล", "มูลค่า"} <= set(table[0].split())
    assert out.splitlines()[-1] == "ไม่แสดงเพราะจอแคบ: งานถัดไป"


def test_check(thai: Any) -> None:
    """check: kind and message, each alert one line in a pipe (cron mails it), however
    wide; the messages line up after the kinds, padded by display cells."""
    result = thai("check")
    assert result.exit_code == 3, result.stderr
    out = result.stdout
    alerts = _table(out, "ประเภท", footer="ต้องจัดการ")
    assert_aligned(alerts, 2)
    assert any(textwidth.width(line) > WIDTH for line in alerts)
    assert any(line.endswith("ใบเสนอราคาจะหมดอายุในอีก 1 วัน (2569-11-28)") for line in alerts)
    latin = set(re.findall(r"[A-Za-zÀ-ÿ]{3,}", out)) - LATIN_ALLOWED - STAGE_KEYS
    assert latin <= {"date", "era", "lang"}, latin


@pytest.mark.parametrize("by", ["count", "value", "weighted"])
def test_chart(thai: Any, by: str) -> None:
    """chart: every line of the frame exactly 80 cells (the title and total within them),
    the axis in one column, Thai title and labels."""
    out = _run(thai, "chart", "--by", by, "--width", "80")
    for chart in out.split("\n\n"):
        lines = chart.splitlines()
        framed = [line for line in lines if line[-1:] in ("│", "┐", "┘")]
        assert {textwidth.width(line) for line in framed} == {WIDTH}
        assert all(textwidth.width(line) <= WIDTH for line in lines)
        axes = {textwidth.width(line[: line.index("┤")]) for line in lines if "┤" in line}
        assert len(axes) == 1
    assert "ดีลที่เปิดอยู่ตามขั้น" in out
    assert "ติดต่อนำเสนอ" in out


def test_wrapping_keeps_marks_with_their_letter_and_breaks_thai_at_syllables() -> None:
    """A long Thai line wraps within its width, never splits a letter from its vowel or
    tone mark, and prefers to break before a leading vowel (a new syllable)."""
    text = "ลูกค้าต้องการให้รวมค่าติดตั้งและอบรมพนักงานทุกสาขาไม่เกินเดือนหน้า"
    lines = textwidth.wrap(text, 20)
    assert "".join(lines) == text
    assert all(textwidth.width(line) <= 20 for line in lines)
    assert all(textwidth.char_width(line[0]) == 1 for line in lines)  # no line starts with a mark
    assert any("ติดตั้ง" in line for line in lines)  # cut between syllables, not inside it
    assert textwidth.wrap("  --stage-map a=b --stage-map c=d", 20) == [
        "  --stage-map a=b",
        "  --stage-map c=d",
    ]


def test_plain_tables_squeeze_text_columns_and_keep_numbers() -> None:
    """At a narrow width the text columns give way (cut with …); amounts stay whole."""
    from salespipe.present import render

    table = render.Table(
        columns=[
            render.Column("ชื่อดีล", max_width=40),
            render.Column("มูลค่า", "right"),
            render.Column("รายละเอียด", wrap=True),
        ],
        rows=[["ระบบบัญชีสำหรับโรงงานผลิตชิ้นส่วน", "฿12,500,000.50", "ส่งใบเสนอราคาแล้ว " * 4]],
    )
    lines = render.plain([table], width=50).splitlines()
    assert max(textwidth.width(line) for line in lines) <= 50
    assert "฿12,500,000.50" in lines[1]
    assert "…" in lines[1]
    assert len(lines) > 2  # the description wrapped onto more lines
    assert_aligned(lines, 3)


@pytest.mark.parametrize("columns", [45, 60])
def test_a_thai_sentence_under_a_report_fills_its_lines_in_a_terminal(
    cli: Any, db_path: Path, columns: int
) -> None:
    """A Thai trial on a phone (45 and 60 columns, tmux): funnel's sentence broke
    "…หลุด 27 เปิดอยู่" / "137 อัตราปิดการขาย…", lines of 34 and 31 cells on 45, and
    durations' title "…และยังอยู่ ณ" / "8 ธ.ค. 2569)": no line now ends with a Thai word
    whose number starts the next, and the first line of funnel's sentence holds every
    count of it."""
    from test_terminal_width import ANSI, in_terminal

    made = cli("--lang", "th", "demo", "--deals", "120", "--db", str(db_path))
    assert made.exit_code == 0, made.stderr
    for command in ("funnel", "durations"):
        shown = in_terminal(("--db", str(db_path), "--lang", "th", command), columns)
        lines = [line.rstrip() for line in ANSI.sub("", shown).splitlines()]
        assert all(textwidth.width(line) <= columns for line in lines), lines
        for line, after in itertools.pairwise(lines):
            parted = re.search("[\u0e01-\u0e4e]$", line) and re.match(r"\(?[0-9]", after)
            assert not parted, f"{line!r} / {after!r}"
        if command == "funnel":
            sentence = next(line for line in lines if line.startswith("สร้าง "))
            assert re.fullmatch(r"สร้าง \d+ ดีล: ปิดได้ \d+ หลุด \d+ เปิดอยู่ \d+.*", sentence)
