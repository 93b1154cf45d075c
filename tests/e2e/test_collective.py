"""A cell committee (chi ủy) of 3 reviews itself through the real Application and the emulator:
the head drafts the report section by section and sends it (the reminder sender delivers it to
the two other members), the members comment, the head accepts one comment and answers the
other (finalising is refused while one is open), the collective is rated by its ballot, the
cell's ballots are refused until then, the head's level at the cell is bounded by the
collective's, then the members are rated; before the collective the head goes first and a
leader rated differently in the two places shows both levels and the one taken. The report is
received as .docx and opened."""

from __future__ import annotations

import io
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import docx
import pytest
from sqlalchemy import func, select

from bot.reminders.worker import ReminderConfig, install
from bot.sandbox import TelegramEmulator
from bot.sandbox.client import SimUser
from bot.sandbox.demo import make_org, member_line, vietnamese_names
from bot.sandbox.emulator import ChatMessage
from bot.sandbox.runner import running_bot
from bot.sandbox.scripted import prompt, settings_for
from bot.services.collectives import CollectiveService
from bot.services.invites import InviteService
from bot.services.org import OrgService
from bot.storage.db import Database, upgrade
from bot.storage.models import (
    AuditEntry,
    CollectiveComment,
    Fact,
    Reminder,
    Result,
)
from tests.factory import ANY_HOUR
from tests.secretary.helpers import member_ids

FAST = {"rate": 50, "sweep_seconds": 0.2, "first_seconds": 0.05, "plan_seconds": 0.5}


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    return url


async def reply_with(user: SimUser, text: str, timeout: float = 15.0) -> ChatMessage:
    """The next bot message containing `text` (other messages are read past)."""
    end = time.monotonic() + timeout
    seen: list[str] = []
    while True:
        try:
            msg = await user.expect_reply(timeout=max(0.1, end - time.monotonic()))
        except TimeoutError:
            raise AssertionError(f"no message with {text!r}; saw {seen}") from None
        if text in (msg.text or ""):
            return msg
        seen.append((msg.text or "")[:120])


def working_days_ahead(n: int) -> date:
    day = date.today()
    while n:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


async def draft_report(head: SimUser, first: ChatMessage) -> ChatMessage:
    """Answer every section as the head: text, then the level (task results Xuất sắc, the
    others Tốt), "Không có" for the optional ones, then the proposal."""
    msg = first
    for _ in range(40):
        text = msg.text or ""
        labels = [b for row in msg.buttons for b in row]
        if "Dự thảo báo cáo kiểm điểm —" in text:
            return msg
        if "Tập thể đề nghị xếp loại mức nào?" in text:
            await head.click("Hoàn thành xuất sắc nhiệm vụ", message=msg)
        elif "Không có" in labels:
            await head.click("Không có", message=msg)
        elif "Hãy gõ nội dung của mục này" in text:
            heading = text.split("</b>")[0] if "</b>" in text else text.split("\n")[0]
            head.send(
                f"Nội dung của {heading.split('(')[0].strip()}: đã làm tốt, có sản phẩm cụ thể"
            )
        elif "tự đánh giá về cấp độ thực hiện" in text:
            task = "kết quả thực hiện nhiệm vụ" in text
            await head.click("Xuất sắc" if task else "Tốt", message=msg)
        else:
            raise AssertionError(f"unexpected step: {text[:200]}")
        msg = await head.expect_reply()
    raise AssertionError("the draft does not end")


async def test_chi_uy_of_three_reviews_itself_then_the_cell(sqlite_db: str) -> None:
    db = Database(sqlite_db)
    names = vietnamese_names(6, seed=11)
    head_name, deputy_name, member_name = names[0], names[1], names[2]
    org = make_org(
        db,
        [
            member_line(head_name, post="Bí thư chi bộ", kind="lãnh đạo, quản lý"),
            member_line(deputy_name, post="Phó bí thư chi bộ", kind="lãnh đạo, quản lý"),
            member_line(member_name, post="Chi ủy viên"),
        ]
        + [member_line(n) for n in names[3:]],
        rulebook="2023",
        year=date.today().year,
        plan={"reminders": {"allowed_hours": [0, 24], "digest_days": []}},
    )
    ids = member_ids(db, org.cell_id)
    h, d, m = ids[head_name], ids[deputy_name], ids[member_name]
    OrgService(db).grant_role(h, "secretary")
    CollectiveService(db).create(
        "cli", org.cell_id, "chi_uy", "Chi ủy Chi bộ thôn Đông", head=h, deputies=[d], members=[m]
    )
    codes = {x.full_name: x.code for x in InviteService(db).for_cell(org.cell_id)}
    meeting_day = working_days_ahead(6)

    async with (
        TelegramEmulator() as emu,
        running_bot(settings_for(emu, sqlite_db, **ANY_HOUR)) as app,
    ):
        install(app, ReminderConfig(_env_file=None, **FAST))  # type: ignore[arg-type]
        head = emu.user(730001, "Bí thư")
        deputy = emu.user(730002, "Phó bí thư")
        member = emu.user(730003, "Chi ủy viên")
        for user, name in ((head, head_name), (deputy, deputy_name), (member, member_name)):
            user.send(f"/start {codes[name]}")
            await prompt(user)
            user.skip_pending()

        # --- the head drafts the report --------------------------------------------------
        head.send("/collective")
        page = await reply_with(head, "Chi ủy Chi bộ thôn Đông")
        assert "đang soạn dự thảo" in page.text
        await head.click("Soạn báo cáo", message=page)
        summary = await draft_report(head, await head.expect_reply())
        assert "Còn thiếu" not in summary.text
        # Sending before the meeting has a date is refused.
        refused = await head.click("Gửi dự thảo", message=summary)
        assert refused is not None and "ngày hội nghị" in (refused.text or "")
        await head.click("Ngày hội nghị", message=summary)
        await reply_with(head, "dd/mm/yyyy")
        head.send(meeting_day.strftime("%d/%m/%Y"))
        summary = await reply_with(head, "Dự thảo báo cáo kiểm điểm —")
        assert meeting_day.strftime("%d/%m/%Y") in summary.text
        await head.click("Gửi dự thảo", message=summary)
        sent = await reply_with(head, "Đã gửi dự thảo")
        assert deputy_name in sent.text and member_name in sent.text

        # --- the members receive the draft and comment -------------------------------------
        note = await reply_with(deputy, "Dự thảo báo cáo kiểm điểm tập thể")
        await deputy.click("Góp ý", message=note)
        pick = await reply_with(deputy, "góp ý vào mục nào")
        await deputy.click("Mục I.2", message=pick)
        await reply_with(deputy, "Gõ ý kiến góp ý")
        deputy.send("Mục I.2 cần nêu rõ số hộ thoát nghèo trong năm")
        await reply_with(deputy, "Đã gửi góp ý")

        note = await reply_with(member, "Dự thảo báo cáo kiểm điểm tập thể")
        before = len(member.documents())
        await member.click("Xem dự thảo", message=note)
        await reply_with(member, "Dự thảo báo cáo kiểm điểm —")
        await emu.wait_until(lambda: len(member.documents()) > before, timeout=10)
        draft = docx.Document(io.BytesIO(member.documents()[-1].data))
        assert "DỰ THẢO" in [p.text for p in draft.paragraphs]
        invite = await reply_with(member, "Bấm «Góp ý»")
        await member.click("Góp ý", message=invite)
        pick = await reply_with(member, "góp ý vào mục nào")
        await member.click("Cả báo cáo", message=pick)
        await reply_with(member, "Gõ ý kiến góp ý")
        member.send("Đề nghị bổ sung trách nhiệm của từng chi ủy viên")
        await reply_with(member, "Đã gửi góp ý")

        # --- the head answers each comment; finalising waits for all ------------------------
        await reply_with(head, "Có góp ý mới")
        head.send("/collective")
        page = await reply_with(head, "Chi ủy Chi bộ thôn Đông")
        assert "2 chưa trả lời" in page.text
        await head.click("Góp ý (2 chưa trả lời)", message=page)
        await reply_with(head, "2 ý kiến, 2 chưa trả lời")
        first = await reply_with(head, deputy_name)
        second = await reply_with(head, member_name)
        await head.click("Tiếp thu", message=first)
        done = await reply_with(head, "Đã ghi: tiếp thu")
        refused = await head.click("Hoàn thiện báo cáo", message=page)
        assert refused is not None and "1 ý kiến" in (refused.text or "")
        await head.click("Giải trình", message=second)
        await reply_with(head, "Gõ nội dung giải trình")
        head.send("Trách nhiệm từng đồng chí đã nêu ở mục V")
        done = await reply_with(head, "Đã ghi: giải trình")
        assert "Mọi ý kiến đã được trả lời" in done.text
        await reply_with(deputy, "đã được trả lời")
        await reply_with(member, "đã được trả lời")

        # --- the cell may not rate anyone before the collective -----------------------------
        head.send("/cell")
        menu = await reply_with(head, "Chọn việc cần làm")
        await head.click("Họp chi bộ", message=menu)
        await reply_with(head, "Gõ ngày họp")
        head.send(f"{meeting_day.strftime('%d/%m/%Y')} 6")
        meeting = await reply_with(head, "có mặt: 6")
        await head.click(names[3], message=meeting)
        await reply_with(head, "Phiếu xếp loại")
        head.send("0 6 0 0")
        refused_msg = await reply_with(head, "tập thể trước, cá nhân sau")
        assert "Chi ủy Chi bộ thôn Đông" in refused_msg.text

        # --- the report is final, the collective is rated -----------------------------------
        await head.click("Hoàn thiện báo cáo", message=done)
        final = await reply_with(head, "đã hoàn thiện")
        await head.click("Biểu quyết xếp loại tập thể", message=final)
        await reply_with(head, "Gõ số có mặt")
        head.send("3 1 2 0 0")
        voted = await reply_with(head, "Kết quả biểu quyết xếp loại")
        assert "Xếp loại tập thể: Hoàn thành tốt nhiệm vụ" in voted.text
        assert head_name in voted.text

        # --- now the cell rates its members; the head is bounded by the collective ----------
        head.send("/cell")
        menu = await reply_with(head, "Chọn việc cần làm")
        await head.click("Họp chi bộ", message=menu)
        meeting = await reply_with(head, "có mặt: 6")
        counts = {head_name: "6 0 0 0", deputy_name: "6 0 0 0"}
        for name in names:  # the head first, then the deputy, the member, everyone else
            await head.click_data(f"bl:{org.cell_id}:{ids[name]}", meeting)
            await reply_with(head, "Phiếu xếp loại")
            head.send(counts.get(name, "0 6 0 0"))
            await reply_with(head, "Đã ghi phiếu")
        head.send("/cell")
        menu = await reply_with(head, "Chọn việc cần làm")
        await head.click("Kết quả", message=menu)
        results = await reply_with(head, "KẾT QUẢ ĐỀ XUẤT XẾP LOẠI")
        assert f"{head_name} [mã {h}]: đề xuất HTTNV (phiếu: HTXSNV)" in results.text
        assert f"{deputy_name} [mã {d}]: đề xuất HTXSNV (phiếu: HTXSNV)" in results.text
        head.send("/cell")
        progress_menu = await reply_with(head, "Chọn việc cần làm")
        await head.click("Tiến độ", message=progress_menu)
        progress = await reply_with(head, "Tiến độ kiểm điểm")
        assert "Thứ tự kiểm điểm, xếp loại" in progress.text
        assert "✅ 1. Tập thể Chi ủy Chi bộ thôn Đông" in progress.text
        assert f"✅ 2. {head_name} (người đứng đầu)" in progress.text
        assert f"{deputy_name} (cấp phó)" in progress.text

        # --- before the collective: the head first, then the deputy; both levels shown ------
        head.send("/collective")
        page = await reply_with(head, "Chi ủy Chi bộ thôn Đông")
        await head.click("Kiểm điểm cá nhân tại tập thể", message=page)
        posts = await reply_with(head, "Kiểm điểm cá nhân tại")
        refused = await head.click(deputy_name, message=posts)
        assert refused is not None and "người đứng đầu kiểm điểm" in (refused.text or "")
        await head.click(head_name, message=posts)
        ask = await reply_with(head, "Kết quả kiểm điểm ở chi bộ")
        assert "Mức ở chi bộ: Hoàn thành tốt nhiệm vụ" in ask.text
        assert "Chi bộ bỏ phiếu: Xuất sắc 6" in ask.text
        head.send("3 3 0 0 0")
        done = await reply_with(head, "kiểm điểm ở hai nơi")
        assert "Ở chi bộ: Hoàn thành tốt nhiệm vụ" in done.text
        await head.click("Kiểm điểm cá nhân tại tập thể", message=await head.expect_reply())
        posts = await reply_with(head, "Kiểm điểm cá nhân tại")
        await head.click(deputy_name, message=posts)
        ask = await reply_with(head, "Kết quả kiểm điểm ở chi bộ")
        assert "Mức ở chi bộ: Hoàn thành xuất sắc nhiệm vụ" in ask.text
        head.send("3 0 3 0 0")
        done = await reply_with(head, "kiểm điểm ở hai nơi")
        assert "Ở chi bộ: Hoàn thành xuất sắc nhiệm vụ" in done.text
        assert "Tại tập thể: Hoàn thành tốt nhiệm vụ" in done.text
        assert "Lấy: Hoàn thành tốt nhiệm vụ" in done.text
        assert "chức vụ đảm nhiệm chính và cao nhất" in done.text

        # --- the final report, opened -------------------------------------------------------
        head.send("/collective")
        page = await reply_with(head, "Chi ủy Chi bộ thôn Đông")
        before = len(head.documents())
        await head.click("Báo cáo (.docx)", message=page)
        await emu.wait_until(lambda: len(head.documents()) > before, timeout=10)
        report = head.documents()[-1]
        # The head was told of each comment (through the paced reminder sender).
        await emu.wait_until(
            lambda: sum("Có góp ý mới" in (x.text or "") for x in head.replies()) == 2, timeout=15
        )
    doc = docx.Document(io.BytesIO(report.data))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "BÁO CÁO KIỂM ĐIỂM TẬP THỂ" in text
    assert "DỰ THẢO" not in [p.text for p in doc.paragraphs]  # the draft's mark is gone
    assert "☒ Xuất sắc" in text and "☒ Hoàn thành xuất sắc nhiệm vụ" in text
    assert "Mục I.2 cần nêu rõ số hộ thoát nghèo trong năm" in cells
    assert "Tiếp thu" in cells
    assert "Giải trình: Trách nhiệm từng đồng chí đã nêu ở mục V" in cells
    assert "Kết quả xếp loại chất lượng tập thể: Hoàn thành tốt nhiệm vụ." in text
    fonts = {r.font.name for p in doc.paragraphs for r in p.runs if r.font.name}
    assert fonts == {"Times New Roman"}

    with db.session() as s:
        comments = list(
            s.execute(select(CollectiveComment).order_by(CollectiveComment.id)).scalars()
        )
        assert [(c.author_id, c.response) for c in comments] == [(d, "accepted"), (m, "answered")]
        fact = s.execute(
            select(Fact).where(Fact.member_id == h, Fact.key == "head_of")
        ).scalar_one()
        assert fact.value == {"collective_rating": "HTTNV"}
        results = {r.member_id: r for r in s.execute(select(Result)).scalars()}
        assert results[h].final == "HTTNV"
        assert "cap.head_of" in {x["rule"] for x in results[h].payload["reasons"]}
        assert results[d].final == "HTXSNV"
        kinds = dict(
            s.execute(
                select(Reminder.kind, func.count(Reminder.id))
                .where(Reminder.kind.like("collective%"), Reminder.state.in_(("sent", "sending")))
                .group_by(Reminder.kind)
            ).all()
        )
        assert kinds == {"collective_draft": 2, "collective_comment": 2, "collective_reply": 2}
        audited: dict[str, Any] = dict(
            s.execute(
                select(AuditEntry.entity, func.count(AuditEntry.id)).group_by(AuditEntry.entity)
            ).all()
        )
        assert audited["collective_comment"] == 4  # two comments, two responses
        assert audited["collective_ballot"] == 3  # the collective, the head, the deputy
        assert audited["collective_result"] == 1
        head_fact = s.execute(
            select(AuditEntry).where(
                AuditEntry.entity == "facts", AuditEntry.entity_id.like(f"%/{h}")
            )
        ).scalar_one()
        assert head_fact.new["head_of"] == {"collective_rating": "HTTNV"}
    db.dispose()
