"""The secretary's workspace through the real Application: facts entered in chat, the residence's
feedback requested from another cell's secretary and answered in chat (with a restart in the
middle), and roles granted, revoked and invited by the office in chat. Each with its refusals:
another cell's member, a stale or forged button, a bad typed value."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import openpyxl
import pytest
from sqlalchemy import func, select, text

from bot.sandbox import TelegramEmulator
from bot.sandbox.client import SimUser
from bot.sandbox.demo import make_org, member_line
from bot.sandbox.emulator import ChatMessage
from bot.sandbox.scripted import bot
from bot.services.errors import UserError
from bot.services.invites import InviteService
from bot.services.org import OrgService
from bot.storage.db import Database, upgrade
from bot.storage.models import (
    AuditEntry,
    Fact,
    Invite,
    ResidenceFeedback,
    Result,
    Role,
    TelegramAccount,
)
from bot.texts import render_string
from tests.access_world import barrier, changed_tables, internal_errors, snapshot


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    return url


def refusal(code: str, **params: object) -> str:
    return UserError(code, **params).message()[:200]


async def hub(user: SimUser) -> ChatMessage:
    await barrier(user)  # everything earlier has arrived
    user.skip_pending()
    user.send("/cell")
    return await user.expect_reply()


async def tap(user: SimUser, label: str, message: ChatMessage) -> ChatMessage:
    """Press a button that edits its own message; the message as it is afterwards."""
    answer = await user.click(label, message=message)
    assert answer is not None
    await barrier(user)
    current = next(m for m in user.messages() if m.message_id == message.message_id)
    return current


def _people(db: Database, cell_id: int) -> dict[str, int]:
    return {x.full_name: x.member_id for x in InviteService(db).for_cell(cell_id)}


# ---- facts -----------------------------------------------------------------------------------


async def test_facts_entered_in_chat(sqlite_db: str) -> None:
    db = Database(sqlite_db)
    org = make_org(
        db,
        [member_line("Hoàng Văn Sơn", post="Bí thư chi bộ"), member_line("Vũ Thị Hoa")],
        other_lines=[member_line("Đinh Văn Tây")],
        rulebook="2025",
        year=2025,
    )
    codes = {x.full_name: x for x in InviteService(db).for_cell(org.cell_id)}
    hoa = codes["Vũ Thị Hoa"].member_id
    tay = _people(db, org.other_cell_id)["Đinh Văn Tây"]
    OrgService(db).grant_role(codes["Hoàng Văn Sơn"].member_id, "secretary")
    async with TelegramEmulator() as emu, bot(emu, sqlite_db):
        son = emu.user(730001, "Sơn")
        son.send(f"/start {codes['Hoàng Văn Sơn'].code}")
        await son.expect_reply()
        menu = await hub(son)
        await son.click("Thông tin xếp loại", message=menu)
        members = await son.expect_reply()
        assert "Vũ Thị Hoa" in " ".join(b for row in members.buttons for b in row)
        card = await tap(son, "Vũ Thị Hoa", members)
        assert "Thông tin xếp loại — đồng chí Vũ Thị Hoa" in card.text
        # 2025: the tasks are offered, the 2019/2023 target percentages are not
        labels = [b for row in card.buttons for b in row]
        assert "Nhiệm vụ trong năm" in labels and "% chỉ tiêu hoàn thành" not in labels
        # a yes/no fact by button
        ask = await tap(son, "Bị kỷ luật", card)
        card = await tap(son, "Có", ask)
        assert "bị kỷ luật trong năm: có" in card.text
        # a typed number: a bad value is refused and nothing is stored, then a good one
        await tap(son, "Tháng nghỉ ốm", card)
        son.send("bốn tháng")
        bad = await son.expect_reply()
        assert "chưa hợp lệ, chưa lưu" in bad.text and "số tháng nghỉ ốm" in bad.text
        son.send("4")
        card = await son.expect_reply()
        assert "số tháng nghỉ ốm: 4" in card.text
        # the tasks as one line of numbers: too few numbers, then numbers that do not add up
        await tap(son, "Nhiệm vụ trong năm", card)
        son.send("10 8")
        assert (await son.expect_reply()).text == refusal("fact_bad_tasks", text="10 8")
        son.send("10 8 1 0")
        assert "chưa hợp lệ, chưa lưu" in (await son.expect_reply()).text
        son.send("10 8 1 1 3")
        card = await son.expect_reply()
        assert "10 nhiệm vụ: 8 đúng hạn (trong đó 3 vượt), 1 chậm, 1 chưa hoàn thành" in card.text
        # a level, then emptied again
        ask = await tap(son, "Xếp loại CC, VC", card)
        card = await tap(son, "HTNV", ask)
        assert "xếp loại công chức, viên chức: HTNV" in card.text
        ask = await tap(son, "Mất thẻ đảng viên", card)
        card = await tap(son, "Để trống", ask)
        # a stale or forged button and another cell's member: refused, nothing changes
        before = snapshot(db)
        for data, expected in (
            (f"fa:v:{hoa}:zz:1", refusal("stale_button")),
            (f"fa:v:{hoa}:di:maybe", refusal("stale_button")),
            (f"fa:k:{hoa}:td", refusal("stale_button")),  # a 2019/2023 fact under 2025
            (f"fa:m:{tay}", refusal("not_your_cell")),
            (f"fa:v:{tay}:di:1", refusal("not_your_cell")),
            (f"fa:l:{org.other_cell_id}:0", refusal("not_your_cell")),
        ):
            answer = await son.click_data(data, card)
            assert answer is not None and answer.text == expected, data
        await barrier(son)
        assert changed_tables(before, snapshot(db)) == []
        assert internal_errors(emu) == []
    with db.session() as s:
        facts = {
            f.key: f.value for f in s.execute(select(Fact).where(Fact.member_id == hoa)).scalars()
        }
        assert facts == {
            "disciplined": True,
            "sick_leave_months": 4,
            "tasks": {"total": 10, "on_time": 8, "late": 1, "not_done": 1, "exceeded": 3},
            "civil_servant_rating": "HTNV",
        }
        audits = s.execute(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.entity == "facts", AuditEntry.entity_id.endswith(f"/{hoa}")
            )
        ).scalar()
        assert audits == 4  # one per change; the unset of an empty fact changed nothing
        # the proposals were computed again after the changes
        assert s.execute(select(Result).where(Result.member_id == hoa)).scalar() is not None
        account = s.execute(
            select(TelegramAccount).where(TelegramAccount.telegram_user_id == 730001)
        ).scalar_one()
        assert account.awaiting == ""
    db.dispose()


# ---- residence feedback -----------------------------------------------------------------------


async def test_residence_feedback_requested_answered_and_summarised(sqlite_db: str) -> None:
    db = Database(sqlite_db)
    org = make_org(
        db,
        [
            member_line("Hoàng Văn Sơn", post="Bí thư chi bộ"),
            member_line("Nguyễn Thị Phương Thảo"),
            member_line("Lê Văn Bình"),
        ],
        other_lines=[member_line("Đinh Văn Tây", post="Bí thư chi bộ"), member_line("Vũ Văn Bảy")],
        rulebook="2023",
        year=2023,
    )
    OrgService(db).create_cell(org.org_id, "Chi bộ thôn Nam")  # nobody of it uses the bot
    a = {x.full_name: x for x in InviteService(db).for_cell(org.cell_id)}
    b = {x.full_name: x for x in InviteService(db).for_cell(org.other_cell_id)}
    thao = a["Nguyễn Thị Phương Thảo"].member_id
    OrgService(db).grant_role(a["Hoàng Văn Sơn"].member_id, "secretary")
    OrgService(db).grant_role(b["Đinh Văn Tây"].member_id, "secretary")
    async with TelegramEmulator() as emu:
        son, tay = emu.user(740001, "Sơn"), emu.user(740002, "Tây")
        bay = emu.user(740003, "Bảy")
        async with bot(emu, sqlite_db):
            for user, line in ((son, a["Hoàng Văn Sơn"]), (tay, b["Đinh Văn Tây"])):
                user.send(f"/start {line.code}")
                await user.expect_reply()
            bay.send(f"/start {b['Vũ Văn Bảy'].code}")
            await bay.expect_reply()
            menu = await hub(son)
            await son.click("Nhận xét nơi cư trú", message=menu)
            listing = await son.expect_reply()
            assert "▫️ chưa có: 3" in listing.text
            card = await tap(son, "Nguyễn Thị Phương Thảo", listing)
            assert "Chưa có phiếu nhận xét" in card.text
            pick = await tap(son, "Đề nghị chi bộ nơi cư trú", card)
            labels = [x for row in pick.buttons for x in row]
            assert "Chi bộ thôn Tây" in labels and "Chi bộ thôn Đông" not in labels
            # a cell nobody of which uses the bot: nothing is sent, the paper form is offered
            before = snapshot(db)
            paper = await tap(son, "Chi bộ thôn Nam", pick)
            assert "chưa có bí thư hoặc phó bí thư dùng bot" in paper.text
            assert changed_tables(before, snapshot(db)) == []
            pick = await tap(son, "Quay lại", paper)
            pick = await tap(son, "Đề nghị chi bộ nơi cư trú", pick)
            sent = await tap(son, "Chi bộ thôn Tây", pick)
            assert "Đã gửi đề nghị" in sent.text and "Đinh Văn Tây" in sent.text
            # the residence secretary is asked, and answers the first three questions
            request = await tay.expect_reply()
            while "Đề nghị nhận xét đảng viên nơi cư trú" not in request.text:
                request = await tay.expect_reply()
            assert "Nguyễn Thị Phương Thảo" in request.text and "Chi bộ thôn Đông" in request.text
            await tay.click("Trả lời phiếu nhận xét", message=request)
            q = await tay.expect_reply()
            assert "Câu 1/7" in q.text
            first = q
            for choice in ("Nêu gương tốt", "Gương mẫu đi đầu", "Tham gia chưa đầy đủ"):
                await tay.click(choice, message=q)
                q = await tay.expect_reply()
            assert "Câu 4/7" in q.text
            # an old button (question 1 again): told politely, nothing recorded
            with db.session() as s:
                fid = s.execute(select(ResidenceFeedback.id)).scalar_one()
            before = snapshot(db)
            answer = await tay.click_data(f"ra:{fid}:1:3", first)
            assert answer is not None
            assert answer.text == render_string("labels.yaml", "toast_residence_stale")
            again = await tay.expect_reply()
            assert "Câu 4/7" in again.text
            assert changed_tables(before, snapshot(db)) == []
            # nobody else may answer or read it: a member of the residence cell, the residence
            # secretary reading the member's card, the requester answering in their place
            for user, data, code in (
                (bay, f"ra:{fid}:4:1", "residence_not_yours"),
                (bay, f"ra:{fid}", "residence_not_yours"),
                (tay, f"rf:m:{thao}", "not_your_cell"),
                (tay, f"rf:s:{thao}:{org.other_cell_id}", "not_your_cell"),
                (son, f"ra:{fid}:4:1", "residence_not_yours"),
            ):
                target = user.last_message()
                assert target is not None
                answer = await user.click_data(data, target)
                assert answer is not None and answer.text == refusal(code), (data, answer)
            await barrier(son)
            await barrier(tay)
            assert changed_tables(before, snapshot(db)) == []
        # the bot restarts; the residence secretary resumes from /cell at question 4
        async with bot(emu, sqlite_db):
            menu = await hub(tay)
            await tay.click("Nhận xét nơi cư trú", message=menu)
            own = await tay.expect_reply()
            assert "Có 1 đề nghị" in own.text
            await tay.click("Trả lời: Nguyễn Thị Phương Thảo (Chi bộ thôn Đông)", message=own)
            q = await tay.expect_reply()
            assert "Câu 4/7" in q.text
            for choice in ("Thường xuyên, tích cực", "Rất tích cực", "Biểu dương"):
                await tay.click(choice, message=q)
                q = await tay.expect_reply()
            assert "Câu 7/7" in q.text
            tay.send("Gia đình <gương mẫu> & đoàn kết với bà con")
            done = await tay.expect_reply()
            assert "Đã ghi phiếu nhận xét" in done.text
            assert "Biểu dương; 4/5 nội dung mức cao nhất" in done.text
            # the requesting secretary is told, and reads it on the member's card
            arrived = await son.expect_reply()
            while "đã trả lời phiếu nhận xét" not in arrived.text:
                arrived = await son.expect_reply()
            card = await tap(son, "Xem phiếu", arrived)
            assert "Chi bộ thôn Tây trả lời" in card.text
            assert "3. Tham gia chưa đầy đủ" in card.text
            assert "Gia đình <gương mẫu> & đoàn kết" in card.text
            # the form as a Word file
            before_docs = len(son.documents())
            await son.click("Phiếu nhận xét (.docx)", message=card)
            await emu.wait_until(lambda: len(son.documents()) > before_docs, timeout=15)
            form = docx.Document(io.BytesIO(son.documents()[-1].data))
            body = "\n".join(p.text for p in form.paragraphs)
            assert "PHIẾU NHẬN XÉT" in body and "Nguyễn Thị Phương Thảo" in body
            assert "đoàn kết với bà con" in body
            ticked = [c.text for t in form.tables[1:7] for c in t.rows[0].cells if "☒" in c.text]
            assert ticked == [
                "☒ Nêu gương tốt",
                "☒ Gương mẫu đi đầu",
                "☒ Tham gia chưa đầy đủ",
                "☒ Thường xuyên, tích cực",
                "☒ Rất tích cực",
                "☒ Biểu dương",
            ]
            # a second member entered by the secretary from paper (no request)
            listing = await hub(son)
            await son.click("Nhận xét nơi cư trú", message=listing)
            listing = await son.expect_reply()
            card = await tap(son, "Lê Văn Bình", listing)
            q = await tap(son, "Nhập nhận xét", card)
            assert "Câu 1/7" in q.text
            for choice in ("Chưa nêu gương", "Gương mẫu", "Không tham gia", "Thường xuyên"):
                await son.click(choice, message=q)
                q = await son.expect_reply()
            for choice in ("Tích cực", "Không đề nghị"):
                await son.click(choice, message=q)
                q = await son.expect_reply()
            await son.click("Không có", message=q)
            done = await son.expect_reply()
            assert "Không đề nghị; 0/5 nội dung mức cao nhất; chưa nêu gương" in done.text
            # the cell's summary carries both in its residence column
            menu = await hub(son)
            await son.click("Kết quả", message=menu)
            results = await son.expect_reply()
            before_docs = len(son.documents())
            await son.click("Nhận tài liệu", message=results)
            await emu.wait_until(lambda: len(son.documents()) >= before_docs + 4, timeout=30)
            docs = {d.file_name.rsplit(".", 1)[-1]: d for d in son.documents()[before_docs:]}
            assert internal_errors(emu) == []
    ws = openpyxl.load_workbook(io.BytesIO(docs["xlsx"].data)).active
    assert ws is not None
    by_name = {
        str(row[1].value): row
        for row in ws.iter_rows(min_row=9)
        if row[0].value not in (None, "") and row[1].value
    }
    assert ws.cell(row=7, column=5).value == "Kết quả lấy ý kiến nơi cư trú (nếu có)"
    assert by_name["Nguyễn Thị Phương Thảo"][4].value == "Biểu dương; 4/5 nội dung mức cao nhất"
    assert by_name["Lê Văn Bình"][4].value == (
        "Không đề nghị; 0/5 nội dung mức cao nhất; chưa nêu gương; không tham gia họp"
    )
    assert by_name["Hoàng Văn Sơn"][4].value in (None, "")
    summary = docx.Document(io.BytesIO(docs["docx"].data))
    rows = {r.cells[1].text: [c.text for c in r.cells] for r in summary.tables[1].rows[2:]}
    assert rows["Nguyễn Thị Phương Thảo"][4] == "Biểu dương; 4/5 nội dung mức cao nhất"
    with db.session() as s:
        fb = s.execute(select(ResidenceFeedback).where(ResidenceFeedback.member_id == thao))
        row = fb.scalar_one()
        assert row.status == "answered" and row.source == "residence"
        assert row.answers == {"1": 1, "2": 1, "3": 2, "4": 1, "5": 1, "6": 1}
        assert row.residence_cell_id == org.other_cell_id
        actions = list(
            s.execute(
                select(AuditEntry.action)
                .where(AuditEntry.entity == "residence", AuditEntry.entity_id.endswith(f"/{thao}"))
                .order_by(AuditEntry.id)
            ).scalars()
        )
        assert actions == ["request", *["answer"] * 6, "complete"]
    # the free text is stored encrypted
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT other FROM residence_feedback")).scalars().all()
    assert len(stored) == 2 and all(x == "" or x.startswith("gAAAA") for x in stored)
    assert any(x.startswith("gAAAA") for x in stored)
    db.dispose()


# ---- roles -----------------------------------------------------------------------------------


async def test_roles_granted_revoked_and_invited_in_chat(sqlite_db: str) -> None:
    db = Database(sqlite_db)
    org = make_org(
        db,
        [
            member_line("Hoàng Văn Sơn", post="Bí thư chi bộ"),
            member_line("Trần Thị Phó"),
            member_line("Lê Văn Mới"),
            member_line("Ngô Văn Chờ"),
            member_line("Phạm Thị Dự", status="dự bị", admitted="01/06/2025"),
        ],
        other_lines=[member_line("Đỗ Thị Phòng"), member_line("Vũ Văn Bảy")],
        rulebook="2025",
        year=2025,
    )
    a = {x.full_name: x for x in InviteService(db).for_cell(org.cell_id)}
    b = {x.full_name: x for x in InviteService(db).for_cell(org.other_cell_id)}
    orgs = OrgService(db)
    orgs.grant_role(a["Hoàng Văn Sơn"].member_id, "secretary")
    orgs.grant_role(b["Đỗ Thị Phòng"].member_id, "office")
    pho, moi = a["Trần Thị Phó"].member_id, a["Lê Văn Mới"].member_id
    du, bay = a["Phạm Thị Dự"].member_id, b["Vũ Văn Bảy"].member_id
    async with TelegramEmulator() as emu, bot(emu, sqlite_db):
        office, son = emu.user(750001, "Phòng"), emu.user(750002, "Sơn")
        pho_user = emu.user(750003, "Phó")
        for user, line in (
            (office, b["Đỗ Thị Phòng"]),
            (son, a["Hoàng Văn Sơn"]),
            (pho_user, a["Trần Thị Phó"]),
        ):
            user.send(f"/start {line.code}")
            await user.expect_reply()
        # the secretary has no roles button, and a forged one is refused
        menu = await hub(son)
        assert not any("Bí thư, phó bí thư" in x for row in menu.buttons for x in row)
        before = snapshot(db)
        cell = org.cell_id
        for data in (f"ro:v:{cell}", f"ro:g:{cell}:{pho}:d", f"ro:k:{cell}:{moi}:s"):
            answer = await son.click_data(data, menu)
            assert answer is not None and answer.text == refusal("roles_office_only"), data
        await barrier(son)
        assert changed_tables(before, snapshot(db)) == []
        # the office picks cell A, then grants the deputy role
        menu = await hub(office)
        await office.click("Chi bộ thôn Đông", message=menu)
        menu = await office.expect_reply()
        await office.click("Bí thư, phó bí thư", message=menu)
        view = await office.expect_reply()
        assert "Hoàng Văn Sơn: bí thư" in view.text
        pick = await tap(office, "Giao vai trò", view)
        names = [x for row in pick.buttons for x in row]
        assert "Trần Thị Phó" in names and "Phạm Thị Dự" not in names  # probationary
        role = await tap(office, "Trần Thị Phó", pick)
        confirm = await tap(office, "phó bí thư", role)
        assert "Giao cho đồng chí Trần Thị Phó vai trò phó bí thư Chi bộ thôn Đông" in confirm.text
        with db.session() as s:
            assert s.execute(select(Role).where(Role.member_id == pho)).first() is None
        view = await tap(office, "Xác nhận", confirm)
        assert "Đã giao cho đồng chí Trần Thị Phó vai trò phó bí thư" in view.text
        # the new deputy has the cell's hub now
        pho_menu = await hub(pho_user)
        assert "Chi bộ thôn Đông" in pho_menu.text
        # refusals: a probationary member, another cell's member, a role already held
        before = snapshot(db)
        for data, expected in (
            (f"ro:g:{org.cell_id}:{du}:d", refusal("role_needs_official", name="Phạm Thị Dự")),
            (f"ro:g:{org.cell_id}:{bay}:d", refusal("stale_button")),
            (
                f"ro:g:{org.cell_id}:{pho}:d",
                refusal("role_held_already", name="Trần Thị Phó", role="phó bí thư"),
            ),
            (f"ro:zz:{org.cell_id}", render_string("labels.yaml", "toast_unknown_button")),
        ):
            answer = await office.click_data(data, view)
            assert answer is not None and answer.text == expected, data
        await barrier(office)
        assert changed_tables(before, snapshot(db)) == []
        # revoke it again, confirmed
        confirm = await tap(office, "Trần Thị Phó — thôi phó bí thư", view)
        assert "Thôi giao vai trò" in confirm.text
        view = await tap(office, "Xác nhận", confirm)
        assert "đã thôi vai trò phó bí thư" in view.text
        pho_user.skip_pending()
        pho_user.send("/cell")
        assert (await pho_user.expect_reply()).text == refusal("not_a_manager")
        # a one-time secretary invite for a member not yet in the bot
        pick = await tap(office, "Đường dẫn mời kèm vai trò", view)
        role = await tap(office, "Lê Văn Mới", pick)
        await office.click("bí thư", message=role)
        invite = await office.expect_reply()
        assert "kiemdiem_test_bot?start=" in invite.text
        code = invite.text.split("?start=")[1].split()[0]
        new = emu.user(750009, "Mới")
        new.send(f"/start {code}")
        linked = await new.expect_reply()
        assert "Lê Văn Mới" in linked.text and "vai trò bí thư Chi bộ thôn Đông" in linked.text
        new_menu = await hub(new)
        assert "Chi bộ thôn Đông" in new_menu.text
        # the code works once only
        other = emu.user(750010, "Khác")
        other.send(f"/start {code}")
        assert (await other.expect_reply()).text == refusal("invite_used")
        # a deputy invite for another member, not opened yet
        view = await hub(office)
        await office.click("Chi bộ thôn Đông", message=view)
        menu = await office.expect_reply()
        await office.click("Bí thư, phó bí thư", message=menu)
        view = await office.expect_reply()
        pick = await tap(office, "Đường dẫn mời kèm vai trò", view)
        role = await tap(office, "Ngô Văn Chờ", pick)
        await office.click("phó bí thư", message=role)
        pending = (await office.expect_reply()).text.split("?start=")[1].split()[0]
        assert internal_errors(emu) == []
    with db.session() as s:
        roles = {(r.member_id, r.role, r.granted_by) for r in s.execute(select(Role)).scalars()}
        invite_id = s.execute(select(Invite.id).where(Invite.role == "secretary")).scalar_one()
        assert (moi, "secretary", f"invite:{invite_id}") in roles
        assert not any(m == pho for m, _r, _b in roles)
        actions = [
            (e.action, e.entity_id)
            for e in s.execute(
                select(AuditEntry).where(AuditEntry.entity == "role").order_by(AuditEntry.id)
            ).scalars()
        ]
        assert actions[-3:] == [("grant", str(pho)), ("revoke", str(pho)), ("grant", str(moi))]
    # the members' invite list never hands out an invite carrying a role
    lines = {x.full_name: x.code for x in InviteService(db).for_cell(org.cell_id)}
    assert "Ngô Văn Chờ" in lines and lines["Ngô Văn Chờ"] != pending
    db.dispose()
