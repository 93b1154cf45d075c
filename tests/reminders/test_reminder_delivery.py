"""Delivery against the Bot API emulator: flood control (429 retry_after), blocked chats (403),
5xx errors, a bot process killed with SIGKILL in the middle of a fan-out, and two processes
sweeping one PostgreSQL database. Every reminder is delivered once or recorded as
undeliverable; a crash resends at most the one message in flight.

The emulator runs in this process (its own thread); the bot runs either in this process's
loop (the real Application from `build_application`, plus the reminder worker) or as a
subprocess (`python -m bot.reminders.worker`), exactly as deployed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.reminders.worker import ReminderConfig, install
from bot.sandbox import RateLimits, TelegramEmulator
from bot.sandbox.runner import running_bot
from bot.sandbox.scripted import settings_for
from bot.storage.db import Database
from bot.storage.models import Reminder, TelegramAccount
from tests.factory import ANY_HOUR
from tests.reminders.world import World, build, deadlines, names

ROOT = Path(__file__).resolve().parents[2]
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = [
    pytest.mark.slow,
    # PTB itself reads RetryAfter.retry_after in its constructor (a v22.2 deprecation).
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]


def due_now_plan() -> dict[str, Any]:
    """The self-review is due today and reminders may go at any hour, so the day's "due
    today" reminder is due the moment the worker plans, whatever the wall clock says."""
    today = datetime.now(HCM).date()
    return deadlines({"reminders": {"allowed_hours": [0, 24], "hour": 0, "digest_days": []}},
                     self_review_due=today, meeting=today + timedelta(days=7))


def fanout(db: Database, emu: TelegramEmulator, n: int, **kw: Any) -> World:
    world = build(db, names(n), plan=due_now_plan(), bulk=True, **kw)
    for tg in world.tg.values():
        emu.user(tg, "Đảng viên")
    return world


def received(emu: TelegramEmulator) -> Counter[int]:
    """Messages each chat actually received (successful sendMessage), read on the emulator's
    own loop so the counters are not read while they change."""
    return emu.call(lambda: Counter(r.chat_id for r in emu.sent if r.method == "sendMessage"))


def sends(emu: TelegramEmulator, chat: int) -> int:
    return received(emu)[chat]


def everyone(emu: TelegramEmulator, chats: list[int]) -> bool:
    got = received(emu)
    return all(got[c] for c in chats)


def states(db: Database) -> Counter[str]:
    with db.session() as s:
        return Counter(dict(s.execute(  # type: ignore[arg-type]
            select(Reminder.state, func.count(Reminder.id)).group_by(Reminder.state)).all()))


async def until(predicate: Any, timeout: float, what: str, step: float = 0.2) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(step)


@pytest.fixture
def emulator() -> Iterator[TelegramEmulator]:
    emu = TelegramEmulator()
    with emu.start_in_thread():
        yield emu


# ------------------------------------------------------------------ in this process: faults


async def test_429_403_and_5xx_every_reminder_delivered_once_or_recorded(
        db: Database, emulator: TelegramEmulator) -> None:
    emu = emulator
    n, blocked_n = 120, 5
    world = fanout(db, emu, n, secretary=names(n)[0])
    members = [m for m in world.tg if m != world.secretary]
    blocked = members[:blocked_n]
    emu.faults.block(*(world.tg[m] for m in blocked))
    emu.faults.fail_fraction(0.03, seed=7, status=502, methods=["sendMessage"])
    # The sender is told to go faster than the emulator allows: Telegram answers 429.
    emu.set_limits(RateLimits(overall_per_second=30, private_per_second=1.0, private_burst=3))
    config = ReminderConfig(_env_file=None, rate=45, burst=5, sweep_seconds=0.3,  # type: ignore[call-arg]
                            first_seconds=0.05, plan_seconds=1, backoff_base=0.2,
                            backoff_max=1.0, max_attempts=6, claim_timeout=30)
    async with running_bot(settings_for(emu, db.url, **ANY_HOUR)) as app:
        install(app, config)

        def settled() -> bool:
            c = states(db)
            return c["sent"] + c["unreachable"] == n + blocked_n and not (
                c["pending"] or c["sending"])

        await until(settled, 60, "every reminder to be sent or recorded")
    final = states(db)
    assert final == Counter({"sent": n, "unreachable": blocked_n})
    got = received(emu)
    for m, chat in world.tg.items():
        if m in blocked:
            assert got[chat] == 0
            errors = emu.call(lambda c=chat: emu.stats.errors(method="sendMessage", chat_id=c))
            assert errors[403] == 1  # never retried
        elif m == world.secretary:
            assert got[chat] == 1 + blocked_n  # own reminder + one notice per blocked
        else:
            assert got[chat] == 1, chat
    with db.session() as s:
        marked = s.execute(select(TelegramAccount.member_id).where(
            TelegramAccount.unreachable_at.is_not(None))).scalars().all()
    assert sorted(marked) == sorted(blocked)
    notices = [m.text for m in emu.messages(world.tg[world.secretary]) if m.from_bot]
    assert sum("không gửi được" in (t or "") for t in notices) == blocked_n
    summary = emu.call(emu.stats.summary)
    assert emu.stats.retried_429 > 0, summary  # flood control was hit...
    assert emu.stats.unretried_429 == 0, summary  # ...and every 429 was retried
    assert emu.call(lambda: emu.stats.errors(method="sendMessage"))[502] > 0, summary
    assert emu.stats.duplicates == 0, summary


# ------------------------------------------------------------------ subprocesses


def spawn(db_url: str, emu: TelegramEmulator, cwd: Path, *args: str,
          **env: str) -> subprocess.Popen[bytes]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("REMINDER_", "TELEGRAM_"))}
    environ.update(
        PYTHONPATH=str(ROOT), DATABASE_URL=db_url, TELEGRAM_BOT_TOKEN=emu.token or "",
        TELEGRAM_BASE_URL=emu.base_url, LOG_LEVEL="WARNING", REMINDER_RATE="1000",
        REMINDER_BURST="20", REMINDER_SWEEP_SECONDS="0.5", REMINDER_FIRST_SECONDS="0.1",
        REMINDER_PLAN_SECONDS="2", REMINDER_CLAIM_TIMEOUT="3", QUIET_HOURS_START="0",
        QUIET_HOURS_END="0", **env,
    )  # fmt: skip
    # cwd: an empty directory, so no developer's .env leaks into the bot's settings.
    return subprocess.Popen([sys.executable, "-m", "bot.reminders.worker", *args], env=environ,
                            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop(proc: subprocess.Popen[bytes]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return (proc.stderr.read() if proc.stderr else b"").decode(errors="replace")[-3000:]


async def test_sigkill_in_the_middle_of_2000_resends_at_most_the_one_in_flight(
        db: Database, emulator: TelegramEmulator, tmp_path: Path) -> None:
    emu = emulator
    n = 2000
    world = fanout(db, emu, n)
    emu.set_limits(RateLimits(overall_per_second=5000))  # per-chat limits stay Telegram's
    chats = list(world.tg.values())
    started = time.monotonic()
    first = spawn(db.url, emu, tmp_path)
    try:
        await emu.wait_for_sent(600, timeout=45)
        first.send_signal(signal.SIGKILL)  # no chance to mark, release or flush anything
        first.wait(10)
    finally:
        log = stop(first)
    got = received(emu)
    delivered = sum(1 for c in chats if got[c])
    assert 600 <= delivered < n, (delivered, log)
    in_flight = states(db)["sending"]
    assert in_flight <= 1, states(db)

    second = spawn(db.url, emu, tmp_path)
    try:
        await until(lambda: everyone(emu, chats), 50, "every chat to get its reminder")
        await until(lambda: states(db) == Counter({"sent": n}), 10, "every row marked sent")
    finally:
        log = stop(second)
    got = received(emu)
    after = Counter(got[c] for c in chats)
    twice = [c for c in chats if got[c] == 2]
    assert set(after) <= {1, 2}, (after, log)
    print(f"killed after {delivered} delivered; in flight {in_flight}; received twice {len(twice)};"
          f" {time.monotonic() - started:.1f}s")
    assert len(twice) <= in_flight, (twice, in_flight)  # only the one in flight at the kill
    assert emu.stats.duplicates == len(twice)
    assert time.monotonic() - started < 55


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_two_processes_on_one_postgres_send_nothing_twice(
        db: Database, emulator: TelegramEmulator, tmp_path: Path) -> None:
    emu = emulator
    n = 1500
    world = fanout(db, emu, n)
    emu.set_limits(RateLimits(overall_per_second=5000))
    chats = list(world.tg.values())
    procs = [spawn(db.url, emu, tmp_path, "--no-polling", REMINDER_BATCH="100")
             for _ in range(2)]
    try:
        await until(lambda: everyone(emu, chats), 50, "every chat to get its reminder")
        await until(lambda: states(db) == Counter({"sent": n}), 10, "every row marked sent")
    finally:
        logs = [stop(p) for p in procs]
    got = received(emu)
    assert Counter(got[c] for c in chats) == Counter({1: n}), logs
    assert emu.stats.duplicates == 0
    with db.session() as s:
        workers = Counter(s.execute(select(Reminder.claimed_by)).scalars())
    print(f"rows sent per process: {sorted(workers.values())}")
    assert len(workers) == 2, workers  # both processes did part of the work
