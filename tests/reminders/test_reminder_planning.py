"""Planning a whole cycle with a controlled clock (pure): who gets what, on which day, at
which local time; nothing in quiet hours, nothing after submission, snooze and pause."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.reminders.calendar import resolve
from bot.reminders.planning import (
    CellState,
    MemberState,
    Recipient,
    nudges,
    plan,
    recheck,
    upcoming,
)
from bot.reminders.policy import AllowedHours, ReminderPolicy

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
# Meeting Thursday 10/12/2026, so the draft is due Monday 07/12 (3 working days before).
CAL = resolve(2026, {"meeting": date(2026, 12, 10)})
POLICY = ReminderPolicy()


def local(d: date, h: int = 0, mi: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, h, mi, tzinfo=HCM)


def person(mid: int, **kw: object) -> Recipient:
    return Recipient(mid, f"Đảng viên {mid}", 1000 + mid, **kw)  # type: ignore[arg-type]


def cell(members: list[MemberState], managers: tuple[Recipient, ...] = ()) -> CellState:
    return CellState(1, 10, "Chi bộ thôn Đông", CAL, tuple(members), managers)


def cycle(states: dict[date, CellState]) -> list[tuple[date, datetime, str, int, str]]:
    """Plan each day of the cycle once; (day, local time, kind, recipient, occasion)."""
    out = []
    for day, st in sorted(states.items()):
        for p in plan([st], POLICY, local(day, 0, 5).astimezone(UTC), HCM):
            out.append((day, p.due_at.astimezone(HCM), p.kind, p.member_id, p.occasion))
    return out


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def test_a_whole_cycle() -> None:
    assert CAL.self_review_due.day == date(2026, 12, 7)
    secretary = person(99)
    submitted_on = date(2026, 12, 5)
    states = {}
    for day in days(date(2026, 11, 25), date(2026, 12, 15)):
        states[day] = cell([
            MemberState(person(1), False),  # never submits
            MemberState(person(2), day >= submitted_on),  # submits on 05/12
            MemberState(person(3, preferred_hour=19), False),
            MemberState(person(4, paused=True), False),  # in hospital
            MemberState(Recipient(5, "Chưa kết nối", None), False),
            MemberState(person(6, unreachable=True), False),
        ], (secretary,))
    sent = cycle(states)

    def of(member: int) -> list[tuple[str, str, str]]:
        return [(t.strftime("%d/%m %H:%M"), k, o) for _d, t, k, m, o in sent if m == member]

    assert of(1) == [
        ("30/11 08:00", "due", "d7"), ("04/12 08:00", "due", "d3"), ("06/12 08:00", "due", "d1"),
        ("07/12 08:00", "due", "d0"), ("08/12 08:00", "overdue", "o1"),
        ("09/12 08:00", "overdue", "o2"),  # none from the meeting day on
    ]
    assert of(2) == [("30/11 08:00", "due", "d7"), ("04/12 08:00", "due", "d3")]
    assert [t for t, _k, _o in of(3)] == ["30/11 19:00", "04/12 19:00", "06/12 19:00",
                                          "07/12 19:00", "08/12 19:00", "09/12 19:00"]
    assert of(4) == of(5) == of(6) == []
    assert of(99) == [("06/12 18:00", "digest", "g-1"), ("08/12 18:00", "digest", "g1")]
    window = AllowedHours()
    assert all(window.contains(t, HCM) for _d, t, _k, _m, _o in sent)
    assert all(t.date() == d for d, t, _k, _m, _o in sent)


def test_planning_is_idempotent_and_keys_are_unique() -> None:
    st = cell([MemberState(person(1), False), MemberState(person(2), False)], (person(99),))
    day = date(2026, 12, 6)
    first = plan([st], POLICY, local(day, 0, 5), HCM)
    again = plan([st], POLICY, local(day, 15, 0), HCM)
    assert [p.dedupe_key for p in first] == [p.dedupe_key for p in again]
    assert len({p.dedupe_key for p in first}) == len(first) == 3
    moved = replace(st, calendar=resolve(2026, {"meeting": date(2026, 12, 11)}))
    # Due 08/12 now: 06/12 is no longer an occasion; 07/12 is "1 day left" with a new key.
    assert plan([moved], POLICY, local(day, 1), HCM) == []
    later = plan([moved], POLICY, local(date(2026, 12, 7), 1), HCM)
    assert {p.dedupe_key for p in later}.isdisjoint({p.dedupe_key for p in first})


def test_snooze_moves_the_reminder_or_skips_the_day() -> None:
    day = date(2026, 12, 4)
    until_noon = person(1, snoozed_until=local(day, 12, 30).astimezone(UTC))
    until_tomorrow = person(2, snoozed_until=local(day + timedelta(days=1), 8).astimezone(UTC))
    planned = plan([cell([MemberState(until_noon, False), MemberState(until_tomorrow, False)])],
                   POLICY, local(day, 0, 5), HCM)
    assert [(p.member_id, p.due_at.astimezone(HCM).strftime("%H:%M")) for p in planned] == [
        (1, "12:30")]


def test_disabled_policy_and_stop_at_meeting() -> None:
    st = cell([MemberState(person(1), False)])
    assert plan([st], ReminderPolicy(enabled=False), local(date(2026, 12, 7), 1), HCM) == []
    keep_going = ReminderPolicy(stop_at_meeting=False, overdue_max=4)
    kinds = [p.occasion for d in days(date(2026, 12, 8), date(2026, 12, 14))
             for p in plan([st], keep_going, local(d, 1), HCM)]
    assert kinds == ["o1", "o2", "o3", "o4"]


def test_upcoming_preview() -> None:
    st = cell([MemberState(person(1), False)], (person(99),))
    now = local(date(2026, 12, 4), 9)  # after today's 08:00 reminder
    coming = upcoming([st], POLICY, now, HCM)
    assert [(p.due_at.astimezone(HCM).strftime("%d/%m %H:%M"), p.kind) for p in coming] == [
        ("06/12 08:00", "due"), ("06/12 18:00", "digest"), ("07/12 08:00", "due"),
        ("08/12 08:00", "overdue"), ("08/12 18:00", "digest"), ("09/12 08:00", "overdue")]


def test_nudge_once_a_day_and_only_to_those_who_owe() -> None:
    st = cell([MemberState(person(1), False), MemberState(person(2), True),
               MemberState(person(3, paused=True), False)])
    at_night = local(date(2026, 12, 8), 22, 30)
    rows = nudges(st, at_night, HCM, AllowedHours())
    assert [r.member_id for r in rows] == [1]
    assert rows[0].due_at == local(date(2026, 12, 9), 7)  # never at night
    assert rows[0].dedupe_key == "nudge:1:1:2026-12-08"


def test_recheck_before_sending() -> None:
    now = local(date(2026, 12, 7), 8)
    w = AllowedHours()
    kw = {"submitted": False, "sent_today": False, "now": now, "tz": HCM, "allowed": w}
    assert recheck("due", person(1), **kw).action == "send"
    assert recheck("due", person(1), **{**kw, "submitted": True}).reason == "submitted"
    assert recheck("digest", person(1), **{**kw, "submitted": True}).action == "send"
    assert recheck("due", person(1, paused=True), **kw).reason == "paused"
    assert recheck("due", person(1, unreachable=True), **kw).reason == "unreachable"
    assert recheck("due", Recipient(1, "x", None), **kw).reason == "not_linked"
    assert recheck("due", None, **kw).reason == "not_linked"
    assert recheck("overdue", person(1), **{**kw, "sent_today": True}).reason == "already_today"
    assert recheck("nudge", person(1), **{**kw, "sent_today": True}).action == "send"
    snoozed = recheck("due", person(1, snoozed_until=now + timedelta(hours=3)), **kw)
    assert (snoozed.action, snoozed.at) == ("reschedule", now + timedelta(hours=3))
    night = recheck("due", person(1), **{**kw, "now": local(date(2026, 12, 7), 2)})
    assert (night.action, night.reason, night.at) == ("reschedule", "quiet_hours",
                                                      local(date(2026, 12, 7), 7))
