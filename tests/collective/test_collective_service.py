"""Leadership collectives at the service level, on SQLite and PostgreSQL: the report drafted,
sent at least 3 working days before the meeting (holidays counted) through the reminder rows,
comments and the head's answers (finalising waits for all), the ballot checked and rated, the
head's fact fed and audited, the order of the cycle refusing what comes too early, a leader's
two levels, the facts re-rating the collective, a small collective, 2025 points, the .docx."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import docx
import pytest
from sqlalchemy import func, select

from bot.services.collectives import CollectiveService, CollectiveView
from bot.services.errors import UserError
from bot.services.facts import FactService
from bot.services.invites import InviteService
from bot.services.meetings import Counts, MeetingService
from bot.storage.db import Database
from bot.storage.models import (
    AuditEntry,
    BallotEntry,
    CollectiveBallot,
    CollectiveComment,
    Reminder,
)
from tests.factory import make_org, member_line
from tests.secretary.helpers import actor, member_ids

MEETING = date(2026, 12, 10)  # a Thursday: the draft goes out by Monday 07/12
ON_TIME = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội, Monday
TOO_LATE = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]
OTHER = ["Ngô Văn Lâm", "Đinh Thị Mai", "Vũ Văn Nam"]


def _world(db: Database, *, rulebook: str = "2019", plan: dict[str, Any] | None = None) -> Any:
    org = make_org(
        db,
        [member_line(n) for n in NAMES],
        rulebook=rulebook,
        other_lines=[member_line(n) for n in OTHER],
        plan=plan,
    )
    ids = member_ids(db, org.cell_id) | member_ids(db, org.other_cell_id)
    return org, ids


def _link(db: Database, cell_id: int, member_id: int, tg: int) -> None:
    invites = InviteService(db)
    line = next(x for x in invites.for_cell(cell_id) if x.member_id == member_id)
    invites.redeem(line.code, tg, tg)


def _fill(svc: CollectiveService, cid: int, *, grade_tasks: str = "XS") -> None:
    view = svc.view("cli", cid)
    for x in view.sections:
        if x.optional:
            svc.save_section("cli", cid, x.id, skipped=True)
        elif x.kind == "graded":
            svc.save_section("cli", cid, x.id, text=f"Nội dung {x.heading}")
            svc.save_section("cli", cid, x.id, grade=grade_tasks if x.task_result else "T")
        elif x.kind == "points":
            svc.save_section(
                "cli", cid, x.id, text=f"Nội dung {x.heading}", points=str(x.max_points - 1)
            )
        elif x.kind == "text":
            svc.save_section("cli", cid, x.id, text=f"  Dòng một của {x.heading}\n\n\nDòng hai  ")
        else:
            svc.save_section("cli", cid, x.id, grade="HTXSNV")


def _chi_uy(db: Database, org: Any, ids: dict[str, int]) -> CollectiveView:
    return CollectiveService(db).create(
        "cli",
        org.cell_id,
        "chi_uy",
        "Chi ủy thôn Đông",
        head=ids[NAMES[0]],
        deputies=[ids[NAMES[1]]],
        members=[ids[NAMES[2]]],
    )


def _ready(db: Database, org: Any, ids: dict[str, int]) -> tuple[CollectiveService, int]:
    """A chi ủy whose report is final (no comments)."""
    svc = CollectiveService(db)
    cid = _chi_uy(db, org, ids).id
    _fill(svc, cid)
    svc.set_meeting_date("cli", cid, MEETING)
    svc.send_draft("cli", cid, now=ON_TIME)
    svc.finalise("cli", cid)
    return svc, cid


def _count(db: Database, model: Any, *where: Any) -> int:
    with db.session() as s:
        return int(s.execute(select(func.count(model.id)).where(*where)).scalar_one())


# --- drafting and sending ---------------------------------------------------------------------


def test_draft_is_sent_three_working_days_before_the_meeting(db: Database) -> None:
    org, ids = _world(db)
    svc = CollectiveService(db)
    cid = _chi_uy(db, org, ids).id
    for i, name in enumerate(NAMES[:3]):
        _link(db, org.cell_id, ids[name], 880_000 + i)
    with pytest.raises(UserError) as err:
        svc.send_draft("cli", cid, now=ON_TIME)
    assert err.value.code == "collective_draft_incomplete" and "I.1" in err.value.message()
    _fill(svc, cid)
    view = svc.view("cli", cid)
    assert view.missing == [] and view.self_level == "HTXSNV"
    assert view.section("ii") is not None and view.section("ii").text == (  # type: ignore[union-attr]
        "Dòng một của II\n\nDòng hai"
    )
    with pytest.raises(UserError) as err:
        svc.send_draft("cli", cid, now=ON_TIME)
    assert err.value.code == "collective_meeting_date_required"
    svc.set_meeting_date("cli", cid, MEETING)
    assert svc.view("cli", cid).draft_deadline == date(2026, 12, 7)
    with pytest.raises(UserError) as err:
        svc.send_draft("cli", cid, now=TOO_LATE)
    assert err.value.code == "collective_draft_too_late"
    assert "07/12/2026" in err.value.message() and "10/12/2026" in err.value.message()
    assert _count(db, Reminder) == 0
    result = svc.send_draft("cli", cid, now=ON_TIME)
    assert result.recipients == (NAMES[1], NAMES[2]) and result.not_linked == ()
    assert result.view.status == "sent"
    with db.session() as s:
        rows = list(s.execute(select(Reminder).order_by(Reminder.id)).scalars())
        assert [(r.kind, r.member_id) for r in rows] == [
            ("collective_draft", ids[NAMES[1]]),
            ("collective_draft", ids[NAMES[2]]),
        ]
        assert rows[0].payload["meeting"] == "10/12/2026"
    assert (
        _count(db, AuditEntry, AuditEntry.entity == "collective", AuditEntry.action == "send") == 1
    )


def test_a_plan_holiday_moves_the_deadline(db: Database) -> None:
    org, ids = _world(db, plan={"holidays": ["2026-12-07"]})
    svc = CollectiveService(db)
    cid = _chi_uy(db, org, ids).id
    svc.set_meeting_date("cli", cid, MEETING)
    assert svc.view("cli", cid).draft_deadline == date(2026, 12, 4)  # Friday
    _fill(svc, cid)
    with pytest.raises(UserError) as err:
        svc.send_draft("cli", cid, now=ON_TIME)
    assert err.value.code == "collective_draft_too_late"


# --- comments and answers ---------------------------------------------------------------------


def test_comments_answers_and_finalising(db: Database) -> None:
    org, ids = _world(db)
    svc = CollectiveService(db)
    cid = _chi_uy(db, org, ids).id
    head = actor(db, ids[NAMES[0]])
    deputy = actor(db, ids[NAMES[1]])
    member = actor(db, ids[NAMES[2]])
    outsider = actor(db, ids[NAMES[3]])
    _fill(svc, cid)
    svc.set_meeting_date("cli", cid, MEETING)
    with pytest.raises(UserError) as err:
        svc.comment(deputy, cid, "i2", "Sớm quá")
    assert err.value.code == "collective_not_open_for_comments"
    svc.send_draft(head, cid, now=ON_TIME)
    with pytest.raises(UserError) as err:
        svc.comment(outsider, cid, "i2", "Tôi không thuộc tập thể")
    assert err.value.code == "not_your_collective"
    with pytest.raises(UserError) as err:
        svc.view(outsider, cid)
    assert err.value.code == "not_your_collective"
    first = svc.comment(deputy, cid, "i2", "Cần số liệu cụ thể")
    second = svc.comment(member, cid, "", "Bổ sung trách nhiệm cá nhân")
    assert first.section_heading == "I.2" and second.section_heading == ""
    with pytest.raises(UserError) as err:
        svc.respond(member, first.id, accept=True)  # only the head (or a manager) answers
    assert err.value.code == "collective_head_only"
    with pytest.raises(UserError) as err:
        svc.respond(head, second.id, accept=False, answer="  ")
    assert err.value.code == "collective_answer_required"
    svc.respond(head, first.id, accept=True)
    with pytest.raises(UserError) as err:
        svc.finalise(head, cid)
    assert err.value.code == "collective_comments_open" and NAMES[2] in err.value.message()
    svc.respond(head, second.id, accept=False, answer="Đã nêu ở mục V")
    view = svc.finalise(head, cid)
    assert view.status == "final" and view.open_comments == []
    with pytest.raises(UserError) as err:
        svc.comment(deputy, cid, "i1", "Muộn rồi")
    assert err.value.code == "collective_not_open_for_comments"
    with pytest.raises(UserError) as err:
        svc.save_section(head, cid, "i1", text="Sửa sau khi hoàn thiện")
    assert err.value.code == "collective_report_final"
    with db.session() as s:
        rows = list(s.execute(select(CollectiveComment).order_by(CollectiveComment.id)).scalars())
        assert [(c.response, c.answer) for c in rows] == [
            ("accepted", ""),
            ("answered", "Đã nêu ở mục V"),
        ]
    # The head (notified of 2 comments, not linked here) gets no reminder row; nor do others.
    assert _count(db, AuditEntry, AuditEntry.entity == "collective_comment") == 4


# --- the ballot, the rating and the head ------------------------------------------------------


def test_ballot_rates_the_collective_and_bounds_its_head(db: Database) -> None:
    org, ids = _world(db)
    head_id = ids[NAMES[0]]
    svc, cid = _ready(db, org, ids)
    with pytest.raises(UserError) as err:  # 2 + 1 votes != 4 collected
        svc.enter_ballot("cli", cid, 3, Counts(4, 4, 0, (2, 1, 0, 0)))
    assert err.value.code == "collective_ballot_invalid"
    assert _count(db, CollectiveBallot) == 0
    with pytest.raises(UserError) as err:  # 1 of 3 present: no quorum
        svc.enter_ballot("cli", cid, 1, Counts(1, 1, 0, (1, 0, 0, 0)))
    assert err.value.code == "collective_ballot_invalid"
    view = svc.enter_ballot("cli", cid, 3, Counts(3, 3, 0, (1, 2, 0, 0)))
    assert view.level == "HTTNV" and view.self_level == "HTXSNV"
    assert FactService(db).get("cli", head_id).facts == {"head_of": {"collective_rating": "HTTNV"}}
    # The cell rates the head: an excellent vote is lowered to the collective's level.
    MeetingService(db).open("cli", org.cell_id, MEETING, 5)
    MeetingService(db).enter_ballot("cli", org.cell_id, head_id, Counts(5, 5, 0, (5, 0, 0, 0)))
    from bot.services.results import ResultsService

    rows = {r.member_id: r for r in ResultsService(db).cell_view("cli", org.cell_id).rows}
    assert rows[head_id].result["vote_level"] == "HTXSNV"
    assert rows[head_id].result["proposed"] == "HTTNV"
    assert "cap.head_of" in [c["rule"] for c in rows[head_id].result["caps"]]
    # A correction needs a reason; it re-rates and the head's fact follows, audited.
    with pytest.raises(UserError) as err:
        svc.enter_ballot("cli", cid, 3, Counts(3, 3, 0, (0, 1, 2, 0)))
    assert err.value.code == "ballot_reason_required"
    view = svc.enter_ballot("cli", cid, 3, Counts(3, 3, 0, (0, 1, 2, 0)), reason="Kiểm lại phiếu")
    assert view.level == "HTNV"
    assert FactService(db).get("cli", head_id).facts["head_of"] == {"collective_rating": "HTNV"}
    with db.session() as s:
        feeds = list(
            s.execute(
                select(AuditEntry)
                .where(AuditEntry.entity == "facts", AuditEntry.entity_id.like(f"%/{head_id}"))
                .order_by(AuditEntry.id)
            ).scalars()
        )
        assert [f.new["head_of"] for f in feeds] == [
            {"collective_rating": "HTTNV"},
            {"collective_rating": "HTNV"},
        ]
        results = list(
            s.execute(select(AuditEntry).where(AuditEntry.entity == "collective_result")).scalars()
        )
        assert [(r.old["level"], r.new["level"]) for r in results] == [
            (None, "HTTNV"),
            ("HTTNV", "HTNV"),
        ]


def test_an_exception_the_cell_set_is_kept(db: Database) -> None:
    org, ids = _world(db)
    head_id = ids[NAMES[0]]
    FactService(db).set(
        "cli",
        head_id,
        {"head_of.collective_rating": "HTXSNV", "head_of.exception": "party_post_not_main_job"},
    )
    svc, cid = _ready(db, org, ids)
    svc.enter_ballot("cli", cid, 3, Counts(3, 3, 0, (0, 3, 0, 0)))
    assert FactService(db).get("cli", head_id).facts["head_of"] == {
        "collective_rating": "HTTNV",
        "exception": "party_post_not_main_job",
    }


def test_facts_re_rate_the_collective(db: Database) -> None:
    org, ids = _world(db)
    svc, cid = _ready(db, org, ids)
    assert svc.enter_ballot("cli", cid, 3, Counts(3, 3, 0, (3, 0, 0, 0))).level == "HTXSNV"
    view = svc.set_facts("cli", cid, {"disunity": "có"})
    assert view.level == "KHTNV" and view.facts == {"disunity": True}
    assert "collective.cap.disunity" in [c["rule"] for c in view.result["caps"]]
    assert (
        FactService(db).get("cli", ids[NAMES[0]]).facts["head_of"]["collective_rating"] == "KHTNV"
    )
    view = svc.set_facts("cli", cid, {"disunity": ""})
    assert view.level == "HTXSNV"
    # A member disciplined in the year (their own fact) caps the collective too.
    FactService(db).set("cli", ids[NAMES[2]], {"disciplined": "có"})
    view = svc.set_facts("cli", cid, {"organisation_rating": "HTTNV"})
    assert view.level == "KHTNV"
    assert {c["rule"] for c in view.result["caps"]} == {
        "collective.cap.member_disciplined",
        "collective.cap.organisation",
    }
    with pytest.raises(UserError) as err:
        svc.set_facts("cli", cid, {"nonsense": "1"})
    assert err.value.code == "collective_fact_unknown"
    with pytest.raises(UserError) as err:
        svc.set_facts("cli", cid, {"tasks.total": "10", "tasks.on_time": "3"})
    assert err.value.code == "collective_tasks_sum"


# --- the order of the cycle -------------------------------------------------------------------


def test_the_cell_waits_for_its_collective(db: Database) -> None:
    org, ids = _world(db)
    svc = CollectiveService(db)
    cid = _chi_uy(db, org, ids).id
    meetings = MeetingService(db)
    meetings.open("cli", org.cell_id, MEETING, 5)
    for name in (NAMES[4], NAMES[0]):
        with pytest.raises(UserError) as err:
            meetings.enter_ballot("cli", org.cell_id, ids[name], Counts(5, 5, 0, (0, 5, 0, 0)))
        assert err.value.code == "order_blocked"
        assert "tập thể trước, cá nhân sau" in err.value.message()
    assert _count(db, BallotEntry) == 0
    # The other cell has no collective of its own: nothing waits there.
    meetings.open("cli", org.other_cell_id, MEETING, 3)
    meetings.enter_ballot("cli", org.other_cell_id, ids[OTHER[0]], Counts(3, 3, 0, (0, 3, 0, 0)))
    steps = svc.cell_order("cli", org.cell_id)
    assert [(s.kind, s.role) for s in steps[:4]] == [
        ("collective", ""),
        ("member", "head"),
        ("member", "deputy"),
        ("member", "member"),
    ]
    _fill(svc, cid)
    svc.set_meeting_date("cli", cid, MEETING)
    svc.send_draft("cli", cid, now=ON_TIME)
    svc.finalise("cli", cid)
    svc.enter_ballot("cli", cid, 3, Counts(3, 3, 0, (0, 3, 0, 0)))
    meetings.enter_ballot("cli", org.cell_id, ids[NAMES[4]], Counts(5, 5, 0, (0, 5, 0, 0)))
    assert svc.cell_order("cli", org.cell_id)[0].done


def test_lower_collectives_before_higher(db: Database) -> None:
    org, ids = _world(db)
    svc, chi_uy = _ready(db, org, ids)
    dang_uy = svc.create(
        "cli",
        org.org_id,
        "dang_uy",
        "Đảng ủy xã",
        head=ids[OTHER[0]],
        deputies=[ids[NAMES[0]]],
        members=[ids[OTHER[1]], ids[OTHER[2]]],
    ).id
    _fill(svc, dang_uy)
    svc.set_meeting_date("cli", dang_uy, MEETING)
    svc.send_draft("cli", dang_uy, now=ON_TIME)
    svc.finalise("cli", dang_uy)
    with pytest.raises(UserError) as err:
        svc.enter_ballot("cli", dang_uy, 4, Counts(4, 4, 0, (0, 4, 0, 0)))
    assert err.value.code == "order_blocked" and "cấp dưới trước" in err.value.message()
    svc.enter_ballot("cli", chi_uy, 3, Counts(3, 3, 0, (0, 3, 0, 0)))
    assert svc.enter_ballot("cli", dang_uy, 4, Counts(4, 4, 0, (0, 4, 0, 0))).level == "HTTNV"


def test_a_collective_of_two_is_not_reviewed_and_blocks_nothing(db: Database) -> None:
    org, ids = _world(db)
    svc = CollectiveService(db)
    cid = svc.create(
        "cli", org.cell_id, "chi_uy", "Chi ủy", head=ids[NAMES[0]], deputies=[ids[NAMES[1]]]
    ).id
    assert not svc.view("cli", cid).reviewed
    MeetingService(db).open("cli", org.cell_id, MEETING, 5)
    MeetingService(db).enter_ballot(
        "cli", org.cell_id, ids[NAMES[3]], Counts(5, 5, 0, (0, 5, 0, 0))
    )
    _fill(svc, cid)
    svc.set_meeting_date("cli", cid, MEETING)
    svc.send_draft("cli", cid, now=ON_TIME)
    view = svc.finalise("cli", cid)
    assert view.result["rated"] is False and view.result["not_rated_reason"] == "under_3_members"
    with pytest.raises(UserError) as err:
        svc.enter_ballot("cli", cid, 2, Counts(2, 2, 0, (0, 2, 0, 0)))
    assert err.value.code == "collective_not_reviewed"


# --- leaders in two places --------------------------------------------------------------------


@pytest.mark.parametrize(("option", "taken"), [(None, "HTTNV"), ("lower", "HTNV")])
def test_a_leader_reviewed_in_two_places(db: Database, option: str | None, taken: str) -> None:
    org, ids = _world(db, plan={"two_places": option} if option else None)
    head_id, deputy_id = ids[NAMES[0]], ids[NAMES[1]]
    svc, cid = _ready(db, org, ids)
    svc.enter_ballot("cli", cid, 3, Counts(3, 3, 0, (3, 0, 0, 0)))
    meetings = MeetingService(db)
    meetings.open("cli", org.cell_id, MEETING, 5)
    with pytest.raises(UserError) as err:  # the cell first
        svc.enter_post_ballot("cli", cid, head_id, 3, Counts(3, 3, 0, (3, 0, 0, 0)))
    assert err.value.code == "order_blocked" and "ở chi bộ trước" in err.value.message()
    meetings.enter_ballot("cli", org.cell_id, head_id, Counts(5, 5, 0, (5, 0, 0, 0)))
    meetings.enter_ballot("cli", org.cell_id, deputy_id, Counts(5, 5, 0, (0, 1, 4, 0)))
    with pytest.raises(UserError) as err:  # the head first
        svc.enter_post_ballot("cli", cid, deputy_id, 3, Counts(3, 3, 0, (0, 3, 0, 0)))
    assert err.value.code == "order_blocked" and "người đứng đầu" in err.value.message()
    head = svc.enter_post_ballot("cli", cid, head_id, 3, Counts(3, 3, 0, (3, 0, 0, 0)))
    assert (head.cell_level, head.post_level, head.taken) == ("HTXSNV", "HTXSNV", "HTXSNV")
    assert head.summary["votes"] == [5, 0, 0, 0] and head.summary["cell"] == "Chi bộ thôn Đông"
    deputy = svc.enter_post_ballot("cli", cid, deputy_id, 3, Counts(3, 3, 0, (0, 3, 0, 0)))
    assert (deputy.cell_level, deputy.post_level, deputy.taken) == ("HTNV", "HTTNV", taken)
    assert deputy.taken_text
    view = svc.view("cli", cid)
    assert [p.post_level for p in view.posts] == ["HTXSNV", "HTTNV", None]
    assert view.two_places == (option or "main_post")


# --- 2025 points, the document ----------------------------------------------------------------


def test_2025_points_report_and_document(db: Database) -> None:
    org, ids = _world(db, rulebook="2025")
    svc = CollectiveService(db)
    cid = _chi_uy(db, org, ids).id
    with pytest.raises(UserError) as err:
        svc.save_section("cli", cid, "t1", points="41")
    assert err.value.code == "collective_bad_points"
    _fill(svc, cid)  # each item one point under its maximum: 27 + 67 = 94
    view = svc.view("cli", cid)
    assert view.self_points == "94" and view.self_level == "HTXSNV"
    svc.set_meeting_date("cli", cid, MEETING)
    svc.send_draft("cli", cid, now=ON_TIME)
    svc.comment(actor(db, ids[NAMES[1]]), cid, "t1", "Điểm mục này cao")
    comment_id = svc.view("cli", cid).comments[0].id
    svc.respond(actor(db, ids[NAMES[0]]), comment_id, accept=False, answer="Có minh chứng")
    svc.finalise("cli", cid)
    view = svc.enter_ballot("cli", cid, 3, Counts(3, 3, 0, (1, 2, 0, 0)))
    assert view.level == "HTTNV"  # the lower of points (HTXSNV) and vote (HTTNV)
    name, data, _ = svc.report_docx("cli", cid)
    assert name.endswith(".docx")
    d = docx.Document(io.BytesIO(data))
    text = "\n".join(p.text for p in d.paragraphs)
    assert "Điểm tự chấm: 39/40 điểm" in text
    assert "Tổng số: 94/100 điểm" in text
    assert "Kết quả xếp loại chất lượng tập thể: Hoàn thành tốt nhiệm vụ." in text
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    assert "Điểm mục này cao" in cells and "Giải trình: Có minh chứng" in cells
    assert "I.4" in cells  # the section the comment is on


def test_access_from_chat(db: Database) -> None:
    org, ids = _world(db)
    svc = CollectiveService(db)
    cid = _chi_uy(db, org, ids).id
    other_secretary = actor(db, ids[OTHER[0]], ("secretary", org.other_cell_id))
    with pytest.raises(UserError) as err:
        svc.create(other_secretary, org.cell_id, "agency", "X", head=ids[NAMES[3]])
    assert err.value.code == "not_your_cell"
    with pytest.raises(UserError) as err:
        svc.set_meeting_date(other_secretary, cid, MEETING)
    assert err.value.code == "not_your_collective"
    office = actor(db, ids[OTHER[1]], ("office", org.org_id))
    assert svc.set_meeting_date(office, cid, MEETING).meeting_on == MEETING
    secretary = actor(db, ids[NAMES[4]], ("secretary", org.cell_id))
    assert svc.can_lead(secretary, cid)
    assert not svc.can_lead(actor(db, ids[NAMES[2]]), cid)  # a member comments, does not lead
    with pytest.raises(UserError) as err:
        svc.create("cli", org.cell_id, "chi_uy", "Lần hai", head=ids[NAMES[3]])
    assert err.value.code == "collective_exists"


def test_the_two_places_option_is_checked_when_the_period_opens(db: Database) -> None:
    from bot.services.org import OrgService

    org = OrgService(db).create_org("Đảng bộ xã Hòa Bình")
    with pytest.raises(UserError) as err:
        OrgService(db).open_period(org, 2026, plan={"two_places": "highest"})
    assert err.value.code == "bad_two_places_option" and "main_post" in err.value.message()


def test_a_members_comments_are_in_their_data_and_erased_with_it(db: Database) -> None:
    from bot.services.privacy import PrivacyService, member_export

    org, ids = _world(db)
    svc = CollectiveService(db)
    cid = _chi_uy(db, org, ids).id
    _fill(svc, cid)
    svc.set_meeting_date("cli", cid, MEETING)
    svc.send_draft("cli", cid, now=ON_TIME)
    member = ids[NAMES[2]]
    svc.comment(actor(db, member), cid, "i3", "Ý kiến riêng của đồng chí Cường")
    with db.session() as s:
        exported = member_export(s, member)["collective_comments"]
    assert [c["text"] for c in exported] == ["Ý kiến riêng của đồng chí Cường"]
    PrivacyService(db).erase(member, 1, force=True)
    with db.session() as s:
        text = s.execute(select(CollectiveComment.text)).scalar_one()
    assert "Cường" not in text


def test_sending_twice_needs_a_change(db: Database) -> None:
    from datetime import timedelta

    org, ids = _world(db)
    svc = CollectiveService(db)
    cid = _chi_uy(db, org, ids).id
    _link(db, org.cell_id, ids[NAMES[1]], 881_001)
    _fill(svc, cid)
    svc.set_meeting_date("cli", cid, date.today() + timedelta(days=20))
    svc.send_draft("cli", cid)
    with pytest.raises(UserError) as err:
        svc.send_draft("cli", cid)  # a second tap
    assert err.value.code == "collective_already_sent"
    assert _count(db, Reminder) == 1
    svc.save_section("cli", cid, "ii", text="Bổ sung sau góp ý")
    assert svc.send_draft("cli", cid).recipients == (NAMES[1],)
    assert _count(db, Reminder) == 2
