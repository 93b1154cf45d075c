"""A small organisation with every role, shared by the access matrix and the fuzz tests.

Two cells under one đảng bộ: cell A has a secretary, a deputy and two members; cell B a
secretary, a member and the office (the đảng ủy's staff sit in some cell too). Everyone but one
Telegram user is linked; both cells have their meeting open; the second member of cell A has a
submitted review holding a free-text secret that nobody else may ever be shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, select, text, update

from bot.sandbox import TelegramEmulator
from bot.sandbox.client import SimUser
from bot.sandbox.demo import make_org, member_line
from bot.services.invites import InviteService
from bot.services.meetings import MeetingService
from bot.services.org import OrgService
from bot.storage.db import Database
from bot.storage.models import Answer, Base, ResidenceFeedback, SelfReview, TelegramAccount

SECRET = "BÍ MẬT RIÊNG của đồng chí Hai: điều trị bệnh"
INTERNAL_ERROR = "Xin lỗi, bot gặp trục trặc"

CELL_A = [
    ("sec_a", "Hoàng Văn Sơn", "Bí thư chi bộ"),
    ("dep_a", "Trần Thị Phó", "Phó bí thư chi bộ"),
    ("mem_a", "Lê Văn Một", ""),
    ("mem_a2", "Phạm Thị Hai", ""),
]
CELL_B = [
    ("sec_b", "Nguyễn Văn Tây", "Bí thư chi bộ"),
    ("office", "Đỗ Thị Phòng", ""),
    ("mem_b", "Vũ Văn Bảy", ""),
]
ROLES = {"sec_a": "secretary", "dep_a": "deputy", "sec_b": "secretary", "office": "office"}
UNLINKED_TG = 799_999


@dataclass
class Person:
    key: str
    name: str
    member_id: int
    tg: int
    code: str


@dataclass
class World:
    db: Database
    url: str
    org_id: int
    cell_a: int
    cell_b: int
    period_id: int
    people: dict[str, Person] = field(default_factory=dict)
    # Residence feedback forms: "request" (cell B's member, asked of cell A), "draft" (cell A's
    # second member, being entered by cell A itself).
    residence: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Person:
        return self.people[key]


def build_world(url: str) -> World:
    db = Database(url)
    org = make_org(
        db,
        [member_line(n, post=p) for _, n, p in CELL_A],
        other_lines=[member_line(n, post=p) for _, n, p in CELL_B],
        rulebook="2025",
        year=2025,
    )
    world = World(db, url, org.org_id, org.cell_id, org.other_cell_id, org.period_id)
    invites = InviteService(db)
    codes = {x.full_name: x for x in invites.for_cell(org.cell_id) + invites.for_cell(
        org.other_cell_id)}
    for i, (key, name, _post) in enumerate(CELL_A + CELL_B):
        line = codes[name]
        tg = 790_001 + i
        invites.redeem(line.code, tg, tg, key)
        world.people[key] = Person(key, name, line.member_id, tg, line.code)
    orgs = OrgService(db)
    for key, role in ROLES.items():
        orgs.grant_role(world[key].member_id, role)
    meetings = MeetingService(db)
    meetings.open("cli", org.cell_id, date(2025, 12, 15), 4)
    meetings.open("cli", org.other_cell_id, date(2025, 12, 16), 3)
    with db.session() as s:
        review = SelfReview(
            period_id=org.period_id,
            member_id=world["mem_a2"].member_id,
            status="submitted",
            cursor="summary",
        )
        s.add(review)
        s.flush()
        s.add(Answer(review_id=review.id, question="unit", value=SECRET, note=""))
        s.add(Answer(review_id=review.id, question="s.2", value=SECRET, note=SECRET))
        request = ResidenceFeedback(
            period_id=org.period_id,
            member_id=world["mem_b"].member_id,
            residence_cell_id=org.cell_id,
            source="residence",
            status="requested",
            requested_by=f"member:{world['sec_b'].member_id}",
        )
        draft = ResidenceFeedback(
            period_id=org.period_id,
            member_id=world["mem_a2"].member_id,
            source="cell",
            status="draft",
            requested_by=f"member:{world['sec_a'].member_id}",
        )
        s.add_all([request, draft])
        s.flush()
        world.residence = {"request": request.id, "draft": draft.id}
    return world


def reset_state(world: World) -> None:
    """Forget every pending input and proxy entry, and put the residence forms back as built,
    so one case never leaks into the next."""
    with world.db.session() as s:
        s.execute(update(TelegramAccount).values(awaiting="", acting_for_member_id=None))
        if world.residence:
            forms = list(world.residence.values())
            s.execute(delete(ResidenceFeedback).where(ResidenceFeedback.id.not_in(forms)))
            for row in s.execute(select(ResidenceFeedback)).scalars():
                request = row.id == world.residence["request"]
                row.residence_cell_id = world.cell_a if request else None
                row.source = "residence" if request else "cell"
                row.status = "requested" if request else "draft"
                row.cursor, row.answers, row.other = 1, {}, ""
                row.answered_by, row.answered_at = "", None


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table as stored (ciphertext included): any write shows up."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as conn:
        for t in Base.metadata.sorted_tables:
            rows = conn.execute(text(f'SELECT * FROM "{t.name}" ORDER BY 1')).all()
            out[t.name] = [tuple(r) for r in rows]
    return out


def changed_tables(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


async def barrier(user: SimUser) -> None:
    """Wait until the bot has finished with everything this user sent: updates of one chat are
    handled in order, so once /help is answered every earlier reply has arrived."""
    user.send("/help")
    while not (await user.expect_reply(timeout=15)).text.startswith("Hướng dẫn"):
        pass


def internal_errors(emu: TelegramEmulator) -> list[str]:
    """Texts of every "something went wrong" message the bot sent anywhere."""
    return [
        r.message.text
        for r in emu.sent
        if r.method == "sendMessage"
        and r.message is not None
        and INTERNAL_ERROR in (r.message.text or "")
    ]
