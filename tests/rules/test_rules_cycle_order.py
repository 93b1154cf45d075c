"""The order of the cycle (bot/rules/cycle_order.py) and a leader in two places
(bot/rules/two_places.py): what may be rated now, and which level is taken."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.batch import reason_text
from bot.rules import cycle_order, two_places
from bot.rules.cycle_order import (
    CollectiveNode,
    Cycle,
    cell_blocked,
    cell_order,
    collective_blocked,
    post_blocked,
    post_order,
)
from bot.rules.levels import Level
from bot.rules.two_places import TwoPlaces, combine
from bot.texts import strings

ROOT, CELL, OTHER = 1, 2, 3
NAMES = {"h": "Hà", "d": "Dũng", "m": "Mai", "x": "Xuân", "y": "Yến", "b": "Bình"}


def chi_uy(
    rated: bool = False, posts: frozenset[str] = frozenset(), members: int = 3
) -> CollectiveNode:
    everyone = ("m",) if members >= 3 else ()
    return CollectiveNode(
        "1", "Chi ủy", (ROOT, CELL), members >= 3, rated, "h", ("d",), everyone, posts
    )


def dang_uy(rated: bool = False) -> CollectiveNode:
    return CollectiveNode("2", "Đảng ủy", (ROOT,), True, rated, "b", (), ("h", "y"))


def cycle(*nodes: CollectiveNode, cell_rated: frozenset[str] = frozenset()) -> Cycle:
    return Cycle(tuple(nodes), cell_rated, NAMES)


@pytest.mark.parametrize("member", ["h", "d", "m", "x"])
def test_nobody_of_the_cell_before_its_collective(member: str) -> None:
    why = cell_blocked(cycle(chi_uy()), member, CELL)
    assert why is not None and why.rule == "order.collective_first"
    assert "Chi ủy" in reason_text(why)
    assert cell_blocked(cycle(chi_uy(rated=True)), member, CELL) is None


def test_another_cell_does_not_wait() -> None:
    assert cell_blocked(cycle(chi_uy()), "z", OTHER) is None


def test_a_collective_of_two_is_not_reviewed_so_nothing_waits() -> None:
    assert cell_blocked(cycle(chi_uy(members=2)), "x", CELL) is None


def test_the_head_of_a_higher_collective_waits_for_it_at_their_cell() -> None:
    c = cycle(chi_uy(rated=True), dang_uy())
    assert cell_blocked(c, "h", CELL) is None  # a member of the đảng ủy, not its head
    why = cell_blocked(c, "b", OTHER)
    assert why is not None and why.rule == "order.head_after_collective"
    assert cell_blocked(cycle(chi_uy(rated=True), dang_uy(rated=True)), "b", OTHER) is None


def test_lower_level_before_higher() -> None:
    why = collective_blocked(cycle(chi_uy(), dang_uy()), "2")
    assert why is not None and why.rule == "order.lower_first"
    assert "Chi ủy" in reason_text(why) and "Đảng ủy" in reason_text(why)
    assert collective_blocked(cycle(chi_uy(rated=True), dang_uy()), "2") is None
    assert collective_blocked(cycle(chi_uy(), dang_uy()), "1") is None  # the lower one itself


@pytest.mark.parametrize(
    ("node", "cell_rated", "member", "rule"),
    [
        (chi_uy(), frozenset("hdm"), "h", "order.collective_first"),
        (chi_uy(rated=True), frozenset("dm"), "h", "order.cell_first"),
        (chi_uy(rated=True), frozenset("hdm"), "d", "order.head_first"),
        (chi_uy(rated=True, posts=frozenset("h")), frozenset("hdm"), "m", "order.deputies_first"),
        (chi_uy(rated=True), frozenset("hdm"), "h", None),
        (chi_uy(rated=True, posts=frozenset("h")), frozenset("hdm"), "d", None),
        (chi_uy(rated=True, posts=frozenset("hd")), frozenset("hdm"), "m", None),
    ],
)
def test_before_the_collective_head_then_deputies_then_members(
    node: CollectiveNode, cell_rated: frozenset[str], member: str, rule: str | None
) -> None:
    why = post_blocked(cycle(node, cell_rated=cell_rated), "1", member)
    assert (why.rule if why is not None else None) == rule
    if why is not None:
        assert NAMES[member] in reason_text(why)


def test_orders_as_shown() -> None:
    c = cycle(chi_uy(rated=True), cell_rated=frozenset("hx"))
    steps = cell_order(c, CELL, ["x", "m", "d", "h", "y"])
    assert [(s.kind, s.id, s.role, s.done) for s in steps] == [
        ("collective", "1", "", True),
        ("member", "h", "head", True),
        ("member", "d", "deputy", False),
        ("member", "m", "member", False),
        ("member", "x", "", True),
        ("member", "y", "", False),
    ]
    assert cell_order(cycle(), CELL, ["x"]) == (cycle_order.Step("member", "x", "Xuân", "", False),)
    posts = post_order(cycle(chi_uy(rated=True, posts=frozenset("h"))), "1")
    assert [(s.id, s.done) for s in posts] == [("1", True), ("h", True), ("d", False), ("m", False)]


def test_every_order_rule_has_a_text() -> None:
    texts = strings("reasons.yaml")
    ids = cycle_order.RULE_IDS + two_places.RULE_IDS
    assert not [r for r in ids if r not in texts]
    assert not [k for k in texts if k.startswith(("order.", "two_places.")) and k not in ids]


@settings(max_examples=200, deadline=None)
@given(
    st.booleans(),
    st.frozensets(st.sampled_from("hdm")),
    st.frozensets(st.sampled_from("hdm")),
    st.sampled_from("hdm"),
)
def test_whatever_the_state_the_post_order_is_respected(
    rated: bool, cell_rated: frozenset[str], posts: frozenset[str], member: str
) -> None:
    """Invariant: a member allowed before the collective has the collective rated, their cell
    review in, and everyone ranked before them already reviewed there."""
    c = cycle(chi_uy(rated=rated, posts=posts), cell_rated=cell_rated)
    if post_blocked(c, "1", member) is None:
        assert rated and member in cell_rated
        before = {"h": "", "d": "h", "m": "hd"}[member]
        assert set(before) <= posts


# --- a leader in two places (seed 004 mục B.V.1) -----------------------------------------------

H, T, N, K, U = Level.HTXSNV, Level.HTTNV, Level.HTNV, Level.KHTNV, Level.UNDETERMINED


@pytest.mark.parametrize(
    ("cell", "post", "option", "taken", "rule"),
    [
        (T, T, TwoPlaces.MAIN_POST, T, "two_places.same"),
        (H, T, TwoPlaces.MAIN_POST, T, "two_places.main_post"),
        (N, H, TwoPlaces.MAIN_POST, H, "two_places.main_post"),
        (H, T, TwoPlaces.LOWER, T, "two_places.lower"),
        (N, H, TwoPlaces.LOWER, N, "two_places.lower"),
        (N, U, TwoPlaces.LOWER, U, "two_places.lower"),
        (H, T, TwoPlaces.DECIDING_LEVEL, None, "two_places.deciding_level"),
        (T, None, TwoPlaces.MAIN_POST, T, "two_places.cell_only"),
        (None, K, TwoPlaces.MAIN_POST, K, "two_places.post_only"),
    ],
)
def test_which_level_is_taken(
    cell: Level | None, post: Level | None, option: TwoPlaces, taken: Level | None, rule: str
) -> None:
    got, why = combine(cell, post, option)
    assert got is taken and why.rule == rule
    assert reason_text(why)


def test_the_default_is_the_main_and_highest_post() -> None:
    assert two_places.DEFAULT is TwoPlaces.MAIN_POST
    assert combine(H, N)[0] is N
