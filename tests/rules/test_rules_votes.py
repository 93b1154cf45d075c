"""Vote level (DOMAIN.md §5.3): every preset at and around its exact thresholds."""

from __future__ import annotations

from fractions import Fraction

import pytest
from rules_helpers import ballot, doc, member, one, rated

from bot.rules.levels import Level
from bot.rules.model import Ballot, Round2, Votes
from bot.rules.plan import VoteRule
from bot.rules.votes import at_least, more_than, vote_level

X, T, N, K, U = Level.HTXSNV, Level.HTTNV, Level.HTNV, Level.KHTNV, Level.UNDETERMINED


def b(
    xs: int,
    tt: int,
    ht: int,
    kh: int,
    *,
    present: int,
    electorate: int | None = None,
    r2: int | None = None,
) -> Ballot:
    cast = xs + tt + ht + kh
    round2 = None if r2 is None else Round2(r2, present - r2, 0)
    return Ballot(electorate or present, present, cast, cast, 0, Votes(xs, tt, ht, kh), round2)


@pytest.mark.parametrize(
    ("votes", "present", "level"),
    [
        ((7, 2, 1, 0), 10, X),  # exactly 70 %
        ((14, 6, 0, 0), 20, X),  # 70 % of 20
        ((13, 7, 0, 0), 20, T),  # 65 %: not 70, but HTTNV or higher 100 %
        ((6, 0, 4, 0), 10, T),  # 60 % HTTNV-or-higher, exactly
        ((6, 1, 3, 0), 10, T),
        ((2, 3, 1, 4), 10, N),  # 50 % good-or-higher is not 60; 60 % done-or-higher > 50
        ((0, 2, 3, 5), 10, K),  # done 50 % is not more than half; KHTNV 50 % is at least half
        ((1, 2, 2, 4), 10, U),  # done 50 %, KHTNV 40 %: none holds (1 invalid not counted)
        ((0, 0, 6, 4), 10, N),
        ((0, 0, 0, 10), 10, K),
        ((13, 0, 0, 0), 19, T),  # 68.4 %: no; the same 13 are >= 60 %
    ],
)
def test_kh61_thresholds_of_those_present(
    votes: tuple[int, int, int, int], present: int, level: Level
) -> None:
    got, why = vote_level(b(*votes, present=present), VoteRule.KH61)
    assert got is level
    assert why.rule == f"vote.kh61.{level.value.lower()}"
    assert dict(why.params)["of"] == present


@pytest.mark.parametrize(
    ("votes", "electorate", "level"),
    [
        ((10, 2, 0, 0), 15, X),  # 2/3 of 15 exactly
        ((9, 0, 3, 0), 15, T),  # 3/5 < 2/3; 9/15 > 1/2
        ((0, 8, 4, 0), 15, T),  # 8/15 > 1/2
        ((0, 7, 1, 4), 15, N),  # 7/15 not > 1/2; 8/15 > 1/2
        ((0, 7, 0, 7), 14, K),  # 7/14 good is not > 1/2; 7/14 KHTNV >= 1/2
        ((0, 2, 2, 8), 15, K),
        ((0, 7, 0, 5), 15, U),
        ((8, 0, 0, 0), 12, X),  # 8/12 = 2/3
        ((7, 0, 0, 0), 12, T),  # 7/12 > 1/2 but < 2/3
    ],
)
def test_hd07_thresholds_of_the_official_members(
    votes: tuple[int, int, int, int], electorate: int, level: Level
) -> None:
    present = sum(votes)
    got, why = vote_level(b(*votes, present=present, electorate=electorate), VoteRule.HD07)
    assert got is level
    assert dict(why.params)["of"] == electorate


@pytest.mark.parametrize(
    ("votes", "yes", "level", "rule"),
    [
        ((0, 5, 3, 0), None, T, "vote.two_round.httnv"),  # 5/8 > 1/2, no round 2
        ((0, 5, 3, 0), 5, X, "vote.two_round.htxsnv"),
        ((0, 5, 3, 0), 4, T, "vote.two_round.httnv_round2"),  # 4/8 is not more than half
        ((0, 4, 1, 3), None, N, "vote.two_round.htnv"),  # 4/8 not > 1/2; 5/8 > 1/2
        ((0, 2, 2, 4), None, U, "vote.two_round.undetermined"),  # 4/8 each way
        ((0, 1, 2, 5), None, K, "vote.two_round.khtnv"),
    ],
)
def test_two_round(
    votes: tuple[int, int, int, int], yes: int | None, level: Level, rule: str
) -> None:
    got, why = vote_level(b(*votes, present=8, r2=yes), VoteRule.TWO_ROUND)
    assert (got, why.rule) == (level, rule)


def test_exact_comparisons_never_use_floats() -> None:
    # 7/10 is 0.7 exactly here, though 0.7 * 10 in binary floating point is 7.000000000000001
    assert at_least(7, 10, Fraction(70, 100))
    assert not more_than(5, 10, Fraction(1, 2))
    assert at_least(2, 3, Fraction(2, 3))
    assert not at_least(666, 1000, Fraction(2, 3))


def test_vote_level_through_the_document() -> None:
    m = one("2019", ballot=ballot(7, 2, 1, 0))
    assert (m["vote_level"], m["proposed"], m["final"]) == ("HTXSNV", "HTXSNV", "HTXSNV")
    assert m["reasons"][0]["rule"] == "vote.kh61.htxsnv"
    assert "7/10" in m["reasons"][0]["text"]


def test_plan_chooses_the_preset() -> None:
    # 9 of 12 present is 75 % (kh61: HTXSNV); 9 of 15 official members is < 2/3 (hd07: HTTNV)
    b15 = ballot(9, 3, 0, 0, electorate=15)
    assert one("2019", ballot=b15)["vote_level"] == "HTXSNV"
    assert one("2019", plan={"vote_rule": "hd07-2011"}, ballot=b15)["vote_level"] == "HTTNV"
    assert one("2025", plan={"vote_rule": "hd07-2011"}, ballot=b15)["vote_level"] == "HTTNV"


def test_probationary_members_are_rated_on_their_ballot() -> None:
    out = rated(
        doc(
            "2019",
            member("p", status="probationary", admitted_on="2021-01-10", ballot=ballot(0, 8, 2, 0)),
        )
    )
    assert out["p"]["rated"] and out["p"]["vote_level"] == "HTTNV"
