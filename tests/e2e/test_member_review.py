"""A member's whole self-review through the real Application polling the emulator: deep-link
onboarding, every rulebook and member kind, a restart in the middle, stale buttons, /back,
editing from the summary, the Word form, and a member writing in a group."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from docx import Document as Docx
from sqlalchemy import select

from bot.sandbox import TelegramEmulator
from bot.sandbox.scripted import Script, answer_one, bot, complete_review, prompt
from bot.services.invites import InviteService
from bot.storage.db import Database, upgrade
from bot.storage.models import Answer, AuditEntry, Invite, SelfReview, TelegramAccount
from tests.factory import make_org, member_line

KINDS = {
    "non_leader": "không giữ chức vụ",
    "leader": "lãnh đạo, quản lý",
    "outside_system": "ngoài hệ thống chính trị",
}
YEARS = {"2019": 2021, "2023": 2023, "2025": 2025}


def _docx_text(data: bytes) -> str:
    doc = Docx(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    return url


@pytest.mark.parametrize("rulebook", ["2019", "2023", "2025"])
@pytest.mark.parametrize("kind", list(KINDS))
async def test_full_review_with_restart(sqlite_db: str, rulebook: str, kind: str) -> None:
    db = Database(sqlite_db)
    org = make_org(
        db,
        [
            member_line(
                "Nguyễn Thị Phương Thảo",
                kind=KINDS[kind],
                civil_servant=kind == "leader",
                post="Bí thư chi bộ" if kind == "leader" else "",
            )
        ],
        rulebook=rulebook,
        year=YEARS[rulebook],
    )
    code = InviteService(db).for_cell(org.cell_id)[0].code
    script = Script(indicator=lambda n: 3 if n == 14 else 1)
    async with TelegramEmulator() as emu:
        thao = emu.user(700001, "Thảo")
        async with bot(emu, sqlite_db):
            thao.send(f"/start {code}")
            linked = await thao.expect_reply()
            assert "Đã liên kết" in linked.text and "Nguyễn Thị Phương Thảo" in linked.text
            first = await prompt(thao)
            assert "Câu 1/" in first.text
            msg = await complete_review(thao, first, script, stop_after=12)
            number_before = msg.text.split("Câu ")[1].split("/")[0]
        # the bot restarts: a new Application, the same database
        async with bot(emu, sqlite_db):
            thao.send("/review")
            resumed = await prompt(thao)
            assert f"Câu {number_before}/" in resumed.text
            done = await complete_review(thao, resumed, script)
            assert "Đã nộp" in done.text
            await emu.wait_until(lambda: bool(thao.documents()), timeout=10)
        doc = thao.documents()[-1]
    assert doc.file_name.endswith(".docx")
    text = _docx_text(doc.data)
    assert "Nguyễn Thị Phương Thảo" in text
    assert '<điểm> & "trích dẫn"' in text  # the member's own characters survive
    headings = [
        "I. Ưu điểm",
        "II. Hạn chế",
        "III. Kết quả khắc phục",
        "IV. Giải trình",
        "V. Làm rõ",
        "VI. Phương hướng",
    ]
    headings += ["Tự chấm điểm", "Tự nhận mức xếp loại"] if rulebook == "2025" else ["VII."]
    for heading in headings:
        assert heading in text, heading
    assert "Rút kinh nghiệm, khắc phục ngay" in text  # the remedy for indicator 14
    # the level the rules computed from the answers is printed in section VII
    assert re.search(r"Mức tính theo kết quả tự đánh giá: (Hoàn thành|Không hoàn thành)", text), (
        text[-1500:]
    )
    with db.session() as s:
        review = s.execute(select(SelfReview)).scalar_one()
        assert review.status == "submitted"
        answers = {a.question: a for a in s.execute(select(Answer)).scalars()}
    assert answers["i.14"].value == "3" and answers["i.14"].note
    assert answers["rate"].value in ("HTXSNV", "HTTNV", "HTNV", "KHTNV")
    assert all(not a.proxy for a in answers.values())
    db.dispose()


async def test_stale_buttons_back_and_edit_from_summary(sqlite_db: str) -> None:
    db = Database(sqlite_db)
    org = make_org(db, [member_line("Trần Văn Đức")], rulebook="2023", year=2023)
    code = InviteService(db).for_cell(org.cell_id)[0].code
    async with TelegramEmulator() as emu, bot(emu, sqlite_db):
        duc = emu.user(700002, "Đức")
        duc.send(f"/start {code}")
        header = await prompt(duc)
        old_data = header.callback_data[0][0] or ""
        await answer_one(duc, header, Script())
        # the answered question lost its keyboard; a tap that still arrives with its old data
        # (another device, a slow network) is answered politely and applies nothing
        assert header.buttons == []
        answer = await duc.click_data(old_data, header)
        assert answer is not None and "câu hỏi cũ" in (answer.text or "")
        again = await prompt(duc)
        assert "Câu 2/" in again.text
        # /back returns to the header question, showing what was answered
        duc.send("/back")
        back = await prompt(duc)
        assert "Câu 1/" in back.text and "Đã trả lời" in back.text
        await duc.click("Giữ nguyên", message=back)
        msg = await prompt(duc)
        script = Script()
        while "Tóm tắt bản kiểm điểm" not in msg.text:
            msg = await answer_one(duc, msg, script)
        # edit the grade of question 3 from the summary: back to the summary afterwards
        await duc.click("✏️ Sửa câu 3", message=msg)
        q3 = await prompt(duc)
        assert "Câu 3/" in q3.text
        await duc.click("Xuất sắc", message=q3)
        note = await prompt(duc)
        await duc.click("Bỏ qua", message=note)
        summary = await prompt(duc)
        assert "Tóm tắt bản kiểm điểm" in summary.text and "Xuất sắc" in summary.text
        # a stale tap on the old question-3 keyboard after the edit changes nothing
        await duc.click_data("a:c.c1:K", q3)
        await prompt(duc)
    with db.session() as s:
        value = s.execute(select(Answer.value).where(Answer.question == "c.c1")).scalar_one()
    assert value == "XS"
    db.dispose()


async def test_group_chat_is_refused_and_codes_are_single_use(sqlite_db: str) -> None:
    db = Database(sqlite_db)
    org = make_org(
        db, [member_line("Lê Văn An"), member_line("Phạm Thị Bình")], rulebook="2025", year=2025
    )
    lines = InviteService(db).for_cell(org.cell_id)
    codes = {line.full_name: line.code for line in lines}
    with db.session() as s:  # make Bình's code expired
        inv = s.execute(select(Invite).where(Invite.code == codes["Phạm Thị Bình"])).scalar_one()
        inv.expires_at = inv.created_at - timedelta(seconds=1)
    async with TelegramEmulator() as emu, bot(emu, sqlite_db):
        an = emu.user(700003, "An")
        group = emu.group(-100500, "Chi bộ thôn Đông")
        an.send_in_group(group, f"/start {codes['Lê Văn An']}")
        refusal = await group.expect_reply()
        assert "không làm việc trong nhóm" in refusal.text
        an.send("/start")
        assert "đường dẫn mời" in (await an.expect_reply()).text
        an.send("/start khongcoma12345")
        assert "Mã mời không đúng" in (await an.expect_reply()).text
        an.send(f"/start {codes['Lê Văn An']}")
        assert "Đã liên kết" in (await an.expect_reply()).text
        await prompt(an)
        other = emu.user(700004, "Kẻ lạ")
        other.send(f"/start {codes['Lê Văn An']}")
        assert "đã được dùng" in (await other.expect_reply()).text
        other.send(f"/start {codes['Phạm Thị Bình']}")
        assert "hết hạn" in (await other.expect_reply()).text
        other.send("Tôi muốn xem bản kiểm điểm")
        assert "chưa liên kết" in (await other.expect_reply()).text
    with db.session() as s:
        accounts = s.execute(select(TelegramAccount.telegram_user_id)).scalars().all()
    assert accounts == [700003]
    db.dispose()


async def test_proxy_entry_is_marked(sqlite_db: str) -> None:
    db = Database(sqlite_db)
    org = make_org(
        db,
        [member_line("Hoàng Văn Sơn", post="Bí thư chi bộ"), member_line("Vũ Thị Hoa")],
        rulebook="2019",
        year=2021,
    )
    from bot.services.org import OrgService

    codes = {x.full_name: x for x in InviteService(db).for_cell(org.cell_id)}
    OrgService(db).grant_role(codes["Hoàng Văn Sơn"].member_id, "secretary")
    hoa_id = codes["Vũ Thị Hoa"].member_id
    async with TelegramEmulator() as emu, bot(emu, sqlite_db):
        son = emu.user(700005, "Sơn")
        son.send(f"/start {codes['Hoàng Văn Sơn'].code}")
        await prompt(son)
        son.send("/proxy")
        pick = await prompt(son)
        await son.click("Vũ Thị Hoa", message=pick)
        first = await prompt(son)
        assert "Đang nhập hộ cho đồng chí Vũ Thị Hoa" in first.text or "Nhập hộ" in first.text
        done = await complete_review(son, first, Script())
        assert "Vũ Thị Hoa" in done.text
        await emu.wait_until(lambda: bool(son.documents()), timeout=10)
        text = _docx_text(son.documents()[-1].data)
        son.skip_pending()
        son.send("/proxy_end")
        assert "Đã dừng nhập hộ" in (await son.expect_reply()).text
    assert "Vũ Thị Hoa" in text and "Hoàng Văn Sơn" in text
    with db.session() as s:
        review = s.execute(select(SelfReview).where(SelfReview.member_id == hoa_id)).scalar_one()
        assert review.status == "submitted"
        proxied = s.execute(select(Answer).where(Answer.review_id == review.id)).scalars().all()
        assert proxied and all(a.proxy for a in proxied)
        assert s.execute(select(AuditEntry).where(AuditEntry.proxy.is_(True))).first() is not None
    db.dispose()
