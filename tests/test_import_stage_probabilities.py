"""What an import of a CRM's export does with the probability on each row: most rows of
a stage carry that stage's default, which is the stage's probability in the file (a
created stage takes it), not the deal's own; a row that says otherwise is the deal's
own. A trial with real Salesforce dumps found every "Needs Analysis" deal (35 in the
file) kept 35 as its own, in a stage created at 20%."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.checks import deals_by_title, ok

FIXTURES = Path(__file__).parent / "fixtures"
SALESFORCE = str(FIXTURES / "salesforce-stage-probabilities.csv")


def _stages(cli: Any) -> dict[str, int]:
    return {s["name"]: s["probability"] for s in cli.json("stage", "list")}


def test_a_created_stage_takes_the_probability_most_of_its_rows_give(cli: Any) -> None:
    report = cli.json("import", SALESFORCE, "--create-stages")
    assert _stages(cli)["Needs Analysis"] == 35
    assert {s["stage"]: (s["probability"], s["from"]) for s in report["new_stage_probabilities"]}[
        "Needs Analysis"
    ] == (35, "file")
    deals = deals_by_title(cli)
    assert deals["Warehouse Racks"]["probability_override"] is None
    assert deals["Cold Store"]["probability_override"] == 60
    assert report["own_probabilities"] == 1


def test_the_summary_names_the_deals_with_a_probability_of_their_own(cli: Any) -> None:
    said = ok(cli("import", SALESFORCE, "--create-stages", "--dry-run")).stdout
    assert '"Needs Analysis" 35%' in said
    assert '"Discovery" 50% (none in the file)' in said
    assert "1 deal with a probability of its own" in said


def test_rows_of_a_mapped_stage_at_the_files_default_follow_the_stage_here(cli: Any) -> None:
    """The stage here keeps its probability; a row at its file stage's probability
    is no deal's own, though it differs from the stage here."""
    ok(cli("import", SALESFORCE, "--create-stages", "-m", "Needs Analysis=considering"))
    assert _stages(cli)["Considering"] == 25
    deals = deals_by_title(cli)
    assert deals["Warehouse Racks"]["probability_override"] is None
    assert deals["Warehouse Racks"]["probability"] == 25
    assert deals["Cold Store"]["probability_override"] == 60


def test_a_stage_whose_rows_all_say_0_gives_none(cli: Any, tmp_path: Path) -> None:
    """A Salesforce dump writes 0 on every Negotiation row (data-cloud-workshop): the
    stage is created as though the file gave none, and no deal has 0 of its own."""
    sheet = tmp_path / "zeros.csv"
    sheet.write_text(
        "Id,Name,StageName,Amount,Probability,CloseDate\n"
        "006Ec00000AieKFIAZ,Merchant Services,Discovery,1000,0,2024-11-10\n"
        "006Ec00000AieKGIAZ,Business Loans,Discovery,2000,0,2024-11-10\n",
        encoding="utf-8",
    )
    report = cli.json("import", str(sheet), "--create-stages")
    assert report["new_stage_probabilities"][0]["probability"] == 50
    assert "own_probabilities" not in report
    assert all(d["probability_override"] is None for d in deals_by_title(cli).values())


def test_move_says_a_deal_keeps_its_own_probability(cli: Any) -> None:
    ok(cli("import", SALESFORCE, "--create-stages"))
    deals = deals_by_title(cli)
    own, follows = str(deals["Cold Store"]["id"]), str(deals["Loading Dock"]["id"])
    moved = ok(cli("move", own, "Proposal"))
    assert moved.stderr.strip() == (
        f"It keeps its own probability 60% (Proposal's is 75%); "
        f"`salespipe edit {own} --prob none` gives it the stage's."
    )
    assert deals_by_title(cli)["Cold Store"]["probability"] == 60
    assert "own probability" not in ok(cli("move", follows, "Proposal")).stderr


def test_salespipes_own_csv_gives_its_created_stages_no_probability(
    cli: Any, tmp_path: Path
) -> None:
    """The probability column of salespipe's own CSV is each deal's own (most often
    empty), not its stage's: one deal's 30 made "Beta" a 30% stage for the other deals
    of it, placed before Quoted (a review); like a stage the file gives none, it is 50%."""
    sheet = tmp_path / "ours.csv"
    sheet.write_text(
        "id,title,value,stage,stage_name,status,probability\n"
        "1,Deal one,100,beta,Beta,open,\n"
        "2,Deal two,100,beta,Beta,open,\n"
        "3,Deal three,100,beta,Beta,open,30\n",
        encoding="utf-8",
    )
    report = cli.json("import", str(sheet), "--create-stages")
    assert report["new_stage_probabilities"][0]["probability"] == 50
    assert report["new_stage_probabilities"][0]["from"] == "none"
    deals = deals_by_title(cli)
    assert deals["Deal one"]["probability"] == 50
    assert deals["Deal three"]["probability_override"] == 30


def test_a_rows_0_is_no_probability(cli: Any, tmp_path: Path) -> None:
    """Some exports write 0 where none was set: a row's 0 neither outvotes the others
    of its stage (two 0s made "Beta" a stage of none, and its 30 the deal's own) nor is
    its deal's own (the deal was weighed at 0%) (a review)."""
    sheet = tmp_path / "opportunities.csv"
    sheet.write_text(
        "Id,Name,StageName,Amount,Probability,CloseDate\n"
        "006A,Alpha one,Alpha,100,20,2027-01-10\n"
        "006B,Alpha two,Alpha,100,20,2027-01-10\n"
        "006C,Alpha three,Alpha,100,0,2027-01-10\n"
        "006D,Beta one,Beta,100,0,2027-01-10\n"
        "006E,Beta two,Beta,100,0,2027-01-10\n"
        "006F,Beta three,Beta,100,30,2027-01-10\n",
        encoding="utf-8",
    )
    report = cli.json("import", str(sheet), "--create-stages")
    assert _stages(cli)["Alpha"] == 20
    assert _stages(cli)["Beta"] == 30
    assert "own_probabilities" not in report
    assert {d["probability_override"] for d in deals_by_title(cli).values()} == {None}


def test_salespipes_own_csv_names_no_probability_of_its_own(cli: Any, tmp_path: Path) -> None:
    """The summary said "1 deal with a probability of its own (its row's differs from
    most rows of its stage)" of salespipe's own export, which gives each deal its own as
    it was, not because of its stage's: nothing new, and not said."""
    sheet = tmp_path / "ours.csv"
    sheet.write_text(
        "id,title,value,stage,stage_name,status,probability\n"
        "1,Deal one,100,quoted,Quoted,open,\n"
        "2,Deal two,100,quoted,Quoted,open,80\n",
        encoding="utf-8",
    )
    report = cli.json("import", str(sheet))
    assert "own_probabilities" not in report
    assert deals_by_title(cli)["Deal two"]["probability_override"] == 80
