"""Caps and flags from facts (DOMAIN.md §5.4; batch-rating.md "Defaults and edge cases")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from rules_helpers import ballot, cap_rules, one, rules

TOP = ballot(9, 1, 0, 0)  # a vote for HTXSNV
SPLIT = ballot(1, 2, 2, 4, invalid=1)  # an UNDETERMINED vote
RULEBOOKS = ["2019", "2023", "2025"]


@pytest.mark.parametrize(
    ("rulebook", "facts", "proposed", "cap_rule"),
    [
        ("2019", {"disciplined": True}, "KHTNV", "cap.disciplined"),
        ("2023", {"disciplined": True}, "KHTNV", "cap.disciplined"),
        ("2025", {"disciplined": True}, "KHTNV", "cap.disciplined"),
        ("2019", {"concluded_decline": True}, "KHTNV", "cap.decline"),
        ("2023", {"concluded_decline": True}, "KHTNV", "cap.decline"),
        ("2025", {"concluded_decline": True}, "KHTNV", "cap.decline"),
        ("2019", {"targets_done_pct": 49}, "KHTNV", "cap.targets_low"),
        ("2023", {"targets_done_pct": 49}, "KHTNV", "cap.targets_low"),
        ("2025", {"violated_prohibitions": True}, "KHTNV", "cap.prohibitions"),
        (
            "2025",
            {"tasks": {"total": 10, "on_time": 4, "late": 0, "not_done": 6}},
            "KHTNV",
            "cap.tasks_not_done",
        ),
        ("2019", {"civil_servant_rating": "HTTNV"}, "HTTNV", "cap.civil_servant"),
        ("2023", {"civil_servant_rating": "HTNV"}, "HTNV", "cap.civil_servant"),
        ("2025", {"civil_servant_rating": "KHTNV"}, "KHTNV", "cap.civil_servant"),
        ("2019", {"sick_leave_months": 3}, "HTNV", "cap.sick_leave"),
        ("2019", {"lost_card": True}, "HTNV", "cap.lost_card"),
        ("2019", {"head_of": {"collective_rating": "HTTNV"}}, "HTTNV", "cap.head_of"),
        (
            "2023",
            {"head_of": {"collective_rating": "HTNV", "exception": None}},
            "HTNV",
            "cap.head_of",
        ),
        ("2025", {"head_of": {"collective_rating": "HTTNV"}}, "HTTNV", "cap.head_of"),
    ],
)
def test_each_cap_lowers_the_proposal(
    rulebook: str, facts: dict[str, Any], proposed: str, cap_rule: str
) -> None:
    m = one(rulebook, facts=facts, ballot=TOP)
    assert m["vote_level"] == "HTXSNV"
    assert m["proposed"] == proposed
    assert cap_rules(m) == [cap_rule]
    assert m["caps"][0]["level"] == proposed and m["caps"][0]["text"]
    assert cap_rule in rules(m) and "proposed.lowered" in rules(m)


@pytest.mark.parametrize(
    ("rulebook", "facts"),
    [
        ("2019", {"targets_done_pct": 50}),  # 50 % is not under 50 %
        ("2025", {"tasks": {"total": 10, "on_time": 5, "late": 0, "not_done": 5}}),  # 50 % not done
        ("2019", {"sick_leave_months": Decimal("2.9")}),
        ("2023", {"sick_leave_months": 2}),
        ("2019", {"lost_card": True, "lost_card_force_majeure": True}),
        ("2023", {"lost_card": True}),  # plan option, off by default since 2023
        ("2025", {"lost_card": True}),
        ("2019", {"civil_servant_rating": "HTXSNV"}),
        ("2019", {"head_of": {"collective_rating": "HTXSNV"}}),
        ("2019", {"disciplined": False, "concluded_decline": False}),
    ],
)
def test_facts_that_set_no_cap(rulebook: str, facts: dict[str, Any]) -> None:
    m = one(rulebook, facts=facts, ballot=TOP)
    assert m["caps"] == [] and m["proposed"] == "HTXSNV"


@pytest.mark.parametrize("rulebook", RULEBOOKS)
@pytest.mark.parametrize(
    "exception", ["party_post_not_main_job", "new_head_under_3_months", "transferred_in"]
)
def test_head_of_collective_exceptions_in_every_rulebook(rulebook: str, exception: str) -> None:
    m = one(
        rulebook,
        facts={"head_of": {"collective_rating": "HTNV", "exception": exception}},
        ballot=TOP,
    )
    assert m["caps"] == [] and m["proposed"] == "HTXSNV"
    assert f"head.exception.{exception}" in rules(m)


@pytest.mark.parametrize("rulebook", RULEBOOKS)
def test_civil_servant_and_lost_card_caps_are_plan_options(rulebook: str) -> None:
    off = {"civil_servant_cap": False, "lost_card_cap": False}
    m = one(
        rulebook, plan=off, facts={"civil_servant_rating": "HTNV", "lost_card": True}, ballot=TOP
    )
    assert m["caps"] == [] and m["proposed"] == "HTXSNV"
    assert {"civil_servant.cap_off", "lost_card.cap_off"} <= set(rules(m))
    on = {"civil_servant_cap": True, "lost_card_cap": True}
    m = one(rulebook, plan=on, facts={"lost_card": True}, ballot=TOP)
    assert cap_rules(m) == ["cap.lost_card"] and m["proposed"] == "HTNV"


@pytest.mark.parametrize("rulebook", ["2023", "2025"])
def test_sick_leave_since_2023_is_rated_on_actual_work(rulebook: str) -> None:
    m = one(rulebook, facts={"sick_leave_months": 4}, ballot=TOP)
    assert m["caps"] == [] and m["proposed"] == "HTXSNV"
    assert m["flags"] == ["actual_work_only"]


@pytest.mark.parametrize("rulebook", RULEBOOKS)
def test_maternity_is_a_flag_in_every_rulebook(rulebook: str) -> None:
    m = one(rulebook, facts={"maternity": True}, ballot=TOP)
    assert m["flags"] == ["actual_work_only"] and m["caps"] == []


def test_flags_are_listed_once() -> None:
    m = one("2023", facts={"maternity": True, "sick_leave_months": 5}, ballot=TOP)
    assert m["flags"] == ["actual_work_only"]
    assert {"flag.maternity", "flag.sick_leave"} <= set(rules(m))
    m = one(
        "2025",
        facts={
            "disciplined": True,
            "violated_prohibitions": True,
            "discipline_self_remedied": True,
        },
        ballot=TOP,
    )
    assert m["flags"] == ["self_remedied"] and m["caps"] == []


@pytest.mark.parametrize(
    ("rulebook", "facts", "proposed", "flagged"),
    [
        ("2019", {"disciplined": True, "discipline_self_remedied": True}, "KHTNV", False),
        ("2023", {"disciplined": True, "discipline_self_remedied": True}, "HTXSNV", True),
        ("2025", {"disciplined": True, "discipline_self_remedied": True}, "HTXSNV", True),
        ("2025", {"violated_prohibitions": True, "discipline_self_remedied": True}, "HTXSNV", True),
        ("2023", {"concluded_decline": True, "discipline_self_remedied": True}, "KHTNV", False),
        ("2025", {"concluded_decline": True, "discipline_self_remedied": True}, "KHTNV", False),
    ],
)
def test_self_remedied(rulebook: str, facts: dict[str, Any], proposed: str, flagged: bool) -> None:
    m = one(rulebook, facts=facts, ballot=TOP)
    assert m["proposed"] == proposed
    assert ("self_remedied" in m["flags"]) is flagged


@pytest.mark.parametrize("level", [4, 5])
def test_serious_indicators_flag_handling(level: int) -> None:
    m = one("2019", self={"indicators": {"3": 1, "14": level}}, ballot=TOP)
    assert m["flags"] == ["indicator_handling"] and m["proposed"] == "HTXSNV"
    assert "14" in next(r["text"] for r in m["reasons"] if r["rule"] == "flag.indicator_handling")


def test_indicator_level_3_is_not_flagged() -> None:
    assert one("2019", self={"indicators": {"3": 3}}, ballot=TOP)["flags"] == []


def test_caps_lists_every_cap_below_htxsnv_the_lowest_wins() -> None:
    facts = {"civil_servant_rating": "HTTNV", "sick_leave_months": 6, "lost_card": True}
    m = one("2019", facts=facts, ballot=TOP)
    assert cap_rules(m) == ["cap.civil_servant", "cap.sick_leave", "cap.lost_card"]
    assert [c["level"] for c in m["caps"]] == ["HTTNV", "HTNV", "HTNV"]
    assert m["proposed"] == "HTNV"
    # a cap above the vote binds nothing but is still listed
    m = one("2019", facts={"civil_servant_rating": "HTTNV"}, ballot=ballot(0, 2, 8, 0))
    assert cap_rules(m) == ["cap.civil_servant"] and m["proposed"] == "HTNV"
    assert "proposed.lowered" not in rules(m)


@pytest.mark.parametrize("rulebook", RULEBOOKS)
def test_forced_khtnv_replaces_undetermined(rulebook: str) -> None:
    m = one(rulebook, facts={"concluded_decline": True}, ballot=SPLIT)
    assert (m["vote_level"], m["proposed"]) == ("UNDETERMINED", "KHTNV")
    assert "proposed.forced" in rules(m)


@pytest.mark.parametrize("rulebook", RULEBOOKS)
def test_other_caps_leave_undetermined(rulebook: str) -> None:
    m = one(
        rulebook,
        facts={"civil_servant_rating": "HTNV", "head_of": {"collective_rating": "HTTNV"}},
        ballot=SPLIT,
    )
    assert m["proposed"] == "UNDETERMINED"
    assert cap_rules(m) == ["cap.civil_servant", "cap.head_of"]
    assert "proposed.undetermined_kept" in rules(m)


def test_forced_khtnv_replaces_undetermined_points_2025() -> None:
    m = one(
        "2025",
        self={"points": {"general": 25, "tasks": 50}},
        facts={"tasks": {"total": 10, "on_time": 7, "late": 3, "not_done": 0}, "disciplined": True},
    )
    assert (m["self_level"], m["proposed"]) == ("UNDETERMINED", "KHTNV")
    assert "no_level_fits" in m["flags"]


def test_cap_applies_to_the_self_level_preview() -> None:
    m = one(
        "2019",
        self={"criteria": {"c1": "XS", "c2": "T"}, "task_criteria": ["c1"]},
        facts={"lost_card": True},
    )
    assert (m["self_level"], m["proposed"]) == ("HTXSNV", "HTNV")
