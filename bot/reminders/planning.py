"""Planning: which reminders a day owes, as rows with a dedupe key; and the last check before
a row is sent. Pure: the clock (`now`), the time zone and every state are arguments.

Planning is idempotent by construction. Each planned reminder carries a `dedupe_key` (kind,
recipient and occasion, including the due date it counts down to) and the table has a unique
constraint on it, so planning the same day twice, from two processes, or after a restart,
adds nothing. A moved due date is a new occasion, so the countdown follows the new date.

Only the occasions of the local day of `now` are planned. A reminder is therefore never sent
for a day that has passed while the bot was down, and the sweeper can plan early in the day
(rows due at 08:00 are visible as upcoming from midnight).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from bot.reminders.calendar import CellCalendar
from bot.reminders.policy import AllowedHours, ReminderPolicy

DUE = "due"  # before and on the due date: "N days left"
OVERDUE = "overdue"  # after it, while the cell has not met
NUDGE = "nudge"  # the secretary pressed "remind now"
DIGEST = "digest"  # to the secretary: who is late, what the cell still owes
UNREACHABLE = "unreachable"  # to the secretary: a member blocked the bot
# A leadership collective's report (bot/services/collectives.py): the draft to each member,
# a member's comment to the head, the head's answer to the commenter. Made when they happen.
COLLECTIVE_DRAFT = "collective_draft"
COLLECTIVE_COMMENT = "collective_comment"
COLLECTIVE_REPLY = "collective_reply"
COLLECTIVE_KINDS = frozenset({COLLECTIVE_DRAFT, COLLECTIVE_COMMENT, COLLECTIVE_REPLY})
KINDS = (DUE, OVERDUE, NUDGE, DIGEST, UNREACHABLE, *sorted(COLLECTIVE_KINDS))
# Reminders about the member's own draft: pointless once it is submitted.
MEMBER_KINDS = frozenset({DUE, OVERDUE, NUDGE})
# Automatic member reminders: at most one a day reaches a member.
DAILY_KINDS = frozenset({DUE, OVERDUE})


@dataclass(frozen=True)
class Recipient:
    """A member as the sender sees them: where to write and what they asked for."""

    member_id: int
    name: str
    chat_id: int | None  # None: no linked Telegram account
    paused: bool = False
    snoozed_until: datetime | None = None
    unreachable: bool = False
    preferred_hour: int | None = None


@dataclass(frozen=True)
class MemberState:
    who: Recipient
    submitted: bool


@dataclass(frozen=True)
class CellState:
    """A cell of an open period: its calendar, the members who owe a self-review, and the
    secretaries (deputies when no secretary is linked) who receive the digest."""

    period_id: int
    cell_id: int
    cell_name: str
    calendar: CellCalendar
    members: tuple[MemberState, ...]
    managers: tuple[Recipient, ...]

    def owing(self) -> list[MemberState]:
        return [m for m in self.members if not m.submitted]


@dataclass(frozen=True)
class Planned:
    kind: str
    period_id: int
    cell_id: int
    member_id: int  # the recipient
    chat_id: int | None
    due_at: datetime  # aware; stored in UTC
    dedupe_key: str
    occasion: str
    payload: dict[str, Any] = field(default_factory=dict)


def member_occasion(cal: CellCalendar, policy: ReminderPolicy, day: date) -> tuple[str, str] | None:
    """(kind, occasion) of an automatic member reminder on `day`, or None."""
    due = cal.self_review_due.day
    left = (due - day).days
    if left >= 0:
        return (DUE, f"d{left}") if left in policy.days_before else None
    if policy.stop_at_meeting and day >= cal.meeting.day:
        return None
    late = -left
    if late % policy.overdue_every == 0 and late // policy.overdue_every <= policy.overdue_max:
        return (OVERDUE, f"o{late}")
    return None


def digest_occasion(cal: CellCalendar, policy: ReminderPolicy, day: date) -> str | None:
    if policy.stop_at_meeting and day >= cal.meeting.day:
        return None
    rel = (day - cal.self_review_due.day).days
    return f"g{rel}" if rel in policy.digest_days else None


def send_time(who: Recipient, day: date, hour: int, allowed: AllowedHours,
              tz: tzinfo) -> datetime | None:
    """When a reminder of `day` reaches `who`: their hour (or the policy's) inside the allowed
    window, later if they snoozed; None when the snooze runs past the day."""
    at = allowed.at(day, who.preferred_hour if who.preferred_hour is not None else hour, tz)
    if who.snoozed_until is not None and who.snoozed_until > at:
        at = allowed.next_allowed(who.snoozed_until, tz)
        if at.astimezone(tz).date() != day:
            return None
    return at


def _can_receive(who: Recipient) -> bool:
    return who.chat_id is not None and not who.paused and not who.unreachable


def plan(cells: Iterable[CellState], policy: ReminderPolicy, now: datetime,
         tz: tzinfo) -> list[Planned]:
    """Every reminder the local day of `now` owes, whatever its hour (sorted by time)."""
    if not policy.enabled:
        return []
    day = now.astimezone(tz).date()
    out: list[Planned] = []
    for cell in cells:
        cal = cell.calendar
        due = cal.self_review_due.day.isoformat()
        occasion = member_occasion(cal, policy, day)
        if occasion is not None:
            kind, name = occasion
            for m in cell.members:
                if m.submitted or not _can_receive(m.who):
                    continue
                at = send_time(m.who, day, policy.hour, policy.allowed, tz)
                if at is None:
                    continue
                out.append(Planned(
                    kind, cell.period_id, cell.cell_id, m.who.member_id, m.who.chat_id, at,
                    f"{kind}:{cell.period_id}:{m.who.member_id}:{due}:{name}", name,
                    {"cell_id": cell.cell_id, "due": due, "day": day.isoformat()},
                ))  # fmt: skip
        digest = digest_occasion(cal, policy, day)
        if digest is not None and cell.owing():
            for who in cell.managers:
                if not _can_receive(who):
                    continue
                # The digest keeps the policy's hour: it is a work summary, not a nudge.
                plain = Recipient(who.member_id, who.name, who.chat_id,
                                  snoozed_until=who.snoozed_until)
                at = send_time(plain, day, policy.digest_hour, policy.allowed, tz)
                if at is None:
                    continue
                out.append(Planned(
                    DIGEST, cell.period_id, cell.cell_id, who.member_id, who.chat_id, at,
                    f"{DIGEST}:{cell.period_id}:{cell.cell_id}:{who.member_id}:{due}:{digest}",
                    digest, {"cell_id": cell.cell_id, "due": due, "day": day.isoformat()},
                ))  # fmt: skip
    out.sort(key=lambda p: (p.due_at, p.kind, p.member_id))
    return out


def nudges(cell: CellState, now: datetime, tz: tzinfo, allowed: AllowedHours) -> list[Planned]:
    """The secretary's "remind now": one row per member who has not submitted. At most one
    nudge per member a day (the key holds the date), so a double tap sends nothing twice."""
    day = now.astimezone(tz).date()
    at = allowed.next_allowed(now, tz)
    return [
        Planned(NUDGE, cell.period_id, cell.cell_id, m.who.member_id, m.who.chat_id, at,
                f"{NUDGE}:{cell.period_id}:{m.who.member_id}:{day.isoformat()}", "now",
                {"cell_id": cell.cell_id, "day": day.isoformat()})
        for m in cell.owing()
        if _can_receive(m.who)
    ]  # fmt: skip


def upcoming(cells: list[CellState], policy: ReminderPolicy, now: datetime, tz: tzinfo,
             days: int = 7) -> list[Planned]:
    """What the policy will plan from now on for `days` local days (a preview, not stored)."""
    today = now.astimezone(tz).date()
    out: list[Planned] = []
    for i in range(days):
        day = today + timedelta(days=i)
        noon = datetime.combine(day, time(12), tzinfo=tz)
        out.extend(p for p in plan(cells, policy, noon, tz) if p.due_at >= now)
    return out


@dataclass(frozen=True)
class Verdict:
    action: Literal["send", "cancel", "reschedule"]
    reason: str = ""
    at: datetime | None = None


SEND = Verdict("send")


def recheck(kind: str, who: Recipient | None, *, submitted: bool, sent_today: bool,
            now: datetime, tz: tzinfo, allowed: AllowedHours) -> Verdict:
    """The last look before a row goes out: the state may have changed since it was planned.

    Cancelled: nobody to write to, the member blocked the bot, reminders paused, the draft is
    in (member reminders), or the member already got their reminder today. Postponed: a
    snooze, or the quiet hours (never at 2 a.m.: the next opening of the window).
    """
    if who is None or who.chat_id is None:
        return Verdict("cancel", "not_linked")
    if who.unreachable:
        return Verdict("cancel", "unreachable")
    if who.paused:
        return Verdict("cancel", "paused")
    if kind in MEMBER_KINDS and submitted:
        return Verdict("cancel", "submitted")
    if kind in DAILY_KINDS and sent_today:
        return Verdict("cancel", "already_today")
    if who.snoozed_until is not None and who.snoozed_until > now and kind != UNREACHABLE:
        return Verdict("reschedule", "snoozed", allowed.next_allowed(who.snoozed_until, tz))
    if not allowed.contains(now, tz):
        return Verdict("reschedule", "quiet_hours", allowed.next_allowed(now, tz))
    return SEND


def local_midnight(now: datetime, tz: tzinfo) -> datetime:
    return datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
