"""Benchmark of the office's summary through the database: a generated organisation of 20 cells
and 300 members (submitted reviews, facts, a meeting and a locked ballot per member) is rated
from the database and its summary of proposed levels rendered.

    .venv/bin/python bench/bench_summary.py                       # SQLite file in a temp dir
    .venv/bin/python bench/bench_summary.py --cells 20 --members 15 --repeat 3
    .venv/bin/python bench/bench_summary.py --database-url postgresql://user@host/db

Setting up is not timed (reviews are written as answer rows, the same rows the chat writes;
everything else goes through the services). Timed, each the best of `--repeat` runs: the
results of the whole organisation (`ResultsService.compute`, which loads, rates, stores), the
summary as .xlsx and as .docx (each computing the results again and rendering), a cell's
minutes, and the two charts. The first computation, which writes every result and its audit
entry, is reported on its own. Goal: the summary in under 2 s.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import save
from bot.review.questionnaire import build
from bot.rules.catalog import load_catalog
from bot.rules.levels import MemberKind, Rulebook
from bot.sandbox.demo import vietnamese_names
from bot.services.facts import FactService
from bot.services.meetings import Counts, MeetingService
from bot.services.org import OrgService
from bot.services.reports import ReportService
from bot.services.results import ResultsService
from bot.services.roster import RosterService
from bot.storage.db import Database, upgrade
from bot.storage.models import Answer, SelfReview
from bot.storage.types import utcnow


def _setup(db: Database, cells: int, per_cell: int, rng: random.Random) -> int:
    orgs = OrgService(db)
    org = orgs.create_org("Đảng bộ phường Kiểm Thử")
    cell_ids = [orgs.create_cell(org, f"Chi bộ khu phố {chr(65 + i % 26)}{i // 26 or ''}")
                for i in range(cells)]  # fmt: skip
    header = "Họ và tên;Ngày sinh;Trạng thái;Ngày vào Đảng;Đối tượng;Chức vụ Đảng\n"
    names = iter(vietnamese_names(cells * per_cell, seed=rng.randint(0, 10**6)))
    for cell in cell_ids:
        lines = []
        for j in range(per_cell):
            name = next(names)
            status = "dự bị" if j == per_cell - 1 else "chính thức"
            kind = "lãnh đạo, quản lý" if j == 0 else "không giữ chức vụ"
            post = "Bí thư chi bộ" if j == 0 else ""
            lines.append(f"{name};01/01/{1950 + j};{status};01/06/{2000 + j % 20};{kind};{post}\n")
        report = RosterService(db).import_file(cell, (header + "".join(lines)).encode(), "ds.csv")
        assert report.saved, report.problems
    orgs.open_period(org, 2021, rulebook="2019", plan={"as_of": "2021-12-20"})

    meetings, facts = MeetingService(db), FactService(db)
    for cell in cell_ids:
        members = RosterService(db).members(cell)
        official = sum(m.status == "official" for m in members)
        present = official - rng.randint(0, 2)
        meetings.open("cli", cell, date(2021, 12, 10), present)
        for m in members:
            xs = rng.choice((0, 0, 1, 2, present // 2, present - 2, present))
            t = rng.randint(0, present - xs)
            tb = rng.randint(0, present - xs - t)
            votes = (xs, t, tb, present - xs - t - tb)
            meetings.enter_ballot("cli", cell, m.id, Counts(present, present, 0, votes))
            if rng.random() < 0.15:
                facts.set("cli", m.id, {"civil_servant_rating": rng.choice(("HTTNV", "HTNV"))})
        _reviews(db, [m.id for m in members if m.status != "exempt"], rng)
    return org


def _reviews(db: Database, member_ids: list[int], rng: random.Random) -> None:
    """Submitted reviews, written as the answer rows the chat writes (setting up only)."""
    catalog = load_catalog(Rulebook.R2019, MemberKind.NON_LEADER)
    with db.session() as s:
        from bot.services.org import current_period
        from bot.storage.models import Member

        for mid in member_ids:
            member = s.get(Member, mid)
            assert member is not None
            period = current_period(s, member.cell_id)
            cat = load_catalog(Rulebook.R2019, MemberKind(member.kind)) if member.kind else catalog
            review = SelfReview(period_id=period.id, member_id=mid, status="submitted",
                                cursor="summary", submitted_at=utcnow())  # fmt: skip
            s.add(review)
            s.flush()
            for q in build(cat, civil_servant=member.civil_servant):
                value, note = "", ""
                if q.kind == "grade":
                    value = rng.choice(("XS", "T", "T", "TB"))
                elif q.kind == "indicator":
                    value = rng.choice(("1",) * 20 + ("2", "3"))
                    note = "Khắc phục" if value != "1" else ""
                elif q.kind in ("rating", "rating_cs"):
                    value = "HTTNV"
                elif q.kind == "header":
                    value = "ok"
                s.add(Answer(review_id=review.id, question=q.key, value=value, note=note))


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    from bot.storage import crypto

    crypto.use_ephemeral_key()  # answers are stored encrypted; throwaway data, throwaway key
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cells", type=int, default=20)
    ap.add_argument("--members", type=int, default=15, help="members per cell")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="kiemdiem-bench-")
    url = args.database_url or f"sqlite:///{tmp.name}/bench.db"
    upgrade(url)
    db = Database(url)
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    org = _setup(db, args.cells, args.members, rng)
    setup = time.perf_counter() - t0
    results, reports = ResultsService(db), ReportService(db)
    start = time.perf_counter()
    rating = results.compute("cli", org_id=org)
    first = time.perf_counter() - start
    cell = rating.meetings[0].cell_id
    timings = {
        "results (first, stores and audits)": first,
        "results": _best(lambda: results.compute("cli", org_id=org), args.repeat),
        "summary .xlsx (results + render)": _best(
            lambda: reports.summary("cli", org_id=org, fmt="xlsx"), args.repeat
        ),
        "summary .docx (results + render)": _best(
            lambda: reports.summary("cli", org_id=org, fmt="docx"), args.repeat
        ),
        "minutes of one cell .docx": _best(lambda: reports.minutes("cli", cell), args.repeat),
        "results chart .png": _best(lambda: reports.results_chart("cli", org_id=org), args.repeat),
        "indicator chart .png": _best(
            lambda: reports.indicators_chart("cli", org_id=org), args.repeat
        ),
    }
    members = len(rating.rows)
    print(f"{members} members in {args.cells} cells ({db.dialect}); setup {setup:.1f} s")
    for name, seconds in timings.items():
        print(f"  {name:<38} {seconds:7.3f} s")
    goal = max(
        timings["summary .xlsx (results + render)"], timings["summary .docx (results + render)"]
    )
    print(f"summary goal < 2 s: {'met' if goal < 2 else 'NOT met'} ({goal:.3f} s)")
    data = {"members": members, "cells": args.cells, "dialect": db.dialect,
            "seconds": {k: round(v, 4) for k, v in timings.items()}}  # fmt: skip
    print(json.dumps(data))
    print(f"saved {save('summary', data)}")
    db.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
