"""Benchmark of `kiemdiem rate` on generated organisations: the whole command, as run.

    .venv/bin/python bench/bench_rate.py            # 2,000 and 200,000 members
    .venv/bin/python bench/bench_rate.py --sizes 2000 20000 --repeat 3 --jobs auto 1 2

For each size and each regime (2019 with kh61-2021 and one cap group per cell, 2023 with
hd07-2011 and the whole organisation as one group, 2025 with two-round ballots and points) a
seeded RNG builds one organisation (bot/sandbox/units.py) that uses every feature. Each run is
`python -m bot rate FILE` with stdout to a file: the wall time covers start-up, reading,
parsing, rating and writing the result. Best of `--repeat`. Prints a table, then JSON.
Goal: 200,000 members rated in under 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import save  # noqa: E402
from bot.sandbox.units import REGIMES, organisation  # noqa: E402


def _cli(path: Path, out: Path, jobs: int | None) -> tuple[float, float]:
    """Wall and CPU seconds (this process's children) of one `kiemdiem rate` run."""
    cmd = [sys.executable, "-m", "bot", "rate", str(path)]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    before = os.times()
    t0 = time.perf_counter()
    with out.open("wb") as fh:
        subprocess.run(cmd, stdout=fh, check=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    after = os.times()
    cpu = (after.children_user + after.children_system) - (
        before.children_user + before.children_system
    )
    return wall, cpu


def run(sizes: list[int], repeat: int, jobs: list[int | None]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            for rulebook, vote_rule, per_cell in REGIMES:
                doc = organisation(size, rulebook, vote_rule, per_cell, seed=size + int(rulebook))
                src = Path(tmp, f"unit-{size}-{rulebook}.json")
                src.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
                del doc
                out = Path(tmp, "result.json")
                for j in jobs:
                    runs = [_cli(src, out, j) for _ in range(repeat)]
                    wall, cpu = min(runs)
                    with out.open("rb") as fh:  # the result is whole: one line per member
                        lines = sum(1 for line in fh if line.startswith(b'{"id"'))
                    assert lines == size, (lines, size)
                    rows.append(
                        {
                            "members": size,
                            "rulebook": rulebook,
                            "vote_rule": vote_rule,
                            "jobs": "auto" if j is None else j,
                            "in_mb": round(src.stat().st_size / 1e6, 1),
                            "out_mb": round(out.stat().st_size / 1e6, 1),
                            "wall_s": round(wall, 2),
                            "cpu_s": round(cpu, 2),
                            "members_per_s": int(size / wall),
                            "load_avg_1m": round(os.getloadavg()[0], 2),  # other work here
                        }
                    )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[2_000, 200_000])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument(
        "--jobs", nargs="+", default=["auto", "1"], help="--jobs values to run ('auto' = default)"
    )
    args = ap.parse_args()
    jobs = [None if j == "auto" else int(j) for j in args.jobs]
    rows = run(args.sizes, args.repeat, jobs)
    cols = (
        "members",
        "rulebook",
        "vote_rule",
        "jobs",
        "in_mb",
        "out_mb",
        "wall_s",
        "cpu_s",
        "members_per_s",
        "load_avg_1m",
    )
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in cols]
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True)))
    for r in rows:
        print("  ".join(str(r[c]).rjust(w) for c, w in zip(cols, widths, strict=True)))
    summary = {
        "benchmark": "kiemdiem rate FILE > result.json (the whole command: start, read, parse, "
        "rate, write)",
        "goal": "200000 members rated in under 5 s",
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "results": rows,
    }
    print(json.dumps(summary, indent=2))
    print(f"saved {save('rate', summary)}")


if __name__ == "__main__":
    main()
