"""Rating a leadership collective (bot/rules/collective.py): the cases of seed 001 (1), (3),
seed 004 mục B.III.3 and QĐ 366 Điều 11 for collectives, table-driven, and the invariants."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.batch import reason_text
from bot.rules.collective import (
    RULE_IDS,
    CollectiveFacts,
    CollectiveInput,
    NotRated,
    grades_level,
    load_sheet,
    points_of,
    rate_collective,
)
from bot.rules.levels import Grade, Level, Rulebook
from bot.rules.model import Ballot, Points, Tasks, Votes
from bot.rules.plan import DEFAULTS, VoteRule, plan_for
from bot.texts import strings

AS_OF = date(2026, 12, 20)
R19, R23, R25 = Rulebook.R2019, Rulebook.R2023, Rulebook.R2025
TASKS = frozenset({"i1", "i2", "i6"})
TOP = (("i1", Grade.XS), ("i2", Grade.XS), ("i3", Grade.T), ("i4", Grade.T), ("i6", Grade.XS))


def ballot(xs: int, t: int, tb: int, k: int, present: int | None = None) -> Ballot:
    n = xs + t + tb + k
    p = n if present is None else present
    return Ballot(p, p, n, n, 0, Votes(xs, t, tb, k))


def collective(**kw: object) -> CollectiveInput:
    base: dict[str, object] = {"id": "c", "members": 3, "task_sections": TASKS}
    base.update(kw)
    return CollectiveInput(**base)  # type: ignore[arg-type]


def rate(c: CollectiveInput, rulebook: Rulebook = R19, vote_rule: VoteRule | None = None):  # type: ignore[no-untyped-def]
    return rate_collective(c, rulebook, plan_for(rulebook, vote_rule=vote_rule), AS_OF)


def rules(result: object) -> list[str]:
    return [r.rule for r in result.reasons]  # type: ignore[attr-defined]


# --- who is reviewed and rated ------------------------------------------------------------------


@pytest.mark.parametrize(("members", "reviewed"), [(0, False), (2, False), (3, True), (9, True)])
def test_fewer_than_three_members_are_not_reviewed(members: int, reviewed: bool) -> None:
    r = rate(collective(members=members, grades=TOP, ballot=ballot(3, 0, 0, 0)))
    assert r.reviewed is reviewed and r.rated is reviewed
    if not reviewed:
        assert r.not_rated_reason is NotRated.UNDER_3_MEMBERS and r.proposed is None
        assert rules(r) == ["collective.not_reviewed.small"]


@pytest.mark.parametrize(
    ("formed", "rated"),
    [
        (date(2026, 6, 20), True),  # six full months on 20/12
        (date(2026, 6, 21), False),
        (None, True),
    ],
)
def test_formed_under_six_months_is_reviewed_not_rated(formed: date | None, rated: bool) -> None:
    r = rate(collective(formed_on=formed, grades=TOP, ballot=ballot(3, 0, 0, 0)))
    assert r.reviewed and r.rated is rated
    if not rated:
        assert r.not_rated_reason is NotRated.FORMED_UNDER_6_MONTHS
        assert "21/12/2026" in reason_text(r.reasons[0])


# --- the level the report supports (seed 004 mục B.III.3) ---------------------------------------


@pytest.mark.parametrize(
    ("grades", "level", "rule"),
    [
        (TOP, Level.HTXSNV, "collective.self.htxsnv"),
        # a task-result item only Tốt: HTTNV
        ((("i1", Grade.T), *TOP[1:]), Level.HTTNV, "collective.self.httnv"),
        # another item Trung bình: HTTNV
        ((*TOP[:2], ("i3", Grade.TB), *TOP[3:]), Level.HTTNV, "collective.self.httnv"),
        # a task-result item Trung bình: HTNV
        ((("i1", Grade.TB), *TOP[1:]), Level.HTNV, "collective.self.htnv"),
        # any item Kém: KHTNV
        ((*TOP[:3], ("i4", Grade.K), *TOP[4:]), Level.KHTNV, "collective.self.khtnv"),
    ],
)
def test_grades_against_the_standards(
    grades: tuple[tuple[str, Grade], ...], level: Level, rule: str
) -> None:
    got = grades_level(grades, TASKS)
    assert got is not None and got[0] is level and got[1].rule == rule
    r = rate(collective(grades=grades))  # no ballot: the report's level as a preview
    assert r.self_level is level and r.proposed is level
    assert "collective.proposed.from_self" in rules(r)


# --- ballot, proposal and caps ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rulebook", "facts", "proposed", "cap_rule"),
    [
        (R19, CollectiveFacts(disunity=True), Level.KHTNV, "collective.cap.disunity"),
        (R23, CollectiveFacts(members_declined=1), Level.KHTNV, "collective.cap.member_declined"),
        (
            R19,
            CollectiveFacts(collective_disciplined=True),
            Level.KHTNV,
            "collective.cap.collective_disciplined",
        ),
        (
            R19,
            CollectiveFacts(members_disciplined=1),
            Level.KHTNV,
            "collective.cap.member_disciplined",
        ),
        (
            R23,
            CollectiveFacts(members_disciplined=2, discipline_self_remedied=True),
            Level.HTTNV,
            "collective.cap.member_disciplined_remedied",
        ),
        (R19, CollectiveFacts(targets_done_pct=49), Level.KHTNV, "collective.cap.targets_low"),
        (
            R25,
            CollectiveFacts(personnel_violation=True),
            Level.KHTNV,
            "collective.cap.personnel_violation",
        ),
        (
            R25,
            CollectiveFacts(tasks=Tasks(10, 6, 0, 4)),  # 6/10 done: under 70 %
            Level.KHTNV,
            "collective.cap.tasks_low",
        ),
        (
            R25,
            CollectiveFacts(subordinate_disciplined=True),
            Level.HTTNV,
            "collective.cap.subordinate_disciplined",
        ),
        (
            R19,
            CollectiveFacts(organisation_rating=Level.HTNV),
            Level.HTNV,
            "collective.cap.organisation",
        ),
        (
            R25,
            CollectiveFacts(organisation_rating=Level.HTTNV),
            Level.HTTNV,
            "collective.cap.organisation",
        ),
    ],
)
def test_each_cap_lowers_an_excellent_vote(
    rulebook: Rulebook, facts: CollectiveFacts, proposed: Level, cap_rule: str
) -> None:
    r = rate(collective(facts=facts, ballot=ballot(3, 0, 0, 0)), rulebook)
    assert r.vote_level is Level.HTXSNV
    assert r.proposed is proposed
    assert [c.reason.rule for c in r.caps] == [cap_rule]
    assert "collective.proposed.lowered" in rules(r)


def test_targets_70_percent_is_not_low_in_2025_but_69_is() -> None:
    ok = rate(
        collective(facts=CollectiveFacts(tasks=Tasks(10, 7, 0, 3)), ballot=ballot(2, 1, 0, 0)), R25
    )
    assert not ok.caps
    low = rate(
        collective(facts=CollectiveFacts(tasks=Tasks(100, 69, 0, 31)), ballot=ballot(2, 1, 0, 0)),
        R25,
    )
    assert [c.reason.rule for c in low.caps] == ["collective.cap.tasks_low"]


def test_targets_low_applies_only_to_2019_and_2023() -> None:
    assert not rate(
        collective(facts=CollectiveFacts(targets_done_pct=10), ballot=ballot(3, 0, 0, 0)), R25
    ).caps


@pytest.mark.parametrize(
    ("votes", "level"),
    [
        ((3, 0, 0, 0), Level.HTXSNV),  # 100 % HTXSNV
        ((2, 1, 0, 0), Level.HTTNV),  # 66.7 %: not 70, but HTTNV or higher 100 %
        ((1, 2, 0, 0), Level.HTTNV),
        ((0, 1, 2, 0), Level.HTNV),  # HTTNV+ 33 % < 60, HTNV+ 100 % > 50
        ((0, 0, 1, 2), Level.KHTNV),  # KHTNV 67 % >= 50
    ],
)
def test_the_ballot_decides_under_kh61(votes: tuple[int, int, int, int], level: Level) -> None:
    """Seed 000 §1.4.3, Mẫu 07/09: the collective is rated by the same thresholds."""
    r = rate(collective(grades=TOP, ballot=ballot(*votes)))
    assert r.vote_level is level and r.proposed is level
    assert "collective.proposed.from_vote" in rules(r)


def test_a_forced_khtnv_decides_an_undetermined_vote() -> None:
    # 2/5 HTNV or higher (not more than half), 2/5 KHTNV (under half), 1 invalid: undetermined.
    undetermined = Ballot(5, 5, 5, 5, 1, Votes(1, 0, 1, 2))
    assert rate(collective(ballot=undetermined)).vote_level is Level.UNDETERMINED
    r = rate(collective(ballot=undetermined, facts=CollectiveFacts(disunity=True)))
    assert r.vote_level is Level.UNDETERMINED and r.proposed is Level.KHTNV
    assert "collective.proposed.forced" in rules(r)
    kept = rate(
        collective(ballot=undetermined, facts=CollectiveFacts(organisation_rating=Level.HTNV))
    )
    assert kept.proposed is Level.UNDETERMINED
    assert "collective.proposed.undetermined_kept" in rules(kept)


def test_2025_points_and_vote_the_lower_wins() -> None:
    pts = Points(27, 65)  # 92
    high = rate(collective(points=pts, ballot=ballot(1, 2, 0, 0)), R25)
    assert high.self_level is Level.HTXSNV and high.vote_level is Level.HTTNV
    assert high.proposed is Level.HTTNV and "collective.proposed.lower_of" in rules(high)
    low = rate(collective(points=Points(20, 40), ballot=ballot(3, 0, 0, 0)), R25)
    assert low.self_level is Level.HTNV and low.proposed is Level.HTNV
    assert low.self_points == 60


def test_2025_excellent_points_need_the_task_conditions() -> None:
    # 95 points, but only 2 of 10 tasks exceeded (under 30 %): HTTNV at best.
    facts = CollectiveFacts(tasks=Tasks(10, 10, 0, 0, 2))
    r = rate(collective(points=Points(28, 67), facts=facts), R25)
    assert r.self_level is Level.HTTNV


def test_two_round_vote_rule_applies_to_collectives() -> None:
    b = Ballot(3, 3, 3, 3, 0, Votes(0, 3, 0, 0))
    r = rate(collective(ballot=b), R19, VoteRule.TWO_ROUND)
    assert r.vote_level is Level.HTTNV


# --- the report's sheet -------------------------------------------------------------------------


def test_sheets_of_the_three_rulebooks() -> None:
    s19 = load_sheet(R19)
    assert s19 is load_sheet(R23) or s19.sections == load_sheet(R23).sections
    assert [x.id for x in s19.sections][:6] == ["i1", "i2", "i3", "i4", "i5", "i6"]
    assert s19.task_sections == TASKS
    s25 = load_sheet(R25)
    values = {x.id: Fraction(x.max_points) for x in s25.sections if x.max_points}
    assert points_of(values, s25) == Points(30, 70)
    assert points_of({"g1": Fraction(5)}, s25) is None  # incomplete


def test_every_rule_has_a_text() -> None:
    texts = strings("reasons.yaml")
    assert not [r for r in RULE_IDS if r not in texts]
    assert not [k for k in texts if k.startswith("collective.") and k not in RULE_IDS]


# --- invariants -------------------------------------------------------------------------------


@st.composite
def inputs(draw: st.DrawFn) -> CollectiveInput:
    n = draw(st.integers(0, 12))
    grades = tuple(
        (sid, draw(st.sampled_from(list(Grade)))) for sid in ("i1", "i2", "i3", "i4", "i6")
    )
    votes = [draw(st.integers(0, 6)) for _ in range(4)]
    total = sum(votes)
    b = None if total == 0 else Ballot(total, total, total, total, 0, Votes(*votes))
    facts = CollectiveFacts(
        disunity=draw(st.booleans()),
        members_disciplined=draw(st.integers(0, 2)),
        discipline_self_remedied=draw(st.booleans()),
        targets_done_pct=draw(st.one_of(st.none(), st.integers(0, 100))),
        organisation_rating=draw(st.one_of(st.none(), st.sampled_from(Level.determined()))),
    )
    return CollectiveInput("c", n, None, grades, TASKS, None, facts, b)


@settings(max_examples=200, deadline=None)
@given(inputs())
def test_proposal_never_above_a_cap_nor_the_organisation(c: CollectiveInput) -> None:
    r = rate(c)
    if not r.rated:
        assert r.proposed is None and c.members < 3
        return
    assert r.proposed is not None
    if r.proposed is not Level.UNDETERMINED:
        for cap in r.caps:
            assert r.proposed.rank <= cap.level.rank
        org = c.facts.organisation_rating
        if org is not None:
            assert r.proposed.rank <= org.rank
    for reason in r.reasons:
        assert reason_text(reason)  # every reason renders


@settings(max_examples=150, deadline=None)
@given(inputs(), st.integers(0, 3))
def test_a_vote_moved_up_never_lowers_the_collective(c: CollectiveInput, level: int) -> None:
    if c.ballot is None:
        return
    v = list(c.ballot.votes)
    if level == 0 or v[level] == 0:
        return
    v[level] -= 1
    v[level - 1] += 1
    higher = c._replace(ballot=c.ballot._replace(votes=Votes(*v)))
    a, b = rate(c), rate(higher)
    if a.proposed in (None, Level.UNDETERMINED) or b.proposed in (None, Level.UNDETERMINED):
        return
    assert b.proposed.rank >= a.proposed.rank


def test_plan_defaults_are_the_rulebooks() -> None:
    assert DEFAULTS[R19].vote_rule is VoteRule.KH61
