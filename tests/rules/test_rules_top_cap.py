"""The cap on the top level across a cap group (DOMAIN.md §5.5) and the organisation (§5.6)."""

from __future__ import annotations

from typing import Any

import pytest
from rules_helpers import ballot, doc, member, rate, rules

from bot.rules.excellent_cap import Candidate, allocate, max_places
from bot.rules.plan import CapBase, ExcellentCap


def top(mid: str, xs: int = 9, of: int = 10, **fields: Any) -> dict[str, Any]:
    """A member voted HTXSNV with `xs` of `of` votes (the rest for HTTNV)."""
    return member(mid, ballot=ballot(xs, of - xs, 0, 0), **fields)


def good(mid: str, **fields: Any) -> dict[str, Any]:
    return member(mid, ballot=ballot(2, 8, 0, 0), **fields)


def group(out: dict[str, Any], name: str = "default") -> dict[str, Any]:
    return next(g for g in out["cap_groups"] if g["group"] == name)


@pytest.mark.parametrize(
    ("g", "pct", "base", "small", "places"),
    [
        (12, 20, CapBase.GOOD_OR_HIGHER, False, 2),  # floor(2.4)
        (12, 20, CapBase.GOOD, False, 2),  # floor(240 / 120)
        (11, 20, CapBase.GOOD_OR_HIGHER, False, 2),  # floor(2.2)
        (11, 20, CapBase.GOOD, False, 1),  # floor(220 / 120): 2 would be 2 > 20 % of 9
        (10, 20, CapBase.GOOD_OR_HIGHER, False, 2),
        (10, 20, CapBase.GOOD, False, 1),
        (6, 20, CapBase.GOOD, False, 1),  # 1 <= 20 % of 5
        (5, 20, CapBase.GOOD_OR_HIGHER, False, 1),
        (5, 20, CapBase.GOOD, False, 0),
        (4, 20, CapBase.GOOD_OR_HIGHER, False, 0),
        (4, 20, CapBase.GOOD_OR_HIGHER, True, 1),  # small unit: 0 < G < 5
        (1, 20, CapBase.GOOD, True, 1),
        (0, 20, CapBase.GOOD_OR_HIGHER, True, 0),  # nobody: no place
        (5, 20, CapBase.GOOD, True, 0),  # G = 5 is not a small unit
        (10, 25, CapBase.GOOD, False, 2),  # 25 % for an outstanding unit (2025)
        (10, 100, CapBase.GOOD_OR_HIGHER, False, 10),
        (10, 100, CapBase.GOOD, False, 5),
    ],
)
def test_max_places(g: int, pct: int, base: CapBase, small: bool, places: int) -> None:
    assert max_places(g, ExcellentCap(pct, base, small))[0] == places


def test_cap_2019_counts_good_or_higher() -> None:
    members = [top(f"x{i}", xs=10 - i) for i in range(3)] + [good(f"g{i}") for i in range(9)]
    out = rate(doc("2019", *members))
    g = group(out)
    assert (g["base"], g["max_excellent"]) == (12, 2)
    assert g["candidates"] == ["x0", "x1", "x2"]
    assert (g["selected"], g["ties"], g["free_places"]) == (["x0", "x1"], [], 0)
    by = {m["id"]: m for m in out["members"]}
    assert by["x2"]["final"] == "HTTNV" and "top_cap.over" in rules(by["x2"])
    assert by["x0"]["final"] == "HTXSNV" and "top_cap.selected" in rules(by["x0"])


def test_cap_2023_default_base_is_good() -> None:
    members = [top(f"x{i}", xs=10 - i) for i in range(3)] + [good(f"g{i}") for i in range(8)]
    g = group(rate(doc("2023", *members)))
    assert (g["base"], g["max_excellent"], g["selected"]) == (11, 1, ["x0"])


def test_plan_overrides_pct_base_and_small_unit() -> None:
    members = [top("a", 10), top("b", 9), good("c")]
    assert group(rate(doc("2023", *members)))["max_excellent"] == 0
    out = rate(doc("2023", *members, plan={"excellent_cap": {"small_unit": True}}))
    assert (group(out)["max_excellent"], group(out)["selected"]) == (1, ["a"])
    out = rate(doc("2019", *members, plan={"excellent_cap": {"pct": 100, "base": "good"}}))
    assert group(out)["max_excellent"] == 1  # floor(100 * 3 / 200)


def test_tie_across_the_boundary_chooses_nobody() -> None:
    out = rate(doc("2019", top("a", 9), top("b", 9), top("c", 8), good("d")))
    g = group(out)  # G = 4: small unit, one place
    assert (g["max_excellent"], g["selected"], g["ties"], g["free_places"]) == (
        1,
        [],
        ["a", "b"],
        1,
    )
    by = {m["id"]: m for m in out["members"]}
    for mid in ("a", "b"):
        assert by[mid]["final"] == "HTTNV" and by[mid]["flags"] == ["tie_at_cap"]
        assert "top_cap.tie" in rules(by[mid])
    assert by["c"]["final"] == "HTTNV" and "tie_at_cap" not in by["c"]["flags"]
    assert "top_cap.over" in rules(by["c"])


def test_tie_below_a_clear_winner() -> None:
    members = [top("a", 10), top("b", 9), top("c", 9)] + [good(f"g{i}") for i in range(7)]
    g = group(rate(doc("2019", *members)))  # G = 10: 2 places; b and c tie for the second
    assert (g["selected"], g["ties"], g["free_places"]) == (["a"], ["b", "c"], 1)


def test_tie_inside_the_places_is_no_problem() -> None:
    members = [top("a", 9), top("b", 9), top("c", 8)] + [good(f"g{i}") for i in range(7)]
    g = group(rate(doc("2019", *members)))
    assert (g["selected"], g["ties"], g["free_places"]) == (["a", "b"], [], 0)


def test_ranking_is_by_share_not_count() -> None:
    # 8 of 10 (80 %) ranks above 9 of 12 (75 %)
    members = [member("a", ballot=ballot(9, 3, 0, 0)), member("b", ballot=ballot(8, 2, 0, 0))]
    members += [good(f"g{i}") for i in range(3)]
    g = group(rate(doc("2019", *members)))
    assert g["candidates"] == ["b", "a"] and g["selected"] == ["b"]


def test_hd07_ranks_against_the_official_members() -> None:
    a = member("a", ballot=ballot(10, 2, 0, 0, electorate=15))  # 10/15
    b = member("b", ballot=ballot(11, 1, 0, 0, electorate=16))  # 11/16 > 10/15
    g = group(rate(doc("2019", a, b, good("c"), plan={"vote_rule": "hd07-2011"})))
    assert g["candidates"] == ["b", "a"]


def test_two_round_ranks_by_round_two_yes_votes() -> None:
    a = member("a", ballot=ballot(0, 7, 1, 0, round2=(5, 3, 0)))
    b = member("b", ballot=ballot(0, 6, 2, 0, round2=(6, 2, 0)))
    g = group(rate(doc("2019", a, b, plan={"vote_rule": "two-round"})))
    assert g["candidates"] == ["b", "a"] and g["selected"] == ["b"]


def test_2025_breaks_equal_shares_by_points() -> None:
    tasks = {"total": 4, "on_time": 4, "late": 0, "not_done": 0, "exceeded": 2}

    def m(mid: str, general: int) -> dict[str, Any]:
        return top(
            mid, 9, self={"points": {"general": general, "tasks": 65}}, facts={"tasks": tasks}
        )

    plan = {"excellent_cap": {"small_unit": True}}
    g = group(rate(doc("2025", m("a", 26), m("b", 29), m("c", 28), plan=plan)))
    assert g["candidates"] == ["b", "c", "a"] and g["selected"] == ["b"]


def test_without_ballot_ranks_after_with_ballot_equal_rank_keeps_input_order() -> None:
    self_top = {"criteria": {"c1": "XS"}, "task_criteria": ["c1"]}
    members = [
        member("n1", self=self_top),
        top("v1", 7),
        member("n2", self=self_top),
        top("v2", 7),
    ] + [good(f"g{i}") for i in range(10)]
    g = group(rate(doc("2019", *members)))
    assert g["candidates"] == ["v1", "v2", "n1", "n2"]
    assert (g["max_excellent"], g["selected"], g["ties"]) == (2, ["v1", "v2"], [])


def test_cap_groups_in_order_of_first_appearance() -> None:
    members = [
        good("a", cap_group="leaders"),
        member("b", cap_group="staff", ballot=ballot(0, 0, 2, 8)),
        top("c", cap_group="leaders"),
        top("d"),
    ]
    out = rate(doc("2019", *members))
    assert [g["group"] for g in out["cap_groups"]] == ["leaders", "staff", "default"]
    staff = group(out, "staff")
    assert staff == {
        "group": "staff",
        "base": 0,
        "max_excellent": 0,
        "candidates": [],
        "selected": [],
        "ties": [],
        "free_places": 0,
    }
    leaders = group(out, "leaders")
    assert (leaders["base"], leaders["selected"]) == (2, ["c"])


def test_base_is_before_the_cap_and_after_the_other_caps() -> None:
    members = [top("a"), top("b", facts={"disciplined": True}), good("c")]
    g = group(rate(doc("2019", *members)))
    assert (g["base"], g["candidates"]) == (2, ["a"])


def test_allocate_direct() -> None:
    cap = ExcellentCap(20, CapBase.GOOD_OR_HIGHER, False)
    cands = [Candidate("a", 9, 10, None), Candidate("b", 9, 10, None), Candidate("c", 10, 10, None)]
    alloc = allocate(10, cands, cap)
    assert [c.id for c in alloc.ranked] == ["c", "a", "b"]
    assert [c.id for c in alloc.selected] == ["c"] and [c.id for c in alloc.ties] == ["a", "b"]
    assert alloc.free_places == 1


# --- §5.6 the organisation -------------------------------------------------------------------


def of_levels(*votes: tuple[int, ...]) -> dict[str, Any]:
    ms = [
        member(f"m{i}", ballot=ballot(*v[:4], invalid=v[4] if len(v) > 4 else 0))
        for i, v in enumerate(votes)
    ]
    return rate(doc("2019", *ms, plan={"excellent_cap": {"pct": 100}}))["organisation"]


X, T, N, K = (9, 1, 0, 0), (0, 9, 1, 0), (0, 0, 9, 1), (0, 0, 1, 9)
U = (1, 2, 2, 4, 1)  # an UNDETERMINED vote (one invalid ballot)


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ((X, T, T, T), "HTXSNV"),  # 100 % HTTNV or higher
        ((T, T, N, N), "HTTNV"),  # 100 % HTNV or higher, half HTTNV or higher
        ((T, N, N, N), "HTNV"),  # under half HTTNV or higher
        ((X, X, X, X, K), "HTNV"),  # exactly 20 % KHTNV is not more than 20 %
        ((X, X, X, K, K), "KHTNV"),  # 40 %
        ((T, T, T, T, N, K), "HTNV"),  # 1 of 6 KHTNV
        ((X, T, U), "UNDETERMINED"),
    ],
)
def test_organisation_highest_allowed_level(
    levels: tuple[tuple[int, ...], ...], expected: str
) -> None:
    assert of_levels(*levels) == {"max_level": expected}


def test_organisation_counts_final_levels_and_rated_members_only() -> None:
    members = [
        top("a"),
        top("b", 8),
        member("c", ballot=ballot(0, 0, 9, 1)),
        member("x", status="exempt", ballot=ballot(0, 0, 0, 9)),
    ]
    out = rate(doc("2023", *members))
    assert out["organisation"] == {"max_level": "HTTNV"}  # a and b end HTTNV (no place in 2023)


def test_organisation_is_null_when_nobody_is_rated() -> None:
    out = rate(doc("2019", member("x", status="exempt"), member("y", admitted_on="2021-12-01")))
    assert out["organisation"] == {"max_level": None}
    assert rate(doc("2019"))["organisation"] == {"max_level": None}
