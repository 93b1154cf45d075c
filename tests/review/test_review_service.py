"""The review conversation at the service level, on a real database: what a member is asked,
what is stored, resuming, /back, stale buttons, editing from the summary, submitting."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.services.errors import UserError
from bot.services.invites import InviteService
from bot.services.replies import Outcome
from bot.services.reviews import ReviewService
from bot.storage.db import Database
from bot.storage.models import Answer, SelfReview
from tests.factory import make_org, member_line

TG = 5550001


class Member:
    """A member pressing buttons by their label and typing text, at the service level."""

    def __init__(self, db: Database, tg: int) -> None:
        self.svc = ReviewService(db)
        self.tg = tg
        self.last = Outcome()

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last.replies)

    def buttons(self) -> dict[str, str]:
        for reply in reversed(self.last.replies):
            if reply.buttons:
                return {b.label: b.data for row in reply.buttons for b in row}
        return {}

    def open(self) -> Member:
        self.last = self.svc.open(self.tg)
        return self

    def press(self, label: str) -> Member:
        buttons = self.buttons()
        matches = [d for lbl, d in buttons.items() if label == lbl] or [
            d for lbl, d in buttons.items() if label in lbl
        ]
        assert len(matches) == 1, f"{label!r} not unique in {list(buttons)}"
        self.last = self.svc.on_button(self.tg, matches[0])
        return self

    def data(self, data: str) -> Member:
        self.last = self.svc.on_button(self.tg, data)
        return self

    def say(self, text: str) -> Member:
        self.last = self.svc.on_text(self.tg, text)
        return self


def _linked(
    db: Database, rulebook: str, kind: str = "không giữ chức vụ", civil_servant: bool = False
):
    org = make_org(
        db,
        [member_line("Nguyễn Thị Phương Thảo", kind=kind, civil_servant=civil_servant)],
        rulebook=rulebook,
        year={"2019": 2021, "2023": 2023, "2025": 2025}[rulebook],
    )
    line = InviteService(db).for_cell(org.cell_id)[0]
    InviteService(db).redeem(line.code, TG, TG)
    return org


def _answers(db: Database) -> dict[str, tuple[str, str]]:
    with db.session() as s:
        return {a.question: (a.value, a.note) for a in s.execute(select(Answer)).scalars()}


def test_2019_walkthrough_resume_back_stale_and_submit(db: Database) -> None:
    _linked(db, "2019")
    m = Member(db, TG).open()
    assert "Câu 1/38" in m.text and "Nguyễn Thị Phương Thảo" in m.text
    old_header_button = m.buttons()["✅ Đúng, tiếp tục"]
    m.press("Đúng, tiếp tục")
    assert "Câu 2/38" in m.text
    m.say("Ủy ban nhân dân xã")
    assert "Câu 3/38" in m.text
    m.press("Xuất sắc")
    assert "Ghi chú" in m.text
    m.say('Hoàn thành 100% chỉ tiêu <vượt> & "đúng hạn"')
    # a restart: a brand-new service object, same database, resumes at the same question
    m = Member(db, TG).open()
    assert "Câu 4/38" in m.text
    # a tap on the old header keyboard is recognised and not applied
    m.data(old_header_button)
    assert "câu hỏi cũ" in m.last.toast and "Câu 4/38" in m.text
    m.press("Tốt")
    m.press("Bỏ qua")
    assert "Câu 5/38" in m.text
    m.press("Tốt")
    m.press("Bỏ qua")
    assert "Biểu hiện 1." in m.text
    # /back goes to the previous question and shows the stored answer
    m.last = m.svc.back(TG)
    assert "Câu 5/38" in m.text and "Đã trả lời: Tốt" in m.text
    m.press("Giữ nguyên")
    assert "Biểu hiện 1." in m.text
    for n in range(1, 28):
        if n == 14:
            m.press("3.")
            assert "biện pháp khắc phục" in m.text
            m.say("Rút kinh nghiệm, sửa ngay")
        elif n == 20:
            m.press("4.")
            assert "chi bộ sẽ thảo luận" in m.text
            m.say("Tự giác báo cáo chi bộ")
        else:
            m.press("1.")
    assert "II." in m.text
    m.say("Đôi khi chưa sâu sát cơ sở.")
    m.say("Đã khắc phục hạn chế năm trước.")
    m.press("Không có")
    m.press("Không có")
    m.say("Tăng cường học tập nghị quyết.")
    assert (
        "Tự nhận mức xếp loại" in m.text
        and "quy định cho mức: <b>Hoàn thành tốt nhiệm vụ" in m.text
    )
    m.press("Hoàn thành tốt nhiệm vụ")
    assert "Tóm tắt bản kiểm điểm" in m.text
    answers = _answers(db)
    assert answers["c.c1"] == ("XS", 'Hoàn thành 100% chỉ tiêu <vượt> & "đúng hạn"')
    assert answers["i.14"] == ("3", "Rút kinh nghiệm, sửa ngay") and answers["i.1"] == ("1", "")
    assert answers["rate"] == ("HTTNV", "")
    # edit from the summary: indicator 14 down to level 1 drops its remedy, back to the summary
    m.press("Sửa phần 27 biểu hiện")
    m.press("14")
    m.press("1.")
    assert "Tóm tắt bản kiểm điểm" in m.text
    assert _answers(db)["i.14"] == ("1", "")
    m.press("Nộp bản kiểm điểm")
    assert "Đã nộp" in m.text
    with db.session() as s:
        assert s.execute(select(SelfReview.status)).scalar() == "submitted"
    before = _answers(db)
    m.say("thêm gì đó")
    assert "đã nộp" in m.text
    assert _answers(db) == before


def test_choosing_higher_than_the_rules_asks_for_a_reason(db: Database) -> None:
    _linked(db, "2023")
    m = Member(db, TG).open()
    m.press("Đúng, tiếp tục").press("Bỏ qua")
    for _ in range(4):
        m.press("Trung bình").press("Bỏ qua")
    for _ in range(27):
        m.press("1.")
    for _ in range(5):
        m.say("Nội dung") if "Không có" not in m.buttons() else m.press("Không có")
    assert "Hoàn thành nhiệm vụ" in m.text
    m.press("Hoàn thành tốt nhiệm vụ")
    assert "lý do" in m.text
    m.say("Đã cố gắng nhiều trong năm")
    assert "Tóm tắt" in m.text
    assert _answers(db)["rate"] == ("HTTNV", "Đã cố gắng nhiều trong năm")


def test_2025_tasks_points_and_bad_input(db: Database) -> None:
    _linked(db, "2025", civil_servant=True)
    m = Member(db, TG).open().press("Đúng, tiếp tục").press("Bỏ qua")
    assert "mỗi dòng một việc" in m.text
    m.say("- Trực tiếp dân\n- Báo cáo quý\n\n• Vận động thu quỹ")
    assert "Trực tiếp dân" in m.text
    m.press("Vượt")
    m.press("Hoàn thành đúng hạn")
    m.press("Hoàn thành chậm")
    assert "Xong" in " ".join(m.buttons())
    m.press("Xong")
    assert "tối đa" in m.text
    m.say("abc")
    assert "chưa phải số điểm" in m.text
    m.say("99")
    assert "chưa phải số điểm" in m.text
    m.say("14,5")
    m.press("Bỏ qua")
    value, _ = _answers(db)["p.g1"]
    assert value == "14.5"


def test_not_linked_and_exempt(db: Database) -> None:
    make_org(
        db,
        [member_line("Lê Văn Tám", status="miễn sinh hoạt", admitted="01/01/1980")],
        rulebook="2025",
    )
    with pytest.raises(UserError) as exc:
        ReviewService(db).open(999)
    assert exc.value.code == "not_linked"
