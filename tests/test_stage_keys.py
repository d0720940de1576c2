"""Stage keys never look like positions, and non-Latin names get readable keys (issue 10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from salespipe.app.naming import unique_key
from salespipe.core.romanise import romanise


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("2 เอกสาร", "stage-2-eksar"),
        ("2024", "stage-2024"),
        ("ใบเสนอราคา", "baisenorakha"),
        ("Переговоры", "peregovory"),
        ("Négociation", "negociation"),
        ("提案", "stage"),
    ],
)
def test_keys_start_with_a_letter_and_are_latin(name: str, key: str) -> None:
    assert unique_key(name, []) == key


def test_romanising_is_the_same_every_time() -> None:
    assert romanise("เจรจาต่อรอง") == romanise("เจรจาต่อรอง") == "cherchatorong"


def test_a_stage_named_with_a_number_first_does_not_steal_a_position(cli) -> None:
    added = cli.json("stage", "add", "2 เอกสาร")
    assert not added["key"][0].isdigit()
    deal = cli.json("add", "Lease", "--value", "1000")
    second = cli.json("stage", "list")[1]["key"]
    moved = cli.json("move", str(deal["id"]), "2")
    assert moved["stage"] == second


def test_created_thai_stages_have_the_same_keys_in_every_file(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "thai.csv"
    path.write_text("title,stage\nA,ส่งใบเสนอราคา\nB,2 เอกสาร\n", encoding="utf-8")
    keys = []
    for name in ("one.json", "two.json"):
        monkeypatch.setenv("SALESPIPE_DB", str(tmp_path / name))
        cli.json("import", str(path), "--create-stages")
        keys.append([s["key"] for s in cli.json("stage", "list")])
    assert keys[0] == keys[1]
    assert "sngbaisenorakha" in keys[0]  # letter by letter: no inherent vowels
    assert "stage-2-eksar" in keys[0]
