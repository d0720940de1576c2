"""Every example script runs here, against local stand-ins, so none of them can rot:
the webhook against a tiny HTTP server on 127.0.0.1, mail through a fake sendmail."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("each_backend")


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class _Recorder(BaseHTTPRequestHandler):
    """Keeps each POST (headers and body) and answers 200, like a chat webhook."""

    received: list[tuple[str, dict[str, str], bytes]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.received.append((self.path, dict(self.headers), body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook_server() -> Iterator[HTTPServer]:
    """A webhook stand-in on a free loopback port, stopped after the test."""
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    server.received = []  # type: ignore[attr-defined]
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder first on PATH holding a fake sendmail that keeps each mail in mail-N.txt."""
    folder = tmp_path / "bin"
    folder.mkdir()
    sendmail = folder / "sendmail"
    sendmail.write_text(
        "#!/bin/sh\n"
        f'out="{tmp_path}/mail-$(ls {tmp_path} | grep -c "^mail-").txt"\n'
        'echo "ARGS: $*" > "$out"\n'
        'cat >> "$out"\n',
        encoding="utf-8",
    )
    sendmail.chmod(0o755)
    venv_bin = os.path.dirname(sys.executable)
    monkeypatch.setenv("PATH", os.pathsep.join([str(folder), venv_bin, os.environ["PATH"]]))
    return folder


def _mails(tmp_path: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(tmp_path.glob("mail-*.txt"))]


def _install(hooks: Path, example: str, *names: str) -> None:
    hooks.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(EXAMPLES / "hooks" / example, hooks / name)


def _script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def hooks_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "hooks"
    monkeypatch.setenv("SALESPIPE_HOOKS", str(folder))
    return folder


def test_webhook_posts_slack_style_json(
    cli, hooks_dir: Path, webhook_server: HTTPServer, monkeypatch: pytest.MonkeyPatch, author: str
) -> None:
    """Installed as on-won, the webhook posts {"text": message} as UTF-8 JSON."""
    _install(hooks_dir, "webhook", "on-won")
    url = f"http://127.0.0.1:{webhook_server.server_port}/hooks/T000/B000"
    monkeypatch.setenv("SALESPIPE_WEBHOOK_URL", url)
    cli("add", 'ERP "Siam" ให้สยามฟู้ดส์', "-c", "Siam Foods", "-v", "1.5m", "-q")
    result = cli("won", "1", "-r", "PO received")
    assert (result.exit_code, result.stderr) == (0, "")
    [(path, headers, body)] = webhook_server.received  # type: ignore[attr-defined]
    assert path == "/hooks/T000/B000"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(body) == {
        "text": f'{author}: deal 1 "ERP "Siam" ให้สยามฟู้ดส์" (Siam Foods): won, '
        "฿1,500,000.00 — PO received"
    }


def test_webhook_line_style_sends_the_token(
    cli, hooks_dir: Path, webhook_server: HTTPServer, monkeypatch: pytest.MonkeyPatch, author: str
) -> None:
    """The LINE style pushes {"to", "messages"} with the bearer token."""
    _install(hooks_dir, "webhook", "on-lost")
    monkeypatch.setenv("SALESPIPE_WEBHOOK_URL", f"http://127.0.0.1:{webhook_server.server_port}/")
    monkeypatch.setenv("SALESPIPE_WEBHOOK_STYLE", "line")
    monkeypatch.setenv("SALESPIPE_LINE_TOKEN", "secret-token")
    monkeypatch.setenv("SALESPIPE_LINE_TO", "Cgroup")
    cli("add", "Cold room", "-q")
    assert cli("lost", "1", "-r", "too expensive").exit_code == 0
    [(_, headers, body)] = webhook_server.received  # type: ignore[attr-defined]
    assert headers["Authorization"] == "Bearer secret-token"
    assert json.loads(body) == {
        "to": "Cgroup",
        "messages": [
            {"type": "text", "text": f'{author}: deal 1 "Cold room": lost — too expensive'}
        ],
    }


def test_webhook_that_cannot_connect_is_only_a_warning(
    cli, hooks_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chat that is down gives a warning from curl; the deal is still won."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _install(hooks_dir, "webhook", "on-won")
    monkeypatch.setenv("SALESPIPE_WEBHOOK_URL", f"http://127.0.0.1:{port}/")
    cli("add", "A", "-q")
    result = cli("won", "1")
    assert result.exit_code == 0
    assert "hook on-won (won of deal 1) failed (exit 7)" in result.stderr
    assert cli.json("show", "1")["status"] == "won"


def test_mail_hook_sends_through_sendmail(
    cli,
    hooks_dir: Path,
    fake_bin: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    author: str,
) -> None:
    """The mail hook hands sendmail -t a UTF-8 mail with an encoded Thai subject, in
    encoded-words of at most 75 characters (RFC 2047: it was one word of about 190)."""
    from email import message_from_string
    from email.header import decode_header, make_header

    _install(hooks_dir, "mail", "on-won")
    monkeypatch.setenv("SALESPIPE_MAIL_TO", "sales@example.com")
    title = "ระบบ ERP บริษัท สยามฟู้ดส์ จำกัด (มหาชน) สาขาบางนา"
    cli("add", title, "-v", "85000", "-q")
    assert cli("won", "1").exit_code == 0
    [mail] = _mails(tmp_path)
    head, body = mail.split("\n\n", 1)
    assert "ARGS: -t -i" in head
    assert "To: sales@example.com" in head
    assert "Content-Type: text/plain; charset=UTF-8" in head
    words = re.findall(r"=\?utf-8\?b\?[^?]*\?=", head, re.IGNORECASE)
    assert len(words) > 1
    assert max(map(len, words)) <= 75
    assert max(len(line) for line in head.splitlines()) <= 78
    parsed = message_from_string(mail.split("\n", 1)[1])  # (the fake's ARGS line first)
    subject = str(make_header(decode_header(parsed["Subject"])))
    assert subject == f'[salespipe] {author}: deal 1 "{title}": won, ฿85,000.00'
    assert body.startswith(f'{author}: deal 1 "{title}": won, ฿85,000.00\n')
    event = json.loads(body.split("The event, as salespipe recorded it:\n", 1)[1])
    assert (event["event"], event["after"]["status"]) == ("won", "won")


def test_cron_check_mails_only_when_check_exits_3(cli, fake_bin: Path, tmp_path: Path) -> None:
    """Nothing to act on: silent, no mail. A stale deal: one mail with check's list."""
    cron = str(EXAMPLES / "cron" / "salespipe-check")
    env = {"SALESPIPE_MAIL_TO": "me@example.com"}
    cli("add", "Fresh", "-q")
    quiet = _script(cron, env=env)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    assert _mails(tmp_path) == []
    cli("add", "Forgotten", "--at", "2026-10-01 09:00", "-q")
    mailed = _script(cron, env=env)
    assert mailed.returncode == 0, mailed.stderr
    [mail] = _mails(tmp_path)
    # salespipe's day, not the machine's: the docs' mail shows the day of their examples
    assert "Subject: salespipe: deals need action (2026-11-27)" in mail
    assert 'Deal 2 "Forgotten" has been 57 days in Presented (target 7).' in mail


def test_cron_check_mails_the_whole_list_in_one_mail(cli, fake_bin: Path, tmp_path: Path) -> None:
    """A Salesforce user's trial: with more alerts than check shows by default, its
    "showing 20 of 21 — --limit 0 for all" went to stderr, which cron mails apart: two
    mails every morning, the first with part of the list."""
    for number in range(1, 22):
        cli("add", f"Forgotten {number}", "--at", "2026-10-01 09:00", "-q")
    mailed = _script(str(EXAMPLES / "cron" / "salespipe-check"), env={"SALESPIPE_MAIL_TO": "a@b"})
    assert (mailed.returncode, mailed.stderr) == (0, "")
    [mail] = _mails(tmp_path)
    assert 'Deal 21 "Forgotten 21" has been 57 days in Presented (target 7).' in mail


def test_cron_check_mails_a_stale_deal_of_a_pipeline_not_in_use(
    cli, fake_bin: Path, tmp_path: Path
) -> None:
    """`salespipe use R2` by anyone on a shared file made the cron check look at R2 only:
    the stale deal in Sales went unmailed."""
    cli("add", "Forgotten", "--at", "2026-10-01 09:00", "-q")
    cli("pipeline", "add", "R2")
    cli("use", "R2")
    mailed = _script(str(EXAMPLES / "cron" / "salespipe-check"), env={"SALESPIPE_MAIL_TO": "a@b"})
    assert mailed.returncode == 0, mailed.stderr
    [mail] = _mails(tmp_path)
    assert 'Deal 1 "Forgotten" has been 57 days in Presented (target 7).' in mail


def test_cron_check_reports_errors_on_stderr(fake_bin: Path, tmp_path: Path, db_path: Path) -> None:
    """A broken data file: check's error goes to stderr (cron mails it) and no mail is sent."""
    db_path.parent.mkdir(parents=True)
    db_path.write_text("not json")
    result = _script(
        str(EXAMPLES / "cron" / "salespipe-check"), env={"SALESPIPE_MAIL_TO": "me@example.com"}
    )
    assert result.returncode == 4
    assert "salespipe check failed (exit 4)" in result.stderr
    assert f"The data file {db_path} is not valid JSON" in result.stderr
    assert _mails(tmp_path) == []


@pytest.mark.file_only  # (the default data file)
def test_cron_check_passes_on_a_warning_of_a_missing_data_file(
    fake_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crontab without SALESPIPE_DB, for a user whose file is elsewhere: check warns
    that the default file is not there and exits 0. The script kept the warning to
    itself, so the misconfigured job stayed silent for ever."""
    monkeypatch.delenv("SALESPIPE_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    result = _script(
        str(EXAMPLES / "cron" / "salespipe-check"), env={"SALESPIPE_MAIL_TO": "me@example.com"}
    )
    assert result.returncode == 0
    assert "There is no data file at" in result.stderr
    assert "so nothing was checked" in result.stderr
    assert _mails(tmp_path) == []
    assert not (tmp_path / "data").exists()


@pytest.mark.file_only  # (the default data file)
def test_weekly_report_mails_nothing_without_a_data_file(
    fake_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crontab without SALESPIPE_DB: the reports warn that the default file is not there
    and print nothing. The script mailed the team an empty week; it mails nothing, and
    the warnings reach cron's mail to its owner."""
    monkeypatch.delenv("SALESPIPE_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    result = _script(str(EXAMPLES / "weekly-report"), env={"SALESPIPE_MAIL_TO": "team@example.com"})
    assert (result.returncode, result.stdout) == (0, "")
    assert "There is no data file at" in result.stderr
    assert _mails(tmp_path) == []
    assert not (tmp_path / "data").exists()


def test_cron_check_needs_an_address(fake_bin: Path) -> None:
    """Without SALESPIPE_MAIL_TO the script says what to set and fails."""
    result = _script(str(EXAMPLES / "cron" / "salespipe-check"))
    assert result.returncode != 0
    assert "set SALESPIPE_MAIL_TO" in result.stderr


def test_crontab_names_scripts_that_exist() -> None:
    """Every example script the crontab runs is in examples/."""
    lines = [
        line
        for line in (EXAMPLES / "cron" / "crontab").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0].startswith("SALESPIPE_DB=/")  # a whole path: cron expands no variable
    # Cron runs in the machine's time zone (often UTC): the backtest's months and what is
    # due today came out otherwise than at the user's desk (a trial).
    assert lines[1].startswith("TZ=")
    lines = lines[2:]
    assert len(lines) == 3
    for line in lines:
        fields = line.split()
        assert len(fields) >= 6
        for word in fields[5:]:
            if "/examples/" in word:
                assert (EXAMPLES / word.split("/examples/", 1)[1]).is_file()


def _cron_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_the_cron_docs_set_the_time_zone_as_the_crontab_does() -> None:
    """docs/hooks-and-cron.md shows examples/cron/crontab's lines, TZ= among them; every
    cron line the docs show for a report names the time zone it counts days in."""
    doc = (EXAMPLES.parent / "docs" / "hooks-and-cron.md").read_text(encoding="utf-8")
    block = doc[doc.index("```\nSALESPIPE_DB=") + 4 :]
    block = block[: block.index("```")]
    crontab = (EXAMPLES / "cron" / "crontab").read_text(encoding="utf-8")
    assert _cron_lines(block) == _cron_lines(crontab)
    forecasting = (EXAMPLES.parent / "docs" / "forecasting.md").read_text(encoding="utf-8")
    [backtest] = [line for line in forecasting.splitlines() if line.startswith("5 0 1 * *")]
    assert " TZ=" in backtest
    reports = (EXAMPLES.parent / "docs" / "reports.md").read_text(encoding="utf-8")
    assert "# crontab -e\nTZ=" in reports
    # Cron's PATH is short: "salespipe check" alone was "salespipe: not found" (exit 127
    # under env -i and /bin/sh -c, as cron runs it); the data file is named as the
    # crontab names it.
    block = reports[reports.index("# crontab -e\n") :]
    lines = _cron_lines(block[: block.index("```")])
    assert lines[1].startswith("SALESPIPE_DB=/")
    [check] = lines[2:]
    assert check.split()[5] == "$HOME/.local/bin/salespipe", check
    assert "@reboot TZ=" in (EXAMPLES / "team-feed" / "crontab").read_text(encoding="utf-8")


def test_weekly_report_prints_or_mails(cli, fake_bin: Path, tmp_path: Path) -> None:
    """Without an address the week is printed; with one it is mailed."""
    cli("add", "Won this week", "-v", "100000", "--at", "2026-11-20 09:00", "-q")
    cli("won", "1", "--at", "2026-11-25 09:00")
    cli("add", "Still open", "-v", "50000", "--at", "2026-11-26 09:00", "-q")
    script = str(EXAMPLES / "weekly-report")
    printed = _script(script)
    assert printed.returncode == 0, printed.stderr
    assert "Results (since 2026-11-20)" in printed.stdout
    assert "Win rate" in printed.stdout
    assert "No stale deals" in printed.stdout
    mailed = _script(script, env={"SALESPIPE_MAIL_TO": "team@example.com"})
    assert (mailed.returncode, mailed.stdout) == (0, "")
    [mail] = _mails(tmp_path)
    assert "Subject: salespipe weekly report (2026-11-27)" in mail
    assert "฿100,000.00" in mail


def test_a_thai_pipelines_weekly_mail_is_all_thai(cli, fake_bin: Path, tmp_path: Path) -> None:
    """A pipeline in Thai got a mail with an English subject and English headings ("Week
    to", "Stale deals") around its Thai tables (a trial); the subject is sent encoded."""
    import email
    from email.header import decode_header, make_header
    from email.message import Message

    cli("config", "set", "lang", "th")
    cli("add", "ระบบ ERP", "-v", "100000", "--at", "2026-11-20 09:00", "-q")
    mailed = _script(str(EXAMPLES / "weekly-report"), env={"SALESPIPE_MAIL_TO": "t@example.com"})
    assert mailed.returncode == 0, mailed.stderr
    [mail] = _mails(tmp_path)
    message = email.message_from_string(mail.split("\n", 1)[1])
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == "รายงานประจำสัปดาห์ของ salespipe (2026-11-27)"
    parts: list[Message] = message.get_payload()  # type: ignore[assignment]
    text = str(parts[0].get_payload())  # (8bit text: as it is in the mail)
    assert "ผลการขาย (ตั้งแต่ 2569-11-20)" in text, text  # the report, in Thai
    assert not re.search(r"Week to|Stale deals|Results", text), text
    # An encoded word is at most 75 characters (RFC 2047): the subject was one of 128.
    header = mail.split("\nSubject: ", 1)[1].split("\nMIME-Version", 1)[0]
    words = re.findall(r"=\?UTF-8\?B\?[^?]*\?=", header)
    assert len(words) > 1, header
    assert all(len(word) <= 75 for word in words), header
    assert all(len(line) <= 78 for line in f"Subject: {header}".splitlines()), header


@pytest.mark.parametrize(
    ("setting", "env", "thai"),
    [("th", {"SALESPIPE_LANG": "en"}, False), (None, {"SALESPIPE_LANG": "th"}, True)],
)
def test_the_weekly_mails_subject_is_in_the_language_of_its_report(
    cli, fake_bin: Path, tmp_path: Path, setting: str | None, env: dict[str, str], thai: bool
) -> None:
    """The subject followed `config get lang` alone: with SALESPIPE_LANG=en the report
    came in English under a Thai subject, and with SALESPIPE_LANG=th (or a Thai locale) in
    Thai under an English one (a review). It follows the report."""
    import email
    from email.header import decode_header, make_header
    from email.message import Message

    if setting:
        cli("config", "set", "lang", setting)
    cli("add", "ERP", "-v", "100000", "--at", "2026-11-20 09:00", "-q")
    mailed = _script(
        str(EXAMPLES / "weekly-report"), env={"SALESPIPE_MAIL_TO": "t@example.com", **env}
    )
    assert mailed.returncode == 0, mailed.stderr
    [mail] = _mails(tmp_path)
    message = email.message_from_string(mail.split("\n", 1)[1])
    subject = str(make_header(decode_header(message["Subject"])))
    parts: list[Message] = message.get_payload()  # type: ignore[assignment]
    text = str(parts[0].get_payload())
    if thai:
        assert subject == "รายงานประจำสัปดาห์ของ salespipe (2026-11-27)"
        assert "ผลการขาย (ตั้งแต่ 2569-11-20)" in text, text
    else:
        assert subject == "salespipe weekly report (2026-11-27)"
        assert "Results (since 2026-11-20)" in text, text


def test_weekly_report_mails_the_html_page(cli, fake_bin: Path, tmp_path: Path) -> None:
    """The mail holds the text week and, as its HTML alternative, the report page."""
    import email
    from email.message import Message

    cli("add", "Won this week", "-v", "100000", "--at", "2026-11-20 09:00", "-q")
    cli("won", "1", "--at", "2026-11-25 09:00")
    mailed = _script(str(EXAMPLES / "weekly-report"), env={"SALESPIPE_MAIL_TO": "team@example.com"})
    assert mailed.returncode == 0, mailed.stderr
    [mail] = _mails(tmp_path)
    message = email.message_from_string(mail.split("\n", 1)[1])
    assert message.get_content_type() == "multipart/alternative"
    parts: list[Message] = message.get_payload()  # type: ignore[assignment]
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    page = parts[1].get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page
    assert "฿100,000" in page


def test_sample_csv_imports(cli) -> None:
    """examples/import/deals.csv imports its 5 deals, Thai text and all."""
    cli("init", "--lang", "th")
    report = cli.json("import", str(EXAMPLES / "import" / "deals.csv"))
    assert (report["imported"], report["problems"]) == (5, [])
    deals = {d["title"]: d for d in cli.json("list")}
    cctv = deals["กล้องวงจรปิด 32 ตัว"]
    assert (cctv["value"], cctv["currency"], cctv["stage_name"]) == (420000, "THB", "ติดต่อนำเสนอ")
    assert deals["ระบบบัญชี ERP"]["next_action"] == {
        "text": "โทรติดตามใบเสนอราคา",
        "due": "2026-12-02",
    }


def test_walkthrough_runs_a_day(tmp_path: Path, fake_bin: Path) -> None:
    """The walkthrough runs start to end on its own file and leaves a backup."""
    db = tmp_path / "walk" / "day.json"
    result = _script(str(EXAMPLES / "walkthrough.sh"), env={"SALESPIPE_DB": str(db)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert '$ salespipe move 1 เจรจา --reason "They asked for a 5% discount"' in result.stdout
    assert "ดีล 5 ปิดการขายได้แล้ว" in result.stdout  # init --lang th: the file speaks Thai
    assert "ย้อนกลับแล้ว: การย้ายขั้นของดีล 3 " in result.stdout
    assert "(การเปลี่ยนแปลงที่ 9)" in result.stdout
    backup = json.loads((db.parent / "backup.json").read_text(encoding="utf-8"))
    assert len(backup["deals"]) == 6


def test_example_scripts_are_posix_sh_with_set_eu() -> None:
    """Each script parses with dash (POSIX sh) and stops on errors and unset variables."""
    scripts = [
        EXAMPLES / "hooks" / "webhook",
        EXAMPLES / "hooks" / "mail",
        EXAMPLES / "cron" / "salespipe-check",
        EXAMPLES / "weekly-report",
        EXAMPLES / "walkthrough.sh",
    ]
    for script in scripts:
        text = script.read_text(encoding="utf-8")
        assert text.startswith("#!/bin/sh\n"), script
        assert "\nset -eu\n" in text, script
        assert os.access(script, os.X_OK), script
        assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0, script
