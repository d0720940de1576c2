"""The README's quick start and "A day with salespipe" run as written.

The commands are taken from README.md itself (its fenced shell blocks), so the tutorial
cannot drift from what salespipe does. They run in a fresh home folder: no SALESPIPE_DB,
the data file where a new user's would be.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, salespipe_command

README = ROOT / "README.md"
FENCE = re.compile(r"```(?:sh|bash|console)?\n(.*?)```", re.DOTALL)


def section(title: str) -> str:
    """The text of the README section with this ``## `` heading, up to the next one."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def commands(block_text: str) -> list[str]:
    """The command lines of the section's first fenced block, comments and all."""
    found = FENCE.search(block_text)
    assert found, "no fenced commands in the section"
    return [line for line in found.group(1).splitlines() if line.strip()]


def salespipe_part(line: str) -> str:
    """The salespipe command of a line that first installs it (``… && salespipe demo``)."""
    return line[line.index("salespipe ") :]


@pytest.fixture
def new_user(tmp_path: Path) -> dict[str, str]:
    """The environment of someone who has just installed salespipe: a home of their own."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SALESPIPE_") or key in ("SALESPIPE_NOW", "SALESPIPE_USER")
    }
    bin_dir = os.path.dirname(salespipe_command()[0])
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        PATH=bin_dir + os.pathsep + env.get("PATH", ""),
        SALESPIPE_HOOKS=str(tmp_path / "no-hooks"),
    )
    return env


def run_line(line: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", line],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_quick_start_then_a_day_with_salespipe(new_user: dict[str, str], tmp_path: Path) -> None:
    """Every command of the quick start's salespipe part and of "A day with salespipe"
    succeeds, in order, as a new user types them."""
    first = commands(section("Quick start"))[0]
    demo = run_line(salespipe_part(first), new_user, tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "demo deals" in demo.stdout

    day = commands(section("A day with salespipe"))
    assert len(day) >= 8
    outputs = []
    for line in day:
        result = run_line(line, new_user, tmp_path)
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        outputs.append(result.stdout)
    everything = "\n".join(outputs)
    assert "ERP for Siam Foods" in everything
    assert "Site visit" in everything  # the next action shows in list and show
    assert "Undid" in outputs[-1] or "undid" in outputs[-1].lower()
    # The tutorial used the new user's own pipeline, not the demo's file.
    data = Path(new_user["XDG_DATA_HOME"]) / "salespipe"
    assert (data / "pipeline.json").exists()
    assert (data / "demo.json").exists()
