"""The reminder policy from plan options, and the hours a reminder may arrive."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.reminders.policy import AllowedHours, ReminderPolicy

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def local(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=HCM)


def test_defaults() -> None:
    p = ReminderPolicy.from_options(None)
    assert p.days_before == (7, 3, 1, 0)
    assert (p.overdue_every, p.overdue_max, p.hour, p.digest_hour) == (1, 5, 8, 18)
    assert (p.allowed.start, p.allowed.end) == (7, 21)


def test_plan_options_override_and_are_checked() -> None:
    p = ReminderPolicy.from_options({"days_before": [5, 2], "overdue_max": 2, "hour": 9,
                                     "allowed_hours": [8, 20]})
    assert p.days_before == (5, 2) and p.overdue_max == 2 and p.hour == 9
    assert p.allowed == AllowedHours(8, 20)
    with pytest.raises(ValueError) as err:
        ReminderPolicy.from_options({"hour": 22, "colour": "red", "days_before": ["x"]})
    message = str(err.value)
    assert "colour" in message and "days_before" in message
    with pytest.raises(ValueError, match="outside the allowed hours"):
        ReminderPolicy.from_options({"hour": 6})
    with pytest.raises(ValueError):
        ReminderPolicy.from_options({"allowed_hours": [21, 7]})


def test_settings_quiet_hours_give_the_window() -> None:
    assert AllowedHours.from_quiet(21, 7) == AllowedHours(7, 21)
    assert AllowedHours.from_quiet(22, 6) == AllowedHours(6, 22)


@pytest.mark.parametrize(("instant", "expected"), [
    (local(2026, 12, 7, 2, 0), local(2026, 12, 7, 7)),  # 2 a.m. -> 7 a.m. the same day
    (local(2026, 12, 7, 6, 59), local(2026, 12, 7, 7)),
    (local(2026, 12, 7, 7, 0), local(2026, 12, 7, 7)),
    (local(2026, 12, 7, 20, 59), local(2026, 12, 7, 20, 59)),
    (local(2026, 12, 7, 21, 0), local(2026, 12, 8, 7)),  # 9 p.m. -> next morning
    (local(2026, 12, 31, 23, 30), local(2027, 1, 1, 7)),
])
def test_next_allowed(instant: datetime, expected: datetime) -> None:
    window = AllowedHours()
    assert window.next_allowed(instant.astimezone(UTC), HCM) == expected
    assert window.contains(window.next_allowed(instant, HCM), HCM)


def test_hours_are_clamped_into_the_window() -> None:
    window = AllowedHours()
    assert window.at(date(2026, 12, 7), 5, HCM) == local(2026, 12, 7, 7)
    assert window.at(date(2026, 12, 7), 23, HCM) == local(2026, 12, 7, 20)
    assert window.hours() == list(range(7, 21))
