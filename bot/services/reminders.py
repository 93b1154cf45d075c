"""Reminders and the period's calendar as use cases: the office sets dates (CLI), a
secretary sees what is coming and what went out, nudges late members, pauses a member; a
member snoozes or picks their hour. Each public method is one unit of work and checks access.

Sending is not done here: rows go into the `reminders` table and the process's paced sender
(bot/reminders/worker.py) delivers them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.reminders import planning
from bot.reminders.calendar import KINDS as DATE_KINDS
from bot.reminders.calendar import CalendarWarning, CellCalendar, check, parse_day
from bot.reminders.compose import dmy, rm_label
from bot.reminders.planning import CellState, Planned
from bot.reminders.policy import AllowedHours, ReminderPolicy
from bot.reminders.store import (
    FINAL_STATES,
    calendars,
    cell_states,
    insert_planned,
    open_periods,
    period_holidays,
    period_policy,
    period_window,
    tree_ids,
)
from bot.services import audit
from bot.services.access import Actor, managed_cells, require_actor, require_cell_manager
from bot.services.errors import UserError
from bot.services.org import DEADLINE_KINDS, current_period, set_deadline
from bot.services.replies import Button, Outcome
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import Member, Organisation, Reminder, ReviewPeriod, TelegramAccount
from bot.storage.types import utcnow
from bot.texts import render

if TYPE_CHECKING:
    from bot.services.reviews import ReviewService

LOG_PAGE = 10
MEMBERS_PAGE = 20
MAX_SNOOZE_DAYS = 7


@dataclass(frozen=True)
class DateLine:
    kind: str
    day: date
    source: str


@dataclass(frozen=True)
class CalendarReport:
    """A calendar as the office and the secretary see it: dates, sources, warnings (texts)."""

    period_id: int
    organisation_id: int
    dates: list[DateLine]
    warnings: list[str]
    warning_codes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "period_id": self.period_id,
            "organisation_id": self.organisation_id,
            "dates": {d.kind: {"date": d.day.isoformat(), "source": d.source} for d in self.dates},
            "warnings": [{"code": c, "text": t} for c, t in zip(self.warning_codes, self.warnings,
                                                                strict=True)],
        }


@dataclass(frozen=True)
class DueReminder:
    """A reminder the policy sends at a moment (`kiemdiem reminders due`)."""

    due_at: datetime
    local: str
    kind: str
    period_id: int
    cell_id: int
    cell: str
    member_id: int
    name: str
    chat_id: int | None
    dedupe_key: str
    state: str  # "planned", or the state of the row already stored under the same key

    def as_json(self) -> dict[str, Any]:
        return {
            "due_at": self.due_at.astimezone(UTC).isoformat(), "local": self.local,
            "kind": self.kind,
            "period_id": self.period_id, "cell_id": self.cell_id, "cell": self.cell,
            "member_id": self.member_id, "name": self.name, "chat_id": self.chat_id,
            "dedupe_key": self.dedupe_key, "state": self.state,
        }  # fmt: skip


def warning_text(w: CalendarWarning) -> str:
    citation = f"{w.citation.document} {w.citation.point}" if w.citation else ""
    return rm_label(f"warn_{w.code}", kind=rm_label(f"date_{w.kind}"), day=dmy(w.day),
                    other=dmy(w.other) if w.other else "", citation=citation)


def calendar_report(period: ReviewPeriod, org_id: int, cal: CellCalendar,
                    org_cal: CellCalendar | None) -> CalendarReport:
    warnings = check(cal, org_cal)
    return CalendarReport(
        period.id, org_id,
        [DateLine(k, cal.get(k).day, cal.get(k).source) for k in DATE_KINDS],
        [warning_text(w) for w in warnings], [w.code for w in warnings],
    )  # fmt: skip


class ReminderService:
    def __init__(self, db: Database, settings: Settings,
                 reviews: ReviewService | None = None) -> None:
        self.db = db
        self.settings = settings
        self.tz = settings.tz
        self.allowed = AllowedHours.from_quiet(settings.quiet_hours_start, settings.quiet_hours_end)
        self.reviews = reviews  # ReviewService, for the "open my review" button

    # ================================================================ the office (CLI)

    def set_deadline(self, org_id: int, kind: str, due_on: date, *, cell_id: int | None = None,
                     actor: str = "cli") -> CalendarReport:
        """Set one date of the current period's calendar, for the organisation or one cell;
        returns the resulting calendar with its warnings (a warning never blocks)."""
        if kind not in DEADLINE_KINDS:
            raise UserError("bad_deadline_kind", kind=kind, kinds=", ".join(DEADLINE_KINDS))
        with self.db.session() as s:
            period = current_period(s, org_id)
            target = cell_id if cell_id is not None else org_id
            if target not in tree_ids(s, period.organisation_id) or (
                    cell_id is not None and cell_id not in tree_ids(s, org_id)):
                raise UserError("cell_not_in_org", cell_id=target, org_id=org_id)
            set_deadline(s, period, target, kind, due_on)
            audit.record(s, actor=actor, entity="deadline", entity_id=f"{period.id}:{target}",
                         action="set", new={"kind": kind, "date": due_on.isoformat()})
            s.flush()
            return self._report(s, period, target)

    def calendar(self, org_id: int) -> CalendarReport:
        with self.db.session() as s:
            period = current_period(s, org_id)
            return self._report(s, period, org_id)

    def _report(self, s: Session, period: ReviewPeriod, target: int) -> CalendarReport:
        org_cal, cals = calendars(s, period, [target], self._holidays(period))
        cal = cals[target]
        return calendar_report(period, target, cal, None if cal is org_cal else org_cal)

    @staticmethod
    def _holidays(period: ReviewPeriod) -> frozenset[date]:
        try:
            return period_holidays(period)
        except ValueError as exc:
            raise UserError("bad_reminder_policy", problems=str(exc)) from None

    def _policy(self, period: ReviewPeriod) -> ReminderPolicy:
        try:
            return period_policy(period, self.allowed)
        except ValueError as exc:
            raise UserError("bad_reminder_policy", problems=str(exc)) from None

    def due_at(self, at: datetime) -> list[DueReminder]:
        """What the policy sends at `at` (its local day, due by then), with the states of the
        rows already stored; nothing is stored or sent."""
        out: list[DueReminder] = []
        with self.db.session() as s:
            for period in open_periods(s):
                policy = self._policy(period)
                cells = cell_states(s, period, holidays=self._holidays(period))
                names = {c.cell_id: c.cell_name for c in cells}
                people = {m.who.member_id: m.who.name for c in cells for m in c.members}
                people.update({w.member_id: w.name for c in cells for w in c.managers})
                planned = [p for p in planning.plan(cells, policy, at, self.tz) if p.due_at <= at]
                states = self._states_of(s, [p.dedupe_key for p in planned])
                out.extend(
                    DueReminder(p.due_at, p.due_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M"),
                                p.kind, p.period_id, p.cell_id, names.get(p.cell_id, ""),
                                p.member_id, people.get(p.member_id, ""), p.chat_id,
                                p.dedupe_key, states.get(p.dedupe_key, "planned"))
                    for p in planned
                )  # fmt: skip
        return sorted(out, key=lambda d: (d.due_at, d.cell_id, d.kind, d.member_id))

    @staticmethod
    def _states_of(s: Session, keys: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for i in range(0, len(keys), 900):
            out.update(s.execute(select(Reminder.dedupe_key, Reminder.state).where(
                Reminder.dedupe_key.in_(keys[i:i + 900]))).all())
        return out

    # ================================================================ chat: entry points

    def command(self, tg_user: int, args: list[str] | None = None, *,
                now: datetime | None = None) -> Outcome:
        """/reminders [CELL_ID]: a manager's overview of a cell, or a member's own settings."""
        with self.db.session() as s:
            actor = require_actor(s, tg_user)
            cells = managed_cells(s, actor)
        if not cells:
            return self.mine(tg_user, now=now)
        cell_id = cells[0]
        if args and args[0].isascii() and args[0].isdigit() and len(args[0]) <= 12:
            cell_id = int(args[0])  # isascii: "²" passes isdigit() but not int()
        return self.overview(tg_user, cell_id, now=now)

    def on_button(self, tg_user: int, data: str, *, now: datetime | None = None) -> Outcome:
        """Every `rm:` button. Each names what it acts on (a member or a cell) and is checked
        against who pressed it, so an old or forwarded keyboard never acts on someone else."""
        parts = data.split(":")
        verb, args = (parts[1], parts[2:]) if len(parts) >= 2 and parts[0] == "rm" else ("", [])
        try:
            # At most 12 digits, like every other button's ids: a forged 30-digit number would
            # overflow the database's integers instead of being refused.
            nums = [int(a) if a.lstrip("-").isdigit() and len(a) <= 12 else a for a in args]
        except ValueError:
            nums = []
        match verb, nums:
            case "open", [int(member_id)]:
                return self.open_review(tg_user, member_id)
            case "snz", [int(member_id), int(days)]:
                return self.snooze(tg_user, member_id, days, now=now)
            case "hrs", [int(member_id)]:
                return self.hour_picker(tg_user, member_id)
            case "hr", [int(member_id), int(hour)]:
                return self.set_hour(tg_user, member_id, hour)
            case "hr", [int(member_id), "d"]:
                return self.set_hour(tg_user, member_id, None)
            case "view", [int(cell_id)]:
                return self.overview(tg_user, cell_id, now=now, edit=True)
            case "log", [int(cell_id), int(page)]:
                return self.log(tg_user, cell_id, page)
            case "mem", [int(cell_id), int(page)]:
                return self.members(tg_user, cell_id, page)
            case "nudge", [int(cell_id)]:
                return self.nudge(tg_user, cell_id, now=now)
            case ("pause" | "resume") as action, [int(member_id), int(page)]:
                return self.pause(tg_user, member_id, action == "pause", page=page)
        raise UserError("reminder_button_unknown")

    # ================================================================ chat: members

    def _own(self, s: Session, tg_user: int, member_id: int) -> tuple[Actor, TelegramAccount]:
        actor = require_actor(s, tg_user)
        if actor.member_id != member_id:
            raise UserError("not_your_reminder")
        account = s.execute(select(TelegramAccount).where(
            TelegramAccount.telegram_user_id == tg_user)).scalar_one()
        if account.unreachable_at is not None:
            account.unreachable_at = None  # they pressed a button: they can hear us again
        return actor, account

    def open_review(self, tg_user: int, member_id: int) -> Outcome:
        with self.db.session() as s:
            self._own(s, tg_user, member_id)
        if self.reviews is None:  # pragma: no cover - wired in Services
            raise UserError("reminder_button_unknown")
        return self.reviews.open(tg_user)

    def snooze(self, tg_user: int, member_id: int, days: int, *,
               now: datetime | None = None) -> Outcome:
        if not 1 <= days <= MAX_SNOOZE_DAYS:
            raise UserError("bad_snooze")
        now = now or utcnow()
        with self.db.session() as s:
            _actor, account = self._own(s, tg_user, member_id)
            account.snoozed_until = now + timedelta(days=days)
        out = Outcome()
        out.toast = rm_label("toast_snoozed", days=days)
        return out

    def _window(self, s: Session, member_id: int) -> AllowedHours:
        member = s.get(Member, member_id)
        if member is None:
            return self.allowed
        try:
            return self._policy(current_period(s, member.cell_id)).allowed
        except UserError:
            return self.allowed

    def hour_picker(self, tg_user: int, member_id: int) -> Outcome:
        with self.db.session() as s:
            _actor, account = self._own(s, tg_user, member_id)
            window = self._window(s, member_id)
            policy_hour = self._default_hour(s, member_id)
            current = account.preferred_hour
        hours = window.hours()
        rows = [tuple(Button(rm_label("btn_hour", hour=h), f"rm:hr:{member_id}:{h}")
                      for h in hours[i:i + 4]) for i in range(0, len(hours), 4)]
        rows.append((Button(rm_label("btn_hour_default", hour=policy_hour),
                            f"rm:hr:{member_id}:d"),))
        return Outcome().say(render("reminders/hour_picker.j2", current=current,
                                    default=policy_hour, start=window.start, end=window.end),
                             *rows)

    def _default_hour(self, s: Session, member_id: int) -> int:
        member = s.get(Member, member_id)
        try:
            return self._policy(current_period(s, member.cell_id)).hour if member else 8
        except UserError:
            return ReminderPolicy().hour

    def set_hour(self, tg_user: int, member_id: int, hour: int | None) -> Outcome:
        with self.db.session() as s:
            _actor, account = self._own(s, tg_user, member_id)
            window = self._window(s, member_id)
            if hour is not None and not window.start <= hour < window.end:
                raise UserError("bad_hour", hour=hour, start=window.start, end=window.end)
            account.preferred_hour = hour
            default = self._default_hour(s, member_id)
            # Today's rows not sent yet move to the new hour (later days are planned with it).
            target = hour if hour is not None else default
            now = utcnow()
            for row in s.execute(select(Reminder).where(
                    Reminder.member_id == member_id, Reminder.state == "pending",
                    Reminder.kind.in_(planning.DAILY_KINDS), Reminder.claimed_by == "")).scalars():
                day = row.due_at.astimezone(self.tz).date()
                row.due_at = max(window.at(day, target, self.tz), now)
        key = "toast_hour_set" if hour is not None else "toast_hour_default"
        text = rm_label(key, hour=target)
        out = Outcome().say(text, edit=True)
        out.toast = text
        return out

    def mine(self, tg_user: int, *, now: datetime | None = None) -> Outcome:
        """A member's own reminder settings: hour, snooze, pause."""
        now = now or utcnow()
        with self.db.session() as s:
            actor = require_actor(s, tg_user)
            account = s.execute(select(TelegramAccount).where(
                TelegramAccount.telegram_user_id == tg_user)).scalar_one()
            default = self._default_hour(s, actor.member_id)
            until = account.snoozed_until
            snoozed = until if until is not None and until > now else None
            text = render("reminders/mine.j2", hour=account.preferred_hour, default=default,
                          paused=account.reminders_paused,
                          snoozed=(snoozed.astimezone(self.tz).strftime("%H:%M %d/%m")
                                   if snoozed else ""))
        return Outcome().say(
            text, (Button(rm_label("btn_pick_hour"), f"rm:hrs:{actor.member_id}"),))

    # ================================================================ chat: managers

    def _manager(self, s: Session, tg_user: int,
                 cell_id: int) -> tuple[Actor, ReviewPeriod, CellState]:
        actor = require_actor(s, tg_user)
        require_cell_manager(s, actor, cell_id)
        period = current_period(s, cell_id)
        states = cell_states(s, period, [cell_id], self._holidays(period))
        if not states:
            cell = s.get(Organisation, cell_id)
            _org, cals = calendars(s, period, [cell_id])
            states = [CellState(period.id, cell_id, cell.name if cell else "", cals[cell_id],
                                (), ())]
        return actor, period, states[0]

    def overview(self, tg_user: int, cell_id: int, *, now: datetime | None = None,
                 edit: bool = False) -> Outcome:
        now = now or utcnow()
        with self.db.session() as s:
            _actor, period, cell = self._manager(s, tg_user, cell_id)
            org_cal, _ = calendars(s, period, [], self._holidays(period))
            report = calendar_report(period, cell_id, cell.calendar,
                                     None if cell_id == period.organisation_id else org_cal)
            problems = ""
            try:
                policy = period_policy(period, self.allowed)
            except ValueError as exc:
                policy, problems = ReminderPolicy(enabled=False), str(exc)
            pending = list(s.execute(
                select(Reminder).join(Member, Member.id == Reminder.member_id)
                .where(Member.cell_id == cell_id, Reminder.period_id == period.id,
                       Reminder.state.in_(("pending", "sending")))
                .order_by(Reminder.due_at)).scalars())
            preview = [p for p in planning.upcoming([cell], policy, now, self.tz)
                       if p.dedupe_key not in {r.dedupe_key for r in pending}]
            stored = self._states_of(s, [p.dedupe_key for p in preview])
            preview = [p for p in preview if p.dedupe_key not in stored]
            coming = self._group_coming(
                [(r.due_at, r.kind) for r in pending] + [(p.due_at, p.kind) for p in preview])
            log_rows = self._log_rows(s, period.id, cell_id, 0, 5)
        members = cell.members
        counts = {
            "total": len(members),
            "submitted": sum(1 for m in members if m.submitted),
            "paused": sum(1 for m in members if m.who.paused),
            "unreachable": sum(1 for m in members if m.who.unreachable),
            "unlinked": sum(1 for m in members if m.who.chat_id is None),
        }
        nudgeable = sum(1 for m in cell.owing() if m.who.chat_id is not None
                        and not m.who.paused and not m.who.unreachable)
        text = render("reminders/overview.j2", cell=cell.cell_name, year=period.year,
                      dates=self._date_lines(report), warnings=report.warnings,
                      counts=counts, coming=coming[:12], more=max(0, len(coming) - 12),
                      log=log_rows, problems=problems, enabled=policy.enabled)
        rows: list[tuple[Button, ...]] = []
        if nudgeable:
            rows.append((Button(rm_label("btn_nudge", n=nudgeable), f"rm:nudge:{cell_id}"),))
        rows.append((Button(rm_label("btn_members"), f"rm:mem:{cell_id}:0"),
                     Button(rm_label("btn_log"), f"rm:log:{cell_id}:0")))
        return Outcome().say(text, *rows, edit=edit)

    def _date_lines(self, report: CalendarReport) -> list[dict[str, str]]:
        return [{"name": rm_label(f"date_{d.kind}"), "day": dmy(d.day),
                 "source": rm_label(f"source_{d.source}")} for d in report.dates]

    def _group_coming(self, items: list[tuple[datetime, str]]) -> list[dict[str, Any]]:
        counts: Counter[tuple[datetime, str]] = Counter(items)
        return [
            {"at": at.astimezone(self.tz).strftime("%d/%m %H:%M"), "kind": rm_label(f"kind_{kind}"),
             "n": n}
            for (at, kind), n in sorted(counts.items())
        ]  # fmt: skip

    def _log_rows(self, s: Session, period_id: int, cell_id: int, offset: int,
                  limit: int) -> list[dict[str, str]]:
        rows = s.execute(
            select(Reminder, Member.full_name).join(Member, Member.id == Reminder.member_id)
            .where(Member.cell_id == cell_id, Reminder.period_id == period_id,
                   Reminder.state.in_(FINAL_STATES))
            .order_by(func.coalesce(Reminder.sent_at, Reminder.due_at).desc(), Reminder.id.desc())
            .offset(offset).limit(limit)).all()
        out = []
        for r, name in rows:
            at = (r.sent_at or r.due_at).astimezone(self.tz).strftime("%d/%m %H:%M")
            reason = ""
            if r.state != "sent" and r.last_error:
                key = r.last_error if r.last_error.isidentifier() else ""
                reason = rm_label(f"reason_{key}") if key and _has_label(f"reason_{key}") \
                    else r.last_error[:80]
            out.append({"at": at, "kind": rm_label(f"kind_{r.kind}"), "name": name,
                        "state": rm_label(f"state_{r.state}"), "reason": reason})
        return out

    def log(self, tg_user: int, cell_id: int, page: int = 0) -> Outcome:
        page = max(0, page)
        with self.db.session() as s:
            _actor, period, cell = self._manager(s, tg_user, cell_id)
            rows = self._log_rows(s, period.id, cell_id, page * LOG_PAGE, LOG_PAGE + 1)
        more = len(rows) > LOG_PAGE
        nav: list[Button] = []
        if page > 0:
            nav.append(Button(rm_label("btn_newer"), f"rm:log:{cell_id}:{page - 1}"))
        if more:
            nav.append(Button(rm_label("btn_older"), f"rm:log:{cell_id}:{page + 1}"))
        text = render("reminders/log.j2", cell=cell.cell_name, rows=rows[:LOG_PAGE], page=page + 1)
        return Outcome().say(text, *([tuple(nav)] if nav else []),
                             (Button(rm_label("btn_back"), f"rm:view:{cell_id}"),), edit=True)

    def members(self, tg_user: int, cell_id: int, page: int = 0) -> Outcome:
        page = max(0, page)
        with self.db.session() as s:
            _actor, _period, cell = self._manager(s, tg_user, cell_id)
        from bot.vietnamese import sort_key

        people = sorted(cell.members, key=lambda m: sort_key(m.who.name))
        chunk = people[page * MEMBERS_PAGE:(page + 1) * MEMBERS_PAGE]
        rows: list[tuple[Button, ...]] = []
        buttons = [
            Button(rm_label("btn_resume" if m.who.paused or m.who.unreachable else "btn_pause",
                            name=_short(m.who.name)),
                   f"rm:{'resume' if m.who.paused or m.who.unreachable else 'pause'}:"
                   f"{m.who.member_id}:{page}")
            for m in chunk if m.who.chat_id is not None
        ]  # fmt: skip
        rows.extend(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2))
        nav: list[Button] = []
        if page > 0:
            nav.append(Button(rm_label("btn_newer"), f"rm:mem:{cell_id}:{page - 1}"))
        if len(people) > (page + 1) * MEMBERS_PAGE:
            nav.append(Button(rm_label("btn_older"), f"rm:mem:{cell_id}:{page + 1}"))
        if nav:
            rows.append(tuple(nav))
        rows.append((Button(rm_label("btn_back"), f"rm:view:{cell_id}"),))
        view = [{"name": m.who.name, "submitted": m.submitted, "linked": m.who.chat_id is not None,
                 "paused": m.who.paused, "unreachable": m.who.unreachable} for m in chunk]
        return Outcome().say(render("reminders/members.j2", cell=cell.cell_name, people=view),
                             *rows, edit=True)

    def pause(self, tg_user: int, member_id: int, paused: bool, *, page: int = 0) -> Outcome:
        """Pause (e.g. in hospital) or resume a member's reminders. Resuming also forgets an
        old "blocked the bot" mark: the secretary has checked the member can be reached."""
        with self.db.session() as s:
            member = s.get(Member, member_id)
            if member is None or member.removed_at is not None:
                raise UserError("member_not_found", member_id=member_id)
            actor = require_actor(s, tg_user)
            require_cell_manager(s, actor, member.cell_id)
            account = s.execute(select(TelegramAccount).where(
                TelegramAccount.member_id == member_id)).scalar()
            if account is None:
                raise UserError("member_not_found", member_id=member_id)
            old = {"paused": account.reminders_paused,
                   "unreachable": account.unreachable_at is not None}
            account.reminders_paused = paused
            if not paused:
                account.unreachable_at = None
            audit.record(s, actor=actor.label, entity="reminders", entity_id=member_id,
                         action="pause" if paused else "resume", old=old,
                         new={"paused": paused})
            cell_id, name = member.cell_id, member.full_name
        out = self.members(tg_user, cell_id, page)
        out.toast = rm_label("toast_paused" if paused else "toast_resumed", name=name)
        return out

    def nudge(self, tg_user: int, cell_id: int, *, now: datetime | None = None) -> Outcome:
        """Remind every member of the cell who has not submitted, now (through the sender)."""
        now = now or utcnow()
        with self.db.session() as s:
            _actor, period, cell = self._manager(s, tg_user, cell_id)
            window = period_window(period.options, self.allowed)
            rows: list[Planned] = planning.nudges(cell, now, self.tz, window)
            added = insert_planned(s, rows)
        out = Outcome()
        if not rows:
            out.toast = rm_label("toast_nothing_to_nudge")
        elif not added:
            out.toast = rm_label("toast_nudged_already")
        elif rows[0].due_at > now:
            out.toast = rm_label("toast_nudged_later", n=added,
                                 at=rows[0].due_at.astimezone(self.tz).strftime("%H:%M %d/%m"))
        else:
            out.toast = rm_label("toast_nudged", n=added)
        out.alert = True
        return out

    # ================================================================ chat: the cell's dates

    def calendar_command(self, tg_user: int, args: list[str] | None = None) -> Outcome:
        """/calendar: the cell's dates; /calendar DD/MM/YYYY: set the cell's meeting date."""
        with self.db.session() as s:
            actor = require_actor(s, tg_user)
            cells = managed_cells(s, actor)
            if not cells:
                raise UserError("not_a_manager")
            cell_id = cells[0]
            require_cell_manager(s, actor, cell_id)
            period = current_period(s, cell_id)
            if args:
                try:
                    day = parse_day(args[0])
                except ValueError:
                    raise UserError("bad_date", field="meeting", value=args[0]) from None
                set_deadline(s, period, cell_id, "meeting", day)
                audit.record(s, actor=actor.label, entity="deadline",
                             entity_id=f"{period.id}:{cell_id}", action="set",
                             new={"kind": "meeting", "date": day.isoformat()})
                s.flush()
            report = self._report(s, period, cell_id)
            cell = s.get(Organisation, cell_id)
            year = period.year
        return Outcome().say(render("reminders/calendar.j2", cell=cell.name if cell else "",
                                    year=year, dates=self._date_lines(report),
                                    warnings=report.warnings, changed=bool(args)))


def _short(name: str) -> str:
    """The given name and the one before it ("Văn An"): enough on a small button."""
    parts = name.split()
    return " ".join(parts[-2:]) if len(parts) > 2 else name


def _has_label(key: str) -> bool:
    from bot.texts import strings

    return key in strings("reminders.yaml")

