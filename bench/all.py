"""Every benchmark in one command, then one table of the headline figures against the goals.

    .venv/bin/python bench/all.py              # about 15 minutes on this 2-core machine
    .venv/bin/python bench/all.py --quick      # smaller sizes: a smoke run of the harness
    .venv/bin/python bench/all.py --only rate latency

Each benchmark runs as its own process (as documented at its top) and saves its figures under
bench/results/; this script reads them back, prints the table and saves it as JSON too. Run it
on a quiet machine: the load average is printed with the table because other work on the two
cores shows up directly in every figure. The webhook bench needs PostgreSQL and is run on its
own (bench/bench_webhook.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench._common import save  # noqa: E402

Row = tuple[str, str, str, bool | None]  # what, figure, goal, met (None: no goal)


def _rate(d: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for r in d["results"]:
        if r["jobs"] != "auto":
            continue
        goal = "< 5 s" if r["members"] == 200_000 else ""
        met = r["wall_s"] < 5 if goal else None
        rows.append(
            (
                f"kiemdiem rate, {r['members']:,} members, {r['rulebook']}",
                f"{r['wall_s']} s ({r['members_per_s']:,}/s)",
                goal,
                met,
            )
        )
    return rows


def _throughput(d: dict[str, Any]) -> list[Row]:
    m = d["median"]
    return [
        (
            "throughput, ours / bare echo bot",
            f"{m['ours']:.0f} / {m['echo']:.0f} upd/s = {d['ratio']:.0%}",
            ">= 60 %",
            d["ratio"] >= 0.6,
        )
    ]


def _latency(d: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    first = d["runs"][0]["offered_per_s"] if d["runs"] else 1
    for r in d["runs"]:
        mult = r["offered_per_s"] / first if first else 1
        goal = "p95 < 50 ms" if abs(mult - 1) < 0.01 else ""
        rows.append(
            (
                f"reply latency, {r['members']} members ({r['offered_per_s']} upd/s offered)",
                f"median {r['median_ms']} ms, p95 {r['p95_ms']} ms",
                goal,
                r["p95_ms"] < 50 if goal else None,
            )
        )
    return rows


def _memory(d: dict[str, Any]) -> list[Row]:
    return [
        (
            f"bot process memory, {d['members']:,} members",
            f"{d['rss_after_mb']} MB RSS",
            "< 150 MB",
            d["rss_after_mb"] < 150,
        )
    ]


def _summary(d: dict[str, Any]) -> list[Row]:
    s = d["seconds"]
    worst = max(s["summary .xlsx (results + render)"], s["summary .docx (results + render)"])
    rows: list[Row] = [
        (
            f"cell summary .xlsx/.docx, {d['members']} members in {d['cells']} cells",
            f"{worst:.2f} s",
            "< 2 s",
            worst < 2,
        )
    ]
    for name in ("minutes of one cell .docx", "results chart .png", "indicator chart .png"):
        rows.append((name, f"{s[name]:.2f} s", "", None))
    return rows


def _reminders(d: dict[str, Any]) -> list[Row]:
    p = d["probe"]
    return [
        (
            f"reminder fan-out, {d['count']:,} members",
            f"{d['share_of_limit']:.0%} of {d['limit_per_s']}/s",
            ">= 80 %",
            d["share_of_limit"] >= 0.8,
        ),
        (
            "reply during the fan-out",
            f"p95 {p['p95_ms']} ms",
            "< 1000 ms",
            p["p95_ms"] < 1000,
        ),
    ]


def _step(d: dict[str, Any]) -> list[Row]:
    return [
        (
            "questionnaire step, service layer only",
            f"{d['cpu_ms_per_update']} ms CPU, {d['statements_per_update']} SQL statements",
            "",
            None,
        )
    ]


BENCHES: dict[str, tuple[list[str], list[str], Callable[[dict[str, Any]], list[Row]]]] = {
    # name: (full arguments, quick arguments, headline rows)
    "rate": (
        ["--sizes", "2000", "200000", "--repeat", "2", "--jobs", "auto"],
        ["--sizes", "2000", "--repeat", "1", "--jobs", "auto"],
        _rate,
    ),
    "step": (["--steps", "60"], ["--steps", "15"], _step),
    "throughput": (
        ["--rounds", "5", "--seconds", "10"],
        ["--rounds", "1", "--seconds", "4"],
        _throughput,
    ),
    "latency": (
        ["--members", "200", "--interval", "5", "--seconds", "40", "--load", "1", "2", "4"],
        ["--members", "40", "--interval", "5", "--seconds", "8", "--load", "1"],
        _latency,
    ),
    "memory": ([], ["--members", "500"], _memory),
    "summary": ([], ["--cells", "4", "--repeat", "1"], _summary),
    "reminders": (["--count", "10000"], ["--count", "300"], _reminders),
}


def run_one(name: str, quick: bool) -> dict[str, Any]:
    full, small, _ = BENCHES[name]
    cmd = [sys.executable, str(HERE / f"bench_{name}.py"), *(small if quick else full)]
    print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
    proc = subprocess.run(cmd, cwd=HERE.parent, capture_output=True, text=True, check=False)
    sys.stdout.write(proc.stdout[-3000:])
    if proc.returncode != 0:
        sys.stdout.write(proc.stderr[-3000:])
        raise SystemExit(f"bench_{name}.py failed ({proc.returncode})")
    found = re.findall(r"^saved (.+\.json)$", proc.stdout, re.M)
    if not found:
        raise SystemExit(f"bench_{name}.py saved no results")
    data: dict[str, Any] = json.loads(Path(found[-1]).read_text(encoding="utf-8"))
    return data


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="+", choices=list(BENCHES), default=list(BENCHES))
    args = ap.parse_args()
    started = time.time()
    rows: list[Row] = []
    raw: dict[str, Any] = {}
    for name in args.only:
        raw[name] = run_one(name, args.quick)
        rows.extend(BENCHES[name][2](raw[name]))
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    print()
    print(f"{'benchmark':<{w[0]}}  {'figure':<{w[1]}}  {'goal':<{w[2]}}  met")
    for what, figure, goal, met in rows:
        mark = "" if met is None else ("yes" if met else "NO")
        print(f"{what:<{w[0]}}  {figure:<{w[1]}}  {goal:<{w[2]}}  {mark}")
    load = os.getloadavg()
    print(f"(load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} cores; "
          f"{time.time() - started:.0f} s)")  # fmt: skip
    table = [dict(zip(("what", "figure", "goal", "met"), r, strict=True)) for r in rows]
    print(f"saved {save('all', {'quick': args.quick, 'table': table, 'raw': raw})}")


if __name__ == "__main__":
    main()
