"""Organisations, cells, review periods and roles: what the office sets up."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from bot.rules.levels import Rulebook
from bot.rules.two_places import TwoPlaces
from bot.services import audit
from bot.services.errors import UserError
from bot.storage.db import Database
from bot.storage.models import Deadline, Member, Organisation, ReviewPeriod, Role
from bot.vietnamese import clean

ROLES = ("office", "secretary", "deputy")
# Keys of a plan file that are the bot's options, not rating rules (the engine validates the rest).
OPTION_KEYS = ("reminders", "holidays", "double_entry", "cap_groups", "two_places")
DEADLINE_KINDS = ("self_review_due", "meeting", "results_due", "decision")


def root_of(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise UserError("org_not_found", org_id=org_id)
    while org.parent_id is not None:
        parent = session.get(Organisation, org.parent_id)
        assert parent is not None
        org = parent
    return org


def _open_period_statement() -> Any:
    """The newest open period of the root above :org_id, in one statement (a recursive walk up
    the tree), built once: every member's step asks it."""
    up = (
        select(Organisation.id, Organisation.parent_id)
        .where(Organisation.id == bindparam("org_id"))
        .cte("up", recursive=True)
    )
    parent = aliased(Organisation)
    up = up.union_all(select(parent.id, parent.parent_id).join(up, parent.id == up.c.parent_id))
    return (
        select(ReviewPeriod)
        .join(up, ReviewPeriod.organisation_id == up.c.id)
        .where(up.c.parent_id.is_(None), ReviewPeriod.status == "open")
        .order_by(ReviewPeriod.year.desc())
        .limit(1)
    )


_OPEN_PERIOD = _open_period_statement()


def current_period(session: Session, org_id: int) -> ReviewPeriod:
    """The newest open review period of the grassroots organisation above `org_id`."""
    period = session.execute(_OPEN_PERIOD, {"org_id": org_id}).scalar()
    if period is None:
        root = root_of(session, org_id)  # also: "no such organisation"
        raise UserError("no_open_period", org=root.name)
    return period


class OrgService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create_org(self, name: str, *, actor: str = "cli") -> int:
        name = clean(name)
        if not name:
            raise UserError("name_required")
        with self.db.session() as s:
            org = Organisation(kind="grassroots", name=name)
            s.add(org)
            s.flush()
            audit.record(
                s,
                actor=actor,
                entity="organisation",
                entity_id=org.id,
                action="create",
                new={"name": name},
            )
            return org.id

    def create_cell(self, org_id: int, name: str, *, actor: str = "cli") -> int:
        name = clean(name)
        if not name:
            raise UserError("name_required")
        with self.db.session() as s:
            parent = s.get(Organisation, org_id)
            if parent is None:
                raise UserError("org_not_found", org_id=org_id)
            cell = Organisation(kind="cell", name=name, parent_id=org_id)
            s.add(cell)
            s.flush()
            audit.record(
                s,
                actor=actor,
                entity="organisation",
                entity_id=cell.id,
                action="create",
                new={"name": name, "parent_id": org_id},
            )
            return cell.id

    def open_period(
        self,
        org_id: int,
        year: int,
        *,
        rulebook: str | None = None,
        plan: dict[str, Any] | None = None,
        actor: str = "cli",
    ) -> int:
        """Open (or re-open with a new plan) the review period of `year`."""
        if not 2000 <= year <= 2100:
            raise UserError("bad_year", year=year)
        book = rulebook or Rulebook.for_year(year).value
        if book not in {r.value for r in Rulebook}:
            raise UserError("bad_rulebook", value=book)
        plan = dict(plan or {})
        deadlines = plan.pop("deadlines", None) or {}
        as_of_raw = plan.pop("as_of", None)
        options = {k: plan.pop(k) for k in OPTION_KEYS if k in plan}
        two_places = options.get("two_places", TwoPlaces.MAIN_POST.value)
        if two_places not in {t.value for t in TwoPlaces}:  # docs/collectives.md
            choices = ", ".join(t.value for t in TwoPlaces)
            raise UserError("bad_two_places_option", value=two_places, choices=choices)
        as_of = _parse_date(as_of_raw, "as_of") if as_of_raw else date(year, 12, 31)
        _check_plan(book, plan)
        with self.db.session() as s:
            root = s.get(Organisation, org_id)
            if root is None:
                raise UserError("org_not_found", org_id=org_id)
            if root.parent_id is not None:
                raise UserError("period_on_cell", org_id=org_id)
            period = s.execute(
                select(ReviewPeriod).where(
                    ReviewPeriod.organisation_id == org_id, ReviewPeriod.year == year
                )
            ).scalar()
            old = None
            if period is None:
                period = ReviewPeriod(
                    organisation_id=org_id,
                    year=year,
                    rulebook=book,
                    plan=plan,
                    options=options,
                    as_of=as_of,
                )
                s.add(period)
            else:
                old = {"rulebook": period.rulebook, "plan": period.plan}
                period.rulebook, period.plan, period.as_of, period.status = (
                    book,
                    plan,
                    as_of,
                    "open",
                )
                period.options = options
            s.flush()
            for kind, value in deadlines.items():
                if kind not in DEADLINE_KINDS:
                    raise UserError("bad_deadline_kind", kind=kind, kinds=", ".join(DEADLINE_KINDS))
                set_deadline(s, period, org_id, kind, _parse_date(value, kind))
            audit.record(
                s,
                actor=actor,
                entity="period",
                entity_id=period.id,
                action="open" if old is None else "update",
                old=old,
                new={"year": year, "rulebook": book, "plan": plan},
            )
            return period.id

    def grant_role(
        self, member_id: int, role: str, *, actor: str = "cli", revoke: bool = False
    ) -> int:
        with self.db.session() as s:
            return apply_role(s, member_id, role, actor=actor, revoke=revoke)


def apply_role(s: Session, member_id: int, role: str, *, actor: str, revoke: bool = False) -> int:
    """Grant (or revoke) `role` to a member inside the caller's unit of work, audited; the
    organisation it applies to: the member's own cell, or the whole tree for the office."""
    if role not in ROLES:
        raise UserError("bad_role", role=role, roles=", ".join(ROLES))
    member = s.get(Member, member_id)
    if member is None or member.removed_at is not None:
        raise UserError("member_not_found", member_id=member_id)
    org_id = root_of(s, member.cell_id).id if role == "office" else member.cell_id
    existing = s.execute(
        select(Role).where(
            Role.member_id == member_id, Role.organisation_id == org_id, Role.role == role
        )
    ).scalar()
    if revoke:
        if existing is None:
            raise UserError("role_not_held", member_id=member_id, role=role)
        s.delete(existing)
        audit.record(
            s,
            actor=actor,
            entity="role",
            entity_id=member_id,
            action="revoke",
            old={"role": role, "organisation_id": org_id},
        )
        return org_id
    if existing is None:
        s.add(Role(member_id=member_id, organisation_id=org_id, role=role, granted_by=actor))
        audit.record(
            s,
            actor=actor,
            entity="role",
            entity_id=member_id,
            action="grant",
            new={"role": role, "organisation_id": org_id},
        )
    return org_id


def set_deadline(s: Session, period: ReviewPeriod, org_id: int, kind: str, due_on: date) -> None:
    row = s.execute(
        select(Deadline).where(
            Deadline.period_id == period.id,
            Deadline.organisation_id == org_id,
            Deadline.kind == kind,
        )
    ).scalar()
    if row is None:
        s.add(Deadline(period_id=period.id, organisation_id=org_id, kind=kind, due_on=due_on))
    else:
        row.due_on = due_on


def _parse_date(value: object, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UserError("bad_date", field=field, value=value) from None


def _check_plan(rulebook: str, plan: dict[str, Any]) -> None:
    """Validate plan options with the batch validator itself, so both paths accept the same."""
    from bot.batch import InputErrors, rate_document

    try:
        rate_document({"rulebook": rulebook, "as_of": "2000-01-01", "plan": plan, "members": []})
    except InputErrors as exc:
        raise UserError("bad_plan", problems="; ".join(exc.problems)) from None
