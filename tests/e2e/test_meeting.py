"""A full cell meeting through the real Application: the secretary opens it, types each member's
count (a count that does not add up is refused and stores nothing), overrides one proposal with
a reason, and receives the cell's documents, which are opened and checked."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from bot.sandbox import TelegramEmulator
from bot.sandbox.demo import make_org, member_line, vietnamese_names
from bot.sandbox.scripted import bot, prompt
from bot.services.invites import InviteService
from bot.services.org import OrgService
from bot.storage.db import Database, upgrade
from bot.storage.models import AuditEntry, BallotEntry, Override


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    return url


async def test_meeting_of_fifteen_from_opening_to_documents(sqlite_db: str) -> None:
    db = Database(sqlite_db)
    names = vietnamese_names(15, seed=3)
    org = make_org(
        db,
        [member_line(names[0], post="Bí thư chi bộ")] + [member_line(n) for n in names[1:]],
        rulebook="2023",
        year=2023,
    )
    codes = {x.full_name: x for x in InviteService(db).for_cell(org.cell_id)}
    OrgService(db).grant_role(codes[names[0]].member_id, "secretary")
    async with TelegramEmulator() as emu, bot(emu, sqlite_db):
        sec = emu.user(720001, "Bí thư")
        sec.send(f"/start {codes[names[0]].code}")
        await prompt(sec)
        sec.skip_pending()
        sec.send("/cell")
        menu = await sec.expect_reply()
        await sec.click("Họp chi bộ", message=menu)
        assert "Gõ ngày họp" in (await sec.expect_reply()).text
        sec.send("15/12/2023 7")  # 7 of 15 present: no quorum
        refused = await sec.expect_reply()
        assert "7" in refused.text and "15" in refused.text
        sec.skip_pending()
        sec.send("15/12/2023 14")
        meeting = await sec.expect_reply()
        assert "có mặt: 14" in meeting.text and "0/15" in meeting.text
        # first member: a count that does not add up is refused, nothing stored
        await sec.click(names[1], message=meeting)
        await sec.expect_reply()
        sec.send("14 14 0 9 2 1 0")  # 12 votes + 0 invalid != 14 collected
        bad = await sec.expect_reply()
        assert "12" in bad.text and "14" in bad.text
        with db.session() as s:
            assert s.execute(select(func.count(BallotEntry.id))).scalar() == 0
        # the same member, typed right; then everyone else, following the bot's "next" button
        votes = (
            ["12 2 0 0", "11 3 0 0", "10 4 0 0", "9 5 0 0"]
            + ["2 12 0 0"] * 9
            + ["0 3 11 0", "0 2 2 10"]
        )
        sec.send(votes[0])
        done = await sec.expect_reply()
        assert "Đã ghi phiếu" in done.text
        nxt = await sec.expect_reply()
        entered = 1
        order = [names[1]]
        while "Đã nhập phiếu cho mọi đảng viên" not in nxt.text:
            button = nxt.buttons[0][0]
            order.append(button)
            await sec.click(button, message=nxt)
            await sec.expect_reply()
            sec.send(votes[entered % len(votes)])
            assert "Đã ghi phiếu" in (await sec.expect_reply()).text
            nxt = await sec.expect_reply()
            entered += 1
        assert entered == 15
        await sec.click("Kết quả", message=nxt)
        results = await sec.expect_reply()
        assert "HTXSNV" in results.text or "xuất sắc" in results.text.lower()
        # override one proposal: a reason is required and recorded
        await sec.click("Quyết định khác", message=results)
        pick = await sec.expect_reply()
        await sec.click(order[-1], message=pick)
        levels = await sec.expect_reply()
        await sec.click("Hoàn thành nhiệm vụ", message=levels)
        assert "lý do" in (await sec.expect_reply()).text
        sec.send("Đã khắc phục khuyết điểm trong quý IV, chi bộ thống nhất")
        assert "Đã ghi quyết định" in (await sec.expect_reply()).text
        # the documents
        sec.skip_pending()
        sec.send("/cell")
        menu = await sec.expect_reply()
        await sec.click("Kết quả", message=menu)
        results = await sec.expect_reply()
        before = len(sec.documents())
        await sec.click("Nhận tài liệu", message=results)
        await emu.wait_until(lambda: len(sec.documents()) >= before + 6, timeout=30)
        docs = {d.file_name.rsplit(".", 1)[-1]: d for d in sec.documents()[before:]}
    assert {"xlsx", "docx", "png", "csv"} <= set(docs)
    ws = openpyxl.load_workbook(io.BytesIO(docs["xlsx"].data)).active
    cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(any(n in c for c in cells) for n in names[1:])
    assert not any(c.startswith("=") for c in cells)
    rows = list(csv.reader(io.StringIO(docs["csv"].data.decode("utf-8-sig"))))
    assert len(rows) >= 16
    assert docs["png"].data[:8] == b"\x89PNG\r\n\x1a\n"
    with db.session() as s:
        assert (
            s.execute(
                select(func.count(BallotEntry.id)).where(BallotEntry.locked_at.is_not(None))
            ).scalar()
            == 15
        )
        override = s.execute(select(Override)).scalar_one()
        assert override.level == "HTNV" and "quý IV" in override.reason
        assert (
            s.execute(
                select(func.count(AuditEntry.id)).where(AuditEntry.entity == "ballot")
            ).scalar()
            >= 15
        )
    db.dispose()
