"""The review period's calendar: national default dates, working-day arithmetic, a cell's
effective dates and the warnings when a date breaks a higher one. Pure: no I/O, no clock.

Dates (DOMAIN.md §1):
- a member's draft self-review reaches the cell at least 3 working days before the cell's
  meeting (seed 003 §4.2; HD 43 §2);
- cells finish their meetings by 10/12 (seed 002 §III.5), mid-December at the latest;
- the đảng ủy approves by 17/12 (seed 002 §III.7), nationally everything before 31/12
  (HD 43 §4);
- civil-servant ratings come first, before 15/12 (seed 003 §III), because the party rating
  leans on them.

"Working day": Monday to Friday, not a public holiday of the period's plan
(`period.options["holidays"]`). "3 working days before" is counted like a spreadsheet's
WORKDAY(meeting, -3): step back over working days, so a Thursday meeting makes the Monday
the last day to hand the draft in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

SELF_REVIEW_DUE = "self_review_due"
MEETING = "meeting"
RESULTS_DUE = "results_due"
DECISION = "decision"
KINDS = (SELF_REVIEW_DUE, MEETING, RESULTS_DUE, DECISION)

# The draft goes to the cell at least this many working days before the meeting.
DRAFT_WORKING_DAYS = 3


@dataclass(frozen=True)
class Citation:
    document: str
    point: str


DRAFT_RULE = Citation("Kế hoạch 99/KH-BDT năm 2022 (seed 003); Hướng dẫn 43-HD/BTCTW",
                      "mục II.4.2; mục 2")
CELLS_BY = Citation("Kế hoạch kiểm điểm năm 2023 (seed 002)", "mục III.5")
DECISION_BY = Citation("Kế hoạch kiểm điểm năm 2023 (seed 002)", "mục III.7")
NATIONAL_BY = Citation("Hướng dẫn 43-HD/BTCTW", "mục 4")
CIVIL_SERVANT_BY = Citation("Kế hoạch 99/KH-BDT năm 2022 (seed 003)", "mục III")


@dataclass(frozen=True)
class NationalDates:
    """The rulebook's dates of one year, the defaults when the office sets nothing."""

    meeting: date  # cells finish their meetings
    results_due: date  # cells send their proposals up (mid-December)
    decision: date  # the đảng ủy decides
    national: date  # nationally everything before this (inclusive)
    civil_servant: date  # civil-servant ratings done before this


def national_dates(year: int) -> NationalDates:
    return NationalDates(
        meeting=date(year, 12, 10),  # CELLS_BY
        results_due=date(year, 12, 15),  # "cells finish mid-December" (DOMAIN §1.5)
        decision=date(year, 12, 17),  # DECISION_BY
        national=date(year, 12, 31),  # NATIONAL_BY
        civil_servant=date(year, 12, 15),  # CIVIL_SERVANT_BY
    )


@dataclass(frozen=True)
class WorkCalendar:
    """Weekends and the plan's public holidays are not working days."""

    holidays: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (before it when n < 0); n = 0 is `day` itself."""
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        current = day
        while remaining:
            current += timedelta(days=step)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end (negative when end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1 for i in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=i))
        )  # fmt: skip


def draft_deadline(meeting: date, cal: WorkCalendar) -> date:
    """The last day a member's draft may reach the cell (DRAFT_RULE)."""
    return cal.add_working_days(meeting, -DRAFT_WORKING_DAYS)


def parse_day(value: object) -> date:
    """A date from YAML/JSON: a date, `YYYY-MM-DD` or `dd/mm/yyyy`. ValueError otherwise."""
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if "/" in text:
        d, m, y = text.split("/")
        return date(int(y), int(m), int(d))
    return date.fromisoformat(text)


def parse_holidays(raw: object) -> frozenset[date]:
    """`period.options["holidays"]`: a list of dates, or of `{from: …, to: …}` ranges."""
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise ValueError("holidays: expected a list of dates")
    days: set[date] = set()
    for item in raw:
        if isinstance(item, Mapping):
            start, end = parse_day(item.get("from")), parse_day(item.get("to"))
            if end < start or (end - start).days > 60:
                raise ValueError(f"holidays: bad range {start}..{end}")
            days.update(start + timedelta(days=i) for i in range((end - start).days + 1))
        else:
            days.add(parse_day(item))
    return frozenset(days)


@dataclass(frozen=True)
class Dated:
    """A date and where it came from: the cell, the organisation, the rulebook, or derived."""

    day: date
    source: str  # cell | org | default | derived


@dataclass(frozen=True)
class CellCalendar:
    self_review_due: Dated
    meeting: Dated
    results_due: Dated
    decision: Dated
    national: date
    civil_servant: date
    work: WorkCalendar = field(default_factory=WorkCalendar)

    def get(self, kind: str) -> Dated:
        value: Dated = getattr(self, kind)
        return value


def resolve(year: int, org: Mapping[str, date], cell: Mapping[str, date] | None = None,
            holidays: Iterable[date] = ()) -> CellCalendar:
    """A cell's effective dates from its own, its organisation's and the national ones.

    The cell's draft deadline: set explicitly for the cell, else derived from the cell's own
    meeting, else the organisation's, else derived from the organisation's (or the default)
    meeting. The other dates: the cell's, else the organisation's, else the national default.
    """
    cell = cell or {}
    work = WorkCalendar(frozenset(holidays))
    nat = national_dates(year)

    def pick(kind: str, default: date) -> Dated:
        if kind in cell:
            return Dated(cell[kind], "cell")
        if kind in org:
            return Dated(org[kind], "org")
        return Dated(default, "default")

    meeting = pick(MEETING, nat.meeting)
    if SELF_REVIEW_DUE in cell:
        due = Dated(cell[SELF_REVIEW_DUE], "cell")
    elif MEETING in cell or SELF_REVIEW_DUE not in org:
        due = Dated(draft_deadline(meeting.day, work), "derived")
    else:
        due = Dated(org[SELF_REVIEW_DUE], "org")
    return CellCalendar(
        self_review_due=due,
        meeting=meeting,
        results_due=pick(RESULTS_DUE, nat.results_due),
        decision=pick(DECISION, nat.decision),
        national=nat.national,
        civil_servant=nat.civil_servant,
        work=work,
    )


@dataclass(frozen=True)
class CalendarWarning:
    """A date that breaks a higher one; `code` keys its text in templates/reminders.yaml."""

    code: str
    kind: str
    day: date
    other: date | None = None
    citation: Citation | None = None


def check(cal: CellCalendar, org: CellCalendar | None = None) -> list[CalendarWarning]:
    """Warnings for a calendar; with `org`, also where the cell is later than its organisation.

    Warnings never block saving: the office may have reasons (a flood, an election), but it
    should see what it is breaking.
    """
    out: list[CalendarWarning] = []
    due, meeting = cal.self_review_due.day, cal.meeting.day
    latest_draft = draft_deadline(meeting, cal.work)
    if due >= meeting:
        out.append(CalendarWarning("draft_not_before_meeting", SELF_REVIEW_DUE, due, meeting,
                                   DRAFT_RULE))
    elif due > latest_draft:
        out.append(CalendarWarning("draft_too_close", SELF_REVIEW_DUE, due, latest_draft,
                                   DRAFT_RULE))
    if not cal.work.is_working_day(due):
        out.append(CalendarWarning("due_not_working_day", SELF_REVIEW_DUE, due))
    if cal.results_due.day < meeting:
        out.append(CalendarWarning("results_before_meeting", RESULTS_DUE, cal.results_due.day,
                                   meeting))
    if cal.decision.day < cal.results_due.day:
        out.append(CalendarWarning("decision_before_results", DECISION, cal.decision.day,
                                   cal.results_due.day))
    if cal.decision.day < cal.civil_servant:
        out.append(CalendarWarning("decision_before_civil_servant", DECISION, cal.decision.day,
                                   cal.civil_servant, CIVIL_SERVANT_BY))
    for kind in KINDS:
        day = cal.get(kind).day
        if day > cal.national:
            out.append(CalendarWarning("after_national", kind, day, cal.national, NATIONAL_BY))
    if org is not None:
        for kind in KINDS:
            mine, theirs = cal.get(kind), org.get(kind)
            if mine.source in ("cell", "derived") and mine.day > theirs.day:
                out.append(CalendarWarning("later_than_org", kind, mine.day, theirs.day))
    return out
