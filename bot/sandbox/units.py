"""Generated batch units (spec/batch-rating.md) for the rating benchmark and the tests.

A seeded RNG builds an organisation of cells of 8-40 members that uses every feature: exempt,
suspended, new and probationary members, self-assessments, indicators, every fact and cap,
ballots at and around the thresholds. Same seed, same unit.
"""

from __future__ import annotations

import random
from typing import Any

LEVELS = ("HTXSNV", "HTTNV", "HTNV", "KHTNV")
REGIMES = (("2019", "kh61-2021", True), ("2023", "hd07-2011", False), ("2025", "two-round", False))


def _votes(rng: random.Random, n: int, two_round: bool) -> dict[str, int]:
    """A cell leans to one level (most voters agree), with a spread that often lands near the
    thresholds; now and then the cell is split (an UNDETERMINED result)."""
    levels = LEVELS[1:] if two_round else LEVELS
    if rng.random() < 0.1:
        weights = [rng.random() for _ in levels]
    else:
        lean = rng.randrange(len(levels))
        agree = rng.uniform(0.45, 0.95)
        weights = [
            agree if i == lean else (1 - agree) / (1 + abs(i - lean)) for i in range(len(levels))
        ]
    counts = dict.fromkeys(LEVELS, 0)
    for level in rng.choices(levels, weights, k=n):
        counts[level] += 1
    return counts


def _ballot(rng: random.Random, electorate: int, vote_rule: str) -> dict[str, Any]:
    # Attendance is high in practice; the quorum (more than half) always holds.
    present = max(electorate // 2 + 1, electorate - rng.randint(0, max(1, electorate // 5)))
    invalid = 1 if rng.random() < 0.05 else 0
    collected = present - invalid
    votes = _votes(rng, collected - invalid, vote_rule == "two-round")
    ballot: dict[str, Any] = {
        "electorate": electorate,
        "present": present,
        "issued": present,
        "collected": collected,
        "invalid": invalid,
        "votes": votes,
    }
    if vote_rule == "two-round" and votes["HTTNV"] * 2 > present and rng.random() < 0.6:
        yes = rng.randint(0, present)
        ballot["round2"] = {"yes": yes, "no": present - yes, "invalid": 0}
    return ballot


def _facts(rng: random.Random, rulebook: str) -> dict[str, Any]:
    f: dict[str, Any] = {}
    r = rng.random
    if r() < 0.3:
        f["civil_servant_rating"] = rng.choice(LEVELS)
    if r() < 0.02:
        f["disciplined"] = True
        f["discipline_self_remedied"] = r() < 0.5
    if r() < 0.01:
        f["concluded_decline"] = True
    if r() < 0.05:
        f["sick_leave_months"] = rng.choice((1, 3, 4, 6))
    if r() < 0.03:
        f["maternity"] = True
    if r() < 0.02:
        f["lost_card"] = True
        f["lost_card_force_majeure"] = r() < 0.3
    if r() < 0.08:
        exc = rng.choice(
            (None, None, "party_post_not_main_job", "new_head_under_3_months", "transferred_in")
        )
        f["head_of"] = {"collective_rating": rng.choice(LEVELS), "exception": exc}
    if rulebook in ("2019", "2023") and r() < 0.5:
        f["targets_done_pct"] = rng.choice((40, 90, 100, 100, 100))
        if rulebook == "2023" and r() < 0.8:
            f["targets_exceeded_pct"] = rng.choice((20, 50, 60))
    if rulebook == "2025":
        if r() < 0.02:
            f["violated_prohibitions"] = True
        if r() < 0.85:
            total = rng.randint(0, 12)
            not_done = rng.choice((0, 0, 0, 1, total // 2 + 1)) if total else 0
            late = rng.randint(0, total - not_done) if r() < 0.3 else 0
            on_time = total - not_done - late
            f["tasks"] = {
                "total": total,
                "on_time": on_time,
                "late": late,
                "not_done": not_done,
                "exceeded": rng.randint(0, on_time + late),
            }
        if r() < 0.4:
            t = rng.randint(0, 4)
            f["prior_shortcomings"] = {"total": t, "fixed": rng.randint(0, t)}
    return f


def _self(rng: random.Random, rulebook: str) -> dict[str, Any]:
    s: dict[str, Any] = {}
    if rulebook == "2025":
        s["points"] = {
            "general": rng.choice((rng.randint(10, 30), rng.randint(20, 59) / 2)),
            "tasks": rng.randint(25, 70),
        }
    else:
        grades = ("XS", "XS", "T", "T", "T", "TB", "K")
        s["criteria"] = {f"c{i}": rng.choice(grades) for i in range(1, rng.randint(3, 7))}
        s["task_criteria"] = ["c1"]
    if rng.random() < 0.5:
        s["indicators"] = {
            str(rng.randint(1, 27)): rng.choice((1, 1, 2, 3, 4, 5)) for _ in range(3)
        }
    s["proposed"] = rng.choice(LEVELS)
    return s


def organisation(
    size: int, rulebook: str, vote_rule: str, per_cell: bool, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    members: list[dict[str, Any]] = []
    cell = 0
    while len(members) < size:
        cell += 1
        n = min(rng.randint(8, 40), size - len(members))
        electorate = max(1, n - rng.randint(0, 2))
        for _ in range(n):
            i = len(members)
            status = rng.choices(
                ("official", "probationary", "exempt", "suspended"), (90, 6, 3, 1)
            )[0]
            year = int(rulebook) if rulebook != "2019" else 2021
            admitted = (
                f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                if status == "probationary" or rng.random() < 0.02
                else f"{rng.randint(1970, 2019)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            )
            m: dict[str, Any] = {
                "id": f"m{i:06d}",
                "name": f"Đảng viên {i}",
                "status": status,
                "admitted_on": admitted,
                "kind": rng.choice(("non_leader", "non_leader", "leader", "outside_system")),
            }
            if per_cell:
                m["cap_group"] = f"chi-bo-{cell}"
            if rng.random() < 0.8:
                m["self"] = _self(rng, rulebook)
            facts = _facts(rng, rulebook)
            if facts:
                m["facts"] = facts
            if rng.random() < 0.9:
                m["ballot"] = _ballot(rng, electorate, vote_rule)
            members.append(m)
    as_of = {"2019": "2021-12-20", "2023": "2023-12-10", "2025": "2025-12-20"}[rulebook]
    return {
        "rulebook": rulebook,
        "as_of": as_of,
        "plan": {"vote_rule": vote_rule},
        "members": members,
    }
