"""Reminders in chat, through the real Application polling the emulator: what a member sees
and can press on a reminder (snooze, hour, open the review), what a secretary sees and can
do (/reminders: dates, upcoming, log; nudge now; pause a member; /calendar), and refusals."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.reminders.worker import ReminderConfig, install
from bot.sandbox import TelegramEmulator
from bot.sandbox.runner import running_bot
from bot.sandbox.scripted import settings_for
from bot.storage.db import Database
from bot.storage.models import Reminder
from tests.factory import ANY_HOUR
from tests.reminders.world import account, build, deadlines

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]
FAST = {"rate": 50, "sweep_seconds": 0.2, "first_seconds": 0.05, "plan_seconds": 0.5}


def plan_due_today() -> dict[str, Any]:
    today = datetime.now(HCM).date()
    return deadlines({"reminders": {"allowed_hours": [0, 24], "hour": 0, "digest_days": []}},
                     self_review_due=today, meeting=today + timedelta(days=7))


async def reply_with(user: Any, text: str, timeout: float = 10.0) -> Any:
    """The next bot message containing `text` (earlier ones are read past)."""
    end = time.monotonic() + timeout
    while True:
        msg = await user.expect_reply(timeout=max(0.1, end - time.monotonic()))
        if text in (msg.text or ""):
            return msg


async def eventually(predicate: Any, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition not met"
        await asyncio.sleep(0.1)


async def test_member_and_secretary_in_chat(db: Database) -> None:
    w = build(db, NAMES, secretary=NAMES[0], plan=plan_due_today())
    async with TelegramEmulator() as emu, running_bot(settings_for(emu, db.url, **ANY_HOUR)) as app:
        users = {n: emu.user(w.chat(n), n.split()[-1]) for n in NAMES}
        install(app, ReminderConfig(_env_file=None, **FAST))  # type: ignore[arg-type]
        binh, cuong, an = users[NAMES[1]], users[NAMES[2]], users[NAMES[0]]

        # A member's reminder: "due today", with its three buttons.
        reminder = await binh.expect_reply(timeout=10)
        assert "Hôm nay là hạn nộp bản kiểm điểm" in reminder.text
        assert reminder.buttons == [["📝 Làm bản kiểm điểm"],
                                    ["⏰ Nhắc lại sau 1 ngày", "🕗 Chọn giờ nhắc"]]
        answer = await binh.click("Nhắc lại sau 1 ngày", message=reminder)
        assert answer is not None and "1 ngày" in (answer.text or "")
        snoozed = account(db, w.member(NAMES[1])).snoozed_until
        assert snoozed is not None and snoozed > datetime.now(HCM) + timedelta(hours=23)
        await binh.click("Chọn giờ nhắc", message=reminder)
        picker = await binh.expect_reply()
        assert "Chọn giờ bot nhắc việc" in picker.text
        assert ["20:00", "21:00", "22:00", "23:00"] in picker.buttons  # the plan allows 0–24 h
        await binh.click("19:00", message=picker)
        assert account(db, w.member(NAMES[1])).preferred_hour == 19
        # Someone else's button (a forwarded or forged keyboard) acts on nobody.
        forged = await cuong.click_data(f"rm:hr:{w.member(NAMES[1])}:7")
        assert forged is not None and forged.show_alert
        assert account(db, w.member(NAMES[1])).preferred_hour == 19
        # "Open my review" starts the questionnaire.
        cuong_reminder = await cuong.expect_reply(timeout=10)
        await cuong.click("Làm bản kiểm điểm", message=cuong_reminder)
        welcome = await cuong.expect_reply()
        assert "Bot sẽ hỏi lần lượt" in welcome.text

        # The secretary's screen.
        await an.expect_reply(timeout=10)  # the secretary's own reminder
        an.send("/reminders")
        screen = await an.expect_reply()
        assert "Nhắc việc — Chi bộ thôn Đông" in screen.text
        assert "Hạn nộp bản kiểm điểm" in screen.text and "Đã gửi gần đây" in screen.text
        assert "nhắc hạn → Trần Thị Bình: đã gửi" in screen.text
        assert screen.buttons[0] == ["📣 Nhắc ngay 4 đồng chí chưa nộp"]
        # Pause Dung (in hospital), then nudge the others now.
        await an.click("Tạm dừng / bật lại nhắc", message=screen)
        await an.expect_edit()
        pause = await an.click("⏸ Thị Dung", message=screen)
        assert pause is not None and "Đã tạm dừng" in (pause.text or "")
        assert account(db, w.member(NAMES[3])).reminders_paused
        an.send("/reminders")
        screen = await reply_with(an, "Nhắc việc —")
        assert screen.buttons[0] == ["📣 Nhắc ngay 3 đồng chí chưa nộp"]
        nudged = await an.click("Nhắc ngay", message=screen)
        assert nudged is not None and "3 tin nhắc" in (nudged.text or "")
        again = await an.click("Nhắc ngay", message=screen)
        assert again is not None and "đã được nhắc rồi" in (again.text or "")
        await reply_with(cuong, "Bí thư chi bộ nhắc")
        await eventually(lambda: _states(db, "nudge") == {"sent": 2, "pending": 1})
        # Binh snoozed: her nudge waits for the end of the snooze; Dung is paused: nothing.
        assert not any("Bí thư chi bộ nhắc" in (m.text or "") for m in users[NAMES[3]].replies())

        # A member is not a secretary: /reminders shows their own settings instead.
        cuong.send("/reminders")
        mine = await cuong.expect_reply()
        assert "Nhắc việc của đồng chí" in mine.text
        cuong.send("/calendar")
        refused = await cuong.expect_reply()
        assert "dành cho bí thư" in refused.text

        # /calendar: the secretary sets the cell's meeting, later than the organisation's.
        later = (datetime.now(HCM) + timedelta(days=9)).date()
        an.send(f"/calendar {later:%d/%m/%Y}")
        cal = await reply_with(an, "Đã lưu ngày họp chi bộ")
        assert "muộn hơn ngày đảng ủy đặt" in cal.text


def _states(db: Database, kind: str) -> dict[str, int]:
    with db.session() as s:
        out: dict[str, int] = {}
        for state in s.execute(select(Reminder.state).where(Reminder.kind == kind)).scalars():
            out[state] = out.get(state, 0) + 1
        return out


