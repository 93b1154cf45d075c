"""Commendation proposals: who among those rated HTXSNV is proposed "tiêu biểu" (seed 000 §2.2.4).

- Members: at most 20 % of the members rated HTXSNV in the year; up to 30 % where the
  organisation itself is rated HTXSNV (Kế hoạch 61-KH/TU, mục 2.2.4).
- Organisations: at most 50 % of the organisations rated HTXSNV.
- Priority to those already commended who kept HTXSNV since, read here as the "5 năm liền"
  history: candidates with HTXSNV in each of the last five years (this year included) rank first.
The percentages are plan options. Places are rounded down (a cap "không quá"), in integers.
Candidates tied across the boundary are not chosen automatically, as with the cap on the top
level (DOMAIN.md §5.5): the deciding level picks among them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from bot.rules.reasons import Reason, cite
from bot.rules.sources import KH61

COMMENDATION = cite(KH61, "mục 2.2.4")
FIVE_YEARS = 5


@dataclass(frozen=True, slots=True)
class CommendationPlan:
    member_pct: int = 20
    member_pct_if_org_excellent: int = 30
    organisation_pct: int = 50


@dataclass(frozen=True, slots=True)
class Candidate:
    """A member (or an organisation) rated HTXSNV this year."""

    id: str
    excellent_years: frozenset[int]  # years rated HTXSNV, this year included
    vote_share: Fraction | None = None  # share of HTXSNV votes this year, when there was a ballot


@dataclass(frozen=True, slots=True)
class Proposal:
    places: int
    ranked: tuple[str, ...]  # every candidate, best first
    selected: tuple[str, ...]
    ties: tuple[str, ...]
    five_years: tuple[str, ...]
    free_places: int
    reasons: tuple[Reason, ...]


def places(count: int, pct: int) -> int:
    """floor(pct % of count): "không quá pct %"."""
    return pct * count // 100


def five_years_running(years: frozenset[int], year: int) -> bool:
    """HTXSNV in each of `year-4 .. year`: one gap breaks it."""
    return all(y in years for y in range(year - FIVE_YEARS + 1, year + 1))


def _key(c: Candidate, year: int) -> tuple[int, Fraction]:
    return (
        1 if five_years_running(c.excellent_years, year) else 0,
        c.vote_share if c.vote_share is not None else Fraction(-1),
    )


def propose(candidates: Sequence[Candidate], year: int, limit: int, *, what: str) -> Proposal:
    """Rank `candidates` and select at most `limit`; ties across the boundary stay undecided."""
    order = sorted(range(len(candidates)), key=lambda i: _key(candidates[i], year), reverse=True)
    ranked = [candidates[i] for i in order]  # sorted() is stable: equal rank keeps input order
    selected: list[str] = []
    ties: list[str] = []
    if limit > 0 and ranked:
        if len(ranked) <= limit:
            selected = [c.id for c in ranked]
        else:
            boundary = _key(ranked[limit - 1], year)
            if _key(ranked[limit], year) == boundary:
                tied = [c for c in ranked if _key(c, year) == boundary]
                ties = [c.id for c in tied]
                selected = [c.id for c in ranked if _key(c, year) > boundary]
            else:
                selected = [c.id for c in ranked[:limit]]
    five = tuple(c.id for c in ranked if five_years_running(c.excellent_years, year))
    reasons = [
        Reason(
            f"commendation.{what}.places",
            COMMENDATION,
            (("candidates", len(candidates)), ("places", limit)),
        )
    ]
    if ties:
        reasons.append(
            Reason(
                "commendation.tie",
                COMMENDATION,
                (("tied", len(ties)), ("free", limit - len(selected))),
            )
        )
    return Proposal(
        limit,
        tuple(c.id for c in ranked),
        tuple(selected),
        tuple(ties),
        five,
        limit - len(selected),
        tuple(reasons),
    )


def propose_members(
    candidates: Sequence[Candidate],
    year: int,
    *,
    organisation_excellent: bool,
    plan: CommendationPlan = CommendationPlan(),
) -> Proposal:
    pct = plan.member_pct_if_org_excellent if organisation_excellent else plan.member_pct
    return propose(candidates, year, places(len(candidates), pct), what="members")


def propose_organisations(
    candidates: Sequence[Candidate], year: int, plan: CommendationPlan = CommendationPlan()
) -> Proposal:
    return propose(
        candidates, year, places(len(candidates), plan.organisation_pct), what="organisations"
    )
