"""Invariants of the rating engine over generated units (hypothesis)."""

from __future__ import annotations

import copy
import unicodedata
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.batch import rate_document
from bot.rules.levels import Level
from bot.rules.model import Ballot, Round2, Votes
from bot.rules.plan import VoteRule
from bot.rules.votes import vote_level

RANK = {lv.value: lv.rank for lv in Level.determined()}
LEVELS = ["HTXSNV", "HTTNV", "HTNV", "KHTNV"]
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def rare(draw: st.DrawFn, one_in: int) -> bool:
    """True about once in `one_in` draws (a middle value: hypothesis favours a range's ends)."""
    return draw(st.integers(1, one_in)) == one_in // 2 + 1


def split(draw: st.DrawFn, total: int, parts: int) -> list[int]:
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=parts - 1, max_size=parts - 1)))
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(parts)]


@st.composite
def ballots(draw: st.DrawFn, vote_rule: str, top_heavy: bool = False) -> dict[str, Any]:
    electorate = draw(st.integers(1, 25))
    present = electorate - draw(st.integers(0, (electorate - 1) // 2))  # quorum: more than half
    issued = present - draw(st.integers(0, min(1, present)))
    collected = issued - draw(st.integers(0, min(1, issued)))
    invalid = draw(st.integers(0, min(2, collected)))
    cast = collected - invalid
    levels = 3 if vote_rule == "two-round" else 4
    if top_heavy or draw(st.booleans()):  # a cell that mostly agrees (results near thresholds)
        lean = 0 if top_heavy else draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3][: levels + 3]))
        agree = draw(st.integers(cast * 6 // 10, cast))
        counts = [agree if i == lean else 0 for i in range(levels)]
        for i, extra in enumerate(split(draw, cast - agree, levels)):
            counts[i] += extra
    else:
        counts = split(draw, cast, levels)
    xs, tt, ht, kh = [0, *counts] if vote_rule == "two-round" else counts
    b: dict[str, Any] = {
        "electorate": electorate,
        "present": present,
        "issued": issued,
        "collected": collected,
        "invalid": invalid,
        "votes": {"HTXSNV": xs, "HTTNV": tt, "HTNV": ht, "KHTNV": kh},
    }
    if vote_rule == "two-round" and tt * 2 > present and (top_heavy or draw(st.booleans())):
        yes = draw(st.integers(present // 2 if top_heavy else 0, present))
        no = draw(st.integers(0, present - yes))
        b["round2"] = {"yes": yes, "no": no, "invalid": draw(st.integers(0, present - yes - no))}
    return b


@st.composite
def assessments(draw: st.DrawFn, rulebook: str) -> dict[str, Any]:
    s: dict[str, Any] = {}
    if rulebook == "2025":
        if draw(st.booleans()):
            s["points"] = {
                "general": draw(st.integers(0, 60)) / 2,
                "tasks": draw(st.integers(0, 70)),
            }
    elif draw(st.booleans()):
        n = draw(st.integers(1, 4))
        s["criteria"] = {f"c{i}": draw(st.sampled_from(["XS", "T", "TB", "K"])) for i in range(n)}
        s["task_criteria"] = ["c0"]
    if draw(st.booleans()):
        s["indicators"] = draw(
            st.dictionaries(st.integers(1, 27).map(str), st.integers(1, 5), max_size=3)
        )
    return s


@st.composite
def tasks(draw: st.DrawFn) -> dict[str, int]:
    total = draw(st.integers(0, 10))
    on_time, late, not_done = split(draw, total, 3)
    return {
        "total": total,
        "on_time": on_time,
        "late": late,
        "not_done": not_done,
        "exceeded": draw(st.integers(0, on_time + late)),
    }


@st.composite
def fact_sets(draw: st.DrawFn, rulebook: str) -> dict[str, Any]:
    f: dict[str, Any] = {}
    for key in (
        "disciplined",
        "discipline_self_remedied",
        "concluded_decline",
        "maternity",
        "lost_card",
    ):
        if draw(st.integers(0, 5)) == 0:
            f[key] = True
    if draw(st.integers(0, 3)) == 0:
        f["civil_servant_rating"] = draw(st.sampled_from(LEVELS))
    if draw(st.integers(0, 4)) == 0:
        f["sick_leave_months"] = draw(st.integers(0, 6))
    if draw(st.integers(0, 4)) == 0:
        exc = draw(st.sampled_from([None, "party_post_not_main_job", "transferred_in"]))
        f["head_of"] = {"collective_rating": draw(st.sampled_from(LEVELS)), "exception": exc}
    if rulebook == "2025":
        if draw(st.booleans()):
            f["tasks"] = draw(tasks())
        if draw(st.integers(0, 5)) == 0:
            f["violated_prohibitions"] = True
        if draw(st.integers(0, 3)) == 0:
            t = draw(st.integers(0, 3))
            f["prior_shortcomings"] = {"total": t, "fixed": draw(st.integers(0, t))}
    else:
        if draw(st.integers(0, 2)) == 0:
            f["targets_done_pct"] = draw(st.integers(0, 100))
        if rulebook == "2023" and draw(st.booleans()):
            f["targets_exceeded_pct"] = draw(st.integers(0, 100))
    return f


@st.composite
def units(draw: st.DrawFn, top_heavy: bool = False) -> dict[str, Any]:
    """A valid unit; `top_heavy` units vote most members HTXSNV, to exercise the top cap."""
    rulebook = draw(st.sampled_from(["2019", "2023", "2025"]))
    vote_rule = draw(st.sampled_from(["kh61-2021", "hd07-2011", "two-round"]))
    plan = {
        "vote_rule": vote_rule,
        "excellent_cap": {
            "pct": draw(st.sampled_from([1, 10, 20, 25, 50, 100])),
            "base": draw(st.sampled_from(["good", "good_or_higher"])),
            "small_unit": draw(st.booleans()),
        },
        "civil_servant_cap": draw(st.booleans()),
        "lost_card_cap": draw(st.booleans()),
    }
    members = []
    for i in range(draw(st.integers(0, 14))):
        m: dict[str, Any] = {
            "id": f"m{i}",
            "status": draw(
                st.sampled_from(["official"] * 6 + ["probationary", "exempt", "suspended"])
            ),
            "admitted_on": draw(st.sampled_from(["2001-02-03"] * 5 + ["2021-07-15"])),
            "cap_group": draw(st.sampled_from(["default", "default", "g1", "g2"])),
        }
        if not rare(draw, 6):
            m["ballot"] = draw(ballots(vote_rule, top_heavy and not rare(draw, 4)))
        if draw(st.booleans()):
            m["self"] = draw(assessments(rulebook))
        if rare(draw, 3):
            m["facts"] = draw(fact_sets(rulebook))
        members.append(m)
    return {"rulebook": rulebook, "as_of": "2021-12-20", "plan": plan, "members": members}


def members_by_id(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in out["members"]}


def lower(a: str | None, b: str | None) -> bool:
    """a is a determined level strictly below the determined level b."""
    ra, rb = RANK.get(a or ""), RANK.get(b or "")
    return ra is not None and rb is not None and ra < rb


@settings(SETTINGS, max_examples=300)
@given(st.one_of(units(), units(top_heavy=True), units(top_heavy=True)))
def test_the_top_level_cap_is_never_exceeded(unit: dict[str, Any]) -> None:
    out = rate_document(unit)
    group_of = {m["id"]: m.get("cap_group", "default") for m in unit["members"]}
    ms = out["members"]
    for g in out["cap_groups"]:
        inside = [m for m in ms if group_of[m["id"]] == g["group"] and m["rated"]]
        assert len(g["selected"]) <= g["max_excellent"]
        assert sum(m["final"] == "HTXSNV" for m in inside) <= g["max_excellent"]
        assert g["free_places"] == g["max_excellent"] - len(g["selected"])
        assert g["base"] == sum(m["proposed"] in ("HTXSNV", "HTTNV") for m in inside)
        assert sorted(g["candidates"]) == sorted(
            m["id"] for m in inside if m["proposed"] == "HTXSNV"
        )
        assert set(g["selected"]) | set(g["ties"]) <= set(g["candidates"])
        assert not set(g["selected"]) & set(g["ties"])
        for m in inside:
            if m["id"] in g["selected"]:
                assert m["final"] == "HTXSNV"
            elif m["proposed"] == "HTXSNV":
                assert m["final"] == "HTTNV"
            else:
                assert m["final"] == m["proposed"]
            assert ("tie_at_cap" in m["flags"]) is (m["id"] in g["ties"])
    assert [g["group"] for g in out["cap_groups"]] == list(dict.fromkeys(group_of.values()))


@SETTINGS
@given(units())
def test_every_outcome_is_explained(unit: dict[str, Any]) -> None:
    out = rate_document(unit)
    for m in out["members"]:
        rules = [r["rule"] for r in m["reasons"]]
        for r in m["reasons"]:
            assert r["rule"] and r["cite"] and r["text"]
            assert "{" not in r["text"] and "None" not in r["text"]
            assert unicodedata.is_normalized("NFC", r["text"])
        assert len(m["flags"]) == len(set(m["flags"]))
        if not m["rated"]:
            assert len(m["reasons"]) == 1 and m["caps"] == [] and m["flags"] == []
            assert m["self_level"] is m["vote_level"] is m["proposed"] is m["final"] is None
            continue
        # every member whose final is below its proposal has a reason saying so
        if lower(m["final"], m["proposed"]):
            assert {"top_cap.over", "top_cap.tie"} & set(rules)
        # every cap carries its reason, and a capped proposal says it was lowered
        for cap in m["caps"]:
            assert cap["rule"] in rules and cap["level"] != "HTXSNV" and cap["text"]
        before = m["vote_level"] if m["vote_level"] is not None else m["self_level"]
        if unit["rulebook"] != "2025" and before is not None and m["proposed"] != before:
            assert {"proposed.lowered", "proposed.forced"} & set(rules)
            assert m["caps"]
    if out["organisation"]["max_level"] is None:
        assert not any(m["rated"] for m in out["members"])


@st.composite
def vote_moves(draw: st.DrawFn) -> tuple[str, dict[str, Any], str, str]:
    vote_rule = draw(st.sampled_from(["kh61-2021", "hd07-2011", "two-round"]))
    b = draw(ballots(vote_rule))
    top = 1 if vote_rule == "two-round" else 0
    frm = draw(st.integers(top + 1, 3))
    return vote_rule, b, LEVELS[frm], LEVELS[draw(st.integers(top, frm - 1))]


def _ballot(b: dict[str, Any]) -> Ballot:
    v = b["votes"]
    r2 = b.get("round2")
    return Ballot(
        b["electorate"],
        b["present"],
        b["issued"],
        b["collected"],
        b["invalid"],
        Votes(v["HTXSNV"], v["HTTNV"], v["HTNV"], v["KHTNV"]),
        None if r2 is None else Round2(r2["yes"], r2["no"], r2["invalid"]),
    )


@settings(SETTINGS, max_examples=1000)
@given(vote_moves())
def test_moving_one_vote_up_never_lowers_the_vote_level(
    move: tuple[str, dict[str, Any], str, str],
) -> None:
    vote_rule, b, frm, to = move
    assume(b["votes"][frm] > 0)
    before, _ = vote_level(_ballot(b), VoteRule(vote_rule))
    moved = copy.deepcopy(b)
    moved["votes"][frm] -= 1
    moved["votes"][to] += 1
    after, _ = vote_level(_ballot(moved), VoteRule(vote_rule))
    assert not lower(after.value, before.value), (before, after)
    if after is Level.UNDETERMINED:  # only a KHTNV result can become undecided
        assert before in (Level.UNDETERMINED, Level.KHTNV)


@st.composite
def unit_and_vote_move(draw: st.DrawFn) -> tuple[dict[str, Any], str, str, str]:
    unit = draw(units())
    with_ballot = [m for m in unit["members"] if "ballot" in m]
    if not with_ballot:
        unit["members"].append({"id": "extra", "status": "official", "admitted_on": "2001-02-03"})
        with_ballot = unit["members"][-1:]
        with_ballot[0]["ballot"] = draw(ballots(unit["plan"]["vote_rule"]))
    m = draw(st.sampled_from(with_ballot))
    top = 1 if unit["plan"]["vote_rule"] == "two-round" else 0  # round 1 has no HTXSNV
    frm = draw(st.integers(top + 1, 3))
    to = draw(st.integers(top, frm - 1))
    return unit, m["id"], LEVELS[frm], LEVELS[to]


@SETTINGS
@given(unit_and_vote_move())
def test_moving_one_vote_up_never_lowers_the_result(
    case: tuple[dict[str, Any], str, str, str],
) -> None:
    unit, mid, frm, to = case
    votes = next(m for m in unit["members"] if m["id"] == mid)["ballot"]["votes"]
    assume(votes[frm] > 0)
    before = members_by_id(rate_document(unit))[mid]
    moved = copy.deepcopy(unit)
    mv = next(m for m in moved["members"] if m["id"] == mid)["ballot"]["votes"]
    mv[frm] -= 1
    mv[to] += 1
    after = members_by_id(rate_document(moved))[mid]
    for key in ("vote_level", "proposed", "final"):
        assert not lower(after[key], before[key]), (key, before[key], after[key])
    # only a KHTNV vote can become undecided when a KHTNV vote moves up
    if after["vote_level"] == "UNDETERMINED":
        assert before["vote_level"] in ("UNDETERMINED", "KHTNV")


CAP_FACTS = [
    ("disciplined", True),
    ("concluded_decline", True),
    ("lost_card", True),
    ("sick_leave_months", 3),
    ("civil_servant_rating", "HTXSNV"),
    ("civil_servant_rating", "HTTNV"),
    ("civil_servant_rating", "HTNV"),
    ("civil_servant_rating", "KHTNV"),
    ("head_of", {"collective_rating": "HTNV"}),
    ("head_of", {"collective_rating": "KHTNV", "exception": "transferred_in"}),
    ("targets_done_pct", 30),
    ("violated_prohibitions", True),
]


@settings(SETTINGS, max_examples=300)
@given(units(), st.data())
def test_adding_a_cap_never_raises_the_proposal(unit: dict[str, Any], data: st.DataObject) -> None:
    if not unit["members"]:
        return
    mid = data.draw(st.sampled_from([m["id"] for m in unit["members"]]))
    key, value = data.draw(st.sampled_from(CAP_FACTS))
    rb = unit["rulebook"]
    if (key == "targets_done_pct" and rb == "2025") or (
        key == "violated_prohibitions" and rb != "2025"
    ):
        return
    m = next(m for m in unit["members"] if m["id"] == mid)
    if m.get("facts", {}).get(key):
        return  # already there: not an added cap
    before = members_by_id(rate_document(unit))[mid]
    capped = copy.deepcopy(unit)
    cm = next(m for m in capped["members"] if m["id"] == mid)
    cm.setdefault("facts", {})[key] = value
    after = members_by_id(rate_document(capped))[mid]
    if before["proposed"] is None:
        assert after["proposed"] is None
    elif before["proposed"] == "UNDETERMINED":
        assert after["proposed"] in ("UNDETERMINED", "KHTNV")
    else:
        assert after["proposed"] in RANK and RANK[after["proposed"]] <= RANK[before["proposed"]]
