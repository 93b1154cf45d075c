"""The meeting's minutes and programme through the real services, on SQLite and PostgreSQL:
conclusions encrypted at rest, audited and editable until closing; closing refused while a
reviewed member has no conclusion or no final ballot, saying who; attendance checks; access;
an earlier period's meeting refused; both .docx files opened and read."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import pytest
from docx import Document as open_docx
from sqlalchemy import select, text

from bot.sandbox.demo import make_org, member_line
from bot.services.access import Actor
from bot.services.errors import UserError
from bot.services.meeting_minutes import MeetingMinutesService
from bot.services.meetings import Counts, MeetingService
from bot.services.org import OrgService
from bot.storage.db import Database
from bot.storage.models import AuditEntry, Member
from tests.secretary.helpers import actor, member_ids

HEAD = "Trần Văn Bình"  # Bí thư chi bộ
DEPUTY = "Lê Thị Dung"  # Phó Bí thư
COMMITTEE = "Phạm Văn Giang"  # Chi ủy viên
LEADER = "Ngô Thị Hằng"  # lãnh đạo, quản lý
MEMBER_A = "Đỗ Văn An"
MEMBER_B = "Vũ Thị Yến"
RECENT = "Hồ Văn Khoa"  # probationary, admitted 3 months before the rating date: not rated
EXEMPT = "Bùi Văn Lộc"
OTHER = "Đinh Văn Tây"  # of the other cell


@dataclass
class World:
    db: Database
    cell: int
    other_cell: int
    org: int
    ids: dict[str, int]
    meeting: int
    service: MeetingMinutesService


def make_world(db: Database, *, ballots_for: tuple[str, ...] | None = None) -> World:
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
            member_line(EXEMPT, status="miễn sinh hoạt"),
        ],
        other_lines=[member_line(OTHER, post="Bí thư chi bộ")],
        rulebook="2025",
        year=2025,
    )
    ids = member_ids(db, org.cell_id) | member_ids(db, org.other_cell_id)
    OrgService(db).grant_role(ids[HEAD], "secretary")
    meetings = MeetingService(db)
    meetings.open("cli", org.cell_id, date(2025, 12, 15), 5)  # 6 official, 1 absent
    official = (HEAD, DEPUTY, COMMITTEE, LEADER, MEMBER_A, MEMBER_B)
    for name in official if ballots_for is None else ballots_for:
        meetings.enter_ballot("cli", org.cell_id, ids[name], Counts(5, 5, 0, (4, 1, 0, 0)))
    service = MeetingMinutesService(db)
    return World(
        db,
        org.cell_id,
        org.other_cell_id,
        org.org_id,
        ids,
        service.meeting_for_cell("cli", org.cell_id),
        service,
    )


def secretary(w: World) -> Actor:
    return actor(w.db, w.ids[HEAD], ("secretary", w.cell))


def test_review_order_and_who_needs_a_ballot(db: Database) -> None:
    w = make_world(db)
    state = w.service.state(secretary(w), w.meeting)
    assert [r.name for r in state.reviewed] == [
        HEAD,
        DEPUTY,
        COMMITTEE,
        LEADER,
        MEMBER_A,  # members in Vietnamese alphabetical order: An before Khoa before Yến
        RECENT,
        MEMBER_B,
    ]
    assert EXEMPT not in [r.name for r in state.reviewed]  # exempt: not reviewed
    needs = {r.name: r.needs_ballot for r in state.reviewed}
    assert needs[RECENT] is False and all(v for k, v in needs.items() if k != RECENT)
    assert state.electorate == 6 and state.present == 5 and state.absent_official == 1


def test_conclusions_encrypted_audited_and_editable_until_closed(db: Database) -> None:
    w = make_world(db)
    sec = secretary(w)
    first = "Ưu điểm: gương mẫu.\nKhuyết điểm: chậm nộp báo cáo quý III."
    saved = w.service.set_conclusion(sec, w.meeting, w.ids[MEMBER_A], first)
    assert saved.edited is False and saved.name == MEMBER_A
    saved = w.service.set_conclusion(sec, w.meeting, w.ids[MEMBER_A], "  Hoàn thành tốt.  ")
    assert saved.edited is True
    assert saved.state.person(w.ids[MEMBER_A]).conclusion == "Hoàn thành tốt."
    with db.session() as s:
        raw = s.execute(text("SELECT text FROM meeting_conclusions")).scalars().all()
        assert len(raw) == 1 and "Hoàn thành" not in raw[0] and "gương mẫu" not in raw[0]
        entries = (
            s.execute(
                select(AuditEntry).where(AuditEntry.entity == "conclusion").order_by(AuditEntry.id)
            )
            .scalars()
            .all()
        )
        assert [e.action for e in entries] == ["set", "edit"]
        assert entries[1].old == {"text": first} and entries[1].new == {"text": "Hoàn thành tốt."}
        assert entries[0].entity_id == f"{w.meeting}/{w.ids[MEMBER_A]}"
        assert entries[0].actor == f"member:{w.ids[HEAD]}"
    with pytest.raises(UserError) as exc:
        w.service.set_conclusion(sec, w.meeting, w.ids[MEMBER_A], " \n ")
    assert exc.value.code == "conclusion_empty"


def test_closing_refused_naming_who_then_locks_and_reopens(db: Database) -> None:
    w = make_world(db, ballots_for=(HEAD, DEPUTY, COMMITTEE, LEADER, MEMBER_A))  # none for B
    sec = secretary(w)
    for name in (HEAD, DEPUTY, COMMITTEE, LEADER, MEMBER_B):
        w.service.set_conclusion(sec, w.meeting, w.ids[name], f"Kết luận về {name}.")
    with pytest.raises(UserError) as exc:
        w.service.close(sec, w.meeting)
    message = exc.value.message()
    assert exc.value.code == "minutes_not_ready"
    assert MEMBER_A in message and RECENT in message  # no conclusion
    assert f"phiếu đã chốt của {MEMBER_B}" in message  # no ballot (and RECENT needs none)
    assert "chủ trì" in message and "thư ký" in message and "1 đảng viên chính thức" in message
    # fill every gap
    w.service.set_conclusion(sec, w.meeting, w.ids[MEMBER_A], "Tốt.")
    w.service.set_conclusion(sec, w.meeting, w.ids[RECENT], "Cố gắng.")
    MeetingService(db).enter_ballot("cli", w.cell, w.ids[MEMBER_B], Counts(5, 5, 0, (0, 5, 0, 0)))
    w.service.set_chair(sec, w.meeting, w.ids[HEAD])
    w.service.set_minute_taker(sec, w.meeting, w.ids[COMMITTEE])
    w.service.set_absent(sec, w.meeting, w.ids[MEMBER_B], "Đi công tác")
    state = w.service.close(sec, w.meeting)
    assert state.closed and state.closed_by == f"member:{w.ids[HEAD]}"
    for call in (
        lambda: w.service.set_conclusion(sec, w.meeting, w.ids[HEAD], "Sửa."),
        lambda: w.service.set_place(sec, w.meeting, "Hội trường"),
        lambda: w.service.set_chair(sec, w.meeting, w.ids[DEPUTY]),
        lambda: w.service.clear_absent(sec, w.meeting, w.ids[MEMBER_B]),
        lambda: w.service.close(sec, w.meeting),
    ):
        with pytest.raises(UserError) as closed:
            call()
        assert closed.value.code == "minutes_closed"
    state = w.service.reopen(sec, w.meeting)
    assert not state.closed
    w.service.set_conclusion(sec, w.meeting, w.ids[HEAD], "Sửa sau khi mở lại.")
    with pytest.raises(UserError) as exc:
        w.service.reopen(sec, w.meeting)
    assert exc.value.code == "minutes_not_closed"
    with db.session() as s:
        actions = (
            s.execute(
                select(AuditEntry.action)
                .where(AuditEntry.entity == "minutes")
                .order_by(AuditEntry.id)
            )
            .scalars()
            .all()
        )
    assert actions == ["chair", "minute_taker", "close", "reopen"]


def test_attendance_checks(db: Database) -> None:
    w = make_world(db)
    sec = secretary(w)
    state = w.service.set_absent(sec, w.meeting, w.ids[MEMBER_A], "ốm,\n có đơn")
    assert [(a.name, a.reason) for a in state.absences] == [(MEMBER_A, "ốm,; có đơn")]
    # one official absent only (6 official, 5 present): a second is refused
    with pytest.raises(UserError) as exc:
        w.service.set_absent(sec, w.meeting, w.ids[MEMBER_B], "bận")
    assert exc.value.code == "minutes_absent_over" and MEMBER_B in exc.value.message()
    # a probationary member absent is not counted against that
    state = w.service.set_absent(sec, w.meeting, w.ids[RECENT], "đi học")
    assert state.probationary_absent == 1 and state.named_official_absent == 1
    # the reason of an absent member can change
    state = w.service.set_absent(sec, w.meeting, w.ids[MEMBER_A], "ốm nằm viện")
    assert state.absences[0].reason == "ốm nằm viện"
    # an absent member cannot chair; the chair cannot be absent
    with pytest.raises(UserError) as exc:
        w.service.set_chair(sec, w.meeting, w.ids[MEMBER_A])
    assert exc.value.code == "minutes_person_absent"
    w.service.set_chair(sec, w.meeting, w.ids[HEAD])
    w.service.clear_absent(sec, w.meeting, w.ids[MEMBER_A])
    with pytest.raises(UserError) as exc:
        w.service.set_absent(sec, w.meeting, w.ids[HEAD], "bận")
    assert exc.value.code == "minutes_absent_is_officer"
    with pytest.raises(UserError) as exc:
        w.service.set_absent(sec, w.meeting, w.ids[MEMBER_B], "")
    assert exc.value.code == "minutes_reason_empty"
    with db.session() as s:
        raw = s.execute(text("SELECT reason FROM meeting_absences")).scalars().all()
        assert raw and all("đi học" not in r for r in raw)  # encrypted at rest


def test_access_and_stale_meetings(db: Database) -> None:
    w = make_world(db)
    other_secretary = actor(db, w.ids[OTHER], ("secretary", w.other_cell))
    plain = actor(db, w.ids[MEMBER_A])
    for who in (other_secretary, plain):
        with pytest.raises(UserError) as exc:
            w.service.state(who, w.meeting)
        assert exc.value.code == "not_your_cell"
        with pytest.raises(UserError) as exc:
            w.service.set_conclusion(who, w.meeting, w.ids[MEMBER_A], "x")
        assert exc.value.code == "not_your_cell"
    office = actor(db, w.ids[OTHER], ("office", w.org))
    assert w.service.state(office, w.meeting).cell_id == w.cell  # the office may
    sec = secretary(w)
    for member in (w.ids[OTHER], w.ids[EXEMPT], 999_999_999_999):
        with pytest.raises(UserError) as exc:
            w.service.set_conclusion(sec, w.meeting, member, "x")
        assert exc.value.code == "minutes_member_unknown"
    with pytest.raises(UserError) as exc:
        w.service.state(sec, 999_999_999_999)
    assert exc.value.code == "stale_button"
    # a member taken off the roster after being concluded on is not asked for any more
    with db.session() as s:
        from bot.storage.types import utcnow

        m = s.get(Member, w.ids[MEMBER_B])
        assert m is not None
        m.removed_at = utcnow()
    names = [r.name for r in w.service.state(sec, w.meeting).reviewed]
    assert MEMBER_B not in names
    # a new period: last year's meeting is an old keyboard
    OrgService(db).open_period(w.org, 2026)
    with pytest.raises(UserError) as exc:
        w.service.state(sec, w.meeting)
    assert exc.value.code == "stale_button"


def _table_rows(data: bytes) -> list[list[str]]:
    """The content table (the heading and the signatures are borderless tables too)."""
    doc = open_docx(io.BytesIO(data))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "TT")
    return [[c.text for c in row.cells] for row in table.rows]


def test_programme_and_minutes_documents(db: Database) -> None:
    w = make_world(db)
    sec = secretary(w)
    w.service.set_place(sec, w.meeting, "Nhà văn hóa thôn Đông")
    w.service.set_chair(sec, w.meeting, w.ids[HEAD])
    w.service.set_minute_taker(sec, w.meeting, w.ids[COMMITTEE])
    w.service.set_absent(sec, w.meeting, w.ids[MEMBER_B], "đi công tác")
    state = w.service.state(sec, w.meeting)
    for n, r in enumerate(state.reviewed):
        w.service.set_conclusion(sec, w.meeting, r.member_id, f"Kết luận số {n + 1}: {r.name}.")
    prog = w.service.programme(sec, w.meeting)
    assert prog.filename.endswith(".docx")
    doc = open_docx(io.BytesIO(prog.data))
    paragraphs = "\n".join(p.text for p in doc.paragraphs)
    assert "CHƯƠNG TRÌNH" in paragraphs and "NĂM 2025" in paragraphs
    assert "Nhà văn hóa thôn Đông" in paragraphs and f"đồng chí {HEAD}" in paragraphs
    assert f"Thư ký hội nghị: đồng chí {COMMITTEE}" in paragraphs
    assert all(r.runs[0].font.name == "Times New Roman" for r in doc.paragraphs if r.runs)
    rows = _table_rows(prog.data)
    numbers = [r[0] for r in rows]
    # the seed's items in order: I, II with its 6 steps, III, 1, 2, the reviews, 3, IV
    assert [n for n in numbers if n in ("I", "II", "III", "IV")] == ["I", "II", "III", "IV"]
    reviews = [r for r in rows if r[0].startswith("2.")]
    assert [r[1].split(" — ")[0] for r in reviews] == [f"Đồng chí {r.name}" for r in state.reviewed]
    assert DEPUTY in reviews[0][2] and "cấp phó" in reviews[0][2]  # the head's review
    assert reviews[1][2] == ""
    assert numbers.index("IV") > numbers.index("III") > numbers.index("II")
    # the minutes: attendance, the conclusions in their rows, the ballots, the proposals
    minutes = w.service.minutes(sec, w.meeting)
    doc = open_docx(io.BytesIO(minutes.data))
    paragraphs = "\n".join(p.text for p in doc.paragraphs)
    assert "BIÊN BẢN HỘI NGHỊ" in paragraphs and "Dự thảo" in paragraphs  # not closed yet
    assert "có mặt: 5 đồng chí; vắng mặt: 1 đồng chí" in paragraphs
    assert f"đồng chí {MEMBER_B} (đi công tác)" in paragraphs
    assert "5/6" in paragraphs and "đủ điều kiện" in paragraphs
    rows = _table_rows(minutes.data)[1:]
    assert len(rows) == len(state.reviewed)
    for n, (row, r) in enumerate(zip(rows, state.reviewed, strict=True)):
        assert row[0] == str(n + 1)
        assert row[1].startswith(r.name)
        assert row[2] == f"Kết luận số {n + 1}: {r.name}."
        if r.name == RECENT:
            assert "Không bỏ phiếu" in row[3] and "Không xếp loại" in row[4]
        else:
            assert "HTXSNV: 4" in row[3] and "HTTNV: 1" in row[3] and "hợp lệ 5" in row[3]
            assert row[4] == "HTXSNV"  # 4/5 = 80 % ≥ 70 %
    assert "(vắng mặt)" in rows[[r.name for r in state.reviewed].index(MEMBER_B)][1]
    w.service.set_absent(sec, w.meeting, w.ids[MEMBER_B], "đi công tác")
    w.service.close(sec, w.meeting)
    closed = open_docx(io.BytesIO(w.service.minutes(sec, w.meeting).data))
    assert "Dự thảo" not in "\n".join(p.text for p in closed.paragraphs)


def test_a_members_conclusion_is_in_their_data_and_erased_with_it(db: Database) -> None:
    from bot.services.audit import is_tombstone
    from bot.services.privacy import PrivacyService, member_export

    w = make_world(db)
    sec = secretary(w)
    w.service.set_conclusion(sec, w.meeting, w.ids[MEMBER_A], "Chậm nộp đảng phí quý II.")
    w.service.set_conclusion(sec, w.meeting, w.ids[MEMBER_A], "Đã khắc phục.")
    w.service.set_absent(sec, w.meeting, w.ids[MEMBER_A], "ốm")
    with db.session() as s:
        data = member_export(s, w.ids[MEMBER_A])
    assert [c["text"] for c in data["meeting_conclusions"]] == ["Đã khắc phục."]
    assert [a["reason"] for a in data["meeting_absences"]] == ["ốm"]
    assert {e["entity"] for e in data["audit"]} >= {"conclusion", "absence"}
    PrivacyService(db).erase(w.ids[MEMBER_A], 1, force=True)
    state = w.service.state(sec, w.meeting)
    assert all("khắc phục" not in r.conclusion for r in state.reviewed)
    assert all(a.reason != "ốm" for a in state.absences)
    with db.session() as s:
        entries = (
            s.execute(select(AuditEntry).where(AuditEntry.entity.in_(("conclusion", "absence"))))
            .scalars()
            .all()
        )
        assert len(entries) == 3
        for e in entries:
            for value in (e.old, e.new):
                if value is not None:
                    assert all(is_tombstone(v) for v in value.values()), value
