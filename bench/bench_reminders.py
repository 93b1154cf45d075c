"""Benchmark of the reminder fan-out: throughput against Telegram's flood limit, and the reply
time to an interactive message while the fan-out runs.

    .venv/bin/python bench/bench_reminders.py                 # 10,000 reminders (~7 min)
    .venv/bin/python bench/bench_reminders.py --count 2000    # a quicker look
    .venv/bin/python bench/bench_reminders.py --database-url postgresql://…/db

Set-up: an organisation of `--count` members in cells of 100, every member linked to
Telegram and not yet submitted, the self-review due today and reminders allowed at any hour,
so the whole "due today" wave is due the moment the bot plans it. The emulator enforces
Telegram's limits (30 msg/s overall, 1/s per private chat with a burst of 3) and answers 429
with retry_after when they are exceeded. The bot runs in its own process (`kiemdiem run`,
which installs the reminder sweeper) with its default pacing (25 msg/s).

Meanwhile a secretary sends a message every `--probe-interval` seconds (alternately
`/reminders`, which reads the cell's calendar and log, and `/help`) and waits for the reply.

Reported: reminders per second (first to last delivery) as a share of the 30/s limit (goal
>= 80 %), 429s and whether each was retried (goal: none left unretried), duplicates, and
the probe's reply times (goal < 1 s). Prints a table, then JSON (also saved under
bench/results/).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import save, start_bot_process, stop, summary_ms
from bot.sandbox import RateLimits, TelegramEmulator
from bot.sandbox.demo import CSV_HEADER, member_line, vietnamese_names
from bot.services.org import OrgService
from bot.services.roster import RosterService
from bot.storage.db import Database, upgrade
from bot.storage.models import Member, TelegramAccount

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
TG_BASE = 5_000_000
CELL_SIZE = 100


def build(db_url: str, count: int) -> tuple[int, list[int]]:
    """The organisation; returns (the probe secretary's Telegram id, every member's)."""
    db = Database(db_url)
    orgs, roster = OrgService(db), RosterService(db)
    org = orgs.create_org("Đảng bộ phường Bench")
    names = vietnamese_names(count, seed=11)
    for start in range(0, count, CELL_SIZE):
        cell = orgs.create_cell(org, f"Chi bộ khu phố số {start // CELL_SIZE + 1:03d}")
        lines = [member_line(n) for n in names[start:start + CELL_SIZE]]
        report = roster.import_file(cell, (CSV_HEADER + "".join(lines)).encode(), "ds.csv")
        assert report.saved, [p.text() for p in report.problems][:5]
    today = datetime.now(HCM).date()
    orgs.open_period(org, today.year, plan={
        "reminders": {"allowed_hours": [0, 24], "hour": 0, "digest_days": []},
        "deadlines": {"self_review_due": today.isoformat(),
                      "meeting": (today + timedelta(days=7)).isoformat()},
    })  # fmt: skip
    tg: list[int] = []
    with db.session() as s:  # bulk link: invites are the onboarding's business
        members = list(s.execute(Member.__table__.select().order_by(Member.id)).all())
        for m in members:
            s.add(TelegramAccount(member_id=m.id, telegram_user_id=TG_BASE + m.id,
                                  chat_id=TG_BASE + m.id))
            tg.append(TG_BASE + m.id)
    orgs.grant_role(members[0].id, "secretary")
    db.dispose()
    return tg[0], tg


def is_reminder(record: Any) -> bool:
    return record.method == "sendMessage" and "rm:open:" in str(record.params.get("reply_markup"))


async def probe(emu: TelegramEmulator, user_id: int, interval: float, done: asyncio.Event,
                out: list[tuple[str, float]]) -> None:
    user = emu.user(user_id)
    commands = ("/reminders", "/help")
    i = 0
    while not done.is_set():
        await asyncio.sleep(interval)
        user.skip_pending()
        sent = user.send(commands[i % 2])
        try:
            reply = await user.expect_reply(timeout=30)
        except TimeoutError:
            out.append((commands[i % 2], float("inf")))
        else:
            # The probe's own reminder may land first; wait for the answer to the command.
            while is_reminder_text(reply.text):
                reply = await user.expect_reply(timeout=30)
            out.append((commands[i % 2], reply.sent_at - sent.sent_at))
        i += 1


def is_reminder_text(text: str | None) -> bool:
    return bool(text) and ("hạn nộp bản kiểm điểm" in text.splitlines()[0]
                           and "Nhắc việc" not in text)


async def run(count: int, db_url: str | None, probe_interval: float, limit: int,
              timeout: float) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="kd-bench-rem-"))
    url = db_url or f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    t0 = time.monotonic()
    secretary, chats = build(url, count)
    setup_s = time.monotonic() - t0
    async with TelegramEmulator(limits=RateLimits(overall_per_second=limit),
                                call_log_size=0) as emu:
        for chat in chats:
            emu.user(chat, "Đảng viên")
        proc = start_bot_process(emu.base_url, emu.base_file_url, emu.token or "", url,
                                 {"REMINDER_FIRST_SECONDS": "1"})
        latencies: list[tuple[str, float]] = []
        done = asyncio.Event()
        try:
            await emu.wait_until(lambda: emu.stats.count(method="getUpdates") > 0, timeout=60)
            prober = asyncio.create_task(probe(emu, secretary, probe_interval, done, latencies))
            seen = {"n": 0, "at": 0}

            def all_delivered() -> bool:
                # Only records added since the last look: O(1) per bot action.
                new = emu.sent[seen["at"]:]
                seen["at"] = len(emu.sent)
                seen["n"] += sum(1 for r in new if is_reminder(r))
                return seen["n"] >= count

            await emu.wait_until(all_delivered, timeout=timeout)
            done.set()
            await prober
        finally:
            # In a thread: the emulator shares this loop, and the bot's last getUpdates on its
            # way out must still be answered.
            await asyncio.to_thread(stop, proc)
        times = [r.at for r in emu.sent if is_reminder(r)]
        per_chat: dict[int, int] = {}
        for r in emu.sent:
            if is_reminder(r) and r.chat_id is not None:
                per_chat[r.chat_id] = per_chat.get(r.chat_id, 0) + 1
        stats = emu.stats
        span = max(times) - min(times) if len(times) > 1 else float("nan")
        rate = (len(times) - 1) / span if span == span and span > 0 else float("nan")
        # Everything that counted against the limit in that window: reminders and replies.
        window = [r for r in emu.sent if r.method in ("sendMessage", "sendDocument")
                  and times and min(times) <= r.at <= max(times)]
        total_rate = (len(window) - 1) / span if span == span and span > 0 else float("nan")
        lat = [v for _c, v in latencies]
        result: dict[str, Any] = {
            "count": count,
            "database": url.split(":", 1)[0],
            "limit_per_s": limit,
            "delivered": len(times),
            "chats_reached": len(per_chat),
            "duplicates": sum(v - 1 for v in per_chat.values()),
            "fanout_seconds": round(span, 1),
            "achieved_per_s": round(rate, 2),
            "share_of_limit": round(rate / limit, 3),
            "all_messages_per_s": round(total_rate, 2),
            "all_share_of_limit": round(total_rate / limit, 3),
            "http_429": stats.by_status.get(429, 0),
            "retried_429": stats.retried_429,
            "unretried_429": stats.unretried_429,
            "setup_seconds": round(setup_s, 1),
            "probe": summary_ms(lat),
            "probe_by_command": {c: summary_ms([v for k, v in latencies if k == c])
                                 for c in ("/reminders", "/help")},
        }  # fmt: skip
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    ap.add_argument("--probe-interval", type=float, default=2.0)
    ap.add_argument("--limit", type=int, default=30, help="the emulator's overall msg/s limit")
    ap.add_argument("--timeout", type=float, default=1800.0)
    args = ap.parse_args()
    r = asyncio.run(run(args.count, args.database_url, args.probe_interval, args.limit,
                        args.timeout))
    p = r["probe"]
    rows = [
        ("reminders delivered", f"{r['delivered']} to {r['chats_reached']} chats"),
        ("fan-out time", f"{r['fanout_seconds']} s"),
        ("achieved rate", f"{r['achieved_per_s']} msg/s"),
        ("share of the limit", f"{r['share_of_limit']:.1%} of {r['limit_per_s']}/s (goal >= 80%)"),
        ("with the replies", f"{r['all_messages_per_s']} msg/s, {r['all_share_of_limit']:.1%}"),
        ("HTTP 429 / retried / left unretried",
         f"{r['http_429']} / {r['retried_429']} / {r['unretried_429']} (goal: 0 unretried)"),
        ("duplicates", str(r["duplicates"])),
        ("interactive reply (n)", str(p["count"])),
        ("  median / p95 / max", f"{p['median_ms']} / {p['p95_ms']} / {p['max_ms']} ms "
                                 "(goal < 1000)"),
    ]  # fmt: skip
    width = max(len(k) for k, _ in rows)
    print(f"Reminder fan-out, {r['count']} members, database {r['database']}")
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")
    print(json.dumps(r, ensure_ascii=False, indent=2))
    print(f"saved {save('reminders', r)}")


if __name__ == "__main__":
    main()
