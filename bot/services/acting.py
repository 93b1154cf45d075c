"""Who is acting on the meeting, ballot, fact and result services, and what they may touch.

A chat user arrives as an `Actor` (or as their Telegram user id, resolved here in the same unit
of work); the office command line arrives as a plain label such as `"cli"`. The command line is
trusted: whoever runs it already holds the database (spec/cli.md). Everyone else is checked with
`bot.services.access`: a secretary or deputy acts on their own cell only, the office on every
cell of its organisation.
"""

from __future__ import annotations

from typing import TypeAlias

from sqlalchemy.orm import Session

from bot.services.access import Actor, require_actor, require_cell_manager
from bot.services.errors import UserError
from bot.services.org import root_of
from bot.storage.models import Member

# An Actor (checked), a Telegram user id (resolved, then checked), or a trusted CLI label.
Who: TypeAlias = Actor | int | str


def resolve(s: Session, who: Who) -> Actor | None:
    """The Actor behind `who`, or None for the trusted command line."""
    if isinstance(who, Actor):
        return who
    if isinstance(who, bool):  # bool is an int: never a Telegram id
        raise TypeError("who must be an Actor, a Telegram user id or a CLI label")
    if isinstance(who, int):
        return require_actor(s, who)
    return None


def label(s: Session, who: Who) -> str:
    """The audit log's name for `who`: `member:<id>` for a chat user, the CLI label otherwise."""
    actor = resolve(s, who)
    return actor.label if actor is not None else str(who)


def require_cell(s: Session, who: Who, cell_id: int) -> Actor | None:
    """`who` may manage the cell (its secretary or deputy, or the office above it)."""
    actor = resolve(s, who)
    if actor is not None:
        require_cell_manager(s, actor, cell_id)
    return actor


def require_office(s: Session, who: Who, org_id: int) -> Actor | None:
    """`who` is the office of the grassroots organisation above `org_id` (or the CLI)."""
    actor = resolve(s, who)
    if actor is not None:
        root = root_of(s, org_id).id
        if ("office", root) not in actor.roles:
            raise UserError("not_your_cell")
    return actor


def is_office(s: Session, who: Who, cell_id: int) -> bool:
    """Whether `who` acts for the đảng ủy (office role above the cell, or the CLI)."""
    actor = resolve(s, who)
    if actor is None:
        return True
    return ("office", root_of(s, cell_id).id) in actor.roles


def member_in_cell(s: Session, who: Who, member_id: int) -> Member:
    """The member (on a roster, not removed), after checking `who` may manage their cell."""
    member = s.get(Member, member_id)
    if member is None or member.removed_at is not None:
        raise UserError("member_not_found", member_id=member_id)
    require_cell(s, who, member.cell_id)
    return member
