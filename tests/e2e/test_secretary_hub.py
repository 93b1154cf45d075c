"""The secretary's /cell hub through the real Application: roster import by sending a file
(good, bad, not a spreadsheet), invite links as a message and a file, progress with the
members' states, and another cell's data refused."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from bot.sandbox import TelegramEmulator
from bot.sandbox.demo import make_org, member_line
from bot.sandbox.scripted import Script, answer_one, bot, prompt
from bot.services.invites import InviteService
from bot.services.org import OrgService
from bot.storage.db import Database, upgrade
from bot.storage.models import Member

HEADER = [
    "Họ và tên",
    "Ngày sinh",
    "Trạng thái",
    "Ngày vào Đảng",
    "Đối tượng",
    "Công chức, viên chức",
]


def xlsx(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    return url


async def test_roster_invites_progress_and_other_cell(sqlite_db: str) -> None:
    db = Database(sqlite_db)
    org = make_org(
        db,
        [member_line("Hoàng Văn Sơn", post="Bí thư chi bộ"), member_line("Vũ Thị Hoa")],
        other_lines=[member_line("Đinh Văn Tây")],
        rulebook="2025",
        year=2025,
    )
    codes = {x.full_name: x for x in InviteService(db).for_cell(org.cell_id)}
    OrgService(db).grant_role(codes["Hoàng Văn Sơn"].member_id, "secretary")
    async with TelegramEmulator() as emu, bot(emu, sqlite_db):
        son = emu.user(710001, "Sơn")
        son.send(f"/start {codes['Hoàng Văn Sơn'].code}")
        await prompt(son)
        son.skip_pending()
        son.send("/cell")
        menu = await son.expect_reply()
        assert "Chi bộ thôn Đông" in menu.text
        # a bad file: nothing saved, the rows named
        await son.upload(
            xlsx(
                [
                    ["Lê Văn Một", "30/02/1970", "chính thức", "01/01/2000", "", ""],
                    ["Lê Văn Hai", "01/02/1970", "đang sinh hoạt", "01/01/2000", "", ""],
                ]
            ),
            "danh-sach.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        report = await son.expect_reply()
        assert "chưa lưu gì" in report.text and "Dòng 2" in report.text and "Dòng 3" in report.text
        # not a spreadsheet
        await son.upload(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary", "anh.png", "image/png")
        assert "không phải bảng tính" in (await son.expect_reply()).text
        # a good file adds two members
        await son.upload(
            xlsx(
                [
                    ["Lê Văn Một", "03/02/1970", "chính thức", "01/01/2000", "", "không"],
                    ["Lê Thị Hai", "01/02/1972", "dự bị", "01/06/2025", "", "có"],
                ]
            ),
            "danh-sach.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        assert "2 đảng viên mới" in (await son.expect_reply()).text
        # invite links for everyone not yet linked, as a message and as a file
        son.skip_pending()
        await son.click("Mã mời", message=menu)
        links = await son.expect_reply()
        assert "Lê Văn Một" in links.text and "kiemdiem_test_bot?start=" in links.text
        assert "Hoàng Văn Sơn" not in links.text  # already linked
        await emu.wait_until(lambda: any(d.file_name.endswith(".txt") for d in son.documents()))
        # Hoa starts her review; progress shows her in progress
        hoa = emu.user(710002, "Hoa")
        hoa.send(f"/start {codes['Vũ Thị Hoa'].code}")
        first = await prompt(hoa)
        await answer_one(hoa, first, Script())
        son.skip_pending()
        await son.click("Tiến độ", message=menu)
        progress = await son.expect_reply()
        assert "Vũ Thị Hoa — 1/" in progress.text
        assert "Chưa liên kết Telegram: 2" in progress.text
        # a forged button for the other cell is refused and shows nothing of it
        answer = await son.click_data(f"cm:{org.other_cell_id}:progress", menu)
        assert answer is not None and "không có quyền" in (answer.text or "")
        # an ordinary member has no hub
        hoa.skip_pending()
        hoa.send("/cell")
        assert "dành cho bí thư" in (await hoa.expect_reply()).text
    with db.session() as s:
        assert (
            s.execute(select(func.count(Member.id)).where(Member.cell_id == org.cell_id)).scalar()
            == 4
        )
    db.dispose()
