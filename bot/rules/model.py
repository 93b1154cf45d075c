"""Typed input of the rating engine: a unit (rulebook, date, plan, members) and each member's
self-assessment, facts and ballot (batch-rating.md, "Input").

These are plain values: the engine never mutates them. They are `NamedTuple`s because a unit
may hold hundreds of thousands of members and these are the cheapest immutable records Python
has. `validate.parse_unit` builds them from a batch JSON document; the database path builds
them from its rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction
from typing import NamedTuple, TypeAlias

from bot.rules.levels import Grade, Level, MemberKind, MemberStatus, Rulebook
from bot.rules.plan import Plan

Number: TypeAlias = int | Fraction  # exact: never a float

# Members of one unit often share an input (the same grades, facts or count): the rules that
# depend only on such a value remember the last few thousand answers (`functools.lru_cache`).
MEMO_SIZE = 1 << 16


class Votes(NamedTuple):
    """Ballots for each level (round 1 of a two-round ballot: `htxsnv` is 0)."""

    htxsnv: int = 0
    httnv: int = 0
    htnv: int = 0
    khtnv: int = 0

    @property
    def total(self) -> int:
        return self.htxsnv + self.httnv + self.htnv + self.khtnv


class Round2(NamedTuple):
    """Round 2 of the two-round ballot: the vote on raising a member at HTTNV to HTXSNV."""

    yes: int
    no: int
    invalid: int = 0


class Ballot(NamedTuple):
    """The cell's secret ballot on one member (bỏ phiếu kín), as counted in the minutes."""

    electorate: int  # official members of the cell, not exempt or suspended
    present: int  # eligible voters present at the vote
    issued: int
    collected: int
    invalid: int
    votes: Votes
    round2: Round2 | None = None


class Tasks(NamedTuple):
    """2025: the year's tasks; on_time + late + not_done == total, exceeded <= on_time + late."""

    total: int
    on_time: int
    late: int
    not_done: int
    exceeded: int = 0


class PriorShortcomings(NamedTuple):
    """2025: shortcomings named at the previous review and how many are fixed."""

    total: int
    fixed: int


class HeadException(StrEnum):
    """Why the head-of-collective cap does not apply (seed 000 §2.3; seed 001 (5))."""

    PARTY_POST_NOT_MAIN_JOB = "party_post_not_main_job"
    NEW_HEAD_UNDER_3_MONTHS = "new_head_under_3_months"
    TRANSFERRED_IN = "transferred_in"


class HeadOf(NamedTuple):
    """The member heads a collective (người đứng đầu) rated `collective_rating`."""

    collective_rating: Level
    exception: HeadException | None = None


class Points(NamedTuple):
    """2025 self-assessed points: general group (max 30) + task-result group (max 70)."""

    general: Number
    tasks: Number

    @property
    def total(self) -> Number:
        """The exact sum; an int when whole (27.5 + 62.5 is 90)."""
        t = self.general + self.tasks
        return t if type(t) is int or t.denominator != 1 else t.numerator


class SelfAssessment(NamedTuple):
    """What the member answered (bản tự kiểm điểm). Criteria are in the order given."""

    criteria: tuple[tuple[str, Grade], ...] = ()  # 2019 / 2023
    task_criteria: frozenset[str] = frozenset()  # ids of the task-result criteria
    points: Points | None = None  # 2025
    indicators: tuple[tuple[int, int], ...] = ()  # indicator number 1..27 -> level 1..5
    proposed: Level | None = None  # the member's own proposal (informational)


class Facts(NamedTuple):
    """Facts that cap or flag a member (DOMAIN.md §5.4); absent means false / none."""

    civil_servant_rating: Level | None = None  # a civil servant is a member with this rating
    disciplined: bool = False
    discipline_self_remedied: bool = False
    concluded_decline: bool = False
    violated_prohibitions: bool = False  # 2025: the 19 prohibitions (QĐ 37) or duty of example
    targets_done_pct: Number | None = None  # 2019 / 2023
    targets_exceeded_pct: Number | None = None  # 2023
    tasks: Tasks | None = None  # 2025
    prior_shortcomings: PriorShortcomings | None = None  # 2025; None means none
    sick_leave_months: Number = 0
    maternity: bool = False
    lost_card: bool = False
    lost_card_force_majeure: bool = False
    head_of: HeadOf | None = None


NO_FACTS = Facts()


class MemberInput(NamedTuple):
    id: str
    status: MemberStatus
    admitted_on: date | None  # None only for exempt or suspended members
    name: str = ""
    kind: MemberKind = MemberKind.NON_LEADER
    cap_group: str = "default"
    assessment: SelfAssessment | None = None  # the JSON `self`
    facts: Facts = NO_FACTS
    ballot: Ballot | None = None


@dataclass(frozen=True, slots=True)
class Unit:
    """Everything one rating run needs: the date is an argument, never the clock."""

    rulebook: Rulebook
    as_of: date
    plan: Plan
    members: tuple[MemberInput, ...]
