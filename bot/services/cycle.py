"""The order of the cycle from the database: the state `bot.rules.cycle_order` judges (the
period's collectives with their members, which of them are rated, and which members have their
cell's ballot in), and the refusals the meeting and collective services raise from it.

A collective counts as rated once its ballot is in and rated; one the rules do not rate (formed
less than six months ago) counts once its report is final, since its review is then done.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.rules.collective import MIN_MEMBERS
from bot.rules.cycle_order import CollectiveNode, Cycle, Step, cell_blocked, cell_order
from bot.rules.reasons import Reason
from bot.services.errors import UserError
from bot.storage.models import (
    BallotEntry,
    Collective,
    CollectiveBallot,
    CollectiveMember,
    Meeting,
    Member,
    Organisation,
    ReviewPeriod,
)


def org_path(s: Session, org_id: int) -> tuple[int, ...]:
    """Organisation ids from the root down to `org_id`."""
    chain: list[int] = []
    current: int | None = org_id
    while current is not None:
        chain.append(current)
        org = s.get(Organisation, current)
        current = org.parent_id if org is not None else None
    return tuple(reversed(chain))


def collective_done(c: Collective) -> bool:
    """Rated, or (not rated by the rules) reviewed with its report final."""
    if c.level is not None:
        return True
    return c.payload.get("rated") is False and c.status == "final"


def load_cycle(s: Session, period: ReviewPeriod, extra_names: Iterable[int] = ()) -> Cycle:
    """The period's cycle state, with the names of everyone it mentions."""
    collectives = list(
        s.execute(
            select(Collective).where(Collective.period_id == period.id).order_by(Collective.id)
        ).scalars()
    )
    ids = [c.id for c in collectives]
    people: dict[int, list[CollectiveMember]] = {}
    posts: dict[int, set[str]] = {}
    if ids:
        for cm in s.execute(
            select(CollectiveMember)
            .where(CollectiveMember.collective_id.in_(ids))
            .order_by(CollectiveMember.position, CollectiveMember.id)
        ).scalars():
            people.setdefault(cm.collective_id, []).append(cm)
        for b in s.execute(
            select(CollectiveBallot).where(
                CollectiveBallot.collective_id.in_(ids), CollectiveBallot.member_id.is_not(None)
            )
        ).scalars():
            posts.setdefault(b.collective_id, set()).add(str(b.member_id))
    mentioned = {cm.member_id for lst in people.values() for cm in lst} | set(extra_names)
    names = {
        str(m.id): m.full_name
        for m in s.execute(select(Member).where(Member.id.in_(list(mentioned)))).scalars()
    }
    meeting_ids = list(
        s.execute(select(Meeting.id).where(Meeting.period_id == period.id)).scalars()
    )
    rated: set[str] = set()
    if meeting_ids:
        rated = {
            str(mid)
            for mid in s.execute(
                select(BallotEntry.member_id).where(
                    BallotEntry.meeting_id.in_(meeting_ids),
                    BallotEntry.entry_no == 1,
                    BallotEntry.locked_at.is_not(None),
                )
            ).scalars()
        }
    nodes: list[CollectiveNode] = []
    for c in collectives:
        group = [cm for cm in people.get(c.id, []) if _active(s, cm.member_id)]
        head = next((str(cm.member_id) for cm in group if cm.role == "head"), None)
        nodes.append(
            CollectiveNode(
                id=str(c.id),
                name=c.name,
                path=org_path(s, c.organisation_id),
                reviewed=len(group) >= MIN_MEMBERS,
                rated=collective_done(c),
                head=head,
                deputies=tuple(str(cm.member_id) for cm in group if cm.role == "deputy"),
                members=tuple(str(cm.member_id) for cm in group if cm.role == "member"),
                post_rated=frozenset(posts.get(c.id, set())),
            )
        )
    return Cycle(tuple(nodes), frozenset(rated), names)


def _active(s: Session, member_id: int) -> bool:
    m = s.get(Member, member_id)
    return m is not None and m.removed_at is None


def refuse(reason: Reason) -> UserError:
    """The refusal the user reads: the reason's text (templates/reasons.yaml)."""
    from bot.batch import reason_text

    return UserError("order_blocked", why=reason_text(reason))


def check_cell_rating(s: Session, period: ReviewPeriod, member: Member) -> None:
    """Refuse to rate `member` at their cell while the order needs something first."""
    if not s.execute(
        select(Collective.id).where(Collective.period_id == period.id).limit(1)
    ).first():
        return  # no collective in the period: nothing to wait for
    cycle = load_cycle(s, period, [member.id])
    why = cell_blocked(cycle, str(member.id), member.cell_id)
    if why is not None:
        raise refuse(why)


def cell_steps(s: Session, cell_id: int) -> tuple[Step, ...]:
    """The cell's order for the secretary's progress view: its collective, then its members
    (the head, deputies, collective members, then everyone else); empty without a collective."""
    from bot.services.org import current_period
    from bot.vietnamese import sort_key

    period = current_period(s, cell_id)
    if not s.execute(
        select(Collective.id).where(
            Collective.period_id == period.id, Collective.organisation_id == cell_id
        )
    ).first():
        return ()
    members = sorted(
        s.execute(
            select(Member).where(
                Member.cell_id == cell_id,
                Member.removed_at.is_(None),
                Member.status.in_(("official", "probationary")),
            )
        ).scalars(),
        key=lambda m: (sort_key(m.full_name), m.id),
    )
    cycle = load_cycle(s, period, [m.id for m in members])
    return cell_order(cycle, cell_id, [str(m.id) for m in members])
