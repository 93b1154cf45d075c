"""Invite codes: single-use, expiring deep-link codes that bind a Telegram account to a member.

`t.me/<bot>?start=<code>`: Telegram hands the code to /start. A code is redeemed once; a
reused, expired, revoked or unknown code changes nothing. One Telegram account per member and
one member per account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services import audit
from bot.services.errors import UserError
from bot.services.org import apply_role
from bot.storage.db import Database
from bot.storage.models import Invite, Member, Organisation, TelegramAccount
from bot.storage.types import utcnow
from bot.vietnamese import sort_key

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


@dataclass(frozen=True)
class InviteLine:
    member_id: int
    full_name: str
    code: str
    expires_at: datetime

    def link(self, bot_username: str) -> str:
        return f"https://t.me/{bot_username}?start={self.code}"


@dataclass(frozen=True)
class Linked:
    member_id: int
    full_name: str
    cell_name: str
    already: bool
    role: str = ""  # the role the invite carried and the member now holds ("" for none)


def new_code() -> str:
    # 16 characters from a 56-letter alphabet: ~93 bits, unguessable; no 0/O, 1/l/I confusion.
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))


def looks_like_code(text: str) -> bool:
    return 8 <= len(text) <= 64 and all(c.isalnum() or c in "-_" for c in text)


class InviteService:
    def __init__(self, db: Database, ttl_days: int = 14) -> None:
        self.db = db
        self.ttl = timedelta(days=ttl_days)

    def for_cell(
        self,
        cell_id: int,
        *,
        actor: str = "cli",
        now: datetime | None = None,
        session: Session | None = None,
    ) -> list[InviteLine]:
        """A valid code for every member of the cell not yet linked; existing ones are reused."""
        if session is not None:
            return self._for_cell(session, cell_id, actor, now or utcnow())
        with self.db.session() as s:
            return self._for_cell(s, cell_id, actor, now or utcnow())

    def _for_cell(self, s: Session, cell_id: int, actor: str, now: datetime) -> list[InviteLine]:
        if s.get(Organisation, cell_id) is None:
            raise UserError("cell_not_found", cell_id=cell_id)
        linked = set(s.execute(select(TelegramAccount.member_id)).scalars())
        members = [
            m
            for m in s.execute(
                select(Member).where(Member.cell_id == cell_id, Member.removed_at.is_(None))
            ).scalars()
            if m.id not in linked and m.status in ("official", "probationary")
        ]
        lines: list[InviteLine] = []
        for m in sorted(members, key=lambda m: sort_key(m.full_name)):
            inv = s.execute(
                select(Invite)
                .where(
                    Invite.member_id == m.id,
                    Invite.role == "",  # an invite carrying a role is never handed out here
                    Invite.used_at.is_(None),
                    Invite.revoked_at.is_(None),
                    Invite.expires_at > now,
                )
                .order_by(Invite.expires_at.desc())
                .limit(1)
            ).scalar()
            if inv is None:
                inv = Invite(
                    code=new_code(), member_id=m.id, created_at=now, expires_at=now + self.ttl
                )
                s.add(inv)
                s.flush()
                audit.record(
                    s,
                    actor=actor,
                    entity="invite",
                    entity_id=m.id,
                    action="create",
                    new={"invite_id": inv.id, "expires_at": inv.expires_at.isoformat()},
                )
            lines.append(InviteLine(m.id, m.full_name, inv.code, inv.expires_at))
        return lines

    def redeem(
        self,
        code: str,
        telegram_user_id: int,
        chat_id: int,
        username: str = "",
        *,
        now: datetime | None = None,
    ) -> Linked:
        now = now or utcnow()
        with self.db.session() as s:
            inv = s.execute(select(Invite).where(Invite.code == code)).scalar()
            if inv is None:
                raise UserError("invite_unknown")
            member = s.get(Member, inv.member_id)
            assert member is not None
            cell = s.get(Organisation, member.cell_id)
            cell_name = cell.name if cell else ""
            mine = s.execute(
                select(TelegramAccount).where(TelegramAccount.telegram_user_id == telegram_user_id)
            ).scalar()
            if inv.used_at is not None:
                if (
                    inv.used_by == telegram_user_id
                    and mine is not None
                    and mine.member_id == member.id
                ):
                    return Linked(member.id, member.full_name, cell_name, already=True)
                raise UserError("invite_used")
            if inv.revoked_at is not None or member.removed_at is not None:
                raise UserError("invite_revoked")
            if inv.expires_at <= now:
                raise UserError("invite_expired")
            if mine is not None:
                if mine.member_id != member.id:
                    raise UserError("account_linked_elsewhere")
                if not inv.role:
                    return Linked(member.id, member.full_name, cell_name, already=True)
                # Already linked: the invite only brings the role, and is used up by it.
                inv.used_at, inv.used_by = now, telegram_user_id
                apply_role(s, member.id, inv.role, actor=f"invite:{inv.id}")
                return Linked(member.id, member.full_name, cell_name, True, inv.role)
            taken = s.execute(
                select(TelegramAccount).where(TelegramAccount.member_id == member.id)
            ).scalar()
            if taken is not None:
                raise UserError("member_linked_elsewhere")
            s.add(
                TelegramAccount(
                    member_id=member.id,
                    telegram_user_id=telegram_user_id,
                    chat_id=chat_id,
                    username=username[:64],
                    linked_at=now,
                )
            )
            inv.used_at, inv.used_by = now, telegram_user_id
            audit.record(
                s,
                actor=f"tg:{telegram_user_id}",
                entity="member",
                entity_id=member.id,
                action="link_telegram",
                new={"invite_id": inv.id},
            )
            if inv.role:
                apply_role(s, member.id, inv.role, actor=f"invite:{inv.id}")
            return Linked(member.id, member.full_name, cell_name, False, inv.role)

    def role_invite(
        self, s: Session, member: Member, role: str, *, actor: str, now: datetime | None = None
    ) -> InviteLine:
        """A new one-time code that links its opener to `member` and gives them `role` in the
        member's cell (inside the caller's unit of work). Earlier unused codes for the same
        member and role are revoked, so only the newest link works."""
        now = now or utcnow()
        for old in s.execute(
            select(Invite).where(
                Invite.member_id == member.id,
                Invite.role == role,
                Invite.used_at.is_(None),
                Invite.revoked_at.is_(None),
            )
        ).scalars():
            old.revoked_at = now
        inv = Invite(
            code=new_code(),
            member_id=member.id,
            created_at=now,
            expires_at=now + self.ttl,
            role=role,
        )
        s.add(inv)
        s.flush()
        audit.record(
            s,
            actor=actor,
            entity="invite",
            entity_id=member.id,
            action="create",
            new={
                "invite_id": inv.id,
                "role": role,
                "cell_id": member.cell_id,
                "expires_at": inv.expires_at.isoformat(),
            },
        )
        return InviteLine(member.id, member.full_name, inv.code, inv.expires_at)
