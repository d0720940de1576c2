"""salespipe from Python: a week of a small pipeline, then its reports.

    python examples/pipeline_api.py [DATA_FILE]

Writes to DATA_FILE (default: a new file in a temporary folder, never your pipeline)
and prints what a manager would ask on Friday: the chart, the win rate and what needs
action. See docs/python-api.md.
"""

import sys
import tempfile
from pathlib import Path

import salespipe


def main(path: Path) -> None:
    pipeline = salespipe.open(path, lang="en")

    erp = pipeline.add("ERP for Siam Foods", customer="Siam Foods", value="1.5m", close="+30d")
    cctv = pipeline.add("CCTV, 32 cameras", customer="Lanna Hotel", value=480_000, owner="chai")
    racks = pipeline.add("Warehouse racking", customer="Isan Agro", value="250k")

    pipeline.move(erp.id, "quoted", reason="sent the quotation")
    pipeline.quote(erp.id, amount="1.45m", valid_until="+14d", note="5% off for a 3-year term")
    pipeline.next(erp.id, "Site visit", due="+3d")
    pipeline.move(cctv.id, "negotiating", reason="they asked for a discount")
    pipeline.won(cctv.id, reason="PO received")
    pipeline.lost(racks.id, "chose a cheaper supplier")

    try:
        pipeline.move(racks.id, "quoted")
    except salespipe.NotAllowed as refused:  # a lost deal must be reopened first
        print(f"refused ({refused.code}): {refused.message}")

    chart = pipeline.chart(by="value")
    for stage in chart.to_dict()["stages"]:
        print(f"{stage['name']:<12} {stage['count']:>2}  {stage['value']}")

    rate = pipeline.winrate().to_dict()
    print(f"won {rate['won']}, lost {rate['lost']}, win rate {rate['rate']:.0%}")

    check = pipeline.check()
    print("nothing needs action" if check.clean else f"{len(check.alerts)} things need action")

    deal = pipeline.get(erp.id)
    print(f"deal {deal.id} {deal.title!r}: {deal.stage}, {deal.value} {deal.currency}")
    for event in pipeline.events(erp.id):
        print(f"  {event.at:%Y-%m-%d %H:%M} {event.type} {event.reason or ''}".rstrip())


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(Path(folder) / "pipeline.json")
