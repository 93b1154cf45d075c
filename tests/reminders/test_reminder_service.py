"""The reminder use cases without Telegram: access checks, the secretary's screens, the
member's settings and the refusals (all on a real database)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.reminders.policy import AllowedHours
from bot.reminders.store import ReminderStore
from bot.reminders.worker import ReminderConfig, ReminderWorker
from bot.services.errors import UserError
from bot.services.reminders import ReminderService
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import ReviewPeriod
from tests.reminders.test_reminder_cycle import Clock, RecordingBot
from tests.reminders.world import build, deadlines, names

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def svc(db: Database) -> ReminderService:
    return ReminderService(db, Settings(_env_file=None, database_url=db.url))  # type: ignore[call-arg]


def local(d: int, h: int, month: int = 12) -> datetime:
    return datetime(2026, month, d, h, tzinfo=HCM)


def test_access(db: Database) -> None:
    w = build(db, names(3), secretary=names(3)[0])
    s = svc(db)
    member_tg, secretary_tg = w.chat(names(3)[1]), w.chat(names(3)[0])
    with pytest.raises(UserError) as err:
        s.overview(member_tg, w.org.cell_id)
    assert err.value.code == "not_your_cell"
    with pytest.raises(UserError) as err:
        s.overview(secretary_tg, w.org.other_cell_id)
    assert err.value.code == "not_your_cell"
    with pytest.raises(UserError) as err:
        s.on_button(member_tg, f"rm:pause:{w.member(names(3)[2])}:0")
    assert err.value.code == "not_your_cell"
    with pytest.raises(UserError) as err:
        s.on_button(member_tg, f"rm:snz:{w.member(names(3)[2])}:1")
    assert err.value.code == "not_your_reminder"
    for data in ("rm:zap:1", "rm:snz:x:1", "xx", f"rm:view:{w.org.cell_id}:9:9"):
        with pytest.raises(UserError) as err:
            s.on_button(secretary_tg, data)
        assert err.value.code == "reminder_button_unknown"
    with pytest.raises(UserError) as err:
        s.snooze(member_tg, w.member(names(3)[1]), 30)
    assert err.value.code == "bad_snooze"
    with pytest.raises(UserError) as err:
        s.set_hour(member_tg, w.member(names(3)[1]), 22)
    assert err.value.code == "bad_hour"
    with pytest.raises(UserError) as err:
        s.calendar_command(member_tg, [])
    assert err.value.code == "not_a_manager"
    assert "Nhắc việc của đồng chí" in s.command(member_tg).replies[0].text


async def test_overview_log_and_members(db: Database) -> None:
    people = names(25)
    w = build(db, people, secretary=people[0], plan=deadlines(None, meeting=local(10, 0).date()),
              bulk=True)
    clock = Clock(local(30, 6, month=11).astimezone(UTC))
    bot = RecordingBot(clock)
    worker = ReminderWorker(db, Settings(_env_file=None, database_url=db.url),  # type: ignore[call-arg]
                            ReminderConfig(_env_file=None), bot=bot, clock=clock)  # type: ignore[call-arg]
    worker.pacer.rate, worker.pacer.chat_interval = None, 0
    clock.now = local(30, 9, month=11).astimezone(UTC)
    await worker.run_once(clock.now)  # 30/11: "7 days left" to 25 members
    assert len(bot.sent) == 25
    s = svc(db)
    tg = w.chat(people[0])
    text = s.overview(tg, w.org.cell_id, now=clock.now).replies[0].text
    assert "Hạn nộp bản kiểm điểm: 07/12/2026" in text
    assert "04/12 08:00 — nhắc hạn: 25 tin" in text
    assert "06/12 18:00 — tổng hợp cho bí thư: 1 tin" in text
    assert text.count("→") == 5  # the five latest deliveries
    first = s.on_button(tg, f"rm:log:{w.org.cell_id}:0", now=clock.now).replies[0]
    assert first.edit and first.text.count("đã gửi") == 10
    assert [b.data for b in first.buttons[0]] == [f"rm:log:{w.org.cell_id}:1"]
    last = s.on_button(tg, f"rm:log:{w.org.cell_id}:2").replies[0]
    assert last.text.count("đã gửi") == 5
    assert [b.data for b in last.buttons[0]] == [f"rm:log:{w.org.cell_id}:1"]
    page = s.on_button(tg, f"rm:mem:{w.org.cell_id}:0").replies[0]
    toggles = [b for row in page.buttons for b in row if b.data.startswith("rm:pause:")]
    assert len(toggles) == 20
    assert page.buttons[-2][0].data == f"rm:mem:{w.org.cell_id}:1"
    out = s.on_button(tg, toggles[0].data)
    assert "Đã tạm dừng" in out.toast
    resumed = [b for row in out.replies[0].buttons for b in row if b.data.startswith("rm:resume:")]
    assert len(resumed) == 1


def test_a_broken_policy_is_shown_not_hidden(db: Database) -> None:
    w = build(db, names(2), secretary=names(2)[0])
    with db.session() as s:
        period = s.get(ReviewPeriod, w.org.period_id)
        assert period is not None
        period.options = {"reminders": {"hour": "eight"}}
    text = svc(db).overview(w.chat(names(2)[0]), w.org.cell_id).replies[0].text
    assert "bot đang không nhắc" in text and "reminders.hour" in text
    report = ReminderStore(db).plan(datetime.now(UTC), HCM, AllowedHours())
    assert report.inserted == 0 and report.problems and report.problems[0][0] == w.org.period_id


