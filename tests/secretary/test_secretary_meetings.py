"""The rating meeting and the ballot counts at the service level, on a real database (SQLite and
PostgreSQL): the electorate from the roster, the quorum, every check of a count (DOMAIN.md §5.3),
double entry, corrections with a reason, round 2, and who may touch which cell."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from bot.services.errors import UserError
from bot.services.facts import FactService
from bot.services.meetings import Counts, MeetingService, Round2Counts, parse_counts
from bot.services.results import ResultsService
from bot.storage.db import Database
from bot.storage.models import AuditEntry, BallotEntry, Member
from tests.factory import make_org, member_line
from tests.secretary.helpers import actor, member_ids

DAY = date(2026, 12, 10)
OFFICIAL = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]


def _org(db: Database, plan: dict[str, object] | None = None, rulebook: str | None = None):
    lines = [member_line(n) for n in OFFICIAL]
    lines += [
        member_line("Vũ Thị Giang", status="dự bị", admitted="01/06/2026"),
        member_line("Đỗ Văn Hải", status="miễn sinh hoạt"),
        member_line("Bùi Thị Khánh", status="đình chỉ"),
    ]
    other = [member_line("Ngô Văn Lâm"), member_line("Đinh Thị Mai")]
    return make_org(db, lines, plan=plan, rulebook=rulebook, other_lines=other)


def _no_entries(db: Database) -> bool:
    with db.session() as s:
        return s.execute(select(func.count(BallotEntry.id))).scalar() == 0


# --- parse_counts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("9 2 1 0", Counts(12, 12, 0, (9, 2, 1, 0))),
        ("13 13 0 9 2 1 0", Counts(13, 13, 0, (9, 2, 1, 0))),
        ("13, 12; 1 9 2 0 0", Counts(13, 12, 1, (9, 2, 0, 0))),
        ("0 7 1 0 r2 5 3 0", Counts(8, 8, 0, (0, 7, 1, 0), (5, 3, 0))),
        ("8 8 0 0 7 1 0 vòng 2 5 3", Counts(8, 8, 0, (0, 7, 1, 0), (5, 3, 0))),
        ("r2 8 3 1", Round2Counts(8, 3, 1)),
        ("R2 8 3", Round2Counts(8, 3, 0)),
    ],
)
def test_parse_counts_accepts_the_compact_forms(text: str, expected: object) -> None:
    assert parse_counts(text) == expected


@pytest.mark.parametrize(
    "text", ["", "9 2 1", "9 2 1 0 0", "a b c d", "9 2 -1 0", "9 2 1 0 r2 5", "r2", "9,5 2 1 0"]
)
def test_parse_counts_explains_what_it_accepts(text: str) -> None:
    with pytest.raises(UserError) as e:
        parse_counts(text)
    assert e.value.code == "counts_unreadable"
    assert "9 2 1 0" in e.value.message() and "13 13 0 9 2 1 0" in e.value.message()


# --- the meeting -----------------------------------------------------------------------------


def test_electorate_is_the_official_members_on_the_roster(db: Database) -> None:
    org = _org(db)
    ids = member_ids(db, org.cell_id)
    with db.session() as s:  # no service removes a member yet: mark one as taken off the roster
        m = s.get(Member, ids["Hoàng Văn Em"])
        assert m is not None
        m.removed_at = datetime(2026, 11, 1, tzinfo=UTC)
    info = MeetingService(db).open("cli", org.cell_id, DAY, 3)
    # 5 official, one removed: probationary, exempt and suspended members do not count.
    assert info.electorate == 4
    assert (info.present, info.double_entry, info.reopened) == (3, False, False)


def test_quorum_and_present_over_electorate_are_refused_with_the_numbers(db: Database) -> None:
    org = _org(db)
    svc = MeetingService(db)
    with pytest.raises(UserError) as e:
        svc.open("cli", org.cell_id, DAY, 2)  # 2 of 5 is not more than half
    assert e.value.code == "meeting_no_quorum"
    assert e.value.params["need"] == 3 and "2/5" in e.value.message()
    with pytest.raises(UserError) as e:
        svc.open("cli", org.cell_id, DAY, 6)
    assert e.value.code == "meeting_present_over"
    assert "(6)" in e.value.message() and "(5;" in e.value.message()
    assert svc.get("cli", org.cell_id) is None
    assert svc.open("cli", org.cell_id, DAY, 3).present == 3  # 3 of 5: more than half


def test_the_plans_quorum_and_double_entry_option_apply(db: Database) -> None:
    org = _org(db, plan={"quorum_more_than_pct": 60, "double_entry": True})
    svc = MeetingService(db)
    with pytest.raises(UserError) as e:
        svc.open("cli", org.cell_id, DAY, 3)  # 3 * 100 = 60 * 5: not more than 60 %
    assert e.value.code == "meeting_no_quorum" and e.value.params["need"] == 4
    assert svc.open("cli", org.cell_id, DAY, 4).double_entry is True


def test_reopening_may_not_break_a_count_already_entered(db: Database) -> None:
    org = _org(db)
    ids = member_ids(db, org.cell_id)
    svc = MeetingService(db)
    svc.open("cli", org.cell_id, DAY, 5)
    svc.enter_ballot("cli", org.cell_id, ids["Nguyễn Văn An"], Counts(5, 5, 0, (4, 1, 0, 0)))
    with pytest.raises(UserError) as e:
        svc.open("cli", org.cell_id, DAY, 4)
    assert e.value.code == "meeting_reopen_breaks" and "Nguyễn Văn An" in e.value.message()
    assert svc.open("cli", org.cell_id, date(2026, 12, 11), 5).reopened


# --- each ballot check -----------------------------------------------------------------------


CHECKS = [
    # (counts, plan vote rule, a phrase of the Vietnamese message)
    (Counts(5, 5, 0, (3, 1, 0, 0)), None, "số phiếu các mức (4) cộng phiếu không hợp lệ (0)"),
    (Counts(5, 5, 2, (3, 1, 0, 0)), None, "không hợp lệ (2) phải bằng số phiếu thu vào (5)"),
    (Counts(4, 5, 0, (3, 2, 0, 0)), None, "số phiếu thu vào (5) nhiều hơn số phiếu phát ra (4)"),
    (Counts(6, 5, 0, (3, 2, 0, 0)), None, "số phiếu phát ra (6) nhiều hơn số đảng viên có mặt (5)"),
    (Counts(5, 5, 0, (3, 2, 0, 0), (4, 1, 0)), None, "không bỏ phiếu hai vòng"),
    (Counts(5, 5, 0, (1, 4, 0, 0)), "two-round", "vòng 1 không có phiếu"),
    (Counts(5, 5, 0, (0, 1, 4, 0), (4, 1, 0)), "two-round", "vòng 2 chỉ bầu trong số"),
    (Counts(5, 5, 0, (0, 5, 0, 0), (4, 2, 0)), "two-round", "= 6, nhiều hơn số có mặt (5)"),
    (Counts(5, 5, 0, (6, -1, 0, 0)), None, "phải là số không âm, đã nhập «-1»"),
]


@pytest.mark.parametrize("counts,rule,phrase", CHECKS)
def test_a_count_that_does_not_add_up_is_refused_and_nothing_stored(
    db: Database, counts: Counts, rule: str | None, phrase: str
) -> None:
    org = _org(db, plan={"vote_rule": rule} if rule else None)
    ids = member_ids(db, org.cell_id)
    svc = MeetingService(db)
    svc.open("cli", org.cell_id, DAY, 5)
    with pytest.raises(UserError) as e:
        svc.enter_ballot("cli", org.cell_id, ids["Trần Thị Bình"], counts)
    assert e.value.code == "ballot_invalid"
    assert phrase in e.value.message(), e.value.message()
    assert "Trần Thị Bình" in e.value.message()
    assert _no_entries(db)


def test_a_ballot_needs_a_meeting_and_a_member_of_that_cell(db: Database) -> None:
    org = _org(db)
    ids = member_ids(db, org.cell_id)
    other = member_ids(db, org.other_cell_id)
    svc = MeetingService(db)
    with pytest.raises(UserError) as e:
        svc.enter_ballot("cli", org.cell_id, ids["Nguyễn Văn An"], parse_counts("3 0 0 0"))
    assert e.value.code == "meeting_not_found"
    svc.open("cli", org.cell_id, DAY, 3)
    with pytest.raises(UserError) as e:
        svc.enter_ballot("cli", org.cell_id, other["Ngô Văn Lâm"], parse_counts("3 0 0 0"))
    assert e.value.code == "member_not_in_cell"
    # a probationary member is voted on like anyone (they only do not vote themselves)
    out = svc.enter_ballot("cli", org.cell_id, ids["Vũ Thị Giang"], parse_counts("0 3 0 0"))
    assert out.state == "locked" and out.vote_level == "HTTNV"


# --- double entry and corrections ------------------------------------------------------------


def test_double_entry_mismatch_then_match(db: Database) -> None:
    org = _org(db)
    an = member_ids(db, org.cell_id)["Nguyễn Văn An"]
    svc = MeetingService(db)
    svc.open("cli", org.cell_id, DAY, 5, double_entry=True)
    first = Counts(5, 5, 0, (3, 2, 0, 0))
    with pytest.raises(UserError) as e:
        svc.enter_ballot("cli", org.cell_id, an, first)
    assert e.value.code == "ballot_counter_required"
    out = svc.enter_ballot("cli", org.cell_id, an, first, counter="Lê Văn Cường")
    assert out.state == "awaiting_second"
    # not final yet: the results do not use it
    row = next(
        r for r in ResultsService(db).compute("cli", cell_id=org.cell_id).rows if r.member_id == an
    )
    assert row.ballot_state == "awaiting_second" and row.result["vote_level"] is None
    # the same counter again (case and accents aside) replaces their own unconfirmed count
    again = svc.enter_ballot("cli", org.cell_id, an, first, counter="lê văn cường")
    assert again.state == "awaiting_second"
    wrong = Counts(5, 4, 0, (2, 2, 0, 0))
    with pytest.raises(UserError) as e:
        svc.enter_ballot("cli", org.cell_id, an, wrong, counter="Phạm Thị Dung")
    assert e.value.code == "ballot_mismatch"
    msg = e.value.message()
    assert "thu vào: lần 1 là 5, lần 2 là 4" in msg and "HTXSNV: lần 1 là 3, lần 2 là 2" in msg
    assert "phát ra" not in msg
    with db.session() as s:
        assert s.execute(select(func.count(BallotEntry.id))).scalar() == 1
    out = svc.enter_ballot("cli", org.cell_id, an, first, counter="Phạm Thị Dung")
    assert out.state == "locked" and out.vote_level == "HTTNV"
    with db.session() as s:
        entries = s.execute(select(BallotEntry).order_by(BallotEntry.entry_no)).scalars().all()
        assert [(e.entry_no, e.counter, e.locked_at is not None) for e in entries] == [
            (1, "Lê Văn Cường", True),
            (2, "Phạm Thị Dung", True),
        ]
    row = next(
        r for r in ResultsService(db).compute("cli", cell_id=org.cell_id).rows if r.member_id == an
    )
    assert row.counts == first and row.counters == ("Lê Văn Cường", "Phạm Thị Dung")


def test_first_counter_may_replace_an_unconfirmed_count(db: Database) -> None:
    org = _org(db)
    an = member_ids(db, org.cell_id)["Nguyễn Văn An"]
    svc = MeetingService(db)
    svc.open("cli", org.cell_id, DAY, 5, double_entry=True)
    svc.enter_ballot("cli", org.cell_id, an, parse_counts("3 2 0 0"), counter="Lê Văn Cường")
    out = svc.enter_ballot("cli", org.cell_id, an, parse_counts("4 1 0 0"), counter="LÊ VĂN CƯỜNG")
    assert out.state == "awaiting_second"
    out = svc.enter_ballot("cli", org.cell_id, an, parse_counts("4 1 0 0"), counter="Phạm Thị Dung")
    assert out.state == "locked" and out.vote_level == "HTXSNV"


def test_a_correction_needs_a_reason_and_keeps_the_old_count_in_the_audit_log(
    db: Database,
) -> None:
    org = _org(db)
    an = member_ids(db, org.cell_id)["Nguyễn Văn An"]
    svc = MeetingService(db)
    svc.open("cli", org.cell_id, DAY, 5)
    assert svc.enter_ballot("cli", org.cell_id, an, parse_counts("3 2 0 0")).state == "locked"
    assert svc.enter_ballot("cli", org.cell_id, an, parse_counts("3 2 0 0")).state == "unchanged"
    with pytest.raises(UserError) as e:
        svc.enter_ballot("cli", org.cell_id, an, parse_counts("4 1 0 0"), reason="  ")
    assert e.value.code == "ballot_reason_required"
    out = svc.enter_ballot(
        "cli", org.cell_id, an, parse_counts("4 1 0 0"), reason="Kiểm lại phát hiện nhầm 1 phiếu"
    )
    assert out.state == "corrected" and out.vote_level == "HTXSNV"
    with db.session() as s:
        entry = s.execute(
            select(AuditEntry).where(AuditEntry.entity == "ballot", AuditEntry.action == "correct")
        ).scalar_one()
        assert entry.old["entry_1"]["votes"] == {"HTXSNV": 3, "HTTNV": 2, "HTNV": 0, "KHTNV": 0}
        assert entry.new["votes"]["HTXSNV"] == 4
        assert entry.new["reason"] == "Kiểm lại phát hiện nhầm 1 phiếu"
        locked = s.execute(select(BallotEntry)).scalar_one()
        assert locked.locked_at is not None and locked.votes_xs == 4


def test_round_two_is_added_to_a_locked_round_one(db: Database) -> None:
    org = _org(db, plan={"vote_rule": "two-round"})
    an = member_ids(db, org.cell_id)["Nguyễn Văn An"]
    svc = MeetingService(db)
    svc.open("cli", org.cell_id, DAY, 5)
    with pytest.raises(UserError) as e:
        svc.add_round2("cli", org.cell_id, an, Round2Counts(4, 1, 0))
    assert e.value.code == "ballot_no_round1"
    assert svc.enter_ballot("cli", org.cell_id, an, parse_counts("0 4 1 0")).vote_level == "HTTNV"
    out = svc.add_round2("cli", org.cell_id, an, Round2Counts(4, 1, 0))
    assert out.state == "round2_added" and out.vote_level == "HTXSNV"
    with pytest.raises(UserError) as e:  # changing a round 2 already entered is a correction
        svc.add_round2("cli", org.cell_id, an, Round2Counts(2, 3, 0))
    assert e.value.code == "ballot_reason_required"


# --- who may touch which cell ----------------------------------------------------------------


def test_a_cell_secretary_cannot_touch_another_cell(db: Database) -> None:
    org = _org(db)
    ids = member_ids(db, org.cell_id)
    other = member_ids(db, org.other_cell_id)
    secretary = actor(db, ids["Nguyễn Văn An"], ("secretary", org.cell_id))
    office = actor(db, ids["Trần Thị Bình"], ("office", org.org_id))
    meetings, facts, results = MeetingService(db), FactService(db), ResultsService(db)
    denied = [
        lambda: meetings.open(secretary, org.other_cell_id, DAY, 2),
        lambda: meetings.enter_ballot(
            secretary, org.other_cell_id, other["Ngô Văn Lâm"], parse_counts("2 0 0 0")
        ),
        lambda: meetings.ballots(secretary, org.other_cell_id),
        lambda: facts.set(secretary, other["Ngô Văn Lâm"], {"disciplined": "có"}),
        lambda: facts.get(secretary, other["Ngô Văn Lâm"]),
        lambda: results.override(secretary, other["Ngô Văn Lâm"], "HTNV", "lý do"),
        lambda: results.cell_view(secretary, org.other_cell_id),
        lambda: results.org_view(secretary, org.org_id),
    ]
    for call in denied:
        with pytest.raises(UserError) as e:
            call()
        assert e.value.code == "not_your_cell"
    assert _no_entries(db)
    # their own cell works, and the office works on both
    assert meetings.open(secretary, org.cell_id, DAY, 3).electorate == 5
    assert meetings.open(office, org.other_cell_id, DAY, 2).electorate == 2
    out = meetings.enter_ballot(
        office, org.other_cell_id, other["Ngô Văn Lâm"], parse_counts("2 0 0 0")
    )
    assert out.counter == "Trần Thị Bình"  # the chat user is the counter unless named
    assert results.org_view(office, org.org_id).allocation is not None
