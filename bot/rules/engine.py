"""The per-member pipeline of DOMAIN.md §5 and the unit-wide steps after it.

For each member, in order: who is rated (§5.1), self level (§5.2), vote level (§5.3), the
proposal and the caps from facts (§5.4). Then, across each cap group, the cap on the top level
(§5.5), and over the rated members the organisation's highest allowed level (§5.6).
`rate_unit` is pure: same unit in, same result out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from bot.rules import caps as caps_rules
from bot.rules import eligibility, excellent_cap, organisation, self_level, votes
from bot.rules.caps import member_caps
from bot.rules.eligibility import NotRated, latest_rated_admission, not_rated
from bot.rules.excellent_cap import TOP_CAP, Candidate, allocate
from bot.rules.levels import Level, Rulebook
from bot.rules.model import MemberInput, Number, Unit
from bot.rules.organisation import organisation_level
from bot.rules.plan import Plan
from bot.rules.reasons import Cap, Citation, Flag, Params, Reason, cite
from bot.rules.self_level import SelfOutcome, criteria_level, points_level
from bot.rules.sources import KH61, QD124, QD366
from bot.rules.votes import excellent_votes, vote_level

# Who proposes from what: seed 000 §2.2.3 b (2019); QĐ 124 Điều 11; QĐ 366 Điều 12.
PROCEDURE: dict[Rulebook, Citation] = {
    Rulebook.R2019: cite(KH61, "mục II.2.2.3 b"),
    Rulebook.R2023: cite(QD124, "Điều 11"),
    Rulebook.R2025: cite(QD366, "Điều 12"),
}

RULE_IDS: tuple[str, ...] = (
    "proposed.from_vote",
    "proposed.from_self",
    "proposed.lower_of",
    "proposed.nothing",
    "proposed.lowered",
    "proposed.forced",
    "proposed.undetermined_kept",
)
ALL_RULE_IDS: tuple[str, ...] = (
    eligibility.RULE_IDS
    + self_level.RULE_IDS
    + votes.RULE_IDS
    + RULE_IDS
    + caps_rules.RULE_IDS
    + excellent_cap.RULE_IDS
    + organisation.RULE_IDS
)

# Enum members looked up once: attribute access on an Enum class is slow in hot loops.
HTXSNV, HTTNV, HTNV, KHTNV = Level.HTXSNV, Level.HTTNV, Level.HTNV, Level.KHTNV
UNDETERMINED = Level.UNDETERMINED
R2025 = Rulebook.R2025


@dataclass(slots=True)
class MemberResult:
    """One member's outcome (the `members[]` item of batch-rating.md, before texts)."""

    id: str
    cap_group: str
    rated: bool
    not_rated_reason: NotRated | None = None
    self_level: Level | None = None
    self_points: Number | None = None
    vote_level: Level | None = None
    caps: tuple[Cap, ...] = ()
    proposed: Level | None = None
    final: Level | None = None
    flags: list[Flag] = field(default_factory=list)  # each code once, in the order raised
    reasons: list[Reason] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CapGroupResult:
    group: str
    base: int  # G: members of the group proposed HTTNV or higher, before the cap
    max_excellent: int
    candidates: tuple[str, ...]  # by rank, best first
    selected: tuple[str, ...]
    ties: tuple[str, ...]
    free_places: int
    small_unit: bool  # the small-unit rule gave the place


@dataclass(frozen=True, slots=True)
class OrganisationResult:
    max_level: Level | None  # None when no member is rated
    reason: Reason | None


@dataclass(frozen=True, slots=True)
class UnitResult:
    rulebook: Rulebook
    members: tuple[MemberResult, ...]
    cap_groups: tuple[CapGroupResult, ...]
    organisation: OrganisationResult


def _lower(a: Level, b: Level) -> Level:
    """The lower of two levels; UNDETERMINED if either is."""
    if a is UNDETERMINED or b is UNDETERMINED:
        return UNDETERMINED
    return a if a.rank <= b.rank else b


def _add_flags(flags: list[Flag], new: tuple[Flag, ...]) -> None:
    for f in new:
        if f not in flags:
            flags.append(f)


@lru_cache(maxsize=64)
def _proposal(rule: str, rulebook: Rulebook, level: Level) -> Reason:
    """The proposal's reason when it is one level as it is (shared, not rebuilt per member)."""
    return Reason(rule, PROCEDURE[rulebook], (("level", level),))


def rate_member(
    m: MemberInput, rulebook: Rulebook, plan: Plan, as_of: date, latest: date | None = None
) -> MemberResult:
    """§5.1–§5.4 for one member; `final` is `proposed` until the top-level cap runs.

    `latest` is `eligibility.latest_rated_admission(as_of)`, passed in when rating many.
    """
    skip = not_rated(m, as_of, rulebook, latest)
    if skip is not None:
        return MemberResult(m.id, m.cap_group, False, skip[0], reasons=[skip[1]])

    reasons: list[Reason] = []
    flags: list[Flag] = []
    facts = m.facts
    a = m.assessment

    # §5.2 self level.
    own: SelfOutcome | None = None
    points: Number | None = None
    if a is not None:
        if rulebook is R2025:
            if a.points is not None:
                points = a.points.total
                own = points_level(points, facts)
        else:
            own = criteria_level(a, facts, rulebook)
    self_lvl: Level | None = None
    if own is not None:
        self_lvl = own.level
        reasons.extend(own.reasons)
        if own.flags:
            _add_flags(flags, own.flags)

    # §5.3 vote level.
    vote: Level | None = None
    if m.ballot is not None:
        vote, why = vote_level(m.ballot, plan.vote_rule)
        reasons.append(why)

    # §5.4 proposal: vote (and, in 2025, points), else the self level as a preview.
    proc = PROCEDURE[rulebook]
    if vote is not None:
        if rulebook is R2025 and self_lvl is not None:
            base = _lower(self_lvl, vote)
            params = (("points_level", self_lvl), ("vote_level", vote), ("level", base))
            reasons.append(Reason("proposed.lower_of", proc, params))
        else:
            base = vote
            reasons.append(_proposal("proposed.from_vote", rulebook, vote))
    elif self_lvl is not None:
        base = self_lvl
        reasons.append(_proposal("proposed.from_self", rulebook, self_lvl))
    else:
        base = UNDETERMINED
        reasons.append(Reason("proposed.nothing", proc))

    found = member_caps(facts, a, rulebook, plan)
    proposed = base
    if found.caps:
        reasons.extend(c.reason for c in found.caps)
        binding = min(found.caps, key=lambda c: c.level.rank)  # first of the lowest
        if base is UNDETERMINED:
            if binding.level is KHTNV:
                proposed = KHTNV
                reasons.append(
                    Reason("proposed.forced", binding.reason.cite, (("rule", binding.reason.rule),))
                )
            else:
                params_u = (("cap_level", binding.level),)
                reasons.append(Reason("proposed.undetermined_kept", proc, params_u))
        elif binding.level.rank < base.rank:
            proposed = binding.level
            params_l = (("before", base), ("level", binding.level), ("rule", binding.reason.rule))
            reasons.append(Reason("proposed.lowered", binding.reason.cite, params_l))
    if found.flags:
        _add_flags(flags, found.flags)
    reasons.extend(found.reasons)

    # Positional: this runs once per member (id, cap_group, rated, not_rated_reason,
    # self_level, self_points, vote_level, caps, proposed, final, flags, reasons).
    return MemberResult(
        m.id,
        m.cap_group,
        True,
        None,
        self_lvl,
        points,
        vote,
        found.caps,
        proposed,
        proposed,
        flags,
        reasons,
    )


@dataclass(slots=True)
class GroupTally:
    """What the cap on the top level needs of one cap group: G and the HTXSNV candidates."""

    base: int = 0  # members of the group proposed HTTNV or higher, before the cap
    candidates: list[Candidate] = field(default_factory=list)  # in member order


class CapDecision(NamedTuple):
    """The top-level cap's word on one candidate: its reason, and whether it drops to HTTNV."""

    id: str
    demoted: bool
    tie: bool
    reason: Reason


def rate_members(
    members: Sequence[MemberInput], rulebook: Rulebook, plan: Plan, as_of: date
) -> list[MemberResult]:
    """§5.1–§5.4 for each member (no cross-member step)."""
    latest = latest_rated_admission(as_of)
    return [rate_member(m, rulebook, plan, as_of, latest) for m in members]


def tally_groups(
    members: Sequence[MemberInput],
    results: Sequence[MemberResult],
    rulebook: Rulebook,
    plan: Plan,
    into: dict[str, GroupTally] | None = None,
) -> dict[str, GroupTally]:
    """Count each cap group's base and collect its HTXSNV candidates, groups in order of first
    appearance. Tallying consecutive slices of the members `into` one dict gives the same
    result as tallying them all at once."""
    groups: dict[str, GroupTally] = {} if into is None else into
    rule = plan.vote_rule
    ranked_by_points = rulebook is R2025
    for m, r in zip(members, results, strict=True):
        grp = groups.get(r.cap_group)
        if grp is None:
            grp = groups[r.cap_group] = GroupTally()
        p = r.proposed
        if p is HTXSNV or p is HTTNV:
            grp.base += 1
            if p is HTXSNV:
                points = r.self_points if ranked_by_points else None
                if m.ballot is not None:
                    v, of = excellent_votes(m.ballot, rule)
                    grp.candidates.append(Candidate(m.id, v, of, points))
                else:
                    grp.candidates.append(Candidate(m.id, None, None, points))
    return groups


def merge_tallies(parts: Iterable[dict[str, GroupTally]]) -> dict[str, GroupTally]:
    """The tallies of consecutive slices of the members, as one (the order of `parts`)."""
    merged: dict[str, GroupTally] = {}
    for part in parts:
        for name, t in part.items():
            m = merged.get(name)
            if m is None:
                merged[name] = GroupTally(t.base, list(t.candidates))
            else:
                m.base += t.base
                m.candidates.extend(t.candidates)
    return merged


def top_cap(
    name: str, grp: GroupTally, plan: Plan, rulebook: Rulebook
) -> tuple[CapGroupResult, list[CapDecision]]:
    """§5.5 for one cap group: the group's result and a decision per candidate."""
    alloc = allocate(grp.base, grp.candidates, plan.excellent_cap)
    c = TOP_CAP[rulebook]
    common: Params = (
        ("max", alloc.max_excellent),
        ("base", alloc.base),
        ("group", name),
        ("small_unit", int(alloc.small_unit)),
    )
    decisions = [
        CapDecision(x.id, False, False, Reason("top_cap.selected", c, _cand_params(x) + common))
        for x in alloc.selected
    ]
    decisions += [
        CapDecision(x.id, True, False, Reason("top_cap.over", c, _cand_params(x) + common))
        for x in alloc.over
    ]
    tie_params: Params = (("tied", len(alloc.ties)), ("free", alloc.free_places))
    decisions += [
        CapDecision(
            x.id, True, True, Reason("top_cap.tie", c, _cand_params(x) + common + tie_params)
        )
        for x in alloc.ties
    ]
    result = CapGroupResult(
        group=name,
        base=alloc.base,
        max_excellent=alloc.max_excellent,
        candidates=tuple(x.id for x in alloc.ranked),
        selected=tuple(x.id for x in alloc.selected),
        ties=tuple(x.id for x in alloc.ties),
        free_places=alloc.free_places,
        small_unit=alloc.small_unit,
    )
    return result, decisions


def apply_decision(r: MemberResult, d: CapDecision) -> None:
    """Write a top-level cap decision into the candidate's result."""
    if d.demoted:
        r.final = HTTNV
    if d.tie and Flag.TIE_AT_CAP not in r.flags:
        r.flags.append(Flag.TIE_AT_CAP)
    r.reasons.append(d.reason)


def organisation_result(finals: Iterable[Level]) -> OrganisationResult:
    """§5.6 over the rated members' final levels."""
    org = organisation_level(finals)
    return OrganisationResult(None, None) if org is None else OrganisationResult(*org)


def rate_unit(unit: Unit) -> UnitResult:
    """Rate every member of the unit, apply the top-level cap per group, rate the organisation.

    Member ids must be unique (the validator checks it for batch files).
    """
    rulebook, plan = unit.rulebook, unit.plan
    if len({m.id for m in unit.members}) != len(unit.members):
        raise ValueError("member ids must be unique within a unit")
    results = rate_members(unit.members, rulebook, plan, unit.as_of)
    tallies = tally_groups(unit.members, results, rulebook, plan)
    by_id = {r.id: r for r in results if r.proposed is HTXSNV}
    cap_results = []
    for name, grp in tallies.items():
        group_result, decisions = top_cap(name, grp, plan, rulebook)
        for d in decisions:
            apply_decision(by_id[d.id], d)
        cap_results.append(group_result)
    org = organisation_result(r.final for r in results if r.rated and r.final is not None)
    return UnitResult(rulebook, tuple(results), tuple(cap_results), org)


def _cand_params(cand: Candidate) -> Params:
    return (("votes", cand.votes), ("of", cand.of), ("points", cand.points))
