"""The meeting's programme and minutes through the real Application: from the meeting menu the
secretary sets the place, the chair and the minute-taker, records an absence with its reason,
dictates the chair's conclusion on each member in the order of review, is refused closing while
a member has no conclusion or no ballot (told who), fixes it, closes, and receives both .docx
files, which are opened and read; old and forged buttons are refused politely. The office gets
the same files from `kiemdiem export`."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document as open_docx
from sqlalchemy import func, select

from bot.sandbox import TelegramEmulator
from bot.sandbox.demo import make_org, member_line
from bot.sandbox.scripted import bot, prompt
from bot.services.invites import InviteService
from bot.services.meetings import Counts, MeetingService
from bot.services.org import OrgService
from bot.storage.db import Database, upgrade
from bot.storage.models import AuditEntry, MeetingConclusion, MeetingMinutes, TelegramAccount
from tests.cli import kiemdiem
from tests.secretary.helpers import member_ids

HEAD = "Trần Văn Bình"
DEPUTY = "Lê Thị Dung"
COMMITTEE = "Phạm Văn Giang"
LEADER = "Ngô Thị Hằng"
MEMBER_A = "Đỗ Văn An"
MEMBER_B = "Vũ Thị Yến"
RECENT = "Hồ Văn Khoa"
OTHER = "Đinh Văn Tây"
ORDER = [HEAD, DEPUTY, COMMITTEE, LEADER, MEMBER_A, RECENT, MEMBER_B]


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    return url


def content_rows(data: bytes) -> list[list[str]]:
    """The rows of a document's content table (the one whose first cell is "TT")."""
    doc = open_docx(io.BytesIO(data))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "TT")
    return [[c.text for c in row.cells] for row in table.rows]


async def test_minutes_and_programme_in_chat(
    sqlite_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(sqlite_db)
    org = make_org(
        db,
        [
            member_line(MEMBER_A),
            member_line(MEMBER_B),
            member_line(LEADER, kind="lãnh đạo, quản lý"),
            member_line(COMMITTEE, post="Chi ủy viên"),
            member_line(DEPUTY, post="Phó Bí thư chi bộ"),
            member_line(HEAD, post="Bí thư chi bộ"),
            member_line(RECENT, status="dự bị", admitted="20/09/2025"),
        ],
        other_lines=[member_line(OTHER)],
        rulebook="2025",
        year=2025,
    )
    ids = member_ids(db, org.cell_id) | member_ids(db, org.other_cell_id)
    codes = {x.full_name: x.code for x in InviteService(db).for_cell(org.cell_id)}
    OrgService(db).grant_role(ids[HEAD], "secretary")
    meetings = MeetingService(db)
    meetings.open("cli", org.cell_id, date(2025, 12, 15), 5)  # 6 official: 1 absent
    for name in (HEAD, DEPUTY, COMMITTEE, LEADER, MEMBER_A):  # none yet for MEMBER_B
        meetings.enter_ballot("cli", org.cell_id, ids[name], Counts(5, 5, 0, (4, 1, 0, 0)))
    async with TelegramEmulator() as emu, bot(emu, sqlite_db):
        sec = emu.user(730001, "Bí thư")
        sec.send(f"/start {codes[HEAD]}")
        await prompt(sec)
        sec.skip_pending()
        sec.send("/cell")
        menu = await sec.expect_reply()
        await sec.click("Họp chi bộ", message=menu)
        meeting = await sec.expect_reply()
        labels = [b for row in meeting.buttons for b in row]
        assert "💬 Kết luận" in labels and "📝 Biên bản hội nghị" in labels
        assert "Đã nhập phiếu: 5/7" in meeting.text  # the count ignores the new rows
        with db.session() as s:
            mid = s.execute(select(func.max(MeetingMinutes.id))).scalar()
            assert mid is None  # nothing stored until something is set
        minutes_button = next(
            d
            for row in meeting.callback_data
            for d in row
            if d and d.endswith(":menu") and d.startswith("mr:")
        )
        mid = int(minutes_button.split(":")[1])

        # -- place, chair, minute-taker -------------------------------------------------------
        await sec.click("Biên bản hội nghị", message=meeting)
        mm = await sec.expect_reply()
        assert "địa điểm: chưa ghi" in mm.text and "Chủ trì: chưa chọn" in mm.text
        await sec.click("Địa điểm", message=mm)
        assert "Gõ địa điểm" in (await sec.expect_reply()).text
        sec.send("Nhà văn hóa thôn Đông")
        mm = await sec.expect_reply()
        assert "Đã ghi địa điểm: Nhà văn hóa thôn Đông" in mm.text
        await sec.click("Chủ trì", message=mm)
        pick = await sec.expect_reply()
        assert [row[0] for row in pick.buttons[:7]] == [f"{n}. {x}" for n, x in enumerate(ORDER, 1)]
        await sec.click(HEAD, message=pick)
        mm = await sec.expect_reply()
        assert f"Người chủ trì hội nghị: đồng chí {HEAD}" in mm.text
        await sec.click("Thư ký", message=mm)
        await sec.click(COMMITTEE, message=await sec.expect_reply())
        mm = await sec.expect_reply()
        assert f"thư ký hội nghị: {COMMITTEE}" in mm.text

        # -- attendance: one absent with a reason; a second official absentee is refused ------
        await sec.click("Vắng mặt", message=mm)
        absent_pick = await sec.expect_reply()
        assert "đã ghi tên 0" in absent_pick.text
        await sec.click(MEMBER_B, message=absent_pick)
        assert "Gõ lý do vắng mặt" in (await sec.expect_reply()).text
        sec.send("Đi công tác, có báo cáo")
        mm = await sec.expect_reply()
        assert f"Đã ghi đồng chí {MEMBER_B} vắng mặt" in mm.text
        assert f"{MEMBER_B}: Đi công tác, có báo cáo" in mm.text
        await sec.click(MEMBER_A, message=absent_pick)
        await sec.expect_reply()
        sec.send("ốm")
        refused = await sec.expect_reply()
        assert "đã ghi đủ 1 người" in refused.text and MEMBER_A in refused.text
        with db.session() as s:  # the input that can never succeed is forgotten
            account = s.execute(
                select(TelegramAccount).where(TelegramAccount.telegram_user_id == 730001)
            ).scalar_one()
            assert account.awaiting == ""

        # -- conclusions, in the order of review, following the bot's "next" button -----------
        await sec.click("Kết luận", message=mm)
        concl_pick = await sec.expect_reply()
        assert "Chưa có kết luận: " + ", ".join(ORDER) in concl_pick.text
        await sec.click(HEAD, message=concl_pick)
        ask = await sec.expect_reply()
        assert f"1. Đồng chí {HEAD}" in ask.text and "Bí thư chi bộ" in ask.text
        sec.send(f"Đồng chí {HEAD}: lãnh đạo chi bộ đoàn kết.\nCần sâu sát cơ sở hơn.")
        saved = await sec.expect_reply()
        assert f"Đã ghi kết luận cho đồng chí {HEAD}" in saved.text
        assert "Còn 6 đồng chí chưa có kết luận" in saved.text
        for name in ORDER[1:-1]:
            assert saved.buttons[0][0] == name  # the next one in the order of review
            await sec.click(name, message=saved)
            await sec.expect_reply()
            sec.send(f"Kết luận về đồng chí {name}: hoàn thành nhiệm vụ được giao.")
            saved = await sec.expect_reply()
            assert f"Đã ghi kết luận cho đồng chí {name}" in saved.text
        assert saved.buttons[0][0] == MEMBER_B and "Còn 1 đồng chí" in saved.text

        # -- closing refused, saying who ---------------------------------------------------------
        await sec.click("Biên bản hội nghị", message=saved)
        mm = await sec.expect_reply()
        assert "Kết luận của người chủ trì: 6/7" in mm.text
        answer = await sec.click("Đóng biên bản", message=mm)
        assert answer is not None and answer.show_alert and "Chưa đóng được" in (answer.text or "")
        why = await sec.expect_reply()  # the full list as a message (an alert holds 200 chars)
        assert f"kết luận của người chủ trì cho {MEMBER_B}" in why.text
        assert f"phiếu đã chốt của {MEMBER_B}" in why.text
        with db.session() as s:
            assert s.get(MeetingMinutes, 1).closed_at is None  # type: ignore[union-attr]

        # -- old and forged buttons --------------------------------------------------------------
        answer = await sec.click_data(f"mr:{mid}:concl:{ids[OTHER]}", concl_pick)
        assert answer is not None and "không có trong danh sách" in (answer.text or "")
        answer = await sec.click_data(f"mr:{mid + 1000}:menu", concl_pick)
        assert answer is not None and "không còn dùng được" in (answer.text or "")
        answer = await sec.click_data(f"mr:{mid}:menu:{ids[HEAD]}", concl_pick)
        assert answer is not None and "không còn dùng được" in (answer.text or "")
        member = emu.user(730002, "An")
        member.send(f"/start {codes[MEMBER_A]}")
        await prompt(member)
        answer = await member.click_data(f"mr:{mid}:menu", member.last_message())
        assert answer is not None and "không có quyền" in (answer.text or "")
        answer = await member.click_data(f"mr:{mid}:concl:{ids[MEMBER_A]}", member.last_message())
        assert answer is not None and "không có quyền" in (answer.text or "")

        # -- the last conclusion, an edit, the missing ballot ------------------------------------
        await sec.click(MEMBER_B, message=saved)
        await sec.expect_reply()
        sec.send("Vắng mặt có lý do; chi bộ ghi nhận bản tự kiểm điểm gửi trước.")
        saved = await sec.expect_reply()
        assert "Mọi đồng chí đã có kết luận" in saved.text
        assert f"Còn chờ phiếu đã chốt của: {MEMBER_B}" in saved.text
        await sec.click("Biên bản hội nghị", message=saved)
        mm = await sec.expect_reply()
        await sec.click("Kết luận", message=mm)
        concl_pick = await sec.expect_reply()
        await sec.click(f"✅ 1. {HEAD}", message=concl_pick)
        ask = await sec.expect_reply()
        assert "Kết luận đang ghi" in ask.text and "đoàn kết" in ask.text
        sec.send("Lãnh đạo chi bộ đoàn kết, hoàn thành tốt nhiệm vụ.")
        assert f"Đã sửa kết luận cho đồng chí {HEAD}" in (await sec.expect_reply()).text
        await sec.click("Biên bản hội nghị", message=saved)
        mm = await sec.expect_reply()
        await sec.click("Danh sách phiếu", message=mm)
        meeting = await sec.expect_reply()
        await sec.click(MEMBER_B, message=meeting)
        await sec.expect_reply()
        sec.send("0 5 0 0")
        assert "Đã ghi phiếu" in (await sec.expect_reply()).text
        await sec.expect_reply()  # everyone's count is in

        # -- close: the minutes arrive; an old keyboard can no longer change them ---------------
        await sec.click("Biên bản hội nghị", message=meeting)
        mm = await sec.expect_reply()
        before = len(sec.documents())
        answer = await sec.click("Đóng biên bản", message=mm)
        assert answer is not None and answer.text == "Đã đóng biên bản."
        closed = await sec.expect_reply()
        assert "Đã đóng biên bản hội nghị" in closed.text
        sent = await sec.expect_reply(timeout=20)
        minutes_file = sent.file
        assert minutes_file is not None and minutes_file.file_name is not None
        assert len(sec.documents()) == before + 1
        assert minutes_file.file_name.startswith("bien-ban-hoi-nghi-")
        answer = await sec.click(HEAD, message=concl_pick)
        assert answer is not None and "đã đóng" in (answer.text or "")
        await sec.click("Biên bản hội nghị", message=saved)
        mm = await sec.expect_reply()
        assert "đã đóng" in mm.text and "🔓 Mở lại biên bản" in [b for r in mm.buttons for b in r]
        await sec.click("Chương trình", message=mm)
        await emu.wait_until(lambda: len(sec.documents()) >= before + 2, timeout=20)
        programme_file = sec.documents()[before + 1]
    # -- the files, opened ---------------------------------------------------------------------
    rows = content_rows(minutes_file.data)[1:]
    assert [r[1].split("\n")[0] for r in rows] == ORDER
    by_name = {r[1].split("\n")[0]: r for r in rows}
    assert by_name[HEAD][2] == "Lãnh đạo chi bộ đoàn kết, hoàn thành tốt nhiệm vụ."
    assert by_name[LEADER][2] == f"Kết luận về đồng chí {LEADER}: hoàn thành nhiệm vụ được giao."
    assert "(vắng mặt)" in by_name[MEMBER_B][1]
    assert "HTXSNV: 4" in by_name[HEAD][3] and "HTTNV: 1" in by_name[HEAD][3]
    assert "HTXSNV: 0" in by_name[MEMBER_B][3] and "HTTNV: 5" in by_name[MEMBER_B][3]
    assert by_name[HEAD][4] == "HTXSNV" and by_name[MEMBER_B][4] == "HTTNV"
    assert "Không bỏ phiếu" in by_name[RECENT][3]
    text = "\n".join(p.text for p in open_docx(io.BytesIO(minutes_file.data)).paragraphs)
    assert "Dự thảo" not in text
    assert f"đồng chí {MEMBER_B} (Đi công tác, có báo cáo)" in text
    assert "Địa điểm: Nhà văn hóa thôn Đông." in text
    assert f"Chủ trì hội nghị: đồng chí {HEAD}" in text and COMMITTEE in text
    prog = content_rows(programme_file.data)
    reviews = [r for r in prog if r[0].startswith("2.")]
    assert [r[1].removeprefix("Đồng chí ").split(" — ")[0] for r in reviews] == ORDER
    assert DEPUTY in reviews[0][2]  # a deputy chairs the head's review
    with db.session() as s:
        conclusions = s.execute(select(func.count(MeetingConclusion.id))).scalar()
        actions = (
            s.execute(select(AuditEntry.action).where(AuditEntry.entity == "conclusion"))
            .scalars()
            .all()
        )
    assert conclusions == 7 and sorted(actions) == ["edit"] + ["set"] * 7
    # the office: the same documents from the command line
    out = tmp_path / "chuong-trinh.docx"
    run = kiemdiem(monkeypatch, sqlite_db, "export", "programme", str(org.cell_id), str(out))
    assert run.code == 0, run.err
    assert content_rows(out.read_bytes()) == prog
    out = tmp_path / "bien-ban.docx"
    run = kiemdiem(monkeypatch, sqlite_db, "export", "meeting-minutes", str(org.cell_id), str(out))
    assert run.code == 0, run.err
    assert content_rows(out.read_bytes())[1:] == rows
    run = kiemdiem(monkeypatch, sqlite_db, "export", "programme", str(org.cell_id), "x.pdf")
    assert run.code == 2 and ".docx" in run.err
    db.dispose()
