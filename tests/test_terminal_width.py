"""Whole figures on every terminal: the real salespipe in a pseudo-terminal of 60, 80 and
140 columns, in English and Thai.

Each command runs as its own process on a pseudo-terminal whose window size is set as a
terminal sets it (TIOCSWINSZ), with no COLUMNS in the environment: what a user sees.
Every line must fit, and no amount, date or status may be cut or left out.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import platform
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import salespipe_command
from salespipe.present import textwidth, thaibreak

ANSI = re.compile(r"\x1b\[[0-9;]*m")
WIDTHS = (60, 80, 140)
COMMANDS = (
    ("list",),
    ("list", "--status", "all"),
    ("forecast",),
    ("durations",),
    ("report",),
    ("winrate", "--by", "owner"),
    ("stale",),
    ("stage", "list"),
    ("agenda",),
    ("board",),
)
LONG_TITLE = "Office air conditioning, 3 buildings"  # 36 cells: cut at 28 before
# An amount, a date or a number with a decimal point or thousands cut by an ellipsis.
CUT = re.compile(r"(฿|USD )[\d,.]*…|\d{4}-[\d-]*…|\d+[.,]\d*…")


def in_terminal(
    args: tuple[str, ...],
    columns: int,
    env: dict[str, str] | None = None,
    codes: tuple[int, ...] = (0, 3),
) -> str:
    """Run salespipe on a pseudo-terminal ``columns`` wide; what it shows, \\r\\n as \\n
    (it must exit with one of ``codes``)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    environment = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    environment.update({"TERM": "xterm-256color", **(env or {})})
    process = subprocess.Popen(
        [*salespipe_command(), *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=environment,
        start_new_session=True,
    )
    os.close(slave)
    try:
        shown = _read_until(master, None, seconds=60)
    finally:
        os.close(master)
        process.wait(timeout=30)
    assert process.returncode in codes, shown
    return shown.replace("\r\n", "\n")


def build(cli: Any, lang: str) -> None:
    """Long titles, large amounts in two currencies, won and lost deals, overdue and
    coming next actions, a quote and stale deals; Thai data in a Thai file."""
    thai = lang == "th"

    def ok(*args: str) -> None:
        result = cli("--lang", lang, *args)
        assert result.exit_code == 0, result.stderr

    ok("init")
    if thai:
        ok("config", "set", "lang", "th")  # a Thai interface; date_era left unset
    title = "ระบบปรับอากาศสำหรับอาคารสำนักงานสามอาคาร" if thai else LONG_TITLE
    customer = "บริษัท ไทยเฮลท์แคร์ จำกัด" if thai else "Thai Healthcare Co., Ltd."
    ok(
        "add",
        title,
        "-c",
        customer,
        "-v",
        "12500000.50",
        "--close",
        "2026-11-15",
        "-o",
        "alice",
        "--at",
        "2026-09-01 09:00",
    )
    ok("move", "1", "4", "--at", "2026-10-10 10:00")
    action = "นัดประชุมผู้บริหารฝ่ายจัดซื้อเรื่องส่วนลด" if thai else "Meet their management about the discount"
    ok("next", "1", action, "--due", "2026-11-20")
    ok(
        "add",
        "กล้องวงจรปิด 64 ตัว" if thai else "CCTV 64 cameras",
        "-c",
        "ห้างพระราม ๙" if thai else "Rama 9 Mall",
        "-v",
        "1.85m",
        "-s",
        "3",
        "-o",
        "bao",
        "--at",
        "2026-10-15 09:00",
    )
    ok("quote", "2", "--valid-until", "2026-11-28", "--amount", "1,790,000")
    ok(
        "add",
        "ระบบ POS ร้านกาแฟ" if thai else "POS for a coffee chain",
        "-c",
        "Café Amazon",
        "-v",
        "25000",
        "--currency",
        "USD",
        "--next",
        "ส่งรหัสทดลอง" if thai else "Send the demo login",
        "--due",
        "2026-11-29",
    )
    ok(
        "add",
        "ฝึกอบรมทีมขาย" if thai else "Sales training",
        "-v",
        "350k",
        "-o",
        "alice",
        "--at",
        "2026-08-01 09:00",
    )
    ok("won", "4", "--at", "2026-10-20 15:00")
    ok(
        "add",
        "โซลาร์รูฟท็อป" if thai else "Solar rooftop",
        "-v",
        "4.2m",
        "-o",
        "bao",
        "--at",
        "2026-08-15 09:00",
    )
    ok("move", "5", "4", "--at", "2026-09-01 09:00")
    ok(
        "lost",
        "5",
        "--reason",
        "แพงกว่าคู่แข่ง" if thai else "cheaper competitor",
        "--at",
        "2026-11-01 09:00",
    )


@pytest.fixture(params=["en", "th"])
def pipeline_file(request: pytest.FixtureRequest, cli: Any, db_path: Path) -> str:
    build(cli, request.param)
    return str(request.param)


def figures(lang: str, columns: int) -> dict[tuple[str, ...], list[str]]:
    """What each command must show whole (amounts, dates, statuses) at ``columns``."""
    year = "2569" if lang == "th" else "2026"  # Thai shows the Buddhist Era by default
    lost = "หลุด" if lang == "th" else "lost"
    # At 60 columns stale keeps each deal's owner and value, and the next action's due
    # day gives way, named below the table.
    not_shown = "ไม่แสดงเพราะจอแคบ: " if lang == "th" else "Not shown at this width: "
    stale_due = f"{year}-11-20" if columns >= 80 else not_shown + _headers(lang)["due"]
    # At 60 columns list keeps the overdue due day (its "!" warns) beside titles cut to
    # 8 cells, and leaves out the customer, the owner (the deals have three) and the next
    # action.
    names = _headers(lang)
    left_out = (names["customer"], names["owner"], names["next"])
    list_due = (
        [f"{year}-11-20!", f"{year}-11-29"]
        if columns >= 80
        else [f"{year}-11-20!", not_shown + ", ".join(left_out)]
    )
    return {
        ("list",): ["฿12,500,000.50", "USD 25,000.00", *list_due],
        ("list", "--status", "all"): ["฿12,500,000.50", "฿4,200,000.00", lost],
        ("forecast",): ["฿12,500,000.50", "฿8,750,000.35"],
        ("report",): ["฿14,290,000.50", "฿9,645,000.35", "USD 25,000.00"],
        ("winrate", "--by", "owner"): ["฿350,000.00", "50%"],
        ("stale",): [stale_due, "48", "alice", "฿12,500,000.50"],
        ("durations",): ["54.5", "43.0"],
        ("stage", "list"): ["90%", "10%"],
        ("agenda",): [f"{year}-11-20", f"{year}-11-29"],
        ("board",): ["฿12,500,000.50", "฿1,790,000.00", "USD 25,000.00"],
    }


def assert_whole(plain: str, columns: int, expected: list[str]) -> None:
    too_wide = [line for line in plain.splitlines() if textwidth.width(line) > columns]
    assert too_wide == [], "\n".join(too_wide)
    assert not CUT.search(plain), plain
    missing = [text for text in expected if text not in plain]
    assert missing == [], plain


@pytest.mark.parametrize("columns", WIDTHS)
def test_nothing_is_cut_in_a_real_terminal(pipeline_file: str, columns: int) -> None:
    """Every report and list fits the terminal's width with every figure, date and status
    whole; colour is on (a terminal) and is never the only sign: the text says it too."""
    for args in COMMANDS:
        shown = in_terminal(args, columns)
        plain = ANSI.sub("", shown)
        assert_whole(plain, columns, figures(pipeline_file, columns)[args])
        if args == ("list",):
            assert "\x1b[" in shown  # a terminal gets colour...
            # ...and the overdue next action is marked in the text (where its due day is)
            assert "!" in plain, plain


def _headers(lang: str) -> dict[str, str]:
    if lang == "th":
        return {
            "customer": "ลูกค้า",
            "owner": "ผู้ดูแล",
            "next": "งานถัดไป",
            "due": "กำหนด",
            "title": "ชื่อดีล",
        }
    return {
        "customer": "Customer",
        "owner": "Owner",
        "next": "Next action",
        "due": "Due",
        "title": "Title",
    }


@pytest.mark.parametrize("columns", WIDTHS)
def test_list_never_drops_a_column_silently(pipeline_file: str, columns: int) -> None:
    """A column of list is shown, or the lines below the table name it as not shown."""
    plain = ANSI.sub("", in_terminal(("list",), columns))
    header = plain.splitlines()[0]
    notes = [line for line in plain.splitlines() if line.startswith(("Not shown", "ไม่แสดง"))]
    for name in _headers(pipeline_file).values():
        assert name in header or any(name in note for note in notes), plain


def test_list_grows_with_the_terminal(pipeline_file: str) -> None:
    """At 80 columns list shows the next action's due day and text, of one owner's deals
    and of three owners' (whose deal each is gives way first); at 140 the whole of a long
    title, the customer, the owner and the next action."""
    names = _headers(pipeline_file)
    alone = ANSI.sub("", in_terminal(("list", "--owner", "alice"), 80)).splitlines()[0]
    assert names["next"] in alone, alone
    assert names["due"] in alone, alone
    assert names["owner"] not in alone, alone
    at_80 = ANSI.sub("", in_terminal(("list",), 80)).splitlines()[0]
    assert names["next"] in at_80, at_80
    assert names["due"] in at_80, at_80
    at_140 = ANSI.sub("", in_terminal(("list",), 140))
    title = "ระบบปรับอากาศสำหรับอาคารสำนักงานสามอาคาร" if pipeline_file == "th" else LONG_TITLE
    assert title in at_140
    header = at_140.splitlines()[0]
    assert all(names[name] in header for name in ("customer", "owner", "next")), at_140


def test_no_color_keeps_the_terminal_width(pipeline_file: str) -> None:
    """NO_COLOR turns colour off but lays out for the real width; NO_COLOR= (empty) is
    unset, as no-color.org says."""
    plain = in_terminal(("list",), 140, {"NO_COLOR": "1"})
    assert "\x1b[" not in plain
    assert max(textwidth.width(line) for line in plain.splitlines()) > 80
    assert "\x1b[" in in_terminal(("list",), 140, {"NO_COLOR": ""})


def test_piped_output_uses_columns_or_80(pipeline_file: str, run: Callable[..., Any]) -> None:
    """Not a terminal: COLUMNS if set, else 80; never colour."""
    for columns, env in ((60, {"COLUMNS": "60"}), (80, {"COLUMNS": ""})):
        result = run("list", env=env)
        assert result.returncode == 0, result.stderr
        assert "\x1b[" not in result.stdout
        table = result.stdout.split("\n\n")[0].splitlines()  # (the lines under it are whole)
        assert max(textwidth.width(line) for line in table) <= columns


def _piped_at_a_terminal(args: tuple[str, ...], columns: int, env: dict[str, str]) -> str:
    """salespipe's stdout into a pipe (``salespipe list | less``) while its stderr is the
    terminal, ``columns`` wide, of the person who typed it; what it wrote to the pipe."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    environment = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    try:
        result = subprocess.run(
            [*salespipe_command(), *args],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=slave,
            env={**environment, **env},
            text=True,
            timeout=60,
        )
    finally:
        os.close(slave)
        os.close(master)
    assert result.returncode == 0
    return result.stdout


@pytest.mark.parametrize("args", [("list",), ("chart",)])
def test_piped_into_a_pager_it_is_laid_out_for_the_terminal_at_hand(
    pipeline_file: str, args: tuple[str, ...]
) -> None:
    """`salespipe list | less` on a 45-column phone was laid out for 80 columns, which the
    phone then broke inside money figures: piped, the layout follows the terminal on
    stderr when COLUMNS does not say; COLUMNS still decides when set."""
    at_45 = _piped_at_a_terminal(args, 45, {})
    assert "\x1b[" not in at_45
    assert max(textwidth.width(line) for line in at_45.split("\n\n")[0].splitlines()) <= 45
    told = _piped_at_a_terminal(args, 45, {"COLUMNS": "100"})
    assert max(textwidth.width(line) for line in told.split("\n\n")[0].splitlines()) > 45


def test_the_total_under_a_table_stays_one_line_in_a_pipe(
    pipeline_file: str, run: Callable[..., Any]
) -> None:
    """A trial: `COLUMNS=50 salespipe list --status all --columns id,value | tail -2` gave
    the total broken over two lines (in Thai at 80 columns too), so a script that greps
    it got half. The table is laid out for the width; the lines under it are sentences,
    one line each in a pipe as every sentence is there."""
    for env in ({"COLUMNS": "50"}, {"COLUMNS": ""}):
        result = run("list", "--status", "all", "--columns", "id,value", env=env)
        assert result.returncode == 0, result.stderr
        *table, total = result.stdout.splitlines()
        open_, won, lost = (
            ("เปิดอยู่", "ปิดได้", "หลุด")
            if pipeline_file == "th"
            else (
                "open",
                "won",
                "lost",
            )
        )
        assert total.index(open_) < total.index(won) < total.index(lost), result.stdout
        assert total.endswith(".00"), result.stdout
        assert max(textwidth.width(line) for line in table) <= int(env["COLUMNS"] or 80)


LONG_ROLE = "somchai_wongsawat_sales"  # 23 cells: a team's database role (docs/team.md)


@pytest.mark.parametrize("columns", WIDTHS)
def test_log_keeps_a_long_name_whole(
    cli: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """`log`'s Who column is never cut (it was, with …, at 80 columns): what and why wrap
    narrower to make room for the name at 80 and 140; too narrow for the table (60), each
    change is a card with the name whole. Every line fits."""
    monkeypatch.setenv("SALESPIPE_USER", LONG_ROLE)
    assert cli("add", "ERP", "-v", "1m").exit_code == 0
    assert cli("move", "1", "3", "--reason", "sent the quotation").exit_code == 0
    lines = ANSI.sub("", in_terminal(("log",), columns)).splitlines()
    assert all(textwidth.width(line) <= columns for line in lines), lines
    rows = [line.rstrip() for line in lines if "2026-" in line]
    if columns >= 80:  # a table: a line for each change
        assert len(rows) == 2, lines
        assert all(row.endswith(LONG_ROLE) for row in rows), lines
        assert "…" not in "".join(lines), lines
        thai = ANSI.sub("", in_terminal(("--lang", "th", "log"), columns)).splitlines()
        assert all(textwidth.width(line) <= columns for line in thai), thai
        assert [line.rstrip()[-len(LONG_ROLE) :] for line in thai if "2569-" in line] == [
            LONG_ROLE
        ] * 2, thai
    else:
        assert sum(line.split() == ["Who", LONG_ROLE] for line in lines) == 2, lines


@pytest.mark.parametrize(
    "action",
    [
        "chase PO-2026-000123456789012 with procurement",
        "send revised quote for ฿12,345,678.00 to Somchai",
    ],
)
def test_a_number_in_a_next_action_leaves_every_column_in_list(
    cli: Any, db_path: Path, action: str
) -> None:
    """Keeping every figure whole, list at 80 columns left out the customer and the next
    action for a next action holding a long number (a review): free text that may be
    left out gives way instead. The customer still gives way to the title (cut to 8
    cells beside it, two trials), and says so."""
    assert (
        cli(
            "add",
            "Enterprise resource planning",
            "-c",
            "Siam Foods Public Company",
            "-v",
            "1.5m",
            "--next",
            action,
            "--due",
            "+12d",
        ).exit_code
        == 0
    )
    lines = ANSI.sub("", in_terminal(("list",), 80)).splitlines()
    assert lines[0].split() == ["ID", "Title", "Stage", "Value", "Days", "Due", "Next", "action"]
    assert [line for line in lines if line.startswith("Not shown")] == [
        "Not shown at this width: Customer."
    ], lines


def test_check_wraps_the_kind_of_an_alert_rather_than_cut_it(pipeline_file: str) -> None:
    """At 40 columns check cut its kind to "next action overd…"; it wraps now."""
    lines = ANSI.sub("", in_terminal(("check",), 40)).splitlines()
    assert all(textwidth.width(line) <= 40 for line in lines), lines
    kinds = [line[:18] for line in lines if line[:1].strip()]  # (the first column's lines)
    assert not any("…" in kind for kind in kinds), lines
    assert any(line.startswith(("next action", "งานถัดไป")) for line in lines), lines


def test_the_log_gives_the_room_to_what_happened_when_few_changes_have_a_reason(
    cli: Any, db_path: Path
) -> None:
    """At 80 columns a log of notes with one reason kept 20 cells for the reason and
    wrapped every note in 28: the reason now wraps narrower, as it adds fewer lines."""
    assert cli("add", "ERP", "-v", "1m").exit_code == 0
    for _ in range(4):
        assert cli("note", "1", "Customer is comparing us with a competitor").exit_code == 0
    assert cli("lost", "1", "--reason", "Competitor was cheaper").exit_code == 0
    lines = ANSI.sub("", in_terminal(("log",), 80)).splitlines()
    header = lines[0]
    assert header.index("Reason") - header.index("What") >= 32, lines
    notes = [line for line in lines if "note: Customer is comparing us" in line]
    assert len(notes) == 4, lines  # (wrapped in 28 cells it was "note: Customer is comparing")


@pytest.mark.parametrize("lang", ["en", "th"])
@pytest.mark.parametrize("columns", WIDTHS)
def test_an_amount_in_the_history_is_never_broken_across_lines(
    cli: Any, db_path: Path, columns: int, lang: str
) -> None:
    """`log` and `show`'s timeline wrap what happened, but never inside an amount: at 60
    columns a ฿162.5m value change was broken as "฿162,500,000.0" over "0" while the
    reason beside it kept its width."""
    assert cli("add", "ERP", "-v", "150m").exit_code == 0
    assert cli("edit", "1", "--value", "162.5m").exit_code == 0
    assert cli("move", "1", "3", "--reason", "Customer asked for the quotation").exit_code == 0
    for args in (("log",), ("show", "1")):
        lines = ANSI.sub("", in_terminal(("--lang", lang, *args), columns)).splitlines()
        assert all(textwidth.width(line) <= columns for line in lines), lines
        for amount in ("฿150,000,000.00", "฿162,500,000.00"):
            assert any(amount in line for line in lines), (amount, lines)


@pytest.mark.parametrize("columns", [60, 80])
def test_a_long_sentence_breaks_between_words(
    pipeline_file: str, run: Callable[..., Any], columns: int
) -> None:
    """A sentence longer than the terminal (here an error naming every stage) is broken
    between words to its width, not cut mid-word by the terminal; piped it stays one
    line, for scripts."""
    args = ("move", "1", "nowhere")
    piped = run(*args)
    assert piped.returncode == 1
    (sentence,) = piped.stderr.splitlines()
    assert textwidth.width(sentence) > columns
    lines = ANSI.sub("", in_terminal(args, columns, codes=(1,))).strip().splitlines()
    assert len(lines) > 1
    assert all(textwidth.width(line) <= columns for line in lines), lines
    words = [word for line in lines for word in line.split()]
    assert words == sentence.split()


@pytest.mark.parametrize("lang", ["en", "th"])
def test_a_usage_error_breaks_between_words(run: Callable[..., Any], lang: str) -> None:
    """Click's usage errors were left to the terminal, which cut them mid-word at 60
    columns ("…'winrate', 'in / it'?", a Salesforce user's trial); they break between
    words now, as salespipe's own errors do; piped, the error is still one line."""
    args = ("--lang", lang, "winrat")
    piped = run(*args)
    assert piped.returncode == 2
    sentence = piped.stderr.splitlines()[-1]
    assert "winrate" in sentence
    assert textwidth.width(sentence) > 40
    shown = ANSI.sub("", in_terminal(args, 40, codes=(2,))).strip().splitlines()
    lines = shown[shown.index("") + 1 :]  # (after the usage and the hint)
    assert len(lines) > 1
    assert all(textwidth.width(line) <= 40 for line in lines), lines
    assert "".join("".join(lines).split()) == "".join(sentence.split())
    if lang == "en":  # (Thai breaks between words written without spaces too)
        assert [word for line in lines for word in line.split()] == sentence.split()


def test_a_page_to_a_terminal_is_written_as_it_is(
    pipeline_file: str, run: Callable[..., Any]
) -> None:
    """`report --html -` on a terminal prints the page byte for byte as piped: it is
    read as it is, not rewrapped like a sentence."""
    piped = run("report", "--html", "-")
    assert piped.returncode == 0, piped.stderr
    assert max(textwidth.width(line) for line in piped.stdout.splitlines()) > 60
    shown = in_terminal(("report", "--html", "-"), 60)
    assert shown.strip("\n") == piped.stdout.strip("\n")


@pytest.mark.parametrize("columns", [40, 60])
def test_a_watch_line_wraps_under_its_text_not_its_time(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], columns: int
) -> None:
    """A line of `watch` too long for the terminal goes on under what happened, the time
    standing alone in its column; piped, it stays one line."""
    from salespipe.cli import output

    time = "2026-12-06 09:30"
    line = f"{time}  deal 7: note: Called the GM; demo next week with the finance team (by bao)"
    output.say(line, len(time) + 2)
    assert capsys.readouterr().out == line + "\n"

    monkeypatch.setattr(output, "is_terminal", lambda stream: True)
    monkeypatch.setattr(output, "width", lambda stream=None: columns)
    output.say(line, len(time) + 2)
    first, *rest = capsys.readouterr().out.splitlines()
    assert first.startswith(f"{time}  deal 7: note:")
    assert rest
    assert all(
        later.startswith(" " * (len(time) + 2)) and later[len(time) + 2] != " " for later in rest
    )
    assert all(textwidth.width(shown) <= columns for shown in [first, *rest])
    words = [word for shown in [first, *rest] for word in shown.split()]
    assert words == line.split()


def test_ctrl_c_at_the_delete_question_keeps_the_deal_in_the_users_language(
    tmp_path: Path,
) -> None:
    """Ctrl-C at "Delete deal 1?" ends with exit 130 and says, in Thai, that nothing was
    changed (Click's own ending was an English "Aborted!" and exit 1)."""
    env = {**os.environ, "SALESPIPE_DB": str(tmp_path / "p.json"), "TERM": "xterm"}
    added = subprocess.run([*salespipe_command(), "add", "ERP"], env=env, capture_output=True)
    assert added.returncode == 0, added.stderr
    pid, master = _delete_in_thai(env)
    shown = _read_until(master, "[y/N]")
    _wait_at_the_question(pid)
    os.write(master, b"\x03")
    shown += _read_until(master, None, seconds=10)
    if not _has_ended(pid):
        # Twice in CI runs (-n auto, in the background, loaded) the terminal's ^C did not
        # reach the command, which then waited at its question; it never happened
        # otherwise. The signal itself, as the terminal sends it, is what is under test.
        # Printed, not warned: the suite turns warnings into errors.
        print(f"^C not delivered: {_signal_state(pid)}", file=sys.stderr)
        os.kill(pid, signal.SIGINT)
        shown += _read_until(master, None, seconds=30)
    assert _ended(pid, seconds=30) == 130, shown
    assert "ไม่ได้เปลี่ยนแปลงอะไร" in shown
    assert "Aborted" not in shown
    listed = subprocess.run([*salespipe_command(), "show", "1"], env=env, capture_output=True)
    assert listed.returncode == 0


def _read_until(master: int, text: str | None, seconds: float = 30) -> str:
    """What the terminal shows until ``text`` appears (None: until the process ends)."""
    shown = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text is not None and text.encode() in shown:
            break
        ready, _, _ = select.select([master], [], [], 0.5)
        if not ready:
            continue
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the process has closed the terminal
            break
        if not data:
            break
        shown += data
    return shown.decode("utf-8", "replace")


def test_the_delete_question_takes_a_thai_answer(tmp_path: Path) -> None:
    """Asked in Thai, it refused "ใช่" with an English "Error: invalid input"."""
    env = {**os.environ, "SALESPIPE_DB": str(tmp_path / "p.json"), "TERM": "xterm"}
    added = subprocess.run([*salespipe_command(), "add", "ERP"], env=env, capture_output=True)
    assert added.returncode == 0, added.stderr
    pid, master = _delete_in_thai(env)
    shown = _read_until(master, "[y/N]")
    os.write(master, "ใช่\r".encode())
    shown += _read_until(master, None, seconds=10)
    assert _ended(pid) == 0, shown  # it asked again, for ever, before
    assert "invalid input" not in shown
    gone = subprocess.run([*salespipe_command(), "show", "1"], env=env, capture_output=True)
    assert gone.returncode == 1


@pytest.mark.parametrize("answer", ["n", "y"])
def test_delete_json_asks_on_stderr_and_prints_only_json(tmp_path: Path, answer: str) -> None:
    """`delete --json` asked at a terminal: the question was on stdout, and a "no" printed
    a sentence there too, so a script's JSON parse failed."""
    import pty

    env = {**os.environ, "SALESPIPE_DB": str(tmp_path / "p.json"), "TERM": "xterm"}
    added = subprocess.run([*salespipe_command(), "add", "ERP"], env=env, capture_output=True)
    assert added.returncode == 0, added.stderr
    master, terminal = pty.openpty()
    os.write(master, f"{answer}\r".encode())
    asked = subprocess.run(
        [*salespipe_command(), "delete", "1", "--json"],
        env=env,
        stdin=terminal,
        capture_output=True,
        timeout=60,
    )
    os.close(terminal)
    os.close(master)
    assert asked.returncode == 0, asked.stderr
    assert b'Delete deal 1 "ERP"? [y/N]' in asked.stderr
    assert asked.stdout[:1] == b"{"  # (Click's prompt left a space before it)
    shown = json.loads(asked.stdout)
    if answer == "n":
        assert shown == {"deleted": None}
    else:
        assert shown["deleted"]["title"] == "ERP"
    kept = subprocess.run([*salespipe_command(), "show", "1"], env=env, capture_output=True)
    assert kept.returncode == (0 if answer == "n" else 1)


# The number of the read system call, as /proc/PID/syscall shows it.
_READ = {"aarch64": "63"}.get(platform.machine(), "0")


def _wait_at_the_question(pid: int, seconds: float = 15) -> None:
    """Until the command sleeps in a read of its terminal: the question is printed a
    moment before it is read, and a ^C typed in between is what a person cannot type."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            syscall = Path(f"/proc/{pid}/syscall").read_text().split()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if syscall[:2] == [_READ, "0x0"] and state == "S":  # read(0, …), asleep
            return
        time.sleep(0.05)


def _has_ended(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") >= 0
    except OSError:
        return True


def _signal_state(pid: int) -> str:
    """What /proc says of a process's state and signals (a clue when one is missed)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError as exc:
        return str(exc)
    keys = ("State", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")
    return "; ".join(line for line in status if line.split(":")[0] in keys)


def _ended(pid: int, seconds: float = 10) -> int | None:
    """The exit code of a process that ends within ``seconds``; None (after killing it)
    if it does not."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return None


def _delete_in_thai(env: dict[str, str]) -> tuple[int, int]:
    """`salespipe --lang th delete 1` on a pseudo-terminal that is its controlling
    terminal; its pid and the terminal's other end."""
    import pty

    pid, master = pty.fork()
    if pid == 0:
        # A job started in the background (a CI runner's) ignores Ctrl-C, and its
        # children would too: the command must hear it as a person's terminal sends it.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        command = [*salespipe_command(), "--lang", "th", "delete", "1"]
        os.execve(command[0], command, env)
    return pid, master


def test_a_closed_deals_status_and_stage_are_not_cut_sooner_than_an_open_ones(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `won (` and `)` around a stage name counted against the 16 cells a stage
    name keeps: `won (Negotiatin…` at 80 columns, the status's bracket lost."""
    assert cli("init").exit_code == 0  # its fourth stage: "Negotiating"
    for title in ("CCTV, 32 cameras for the warehouse", "ERP for Siam Foods Public Co"):
        added = cli(
            "add", title, "-c", "Siam Foods", "-v", "480k", "--stage", "4",
            "--next", "Site visit with the plant manager", "--due", "+3d",
        )  # fmt: skip
        assert added.exit_code == 0
    assert cli("won", "1").exit_code == 0
    monkeypatch.setenv("COLUMNS", "80")  # a pipe: the layout of an 80-column terminal
    shown = cli("list", "--status", "all").stdout
    assert "won (Negotiating)" in shown, shown
    assert max(textwidth.width(line) for line in shown.splitlines()) <= 80


@pytest.mark.parametrize("lang", ["en", "th"])
def test_the_forecasts_span_of_months_is_never_broken_across_lines(
    cli: Any, db_path: Path, lang: str
) -> None:
    """At 80 columns the demo's forecast broke "2026-11 – 2027-01" onto two lines (a team
    lead's trial, in tmux): where the table fits only with it narrower, the span is said
    by its months' names (Nov – Jan, beside the month rows with the years); where it fits
    whole, whole; at 60 the table is one field per line, the span whole beside its label."""
    assert cli("demo", "--db", str(db_path)).exit_code == 0
    span, short = (
        ("พ.ย. 2569 – ม.ค. 2570", "พ.ย. – ม.ค.")
        if lang == "th"
        else (
            "2026-11 – 2027-01",
            "Nov – Jan",
        )
    )
    for columns in (60, 80, 100, 140):
        plain = ANSI.sub("", in_terminal(("--lang", lang, "forecast"), columns))
        table = plain.split("\n\n" + ("ช่วงของ" if lang == "th" else "Range of"))[0]
        table = [line.rstrip() for line in table.splitlines()]
        assert not any(line.rstrip().endswith("–") for line in table), plain
        totals = [line for line in table if span in line or line.startswith(short)]
        assert totals, plain
        if columns == 80:
            assert totals[0].startswith(short), plain
        if columns == 140:
            assert totals[0].startswith(span), plain


@pytest.mark.parametrize("lang", ["en", "th"])
def test_the_range_tables_span_of_months_is_never_broken_across_lines(
    cli: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    """The range table shows the months ahead together too: at 50 columns it fits only
    with that row's span narrower, which broke "2026-11 –" from "2027-01" onto two lines
    when its short label was not given (no test saw that). Its months' names take the
    place there, as in the forecast's table; where it fits whole, whole."""
    assert cli("demo", "--db", str(db_path)).exit_code == 0
    th = lang == "th"
    span = "พ.ย. 2569 – ม.ค. 2570" if th else "2026-11 – 2027-01"
    short = "พ.ย. – ม.ค." if th else "Nov – Jan"
    title = "ช่วงของ" if th else "Range of"
    for columns in (50, 56):
        monkeypatch.setenv("COLUMNS", str(columns))
        shown = cli("--db", str(db_path), "--lang", lang, "forecast")
        assert shown.exit_code == 0, shown.stderr
        table = shown.stdout.split("\n" + title)[1].split("\n\n")[0].splitlines()
        assert not any(line.rstrip().endswith("–") for line in table), table
        [total] = [line for line in table if line.startswith((span, short)) and "฿" in line]
        # (Thai months by name, "พ.ย. 2569 – ม.ค. 2570", are too wide for 56 columns too)
        assert total.startswith(short if columns == 50 or th else span), table


_THAI_RUN_AT_END = re.compile("[\u0e01-\u0e5b]+$")
_THAI_RUN_AT_START = re.compile("^[\u0e01-\u0e5b]+")


_NUMBER_AT_END = re.compile(r"[0-9]$")


def _cut_thai_words(lines: list[str]) -> list[tuple[str, str]]:
    """Pairs of lines whose break falls inside a Thai word (libthai's words, with the
    compounds salespipe keeps whole), or between a number and its Thai unit ("10" /
    "เท่า")."""
    cut = []
    for line, below in itertools.pairwise(lines):
        first = below.split(" ", 1)[0] if below.strip() else ""
        if _NUMBER_AT_END.search(line) and first.strip("():,;.") in textwidth._COUNTED:
            cut.append((line, below))
            continue
        left = _THAI_RUN_AT_END.search(line)
        right = _THAI_RUN_AT_START.search(below.lstrip())
        if left is None or right is None:
            continue
        ends = set(itertools.accumulate(len(w) for w in thaibreak.words(left[0] + right[0])))
        if len(left[0]) not in ends:
            cut.append((line, below))
    return cut


@pytest.mark.skipif(not thaibreak.available(), reason="the system has no libthai")
@pytest.mark.parametrize("columns", [60, 80])
@pytest.mark.parametrize(
    "args",
    [
        ("--lang", "th", "--help"),
        ("--lang", "th", "add", "--help"),
        ("--lang", "th", "list", "--help"),
        ("--lang", "th", "stage", "add", "--help"),
        # a Thai trial at 80 and 60 columns: "ผู้ / ใช้", "ครั้ง / แรก", "ที่ปิด / ได้",
        # "คำขึ้น / ต้น", "เรียง / กัน", "ไม่ / ซ้ำ", "10 / เท่า"
        ("--lang", "th", "init", "--help"),
        ("--lang", "th", "forecast", "--help"),
        ("--lang", "th", "board", "--help"),
        ("--lang", "th", "report", "--help"),
        ("--lang", "th", "quote", "--help"),
    ],
)
def test_thai_help_breaks_between_words(args: tuple[str, ...], columns: int) -> None:
    """--help in Thai fits the terminal and is broken between Thai words, as salespipe's
    own text is (Click's wrapper counts a Thai mark as a cell and cuts a word it finds
    too long at the margin)."""
    lines = ANSI.sub("", in_terminal(args, columns, codes=(0,))).splitlines()
    assert "ตัวเลือก:" in lines
    assert all(textwidth.width(line) <= columns for line in lines), lines
    assert _cut_thai_words(lines) == []
    assert _trial_breaks(lines) == []


# Where a Thai trial saw lines of --help and forecast broken (a word, or a number and its
# unit, parted), whatever libthai's dictionary says.
TRIAL_BREAKS = (
    *(("ผู้", "ใช้"), ("ครั้ง", "แรก"), ("เหล่า", "นั้น"), ("ปิด", "ได้"), ("ขึ้น", "ต้น")),
    *(("เรียง", "กัน"), ("ไม่", "ซ้ำ"), ("10", "เท่า"), ("น้อย", "กว่า"), ("มาก", "กว่า")),
)


def _trial_breaks(lines: list[str]) -> list[tuple[str, str]]:
    return [
        (line, below)
        for line, below in itertools.pairwise(lines)
        for left, right in TRIAL_BREAKS
        if line.rstrip().endswith(left) and below.lstrip().startswith(right)
    ]
