"""Small builders for batch documents, so each test states only what it is about."""

from __future__ import annotations

from typing import Any

import pytest

from bot.batch import InputErrors, rate_document

AS_OF = {"2019": "2021-12-20", "2023": "2023-12-10", "2025": "2025-12-20"}


def ballot(
    xs: int = 0,
    tt: int = 0,
    ht: int = 0,
    kh: int = 0,
    *,
    invalid: int = 0,
    present: int | None = None,
    electorate: int | None = None,
    round2: tuple[int, int, int] | None = None,
) -> dict[str, Any]:
    """A consistent count: issued = collected = votes + invalid; present and electorate default
    to that number."""
    collected = xs + tt + ht + kh + invalid
    present = collected if present is None else present
    electorate = present if electorate is None else electorate
    b: dict[str, Any] = {
        "electorate": electorate,
        "present": present,
        "issued": collected,
        "collected": collected,
        "invalid": invalid,
        "votes": {"HTXSNV": xs, "HTTNV": tt, "HTNV": ht, "KHTNV": kh},
    }
    if round2 is not None:
        b["round2"] = {"yes": round2[0], "no": round2[1], "invalid": round2[2]}
    return b


def member(mid: str, **fields: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"id": mid, "status": "official", "admitted_on": "2010-05-19"}
    m.update(fields)
    return m


def doc(
    rulebook: str,
    *members: dict[str, Any],
    plan: dict[str, Any] | None = None,
    as_of: str | None = None,
) -> dict[str, Any]:
    d: dict[str, Any] = {
        "rulebook": rulebook,
        "as_of": as_of or AS_OF.get(rulebook, "2021-12-20"),
        "members": list(members),
    }
    if plan is not None:
        d["plan"] = plan
    return d


def rate(d: dict[str, Any]) -> dict[str, Any]:
    return rate_document(d)


def rated(d: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The output members by id."""
    return {m["id"]: m for m in rate_document(d)["members"]}


def one(rulebook: str, plan: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """Rate a unit of one member `m` and return its output."""
    return rated(doc(rulebook, member("m", **fields), plan=plan))["m"]


def problems(d: object) -> list[str]:
    with pytest.raises(InputErrors) as err:
        rate_document(d)
    assert err.value.problems, "an InputErrors must list its problems"
    return err.value.problems


def rules(m: dict[str, Any]) -> list[str]:
    return [r["rule"] for r in m["reasons"]]


def cap_rules(m: dict[str, Any]) -> list[str]:
    return [c["rule"] for c in m["caps"]]
