"""Helpers for the secretary's and the office's tests: actors, and a member who fills in and
submits a self-review through the real review service (the chat's own code path)."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from sqlalchemy import select

from bot.review.questionnaire import format_points
from bot.rules.catalog import PointsGroup, load_catalog
from bot.rules.levels import MemberKind, Rulebook
from bot.services.access import Actor
from bot.services.invites import InviteService
from bot.services.reviews import ReviewService
from bot.storage.db import Database
from bot.storage.models import Member, ReviewPeriod


def actor(db: Database, member_id: int, *roles: tuple[str, int]) -> Actor:
    """A chat user (member `member_id`) holding `roles` [(role, organisation id)]."""
    with db.session() as s:
        m = s.get(Member, member_id)
        assert m is not None
        return Actor(m.id, m.full_name, m.cell_id, 9_000_000 + m.id, frozenset(roles))


def member_ids(db: Database, cell_id: int) -> dict[str, int]:
    """Full name -> member id, for a cell."""
    with db.session() as s:
        rows = s.execute(select(Member).where(Member.cell_id == cell_id)).scalars()
        return {m.full_name: m.id for m in rows}


def _split(total: Fraction, maxima: list[Fraction]) -> list[Fraction]:
    """`total` spread over items, each filled to its maximum in order."""
    out: list[Fraction] = []
    left = total
    for mx in maxima:
        take = min(left, mx)
        out.append(take)
        left -= take
    assert left == 0, f"{total} does not fit in {maxima}"
    return out


def submit_review(
    db: Database,
    member_id: int,
    tg: int,
    *,
    grades: Mapping[str, str] | None = None,
    points: Mapping[str, Fraction | int] | None = None,
    indicators: Mapping[int, int] | None = None,
    proposed: str = "KHTNV",
) -> None:
    """Link a Telegram account to the member and answer every question through the
    `ReviewService`, then submit: `grades` per criterion id (2019/2023), `points`
    {"general": g, "tasks": t} spread over the sheet's items (2025), `indicators` {n: level}
    (level 1 for the others), no tasks listed, no text sections, `proposed` as the member's own
    proposal (a lower one needs no justification)."""
    with db.session() as s:
        m = s.get(Member, member_id)
        assert m is not None
        cell_id, kind = m.cell_id, m.kind
        period = s.execute(select(ReviewPeriod).order_by(ReviewPeriod.id.desc())).scalars().first()
        assert period is not None
        rulebook = period.rulebook
    invites = InviteService(db)
    line = next(x for x in invites.for_cell(cell_id) if x.member_id == member_id)
    invites.redeem(line.code, tg, tg)
    catalog = load_catalog(Rulebook(rulebook), MemberKind(kind))
    item_points: dict[str, Fraction] = {}
    if catalog.points is not None and points is not None:
        for group, key in ((PointsGroup.GENERAL, "general"), (PointsGroup.TASKS, "tasks")):
            items = catalog.points.items_in(group)
            shares = _split(Fraction(points[key]), [i.max_points for i in items])
            item_points.update({i.id: v for i, v in zip(items, shares, strict=True)})
    svc = ReviewService(db)
    out = svc.open(tg)
    for _ in range(400):
        last = next((r for r in reversed(out.replies) if r.buttons), None)
        datas = [b.data for row in last.buttons for b in row] if last is not None else []
        if "sub" in datas:
            svc.on_button(tg, "sub")
            return
        note = next((d for d in datas if d.startswith("n:") and d.endswith(":skip")), None)
        if note is not None:
            out = svc.on_button(tg, note)
            continue
        keys = {d.split(":")[1] for d in datas if d.startswith(("a:", "r:"))}
        text = "\n".join(r.text for r in out.replies)
        if not keys:  # a text question without buttons: a section, points, a remedy, a reason
            out = svc.on_text(tg, _text_answer(text, item_points))
            continue
        (key,) = keys
        if key == "hdr":
            out = svc.on_button(tg, "a:hdr:ok")
        elif key in ("unit",) or (f"a:{key}:none" in datas and not key.startswith("i.")):
            out = svc.on_button(tg, f"a:{key}:none")
        elif key.startswith("c."):
            grade = (grades or {}).get(key[2:], "T")
            out = svc.on_button(tg, f"a:{key}:{grade}")
        elif key.startswith("p."):
            out = svc.on_text(tg, format_points(item_points[key[2:]]))
        elif key.startswith("i."):
            level = (indicators or {}).get(int(key[2:]), 1)
            out = svc.on_button(tg, f"a:{key}:{level}")
            if level >= 2:
                out = svc.on_text(tg, "Rút kinh nghiệm, khắc phục ngay")
        elif key in ("rate", "rcs"):
            out = svc.on_button(tg, f"a:{key}:{proposed if key == 'rate' else 'HTTNV'}")
        else:
            raise AssertionError(f"unexpected question {key}: {text[:200]}")
    raise AssertionError("the review did not reach the summary")


def _text_answer(text: str, item_points: Mapping[str, Fraction]) -> str:
    return "Không có nội dung cần nêu."
