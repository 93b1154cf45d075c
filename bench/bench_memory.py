"""Memory of the bot process with 10,000 members in the database (20 cells of 500), after a
few hundred members have linked their accounts and answered a few questions.

    .venv/bin/python bench/bench_memory.py --members 10000 --active 300
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import save, start_bot_process, stop
from bot.sandbox import TelegramEmulator
from bot.sandbox.demo import CSV_HEADER, member_line, vietnamese_names
from bot.sandbox.scripted import Script, answer_one, prompt
from bot.services.invites import InviteService
from bot.services.org import OrgService
from bot.services.roster import RosterService
from bot.storage.db import Database, upgrade


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def build(url: str, members: int, cells: int) -> list[str]:
    upgrade(url)
    db = Database(url)
    orgs = OrgService(db)
    org = orgs.create_org("Đảng bộ phường Bến Thành")
    names = vietnamese_names(members, seed=11)
    per = members // cells
    codes: list[str] = []
    for c in range(cells):
        cell = orgs.create_cell(org, f"Chi bộ khu phố {c + 1}")
        lines = "".join(member_line(n) for n in names[c * per : (c + 1) * per])
        report = RosterService(db).import_file(cell, (CSV_HEADER + lines).encode(), "ds.csv")
        assert report.saved
        if c == 0:
            codes = [x.code for x in InviteService(db).for_cell(cell)]
    orgs.open_period(org, time.gmtime().tm_year)
    db.dispose()
    return codes


async def run(members: int, cells: int, active: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="kd-mem-"))
    url = f"sqlite:///{tmp / 'm.db'}"
    t0 = time.perf_counter()
    codes = build(url, members, cells)
    built = time.perf_counter() - t0
    async with TelegramEmulator() as emu:
        proc = start_bot_process(emu.base_url, emu.base_file_url, emu.token or "", url)
        try:
            await emu.wait_until(lambda: emu.stats.count(method="getUpdates") > 0, timeout=60)
            idle = rss_mb(proc.pid)

            # Members arrive 25 at a time: 300 tapping in the same instant queue for longer
            # than a tap waits for its answer (5 s) and the run measured nothing.
            arriving = asyncio.Semaphore(25)

            async def member(i: int, code: str) -> None:
                async with arriving:
                    u = emu.user(990000 + i, f"M{i}")
                    u.send(f"/start {code}")
                    msg = await prompt(u, timeout=60)
                    for _ in range(3):
                        msg = await answer_one(u, msg, Script())

            await asyncio.gather(*(member(i, c) for i, c in enumerate(codes[:active])))
            busy = rss_mb(proc.pid)
        finally:
            stop(proc)
    return {
        "members": members,
        "active": active,
        "build_s": round(built, 1),
        "rss_idle_mb": round(idle, 1),
        "rss_after_mb": round(busy, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=10000)
    ap.add_argument("--cells", type=int, default=20)
    ap.add_argument("--active", type=int, default=300)
    args = ap.parse_args()
    r = asyncio.run(run(args.members, args.cells, min(args.active, args.members // args.cells)))
    print(f"{'members':>8} {'active':>7} {'RSS idle MB':>12} {'RSS after MB':>13}")
    print(f"{r['members']:>8} {r['active']:>7} {r['rss_idle_mb']:>12} {r['rss_after_mb']:>13}")
    print(f"saved {save('memory', r)}")


if __name__ == "__main__":
    main()
