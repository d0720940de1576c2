"""The command is installed and answers."""

from __future__ import annotations


def test_add_then_show(cli) -> None:
    """A deal added from the command line comes back from show --json."""
    result = cli("add", "First deal", "--value", "150,000", "-q")
    assert result.exit_code == 0
    assert result.stdout.strip() == "1"
    shown = cli.json("show", "1")
    assert shown["value"] == 150000
    assert shown["stage"] == "presented"


def test_error_goes_to_stderr(cli) -> None:
    """An unknown deal is one sentence on stderr and exit 1."""
    cli("init")
    result = cli("show", "99")
    assert result.exit_code == 1
    assert "There is no deal 99" in result.stderr
    assert result.stdout == ""
