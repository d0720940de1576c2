"""`check`, as cron runs it: alerts, --quiet, and exit codes 0 (clean) and 3 (act now)."""

from __future__ import annotations

import json

import pytest
from tests.checks import ok

pytestmark = pytest.mark.usefixtures("each_backend")


NOW = "2026-11-27T10:00:00+07:00"


def test_clean_pipeline_exits_0_and_quiet_prints_nothing(cli, run) -> None:
    """A fresh deal with nothing due: exit 0; --quiet is silent, without it one calm line."""
    ok(cli("add", "Fresh deal", "--close", "2026-12-20", "--next", "Call", "--due", "2026-11-30"))
    quiet = run("check", "--quiet")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    talkative = run("check")
    assert talkative.returncode == 0
    assert talkative.stdout == "Nothing to act on (1 open deal checked).\n"


def test_expiring_quote_exits_3_from_cron(cli, run) -> None:
    """A quote valid until the day after tomorrow is reported and the exit code is 3."""
    ok(cli("add", "Quoted deal", "--stage", "quoted"))
    ok(cli("quote", "1", "--valid-until", "2026-11-29", "--amount", "90k"))
    result = run("check", "--quiet")
    assert result.returncode == 3
    assert "quote expiring" in result.stdout
    assert 'Deal 1 "Quoted deal": the quote expires in 2 days (2026-11-29).' in result.stdout
    assert "\x1b" not in result.stdout
    as_json = run("check", "--json")
    assert as_json.returncode == 3
    assert json.loads(as_json.stdout)["alerts"] == [
        {
            "kind": "quote_expiring",
            "deal_id": 1,
            "message": 'Deal 1 "Quoted deal": the quote expires in 2 days (2026-11-29).',
        }
    ]


def test_in_a_pipe_each_alert_is_one_line_however_long(cli, run) -> None:
    """Piped (cron mails what check prints), a long alert was wrapped at 80 columns and
    reached the mail as two broken lines."""
    title = "Warehouse racking and forklift fleet for the new Lat Krabang site"
    ok(cli("add", title, "--stage", "quoted", "--next", "Call the buyer", "--due", "2026-11-20"))
    ok(cli("add", "ระบบบัญชี ERP", "--next", "โทรหาลูกค้า", "--due", "2026-11-21"))
    piped = run("check")
    assert piped.returncode == 3, piped.stderr
    lines = piped.stdout.splitlines()
    assert lines[0].split() == ["Kind", "What"]
    assert lines[-1] == "2 things to act on."
    alerts = lines[1:-1]
    assert len(alerts) == 2, lines
    assert any(len(line) > 80 for line in alerts)
    what = lines[0].index("What")
    assert [line[:what].strip() for line in alerts] == ["next action overdue"] * 2
    assert alerts[0][what:].startswith(f'Deal 1 "{title}": the next action "Call the buyer"')


def test_every_kind_of_alert(cli, monkeypatch) -> None:
    """Stale, overdue next action, missed close date, expired and expiring quotes; most urgent
    kind first, and nothing about closed deals."""
    monkeypatch.setenv("SALESPIPE_NOW", "2026-11-01T10:00:00+07:00")
    ok(cli("add", "Old quote", "--stage", "quoted"))  # 1
    ok(cli("quote", "1", "--valid-until", "2026-11-15"))
    ok(cli("add", "Won with an old quote", "--stage", "quoted"))  # 2
    ok(cli("quote", "2", "--valid-until", "2026-11-15"))
    ok(cli("won", "2"))
    monkeypatch.setenv("SALESPIPE_NOW", NOW)
    ok(cli("add", "Stale", "--at", "2026-11-10 10:00"))  # 3: 17 days in Presented (7)
    ok(cli("add", "Overdue action", "--next", "Send the brochure", "--due", "2026-11-25"))  # 4
    ok(cli("add", "Missed close", "--close", "2026-11-26"))  # 5
    ok(cli("add", "Quote ends today", "--stage", "quoted"))  # 6
    ok(cli("quote", "6", "--valid-until", "2026-11-27"))
    result = cli("check", "--json")
    assert result.exit_code == 3
    alerts = json.loads(result.stdout)["alerts"]
    assert [(a["kind"], a["deal_id"]) for a in alerts] == [
        ("stale", 1),
        ("stale", 3),
        ("next_action_overdue", 4),
        ("past_expected_close", 5),
        ("quote_expired", 1),
        ("quote_expiring", 6),
    ]
    messages = {a["deal_id"]: a["message"] for a in alerts if a["kind"] != "stale"}
    assert messages[4] == (
        'Deal 4 "Overdue action": the next action "Send the brochure" was due 2026-11-25 '
        "(2 days ago)."
    )
    assert messages[5] == (
        'Deal 5 "Missed close" was expected to close on 2026-11-26 and is still open.'
    )
    assert messages[1] == 'Deal 1 "Old quote": the quote expired on 2026-11-15.'
    assert messages[6] == 'Deal 6 "Quote ends today": the quote expires today (2026-11-27).'
    stale = next(a for a in alerts if a["deal_id"] == 3)
    assert stale["message"] == 'Deal 3 "Stale" has been 17 days in Presented (target 7).'


def test_check_owner_and_as_of(cli) -> None:
    """--owner narrows the check; --as-of checks the pipeline as it stood that day."""
    ok(cli("add", "Ann's", "--owner", "ann", "--at", "2026-11-10 10:00"))
    ok(cli("add", "Bob's", "--owner", "bob"))
    assert cli("check", "--owner", "bob", "--quiet").exit_code == 0
    assert cli("check", "--owner", "ann", "--quiet").exit_code == 3
    past = cli("check", "--as-of", "2026-11-15", "--json")
    assert past.exit_code == 0
    assert json.loads(past.stdout) == {"as_of": "2026-11-15", "checked": 1, "alerts": []}


@pytest.mark.parametrize("flag", ["--quiet", "-q"])
def test_quiet_still_prints_alerts(cli, flag) -> None:
    """--quiet only silences the all-clear: alerts are printed, as cron mails them."""
    ok(cli("add", "Stale", "--at", "2026-11-01 10:00"))
    result = cli("check", flag)
    assert result.exit_code == 3
    assert "has been 26 days in Presented" in result.stdout
    assert "1 thing to act on." in result.stdout
