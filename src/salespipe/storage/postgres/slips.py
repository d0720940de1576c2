"""``slips`` read off the totals the server keeps (m009, schema.py), not replayed.

The totals are small: a row per owner, stage, owner and stage, and one in all, and a
count per length of push in days for each, per pipeline the deals are in now. The
days of a group come back as those counts and are laid out again as the list of
pushes the replay would have made, so the median and the sum are the report's own
(reports/slips.py). ``--owner`` is compared as the replay compares it (folded); when
two owners written differently fold to the one asked for, the totals of their deals
together are not kept, and the caller replays the events.

Only a role that sees every deal reads the totals (they are the whole team's); for
any other, as for a database before m009, or before m017 (whose totals count the dates
of closed deals too), or totals behind the events (events written by a SQL client, not
by a change), the caller replays the events it sees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from salespipe.core import parse
from salespipe.storage.history import SlipTallies, SlipTally

Rows = Callable[[str, dict[str, Any]], Sequence[tuple[Any, ...]]]

# The groups and the day counts in one statement, of one pipeline's deals or of every
# deal (added up over the pipelines: a deal is in one), with whether this role may
# read them and whether they are counted up to the last event.
_TOTALS = (
    "SELECT 'g', kind, owner, stage, sum(deals), sum(dated), sum(slipped)"
    " FROM salespipe_slip_groups WHERE %(pipeline)s::text IS NULL OR pipeline = %(pipeline)s"
    " GROUP BY kind, owner, stage HAVING sum(deals) > 0"
    " UNION ALL SELECT 'd', kind, owner, stage, days, sum(slips), 0 FROM salespipe_slip_days"
    " WHERE %(pipeline)s::text IS NULL OR pipeline = %(pipeline)s"
    " GROUP BY kind, owner, stage, days HAVING sum(slips) > 0"
    " UNION ALL SELECT 'a', '', '', '', salespipe_sees_all()::int,"
    "  (SELECT position FROM salespipe_slips_counted)"
    "  - coalesce((SELECT max(position) FROM salespipe_events), 0), 0"
)

_Key = tuple[str, str, str]  # kind, owner, stage


def tallies(rows: Rows, owner: str | None, pipeline: str | None) -> SlipTallies | None:
    """The slips of every deal (of the deals now in ``pipeline``), or of ``owner``'s;
    None when the caller must replay."""
    groups: dict[_Key, tuple[int, int]] = {}
    days: dict[_Key, list[int]] = {}
    usable = False
    for part, kind, who, stage, first, second, third in rows(_TOTALS, {"pipeline": pipeline}):
        if part == "a":
            # Events written by other means than a change (a SQL client) and not
            # counted yet: the totals are behind them.
            usable = bool(first) and int(second) >= 0
        elif part == "g":
            groups[kind, who, stage] = (int(second), int(third))
        else:
            days.setdefault((kind, who, stage), []).extend([int(first)] * int(second))
    if not usable:
        return None

    def tally(key: _Key, name: str) -> SlipTally:
        dated, slipped = groups.get(key, (0, 0))
        return SlipTally(name, dated, slipped, days.get(key, []))

    if owner is None:
        return SlipTallies(
            owners=[tally(k, k[1]) for k in groups if k[0] == "o"],
            stages=[tally(k, k[2]) for k in groups if k[0] == "s"],
            total=tally(("t", "", ""), ""),
        )
    wanted = parse.fold(owner)
    matching = [k for k in groups if k[0] == "o" and parse.fold(k[1]) == wanted]
    if len(matching) > 1:
        return None
    if not matching:
        return SlipTallies([], [], SlipTally("", 0, 0, []))
    (key,) = matching
    return SlipTallies(
        owners=[tally(key, key[1])],
        stages=[tally(k, k[2]) for k in groups if k[0] == "p" and k[1] == key[1]],
        total=tally(key, ""),
    )
