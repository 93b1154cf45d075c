"""A cell for reminder tests: members (some linked to Telegram), a secretary, dates and
plan options, built through the services; plus the few state changes owned by other
features (a submitted review), written directly."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from bot.services.invites import InviteService
from bot.services.org import OrgService
from bot.storage.db import Database
from bot.storage.models import Member, Reminder, SelfReview, TelegramAccount
from bot.storage.types import utcnow
from tests.factory import Org, make_org, member_line

TG_BASE = 700_000


@dataclass
class World:
    db: Database
    org: Org
    ids: dict[str, int]  # name -> member id
    tg: dict[int, int] = field(default_factory=dict)  # member id -> telegram user id (= chat)
    secretary: int = 0

    def member(self, name: str) -> int:
        return self.ids[name]

    def chat(self, name: str) -> int:
        return self.tg[self.ids[name]]


def build(db: Database, names: list[str], *, secretary: str | None = None,
          unlinked: tuple[str, ...] = (), plan: dict[str, Any] | None = None,
          year: int = 2026, tg_base: int = TG_BASE, bulk: bool = False) -> World:
    """`bulk`: link the accounts in one transaction instead of redeeming each invite (the
    fan-out tests link thousands; invites themselves are the onboarding tests' business)."""
    org = make_org(db, [member_line(n, born=f"0{1 + i % 9}/01/19{60 + i % 30}")
                        for i, n in enumerate(names)], plan=plan, year=year)
    with db.session() as s:
        ids = {m.full_name: m.id for m in s.execute(
            select(Member).where(Member.cell_id == org.cell_id)).scalars()}
    world = World(db, org, ids)
    if bulk:
        with db.session() as s:
            for name, member_id in ids.items():
                if name not in unlinked:
                    tg = tg_base + member_id
                    s.add(TelegramAccount(member_id=member_id, telegram_user_id=tg, chat_id=tg))
                    world.tg[member_id] = tg
        if secretary is not None:
            world.secretary = ids[secretary]
            OrgService(db).grant_role(world.secretary, "secretary")
        return world
    invites = InviteService(db)
    for line in invites.for_cell(org.cell_id):
        if line.full_name in unlinked:
            continue
        tg = tg_base + line.member_id
        invites.redeem(line.code, tg, tg)
        world.tg[line.member_id] = tg
    if secretary is not None:
        world.secretary = ids[secretary]
        OrgService(db).grant_role(world.secretary, "secretary")
    return world


def submit(db: Database, period_id: int, member_id: int, at: datetime | None = None) -> None:
    """The member's review is submitted (the review feature's own tests cover how)."""
    with db.session() as s:
        review = s.execute(select(SelfReview).where(
            SelfReview.period_id == period_id, SelfReview.member_id == member_id)).scalar()
        if review is None:
            review = SelfReview(period_id=period_id, member_id=member_id)
            s.add(review)
        review.status, review.submitted_at = "submitted", at or utcnow()


def account(db: Database, member_id: int) -> TelegramAccount:
    with db.session() as s:
        return s.execute(select(TelegramAccount).where(
            TelegramAccount.member_id == member_id)).scalar_one()


def rows(db: Database) -> list[Reminder]:
    with db.session() as s:
        return list(s.execute(select(Reminder).order_by(Reminder.id)).scalars())


def deadlines(plan: dict[str, Any] | None, **dates: date) -> dict[str, Any]:
    out = dict(plan or {})
    out["deadlines"] = {k: v.isoformat() for k, v in dates.items()}
    return out


FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Quang", "Thanh", "Xuân", "Thu"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
         "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phúc", "Phương", "Quân",
         "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Trung", "Tuấn", "Yến"]


def names(n: int) -> list[str]:
    """n distinct Vietnamese-looking names (no digits: the roster refuses them)."""
    out: list[str] = []
    for g in GIVEN:
        for m in MIDDLE:
            for f in FAMILY:
                out.append(f"{f} {m} {g}")
                if len(out) == n:
                    return out
    for f in FAMILY:  # beyond 4,800: a second given name
        for g in GIVEN:
            for m in MIDDLE:
                for g2 in GIVEN:
                    out.append(f"{f} {m} {g2} {g}")
                    if len(out) == n:
                        return out
    raise ValueError(n)
