"""Saturated throughput: updates per second our bot answers (questionnaire steps) with 10
simulated members each acting as soon as the last reply arrives, side by side in the same run
with a bare python-telegram-bot echo bot on the same emulator, alternating rounds.

    .venv/bin/python bench/bench_throughput.py --rounds 5 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, save, start_bot_process, stop
from bot.sandbox import TelegramEmulator
from bot.sandbox.client import SimUser
from bot.sandbox.demo import make_org, member_line, vietnamese_names
from bot.sandbox.scripted import Script, answer_one, prompt
from bot.services.invites import InviteService
from bot.storage.db import Database, upgrade

MEMBERS = 10


async def our_member(user: SimUser, code: str, until: float, counts: list[int]) -> None:
    user.send(f"/start {code}")
    msg = await prompt(user, timeout=30)
    script = Script()
    while time.monotonic() < until:
        if "Đã nộp" in (msg.text or "") or "đang khóa" in (msg.text or ""):
            user.send("/review")  # a submitted member looking at their review again
            msg = await prompt(user, timeout=30)
        else:
            msg = await answer_one(user, msg, script)
        counts[0] += 1


async def echo_member(user: SimUser, until: float, counts: list[int]) -> None:
    n = 0
    while time.monotonic() < until:
        user.send(f"xin chào {n}")
        await user.expect_reply(timeout=30)
        n += 1
        counts[0] += 1


async def one_round(kind: str, seconds: float, round_no: int) -> float:
    tmp = Path(tempfile.mkdtemp(prefix="kd-tp-"))
    url = f"sqlite:///{tmp / 'b.db'}"
    codes: list[str] = []
    if kind == "ours":
        upgrade(url)
        db = Database(url)
        org = make_org(
            db,
            [member_line(n) for n in vietnamese_names(MEMBERS, seed=round_no)],
            rulebook="2025",
            year=time.gmtime().tm_year,
        )
        codes = [x.code for x in InviteService(db).for_cell(org.cell_id)]
        db.dispose()
    async with TelegramEmulator() as emu:
        if kind == "ours":
            proc = start_bot_process(emu.base_url, emu.base_file_url, emu.token or "", url)
        else:
            env = dict(
                os.environ, TELEGRAM_BOT_TOKEN=emu.token or "", TELEGRAM_BASE_URL=emu.base_url
            )
            proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "echo_bot.py")], env=env)
        try:
            await emu.wait_until(lambda: emu.stats.count(method="getUpdates") > 0, timeout=30)
            users = [emu.user(950000 + i, f"U{i}") for i in range(MEMBERS)]
            counts = [0]
            warm = time.monotonic() + 2
            until = warm + seconds
            if kind == "ours":
                tasks = [our_member(u, c, until, counts) for u, c in zip(users, codes, strict=True)]
            else:
                tasks = [echo_member(u, until, counts) for u in users]
            runner = asyncio.gather(*tasks)
            await asyncio.sleep(2)
            start_count = counts[0]
            await runner
            return (counts[0] - start_count) / seconds
        finally:
            stop(proc)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    results: dict[str, list[float]] = {"echo": [], "ours": []}
    for r in range(args.rounds):
        for kind in ("echo", "ours"):
            rate = asyncio.run(one_round(kind, args.seconds, r))
            results[kind].append(round(rate, 1))
            print(f"round {r + 1} {kind:>5}: {rate:7.1f} updates/s", flush=True)
    med = {k: statistics.median(v) for k, v in results.items()}
    ratio = med["ours"] / med["echo"] if med["echo"] else float("nan")
    print(f"\n{'bot':>6} {'median upd/s':>13} {'rounds':>30}")
    for k in ("echo", "ours"):
        print(f"{k:>6} {med[k]:>13.1f} {results[k]!s:>30}")
    print(f"ratio ours/echo: {ratio:.0%}")
    print(f"saved {save('throughput', {'rounds': results, 'median': med, 'ratio': ratio})}")


if __name__ == "__main__":
    main()
