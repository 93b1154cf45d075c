"""The batch file is rated whole or not at all: every problem, one clear line each
(batch-rating.md, "Input" and "Defaults and edge cases")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from rules_helpers import ballot, doc, member, problems, rate

from bot.batch import InputErrors, load_document


def test_unknown_rulebook() -> None:
    assert problems(doc("2031")) == [
        "file: rulebook: unknown value '2031' (expected '2019', '2023', '2025')"
    ]


@pytest.mark.parametrize(
    ("d", "line"),
    [
        ({"as_of": "2021-12-20", "members": []}, "file: rulebook: missing"),
        ({"rulebook": "2019", "members": []}, "file: as_of: missing"),
        ({"rulebook": "2019", "as_of": "2021-12-20"}, "file: members: missing"),
        (
            {"rulebook": 2019, "as_of": "2021-12-20", "members": []},
            "file: rulebook: expected one of",
        ),
        (
            {"rulebook": "2019", "as_of": "2021-02-30", "members": []},
            "file: as_of: not a valid date: '2021-02-30'",
        ),
        (
            {"rulebook": "2019", "as_of": "20211220", "members": []},
            "file: as_of: expected a date YYYY-MM-DD",
        ),
        (
            {"rulebook": "2019", "as_of": "2021-12-20", "members": {}},
            "file: members: expected a list",
        ),
        (
            {"rulebook": "2019", "as_of": "2021-12-20", "members": [], "vote_rul": 1},
            "file: unknown key 'vote_rul'",
        ),
        (
            {"rulebook": "2019", "as_of": "2021-12-20", "members": [7]},
            "file: members[0]: expected an object",
        ),
        ([], "file: expected an object, got a list"),
    ],
)
def test_file_level_problems(d: Any, line: str) -> None:
    got = problems(d)
    assert len(got) == 1 and got[0].startswith(line), got


@pytest.mark.parametrize(
    ("plan", "line"),
    [
        (
            {"vote_rul": "kh61-2021"},
            "file: plan: unknown key 'vote_rul' (did you mean 'vote_rule'?)",
        ),
        ({"vote_rule": "kh61"}, "file: plan.vote_rule: unknown value 'kh61'"),
        (
            {"excellent_cap": {"pct": 0}},
            "file: plan.excellent_cap.pct: must be from 1 to 100, got 0",
        ),
        (
            {"excellent_cap": {"pct": 101}},
            "file: plan.excellent_cap.pct: must be from 1 to 100, got 101",
        ),
        (
            {"excellent_cap": {"pct": True}},
            "file: plan.excellent_cap.pct: expected a whole number, got true",
        ),
        (
            {"excellent_cap": {"pct": Decimal("20.5")}},
            "file: plan.excellent_cap.pct: expected a whole number",
        ),
        ({"excellent_cap": {"base": "all"}}, "file: plan.excellent_cap.base: unknown value 'all'"),
        (
            {"excellent_cap": {"small_unit": 1}},
            "file: plan.excellent_cap.small_unit: expected true or false",
        ),
        ({"excellent_cap": {"size": 1}}, "file: plan.excellent_cap: unknown key 'size'"),
        (
            {"civil_servant_cap": "yes"},
            "file: plan.civil_servant_cap: expected true or false, got 'yes'",
        ),
        ({"lost_card_cap": 0}, "file: plan.lost_card_cap: expected true or false"),
        (
            {"quorum_more_than_pct": 100},
            "file: plan.quorum_more_than_pct: must be from 0 to 100 (excluded)",
        ),
        ({"quorum_more_than_pct": -1}, "file: plan.quorum_more_than_pct: must be from 0 to 100"),
        ([], "file: plan: expected an object, got a list"),
    ],
)
def test_plan_problems(plan: Any, line: str) -> None:
    got = problems(doc("2019", member("m", ballot=ballot(5, 5, 0, 0)), plan=plan))
    assert len(got) == 1 and got[0].startswith(line), got


def test_the_spec_example_line() -> None:
    bad = dict(ballot(9, 3, 1, 1), collected=13, issued=14)
    assert problems(doc("2019", member("m07", ballot=bad))) == [
        "m07 ballot: votes 14 + invalid 0 != collected 13"
    ]


@pytest.mark.parametrize(
    ("change", "line"),
    [
        ({"collected": 11}, "m ballot: votes 10 + invalid 0 != collected 11"),
        ({"invalid": 1}, "m ballot: votes 10 + invalid 1 != collected 10"),
        ({"issued": 9}, "m ballot: collected 10 > issued 9"),
        ({"present": 9, "electorate": 12}, "m ballot: issued 10 > present 9"),
        ({"electorate": 9}, "m ballot: present 10 > electorate 9"),
        (
            {"electorate": 20},
            "m ballot: no quorum: present 10 is not more than 50% of electorate 20",
        ),
        ({"present": -1}, "m ballot.present: must be >= 0, got -1"),
        ({"present": True}, "m ballot.present: expected a whole number, got true"),
        ({"present": "10"}, "m ballot.present: expected a whole number, got '10'"),
        (
            {"present": Decimal("10.0")},
            "m ballot.present: expected a whole number, got the number 10.0",
        ),
        ({"present": None}, "m ballot.present: missing"),
        (
            {"votes": {"HTXSNV": 5, "HTTNV": 5, "HTNV": False}},
            "m ballot.votes.HTNV: expected a whole number, got false",
        ),
        (
            {"votes": {"HTXSNV": 5, "HTT": 5}},
            "m ballot.votes: unknown key 'HTT' (did you mean 'HTTNV'?)",
        ),
        ({"votes": [5, 5]}, "m ballot.votes: expected an object, got a list"),
        ({"count": 1}, "m ballot: unknown key 'count'"),
    ],
)
def test_ballot_problems(change: dict[str, Any], line: str) -> None:
    b = ballot(5, 5, 0, 0)
    b.update(change)
    if change.get("present", 0) is None:
        del b["present"]
    got = problems(doc("2019", member("m", ballot=b)))
    assert line in got, got


def test_quorum_is_strictly_more_than_the_plan_share() -> None:
    ok = member("a", ballot=ballot(3, 3, 0, 0, electorate=10))  # 6 of 10 > 50 %
    assert rate(doc("2019", ok))["members"][0]["rated"]
    assert problems(doc("2019", ok, plan={"quorum_more_than_pct": 60})) == [
        "a ballot: no quorum: present 6 is not more than 60% of electorate 10"
    ]
    assert rate(doc("2019", ok, plan={"quorum_more_than_pct": Decimal("59.9")}))["members"]


def test_two_round_counting_errors() -> None:
    plan = {"vote_rule": "two-round"}
    got = problems(
        doc(
            "2019",
            member("a", ballot=ballot(2, 3, 3, 0)),
            member("b", ballot=ballot(0, 3, 3, 2, round2=(1, 1, 0))),
            member("c", ballot=ballot(0, 5, 3, 0, round2=(5, 3, 1))),
            plan=plan,
        )
    )
    assert got == [
        "a ballot.votes.HTXSNV: round 1 of a two-round ballot has no HTXSNV votes (got 2)",
        "b ballot.round2: round 1 placed the member at HTNV, not HTTNV; "
        "round 2 is only for members at HTTNV",
        "c ballot.round2: yes 5 + no 3 + invalid 1 = 9 > present 8",
    ]
    assert problems(doc("2019", member("d", ballot=ballot(0, 5, 3, 0, round2=(5, 3, 0))))) == [
        "d ballot.round2: only a two-round ballot has a round 2 (vote_rule is kh61-2021)"
    ]


def test_member_level_problems() -> None:
    got = problems(
        doc(
            "2019",
            {"name": "Không mã", "status": "official", "admitted_on": "2010-05-19"},
            {"id": 5, "status": "official", "admitted_on": "2010-05-19"},
            member("m1"),
            member("m1"),
            member("m2", statu="x"),
            member("m3", status="retired", kind="boss", name="", cap_group=" "),
            member("m4", admitted_on="19/05/2010"),
            {"id": "m5", "status": "official"},
        )
    )
    assert got == [
        "file: members[0] id: missing",
        "file: members[1] id: expected a non-empty string, got the number 5",
        "file: members[3] id: duplicate id 'm1' (first at members[2])",
        "m2: unknown key 'statu' (did you mean 'status'?)",
        "m3 status: unknown value 'retired' "
        "(expected 'official', 'probationary', 'exempt', 'suspended')",
        "m3 name: expected a non-empty string, got ''",
        "m3 kind: unknown value 'boss' (expected 'non_leader', 'leader', 'outside_system')",
        "m3 cap_group: expected a non-empty string, got ' '",
        "m4 admitted_on: expected a date YYYY-MM-DD, got '19/05/2010'",
        "m5 admitted_on: missing (required unless the member is exempt or suspended)",
    ]


def test_members_not_rated_are_still_validated() -> None:
    m = member("x", status="exempt", ballot=dict(ballot(1, 1, 1, 1), collected=3))
    assert problems(doc("2019", m)) == ["x ballot: votes 4 + invalid 0 != collected 3"]
    m = member("y", admitted_on="2021-12-01", facts={"sick_leave_months": 13})
    assert problems(doc("2019", m)) == ["y facts.sick_leave_months: must be from 0 to 12, got 13"]


@pytest.mark.parametrize(
    ("rulebook", "fields", "line"),
    [
        (
            "2025",
            {"self": {"points": {"general": 31, "tasks": 60}}},
            "m self.points.general: must be from 0 to 30, got 31",
        ),
        (
            "2025",
            {"self": {"points": {"general": 30, "tasks": Decimal("70.5")}}},
            "m self.points.tasks: must be from 0 to 70, got 70.5",
        ),
        (
            "2025",
            {"self": {"points": {"general": -1, "tasks": 0}}},
            "m self.points.general: must be from 0 to 30, got -1",
        ),
        (
            "2025",
            {"self": {"points": {"general": "27", "tasks": 0}}},
            "m self.points.general: expected a number, got '27'",
        ),
        (
            "2025",
            {"self": {"points": {"general": True, "tasks": 0}}},
            "m self.points.general: expected a number, got true",
        ),
        ("2025", {"self": {"points": {"general": 20}}}, "m self.points.tasks: missing"),
        (
            "2019",
            {"self": {"criteria": {"c1": "A"}, "task_criteria": ["c1"]}},
            "m self.criteria.c1: unknown value 'A'",
        ),
        (
            "2019",
            {"self": {"criteria": {"c1": "XS"}}},
            "m self.task_criteria: missing: name the task-result criteria",
        ),
        (
            "2019",
            {"self": {"criteria": {"c1": "XS"}, "task_criteria": ["c9"]}},
            "m self.task_criteria[0]: 'c9' is not in self.criteria",
        ),
        (
            "2019",
            {"self": {"criteria": {"c1": "XS"}, "task_criteria": "c1"}},
            "m self.task_criteria: expected a list of criterion ids",
        ),
        (
            "2019",
            {"self": {"indicators": {"28": 1}}},
            "m self.indicators: unknown indicator '28' (expected '1' to '27')",
        ),
        (
            "2019",
            {"self": {"indicators": {"3": 6}}},
            "m self.indicators.3: must be from 1 to 5, got 6",
        ),
        (
            "2019",
            {"self": {"proposed": "UNDETERMINED"}},
            "m self.proposed: unknown value 'UNDETERMINED'",
        ),
        (
            "2019",
            {"self": {"propose": "HTTNV"}},
            "m self: unknown key 'propose' (did you mean 'proposed'?)",
        ),
        (
            "2019",
            {"facts": {"disciplined": "yes"}},
            "m facts.disciplined: expected true or false, got 'yes'",
        ),
        (
            "2019",
            {"facts": {"disciplined": 1}},
            "m facts.disciplined: expected true or false, got the number 1",
        ),
        (
            "2019",
            {"facts": {"disciplned": True}},
            "m facts: unknown key 'disciplned' (did you mean 'disciplined'?)",
        ),
        (
            "2019",
            {"facts": {"targets_done_pct": 101}},
            "m facts.targets_done_pct: must be from 0 to 100, got 101",
        ),
        (
            "2019",
            {"facts": {"civil_servant_rating": "UNDETERMINED"}},
            "m facts.civil_servant_rating: unknown value",
        ),
        (
            "2019",
            {"facts": {"sick_leave_months": True}},
            "m facts.sick_leave_months: expected a number, got true",
        ),
        (
            "2019",
            {"facts": {"head_of": {"exception": "transferred_in"}}},
            "m facts.head_of.collective_rating: missing",
        ),
        (
            "2019",
            {"facts": {"head_of": {"collective_rating": "HTNV", "exception": "boss"}}},
            "m facts.head_of.exception: unknown value 'boss'",
        ),
        (
            "2025",
            {"facts": {"tasks": {"total": 10, "on_time": 5, "late": 1, "not_done": 1}}},
            "m facts.tasks: on_time 5 + late 1 + not_done 1 != total 10",
        ),
        (
            "2025",
            {
                "facts": {
                    "tasks": {"total": 2, "on_time": 1, "late": 0, "not_done": 1, "exceeded": 2}
                }
            },
            "m facts.tasks: exceeded 2 > on_time 1 + late 0",
        ),
        (
            "2025",
            {"facts": {"tasks": {"total": 2, "on_time": 2, "late": 0}}},
            "m facts.tasks.not_done: missing",
        ),
        (
            "2025",
            {"facts": {"prior_shortcomings": {"total": 1, "fixed": 2}}},
            "m facts.prior_shortcomings: fixed 2 > total 1",
        ),
        ("2025", {"facts": []}, "m facts: expected an object, got a list"),
    ],
)
def test_field_problems(rulebook: str, fields: dict[str, Any], line: str) -> None:
    got = problems(doc(rulebook, member("m", **fields)))
    assert len(got) == 1 and got[0].startswith(line), got


@pytest.mark.parametrize(
    ("rulebook", "fields", "line"),
    [
        (
            "2019",
            {"self": {"points": {"general": 20, "tasks": 50}}},
            "m self.points: used only under rulebook 2025",
        ),
        (
            "2025",
            {"self": {"criteria": {"c1": "XS"}}},
            "m self.criteria: used only under rulebook 2019 or 2023",
        ),
        (
            "2019",
            {"facts": {"tasks": {"total": 0, "on_time": 0, "late": 0, "not_done": 0}}},
            "m facts.tasks: used only under rulebook 2025",
        ),
        (
            "2023",
            {"facts": {"prior_shortcomings": {"total": 0, "fixed": 0}}},
            "m facts.prior_shortcomings: used only under rulebook 2025",
        ),
        (
            "2025",
            {"facts": {"targets_done_pct": 40}},
            "m facts.targets_done_pct: used only under rulebook 2019 or 2023",
        ),
        (
            "2019",
            {"facts": {"targets_exceeded_pct": 40}},
            "m facts.targets_exceeded_pct: used only under rulebook 2023",
        ),
        (
            "2019",
            {"facts": {"violated_prohibitions": True}},
            "m facts.violated_prohibitions: used only under rulebook 2025",
        ),
    ],
)
def test_fields_of_another_rulebook_are_not_ignored(
    rulebook: str, fields: dict[str, Any], line: str
) -> None:
    got = problems(doc(rulebook, member("m", **fields)))
    assert len(got) == 1 and got[0].startswith(line), got


def test_harmless_values_of_another_rulebook_and_nulls_are_accepted() -> None:
    m = member(
        "m",
        name=None,
        kind=None,
        cap_group=None,
        self=None,
        ballot=None,
        facts={"violated_prohibitions": False, "civil_servant_rating": None, "head_of": None},
    )
    assert rate(doc("2019", m))["members"][0]["proposed"] == "UNDETERMINED"


def test_a_typo_is_reported_with_what_it_leaves_missing() -> None:
    got = problems(doc("2025", member("m", self={"points": {"general": 20, "task": 50}})))
    assert got == [
        "m self.points: unknown key 'task' (did you mean 'tasks'?)",
        "m self.points.tasks: missing",
    ]


def test_every_problem_of_the_file_is_listed_once() -> None:
    got = problems(
        doc(
            "2019",
            member("a", ballot=dict(ballot(5, 5, 0, 0), collected=9)),
            member("b", facts={"disciplined": "no", "lost_card": "no"}),
            member("c", self={"indicators": {"0": 1}}),
        )
    )
    assert got == [
        "a ballot: votes 10 + invalid 0 != collected 9",
        "b facts.disciplined: expected true or false, got 'no'",
        "b facts.lost_card: expected true or false, got 'no'",
        "c self.indicators: unknown indicator '0' (expected '1' to '27')",
    ]
    assert len(set(got)) == len(got)
    assert all("\n" not in line for line in got)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ('{"rulebook": "2019",', "file: malformed JSON: "),
        ("", "file: malformed JSON: "),
        ('{"rulebook": NaN}', "file: malformed JSON: NaN is not a number JSON allows"),
        ('{"a": 1, "a": 2}', "file: malformed JSON: duplicate key 'a' in an object"),
        ("[" * 100_000, "file: malformed JSON: "),
    ],
)
def test_malformed_json(text: str, start: str) -> None:
    with pytest.raises(InputErrors) as err:
        load_document(text)
    assert len(err.value.problems) == 1 and err.value.problems[0].startswith(start), (
        err.value.problems
    )


def test_not_utf8() -> None:
    with pytest.raises(InputErrors) as err:
        load_document(b'{"name": "\xff"}')
    assert err.value.problems[0].startswith("file: not UTF-8 text")


def test_load_document_keeps_fractions_exact() -> None:
    d = load_document('{"x": 27.5, "y": 0.1, "z": 3}')
    assert d == {"x": Decimal("27.5"), "y": Decimal("0.1"), "z": 3}
    assert load_document(b"\xef\xbb\xbf{}") == {}
