"""Spread a benchmark data set over N pipelines: ``python bench/pipelines.py MAIN N``.

Adds pipelines 2..N with copies of the first one's stages (``salespipe pipeline add``),
then puts every deal whose id leaves remainder k (mod N) in pipeline k+1's copy of its
stage, its stays too, in one transaction. The history is left as ``demo`` wrote it: the
everyday commands, which read the deals as they are now, are what this data set is for
(``--as-of`` on it replays the deals into the first pipeline).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from salespipe.app.pipeline import Pipeline
from salespipe.core.model import FIRST_PIPELINE, stages_in


def spread(main: Path, count: int) -> None:
    for number in range(2, count + 1):
        subprocess.run(
            [sys.executable, "-m", "salespipe", "--db", str(main), "pipeline", "add",
             f"Pipeline {number}", "--stages", "copy-of", "1"],
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    pipeline = Pipeline.open(main)
    with pipeline.work("bench") as work:
        stages = work.tx.stages()
        first = stages_in(stages, FIRST_PIPELINE)
        others = sorted(work.tx.pipelines(), key=lambda p: p.position)[1:]
        copies = [
            {a.key: b.key for a, b in zip(first, stages_in(stages, p.key), strict=True)}
            for p in others
        ]

        def moved(record: dict[str, Any]) -> dict[str, Any]:
            remainder = record["id"] % count
            if remainder == 0:
                return record
            to = copies[remainder - 1]
            stays = [[to.get(s[0], s[0]), *s[1:]] for s in record.get("stays", ())]
            return {**record, "stage": to.get(record["stage"], record["stage"]), "stays": stays}

        work.tx.save_records([moved(r) for r in work.tx.all_records()])
        work.tx.not_undoable()


if __name__ == "__main__":
    spread(Path(sys.argv[1]), int(sys.argv[2]))
