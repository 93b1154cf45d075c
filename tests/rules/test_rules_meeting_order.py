"""The order of the individual reviews and who chairs each (seed 000 §1.4.3)."""

from __future__ import annotations

import pytest

from bot.rules.meeting_order import (
    ORDER,
    Rank,
    Reviewee,
    post_rank,
    rank_of,
    review_chair,
    review_order,
)


@pytest.mark.parametrize(
    "post,rank",
    [
        ("bi thu chi bo", Rank.HEAD),
        ("pho bi thu chi bo", Rank.DEPUTY),
        ("pho  bi thu thuong truc", Rank.DEPUTY),  # runs of spaces
        ("chi uy vien", Rank.COMMITTEE),
        ("dang uy vien", Rank.COMMITTEE),
        ("uy vien ban thuong vu", Rank.COMMITTEE),
        ("cap uy vien", Rank.COMMITTEE),
        ("", Rank.MEMBER),
        ("to truong to dang", Rank.MEMBER),
    ],
)
def test_post_rank(post: str, rank: Rank) -> None:
    assert post_rank(post) is rank


@pytest.mark.parametrize(
    "post,head,deputy,leader,rank",
    [
        ("", True, False, False, Rank.HEAD),  # the cell's secretary role is the head
        ("", False, True, False, Rank.DEPUTY),
        ("chi uy vien", False, True, False, Rank.DEPUTY),  # the higher of the two
        ("", False, False, True, Rank.LEADER),
        ("chi uy vien", False, False, True, Rank.COMMITTEE),  # committee before leaders
        ("", False, False, False, Rank.MEMBER),
    ],
)
def test_rank_of(post: str, head: bool, deputy: bool, leader: bool, rank: Rank) -> None:
    got = rank_of(folded_party_post=post, head_role=head, deputy_role=deputy, leader=leader)
    assert got is rank


def test_order_head_deputy_committee_leader_member_and_stable_within_a_group() -> None:
    people = [
        Reviewee(1, Rank.MEMBER),
        Reviewee(2, Rank.LEADER),
        Reviewee(3, Rank.MEMBER),
        Reviewee(4, Rank.DEPUTY),
        Reviewee(5, Rank.COMMITTEE),
        Reviewee(6, Rank.HEAD),
        Reviewee(7, Rank.DEPUTY),
    ]
    assert [p.member_id for p in review_order(people)] == [6, 4, 7, 5, 2, 1, 3]
    assert "II.1.4.3" in ORDER.text


def test_a_deputy_chairs_the_heads_review_and_nobody_chairs_their_own() -> None:
    head, deputy, other = Reviewee(1, Rank.HEAD), Reviewee(2, Rank.DEPUTY), Reviewee(3, Rank.MEMBER)
    order = [head, deputy, other]
    assert review_chair(head, 1, order) == 2  # the head chairs the meeting, a deputy his review
    assert review_chair(head, 3, order) == 2  # whoever chairs, the head's review is the deputy's
    assert review_chair(other, 1, order) == 1
    assert review_chair(other, 3, order) == 2  # the chair's own review: a deputy
    assert review_chair(deputy, 1, order) == 1
    assert review_chair(deputy, 2, order) is None  # the only deputy chairs: to be named
    assert review_chair(head, 1, [head, other]) is None  # no deputy known
    assert review_chair(other, None, order) is None  # no chair chosen yet
