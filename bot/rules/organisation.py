"""The highest level a cell's members' results allow it (DOMAIN.md §5.6; seed 004 §II.1.3).

HTXSNV only if 100 % of the members are HTTNV or higher; HTTNV only if 100 % are HTNV or
higher and at least half HTTNV or higher; KHTNV if more than 20 % are KHTNV; otherwise HTNV.
Computed over the rated members' final levels; UNDETERMINED if any of them is.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.rules.levels import Level
from bot.rules.reasons import Reason, cite
from bot.rules.sources import HD13

ORGANISATION = cite(HD13, "mục B.II.1.3")

RULE_IDS = ("org.htxsnv", "org.httnv", "org.htnv", "org.khtnv", "org.undetermined")


def organisation_level(finals: Iterable[Level]) -> tuple[Level, Reason] | None:
    """None when no member is rated."""
    counts = dict.fromkeys(Level, 0)
    for level in finals:
        counts[level] += 1
    n = sum(counts.values())
    if n == 0:
        return None
    good = counts[Level.HTXSNV] + counts[Level.HTTNV]
    done = good + counts[Level.HTNV]
    khtnv = counts[Level.KHTNV]
    undetermined = counts[Level.UNDETERMINED]
    params = (
        ("members", n),
        ("good", good),
        ("done", done),
        ("khtnv", khtnv),
        ("undetermined", undetermined),
    )
    if undetermined:
        level = Level.UNDETERMINED
    elif khtnv * 100 > 20 * n:
        level = Level.KHTNV
    elif good == n:
        level = Level.HTXSNV
    elif done == n and good * 2 >= n:
        level = Level.HTTNV
    else:
        level = Level.HTNV
    return level, Reason(f"org.{level.value.lower()}", ORGANISATION, params)
