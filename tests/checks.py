"""Assertions the CLI tests share."""

from __future__ import annotations

from typing import Any


def ok(result: Any) -> Any:
    """``result`` of a command that must have succeeded (exit 0); what it said if not."""
    assert result.exit_code == 0, result.stderr + result.stdout
    return result
