"""Who is talking to the bot: the member linked to a Telegram account and the roles they hold.

Every service that shows or changes something checks it here: a secretary acts on their own
cell only, the office on the cells of its organisation, a member on their own review only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services.errors import UserError
from bot.storage.models import Member, Organisation, Role, TelegramAccount


@dataclass(frozen=True)
class Actor:
    member_id: int
    full_name: str
    cell_id: int
    telegram_user_id: int
    roles: frozenset[tuple[str, int]]  # (role, organisation id)

    @property
    def label(self) -> str:
        return f"member:{self.member_id}"

    def has(self, role: str) -> bool:
        return any(r == role for r, _ in self.roles)


def actor_for(session: Session, telegram_user_id: int) -> Actor | None:
    row = session.execute(
        select(Member, TelegramAccount)
        .join(TelegramAccount, TelegramAccount.member_id == Member.id)
        .where(TelegramAccount.telegram_user_id == telegram_user_id)
    ).first()
    if row is None:
        return None
    member, _account = row
    if member.removed_at is not None:
        return None
    roles = frozenset(
        (r.role, r.organisation_id)
        for r in session.execute(select(Role).where(Role.member_id == member.id)).scalars()
    )
    return Actor(member.id, member.full_name, member.cell_id, telegram_user_id, roles)


def require_actor(session: Session, telegram_user_id: int) -> Actor:
    actor = actor_for(session, telegram_user_id)
    if actor is None:
        # A member taken off the roster keeps the link but can no longer act: say so, rather
        # than "not linked", which would send them looking for a new invite.
        removed = session.execute(
            select(Member.removed_at)
            .join(TelegramAccount, TelegramAccount.member_id == Member.id)
            .where(TelegramAccount.telegram_user_id == telegram_user_id)
        ).scalar()
        raise UserError("member_removed" if removed is not None else "not_linked")
    return actor


def _ancestors(session: Session, org_id: int) -> list[int]:
    chain: list[int] = []
    current: int | None = org_id
    while current is not None:
        chain.append(current)
        org = session.get(Organisation, current)
        current = org.parent_id if org is not None else None
    return chain


def can_manage_cell(session: Session, actor: Actor, cell_id: int) -> bool:
    """Secretary/deputy of this very cell, or office of an organisation above it."""
    for role, org_id in actor.roles:
        if role in ("secretary", "deputy") and org_id == cell_id:
            return True
        if role == "office" and org_id in _ancestors(session, cell_id):
            return True
    return False


def require_cell_manager(session: Session, actor: Actor, cell_id: int) -> None:
    if not can_manage_cell(session, actor, cell_id):
        raise UserError("not_your_cell")


def managed_cells(session: Session, actor: Actor) -> list[int]:
    """The cells this actor may manage, secretary's own first."""
    cells: list[int] = []
    for role, org_id in sorted(actor.roles):
        if role in ("secretary", "deputy"):
            cells.append(org_id)
    for role, org_id in actor.roles:
        if role == "office":
            children = session.execute(
                select(Organisation.id)
                .where(Organisation.parent_id == org_id)
                .order_by(Organisation.id)
            ).scalars()
            cells.extend(c for c in children if c not in cells)
    return cells
