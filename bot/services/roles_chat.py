"""Secretaries and deputies of a cell, granted and revoked in chat by the office (`ro:`), and the
one-time invite that carries such a role.

Only the office of the organisation above the cell may do this (`roles_office_only` for anyone
else, secretaries included: a secretary does not appoint their own deputy in the bot). The
member must be on the cell's roster and an official member. A grant or a revocation is confirmed
by a second tap and goes through `bot.services.org.apply_role` (audited) in the same unit of
work as the check. A role invite (`InviteService.role_invite`) binds its opener to the roster
member and gives the role when opened (`InviteService.redeem`).

Callback data, verb first, each naming the cell and member it acts on:
`ro:v:<cell>` the holders (`ro:b:<cell>`: back to them, in place); `ro:m:<cell>` / `ro:i:<cell>`
pick a member to grant / to invite;
`ro:p:<cell>:<member>` pick the role; `ro:c|g:<cell>:<member>:<s|d>` confirm / grant;
`ro:q|x:<cell>:<member>:<s|d>` confirm / revoke; `ro:j:<cell>:<member>` pick the invite's role;
`ro:k:<cell>:<member>:<s|d>` make the invite.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services.access import Actor, require_actor
from bot.services.errors import UserError
from bot.services.invites import InviteService
from bot.services.org import apply_role, root_of
from bot.services.replies import Button, Outcome
from bot.storage.db import Database
from bot.storage.models import Member, Organisation, Role, TelegramAccount
from bot.texts import label, render
from bot.vietnamese import sort_key

ROLE_CODES = {"s": "secretary", "d": "deputy"}
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")  # dates shown to people (docs/architecture.md, Time)
CODE_OF = {v: k for k, v in ROLE_CODES.items()}


@dataclass(frozen=True)
class Holder:
    member_id: int
    name: str
    role: str  # secretary | deputy
    linked: bool


def role_name(role: str) -> str:
    return label(f"role_{role}")


class RoleChat:
    def __init__(self, db: Database, invites: InviteService) -> None:
        self.db = db
        self.invites = invites

    def on_button(self, tg_user: int, data: str, bot_username: str = "") -> Outcome:
        parts = data.split(":")
        if len(parts) < 3 or parts[0] != "ro" or not all(p.isdigit() for p in parts[2:4]):
            raise UserError("stale_button")
        verb, cell_id = parts[1], int(parts[2])
        member_id = int(parts[3]) if len(parts) > 3 else None
        code = parts[4] if len(parts) > 4 else None
        if verb in ("v", "b") and len(parts) == 3:
            return self.holders(tg_user, cell_id, edit=verb == "b")
        if verb in ("m", "i") and len(parts) == 3:
            return self.pick_member(tg_user, cell_id, invite=verb == "i")
        if member_id is not None and len(parts) == 4 and verb in ("p", "j"):
            return self.pick_role(tg_user, cell_id, member_id, invite=verb == "j")
        if member_id is not None and len(parts) == 5 and code in ROLE_CODES:
            role = ROLE_CODES[code]
            if verb == "c":
                return self.confirm(tg_user, cell_id, member_id, role, revoke=False)
            if verb == "q":
                return self.confirm(tg_user, cell_id, member_id, role, revoke=True)
            if verb == "g":
                return self.change(tg_user, cell_id, member_id, role, revoke=False)
            if verb == "x":
                return self.change(tg_user, cell_id, member_id, role, revoke=True)
            if verb == "k":
                return self.make_invite(tg_user, cell_id, member_id, role, bot_username)
        raise UserError("stale_button")

    # ---- views -------------------------------------------------------------------------------

    def holders(self, tg_user: int, cell_id: int, *, edit: bool = True, done: str = "") -> Outcome:
        with self.db.session() as s:
            cell = _office_cell(s, tg_user, cell_id)
            holders = _holders(s, cell_id)
            name = cell.name
        rows = [
            (
                Button(
                    label("btn_role_revoke", name=h.name, role=role_name(h.role)),
                    f"ro:q:{cell_id}:{h.member_id}:{CODE_OF[h.role]}",
                ),
            )
            for h in holders
        ]
        rows.append((Button(label("btn_role_grant"), f"ro:m:{cell_id}"),))
        rows.append((Button(label("btn_role_invite"), f"ro:i:{cell_id}"),))
        rows.append((Button(label("btn_back_to_cell"), f"cm:{cell_id}:menu"),))
        text = render(
            "roles/holders.j2", cell=name, holders=holders, role_name=role_name, done=done
        )
        return Outcome().say(text, *rows, edit=edit)

    def pick_member(self, tg_user: int, cell_id: int, *, invite: bool) -> Outcome:
        with self.db.session() as s:
            cell = _office_cell(s, tg_user, cell_id)
            members = _officials(s, cell_id)
            name = cell.name
        verb = "j" if invite else "p"
        buttons = [Button(m.full_name, f"ro:{verb}:{cell_id}:{m.id}") for m in members]
        rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        rows.append((Button(label("btn_back"), f"ro:b:{cell_id}"),))
        text = render("roles/pick_member.j2", cell=name, invite=invite, count=len(members))
        return Outcome().say(text, *rows, edit=True)

    def pick_role(self, tg_user: int, cell_id: int, member_id: int, *, invite: bool) -> Outcome:
        with self.db.session() as s:
            cell = _office_cell(s, tg_user, cell_id)
            member = _candidate(s, cell_id, member_id)
            name, cell_name = member.full_name, cell.name
        verb = "k" if invite else "c"
        rows = [
            (Button(role_name(role), f"ro:{verb}:{cell_id}:{member_id}:{code}"),)
            for code, role in ROLE_CODES.items()
        ]
        rows.append((Button(label("btn_back"), f"ro:b:{cell_id}"),))
        text = render("roles/pick_role.j2", name=name, cell=cell_name, invite=invite)
        return Outcome().say(text, *rows, edit=True)

    def confirm(
        self, tg_user: int, cell_id: int, member_id: int, role: str, *, revoke: bool
    ) -> Outcome:
        with self.db.session() as s:
            cell = _office_cell(s, tg_user, cell_id)
            member = _candidate(s, cell_id, member_id, revoke=revoke)
            held = _holds(s, member_id, cell_id, role)
            others = [
                h for h in _holders(s, cell_id) if h.role == role and h.member_id != member_id
            ]
            name, cell_name = member.full_name, cell.name
        if revoke and not held:
            raise UserError("role_not_held_by", name=name, role=role_name(role))
        if not revoke and held:
            raise UserError("role_held_already", name=name, role=role_name(role))
        verb = "x" if revoke else "g"
        code = CODE_OF[role]
        text = render(
            "roles/confirm.j2",
            name=name,
            cell=cell_name,
            role=role_name(role),
            revoke=revoke,
            others=[h.name for h in others],
        )
        return Outcome().say(
            text,
            (
                Button(label("btn_confirm"), f"ro:{verb}:{cell_id}:{member_id}:{code}"),
                Button(label("btn_cancel"), f"ro:b:{cell_id}"),
            ),
            edit=True,
        )

    # ---- changes -----------------------------------------------------------------------------

    def change(
        self, tg_user: int, cell_id: int, member_id: int, role: str, *, revoke: bool
    ) -> Outcome:
        """Grant or revoke, after the confirmation tap; audited by `apply_role`."""
        with self.db.session() as s:
            actor = _office(s, tg_user, cell_id)
            member = _candidate(s, cell_id, member_id, revoke=revoke)
            held = _holds(s, member_id, cell_id, role)
            if revoke and not held:
                raise UserError("role_not_held_by", name=member.full_name, role=role_name(role))
            if not revoke and held:
                raise UserError("role_held_already", name=member.full_name, role=role_name(role))
            apply_role(s, member_id, role, actor=actor.label, revoke=revoke)
            name = member.full_name
        key = "roles/revoked.j2" if revoke else "roles/granted.j2"
        out = self.holders(tg_user, cell_id, done=render(key, name=name, role=role_name(role)))
        out.toast = label("toast_role_revoked" if revoke else "toast_role_granted")
        return out

    def make_invite(
        self, tg_user: int, cell_id: int, member_id: int, role: str, bot_username: str
    ) -> Outcome:
        with self.db.session() as s:
            actor = _office(s, tg_user, cell_id)
            cell = s.get(Organisation, cell_id)
            assert cell is not None
            member = _candidate(s, cell_id, member_id)
            if _holds(s, member_id, cell_id, role):
                raise UserError("role_held_already", name=member.full_name, role=role_name(role))
            line = self.invites.role_invite(s, member, role, actor=actor.label)
            linked = (
                s.execute(
                    select(TelegramAccount.id).where(TelegramAccount.member_id == member_id)
                ).scalar()
                is not None
            )
            cell_name = cell.name
        text = render(
            "roles/invite.j2",
            name=line.full_name,
            cell=cell_name,
            role=role_name(role),
            link=line.link(bot_username or "<bot>"),
            expires=line.expires_at.astimezone(LOCAL).strftime("%d/%m/%Y"),
            linked=linked,
        )
        # The link stays readable: going back opens the holders in a new message.
        return Outcome().say(text, (Button(label("btn_back"), f"ro:v:{cell_id}"),))


# ---- checks and loading ----------------------------------------------------------------------


def _office(s: Session, tg_user: int, cell_id: int) -> Actor:
    """The actor, who must be the office of the organisation above the cell."""
    actor = require_actor(s, tg_user)
    cell = s.get(Organisation, cell_id)
    if cell is None or cell.parent_id is None:
        if actor.has("office"):
            raise UserError("cell_not_found", cell_id=cell_id)
        raise UserError("roles_office_only")
    if ("office", root_of(s, cell_id).id) not in actor.roles:
        raise UserError("roles_office_only")
    return actor


def _office_cell(s: Session, tg_user: int, cell_id: int) -> Organisation:
    _office(s, tg_user, cell_id)
    cell = s.get(Organisation, cell_id)
    assert cell is not None
    return cell


def _officials(s: Session, cell_id: int) -> list[Member]:
    members = s.execute(
        select(Member).where(
            Member.cell_id == cell_id, Member.removed_at.is_(None), Member.status == "official"
        )
    ).scalars()
    return sorted(members, key=lambda m: sort_key(m.full_name))


def _candidate(s: Session, cell_id: int, member_id: int, *, revoke: bool = False) -> Member:
    """A member of this cell's roster who may hold a cell role (an official member; a role
    can always be taken back, whatever the member's status now)."""
    member = s.get(Member, member_id)
    if member is None or member.removed_at is not None:
        raise UserError("member_not_found", member_id=member_id)
    if member.cell_id != cell_id:
        raise UserError("stale_button")
    if not revoke and member.status != "official":
        raise UserError("role_needs_official", name=member.full_name)
    return member


def _holds(s: Session, member_id: int, cell_id: int, role: str) -> bool:
    return (
        s.execute(
            select(Role.id).where(
                Role.member_id == member_id, Role.organisation_id == cell_id, Role.role == role
            )
        ).scalar()
        is not None
    )


def _holders(s: Session, cell_id: int) -> list[Holder]:
    rows = s.execute(
        select(Role, Member)
        .join(Member, Member.id == Role.member_id)
        .where(Role.organisation_id == cell_id, Role.role.in_(tuple(ROLE_CODES.values())))
    ).all()
    linked = set(
        s.execute(
            select(TelegramAccount.member_id).where(
                TelegramAccount.member_id.in_([m.id for _, m in rows])
            )
        ).scalars()
    )
    order = {"secretary": 0, "deputy": 1}
    holders = [Holder(m.id, m.full_name, r.role, m.id in linked) for r, m in rows]
    return sorted(holders, key=lambda h: (order[h.role], sort_key(h.name)))
