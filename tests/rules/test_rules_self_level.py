"""Self level (DOMAIN.md §5.2): 2019/2023 criteria standards, 2023 targets, 2025 point bands."""

from __future__ import annotations

from typing import Any

import pytest
from rules_helpers import ballot, one, rules


def crit(*grades: str, tasks: int = 1) -> dict[str, Any]:
    """Criteria c1..cn with the given grades; the first `tasks` are task-result criteria."""
    criteria = {f"c{i + 1}": g for i, g in enumerate(grades)}
    return {"criteria": criteria, "task_criteria": [f"c{i + 1}" for i in range(tasks)]}


@pytest.mark.parametrize("rulebook", ["2019", "2023"])
@pytest.mark.parametrize(
    ("grades", "tasks", "level"),
    [
        (("XS", "T", "T"), 1, "HTXSNV"),  # task XS, others >= T
        (("XS", "XS", "XS"), 1, "HTXSNV"),
        (("XS", "XS", "T"), 2, "HTXSNV"),
        (("XS", "T", "T"), 2, "HTTNV"),  # a task-result criterion only T
        (("XS", "TB", "T"), 1, "HTTNV"),  # another criterion only TB
        (("T", "TB", "TB"), 1, "HTTNV"),
        (("TB", "XS", "XS"), 1, "HTNV"),  # a task-result criterion at TB
        (("TB", "TB", "TB"), 3, "HTNV"),
        (("XS", "K", "XS"), 1, "KHTNV"),  # any K
        (("K", "T", "T"), 1, "KHTNV"),
    ],
)
def test_criteria_standards(rulebook: str, grades: tuple[str, ...], tasks: int, level: str) -> None:
    facts = {"targets_done_pct": 100, "targets_exceeded_pct": 50} if rulebook == "2023" else {}
    m = one(rulebook, self=crit(*grades, tasks=tasks), facts=facts)
    assert m["self_level"] == level
    assert m["proposed"] == level  # no ballot: the self level is the preview
    assert "proposed.from_self" in rules(m)


@pytest.mark.parametrize(
    ("facts", "level", "unchecked"),
    [
        ({"targets_done_pct": 100, "targets_exceeded_pct": 50}, "HTXSNV", False),  # exact bounds
        ({"targets_done_pct": 100, "targets_exceeded_pct": 49}, "HTTNV", False),
        ({"targets_done_pct": 99, "targets_exceeded_pct": 80}, "HTTNV", False),
        ({}, "HTXSNV", True),  # no figures: allowed, flagged
        ({"targets_done_pct": 100}, "HTXSNV", True),
        ({"targets_exceeded_pct": 60}, "HTXSNV", True),
        ({"targets_exceeded_pct": 40}, "HTTNV", False),  # a given figure too low fails
        ({"targets_done_pct": "99.5"}, "HTTNV", False),
    ],
)
def test_2023_targets_for_htxsnv(facts: dict[str, Any], level: str, unchecked: bool) -> None:
    from decimal import Decimal

    facts = {k: Decimal(v) if isinstance(v, str) else v for k, v in facts.items()}
    m = one("2023", self=crit("XS", "T", "T"), facts=facts)
    assert m["self_level"] == level
    assert ("conditions_unchecked" in m["flags"]) is unchecked


def test_2023_unchecked_only_when_it_could_matter() -> None:
    m = one("2023", self=crit("T", "T", "T"))  # criteria give HTTNV: targets cannot change that
    assert m["self_level"] == "HTTNV" and m["flags"] == []


def test_2019_has_no_targets_condition() -> None:
    m = one("2019", self=crit("XS", "T"))
    assert m["self_level"] == "HTXSNV" and m["flags"] == []


def tasks(
    total: int, on_time: int, late: int = 0, not_done: int = 0, exceeded: int = 0
) -> dict[str, int]:
    return {
        "total": total,
        "on_time": on_time,
        "late": late,
        "not_done": not_done,
        "exceeded": exceeded,
    }


ALL_ON_TIME = tasks(10, 10, exceeded=3)


@pytest.mark.parametrize(
    ("general", "task_points", "facts", "level", "flags"),
    [
        (30, 60, {"tasks": ALL_ON_TIME}, "HTXSNV", []),  # 90 exactly, 30 % exceeded exactly
        ("29.5", 60, {"tasks": ALL_ON_TIME}, "HTTNV", []),  # 89.5
        (20, 50, {"tasks": ALL_ON_TIME}, "HTTNV", []),  # 70 exactly
        ("19.5", 50, {"tasks": ALL_ON_TIME}, "HTNV", []),  # 69.5
        (20, 30, {"tasks": ALL_ON_TIME}, "HTNV", []),  # 50 exactly
        ("19.5", 30, {"tasks": ALL_ON_TIME}, "KHTNV", []),  # 49.5
        (30, 65, {"tasks": tasks(10, 10, exceeded=2)}, "HTTNV", []),  # 20 % exceeded
        (
            30,
            65,
            {"tasks": ALL_ON_TIME, "prior_shortcomings": {"total": 2, "fixed": 1}},
            "HTTNV",
            [],
        ),
        (
            30,
            65,
            {"tasks": ALL_ON_TIME, "prior_shortcomings": {"total": 2, "fixed": 2}},
            "HTXSNV",
            [],
        ),
        (30, 65, {"tasks": tasks(10, 8, late=2, exceeded=5)}, "HTNV", []),  # 20 % late is allowed
        (30, 65, {"tasks": tasks(10, 7, late=3)}, "UNDETERMINED", ["no_level_fits"]),
        (25, 50, {"tasks": tasks(10, 9, not_done=1)}, "UNDETERMINED", ["no_level_fits"]),
        (25, 50, {"tasks": tasks(10, 5, not_done=5)}, "UNDETERMINED", ["no_level_fits"]),  # 50 %
        (30, 65, {"tasks": tasks(10, 4, not_done=6)}, "KHTNV", []),  # more than half not done
        (30, 65, {"tasks": tasks(0, 0)}, "HTXSNV", []),  # no task: every percentage met
        (30, 65, {}, "HTXSNV", ["conditions_unchecked"]),
        (
            30,
            65,
            {"prior_shortcomings": {"total": 1, "fixed": 0}},
            "HTTNV",
            ["conditions_unchecked"],
        ),
        (20, 30, {}, "HTNV", ["conditions_unchecked"]),
        (20, 29, {}, "KHTNV", []),  # below 50: missing task facts cannot change it
    ],
)
def test_2025_bands_and_conditions(
    general: int | str, task_points: int, facts: dict[str, Any], level: str, flags: list[str]
) -> None:
    from decimal import Decimal

    points = {
        "general": Decimal(general) if isinstance(general, str) else general,
        "tasks": task_points,
    }
    m = one("2025", self={"points": points}, facts=facts)
    assert m["self_level"] == level
    assert sorted(m["flags"]) == sorted(flags)


@pytest.mark.parametrize(
    ("general", "tasks_", "printed"),
    [("27.5", 45, 72.5), ("27.5", "62.5", 90), (28, 64, 92), ("0.25", "0.5", 0.75)],
)
def test_points_are_summed_exactly(general: str | int, tasks_: str | int, printed: float) -> None:
    from decimal import Decimal

    def num(x: str | int) -> Decimal | int:
        return Decimal(x) if isinstance(x, str) else x

    m = one("2025", self={"points": {"general": num(general), "tasks": num(tasks_)}})
    assert m["self_points"] == printed
    assert type(m["self_points"]) is type(printed)


def test_points_from_plain_json_floats_are_read_as_written() -> None:
    m = one("2025", self={"points": {"general": 27.3, "tasks": 62.7}})  # 0.1-style binary floats
    assert m["self_points"] == 90 and type(m["self_points"]) is int
    assert m["self_level"] == "HTXSNV"


def test_proposal_from_vote_and_points_2025() -> None:
    pts = {"general": 25, "tasks": 55}  # 80: HTTNV
    m = one("2025", self={"points": pts}, facts={"tasks": ALL_ON_TIME}, ballot=ballot(9, 1, 0, 0))
    assert (m["self_level"], m["vote_level"], m["proposed"]) == ("HTTNV", "HTXSNV", "HTTNV")
    assert "proposed.lower_of" in rules(m)
    m = one("2025", self={"points": pts}, facts={"tasks": ALL_ON_TIME}, ballot=ballot(0, 2, 8, 0))
    assert m["proposed"] == "HTNV"
    m = one(
        "2025",
        self={"points": pts},
        facts={"tasks": ALL_ON_TIME},
        ballot=ballot(1, 2, 2, 4, invalid=1),
    )
    assert (m["vote_level"], m["proposed"]) == ("UNDETERMINED", "UNDETERMINED")
    m = one(
        "2025",
        self={"points": pts},
        facts={"tasks": tasks(10, 7, late=3)},
        ballot=ballot(9, 1, 0, 0),
    )
    assert (m["self_level"], m["proposed"]) == ("UNDETERMINED", "UNDETERMINED")
    m = one("2025", ballot=ballot(9, 1, 0, 0))  # no points: the vote decides
    assert (m["self_level"], m["proposed"]) == (None, "HTXSNV")


@pytest.mark.parametrize("rulebook", ["2019", "2023"])
def test_proposal_2019_2023_is_the_vote(rulebook: str) -> None:
    m = one(rulebook, self=crit("K", "T"), ballot=ballot(9, 1, 0, 0))
    assert (m["self_level"], m["vote_level"], m["proposed"]) == ("KHTNV", "HTXSNV", "HTXSNV")
    assert "proposed.from_vote" in rules(m)


@pytest.mark.parametrize("rulebook", ["2019", "2023", "2025"])
def test_nothing_to_go_on_is_undetermined(rulebook: str) -> None:
    m = one(rulebook)
    assert (m["self_level"], m["vote_level"], m["proposed"], m["final"]) == (
        None,
        None,
        "UNDETERMINED",
        "UNDETERMINED",
    )
    assert rules(m) == ["proposed.nothing"]
