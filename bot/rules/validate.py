"""A batch JSON document -> a typed `Unit`, or every problem in it (batch-rating.md, "Input").

Each problem is one line that starts with the member id, or with `file` for the whole file
(`file: rulebook: unknown value '2031'`, `m07 ballot: votes 14 + invalid 0 != collected 13`,
`file: members[3] id: missing`). Unknown keys are errors; an optional key set to null is the
same as an absent one. Numbers are exact: JSON fractions arrive as `Decimal` (or `float`) and
become `Fraction`s; booleans are never numbers.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from typing import NamedTuple, TypeVar

from bot.rules.levels import Grade, Level, MemberKind, MemberStatus, Rulebook
from bot.rules.model import (
    NO_FACTS,
    Ballot,
    Facts,
    HeadException,
    HeadOf,
    MemberInput,
    Number,
    Points,
    PriorShortcomings,
    Round2,
    SelfAssessment,
    Tasks,
    Unit,
    Votes,
)
from bot.rules.plan import DEFAULTS, CapBase, ExcellentCap, Plan, VoteRule
from bot.rules.votes import ballot_problems

E = TypeVar("E", bound=Enum)

_TOP_KEYS = frozenset(("rulebook", "as_of", "plan", "members"))
_PLAN_KEYS = frozenset(
    ("vote_rule", "excellent_cap", "civil_servant_cap", "lost_card_cap", "quorum_more_than_pct")
)
_CAP_KEYS = frozenset(("pct", "base", "small_unit"))
_MEMBER_KEYS = frozenset(
    ("id", "name", "status", "admitted_on", "kind", "cap_group", "self", "facts", "ballot")
)
_SELF_KEYS = frozenset(("criteria", "task_criteria", "points", "indicators", "proposed"))
_POINTS_KEYS = frozenset(("general", "tasks"))
_COUNT_KEYS = ("electorate", "present", "issued", "collected", "invalid")
_BALLOT_KEYS = frozenset((*_COUNT_KEYS, "votes", "round2"))
_VOTE_KEYS = ("HTXSNV", "HTTNV", "HTNV", "KHTNV")
_VOTE_KEY_SET = frozenset(_VOTE_KEYS)
_ROUND2_KEYS = ("yes", "no", "invalid")
_TASKS_KEYS = ("total", "on_time", "late", "not_done", "exceeded")
_PRIOR_KEYS = ("total", "fixed")
_TASKS_KEY_SET, _PRIOR_KEY_SET = frozenset(_TASKS_KEYS), frozenset(_PRIOR_KEYS)
_ROUND2_KEY_SET = frozenset(_ROUND2_KEYS)
_HEAD_KEYS = frozenset(("collective_rating", "exception"))
_FACT_BOOLS = (
    "disciplined",
    "discipline_self_remedied",
    "concluded_decline",
    "violated_prohibitions",
    "maternity",
    "lost_card",
    "lost_card_force_majeure",
)
_FACT_BOOL_SET = frozenset(_FACT_BOOLS)
_FACT_KEYS = frozenset(
    (
        *_FACT_BOOLS,
        "civil_servant_rating",
        "targets_done_pct",
        "targets_exceeded_pct",
        "tasks",
        "prior_shortcomings",
        "sick_leave_months",
        "head_of",
    )
)
_R19, _R23, _R25 = Rulebook.R2019, Rulebook.R2023, Rulebook.R2025
# Keys that only mean something under some rulebooks; elsewhere a value other than null/false
# is rejected rather than silently ignored.
ONLY_UNDER: dict[str, tuple[Rulebook, ...]] = {
    "self.criteria": (_R19, _R23),
    "self.task_criteria": (_R19, _R23),
    "self.points": (_R25,),
    "facts.targets_done_pct": (_R19, _R23),
    "facts.targets_exceeded_pct": (_R23,),
    "facts.tasks": (_R25,),
    "facts.prior_shortcomings": (_R25,),
    "facts.violated_prohibitions": (_R25,),
}
_DETERMINED = {lv.value: lv for lv in Level.determined()}
_EXEMPT, _SUSPENDED = MemberStatus.EXEMPT, MemberStatus.SUSPENDED
_NON_LEADER = MemberKind.NON_LEADER


class InvalidUnit(ValueError):
    """The document cannot be rated; `problems` holds one line per problem, in input order."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# --- reporting -------------------------------------------------------------------------------


class _Report:
    __slots__ = ("lines",)

    def __init__(self) -> None:
        self.lines: list[str] = []

    def bad(self, who: str, field: str, msg: str) -> None:
        """`who` is a member id, `file: members[i]`, or `file` for the whole file."""
        if who == "file":
            self.lines.append(f"file: {field}: {msg}" if field else f"file: {msg}")
        else:
            self.lines.append(f"{who} {field}: {msg}" if field else f"{who}: {msg}")


def _show(x: object) -> str:
    """A JSON value as the user wrote it, short."""
    if x is None:
        return "null"
    if x is True:
        return "true"
    if x is False:
        return "false"
    if isinstance(x, str):
        return repr(x if len(x) <= 40 else x[:37] + "...")
    if isinstance(x, int | Decimal | Fraction | float):
        return f"the number {x}"
    if isinstance(x, list):
        return "a list"
    if isinstance(x, dict):
        return "an object"
    return type(x).__name__


def _choices(values: Mapping[str, object]) -> str:
    return ", ".join(repr(v) for v in values)


# --- primitives ------------------------------------------------------------------------------


def _obj(
    rep: _Report, who: str, field: str, x: object, keys: frozenset[str]
) -> dict[str, object] | None:
    """`x` if it is an object (unknown keys are reported, the object is still returned)."""
    if type(x) is not dict:
        rep.bad(who, field, f"expected an object, got {_show(x)}")
        return None
    if not keys.issuperset(x):
        for k in x:
            if k not in keys:
                hint = difflib.get_close_matches(str(k), sorted(keys), n=1)
                more = f" (did you mean '{hint[0]}'?)" if hint else ""
                rep.bad(who, field, f"unknown key {_show(k)}{more}")
    return x


def _mapping(rep: _Report, who: str, field: str, x: object) -> dict[str, object]:
    """An object with free keys (criterion ids, indicator numbers); {} after a problem."""
    if type(x) is dict:
        return x
    rep.bad(who, field, f"expected an object, got {_show(x)}")
    return {}


def _int(
    rep: _Report, who: str, field: str, x: object, lo: int = 0, hi: int | None = None
) -> int | None:
    if type(x) is not int:
        rep.bad(who, field, f"expected a whole number, got {_show(x)}")
        return None
    if x < lo or (hi is not None and x > hi):
        rng = f">= {lo}" if hi is None else f"from {lo} to {hi}"
        rep.bad(who, field, f"must be {rng}, got {x}")
        return None
    return x


def exact_number(x: object) -> Number | None:
    """A JSON number as an exact int or Fraction (None for anything else, booleans included)."""
    if type(x) is int:
        return x
    if isinstance(x, Fraction):
        v = x
    elif isinstance(x, Decimal):
        if not x.is_finite():
            return None
        n, d = x.as_integer_ratio()  # lowest terms already
        return n if d == 1 else Fraction(n, d)
    elif type(x) is float:
        if not math.isfinite(x):
            return None
        v = Fraction(repr(x))  # the decimal the user wrote, not the binary float
    else:
        return None
    return v.numerator if v.denominator == 1 else v


def _number(
    rep: _Report, who: str, field: str, x: object, lo: int, hi: int, hi_open: bool = False
) -> Number | None:
    v = exact_number(x)
    if v is None:
        rep.bad(who, field, f"expected a number, got {_show(x)}")
        return None
    if v < lo or v > hi or (hi_open and v == hi):
        rng = f"from {lo} to {hi}" + (" (excluded)" if hi_open else "")
        rep.bad(who, field, f"must be {rng}, got {x}")
        return None
    return v


def _bool(rep: _Report, who: str, field: str, x: object) -> bool | None:
    if x is True or x is False:
        return x
    rep.bad(who, field, f"expected true or false, got {_show(x)}")
    return None


def _str(rep: _Report, who: str, field: str, x: object) -> str | None:
    if isinstance(x, str) and x.strip():
        return x
    rep.bad(who, field, f"expected a non-empty string, got {_show(x)}")
    return None


def _enum(rep: _Report, who: str, field: str, x: object, values: Mapping[str, E]) -> E | None:
    if isinstance(x, str) and x in values:
        return values[x]
    if isinstance(x, str):
        rep.bad(who, field, f"unknown value {_show(x)} (expected {_choices(values)})")
    else:
        rep.bad(who, field, f"expected one of {_choices(values)}, got {_show(x)}")
    return None


def _by_value(cls: type[E]) -> dict[str, E]:
    return {str(e.value): e for e in cls}


_RULEBOOKS = _by_value(Rulebook)
_STATUSES = _by_value(MemberStatus)
_KINDS = _by_value(MemberKind)
_GRADES = _by_value(Grade)
_VOTE_RULES = _by_value(VoteRule)
_CAP_BASES = _by_value(CapBase)
_HEAD_EXCEPTIONS = _by_value(HeadException)


def _date(rep: _Report, who: str, field: str, x: object, cache: dict[str, date]) -> date | None:
    if isinstance(x, str):
        d = cache.get(x)
        if d is not None:
            return d
        if len(x) == 10 and x[4] == "-" and x[7] == "-":
            try:
                d = cache[x] = date.fromisoformat(x)
                return d
            except ValueError:
                rep.bad(who, field, f"not a valid date: {_show(x)}")
                return None
    rep.bad(who, field, f"expected a date YYYY-MM-DD, got {_show(x)}")
    return None


# --- the document ----------------------------------------------------------------------------


class UnitHeader(NamedTuple):
    """A document's unit-wide part, valid, and its members still raw."""

    rulebook: Rulebook
    as_of: date
    plan: Plan
    raw_members: list[object]


def _header(rep: _Report, doc: object) -> tuple[Rulebook | None, date | None, Plan, object]:
    top = _obj(rep, "file", "", doc, _TOP_KEYS)
    if top is None:
        raise InvalidUnit(rep.lines)
    rulebook: Rulebook | None = None
    if top.get("rulebook") is None:
        rep.bad("file", "rulebook", "missing")
    else:
        rulebook = _enum(rep, "file", "rulebook", top["rulebook"], _RULEBOOKS)
    as_of: date | None = None
    if top.get("as_of") is None:
        rep.bad("file", "as_of", "missing")
    else:
        as_of = _date(rep, "file", "as_of", top["as_of"], {})
    plan = _plan(rep, top.get("plan"), rulebook or Rulebook.R2019)
    raw_members = top.get("members")
    if raw_members is None:
        rep.bad("file", "members", "missing")
    elif type(raw_members) is not list:
        rep.bad("file", "members", f"expected a list, got {_show(raw_members)}")
    return rulebook, as_of, plan, raw_members


def parse_unit(doc: object) -> Unit:
    """The typed unit of a batch document; raises `InvalidUnit` with every problem."""
    rep = _Report()
    rulebook, as_of, plan, raw_members = _header(rep, doc)
    members: list[MemberInput] = []
    if type(raw_members) is list:
        parser = _MemberParser(rep, rulebook, plan)
        for i, raw in enumerate(raw_members):
            m = parser.member(i, raw)
            if m is not None:
                members.append(m)
    if rep.lines or rulebook is None or as_of is None:
        raise InvalidUnit(rep.lines)
    return Unit(rulebook=rulebook, as_of=as_of, plan=plan, members=tuple(members))


def unit_header(doc: object) -> UnitHeader | None:
    """The unit-wide part of a document when it is valid, else None (`parse_unit` says why).

    With `members_slice` this lets a large unit be validated in parts, in parallel."""
    rep = _Report()
    try:
        rulebook, as_of, plan, raw_members = _header(rep, doc)
    except InvalidUnit:
        return None
    if rep.lines or rulebook is None or as_of is None or type(raw_members) is not list:
        return None
    return UnitHeader(rulebook, as_of, plan, raw_members)


def members_slice(header: UnitHeader, lo: int, hi: int) -> list[MemberInput] | None:
    """The members `lo:hi` when every one of them is valid (ids unique within the slice), else
    None; the caller checks uniqueness across slices and asks `parse_unit` for the problems."""
    rep = _Report()
    parser = _MemberParser(rep, header.rulebook, header.plan)
    out: list[MemberInput] = []
    member = parser.member
    raw = header.raw_members
    for i in range(lo, hi):
        m = member(i, raw[i])
        if m is None:
            return None
        out.append(m)
    return None if rep.lines else out


def _plan(rep: _Report, x: object, rulebook: Rulebook) -> Plan:
    """The rulebook's defaults overlaid with the plan's options (a bad option keeps its default)."""
    d = DEFAULTS[rulebook]
    if x is None:
        return d
    p = _obj(rep, "file", "plan", x, _PLAN_KEYS)
    if p is None:
        return d
    vote_rule, cap = d.vote_rule, d.excellent_cap
    cs_cap, lc_cap, quorum = d.civil_servant_cap, d.lost_card_cap, d.quorum_more_than_pct
    if p.get("vote_rule") is not None:
        vote_rule = _enum(rep, "file", "plan.vote_rule", p["vote_rule"], _VOTE_RULES) or vote_rule
    if p.get("excellent_cap") is not None:
        c = _obj(rep, "file", "plan.excellent_cap", p["excellent_cap"], _CAP_KEYS)
        if c is not None:
            pct, base, small = cap.pct, cap.base, cap.small_unit
            if c.get("pct") is not None:
                pct = _int(rep, "file", "plan.excellent_cap.pct", c["pct"], 1, 100) or pct
            if c.get("base") is not None:
                base = _enum(rep, "file", "plan.excellent_cap.base", c["base"], _CAP_BASES) or base
            if c.get("small_unit") is not None:
                s = _bool(rep, "file", "plan.excellent_cap.small_unit", c["small_unit"])
                small = small if s is None else s
            cap = ExcellentCap(pct=pct, base=base, small_unit=small)
    if p.get("civil_servant_cap") is not None:
        v = _bool(rep, "file", "plan.civil_servant_cap", p["civil_servant_cap"])
        cs_cap = cs_cap if v is None else v
    if p.get("lost_card_cap") is not None:
        v = _bool(rep, "file", "plan.lost_card_cap", p["lost_card_cap"])
        lc_cap = lc_cap if v is None else v
    if p.get("quorum_more_than_pct") is not None:
        q = _number(
            rep, "file", "plan.quorum_more_than_pct", p["quorum_more_than_pct"], 0, 100, True
        )
        quorum = quorum if q is None else q
    return Plan(vote_rule, cap, cs_cap, lc_cap, quorum)


# --- a member --------------------------------------------------------------------------------
# Written for speed as much as for clarity: a unit may hold 200,000 members, so the common,
# well-formed case takes few dictionary probes and builds no message strings.


class _MemberParser:
    __slots__ = ("banned", "banned_facts", "dates", "plan", "rep", "rulebook", "seen")

    def __init__(self, rep: _Report, rulebook: Rulebook | None, plan: Plan) -> None:
        self.rep = rep
        self.rulebook = rulebook
        self.plan = plan
        self.seen: dict[str, int] = {}
        self.dates: dict[str, date] = {}
        # Fields this rulebook does not use (none when the rulebook itself is invalid).
        self.banned = frozenset(
            f
            for f, allowed in ONLY_UNDER.items()
            if rulebook is not None and rulebook not in allowed
        )
        self.banned_facts = frozenset(f[6:] for f in self.banned if f.startswith("facts."))

    def _unused(self, who: str, field: str, x: object) -> bool:
        """True (and a problem) when `field` carries a value its rulebook does not use."""
        if field not in self.banned or x is None or x is False or x == [] or x == {}:
            return False  # nothing said: harmless under any rulebook
        assert self.rulebook is not None
        names = " or ".join(r.value for r in ONLY_UNDER[field])
        self.rep.bad(
            who,
            field,
            f"used only under rulebook {names}; this file is rulebook {self.rulebook.value}",
        )
        return True

    def member(self, i: int, raw: object) -> MemberInput | None:
        rep = self.rep
        if type(raw) is not dict:
            rep.bad("file", f"members[{i}]", f"expected an object, got {_show(raw)}")
            return None
        before = len(rep.lines)
        rid = raw.get("id")
        if type(rid) is str and rid and not rid.isspace() and rid not in self.seen:
            self.seen[rid] = i
            who = rid
        else:
            who = f"file: members[{i}]"
            if type(rid) is str and rid in self.seen:
                rep.bad(
                    who, "id", f"duplicate id {_show(rid)} (first at members[{self.seen[rid]}])"
                )
            elif rid is None and "id" not in raw:
                rep.bad(who, "id", "missing")
            else:
                rep.bad(who, "id", f"expected a non-empty string, got {_show(rid)}")
        if not _MEMBER_KEYS.issuperset(raw):
            _obj(rep, who, "", raw, _MEMBER_KEYS)

        x = raw.get("status")
        status = _STATUSES.get(x) if type(x) is str else None
        if status is None:
            if x is None:
                rep.bad(who, "status", "missing")
            else:
                _enum(rep, who, "status", x, _STATUSES)
        x = raw.get("admitted_on")
        admitted = self.dates.get(x) if type(x) is str else None
        if admitted is None:
            if x is not None:
                admitted = _date(rep, who, "admitted_on", x, self.dates)
            elif status is not None and status is not _EXEMPT and status is not _SUSPENDED:
                rep.bad(
                    who,
                    "admitted_on",
                    "missing (required unless the member is exempt or suspended)",
                )
        x = raw.get("name")
        if x is None or (type(x) is str and x and not x.isspace()):
            name = x or ""
        else:
            name = _str(rep, who, "name", x) or ""
        x = raw.get("kind")
        kind = _KINDS.get(x) if type(x) is str else None
        if kind is None:
            if x is not None:
                _enum(rep, who, "kind", x, _KINDS)
            kind = _NON_LEADER
        x = raw.get("cap_group")
        if x is None:
            group = "default"
        elif type(x) is str and x and not x.isspace():
            group = x
        else:
            group = _str(rep, who, "cap_group", x) or "default"
        x = raw.get("self")
        assessment = None if x is None else self.assessment(who, x)
        x = raw.get("facts")
        facts = NO_FACTS if x is None else (self.facts(who, x) or NO_FACTS)
        x = raw.get("ballot")
        ballot = None if x is None else self.ballot(who, x)

        if len(rep.lines) != before or status is None or type(rid) is not str:
            return None
        return MemberInput(rid, status, admitted, name, kind, group, assessment, facts, ballot)

    # -- self ---------------------------------------------------------------------------------

    def assessment(self, who: str, x: object) -> SelfAssessment | None:
        rep = self.rep
        s = (
            x
            if type(x) is dict and _SELF_KEYS.issuperset(x)
            else _obj(rep, who, "self", x, _SELF_KEYS)
        )
        if s is None:
            return None
        banned = self.banned
        criteria: tuple[tuple[str, Grade], ...] = ()
        raw_c = s.get("criteria")
        if raw_c is not None and not (
            "self.criteria" in banned and self._unused(who, "self.criteria", raw_c)
        ):
            criteria = self._criteria(who, raw_c)
        tasks: frozenset[str] = frozenset()
        raw_t = s.get("task_criteria")
        if raw_t is not None and not (
            "self.task_criteria" in banned and self._unused(who, "self.task_criteria", raw_t)
        ):
            tasks = self._task_criteria(who, raw_t, raw_c)
        if criteria and not tasks and (raw_t is None or raw_t == []):
            rep.bad(
                who,
                "self.task_criteria",
                "missing: name the task-result criteria among self.criteria (at least one)",
            )
        points = None
        raw_p = s.get("points")
        if raw_p is not None and not (
            "self.points" in banned and self._unused(who, "self.points", raw_p)
        ):
            points = self._points(who, raw_p)
        raw_i = s.get("indicators")
        indicators = () if raw_i is None else self._indicators(who, raw_i)
        proposed = None
        x = s.get("proposed")
        if x is not None:
            proposed = _DETERMINED.get(x) if type(x) is str else None
            if proposed is None:
                _enum(rep, who, "self.proposed", x, _DETERMINED)
        return SelfAssessment(criteria, tasks, points, indicators, proposed)

    def _criteria(self, who: str, raw: object) -> tuple[tuple[str, Grade], ...]:
        if type(raw) is not dict:
            _mapping(self.rep, who, "self.criteria", raw)
            return ()
        out: list[tuple[str, Grade]] = []
        for cid, g in raw.items():
            grade = _GRADES.get(g) if type(g) is str else None
            if grade is None:
                _enum(self.rep, who, f"self.criteria.{cid}", g, _GRADES)
            else:
                out.append((cid, grade))
        return tuple(out)

    def _indicators(self, who: str, raw: object) -> tuple[tuple[int, int], ...]:
        rep = self.rep
        if type(raw) is not dict:
            _mapping(rep, who, "self.indicators", raw)
            return ()
        out: list[tuple[int, int]] = []
        for k, lvl in raw.items():
            num = int(k) if k.isdigit() and len(k) <= 2 else 0
            if not 1 <= num <= 27:
                rep.bad(
                    who, "self.indicators", f"unknown indicator {_show(k)} (expected '1' to '27')"
                )
            elif type(lvl) is int and 1 <= lvl <= 5:
                out.append((num, lvl))
            else:
                _int(rep, who, f"self.indicators.{k}", lvl, 1, 5)
        return tuple(out)

    def _task_criteria(self, who: str, raw_t: object, raw_c: object) -> frozenset[str]:
        rep = self.rep
        if type(raw_t) is not list:
            rep.bad(
                who, "self.task_criteria", f"expected a list of criterion ids, got {_show(raw_t)}"
            )
            return frozenset()
        known = raw_c if type(raw_c) is dict else {}
        ok: list[str] = []
        for j, cid in enumerate(raw_t):
            if type(cid) is str and cid in known:
                ok.append(cid)
            elif type(cid) is not str:
                rep.bad(
                    who, f"self.task_criteria[{j}]", f"expected a criterion id, got {_show(cid)}"
                )
            else:
                rep.bad(who, f"self.task_criteria[{j}]", f"{_show(cid)} is not in self.criteria")
        return frozenset(ok)

    def _points(self, who: str, x: object) -> Points | None:
        rep = self.rep
        p = _obj(rep, who, "self.points", x, _POINTS_KEYS)
        if p is None:
            return None
        general = tasks = None
        if p.get("general") is None:
            rep.bad(who, "self.points.general", "missing")
        else:
            general = _number(rep, who, "self.points.general", p["general"], 0, 30)
        if p.get("tasks") is None:
            rep.bad(who, "self.points.tasks", "missing")
        else:
            tasks = _number(rep, who, "self.points.tasks", p["tasks"], 0, 70)
        if general is None or tasks is None:
            return None
        return Points(general, tasks)

    # -- facts --------------------------------------------------------------------------------

    def facts(self, who: str, x: object) -> Facts | None:
        rep = self.rep
        f = (
            x
            if type(x) is dict and _FACT_KEYS.issuperset(x)
            else _obj(rep, who, "facts", x, _FACT_KEYS)
        )
        if f is None:
            return None
        before = len(rep.lines)
        flags: dict[str, bool] = {}
        rating: Level | None = None
        done: Number | None = None
        exceeded: Number | None = None
        sick: Number = 0
        tasks: Tasks | None = None
        prior: PriorShortcomings | None = None
        head: HeadOf | None = None
        banned = self.banned_facts
        for k, v in f.items():  # facts are few per member: visit what is there
            if v is None:
                continue
            field = "facts." + k
            if k in banned and self._unused(who, field, v):
                continue
            if k in _FACT_BOOL_SET:
                if v is True or v is False:
                    flags[k] = v
                else:
                    _bool(rep, who, field, v)
            elif k == "civil_servant_rating":
                rating = _DETERMINED.get(v) if type(v) is str else None
                if rating is None:
                    _enum(rep, who, field, v, _DETERMINED)
            elif k == "targets_done_pct":
                done = _number(rep, who, field, v, 0, 100)
            elif k == "targets_exceeded_pct":
                exceeded = _number(rep, who, field, v, 0, 100)
            elif k == "sick_leave_months":
                sick = _number(rep, who, field, v, 0, 12) or 0
            elif k == "tasks":
                tasks = self._tasks(who, v)
            elif k == "prior_shortcomings":
                prior = self._prior(who, v)
            elif k == "head_of":
                head = self._head(who, v)
        if len(rep.lines) != before:
            return None
        empty = (rating, done, exceeded, tasks, prior, head) == (None,) * 6
        if empty and not sick and not any(flags.values()):
            return NO_FACTS  # lets the caps step skip the member quickly
        return Facts(
            civil_servant_rating=rating,
            disciplined=flags.get("disciplined", False),
            discipline_self_remedied=flags.get("discipline_self_remedied", False),
            concluded_decline=flags.get("concluded_decline", False),
            violated_prohibitions=flags.get("violated_prohibitions", False),
            targets_done_pct=done,
            targets_exceeded_pct=exceeded,
            tasks=tasks,
            prior_shortcomings=prior,
            sick_leave_months=sick,
            maternity=flags.get("maternity", False),
            lost_card=flags.get("lost_card", False),
            lost_card_force_majeure=flags.get("lost_card_force_majeure", False),
            head_of=head,
        )

    def _tasks(self, who: str, x: object) -> Tasks | None:
        rep = self.rep
        d = _obj(rep, who, "facts.tasks", x, _TASKS_KEY_SET)
        if d is None:
            return None
        c = _counts(rep, who, "facts.tasks", d, _TASKS_KEYS, optional=("exceeded",))
        if c is None:
            return None
        total, on_time, late, not_done, exceeded = c
        ok = True
        if on_time + late + not_done != total:
            rep.bad(
                who,
                "facts.tasks",
                f"on_time {on_time} + late {late} + not_done {not_done} != total {total}",
            )
            ok = False
        if exceeded > on_time + late:
            rep.bad(who, "facts.tasks", f"exceeded {exceeded} > on_time {on_time} + late {late}")
            ok = False
        return Tasks(total, on_time, late, not_done, exceeded) if ok else None

    def _prior(self, who: str, x: object) -> PriorShortcomings | None:
        rep = self.rep
        d = _obj(rep, who, "facts.prior_shortcomings", x, _PRIOR_KEY_SET)
        if d is None:
            return None
        c = _counts(rep, who, "facts.prior_shortcomings", d, _PRIOR_KEYS)
        if c is None:
            return None
        total, fixed = c
        if fixed > total:
            rep.bad(who, "facts.prior_shortcomings", f"fixed {fixed} > total {total}")
            return None
        return PriorShortcomings(total, fixed)

    def _head(self, who: str, x: object) -> HeadOf | None:
        rep = self.rep
        d = _obj(rep, who, "facts.head_of", x, _HEAD_KEYS)
        if d is None:
            return None
        rating = None
        if d.get("collective_rating") is None:
            rep.bad(who, "facts.head_of.collective_rating", "missing")
        else:
            rating = _enum(
                rep, who, "facts.head_of.collective_rating", d["collective_rating"], _DETERMINED
            )
        exc = None
        if d.get("exception") is not None:
            exc = _enum(rep, who, "facts.head_of.exception", d["exception"], _HEAD_EXCEPTIONS)
            if exc is None:
                return None
        return None if rating is None else HeadOf(rating, exc)

    # -- ballot -------------------------------------------------------------------------------

    def ballot(self, who: str, x: object) -> Ballot | None:
        rep = self.rep
        d = (
            x
            if type(x) is dict and _BALLOT_KEYS.issuperset(x)
            else _obj(rep, who, "ballot", x, _BALLOT_KEYS)
        )
        if d is None:
            return None
        counts = _counts(rep, who, "ballot", d, _COUNT_KEYS)
        votes = None
        raw_v = d.get("votes")
        if raw_v is None:
            rep.bad(who, "ballot.votes", "missing")
        else:
            v = (
                raw_v
                if type(raw_v) is dict and _VOTE_KEY_SET.issuperset(raw_v)
                else _obj(rep, who, "ballot.votes", raw_v, _VOTE_KEY_SET)
            )
            if v is not None:
                vc = _counts(rep, who, "ballot.votes", v, _VOTE_KEYS, optional=_VOTE_KEYS)
                if vc is not None:
                    votes = Votes(*vc)
        round2 = None
        raw_r = d.get("round2")
        if raw_r is not None:
            r = _obj(rep, who, "ballot.round2", raw_r, _ROUND2_KEY_SET)
            if r is None:
                return None
            rc = _counts(rep, who, "ballot.round2", r, _ROUND2_KEYS, optional=("invalid",))
            if rc is None:
                return None
            round2 = Round2(*rc)
        if counts is None or votes is None:
            return None
        electorate, present, issued, collected, invalid = counts
        b = Ballot(electorate, present, issued, collected, invalid, votes, round2)
        problems = ballot_problems(b, self.plan)
        for field, msg in problems:
            rep.bad(who, f"ballot.{field}" if field else "ballot", msg)
        return None if problems else b


def _counts(
    rep: _Report,
    who: str,
    field: str,
    d: dict[str, object],
    keys: tuple[str, ...],
    optional: tuple[str, ...] = (),
) -> list[int] | None:
    """Non-negative whole numbers under `keys`, in that order (`optional` ones default to 0)."""
    out: list[int] = []
    ok = True
    for k in keys:
        x = d.get(k)
        if type(x) is int and x >= 0:
            out.append(x)
        elif x is None and k in optional:
            out.append(0)
        else:
            ok = False
            if x is None:
                rep.bad(who, f"{field}.{k}", "missing")
            else:
                _int(rep, who, f"{field}.{k}", x)
    return out if ok else None
