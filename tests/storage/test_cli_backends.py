"""The whole CLI over each backend: the same commands give the same output.

The in-memory backend is the reference: a day of commands on a seeded demo prints
byte-identical stdout and exit codes on it and on the data file (the database's own
name aside), backups and restores included. A new backend joins by its target.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import pg_role

from salespipe.storage import memory

BACKENDS: dict[str, Callable[[Path, str], str]] = {
    "jsonl": lambda folder, name: str(folder / f"{name}.json"),
    "memory": lambda folder, name: f"memory:{folder}/{name}",
}

DAY = [
    ("list",),
    ("list", "--status", "all", "--sort", "value"),
    ("show", "3"),
    ("chart",),
    ("chart", "--by", "value"),
    ("report",),
    ("report", "--as-of", "2026-10-15"),
    ("forecast",),
    ("funnel",),
    ("durations",),
    ("winrate",),
    ("stale",),
    ("check",),
    ("log", "-n", "15"),
    ("log", "3"),
    ("stage", "list"),
    ("config", "list"),
    ("add", "ERP for Siam Foods", "--customer", "Siam Foods", "--value", "1.5m"),
    ("move", "41", "quoted", "--reason", "sent"),
    ("note", "41", "called back"),
    ("next", "41", "follow up", "--due", "2026-12-01"),
    ("quote", "41", "--amount", "1.4m", "--valid-until", "2026-12-31"),
    ("edit", "41", "--value", "2m"),
    ("won", "41"),
    ("reopen", "41"),
    ("lost", "41", "--reason", "price"),
    ("delete", "41", "--yes"),
    ("undo",),
    ("undo",),
    ("stage", "add", "Pilot"),
    ("stage", "rename", "Pilot", "Trial"),
    ("stage", "disable", "Trial"),
    ("stage", "remove", "Trial"),
    ("stage", "remove", "quoted"),
    ("config", "set", "currency", "USD"),
    ("undo",),
    ("add", "After undo"),
    ("log", "-n", "25"),
    ("list", "--status", "all"),
]


@pytest.fixture
def targets(tmp_path: Path) -> Iterator[Callable[[str, str], str]]:
    made: list[str] = []

    def target(backend: str, name: str) -> str:
        made.append(BACKENDS[backend](tmp_path, name))
        return made[-1]

    yield target
    for name in made:
        memory.forget(name.removeprefix("memory:"))


@pytest.fixture
def pg_databases(pg_server: str) -> Iterator[Callable[[str], str]]:
    """Fresh PostgreSQL databases by name, dropped after the test (tests/conftest.py)."""
    from uuid import uuid4

    from tests.conftest import pg_admin, pg_target

    made: list[str] = []

    def database(name: str) -> str:
        made.append(f"salespipe_test_{uuid4().hex[:12]}_{name}")
        pg_admin(pg_server, f'CREATE DATABASE "{made[-1]}"')
        return pg_target(pg_server, made[-1])

    yield database
    for name in made:
        pg_admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def session(
    cli: Any, monkeypatch: pytest.MonkeyPatch, target: Callable[[str], str], out: Path
) -> list[tuple[int, str]]:
    """A day on a demo, then a backup restored into a second database."""
    main, restored = target("main"), target("restored")
    seen: list[tuple[int, str]] = []

    def run(database: str, *args: str) -> None:
        monkeypatch.setenv("SALESPIPE_DB", database)
        result = cli(*args, "--json")
        text = result.stdout.replace(database, "<db>").replace(str(out), "<out>")
        seen.append((result.exit_code, text))

    run(main, "demo", "--db", main, "--seed", "7", "--deals", "40")
    for command in DAY:
        run(main, *command)
    run(main, "export", "-o", str(out / "backup.json"))
    run(main, "export", "-o", str(out / "deals.csv"), "--format", "csv")
    run(restored, "import", str(out / "backup.json"))
    run(restored, "log", "-n", "5")
    run(restored, "undo")
    run(restored, "import", str(out / "deals.csv"))
    run(restored, "list", "--status", "all")
    run(restored, "export", "-o", str(out / "restored.json"))
    for name in ("backup.json", "deals.csv", "restored.json"):
        seen.append((0, re.sub(r'"exported_at":"[^"]*"', "", (out / name).read_text())))
    return seen


def test_every_command_prints_the_same_on_every_backend(
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    targets: Callable[[str, str], str],
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    outputs = {}
    for backend in BACKENDS:

        def target(name: str, backend: str = backend) -> str:
            return targets(backend, f"{backend}-{name}")

        outputs[backend] = session(cli, monkeypatch, target, out)
    reference = outputs.pop("memory")
    assert all(code in (0, 1, 3) for code, _text in reference)
    assert sum(code == 1 for code, _text in reference) == 1  # the used stage is kept
    for backend, seen in outputs.items():
        for number, (expected, got) in enumerate(zip(reference, seen, strict=True)):
            assert got == expected, (backend, number)


@pytest.mark.postgres
def test_every_command_prints_the_same_on_postgres(
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    targets: Callable[[str, str], str],
    pg_databases: Callable[[str], str],
    pg_server: str,
    tmp_path: Path,
) -> None:
    """The same day on PostgreSQL prints what it prints in memory, byte for byte (the
    author of a change on a server is the database role: memory runs as that user)."""
    monkeypatch.setenv("SALESPIPE_USER", pg_role(pg_server))
    outputs = {}
    for backend in ("memory", "postgres"):
        out = tmp_path / backend
        out.mkdir()

        def target(name: str, backend: str = backend) -> str:
            if backend == "postgres":
                return pg_databases(name)
            return targets(backend, f"{backend}-{name}")

        outputs[backend] = session(cli, monkeypatch, target, out)
    for number, (expected, got) in enumerate(
        zip(outputs["memory"], outputs["postgres"], strict=True)
    ):
        assert got == expected, number
