"""Benchmark of batch rating: `rate_document` (and the JSON parse) on generated organisations.

    .venv/bin/python bench/bench_rate.py            # 2,000 and 200,000 members
    .venv/bin/python bench/bench_rate.py --sizes 2000 20000 --repeat 3

For each size and each regime (2019 with kh61-2021 and one cap group per cell, 2023 with
hd07-2011 and the whole organisation as one group, 2025 with two-round ballots and points) a
seeded RNG builds one organisation of cells of 8-40 members that uses every feature: exempt,
suspended, new and probationary members, self-assessments, indicators, every fact and cap,
ballots at and around the thresholds. Prints a table, then the same figures as JSON.
Goal: 200,000 members rated in under 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.batch import load_document, rate_document

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


def run(sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for size in sizes:
        for rulebook, vote_rule, per_cell in REGIMES:
            doc = organisation(size, rulebook, vote_rule, per_cell, seed=size + int(rulebook))
            raw = json.dumps(doc, ensure_ascii=False).encode("utf-8")
            del doc  # keep only what a real run holds: the bytes, then the parsed document
            parse_s, rate_s, rate_cpu = [], [], []
            for _ in range(repeat):
                t0 = time.perf_counter()
                parsed = load_document(raw)
                t1, c1 = time.perf_counter(), time.process_time()
                out = rate_document(parsed)
                t2, c2 = time.perf_counter(), time.process_time()
                parse_s.append(t1 - t0)
                rate_s.append(t2 - t1)
                rate_cpu.append(c2 - c1)
            assert len(out["members"]) == size
            best = min(rate_s)
            rows.append(
                {
                    "members": size,
                    "rulebook": rulebook,
                    "vote_rule": vote_rule,
                    "cap_groups": len(out["cap_groups"]),
                    "json_mb": round(len(raw) / 1e6, 1),
                    "parse_s": round(min(parse_s), 3),
                    "rate_first_s": round(rate_s[0], 3),
                    "rate_best_s": round(best, 3),
                    "rate_cpu_s": round(min(rate_cpu), 3),
                    "members_per_s": int(size / best),
                    "parse_and_rate_s": round(min(parse_s) + best, 3),
                    "load_avg_1m": round(os.getloadavg()[0], 2),  # other work on the machine
                }
            )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[2_000, 200_000])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    rows = run(args.sizes, args.repeat)
    cols = (
        "members",
        "rulebook",
        "vote_rule",
        "cap_groups",
        "json_mb",
        "parse_s",
        "rate_first_s",
        "rate_best_s",
        "rate_cpu_s",
        "members_per_s",
        "load_avg_1m",
    )
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in cols]
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True)))
    for r in rows:
        print("  ".join(str(r[c]).rjust(w) for c, w in zip(cols, widths, strict=True)))
    summary = {
        "benchmark": "bot.batch.rate_document",
        "goal": "200000 members rated in under 5 s",
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "results": rows,
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
