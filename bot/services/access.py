"""Who is talking to the bot: the member linked to a Telegram account and the roles they hold.

Every service that shows or changes something checks it here: a secretary acts on their own
cell only, the office on the cells of its organisation, a member on their own review only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
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


@dataclass(frozen=True)
class Linked:
    """What one lookup of a Telegram user finds: the account, the member it is linked to, that
    member's cell and, unless the member was taken off the roster, the `Actor`. Holding the
    loaded rows keeps them in the session's identity map for the rest of the unit of work."""

    account: TelegramAccount
    member: Member
    cell: Organisation
    actor: Actor | None


# Built once: constructing a statement costs more than SQLAlchemy's cached compile of it.
_LINKED = (
    select(TelegramAccount, Member, Organisation, Role.role, Role.organisation_id)
    .join(Member, Member.id == TelegramAccount.member_id)
    .join(Organisation, Organisation.id == Member.cell_id)
    .outerjoin(Role, Role.member_id == Member.id)
    .where(TelegramAccount.telegram_user_id == bindparam("tg"))
)


def linked(session: Session, telegram_user_id: int) -> Linked | None:
    """The account, member, cell and roles of a Telegram user in one statement (a member's
    every step starts here, so it is one round trip, not four)."""
    rows = session.execute(_LINKED, {"tg": telegram_user_id}).all()
    if not rows:
        return None
    account, member, cell = rows[0][0], rows[0][1], rows[0][2]
    actor = None
    if member.removed_at is None:
        roles = frozenset((r[3], r[4]) for r in rows if r[3] is not None)
        actor = Actor(member.id, member.full_name, member.cell_id, telegram_user_id, roles)
    return Linked(account, member, cell, actor)


def actor_for(session: Session, telegram_user_id: int) -> Actor | None:
    found = linked(session, telegram_user_id)
    return found.actor if found is not None else None


def acting(found: Linked | None) -> tuple[Linked, Actor]:
    """`found` with its actor, or the refusal: not linked, or taken off the roster."""
    if found is None or found.actor is None:
        # A member taken off the roster keeps the link but can no longer act: say so, rather
        # than "not linked", which would send them looking for a new invite.
        raise UserError("member_removed" if found is not None else "not_linked")
    return found, found.actor


def require_actor(session: Session, telegram_user_id: int) -> Actor:
    return acting(linked(session, telegram_user_id))[1]


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
