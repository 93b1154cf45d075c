"""A leader reviewed in two places: at their cell (the member's duties) and before a leadership
collective (the post). Where the two levels differ, the plan chooses (`options.two_places`):

- `main_post` (the default, seed 004 mục B.V.1: "lấy mức chất lượng ở các chức vụ đảm nhiệm chính
  và cao nhất làm cơ sở"): the level at the post;
- `lower`: the lower of the two (a stricter local plan);
- `deciding_level` (seed 000 mục II.2.3: "cấp có thẩm quyền xem xét, quyết định"): no level is
  taken automatically; the deciding level chooses.

Pure; both levels are always kept and shown, this only says which one is taken.
"""

from __future__ import annotations

from enum import StrEnum

from bot.rules.levels import Level
from bot.rules.reasons import Citation, Reason, cite
from bot.rules.sources import HD13, KH61


class TwoPlaces(StrEnum):
    MAIN_POST = "main_post"
    LOWER = "lower"
    DECIDING_LEVEL = "deciding_level"


DEFAULT = TwoPlaces.MAIN_POST
CITATION: dict[TwoPlaces, Citation] = {
    TwoPlaces.MAIN_POST: cite(HD13, "mục B.V.1"),
    TwoPlaces.LOWER: cite(HD13, "mục B.V.1"),
    TwoPlaces.DECIDING_LEVEL: cite(KH61, "mục II.2.3"),
}

RULE_IDS: tuple[str, ...] = (
    "two_places.same",
    "two_places.cell_only",
    "two_places.post_only",
    "two_places.main_post",
    "two_places.lower",
    "two_places.deciding_level",
)


def combine(
    cell: Level | None, post: Level | None, option: TwoPlaces = DEFAULT
) -> tuple[Level | None, Reason]:
    """The level taken from the cell's and the post's, with the reason."""
    c = CITATION[option]
    params = (("cell", cell), ("post", post))
    if post is None:
        return cell, Reason("two_places.cell_only", c, params)
    if cell is None:
        return post, Reason("two_places.post_only", c, params)
    if cell is post:
        return cell, Reason("two_places.same", c, params)
    if option is TwoPlaces.MAIN_POST:
        return post, Reason("two_places.main_post", c, params)
    if option is TwoPlaces.LOWER:
        if Level.UNDETERMINED in (cell, post):
            return Level.UNDETERMINED, Reason("two_places.lower", c, params)
        low = cell if cell.rank <= post.rank else post
        return low, Reason("two_places.lower", c, params)
    return None, Reason("two_places.deciding_level", c, params)
