"""Working-day arithmetic and a cell's calendar (DOMAIN §1): pure, no clock."""

from __future__ import annotations

from datetime import date

import pytest

from bot.reminders.calendar import (
    WorkCalendar,
    check,
    draft_deadline,
    national_dates,
    parse_holidays,
    resolve,
)

# 2026-12: Tue 1, Wed 2, Thu 3, Fri 4, Sat 5, Sun 6, Mon 7, Tue 8, Wed 9, Thu 10.


@pytest.mark.parametrize(("meeting", "holidays", "due"), [
    (date(2026, 12, 10), [], date(2026, 12, 7)),  # Thu -> Mon: Wed, Tue, Mon
    (date(2026, 12, 8), [], date(2026, 12, 3)),  # Tue -> Thu: across the weekend
    (date(2026, 12, 8), [date(2026, 12, 4)], date(2026, 12, 2)),  # and across a holiday Friday
    (date(2026, 12, 7), [], date(2026, 12, 2)),  # Mon -> Wed
    (date(2026, 12, 12), [], date(2026, 12, 9)),  # a Saturday meeting: Fri, Thu, Wed
    (date(2027, 1, 4), [date(2027, 1, 1)], date(2026, 12, 29)),  # New Year's Day skipped
])
def test_draft_is_due_three_working_days_before_the_meeting(
        meeting: date, holidays: list[date], due: date) -> None:
    cal = WorkCalendar(frozenset(holidays))
    assert draft_deadline(meeting, cal) == due
    assert cal.working_days_between(due, meeting) == 3 - (not cal.is_working_day(meeting))


def test_working_days_skip_weekends_and_holidays() -> None:
    cal = WorkCalendar(frozenset({date(2026, 12, 4)}))
    assert not cal.is_working_day(date(2026, 12, 5))  # Saturday
    assert not cal.is_working_day(date(2026, 12, 4))  # the holiday
    assert cal.add_working_days(date(2026, 12, 3), 1) == date(2026, 12, 7)
    assert cal.add_working_days(date(2026, 12, 7), -1) == date(2026, 12, 3)
    assert cal.add_working_days(date(2026, 12, 7), 0) == date(2026, 12, 7)
    assert cal.working_days_between(date(2026, 12, 3), date(2026, 12, 8)) == 2


def test_holidays_from_plan_options() -> None:
    assert parse_holidays(None) == frozenset()
    days = parse_holidays(["2026-12-04", "25/12/2026", {"from": "2027-02-15", "to": "2027-02-17"}])
    assert days == {date(2026, 12, 4), date(2026, 12, 25), date(2027, 2, 15), date(2027, 2, 16),
                    date(2027, 2, 17)}
    with pytest.raises(ValueError):
        parse_holidays("2026-12-04")
    with pytest.raises(ValueError):
        parse_holidays(["4 tháng 12"])


def test_defaults_are_the_national_dates() -> None:
    nat = national_dates(2026)
    assert (nat.meeting, nat.decision, nat.national, nat.civil_servant) == (
        date(2026, 12, 10), date(2026, 12, 17), date(2026, 12, 31), date(2026, 12, 15))
    cal = resolve(2026, {})
    assert cal.meeting.day == date(2026, 12, 10) and cal.meeting.source == "default"
    assert cal.self_review_due.day == date(2026, 12, 7)
    assert cal.self_review_due.source == "derived"
    assert check(cal) == []


def test_cell_meeting_derives_the_cell_draft_deadline() -> None:
    org = {"self_review_due": date(2026, 12, 4), "meeting": date(2026, 12, 10)}
    cal = resolve(2026, org, {"meeting": date(2026, 12, 8)}, [date(2026, 12, 4)])
    assert cal.self_review_due.day == date(2026, 12, 2)
    assert cal.self_review_due.source == "derived"
    # Without a meeting of its own the cell keeps the organisation's dates.
    same = resolve(2026, org, {})
    assert same.self_review_due.day == date(2026, 12, 4) and same.self_review_due.source == "org"


def test_warnings_when_a_date_breaks_a_higher_one() -> None:
    org_dates = {"meeting": date(2026, 12, 10), "decision": date(2026, 12, 17)}
    org = resolve(2026, org_dates)
    late_cell = resolve(2026, org_dates, {"meeting": date(2026, 12, 16),
                                          "self_review_due": date(2026, 12, 15)})
    codes = {(w.code, w.kind) for w in check(late_cell, org)}
    assert ("draft_too_close", "self_review_due") in codes
    assert ("later_than_org", "meeting") in codes
    assert ("later_than_org", "self_review_due") in codes
    assert ("results_before_meeting", "results_due") in codes

    bad = resolve(2026, {"meeting": date(2026, 12, 10), "self_review_due": date(2026, 12, 12),
                         "decision": date(2027, 1, 5), "results_due": date(2026, 12, 11)})
    codes = {w.code for w in check(bad)}
    assert {"draft_not_before_meeting", "due_not_working_day", "after_national"} <= codes

    early = resolve(2026, {"decision": date(2026, 12, 14), "results_due": date(2026, 12, 12)})
    assert "decision_before_civil_servant" in {w.code for w in check(early)}
