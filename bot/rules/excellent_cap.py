"""The cap on the top level across a cap group (DOMAIN.md §5.5).

At most `pct` % HTXSNV per group, counted on G = the members of the group proposed HTTNV or
higher before this cap. Candidates (proposed HTXSNV) are ranked by their share of HTXSNV
votes, then (2025) by points; candidates tied across the boundary are not chosen: they stay
HTTNV, flagged, and the free places are reported to the deciding level.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

from bot.rules.levels import Rulebook
from bot.rules.model import Number
from bot.rules.plan import CapBase, ExcellentCap
from bot.rules.reasons import Citation, cite
from bot.rules.sources import CV123, KH61, QD124, QD366

# 20 %: seed 000 §2.3 and the footnote of §III.2; seed 001 (2) (base "HTTNV trở lên");
# QĐ 124 and QĐ 366 Điều 11 (groups of similar position; 25 % for an outstanding unit).
TOP_CAP: dict[Rulebook, Citation] = {
    Rulebook.R2019: cite(KH61, "mục II.2.3, mục III.2 (chú thích 1)", (CV123, "điểm (2)")),
    Rulebook.R2023: cite(QD124, "tỷ lệ Hoàn thành xuất sắc nhiệm vụ"),
    Rulebook.R2025: cite(QD366, "Điều 11"),
}
SMALL_UNIT = cite(KH61, "mục II.2.3")

RULE_IDS = ("top_cap.selected", "top_cap.over", "top_cap.tie")


class Candidate(NamedTuple):
    """A member proposed HTXSNV: `votes`/`of` is the HTXSNV share (None without a ballot)."""

    id: str
    votes: int | None
    of: int | None
    points: Number | None  # 2025 ranking tie-break; None when not used


class Allocation(NamedTuple):
    base: int  # G
    max_excellent: int
    small_unit: bool  # the small-unit rule gave the place
    ranked: tuple[Candidate, ...]  # best first
    selected: tuple[Candidate, ...]
    ties: tuple[Candidate, ...]
    over: tuple[Candidate, ...]  # not chosen and not tied: end HTTNV

    @property
    def free_places(self) -> int:
        return self.max_excellent - len(self.selected)


def max_places(g: int, cap: ExcellentCap) -> tuple[int, bool]:
    """(places, whether the small-unit rule gave them) for G members at HTTNV or higher.

    `good_or_higher`: floor(pct * G / 100). `good`: the x chosen must satisfy
    x <= pct % * (G - x), so floor(pct * G / (100 + pct)).
    """
    if cap.base is CapBase.GOOD_OR_HIGHER:
        places = cap.pct * g // 100
    else:
        places = cap.pct * g // (100 + cap.pct)
    if cap.small_unit and 0 < g < 5 and places < 1:
        return 1, True
    return places, False


def _rank_key(c: Candidate) -> tuple[int, Fraction, Number]:
    """Sort key, best first: with a ballot before without, higher share, then higher points."""
    if c.votes is None or not c.of:
        return (1, Fraction(0), -(c.points or 0))
    return (0, -Fraction(c.votes, c.of), -(c.points or 0))


def allocate(g: int, candidates: list[Candidate], cap: ExcellentCap) -> Allocation:
    """Who keeps HTXSNV among `candidates` (in input order; equal rank keeps that order)."""
    places, small = max_places(g, cap)
    ranked = sorted(candidates, key=_rank_key)  # stable
    if len(ranked) <= places:
        return Allocation(g, places, small, tuple(ranked), tuple(ranked), (), ())
    if places == 0:
        return Allocation(g, places, small, tuple(ranked), (), (), tuple(ranked))
    keys = [_rank_key(c) for c in ranked]
    boundary = keys[places - 1]
    if boundary != keys[places]:
        return Allocation(
            g, places, small, tuple(ranked), tuple(ranked[:places]), (), tuple(ranked[places:])
        )
    selected = tuple(c for c, k in zip(ranked, keys, strict=True) if k < boundary)
    ties = tuple(c for c, k in zip(ranked, keys, strict=True) if k == boundary)
    over = tuple(c for c, k in zip(ranked, keys, strict=True) if k > boundary)
    return Allocation(g, places, small, tuple(ranked), selected, ties, over)
