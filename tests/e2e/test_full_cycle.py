"""One whole review cycle of a 12-member cell through the real Application and the emulator, on
a real SQLite file and on PostgreSQL (issue 6, part 3).

The office creates the organisation, the cell and the 2025 period with the command line and
links the secretary; the secretary imports the roster by sending an .xlsx in chat and hands out
the invite links; every member opens their link. Eight members answer their review themselves
(full points with exceeded tasks, a self-rating above what the answers give, decline
indicators, low points), two are entered by the secretary with /proxy, two stop half-way. The
reminder sender, on a clock three days before the due date, reminds exactly those two, once.
The bot restarts; the two resume at the question they stopped at and submit. The office records
a discipline. The secretary opens the meeting (a count without quorum is refused first), types
the twelve counts (one corrected after locking, with a reason), sees the proposals with the cap
on the top level binding, overrides one with a reason, and receives the documents, which are
opened and compared with what the rating engine gives for the same database.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from docx import Document as Docx
from PIL import Image, ImageChops
from sqlalchemy import func, select
from telegram import Bot

from bot.batch import rate_document
from bot.documents.charts import LEVEL_COLOURS
from bot.reminders.pacing import Pacer
from bot.reminders.worker import ReminderConfig, ReminderWorker
from bot.sandbox import TelegramEmulator
from bot.sandbox.client import SimUser
from bot.sandbox.emulator import ChatMessage, StoredFile
from bot.sandbox.scripted import Script, bot, complete_review, prompt, settings_for
from bot.services.results import ResultsService
from bot.storage.db import Database
from bot.storage.models import (
    Answer,
    AuditEntry,
    BallotEntry,
    Member,
    Override,
    Reminder,
    SelfReview,
)
from tests.cli import kiemdiem

pytestmark = pytest.mark.slow

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = [
    "Họ và tên",
    "Ngày sinh",
    "Trạng thái",
    "Ngày vào Đảng",
    "Đối tượng",
    "Chức vụ Đảng",
    "Công chức, viên chức",
]
NON_LEADER = "không giữ chức vụ"
OUTSIDE = "ngoài hệ thống chính trị"
LEVEL_NAMES = {
    "HTXSNV": "Hoàn thành xuất sắc nhiệm vụ",
    "HTTNV": "Hoàn thành tốt nhiệm vụ",
    "HTNV": "Hoàn thành nhiệm vụ",
    "KHTNV": "Không hoàn thành nhiệm vụ",
}
# The 2025 rulebook: the proposal is the lower of the points level and the vote level.
PLAN = """\
as_of: 2025-12-20
deadlines:
  self_review_due: 2025-12-05
  meeting: 2025-12-10
"""
PRESENT = 11  # of 12 official members
SECRETARY = "Hoàng Văn Sơn"
OVERRIDE_REASON = "Đã khắc phục hạn chế trong quý IV, chi bộ thống nhất nâng mức"


def full_marks() -> Script:
    """Every points item at its maximum and every task exceeded: the HTXSNV band."""
    return Script(points=lambda maximum: str(maximum), task_status="Vượt")


@dataclass
class Person:
    name: str
    born: str
    how: Literal["self", "proxy", "abandon"]
    self_level: str  # what the member's own answers give (QĐ 366 Điều 11 bands)
    counts: str  # the ballot as the secretary types it (votes HTXSNV HTTNV HTNV KHTNV)
    vote_level: str  # kh61-2021 over the PRESENT voters
    proposed: str  # before the cap on the top level
    final: str  # after it
    kind: str = NON_LEADER
    post: str = ""
    script: Callable[[], Script] = Script
    self_rated: str = ""  # the level the member proposes for themself (default: self_level)
    stop_after: int = 0  # abandon after this many answers
    user: SimUser | None = None
    member_id: int = 0
    seen: dict[str, Any] = field(default_factory=dict)

    @property
    def roster_row(self) -> list[object]:
        return [self.name, self.born, "chính thức", "19/05/2005", self.kind, self.post, "không"]

    @property
    def own_rating(self) -> str:
        return self.self_rated or self.self_level


def people() -> list[Person]:
    """Three with full marks and at least 70 % HTXSNV votes compete for the one HTXSNV place
    (10 members end HTTNV or higher: floor(20 × 10 / 120) = 1, QĐ 366 Điều 11); Sơn has the
    highest share, so Lan (10/11) and Bình (8/11) are capped to HTTNV."""
    return [
        Person(SECRETARY, "02/01/1966", "self", "HTXSNV", "11 0 0 0", "HTXSNV", "HTXSNV",
               "HTXSNV", post="Bí thư chi bộ", script=full_marks),
        Person("Nguyễn Thị Lan", "14/03/1970", "self", "HTXSNV", "10 1 0 0", "HTXSNV", "HTXSNV",
               "HTTNV", script=full_marks),
        Person("Trần Văn Bình", "21/07/1968", "self", "HTXSNV", "8 3 0 0", "HTXSNV", "HTXSNV",
               "HTTNV", script=full_marks),
        # rates herself higher than her answers give; the cell votes HTXSNV; points decide
        Person("Lê Thị Hoa", "05/05/1975", "self", "HTTNV", "9 2 0 0", "HTXSNV", "HTTNV",
               "HTTNV", script=lambda: Script(rating=LEVEL_NAMES["HTXSNV"]),
               self_rated="HTXSNV"),
        # decline indicators: 3 at level 3, 14 at level 4 (the cell must consider handling)
        Person("Phạm Văn Cường", "30/09/1964", "self", "HTTNV", "0 9 2 0", "HTTNV", "HTTNV",
               "HTTNV", script=lambda: Script(indicator=lambda n: {3: 3, 14: 4}.get(n, 1))),
        # disciplined in the year (recorded by the office): forced KHTNV despite the vote
        Person("Vũ Văn Dũng", "11/11/1972", "self", "HTTNV", "0 8 3 0", "HTTNV", "KHTNV",
               "KHTNV"),
        Person("Đặng Thị Mai", "09/02/1980", "self", "HTNV", "0 5 6 0", "HTNV", "HTNV", "HTNV",
               script=lambda: Script(points=lambda maximum: str(maximum * 6 // 10))),
        Person("Bùi Văn Nam", "17/08/1958", "proxy", "HTTNV", "1 10 0 0", "HTTNV", "HTTNV",
               "HTTNV"),
        Person("Đỗ Thị Nga", "25/12/1955", "proxy", "HTTNV", "0 11 0 0", "HTTNV", "HTTNV",
               "HTTNV", kind=OUTSIDE),
        # stops with a points answer typed and its note still asked (a sub-step)
        Person("Ngô Văn Phúc", "03/04/1978", "abandon", "HTTNV", "2 9 0 0", "HTTNV", "HTTNV",
               "HTTNV", stop_after=10),
        # stops in the middle of the 27 indicators
        Person("Dương Thị Trang", "08/06/1982", "abandon", "HTTNV", "0 10 1 0", "HTTNV",
               "HTTNV", "HTTNV", stop_after=20),
        Person("Lý Văn Tuấn", "19/10/1969", "self", "HTTNV", "1 10 0 0", "HTTNV", "HTTNV",
               "HTTNV"),
    ]  # fmt: skip


# ---- helpers -------------------------------------------------------------------------------


def xlsx(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def docx_text(data: bytes) -> str:
    doc = Docx(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def docx_rows(data: bytes) -> list[list[str]]:
    doc = Docx(io.BytesIO(data))
    return [[c.text.strip() for c in row.cells] for t in doc.tables for row in t.rows]


def question_number(msg: ChatMessage) -> str:
    m = re.search(r"Câu (\d+)/", msg.text or "")
    assert m is not None, msg.text
    return m.group(1)


def line_value(text: str, label: str) -> str:
    m = re.search(re.escape(label) + r"\s*(.+)", text)
    assert m is not None, (label, text[-2000:])
    return m.group(1).strip()


async def form_of(emu: TelegramEmulator, user: SimUser, before: int) -> str:
    """The text of the Word form the bot sent `user` as its first file after `before` files."""
    await emu.wait_until(lambda: len(user.documents()) > before, timeout=10)
    doc = user.documents()[before]
    assert doc.file_name.endswith(".docx"), doc.file_name
    return docx_text(doc.data)


def colour_mask(im: Image.Image, rgb: tuple[int, int, int]) -> Image.Image:
    """An L image, 255 where `im` has exactly the colour `rgb`."""
    bands = [
        band.point(lambda v, want=want: 255 if v == want else 0)
        for band, want in zip(im.convert("RGB").split(), rgb, strict=True)
    ]
    return ImageChops.multiply(ImageChops.multiply(bands[0], bands[1]), bands[2])


def pixels(im: Image.Image, rgb: tuple[int, int, int]) -> int:
    return dict((c, n) for n, c in colour_mask(im, rgb).getcolors() or []).get(255, 0)


def shaded_boxes(im: Image.Image, rgb: tuple[int, int, int]) -> list[tuple[int, int, int, int]]:
    """The boxes of the separate horizontal bands painted `rgb`, top to bottom."""
    mask = colour_mask(im, rgb)
    rows = [y for y in range(mask.height) if mask.crop((0, y, mask.width, y + 1)).getbbox()]
    bands: list[list[int]] = []
    for y in rows:
        if bands and y == bands[-1][-1] + 1:
            bands[-1].append(y)
        else:
            bands.append([y])
    out = []
    for band in bands:
        box = mask.crop((0, band[0], mask.width, band[-1] + 1)).getbbox()
        assert box is not None
        out.append((box[0], band[0], box[2], band[-1]))
    return out


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, db_url: str) -> Callable[..., str]:
    """The office's `kiemdiem` on the test's database; fails the test on a non-zero exit."""

    def run(*args: str) -> str:
        result = kiemdiem(monkeypatch, db_url, *args)
        assert result.code == 0, (args, result.out, result.err)
        return result.out

    return run


# ---- the cycle -----------------------------------------------------------------------------


async def test_full_cycle_of_a_twelve_member_cell(
    db_url: str, cli: Callable[..., str], tmp_path: Path
) -> None:
    db = Database(db_url)
    cast = people()
    by_name = {p.name: p for p in cast}
    sec_person = by_name[SECRETARY]

    # ---- the office: organisation, cell, period and the secretary, from the command line ----
    org_id = int(cli("org", "create", "Đảng bộ xã An Bình"))
    cell_id = int(cli("cell", "create", str(org_id), "Chi bộ thôn Đông"))
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    cli("period", "open", str(org_id), "--year", "2025", "--plan", str(tmp_path / "plan.yaml"))
    (tmp_path / "bi-thu.xlsx").write_bytes(xlsx([sec_person.roster_row]))
    cli("roster", "import", str(tmp_path / "bi-thu.xlsx"), "--cell", str(cell_id))
    with db.session() as s:
        sec_id = s.execute(select(Member.id).where(Member.cell_id == cell_id)).scalar_one()
    cli("role", "grant", str(sec_id), "secretary")
    (sec_invite,) = json.loads(cli("invites", "--cell", str(cell_id), "--json"))
    assert sec_invite["name"] == SECRETARY

    async with TelegramEmulator() as emu:
        for i, p in enumerate(cast):
            p.user = emu.user(731001 + i, p.name.split()[-1])
        sec = sec_person.user
        assert sec is not None
        async with bot(emu, db_url):
            # ---- the secretary links, imports the roster in chat, gets the invite links ----
            sec.send(f"/start {sec_invite['code']}")
            assert "Đã liên kết" in (await sec.expect_reply()).text
            await prompt(sec)
            sec.skip_pending()
            sec.send("/cell")
            menu = await sec.expect_reply()
            assert "Chi bộ thôn Đông" in menu.text
            await sec.upload(xlsx([p.roster_row for p in cast]), "danh-sach.xlsx", XLSX_MIME)
            report = await sec.expect_reply()
            assert "11 đảng viên mới" in report.text, report.text
            files_before = len(sec.documents())
            await sec.click("Mã mời", message=menu)
            links = await sec.expect_reply()
            codes = dict(re.findall(r"• (.+?): \S+\?start=(\S+)", links.text))
            assert set(codes) == set(by_name) - {SECRETARY}  # the secretary is linked already
            await emu.wait_until(lambda: len(sec.documents()) > files_before)
            sheet = sec.documents()[files_before]
            assert sheet.file_name.endswith(".txt")
            assert all(code in sheet.data.decode("utf-8") for code in codes.values())
            with db.session() as s:
                ids = dict(
                    s.execute(
                        select(Member.full_name, Member.id).where(Member.cell_id == cell_id)
                    ).all()
                )
            assert set(ids) == set(by_name)
            for p in cast:
                p.member_id = ids[p.name]

            # ---- every member opens their link ----
            firsts: dict[str, ChatMessage] = {}
            for p in cast:
                assert p.user is not None
                if p is sec_person:
                    continue
                p.user.send(f"/start {codes[p.name]}")
                linked = await p.user.expect_reply()
                assert "Đã liên kết" in linked.text and p.name in linked.text
                firsts[p.name] = await prompt(p.user)
                assert "Câu 1/" in firsts[p.name].text

            # ---- the reviews: members answer themselves; two stop half-way ----
            sec.skip_pending()
            sec.send("/review")
            firsts[SECRETARY] = await prompt(sec)
            assert "Câu 1/" in firsts[SECRETARY].text
            stopped: dict[str, ChatMessage] = {}
            for p in cast:
                assert p.user is not None
                if p.how == "proxy":
                    continue
                if p.how == "abandon":
                    stopped[p.name] = await complete_review(
                        p.user, firsts[p.name], p.script(), stop_after=p.stop_after
                    )
                    continue
                before = len(p.user.documents())
                done = await complete_review(p.user, firsts[p.name], p.script())
                assert "Đã nộp" in done.text
                p.seen["form"] = await form_of(emu, p.user, before)
            assert "Ghi chú, minh chứng" in stopped["Ngô Văn Phúc"].text  # awaiting the note
            assert "Biểu hiện" in stopped["Dương Thị Trang"].text
            # ---- two entered by the secretary ----
            for p in cast:
                if p.how != "proxy":
                    continue
                sec.skip_pending()
                sec.send("/proxy")
                pick = await prompt(sec)
                await sec.click(p.name, message=pick)
                first = await prompt(sec)
                assert p.name in first.text
                before = len(sec.documents())
                done = await complete_review(sec, first, p.script())
                assert p.name in done.text
                p.seen["form"] = await form_of(emu, sec, before)
                sec.skip_pending()
                sec.send("/proxy_end")
                assert "Đã dừng nhập hộ" in (await sec.expect_reply()).text

            # ---- reminders: three days before the due date, the two late members, once ----
            for p in cast:
                assert p.user is not None
                p.user.skip_pending()
            async with Bot(emu.token, base_url=emu.base_url) as sender_bot:
                now = datetime(2025, 12, 2, 8, 0, tzinfo=HCM).astimezone(UTC)
                worker = ReminderWorker(
                    db,
                    settings_for(emu, db_url),
                    ReminderConfig(_env_file=None),  # type: ignore[call-arg]
                    bot=sender_bot,
                    clock=lambda: now,
                    pacer=Pacer(None, chat_interval=0),
                )
                for hour in (8, 8, 12, 20):  # the same morning again, noon, evening
                    now = datetime(2025, 12, 2, hour, 0, tzinfo=HCM).astimezone(UTC)
                    await worker.run_once(now)
            for p in cast:
                assert p.user is not None
                reminded = [
                    m for m in p.user.replies() if "hạn nộp bản kiểm điểm" in (m.text or "")
                ]
                assert len(reminded) == (1 if p.how == "abandon" else 0), (p.name, reminded)
                if reminded:
                    text = reminded[0].text or ""
                    assert "Còn 3 ngày đến hạn nộp bản kiểm điểm" in text
                    assert "05/12/2025" in text and p.name in text
                    p.seen["reminder"] = reminded[0]
            with db.session() as s:
                states = s.execute(select(Reminder.member_id, Reminder.state)).all()
            assert sorted(states) == sorted(
                (p.member_id, "sent") for p in cast if p.how == "abandon"
            )

        # ---- the bot restarts: a new Application on the same database ----
        async with bot(emu, db_url):
            phuc, trang = by_name["Ngô Văn Phúc"], by_name["Dương Thị Trang"]
            assert phuc.user is not None and trang.user is not None
            phuc.user.send("/review")
            resumed = {phuc.name: await prompt(phuc.user)}
            # Trang comes back through the reminder's button
            await trang.user.click("Làm bản kiểm điểm", message=trang.seen["reminder"])
            resumed[trang.name] = await prompt(trang.user)
            for p in (phuc, trang):
                assert p.user is not None
                assert question_number(resumed[p.name]) == question_number(stopped[p.name])
                assert resumed[p.name].text == stopped[p.name].text, p.name
                before = len(p.user.documents())
                done = await complete_review(p.user, resumed[p.name], p.script())
                assert "Đã nộp" in done.text
                p.seen["form"] = await form_of(emu, p.user, before)

            # ---- the office records a discipline ----
            dung = by_name["Vũ Văn Dũng"]
            cli("facts", "set", str(dung.member_id), "disciplined=có")

            # ---- the meeting: quorum, then every count typed ----
            sec.skip_pending()
            sec.send("/cell")
            menu = await sec.expect_reply()
            await sec.click("Họp chi bộ", message=menu)
            assert "Gõ ngày họp" in (await sec.expect_reply()).text
            sec.send("10/12/2025 6")  # 6 of 12 is not more than half
            refused = await sec.expect_reply()
            assert "6/12" in refused.text and "cần ít nhất 7" in refused.text
            sec.send(f"10/12/2025 {PRESENT}")
            meeting = await sec.expect_reply()
            assert f"có mặt: {PRESENT}" in meeting.text and "0/12" in meeting.text
            lan = by_name["Nguyễn Thị Lan"]
            typed = {p.name: p.counts for p in cast} | {lan.name: "9 2 0 0"}  # misread
            label = meeting.buttons[0][0]
            current = label.split(" ", 1)[1]  # "▫️ Name"
            await sec.click(label, message=meeting)
            entered: list[str] = []
            while True:
                assert current in (await sec.expect_reply()).text  # "Phiếu xếp loại đồng chí …"
                sec.send(typed[current])
                assert "Đã ghi phiếu" in (await sec.expect_reply()).text
                entered.append(current)
                nxt = await sec.expect_reply()
                if "Đã nhập phiếu cho mọi đảng viên" in nxt.text:
                    break
                current = nxt.buttons[0][0]
                await sec.click(current, message=nxt)
            assert sorted(entered) == sorted(by_name)
            # a locked count changes only with a reason
            sec.send("/cell")
            menu = await sec.expect_reply()
            await sec.click("Họp chi bộ", message=menu)
            listing = await sec.expect_reply()
            assert "12/12" in listing.text
            await sec.click(f"✅ {lan.name}", message=listing)
            assert "đã khóa" in (await sec.expect_reply()).text
            sec.send(lan.counts)
            assert "muốn sửa phải ghi rõ lý do" in (await sec.expect_reply()).text
            sec.send(f"{lan.counts}\nKiểm lại phát hiện đọc nhầm 1 phiếu")
            corrected = await sec.expect_reply()
            assert "đã sửa" in corrected.text and "Xuất sắc 10, Tốt 1" in corrected.text
            assert "Đã nhập phiếu cho mọi đảng viên" in (await sec.expect_reply()).text

            # ---- the proposals, the cap binding, an override ----
            sec.send("/cell")
            menu = await sec.expect_reply()
            await sec.click("Kết quả", message=menu)
            results = await sec.expect_reply()
            text = results.text
            assert text.startswith("KẾT QUẢ ĐỀ XUẤT XẾP LOẠI"), text
            for p in cast:
                line = next(x for x in text.splitlines() if p.name in x)
                assert f"đề xuất {p.proposed} (phiếu: {p.vote_level})" in line, line
                capped = f"sau tỷ lệ HTXSNV: {p.final}"
                assert (capped in line) == (p.final != p.proposed), line
            assert "Tỷ lệ HTXSNV: tối đa 1 trong 10 đảng viên HTTNV trở lên; đã chọn 1." in text
            # Under a member, what held the level down: the discipline, the cap on the top level.
            lines = text.splitlines()
            after = {p.name: lines[i + 1] for i, x in enumerate(lines[:-1]) for p in cast
                     if p.name in x}  # fmt: skip
            assert after["Vũ Văn Dũng"].startswith("   – Bị xử lý kỷ luật trong năm"), after
            assert "10/11 phiếu" in after["Nguyễn Thị Lan"], after
            assert "xếp sau những người được chọn" in after["Nguyễn Thị Lan"], after
            mai = by_name["Đặng Thị Mai"]
            await sec.click("Quyết định khác", message=results)
            pick = await sec.expect_reply()
            await sec.click(mai.name, message=pick)
            levels = await sec.expect_reply()
            await sec.click(LEVEL_NAMES["HTTNV"], message=levels)
            assert "lý do" in (await sec.expect_reply()).text
            sec.send(OVERRIDE_REASON)
            assert "Đã ghi quyết định" in (await sec.expect_reply()).text

            # ---- the documents ----
            sec.send("/cell")
            menu = await sec.expect_reply()
            await sec.click("Kết quả", message=menu)
            results = await sec.expect_reply()
            assert f"* Chi ủy quyết định HTTNV: {OVERRIDE_REASON}" in results.text
            before = len(sec.documents())
            await sec.click("Nhận tài liệu", message=results)
            await emu.wait_until(lambda: len(sec.documents()) >= before + 6, timeout=30)
            received = sec.documents()[before:]

    # ---- the forms each member (or, for the two by proxy, the secretary) received ----
    for p in cast:
        form = p.seen["form"]
        assert p.name in form
        assert line_value(form, "Mức tính theo kết quả tự đánh giá:") == LEVEL_NAMES[p.self_level]
        assert line_value(form, "Xếp loại đảng viên:") == LEVEL_NAMES[p.own_rating]
        proxied = f"do đồng chí {SECRETARY} nhập thay" in form
        assert proxied == (p.how == "proxy"), p.name
    assert "Lý do tự nhận mức cao hơn" in by_name["Lê Thị Hoa"].seen["form"]
    assert "Tổng cộng\n100\n100" in sec_person.seen["form"]
    assert "Tổng cộng\n100\n60" in mai.seen["form"]

    # ---- what the engine gives for the same database ----
    engine = {m["id"]: m for m in rate_document(ResultsService(db).document("cli", org_id=org_id))[
        "members"]}  # fmt: skip
    out = {p.name: engine[str(p.member_id)] for p in cast}
    for p in cast:
        got = {k: out[p.name][k] for k in ("self_level", "vote_level", "proposed", "final")}
        assert got == {
            "self_level": p.self_level,
            "vote_level": p.vote_level,
            "proposed": p.proposed,
            "final": p.final,
        }, p.name

    def reasons(name: str) -> dict[str, str]:
        return {r["rule"]: r["text"] for r in out[name]["reasons"]}

    assert "top_cap.selected" in reasons(SECRETARY)
    for capped in ("Nguyễn Thị Lan", "Trần Văn Bình"):
        assert "top_cap.over" in reasons(capped), reasons(capped)
    assert "10/11" in reasons("Nguyễn Thị Lan")["top_cap.over"]  # the corrected count
    assert "proposed.lower_of" in reasons("Lê Thị Hoa")
    assert "cap.disciplined" in reasons("Vũ Văn Dũng")
    assert "proposed.lowered" in reasons("Vũ Văn Dũng")
    assert out["Phạm Văn Cường"]["flags"] == ["indicator_handling"]
    assert out[SECRETARY]["self_points"] == 100 and out["Đặng Thị Mai"]["self_points"] == 60

    # ---- the documents received in chat ----
    kinds = sorted(
        ("minutes" if d.file_name.startswith("bien-ban") else d.file_name.rsplit(".", 1)[-1])
        for d in received
    )
    assert kinds == ["csv", "docx", "minutes", "png", "png", "xlsx"], kinds
    files: dict[str, StoredFile] = {
        "minutes" if d.file_name.startswith("bien-ban") else d.file_name.rsplit(".", 1)[-1]: d
        for d in received
        if not d.file_name.endswith(".png")
    }

    # The summary (.xlsx, Mẫu 03): the engine's levels, the override, the cap, the totals.
    ws = openpyxl.load_workbook(io.BytesIO(files["xlsx"].data)).active
    assert ws is not None
    values = list(ws.iter_rows(values_only=True))
    rows = {str(r[1]): r for r in values if r[1] in by_name}
    assert len(rows) == 12
    for p in cast:
        r = rows[p.name]
        assert r[3] == p.own_rating, (p.name, r)  # (4) the member's own rating
        assert r[6] == ("HTTNV*" if p is mai else None), (p.name, r)  # (7) chi ủy decided
        assert r[8] == p.proposed, (p.name, r)  # (9) the cell's proposal
        assert r[9] == p.final, (p.name, r)  # (10) after the cap
    assert "vượt tỷ lệ HTXSNV, còn HTTNV" in str(rows["Nguyễn Thị Lan"][10])
    assert "vượt tỷ lệ HTXSNV, còn HTTNV" in str(rows["Trần Văn Bình"][10])
    assert "vượt tỷ lệ" not in str(rows[SECRETARY][10] or "")
    assert OVERRIDE_REASON in str(rows["Đặng Thị Mai"][10])
    assert "kỷ luật" in str(rows["Vũ Văn Dũng"][10])
    assert "chi bộ xem xét xử lý" in str(rows["Phạm Văn Cường"][10])
    footer = [str(c) for r in values for c in r if isinstance(c, str)]
    totals = "Tổng số: 12 đảng viên; HTXSNV 1, HTTNV 10, HTNV 0, KHTNV 1, chưa xác định 0"
    assert any(totals in c for c in footer), footer
    assert any("tối đa 1 đảng viên (20% của 10 đảng viên" in c for c in footer), footer

    # The summary (.docx): the same table.
    table = {r[1]: r for r in docx_rows(files["docx"].data) if len(r) == 11}
    for p in cast:
        assert table[p.name][3] == p.own_rating, table[p.name]
        assert table[p.name][8] == p.proposed, table[p.name]
        assert table[p.name][9] == p.final, table[p.name]
    assert table[mai.name][6] == "HTTNV*"
    assert totals in docx_text(files["docx"].data)

    # The minutes: electorate, present, every count as typed (Lan's as corrected), the result.
    minutes = files["minutes"].data
    text = docx_text(minutes)
    assert "đình chỉ): 12 đồng chí" in text  # the electorate
    assert f"có mặt tham gia bỏ phiếu: {PRESENT} đồng chí" in text
    assert f"Ban kiểm phiếu gồm các đồng chí: {SECRETARY}." in text
    mrows = {r[1]: r for r in docx_rows(minutes) if len(r) > 10 and r[1] in by_name}
    assert len(mrows) == 12
    for p in cast:
        r = mrows[p.name]
        assert r[2:6] == [str(PRESENT), str(PRESENT), str(PRESENT), "0"], r
        assert r[6:10] == p.counts.split(), r
        assert r[10] == p.vote_level, r

    # The CSV (`;`-separated, Excel's list separator on a Vietnamese Windows).
    table_csv = list(csv.reader(io.StringIO(files["csv"].data.decode("utf-8-sig")), delimiter=";"))
    col = {h: i for i, h in enumerate(table_csv[0])}
    by_csv = {r[col["Họ và tên"]]: r for r in table_csv[1:]}
    assert set(by_csv) == set(by_name)
    for p in cast:
        r = by_csv[p.name]
        assert r[col["Phiếu HTXSNV"]] == p.counts.split()[0], p.name
        assert r[col["Mức theo phiếu"]] == p.vote_level, p.name
        assert r[col["Đề xuất"]] == p.proposed, p.name
        assert r[col["Sau tỷ lệ HTXSNV"]] == p.final, p.name
        assert r[col["Quyết định khác"]] == ("HTTNV" if p is mai else ""), p.name
        assert r[col["Bản kiểm điểm"]] == "đã nộp", p.name

    # The results chart: bars of equal width, so each level's area is its count of members
    # (the decided levels: Mai's override counts as HTTNV).
    pngs = {d.file_name.split("-", 1)[0]: d for d in received if d.file_name.endswith(".png")}
    with Image.open(io.BytesIO(pngs["ket"].data)) as im:
        assert im.format == "PNG"
        area = {k: pixels(im, LEVEL_COLOURS[k]) for k in ("HTXSNV", "HTTNV", "HTNV", "KHTNV")}
    unit = area["HTXSNV"]
    assert unit > 0
    assert {k: round(v / unit) for k, v in area.items()} == {
        "HTXSNV": 1,
        "HTTNV": 10,
        "HTNV": 0,
        "KHTNV": 1,
    }, area
    # The anonymous indicator chart: exactly two cells say "<3" (pale orange): indicator 3 at
    # level 3, then, lower and one column to the right, indicator 14 at level 4.
    with Image.open(io.BytesIO(pngs["bieu"].data)) as im:
        assert im.format == "PNG"
        boxes = shaded_boxes(im, (255, 224, 178))
    assert len(boxes) == 2, boxes
    (x0, y0, x1, _), (u0, v0, _, _) = boxes
    column = x1 - x0 + 3  # a cell is painted 2 px inside its column on each side
    assert v0 > y0 and abs((u0 - x0) - column) <= 1, boxes

    # ---- what is stored ----
    with db.session() as s:
        submitted = s.execute(
            select(func.count(SelfReview.id)).where(SelfReview.status == "submitted")
        ).scalar()
        assert submitted == 12
        proxied_members = set(
            s.execute(
                select(SelfReview.member_id)
                .join(Answer, Answer.review_id == SelfReview.id)
                .where(Answer.proxy.is_(True))
            ).scalars()
        )
        assert proxied_members == {p.member_id for p in cast if p.how == "proxy"}
        locked = s.execute(
            select(func.count(BallotEntry.id)).where(BallotEntry.locked_at.is_not(None))
        ).scalar()
        assert locked == 12
        (correction,) = s.execute(
            select(AuditEntry).where(AuditEntry.entity == "ballot", AuditEntry.action == "correct")
        ).scalars()
        assert correction.entity_id.endswith(f"/{lan.member_id}")
        override = s.execute(select(Override)).scalar_one()
        assert (override.member_id, override.level) == (mai.member_id, "HTTNV")
        assert override.reason == OVERRIDE_REASON
    db.dispose()
