"""In what order a meeting reviews its members, and who chairs each review.

Seed 000 §1.4.3 (KH61 mục II.1.4.3): "Kiểm điểm tập thể trước, cá nhân sau; người đứng đầu
trước, cấp phó, cấp ủy viên, cán bộ lãnh đạo, quản lý kiểm điểm trước, đảng viên kiểm điểm
sau", and "khi kiểm điểm người đứng đầu thì phân công một đồng chí cấp phó chủ trì". The
programme of seed 000 ("Chương trình hội nghị kiểm điểm", part III.2) reviews "lần lượt theo
từng nhóm chức danh" and notes "Đồng chí cấp phó chủ trì phần kiểm điểm đồng chí cấp trưởng".

Pure: the caller says who holds which post (the cell's roles, the party post as folded text,
whether the member is a leader); this module only ranks and picks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from bot.rules.reasons import Citation, cite
from bot.rules.sources import KH61

ORDER: Citation = cite(KH61, "mục II.1.4.3")
# The programme's note on the head's review and the rule it repeats.
HEAD_CHAIRED_BY_DEPUTY: Citation = cite(KH61, "mục II.1.4.3; Chương trình hội nghị, mục III.2")


class Rank(IntEnum):
    """The groups of seed 000 §1.4.3, in the order they are reviewed."""

    HEAD = 0  # người đứng đầu (bí thư)
    DEPUTY = 1  # cấp phó (phó bí thư)
    COMMITTEE = 2  # cấp ủy viên (chi ủy viên, đảng ủy viên)
    LEADER = 3  # cán bộ lãnh đạo, quản lý
    MEMBER = 4  # đảng viên


@dataclass(frozen=True)
class Reviewee:
    member_id: int
    rank: Rank


def post_rank(folded_party_post: str) -> Rank:
    """The rank a party post gives, from its folded text (lower case, no diacritics).

    "Phó Bí thư" is a deputy, "Bí thư" the head; "Chi ủy viên", "Đảng ủy viên", "Cấp ủy viên"
    and "Ủy viên Ban Thường vụ" are committee members; anything else ranks as a member.
    """
    post = " ".join(folded_party_post.split())
    if "pho bi thu" in post:
        return Rank.DEPUTY
    if "bi thu" in post:
        return Rank.HEAD
    if "uy vien" in post or "cap uy" in post or "chi uy" in post:
        return Rank.COMMITTEE
    return Rank.MEMBER


def rank_of(*, folded_party_post: str, head_role: bool, deputy_role: bool, leader: bool) -> Rank:
    """The highest rank any of the member's posts gives: the cell's secretary or deputy role
    counts as the post itself; a leader or manager (`kind` leader) comes before the members."""
    ranks = [post_rank(folded_party_post)]
    if head_role:
        ranks.append(Rank.HEAD)
    if deputy_role:
        ranks.append(Rank.DEPUTY)
    if leader:
        ranks.append(Rank.LEADER)
    return min(ranks)


def review_order(people: Sequence[Reviewee]) -> list[Reviewee]:
    """Head first, then deputies, committee members, leaders, members (seed 000 §1.4.3).

    Stable: within a group the caller's order stands (the services pass names in Vietnamese
    alphabetical order)."""
    return sorted(people, key=lambda p: p.rank)


def review_chair(reviewee: Reviewee, chair_id: int | None, order: Sequence[Reviewee]) -> int | None:
    """Who chairs the review of `reviewee`: the meeting's chair, except for the head's review
    and for the chair's own review, which a deputy chairs (seed 000 §1.4.3). None: the deputy
    is still to be named (no deputy other than the reviewee is known), or no chair chosen."""
    if reviewee.rank is Rank.HEAD or reviewee.member_id == chair_id:
        return next(
            (
                p.member_id
                for p in order
                if p.rank is Rank.DEPUTY and p.member_id != reviewee.member_id
            ),
            None,
        )
    return chair_id
