"""Commendation caps at their boundaries (seed 000 §2.2.4): rounding down, the 30 % case, five
years in a row and a gap year, organisations at 50 %, ties across the boundary."""

from __future__ import annotations

from fractions import Fraction

import pytest

from bot.rules.commendation import (
    Candidate,
    CommendationPlan,
    five_years_running,
    places,
    propose_members,
    propose_organisations,
)
from bot.texts import render_string

YEAR = 2025


def c(i: int, share: str | None = "9/10", years: tuple[int, ...] = (YEAR,)) -> Candidate:
    return Candidate(f"m{i}", frozenset(years), Fraction(share) if share else None)


@pytest.mark.parametrize(
    ("count", "pct", "expected"),
    [
        (4, 20, 0),  # 0.8 rounds down to 0
        (5, 20, 1),  # exactly 1
        (9, 20, 1),  # 1.8 -> 1
        (10, 20, 2),
        (9, 30, 2),  # 2.7 -> 2
        (10, 30, 3),
        (3, 50, 1),  # organisations: 1.5 -> 1
        (4, 50, 2),
    ],
)
def test_places_round_down(count: int, pct: int, expected: int) -> None:
    assert places(count, pct) == expected


def test_thirty_percent_when_the_organisation_is_excellent() -> None:
    cands = [c(i, f"{10 - i}/10") for i in range(10)]
    assert propose_members(cands, YEAR, organisation_excellent=False).selected == ("m0", "m1")
    assert propose_members(cands, YEAR, organisation_excellent=True).selected == ("m0", "m1", "m2")
    custom = CommendationPlan(member_pct=10, member_pct_if_org_excellent=40)
    assert len(propose_members(cands, YEAR, organisation_excellent=True, plan=custom).selected) == 4


def test_five_years_in_a_row_and_a_gap_year() -> None:
    assert five_years_running(frozenset(range(YEAR - 4, YEAR + 1)), YEAR)
    assert not five_years_running(frozenset({YEAR - 4, YEAR - 3, YEAR - 1, YEAR}), YEAR)  # gap
    assert not five_years_running(frozenset(range(YEAR - 5, YEAR)), YEAR)  # not this year
    # the five-year member ranks first even with fewer votes this year
    cands = [
        c(0, "10/10"),
        c(1, "7/10", tuple(range(YEAR - 4, YEAR + 1))),
        c(2, "9/10"),
        c(3, "9/10", (YEAR - 4, YEAR - 3, YEAR - 1, YEAR)),
        c(4, "8/10"),
    ]
    proposal = propose_members(cands, YEAR, organisation_excellent=False)
    assert proposal.places == 1
    assert proposal.selected == ("m1",)
    assert proposal.five_years == ("m1",)
    assert proposal.ranked[:3] == ("m1", "m0", "m2")


def test_ties_across_the_boundary_are_left_to_the_committee() -> None:
    cands = [c(i, "9/10") for i in range(10)]  # 2 places, 10 equal candidates
    proposal = propose_members(cands, YEAR, organisation_excellent=False)
    assert proposal.selected == () and len(proposal.ties) == 10 and proposal.free_places == 2
    texts = [render_string("reasons.yaml", r.rule, **r.kwargs()) for r in proposal.reasons]
    assert "10 trường hợp ngang nhau" in texts[1] and "còn 2 suất" in texts[1]


def test_nobody_when_too_few_and_organisations_at_half() -> None:
    assert (
        propose_members([c(i) for i in range(4)], YEAR, organisation_excellent=False).selected == ()
    )
    orgs = [c(i, None) for i in range(5)]
    assert propose_organisations(orgs, YEAR).places == 2
    # without vote shares, equal rank: the two places fall on a tie and stay free
    assert propose_organisations(orgs, YEAR).selected == ()
    orgs = [c(0, None, tuple(range(YEAR - 4, YEAR + 1)))] + [c(i, None) for i in range(1, 5)]
    assert propose_organisations(orgs, YEAR).selected == ("m0",)
