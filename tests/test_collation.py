"""Thai text sorted and matched as Thai readers expect (collation, parse.stage, list)."""

from __future__ import annotations

import unicodedata

import pytest

from salespipe.core import collation, parse
from salespipe.core.errors import AmbiguousStage, StageNotFound
from salespipe.core.model import default_stages


def test_leading_vowels_sort_by_the_consonant_after_them() -> None:
    """เ แ โ ใ ไ are filed under their consonant: กา, เกม, แกง, โกง, ใกล้, ไก่, then ข."""
    words = ["ข้าว", "ไก่", "แกง", "กา", "ใกล้", "เกม", "โกง"]
    assert sorted(words, key=collation.sort_key) == [
        "กา",
        "เกม",
        "แกง",
        "โกง",
        "ใกล้",
        "ไก่",
        "ข้าว",
    ]


def test_a_word_with_a_leading_vowel_sorts_among_its_consonant() -> None:
    """เสนอราคา sorts under ส (after สยาม), not after every ส-word as code points would."""
    words = ["เสนอราคา", "สยามฟู้ดส์", "หาดใหญ่", "สาขา"]
    assert sorted(words, key=collation.sort_key) == ["สยามฟู้ดส์", "สาขา", "เสนอราคา", "หาดใหญ่"]
    assert sorted(words) != sorted(words, key=collation.sort_key)  # code points disagree


def test_tone_marks_only_break_ties() -> None:
    """กา, ก่า, ก้า differ only by tone: no tone first, then ไม้เอก, then ไม้โท; กาง after all."""
    assert sorted(["กาง", "ก้า", "ก่า", "กา"], key=collation.sort_key) == [
        "กา",
        "ก่า",
        "ก้า",
        "กาง",
    ]


def test_latin_before_thai_case_ignored_thai_digits_as_digits() -> None:
    """Latin sorts before Thai ignoring case; ๒ sorts as 2."""
    words = ["ลูกค้า ๒", "banana", "Apple", "ลูกค้า 1", "ลูกค้า 3"]
    assert sorted(words, key=collation.sort_key) == [
        "Apple",
        "banana",
        "ลูกค้า 1",
        "ลูกค้า ๒",
        "ลูกค้า 3",
    ]


def test_look_alike_thai_spellings_are_made_alike() -> None:
    """ํ + า typed for ำ, and a tone typed before the vowel above, fold to the usual spelling."""
    assert collation.fold("ทํางาน") == collation.fold("ทำงาน")  # nikhahit + sara aa
    assert collation.fold("นํ้า") == collation.fold("น้ำ")
    assert collation.fold("ที่") == collation.fold("ท\u0e48\u0e35")  # tone, then vowel
    assert collation.fold("น้ำ") == collation.fold("น\u0e33\u0e49")  # ำ, then the tone
    assert collation.matches("ค่าน\u0e33\u0e49", "ค่าน้ำประปา")
    assert collation.fold("Café") == collation.fold(unicodedata.normalize("NFD", "CAFÉ"))


def test_matching_ignores_case_and_finds_the_start_of_a_thai_word() -> None:
    """A Thai word prefix matches inside unspaced text; Latin case and NFC do not matter."""
    assert collation.matches("เสนอ", "ส่งใบเสนอราคาแล้ว")
    assert collation.matches("siam", "บริษัท SIAM Foods")
    assert collation.matches(unicodedata.normalize("NFD", "é"), "Société")
    assert not collation.matches("ราคาถูก", "ใบเสนอราคา")


STAGES = default_stages("th")


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("เสนอ", "quoted"),  # the beginning of the name
        ("พิจารณา", "considering"),  # a word inside กำลังพิจารณา
        ("ต่อรอง", "negotiating"),  # a word inside เจรจาต่อรอง
        ("อนุมัติ", "approved"),
        (" เจรจาต่อรอง ", "negotiating"),
        ("ติดต่อนํา", "presented"),  # ำ typed as ํ + า
    ],
)
def test_a_part_of_a_thai_stage_name_finds_it(typed: str, key: str) -> None:
    """Stage names are found by a prefix, or a unique part, of the Thai name."""
    assert parse.stage(STAGES, typed).key == key


def test_a_part_shared_by_two_thai_stages_is_ambiguous() -> None:
    """เสนอ begins เสนอราคา (the prefix wins over ติดต่อนำเสนอ, which only contains it);
    ต่อ is inside both ติดต่อนำเสนอ and เจรจาต่อรอง, so it is ambiguous and names both."""
    assert parse.stage(STAGES, "เสนอ").key == "quoted"
    assert parse.stage(STAGES, "นำเสนอ").key == "presented"
    with pytest.raises(AmbiguousStage, match=r"ติดต่อนำเสนอ.*เจรจาต่อรอง"):
        parse.stage(STAGES, "ต่อ")
    with pytest.raises(StageNotFound, match="ปิดงาน"):
        parse.stage(STAGES, "ปิดงาน")


def test_list_sorts_thai_customers_in_dictionary_order(cli) -> None:
    """list --sort customer files เ-words under their consonant."""
    for title, customer in [
        ("A", "หาดใหญ่ค้าส่ง"),
        ("B", "เสริมสุข"),
        ("C", "สยามฟู้ดส์"),
        ("D", "Acme"),
        ("E", "ไทยเบฟ"),
    ]:
        assert cli("add", title, "-c", customer).exit_code == 0
    deals = cli.json("list", "--sort", "customer")
    assert [d["customer"] for d in deals] == [
        "Acme",
        "ไทยเบฟ",
        "สยามฟู้ดส์",
        "เสริมสุข",
        "หาดใหญ่ค้าส่ง",
    ]


def test_list_customer_and_search_match_thai_prefixes_and_latin_case(cli) -> None:
    """--customer and --search find the start of a Thai word and ignore Latin case."""
    cli("add", "ระบบบัญชีออนไลน์", "-c", "บริษัท สยามฟู้ดส์ จำกัด")
    cli("add", "CCTV", "-c", "SIAM Steel")
    cli("add", "POS", "-c", "ร้านกาแฟ")
    assert [d["id"] for d in cli.json("list", "--customer", "สยาม")] == [1]
    assert [d["id"] for d in cli.json("list", "--customer", "siam")] == [2]
    assert [d["id"] for d in cli.json("list", "--search", "บัญชี")] == [1]
    assert [d["id"] for d in cli.json("list", "--search", "จํากัด")] == [1]  # ํ + า for ำ


def test_a_search_finds_thai_digits_by_the_digits_they_are(cli) -> None:
    """--search "พระราม 9" found nothing where the customer was written "พระราม ๙"."""
    assert cli("add", "POS", "--customer", "ห้างพระราม ๙").exit_code == 0
    for typed in ("พระราม 9", "พระราม ๙"):
        assert [d["id"] for d in cli.json("list", "--search", typed)] == [1]
    assert [d["id"] for d in cli.json("list", "--customer", "พระราม 9")] == [1]
