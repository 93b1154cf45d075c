"""The reminder policy of an organisation (`period.options["reminders"]`) and the hours a
reminder may arrive. Pure: no I/O, no clock.

A plan file overrides any key; everything else keeps the default:

```yaml
reminders:
  enabled: true
  days_before: [7, 3, 1, 0]   # member reminders, days before the self-review due date (0: that day)
  overdue_every: 1            # then every N days while overdue...
  overdue_max: 5              # ...at most this many overdue reminders
  stop_at_meeting: true       # no overdue reminder on or after the cell's meeting day
  hour: 8                     # local hour of member reminders (a member may choose their own)
  digest_days: [-1, 1, 3, 5]  # the secretary's digest, days relative to the due date
  digest_hour: 18
  allowed_hours: [7, 21]      # never outside [start, end) local time
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

DEFAULT_ALLOWED = (7, 21)


@dataclass(frozen=True)
class AllowedHours:
    """Local hours a reminder may arrive in: start <= hour < end (0 <= start < end <= 24)."""

    start: int = DEFAULT_ALLOWED[0]
    end: int = DEFAULT_ALLOWED[1]

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end <= 24):
            raise ValueError(
                f"allowed_hours: need 0 <= start < end <= 24, got {self.start}, {self.end}")

    @classmethod
    def from_quiet(cls, quiet_start: int, quiet_end: int) -> AllowedHours:
        """From Settings.quiet_hours_start/end (quiet from 21 to 7 = allowed from 7 to 21)."""
        return cls(quiet_end, quiet_start if quiet_start > quiet_end else 24)

    def contains(self, instant: datetime, tz: tzinfo) -> bool:
        local = instant.astimezone(tz)
        return self.start <= local.hour < self.end

    def clamp_hour(self, hour: int) -> int:
        return min(max(hour, self.start), self.end - 1)

    def at(self, day: date, hour: int, tz: tzinfo) -> datetime:
        """The instant `day` at `hour`:00 local time, with the hour moved inside the window."""
        return datetime.combine(day, time(self.clamp_hour(hour)), tzinfo=tz)

    def next_allowed(self, instant: datetime, tz: tzinfo) -> datetime:
        """`instant` itself when allowed, else the next opening of the window."""
        local = instant.astimezone(tz)
        if self.start <= local.hour < self.end:
            return instant
        day = local.date() if local.hour < self.start else local.date() + timedelta(days=1)
        return datetime.combine(day, time(self.start), tzinfo=tz)

    def hours(self) -> list[int]:
        return list(range(self.start, self.end))


@dataclass(frozen=True)
class ReminderPolicy:
    enabled: bool = True
    days_before: tuple[int, ...] = (7, 3, 1, 0)
    overdue_every: int = 1
    overdue_max: int = 5
    stop_at_meeting: bool = True
    hour: int = 8
    digest_days: tuple[int, ...] = (-1, 1, 3, 5)
    digest_hour: int = 18
    allowed: AllowedHours = AllowedHours()

    @classmethod
    def from_options(cls, raw: object, *, allowed: AllowedHours | None = None) -> ReminderPolicy:
        """The policy of `period.options["reminders"]`; ValueError naming every bad key.

        `allowed` is the process-wide default window (Settings.quiet_hours_*), used when the
        plan does not set `allowed_hours`.
        """
        base = cls(allowed=allowed or AllowedHours())
        if raw is None:
            return base
        if not isinstance(raw, Mapping):
            raise ValueError("reminders: expected a mapping")
        known = {f.name for f in fields(cls)} - {"allowed"} | {"allowed_hours"}
        problems = [f"reminders.{k}: unknown key" for k in raw if k not in known]
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in known:
                continue
            try:
                values[key] = _convert(key, value)
            except (TypeError, ValueError) as exc:
                problems.append(f"reminders.{key}: {exc}")
        if problems:
            raise ValueError("; ".join(problems))
        if "allowed_hours" in values:
            values["allowed"] = values.pop("allowed_hours")
        policy = cls(**{**base.__dict__, **values})
        for name in ("hour", "digest_hour"):
            hour = getattr(policy, name)
            if not policy.allowed.start <= hour < policy.allowed.end:
                problems.append(f"reminders.{name}: {hour} is outside the allowed hours")
        if problems:
            raise ValueError("; ".join(problems))
        return policy


def _convert(key: str, value: object) -> Any:
    if key in ("enabled", "stop_at_meeting"):
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return value
    if key in ("days_before", "digest_days"):
        if not isinstance(value, list):
            raise ValueError("expected a list of whole numbers of days")
        days = tuple(sorted({_int(v) for v in value}, reverse=True))
        if any(abs(d) > 60 for d in days) or (key == "days_before" and any(d < 0 for d in days)):
            raise ValueError("days out of range")
        return days
    if key in ("overdue_every", "overdue_max"):
        number = _int(value)
        if not (0 if key == "overdue_max" else 1) <= number <= 60:
            raise ValueError("expected a whole number from 1 to 60 (0 allowed for overdue_max)")
        return number
    if key in ("hour", "digest_hour"):
        hour = _int(value)
        if not 0 <= hour <= 23:
            raise ValueError("expected an hour from 0 to 23")
        return hour
    if key == "allowed_hours":
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError("expected [start, end] hours")
        return AllowedHours(_int(value[0]), _int(value[1]))
    raise ValueError("unknown key")


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"expected a whole number, got {value!r}")
    return value
