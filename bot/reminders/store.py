"""Reminder rows in the database: loading what planning needs, storing planned rows without
duplicates, claiming due rows, and the state changes around each send.

Row life: `pending` (claimed when `claimed_by` is set) -> `sending` -> `sent`, or `failed`,
`unreachable`, `cancelled`; a retry or a postponement puts the row back to `pending` with a
later `due_at`. Every change is a short transaction and returns plain dataclasses, so no ORM
object outlives its session and nothing here blocks the event loop for long (callers run it
in a worker thread).

Claiming:
- PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED`; two processes never claim the same row.
- SQLite: our engine opens every transaction with `BEGIN IMMEDIATE`, so a claim holds the
  database's write lock from its SELECT to its UPDATE; claims are serialised.
- A claim older than `stale_after` belongs to a process that died; it is taken over. The
  `pending -> sending` step checks that the row is still claimed by the caller, so even a
  taken-over claim of a live process is never sent twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, cast

from sqlalchemy import Table, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from bot.reminders import planning
from bot.reminders.calendar import CellCalendar, parse_holidays, resolve
from bot.reminders.planning import CellState, MemberState, Planned, Recipient, Verdict
from bot.reminders.policy import AllowedHours, ReminderPolicy
from bot.storage.db import Database
from bot.storage.models import (
    Deadline,
    Member,
    Organisation,
    Reminder,
    ReviewPeriod,
    Role,
    SelfReview,
    TelegramAccount,
)

REMINDERS = cast(Table, Reminder.__table__)  # Core statements for the per-message hot path
# Members who write a self-review (DOMAIN §5.1: exempt and suspended members are not reviewed).
REVIEWED_STATUSES = ("official", "probationary")
FINAL_STATES = ("sent", "failed", "unreachable", "cancelled")


# ------------------------------------------------------------------------ loading snapshots


def tree_ids(s: Session, root_id: int) -> list[int]:
    """The organisation and every organisation under it."""
    ids = [root_id]
    frontier = [root_id]
    while frontier:
        children = list(s.execute(
            select(Organisation.id).where(Organisation.parent_id.in_(frontier))).scalars())
        ids.extend(children)
        frontier = children
    return ids


def period_policy(period: ReviewPeriod, allowed: AllowedHours) -> ReminderPolicy:
    """The period's reminder policy; ValueError when the plan's options are wrong."""
    return ReminderPolicy.from_options((period.options or {}).get("reminders"), allowed=allowed)


def period_window(options: dict[str, Any] | None, allowed: AllowedHours) -> AllowedHours:
    """The hours a period's reminders may go out (`options`: the period's), `allowed` when the
    plan sets none or its reminder options are broken."""
    try:
        policy = ReminderPolicy.from_options((options or {}).get("reminders"), allowed=allowed)
    except ValueError:  # a broken plan was refused when it was set; the default then
        return allowed
    return policy.allowed


def period_holidays(period: ReviewPeriod) -> frozenset[date]:
    return parse_holidays((period.options or {}).get("holidays"))


def deadlines_of(s: Session, period_id: int) -> dict[int, dict[str, date]]:
    """organisation id -> {kind: date} for a period."""
    out: dict[int, dict[str, date]] = defaultdict(dict)
    for row in s.execute(select(Deadline).where(Deadline.period_id == period_id)).scalars():
        out[row.organisation_id][row.kind] = row.due_on
    return out


def calendars(
    s: Session, period: ReviewPeriod, cell_ids: Iterable[int],
    holidays: frozenset[date] | None = None,
) -> tuple[CellCalendar, dict[int, CellCalendar]]:
    """The organisation's calendar and each cell's (a cell inherits what it does not set)."""
    holidays = period_holidays(period) if holidays is None else holidays
    rows = deadlines_of(s, period.id)
    org_dates = rows.get(period.organisation_id, {})
    org_cal = resolve(period.year, org_dates, None, holidays)
    cells = {
        cid: org_cal if cid == period.organisation_id
        else resolve(period.year, org_dates, rows.get(cid, {}), holidays)
        for cid in cell_ids
    }  # fmt: skip
    return org_cal, cells


def recipient(member: Member, account: TelegramAccount | None) -> Recipient:
    if account is None:
        return Recipient(member.id, member.full_name, None)
    return Recipient(
        member.id, member.full_name, account.chat_id, paused=account.reminders_paused,
        snoozed_until=account.snoozed_until, unreachable=account.unreachable_at is not None,
        preferred_hour=account.preferred_hour,
    )  # fmt: skip


def cell_states(s: Session, period: ReviewPeriod, cell_ids: Iterable[int] | None = None,
                holidays: frozenset[date] | None = None) -> list[CellState]:
    """Snapshots of the period's cells (all cells with reviewed members, or those given)."""
    tree = tree_ids(s, period.organisation_id)
    wanted = set(tree) if cell_ids is None else set(cell_ids) & set(tree)
    members = list(s.execute(
        select(Member).where(Member.cell_id.in_(wanted), Member.removed_at.is_(None))
        .order_by(Member.id)).scalars())
    ids = [m.id for m in members]
    accounts = {a.member_id: a for a in _in_chunks(
        s, select(TelegramAccount), TelegramAccount.member_id, ids)}
    submitted = set(_in_chunks(
        s, select(SelfReview.member_id).where(
            SelfReview.period_id == period.id, SelfReview.status == "submitted"),
        SelfReview.member_id, ids))
    roles = list(s.execute(select(Role).where(
        Role.organisation_id.in_(wanted), Role.role.in_(("secretary", "deputy")))).scalars())
    role_members = {m.id: m for m in s.execute(
        select(Member).where(Member.id.in_({r.member_id for r in roles}))).scalars()}
    role_accounts = {a.member_id: a for a in s.execute(select(TelegramAccount).where(
        TelegramAccount.member_id.in_(set(role_members)))).scalars()}
    by_cell: dict[int, list[MemberState]] = defaultdict(list)
    for m in members:
        if m.status in REVIEWED_STATUSES:
            by_cell[m.cell_id].append(
                MemberState(recipient(m, accounts.get(m.id)), m.id in submitted))
    names = dict(s.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))).all())
    cells_with_people = set(by_cell) | {r.organisation_id for r in roles}
    _org, cals = calendars(s, period, cells_with_people, holidays)
    out: list[CellState] = []
    for cid in sorted(cells_with_people):
        managers: list[Recipient] = []
        for role in ("secretary", "deputy"):
            for r in sorted((r for r in roles if r.organisation_id == cid and r.role == role),
                            key=lambda r: r.member_id):
                manager = role_members.get(r.member_id)
                acc = role_accounts.get(r.member_id)
                if manager is not None and manager.removed_at is None and acc is not None:
                    managers.append(recipient(manager, acc))
            if managers:  # deputies only when no secretary can be reached by the bot
                break
        out.append(CellState(period.id, cid, names.get(cid, ""), cals[cid],
                             tuple(by_cell.get(cid, [])), tuple(managers)))
    return out


def cells_of(s: Session, period: ReviewPeriod) -> list[int]:
    """The organisations of the period's tree that have members or a secretary/deputy."""
    tree = tree_ids(s, period.organisation_id)
    with_members = s.execute(select(Member.cell_id).where(
        Member.cell_id.in_(tree), Member.removed_at.is_(None)).distinct()).scalars()
    with_roles = s.execute(select(Role.organisation_id).where(
        Role.organisation_id.in_(tree), Role.role.in_(("secretary", "deputy")),
    ).distinct()).scalars()
    return sorted(set(with_members) | set(with_roles))


def _utc(value: datetime | None) -> datetime | None:
    """A datetime read through a Core select of a joined table: aware UTC (see UTCDateTime)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _in_chunks(s: Session, query: Any, column: Any, values: Sequence[Any],
               size: int = 900) -> list[Any]:
    """`query` filtered by `column IN values`, in chunks (SQLite caps bound parameters)."""
    out: list[Any] = []
    for i in range(0, len(values), size):
        out.extend(s.execute(query.where(column.in_(values[i:i + size]))).scalars())
    return out


def open_periods(s: Session) -> list[ReviewPeriod]:
    return list(s.execute(
        select(ReviewPeriod).where(ReviewPeriod.status == "open").order_by(ReviewPeriod.id)
    ).scalars())


# ------------------------------------------------------------------------ storing planned rows


def insert_planned(s: Session, planned: Sequence[Planned]) -> int:
    """Add the planned rows not stored yet; the unique dedupe key makes this idempotent even
    when two processes plan the same day at the same moment."""
    if not planned:
        return 0
    keys = [p.dedupe_key for p in planned]
    existing = set(_in_chunks(s, select(Reminder.dedupe_key), Reminder.dedupe_key, keys))
    rows = [
        {
            "kind": p.kind, "period_id": p.period_id, "member_id": p.member_id,
            "chat_id": p.chat_id, "due_at": p.due_at, "state": "pending", "attempts": 0,
            "last_error": "", "claimed_by": "", "dedupe_key": p.dedupe_key,
            "payload": dict(p.payload, occasion=p.occasion),
        }
        for p in planned if p.dedupe_key not in existing
    ]  # fmt: skip
    if not rows:
        return 0
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(Reminder).on_conflict_do_nothing(index_elements=["dedupe_key"])
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(Reminder).on_conflict_do_nothing(index_elements=["dedupe_key"])
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database {dialect}")
    inserted = 0
    for i in range(0, len(rows), 500):
        result = s.execute(stmt.returning(Reminder.id), rows[i:i + 500])
        inserted += len(result.scalars().all())
    return inserted


# ------------------------------------------------------------------------ the sender's rows


@dataclass(frozen=True)
class ClaimedRow:
    id: int
    kind: str
    period_id: int | None
    member_id: int | None
    chat_id: int | None
    due_at: datetime
    attempts: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class Go:
    """The row is `sending`: send it to `chat_id` now."""

    row_id: int
    chat_id: int


@dataclass(frozen=True)
class Finished:
    """A row the sender delivered; marked `sent` in the next transaction (see begin_send)."""

    row_id: int
    sent_at: datetime


@dataclass
class PlanReport:
    planned: int = 0
    inserted: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (period id, message)


class ReminderStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- planning

    def plan(self, now: datetime, tz: tzinfo, allowed: AllowedHours) -> PlanReport:
        """Plan today's reminders of every open period and store the new ones."""
        report = PlanReport()
        day = now.astimezone(tz).date()
        with self.db.session() as s:
            period_ids = [p.id for p in open_periods(s)]
        for period_id in period_ids:
            # First only the calendars: most days are no occasion for most cells, and then no
            # member is loaded at all. A broken plan option stops only its own period.
            with self.db.session() as s:
                period = s.get(ReviewPeriod, period_id)
                assert period is not None
                try:
                    policy = period_policy(period, allowed)
                    holidays = period_holidays(period)
                except ValueError as exc:
                    report.problems.append((period_id, str(exc)))
                    continue
                if not policy.enabled:
                    continue
                _org, cals = calendars(s, period, cells_of(s, period), holidays)
            due = [cid for cid, cal in sorted(cals.items())
                   if planning.member_occasion(cal, policy, day) is not None
                   or planning.digest_occasion(cal, policy, day) is not None]
            for cell_id in due:
                # One short transaction per cell: on SQLite every transaction holds the write
                # lock, and replies must not wait for a whole organisation to be planned.
                with self.db.session() as s:
                    period = s.get(ReviewPeriod, period_id)
                    assert period is not None
                    planned = planning.plan(cell_states(s, period, [cell_id], holidays), policy,
                                            now, tz)
                    report.planned += len(planned)
                    report.inserted += insert_planned(s, planned)
        return report

    # ---- claiming

    def claim(self, worker: str, now: datetime, limit: int,
              stale_after: timedelta) -> list[ClaimedRow]:
        """Claim up to `limit` due rows (oldest first) for `worker`, taking over stale claims."""
        stale = now - stale_after
        claimable = and_(
            Reminder.due_at <= now,
            or_(
                and_(Reminder.state == "pending",
                     or_(Reminder.claimed_by == "", Reminder.claimed_at < stale)),
                # `sending` with a stale claim: its process died in the middle of the send.
                and_(Reminder.state == "sending", Reminder.claimed_at < stale),
            ),
        )  # fmt: skip
        with self.db.session() as s:
            ids = list(s.execute(
                select(Reminder.id).where(claimable).order_by(Reminder.due_at, Reminder.id)
                .limit(limit).with_for_update(skip_locked=True)).scalars())
            if not ids:
                return []
            s.execute(
                update(Reminder).where(Reminder.id.in_(ids)).values(
                    claimed_by=worker, claimed_at=now, state="pending",
                    last_error=case((Reminder.state == "sending", "resend_after_crash"),
                                    else_=Reminder.last_error),
                ).execution_options(synchronize_session=False))
            rows = s.execute(select(Reminder).where(Reminder.id.in_(ids))
                             .order_by(Reminder.due_at, Reminder.id)).scalars()
            return [ClaimedRow(r.id, r.kind, r.period_id, r.member_id, r.chat_id, r.due_at,
                               r.attempts, dict(r.payload or {})) for r in rows]

    def release(self, row_ids: Sequence[int], worker: str) -> None:
        """Give back claimed rows not sent (graceful stop): another process takes them now."""
        if not row_ids:
            return
        with self.db.session() as s:
            s.execute(update(Reminder).where(
                Reminder.id.in_(row_ids), Reminder.claimed_by == worker,
                Reminder.state == "pending").values(claimed_by="", claimed_at=None)
                .execution_options(synchronize_session=False))

    # ---- around each send

    def begin_send(self, row_id: int, worker: str, now: datetime, tz: tzinfo,
                   allowed: AllowedHours, finished: Sequence[Finished] = ()) -> Go | Verdict:
        """Mark the previous sends `sent` and this row `sending`, in one transaction.

        Before it is marked, the row is checked again (planning.recheck). Returns `Go`, or the
        verdict that kept it back (cancelled, postponed, or "lost": no longer ours).
        Marking the previous row in the same commit keeps at most one row `sending` per
        process at any moment, which is what bounds the resends after a crash to one.
        This runs once per message, so it is a handful of Core statements, not ORM loads.
        """
        with self.db.session() as s:
            self._mark_sent(s, finished)
            r, m, a = REMINDERS.c, Member.__table__.c, TelegramAccount.__table__.c
            sr, rp = SelfReview.__table__.c, ReviewPeriod.__table__.c
            row = s.execute(
                select(r.kind, r.state, r.claimed_by, r.period_id, r.member_id, m.full_name,
                       m.removed_at, a.chat_id, a.reminders_paused, a.snoozed_until,
                       a.unreachable_at, a.preferred_hour, sr.status, rp.options)
                .select_from(REMINDERS
                             .outerjoin(Member.__table__, m.id == r.member_id)
                             .outerjoin(TelegramAccount.__table__, a.member_id == r.member_id)
                             .outerjoin(SelfReview.__table__, and_(sr.member_id == r.member_id,
                                                                   sr.period_id == r.period_id))
                             .outerjoin(ReviewPeriod.__table__, rp.id == r.period_id))
                .where(r.id == row_id)).first()
            if row is None or row.state != "pending" or row.claimed_by != worker:
                return Verdict("cancel", "lost")
            who = None
            if row.full_name is not None and row.removed_at is None:
                who = Recipient(
                    row.member_id, row.full_name, row.chat_id,
                    paused=bool(row.reminders_paused),
                    snoozed_until=_utc(row.snoozed_until),
                    unreachable=row.unreachable_at is not None,
                    preferred_hour=row.preferred_hour)  # fmt: skip
            sent_today = False
            if row.kind in planning.DAILY_KINDS and who is not None:
                sent_today = s.execute(select(func.count(r.id)).where(
                    r.member_id == who.member_id, r.period_id == row.period_id,
                    r.kind.in_(planning.DAILY_KINDS), r.state == "sent",
                    r.sent_at >= planning.local_midnight(now, tz), r.id != row_id,
                )).scalar_one() > 0
            # The hours of the row's own period, as planning used them (the plan's
            # `allowed_hours` may differ from the process default).
            window = period_window(row.options, allowed)
            verdict = planning.recheck(row.kind, who, submitted=row.status == "submitted",
                                       sent_today=sent_today, now=now, tz=tz, allowed=window)
            mine = and_(r.id == row_id, r.state == "pending", r.claimed_by == worker)
            if verdict.action == "cancel":
                s.execute(update(REMINDERS).where(mine).values(
                    state="cancelled", last_error=verdict.reason))
                return verdict
            if verdict.action == "reschedule":
                s.execute(update(REMINDERS).where(mine).values(
                    due_at=verdict.at, last_error=verdict.reason, claimed_by="",
                    claimed_at=None))
                return verdict
            assert who is not None and who.chat_id is not None
            # Compare-and-set: only the claim holder moves the row to `sending`.
            done = s.execute(update(REMINDERS).where(mine).values(
                state="sending", chat_id=who.chat_id, attempts=r.attempts + 1, claimed_at=now))
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return Verdict("cancel", "lost")
            return Go(row_id, who.chat_id)

    def finish(self, finished: Sequence[Finished]) -> None:
        if finished:
            with self.db.session() as s:
                self._mark_sent(s, finished)

    @staticmethod
    def _mark_sent(s: Session, finished: Sequence[Finished]) -> None:
        r = REMINDERS.c
        for f in finished:
            # Even if another process took the claim over meanwhile: it was delivered.
            s.execute(update(REMINDERS).where(r.id == f.row_id, r.state != "sent")
                      .values(state="sent", sent_at=f.sent_at, last_error=""))

    def retry_later(self, row_id: int, worker: str, *, at: datetime, error: str,
                    count_attempt: bool = True, max_attempts: int = 5) -> str:
        """A send that failed for a passing reason: back to `pending` (released) until `at`,
        or `failed` after `max_attempts`. Returns the new state."""
        with self.db.session() as s:
            row = s.get(Reminder, row_id, with_for_update=True)
            if row is None:
                return "lost"
            if not count_attempt:
                row.attempts = max(0, row.attempts - 1)  # flow control is not a failure
            row.last_error = error[:500]
            if count_attempt and row.attempts >= max_attempts:
                row.state = "failed"
            else:
                row.state, row.due_at = "pending", at
                row.claimed_by, row.claimed_at = "", None
            return row.state

    def hold(self, row_id: int, worker: str, now: datetime) -> bool:
        """Back from `sending` to claimed `pending` while the sender waits out a RetryAfter,
        so the row is never `sending` during a long wait. False when it is no longer ours."""
        with self.db.session() as s:
            row = s.get(Reminder, row_id, with_for_update=True)
            if row is None or row.claimed_by != worker or row.state != "sending":
                return False
            row.state, row.claimed_at = "pending", now
            row.attempts = max(0, row.attempts - 1)
            row.last_error = "retry_after"
            return True

    def fail(self, row_id: int, error: str) -> None:
        with self.db.session() as s:
            row = s.get(Reminder, row_id)
            if row is not None:
                row.state, row.last_error = "failed", error[:500]

    def unreachable(self, row_id: int, now: datetime, error: str, tz: tzinfo,
                    allowed: AllowedHours) -> int:
        """Telegram answered 403: the row is `unreachable`, the account is marked, and each
        secretary of the member's cell gets a notice (a row of kind `unreachable`).
        Returns the number of notices added."""
        with self.db.session() as s:
            row = s.get(Reminder, row_id)
            if row is None:
                return 0
            row.state, row.last_error = "unreachable", error[:500]
            if row.member_id is None:
                return 0
            account = s.execute(select(TelegramAccount).where(
                TelegramAccount.member_id == row.member_id)).scalar()
            if account is not None and account.unreachable_at is None:
                account.unreachable_at = now
            member = s.get(Member, row.member_id)
            if member is None or row.kind == planning.UNREACHABLE:
                return 0
            period = s.get(ReviewPeriod, row.period_id) if row.period_id is not None else None
            if period is None:
                return 0
            states = cell_states(s, period, [member.cell_id])
            managers = [m for st in states for m in st.managers if m.member_id != member.id]
            day = now.astimezone(tz).date().isoformat()
            notices = [
                Planned(planning.UNREACHABLE, period.id, member.cell_id, m.member_id, m.chat_id,
                        allowed.next_allowed(now, tz),
                        f"{planning.UNREACHABLE}:{period.id}:{member.id}:{m.member_id}:{day}", day,
                        {"cell_id": member.cell_id, "about_member_id": member.id,
                         "about_name": member.full_name})
                for m in managers
            ]  # fmt: skip
            return insert_planned(s, notices)

    # ---- what a screen or a test reads

    def states(self) -> dict[str, int]:
        with self.db.session() as s:
            return dict(s.execute(
                select(Reminder.state, func.count(Reminder.id)).group_by(Reminder.state)).all())


# ------------------------------------------------------------------------ context for texts


@dataclass(frozen=True)
class Context:
    """What the texts of a batch of rows need: each row's cell and period year."""

    cells: dict[tuple[int, int], CellState]
    years: dict[int, int]

    def cell_of(self, row: ClaimedRow) -> CellState | None:
        cell_id = row.payload.get("cell_id")
        if row.period_id is None or not isinstance(cell_id, int):
            return None
        return self.cells.get((row.period_id, cell_id))


def context_for(s: Session, rows: Sequence[ClaimedRow]) -> Context:
    wanted: dict[int, set[int]] = defaultdict(set)
    for r in rows:
        cell_id = r.payload.get("cell_id")
        if r.period_id is not None and isinstance(cell_id, int):
            wanted[r.period_id].add(cell_id)
    cells: dict[tuple[int, int], CellState] = {}
    years: dict[int, int] = {}
    for period_id, cell_ids in wanted.items():
        period = s.get(ReviewPeriod, period_id)
        if period is None:
            continue
        years[period_id] = period.year
        try:
            holidays = period_holidays(period)
        except ValueError:
            holidays = frozenset()
        for st in cell_states(s, period, cell_ids, holidays):
            cells[(period_id, st.cell_id)] = st
    return Context(cells, years)


def cancel_rows(s: Session, row_ids: Sequence[int], reason: str) -> None:
    if row_ids:
        s.execute(update(Reminder).where(Reminder.id.in_(row_ids), Reminder.state == "pending")
                  .values(state="cancelled", last_error=reason)
                  .execution_options(synchronize_session=False))
