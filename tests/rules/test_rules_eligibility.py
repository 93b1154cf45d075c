"""Who is rated (DOMAIN.md §5.1): status, and six full calendar months with month-end clamping."""

from __future__ import annotations

from datetime import date

import pytest
from rules_helpers import ballot, doc, member, rated

from bot.rules.eligibility import add_months, latest_rated_admission, rated_from


@pytest.mark.parametrize(
    ("admitted", "as_of", "is_rated"),
    [
        ("2021-06-20", "2021-12-20", True),  # exactly six months
        ("2021-06-21", "2021-12-20", False),  # one day short
        ("2021-08-31", "2022-02-28", True),  # 08-31 + 6 months clamps to 02-28
        ("2021-08-31", "2022-02-27", False),
        ("2021-08-29", "2022-02-28", True),  # clamped too
        ("2019-08-31", "2020-02-29", True),  # leap year: clamps to 02-29
        ("2019-08-31", "2020-02-28", False),
        ("2021-12-31", "2022-06-30", True),
        ("2021-12-31", "2022-06-29", False),
        ("2021-01-31", "2021-07-31", True),
        ("2021-07-01", "2021-12-31", False),
        ("2021-12-21", "2021-12-20", False),  # admitted after the rating date
    ],
)
def test_six_full_months(admitted: str, as_of: str, is_rated: bool) -> None:
    m = member("m", admitted_on=admitted, ballot=ballot(0, 8, 2, 0))
    out = rated(doc("2019", m, as_of=as_of))["m"]
    assert out["rated"] is is_rated
    if not is_rated:
        assert out["not_rated_reason"] == "admitted_under_6_months"
        assert [r["rule"] for r in out["reasons"]] == ["eligibility.under_6_months"]


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2021, 8, 31), 6) == date(2022, 2, 28)
    assert add_months(date(2021, 3, 31), -1) == date(2021, 2, 28)
    assert add_months(date(2021, 12, 15), 1) == date(2022, 1, 15)
    assert add_months(date(2022, 1, 15), -1) == date(2021, 12, 15)


def test_latest_rated_admission_splits_every_date() -> None:
    d = date(2019, 1, 1)
    while d < date(2021, 1, 1):
        latest = latest_rated_admission(d)
        assert rated_from(latest) <= d
        assert rated_from(date.fromordinal(latest.toordinal() + 1)) > d
        d = date.fromordinal(d.toordinal() + 1)


@pytest.mark.parametrize("rulebook", ["2019", "2023", "2025"])
@pytest.mark.parametrize("status", ["exempt", "suspended"])
def test_exempt_and_suspended_are_not_rated(rulebook: str, status: str) -> None:
    m = member("m", status=status, ballot=ballot(9, 1, 0, 0), facts={"disciplined": True})
    del m["admitted_on"]  # not required for them
    out = rated(doc(rulebook, m))["m"]
    assert out == {
        "id": "m",
        "rated": False,
        "not_rated_reason": status,
        "self_level": None,
        "self_points": None,
        "vote_level": None,
        "caps": [],
        "proposed": None,
        "final": None,
        "flags": [],
        "reasons": out["reasons"],
    }
    assert len(out["reasons"]) == 1
    assert out["reasons"][0]["rule"] == f"eligibility.{status}"
    assert out["reasons"][0]["cite"] and out["reasons"][0]["text"]


def test_not_rated_members_stay_out_of_cap_and_organisation() -> None:
    out = rated(
        doc(
            "2019",
            member("a", status="exempt", ballot=ballot(9, 1, 0, 0)),
            member("b", admitted_on="2021-11-01", ballot=ballot(9, 1, 0, 0)),
            member("c", ballot=ballot(0, 0, 1, 9)),
        )
    )
    assert out["a"]["final"] is None and out["b"]["final"] is None
    assert out["c"]["final"] == "KHTNV"
