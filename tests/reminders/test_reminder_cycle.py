"""A whole review cycle through the worker (plan, claim, recheck, send) on a real database,
with a controlled clock and a recording bot: who receives what, at which local time. The
clock is an argument everywhere; nothing sleeps on real time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.reminders.pacing import Pacer
from bot.reminders.worker import ReminderConfig, ReminderWorker
from bot.services.reminders import ReminderService
from bot.settings import Settings
from bot.storage.db import Database
from tests.reminders.world import build, deadlines, rows, submit

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em",
         "Vũ Thị Giang"]


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


class RecordingBot:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.sent: list[tuple[datetime, int, str, dict[str, Any]]] = []

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> None:
        self.sent.append((self.clock(), chat_id, text, kwargs))


def hours(start: datetime, end: datetime,
          step: timedelta = timedelta(hours=1)) -> Iterator[datetime]:
    t = start
    while t <= end:
        yield t
        t += step


def local(d: int, h: int, m: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, d, h, m, tzinfo=HCM)


def worker_for(db: Database, clock: Clock) -> tuple[ReminderWorker, RecordingBot]:
    bot = RecordingBot(clock)
    settings = Settings(database_url=db.url, telegram_bot_token="1:x")
    worker = ReminderWorker(db, settings, ReminderConfig(), bot=bot, clock=clock,
                            pacer=Pacer(None, chat_interval=0))
    return worker, bot


async def test_a_whole_cycle_at_the_right_local_times(db: Database) -> None:
    # Holiday on Friday 04/12: the meeting on Tuesday 08/12 makes Wednesday 02/12 the due date.
    plan = deadlines({"holidays": ["2026-12-04"]}, meeting=date(2026, 12, 8))
    w = build(db, NAMES, secretary=NAMES[0], unlinked=(NAMES[5],), plan=plan)
    an, binh, cuong, dung, em = (w.member(n) for n in NAMES[:5])
    clock = Clock(local(25, 0, month=11).astimezone(UTC))
    worker, bot = worker_for(db, clock)
    svc = ReminderService(db, worker.settings)
    tg = w.tg
    events = {
        local(26, 9, month=11): lambda: svc.set_hour(tg[cuong], cuong, 19),
        local(28, 10, month=11): lambda: svc.pause(tg[an], em, True),  # Em is in hospital
        local(30, 12, month=11): lambda: submit(db, w.org.period_id, binh),
        # Dung snoozes the 01/12 reminder at 10:00 for a day: 02/12's comes at 10:00, not 08:00.
        local(1, 10): lambda: svc.snooze(tg[dung], dung, 1, now=clock()),
        local(3, 22): lambda: svc.nudge(tg[an], w.org.cell_id, now=clock()),
    }
    for t in hours(local(25, 0, month=11), local(9, 23)):
        clock.now = t.astimezone(UTC)
        if t in events:
            events[t]()
        await worker.run_once(clock.now)

    by_chat: dict[int, list[str]] = {}
    for when, chat, text, kwargs in bot.sent:
        lt = when.astimezone(HCM)
        assert 7 <= lt.hour < 21, f"sent at {lt} (quiet hours)"
        by_chat.setdefault(chat, []).append(f"{lt:%d/%m %H:%M} {text.splitlines()[0]}")
        assert kwargs["parse_mode"] == "HTML"
    an_msgs = [m for m in by_chat[tg[an]] if "Tiến độ" not in m]
    assert an_msgs == [
        "25/11 08:00 ⏰ <b>Còn 7 ngày đến hạn nộp bản kiểm điểm</b>",
        "29/11 08:00 ⏰ <b>Còn 3 ngày đến hạn nộp bản kiểm điểm</b>",
        "01/12 08:00 ⏰ <b>Còn 1 ngày đến hạn nộp bản kiểm điểm</b>",
        "02/12 08:00 ⏰ <b>Hôm nay là hạn nộp bản kiểm điểm</b>",
        "03/12 08:00 ❗ <b>Bản kiểm điểm đã quá hạn 1 ngày</b>",
        "04/12 07:00 📣 <b>Bí thư chi bộ nhắc nộp bản kiểm điểm</b>",  # the 22:00 nudge
        "04/12 08:00 ❗ <b>Bản kiểm điểm đã quá hạn 2 ngày</b>",
        "05/12 08:00 ❗ <b>Bản kiểm điểm đã quá hạn 3 ngày</b>",
        "06/12 08:00 ❗ <b>Bản kiểm điểm đã quá hạn 4 ngày</b>",
        "07/12 08:00 ❗ <b>Bản kiểm điểm đã quá hạn 5 ngày</b>",  # the limit; meeting 08/12
    ]
    assert [m[:11] for m in by_chat[tg[binh]]] == ["25/11 08:00", "29/11 08:00"]  # then submitted
    assert [m[:11] for m in by_chat[tg[cuong]]][:3] == ["25/11 08:00", "29/11 19:00",
                                                       "01/12 19:00"]
    dung_times = [m[:11] for m in by_chat[tg[dung]]]
    assert dung_times[:4] == ["25/11 08:00", "29/11 08:00", "01/12 08:00", "02/12 10:00"]
    assert [m[:11] for m in by_chat[tg[em]]] == ["25/11 08:00"]  # paused on 28/11
    assert tg.get(w.member(NAMES[5])) is None  # not linked: nothing to send to
    digests = [m for m in by_chat[tg[an]] if "Tiến độ" in m]
    assert [d[:11] for d in digests] == ["01/12 18:00", "03/12 18:00", "05/12 18:00",
                                         "07/12 18:00"]
    # Nothing doubled: each (chat, local day, kind) once, and every row is final.
    assert len({(c, m[:5], m[12:]) for c, ms in by_chat.items() for m in ms}) == len(bot.sent)
    assert {r.state for r in rows(db)} <= {"sent", "cancelled"}


async def test_quiet_hours_postpone_and_one_reminder_a_day(db: Database) -> None:
    plan = deadlines(None, meeting=date(2026, 12, 10))
    w = build(db, NAMES[:2], plan=plan)
    clock = Clock(local(7, 23).astimezone(UTC))  # the bot was down all day on 07/12
    worker, bot = worker_for(db, clock)
    await worker.run_once(clock.now)
    assert bot.sent == []  # planned for 08:00 today, but it is 23:00: postponed
    assert {r.due_at for r in rows(db)} == {local(8, 7).astimezone(UTC)}
    for t in hours(local(8, 0), local(8, 12), timedelta(minutes=30)):
        clock.now = t.astimezone(UTC)
        await worker.run_once(clock.now)
    # 07:00: the postponed one; 08:00: 08/12's own is cancelled (one reminder a day).
    assert [(s[0].astimezone(HCM).strftime("%H:%M"), s[1]) for s in bot.sent] == [
        ("07:00", w.chat(NAMES[0])), ("07:00", w.chat(NAMES[1]))]
    assert sorted(r.last_error for r in rows(db) if r.state == "cancelled") == [
        "already_today", "already_today"]
