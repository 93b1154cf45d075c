"""Rating a leadership collective (tập thể lãnh đạo, quản lý): a chi ủy, a đảng ủy, a ban
thường vụ, or the leadership of an agency.

The pipeline mirrors a member's (DOMAIN.md §5), with the collective's own standards:
- who is reviewed: a collective of fewer than 3 members is not reviewed nor rated (seed 001 (1),
  "không kiểm điểm đối với các tập thể ... có dưới 03 thành viên"); one formed less than six
  full months before the rating date is reviewed but not rated (seed 001 (3), điểm 3.1g);
- the level its own report supports: 2019 / 2023 the levels of the report's items (seed 000
  Mẫu 01) against the standards of seed 004 mục B.III.3 (task-result items all Xuất sắc and the
  others at least Tốt for HTXSNV, ...); 2025 the points of Mẫu 01 (QĐ 366 Phụ lục 1, 30 + 70)
  in the bands of QĐ 366 Điều 11;
- the ballot (seed 000 §1.4.3, Mẫu 07 / 09): the same vote rules as a member's (`votes.py`);
- caps from facts (seed 004 mục B.III.3.4 and B.V.1; QĐ 366 Điều 11, tập thể): disunity, a
  member's decline or discipline, the collective disciplined, too few targets met, and the
  organisation's own level above it;
- the proposal: the vote level (2019 / 2023) or the lower of points and vote (2025), then the
  caps; a forced KHTNV decides even an undetermined vote, as for a member.

Pure: the rating date is an argument; texts come from `templates/reasons.yaml` by rule id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

import yaml

from bot.rules.eligibility import latest_rated_admission, rated_from
from bot.rules.levels import Grade, Level, Rulebook
from bot.rules.model import Ballot, Facts, Number, Points, Tasks
from bot.rules.plan import Plan
from bot.rules.reasons import Cap, Citation, Flag, Param, Params, Reason, cite
from bot.rules.self_level import points_level
from bot.rules.sources import CV123, HD13, KH61, QD366
from bot.rules.votes import RULE_IDS as VOTE_RULE_IDS
from bot.rules.votes import vote_level

MIN_MEMBERS = 3  # seed 001 (1)

# Seed 001 (1) and (3): under 3 members not reviewed; formed under 6 months not rated.
SMALL = cite(CV123, "điểm (1)", (CV123, "điểm (3), tiết 3.1g"))
YOUNG = cite(CV123, "điểm (3), tiết 3.1g")
# Standards of each level for a collective: seed 004 mục B.III.3 (2019; kept under 2023).
STANDARDS = cite(HD13, "mục B.III.3")
KHTNV_CASES = cite(HD13, "mục B.III.3.4")
NO_DISCIPLINE = cite(HD13, "mục B.III.3.1, B.III.3.2")
# The collective is not above its organisation: seed 004 mục B.III.3.1 and B.V.1.
ORGANISATION = cite(HD13, "mục B.III.3.1", (HD13, "mục B.V.1"))
# 2025: points and bands, and the collective's KHTNV cases (QĐ 366 Điều 10, 11; Phụ lục 1).
BANDS_2025 = cite(QD366, "Điều 10, Điều 11, Phụ lục 1")
KHTNV_2025 = cite(QD366, "Điều 11, tập thể lãnh đạo, quản lý")
# Who proposes from what: the collective votes (seed 000 §1.4.3); QĐ 366 Điều 12.
PROCEDURE: dict[Rulebook, Citation] = {
    Rulebook.R2019: cite(KH61, "mục II.1.4.3"),
    Rulebook.R2023: cite(KH61, "mục II.1.4.3"),
    Rulebook.R2025: cite(QD366, "Điều 12"),
}

RULE_IDS: tuple[str, ...] = (
    *(f"collective.{rule}" for rule in VOTE_RULE_IDS),
    "collective.not_reviewed.small",
    "collective.not_rated.young",
    "collective.self.htxsnv",
    "collective.self.httnv",
    "collective.self.htnv",
    "collective.self.khtnv",
    "collective.proposed.from_vote",
    "collective.proposed.from_self",
    "collective.proposed.lower_of",
    "collective.proposed.nothing",
    "collective.proposed.lowered",
    "collective.proposed.forced",
    "collective.proposed.undetermined_kept",
    "collective.cap.disunity",
    "collective.cap.member_declined",
    "collective.cap.collective_disciplined",
    "collective.cap.member_disciplined",
    "collective.cap.member_disciplined_remedied",
    "collective.cap.personnel_violation",
    "collective.cap.targets_low",
    "collective.cap.tasks_low",
    "collective.cap.subordinate_disciplined",
    "collective.cap.organisation",
    "collective.flag.self_remedied",
)

HTXSNV, HTTNV, HTNV, KHTNV = Level.HTXSNV, Level.HTTNV, Level.HTNV, Level.KHTNV
UNDETERMINED = Level.UNDETERMINED


class CollectiveKind(StrEnum):
    """Which leadership collective (seed 000 §1.1.1; seed 004 mục B.III.1)."""

    CHI_UY = "chi_uy"  # chi ủy (cell committee)
    DANG_UY = "dang_uy"  # đảng ủy (ban chấp hành đảng bộ cơ sở)
    BAN_THUONG_VU = "ban_thuong_vu"  # ban thường vụ
    AGENCY = "agency"  # tập thể lãnh đạo cơ quan, đơn vị


class CollectiveRole(StrEnum):
    HEAD = "head"  # người đứng đầu (bí thư)
    DEPUTY = "deputy"  # cấp phó (phó bí thư)
    MEMBER = "member"  # thành viên (cấp ủy viên)


class NotRated(StrEnum):
    UNDER_3_MEMBERS = "under_3_members"
    FORMED_UNDER_6_MONTHS = "formed_under_6_months"


# --- the report's sections (data: bot/rules/catalogs/collective.yaml) -------------------------


class SectionKind(StrEnum):
    GRADED = "graded"  # text and a level Xuất sắc / Tốt / Trung bình / Kém
    POINTS = "points"  # text and points (2025)
    TEXT = "text"
    PROPOSAL = "proposal"  # the proposed level (VII)


class Section(NamedTuple):
    id: str
    heading: str
    kind: SectionKind
    title: str
    task_result: bool = False
    optional: bool = False
    group: str = ""  # 2025: general | tasks
    max_points: int = 0


class Sheet(NamedTuple):
    rulebook: Rulebook
    form: str
    basis: str
    sections: tuple[Section, ...]

    def section(self, sid: str) -> Section | None:
        return next((s for s in self.sections if s.id == sid), None)

    @property
    def task_sections(self) -> frozenset[str]:
        return frozenset(s.id for s in self.sections if s.task_result)


@cache
def load_sheet(rulebook: Rulebook) -> Sheet:
    """The default report sheet of a rulebook (Mẫu 01)."""
    text = resources.files("bot.rules.catalogs").joinpath("collective.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)[rulebook.value]
    sections = tuple(
        Section(
            id=str(s["id"]),
            heading=str(s["heading"]),
            kind=SectionKind(s["kind"]),
            title=str(s["title"]),
            task_result=bool(s.get("task_result", False)),
            optional=bool(s.get("optional", False)),
            group=str(s.get("group", "")),
            max_points=int(s.get("max_points", 0)),
        )
        for s in data["sections"]
    )
    if len({s.id for s in sections}) != len(sections):
        raise ValueError(f"collective.yaml {rulebook.value}: duplicate section ids")
    general = sum(s.max_points for s in sections if s.group == "general")
    tasks = sum(s.max_points for s in sections if s.group == "tasks")
    if rulebook is Rulebook.R2025 and (general, tasks) != (30, 70):
        raise ValueError(f"collective.yaml 2025: points must be 30 + 70, got {general} + {tasks}")
    return Sheet(rulebook, str(data["form"]), str(data["basis"]), sections)


# --- input and output ------------------------------------------------------------------------


class CollectiveFacts(NamedTuple):
    """What caps a collective (seed 004 mục B.III.3.4; QĐ 366 Điều 11); absent: false / none."""

    disunity: bool = False  # competent level concluded internal disunity (mất đoàn kết)
    personnel_violation: bool = False  # 2025: wrongdoing in personnel work, factions, "chạy chức"
    collective_disciplined: bool = False
    members_disciplined: int = 0  # leadership members disciplined in the year (a violation once)
    discipline_self_remedied: bool = False  # those violations self-detected and remedied
    members_declined: int = 0  # members concluded to show signs of decline
    subordinate_disciplined: bool = False  # 2025: a unit directly led disciplined (no HTXSNV)
    targets_done_pct: Number | None = None  # 2019 / 2023: share of targets met
    tasks: Tasks | None = None  # 2025
    organisation_rating: Level | None = None  # the level of the organisation it leads, if known


NO_FACTS = CollectiveFacts()


class CollectiveInput(NamedTuple):
    id: str
    members: int  # members of the collective at the rating date
    formed_on: date | None = None
    grades: tuple[tuple[str, Grade], ...] = ()  # 2019 / 2023: section id -> level
    task_sections: frozenset[str] = frozenset()
    points: Points | None = None  # 2025
    facts: CollectiveFacts = NO_FACTS
    ballot: Ballot | None = None


@dataclass(frozen=True, slots=True)
class CollectiveResult:
    id: str
    reviewed: bool
    rated: bool
    not_rated_reason: NotRated | None
    self_level: Level | None
    self_points: Number | None
    vote_level: Level | None
    caps: tuple[Cap, ...]
    proposed: Level | None
    flags: tuple[Flag, ...]
    reasons: tuple[Reason, ...]


# --- who is reviewed and rated ----------------------------------------------------------------


def not_reviewed(members: int) -> Reason | None:
    """Seed 001 (1): fewer than 3 members at the time of the review: no review, no rating."""
    if members < MIN_MEMBERS:
        return Reason("collective.not_reviewed.small", SMALL, (("members", members),))
    return None


def not_rated_young(formed_on: date | None, as_of: date) -> Reason | None:
    """Seed 001 (3), 3.1g: formed less than six full months before the rating date."""
    if formed_on is None or formed_on <= latest_rated_admission(as_of):
        return None
    params: Params = (
        ("formed_on", formed_on.strftime("%d/%m/%Y")),
        ("rated_from", rated_from(formed_on).strftime("%d/%m/%Y")),
    )
    return Reason("collective.not_rated.young", YOUNG, params)


# --- the level the report supports ------------------------------------------------------------


def grades_level(
    grades: tuple[tuple[str, Grade], ...], task_sections: frozenset[str]
) -> tuple[Level, Reason] | None:
    """Seed 004 mục B.III.3: HTXSNV when the task-result items are all Xuất sắc and the others
    at least Tốt; HTTNV when the task-result items are at least Tốt and the others at least
    Trung bình; HTNV when every item is at least Trung bình; otherwise KHTNV. None without
    grades. (The "no member disciplined" conditions are caps, `collective_caps`.)"""
    if not grades:
        return None
    failed = [s for s, g in grades if g is Grade.K]
    task_below = [s for s, g in grades if s in task_sections and g.rank < Grade.T.rank]
    task_good = [s for s, g in grades if s in task_sections and g is Grade.T]
    other_tb = [s for s, g in grades if s not in task_sections and g is Grade.TB]
    c = STANDARDS
    if failed:
        return KHTNV, Reason("collective.self.khtnv", c, (("sections", _ids(failed)),))
    if task_below:
        return HTNV, Reason("collective.self.htnv", c, (("sections", _ids(task_below)),))
    if task_good or other_tb:
        params: Params = (("task_sections", _ids(task_good)), ("other_sections", _ids(other_tb)))
        return HTTNV, Reason("collective.self.httnv", c, params)
    counts: Params = (
        ("tasks", sum(1 for s, _ in grades if s in task_sections)),
        ("others", sum(1 for s, _ in grades if s not in task_sections)),
    )
    return HTXSNV, Reason("collective.self.htxsnv", c, counts)


def _ids(ids: list[str]) -> str:
    return ", ".join(ids)


# --- caps from facts --------------------------------------------------------------------------


def _cap(level: Level, rule: str, c: Citation, **params: Param) -> Cap:
    return Cap(level, Reason(rule, c, tuple(params.items())))


def collective_caps(
    f: CollectiveFacts, rulebook: Rulebook
) -> tuple[tuple[Cap, ...], tuple[Flag, ...], tuple[Reason, ...]]:
    """Every cap below HTXSNV the facts give, the flags, and the reasons of the flags."""
    caps: list[Cap] = []
    flags: list[Flag] = []
    notes: list[Reason] = []
    r2025 = rulebook is Rulebook.R2025
    forced = KHTNV_2025 if r2025 else KHTNV_CASES
    if f.disunity:
        caps.append(_cap(KHTNV, "collective.cap.disunity", forced))
    if f.members_declined:
        caps.append(_cap(KHTNV, "collective.cap.member_declined", forced, n=f.members_declined))
    if f.collective_disciplined:
        caps.append(_cap(KHTNV, "collective.cap.collective_disciplined", forced))
    if f.members_disciplined:
        n = f.members_disciplined
        if f.discipline_self_remedied:
            # Seed 004 B.III.3.1: HTXSNV only with no member disciplined at all; B.III.3.2-3:
            # HTTNV / HTNV allow a violation self-detected and remedied. QĐ 366: weighed by the
            # deciding level, and no HTXSNV with a leadership member disciplined.
            caps.append(
                _cap(HTTNV, "collective.cap.member_disciplined_remedied", NO_DISCIPLINE, n=n)
            )
            if r2025:
                flags.append(Flag.SELF_REMEDIED)
                notes.append(Reason("collective.flag.self_remedied", KHTNV_2025, (("n", n),)))
        else:
            caps.append(_cap(KHTNV, "collective.cap.member_disciplined", forced, n=n))
    if r2025:
        if f.personnel_violation:
            caps.append(_cap(KHTNV, "collective.cap.personnel_violation", KHTNV_2025))
        t = f.tasks
        done = t.on_time + t.late if t is not None else 0
        if t is not None and t.total and done * 100 < 70 * t.total:
            caps.append(_cap(KHTNV, "collective.cap.tasks_low", KHTNV_2025, done=done, of=t.total))
        if f.subordinate_disciplined:
            caps.append(_cap(HTTNV, "collective.cap.subordinate_disciplined", BANDS_2025))
    elif f.targets_done_pct is not None and f.targets_done_pct < 50:
        caps.append(_cap(KHTNV, "collective.cap.targets_low", forced, done=f.targets_done_pct))
    org = f.organisation_rating
    if org is not None and org is not HTXSNV and org is not UNDETERMINED:
        caps.append(_cap(org, "collective.cap.organisation", ORGANISATION, rating=org))
    return tuple(caps), tuple(flags), tuple(notes)


# --- the whole pipeline -----------------------------------------------------------------------


def collective_vote_reason(why: Reason) -> Reason:
    """A vote rule's reason, said of a vote before a collective (its own text)."""
    return Reason(f"collective.{why.rule}", why.cite, why.params)


def _lower(a: Level, b: Level) -> Level:
    if a is UNDETERMINED or b is UNDETERMINED:
        return UNDETERMINED
    return a if a.rank <= b.rank else b


def rate_collective(
    c: CollectiveInput, rulebook: Rulebook, plan: Plan, as_of: date
) -> CollectiveResult:
    """Who is reviewed, the self level, the vote, the proposal and the caps, with reasons."""
    small = not_reviewed(c.members)
    if small is not None:
        return CollectiveResult(
            c.id, False, False, NotRated.UNDER_3_MEMBERS, None, None, None, (), None, (), (small,)
        )
    young = not_rated_young(c.formed_on, as_of)
    if young is not None:
        return CollectiveResult(
            c.id, True, False, NotRated.FORMED_UNDER_6_MONTHS, None, None, None, (), None, (),
            (young,),
        )  # fmt: skip
    reasons: list[Reason] = []
    flags: list[Flag] = []
    self_lvl: Level | None = None
    points: Number | None = None
    if rulebook is Rulebook.R2025:
        if c.points is not None:
            points = c.points.total
            own = points_level(points, Facts(tasks=c.facts.tasks))
            self_lvl = own.level
            reasons.extend(own.reasons)
            flags.extend(x for x in own.flags if x not in flags)
    else:
        graded = grades_level(c.grades, c.task_sections)
        if graded is not None:
            self_lvl = graded[0]
            reasons.append(graded[1])

    vote: Level | None = None
    if c.ballot is not None:
        vote, why = vote_level(c.ballot, plan.vote_rule)
        reasons.append(collective_vote_reason(why))

    proc = PROCEDURE[rulebook]
    if vote is not None:
        if rulebook is Rulebook.R2025 and self_lvl is not None:
            base = _lower(self_lvl, vote)
            params: Params = (("points_level", self_lvl), ("vote_level", vote), ("level", base))
            reasons.append(Reason("collective.proposed.lower_of", proc, params))
        else:
            base = vote
            reasons.append(Reason("collective.proposed.from_vote", proc, (("level", vote),)))
    elif self_lvl is not None:
        base = self_lvl
        reasons.append(Reason("collective.proposed.from_self", proc, (("level", self_lvl),)))
    else:
        base = UNDETERMINED
        reasons.append(Reason("collective.proposed.nothing", proc))

    caps, cap_flags, notes = collective_caps(c.facts, rulebook)
    proposed = base
    if caps:
        reasons.extend(x.reason for x in caps)
        binding = min(caps, key=lambda x: x.level.rank)
        if base is UNDETERMINED:
            if binding.level is KHTNV:
                proposed = KHTNV
                reasons.append(
                    Reason(
                        "collective.proposed.forced",
                        binding.reason.cite,
                        (("rule", binding.reason.rule),),
                    )
                )
            else:
                reasons.append(
                    Reason(
                        "collective.proposed.undetermined_kept",
                        proc,
                        (("cap_level", binding.level),),
                    )
                )
        elif binding.level.rank < base.rank:
            proposed = binding.level
            lowered: Params = (("before", base), ("level", binding.level))
            reasons.append(Reason("collective.proposed.lowered", binding.reason.cite, lowered))
    flags.extend(x for x in cap_flags if x not in flags)
    reasons.extend(notes)
    return CollectiveResult(
        c.id, True, True, None, self_lvl, points, vote, caps, proposed, tuple(flags),
        tuple(reasons),
    )  # fmt: skip


def points_of(values: Mapping[str, Number], sheet: Sheet) -> Points | None:
    """2025: the general and task-result sums of the report's points (None until all given)."""
    items = [s for s in sheet.sections if s.kind is SectionKind.POINTS]
    if not items or any(s.id not in values for s in items):
        return None
    general: Number = sum((values[s.id] for s in items if s.group == "general"), Fraction(0))
    tasks: Number = sum((values[s.id] for s in items if s.group == "tasks"), Fraction(0))
    return Points(_whole(general), _whole(tasks))


def _whole(x: Number) -> Number:
    if isinstance(x, Fraction) and x.denominator == 1:
        return x.numerator
    return x
