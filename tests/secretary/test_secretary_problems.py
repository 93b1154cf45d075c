"""The engine's problem lines in Vietnamese: every ballot and fact problem the engine can report
for a one-member document is recognised (never shown in English), and an unknown line is still
shown rather than dropped."""

from __future__ import annotations

from typing import Any

import pytest

from bot.batch import InputErrors, rate_document
from bot.services.problems import _PATTERNS, CHECKS, translate, translate_all
from bot.texts import strings

BALLOTS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({}, {"electorate": 5, "present": 5, "issued": 5, "collected": 5, "invalid": 0,
          "votes": {"HTXSNV": 1}}),
    ({}, {"electorate": 5, "present": 2, "issued": 3, "collected": 4, "invalid": 0,
          "votes": {"HTXSNV": 4}}),
    ({}, {"electorate": 4, "present": 5, "issued": 5, "collected": 5, "invalid": 0,
          "votes": {"HTXSNV": 5}, "round2": {"yes": 1, "no": 0}}),
    ({"vote_rule": "two-round"}, {"electorate": 5, "present": 5, "issued": 5, "collected": 5,
                                  "invalid": 0, "votes": {"HTXSNV": 1, "HTNV": 4},
                                  "round2": {"yes": 5, "no": 1}}),
    ({}, {"electorate": 5, "present": 5, "issued": "5", "collected": -1, "invalid": 0,
          "votes": {"HTXSNV": 5}}),
]  # fmt: skip
FACTS: list[dict[str, Any]] = [
    {"sick_leave_months": 13, "disciplined": "yes", "civil_servant_rating": "Tốt"},
    {"tasks": {"total": 3}, "targets_done_pct": "a lot"},
    {"head_of": {"exception": "boss"}, "prior_shortcomings": {"total": 1, "fixed": 2}},
    {"tasks": {"total": 3, "on_time": 1, "late": 1, "not_done": 0, "exceeded": 3}},
]


ENGLISH = ("expected", "must", "votes", "collected", "issued", "present", "round", "missing", "!=")


def _english(text: str) -> bool:
    """Whether the engine's English survived (a phrase was not recognised)."""
    return any(word in text for word in ENGLISH)


def _problems(rulebook: str, plan: dict[str, Any], member: dict[str, Any]) -> list[str]:
    doc = {
        "rulebook": rulebook,
        "as_of": "2025-12-20",
        "plan": plan,
        "members": [{"id": "17", "status": "official", "admitted_on": "2000-01-01", **member}],
    }
    with pytest.raises(InputErrors) as e:
        rate_document(doc)
    return e.value.problems


@pytest.mark.parametrize("plan,ballot", BALLOTS)
def test_every_ballot_problem_is_said_in_vietnamese(plan: dict, ballot: dict) -> None:
    for line in _problems("2019", plan, {"ballot": ballot}):
        assert not _english(translate(line)), line


@pytest.mark.parametrize("facts", FACTS)
@pytest.mark.parametrize("rulebook", ["2019", "2025"])
def test_every_fact_problem_is_said_in_vietnamese(rulebook: str, facts: dict) -> None:
    for line in _problems(rulebook, {}, {"facts": facts}):
        assert not _english(translate(line)), line


def test_every_phrase_has_a_text_and_unknown_lines_are_kept() -> None:
    known = strings(CHECKS)
    assert all(key in known for _, key in _PATTERNS)
    assert translate("17 ballot: something new") == "phiếu bầu: something new"
    assert translate_all(["17 ballot.votes.HTTNV: missing"] * 2) == [
        "còn thiếu số phiếu «Hoàn thành tốt nhiệm vụ»"
    ]
