"""Results from the database, overrides and the office's allocation of HTXSNV places, on a real
database; the allocation rule itself as a pure function, with exact shares."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from sqlalchemy import select

from bot.batch import rate_document
from bot.services.allocation import CellClaim, allocate_places
from bot.services.errors import UserError
from bot.services.facts import FactService
from bot.services.meetings import MeetingService, parse_counts
from bot.services.org import OrgService
from bot.services.results import ResultsService
from bot.storage.db import Database
from bot.storage.models import AuditEntry, Override, Result
from tests.factory import make_org, member_line
from tests.secretary.helpers import actor, member_ids

DAY = date(2021, 12, 10)
EAST = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]
WEST = ["Ngô Văn Lâm", "Đinh Thị Mai", "Vũ Văn Nam"]


def _voted(db: Database):
    """Two cells under the 2019 rules with a 50 % cap (more places to share); all voted on."""
    org = make_org(
        db,
        [member_line(n) for n in EAST],
        other_lines=[member_line(n) for n in WEST],
        rulebook="2019",
        year=2021,
        plan={"excellent_cap": {"pct": 50}},
    )
    east, west = member_ids(db, org.cell_id), member_ids(db, org.other_cell_id)
    meetings = MeetingService(db)
    meetings.open("cli", org.cell_id, DAY, 5)
    meetings.open("cli", org.other_cell_id, DAY, 3)
    for name, counts in zip(
        EAST, ("5 0 0 0", "4 1 0 0", "1 4 0 0", "0 5 0 0", "0 4 1 0"), strict=True
    ):
        meetings.enter_ballot("cli", org.cell_id, east[name], parse_counts(counts))
    for name, counts in zip(WEST, ("3 0 0 0", "0 3 0 0", "0 0 3 0"), strict=True):
        meetings.enter_ballot("cli", org.other_cell_id, west[name], parse_counts(counts))
    return org, east, west


def test_json_is_exactly_rate_of_the_organisations_document(db: Database) -> None:
    org, east, _west = _voted(db)
    svc = ResultsService(db)
    rating = svc.compute("cli", org_id=org.org_id)
    assert rating.output == rate_document(svc.document("cli", org_id=org.org_id))
    levels = {r.name: r.result["final"] for r in rating.rows}
    # G = 7 at HTTNV or higher (all but Vũ Văn Nam); 2019 base good_or_higher with the plan's
    # 50 %: floor(3.5) = 3 places for the three voted HTXSNV (An 5/5, Lâm 3/3, Bình 4/5).
    group = rating.output["cap_groups"][0]
    assert (group["base"], group["max_excellent"], group["free_places"]) == (7, 3, 0)
    assert group["selected"][2] == str(east["Trần Thị Bình"])
    assert levels["Nguyễn Văn An"] == "HTXSNV" and levels["Lê Văn Cường"] == "HTTNV"
    # A cell's view: its members, the organisation's cap groups, the cell's own level (§5.6).
    cell = svc.compute("cli", cell_id=org.cell_id)
    assert {m["id"] for m in cell.output["members"]} == {str(i) for i in east.values()}
    assert cell.output["cap_groups"] == rating.output["cap_groups"]
    assert cell.output["organisation"] == {"max_level": "HTXSNV"}  # all five HTTNV or higher
    assert rating.output["organisation"] == {"max_level": "HTTNV"}  # Vũ Văn Nam is HTNV


def test_results_are_stored_and_a_change_of_level_audited(db: Database) -> None:
    org, east, _ = _voted(db)
    svc = ResultsService(db)
    svc.compute("cli", cell_id=org.cell_id)
    with db.session() as s:
        rows = {r.member_id: r for r in s.execute(select(Result)).scalars()}
        assert set(rows) == set(east.values())  # the cell's view stores the cell's results
        assert rows[east["Nguyễn Văn An"]].payload["vote_level"] == "HTXSNV"
        first = s.execute(select(AuditEntry).where(AuditEntry.entity == "result")).scalars().all()
    assert len(first) == 5
    svc.compute("cli", cell_id=org.cell_id)  # nothing changed: nothing audited
    FactService(db).set("cli", east["Nguyễn Văn An"], {"disciplined": "có"})
    svc.compute("cli", cell_id=org.cell_id)
    with db.session() as s:
        entries = (
            s.execute(
                select(AuditEntry).where(AuditEntry.entity == "result").order_by(AuditEntry.id)
            )
            .scalars()
            .all()
        )
        assert len(entries) == 6
        assert entries[-1].old == {"proposed": "HTXSNV", "final": "HTXSNV"}
        assert entries[-1].new == {"proposed": "KHTNV", "final": "KHTNV"}


def test_override_needs_a_reason_is_audited_and_reported_beside_the_proposal(
    db: Database,
) -> None:
    org, east, west = _voted(db)
    svc = ResultsService(db)
    secretary = actor(db, east["Lê Văn Cường"], ("secretary", org.cell_id))
    cuong = east["Lê Văn Cường"]
    with pytest.raises(UserError) as e:
        svc.override(secretary, cuong, "HTNV", "   ")
    assert e.value.code == "override_reason_required"
    with pytest.raises(UserError) as e:
        svc.override(secretary, cuong, "giỏi", "lý do")
    assert e.value.code == "override_bad_level"
    with db.session() as s:
        assert s.execute(select(Override)).first() is None
    before = svc.compute("cli", org_id=org.org_id).output
    info = svc.override(secretary, cuong, "hoàn thành nhiệm vụ", "Chi ủy xét: chưa gương mẫu")
    assert (info.level, info.by_role, info.name) == ("HTNV", "cell", "Lê Văn Cường")
    office = svc.override("cli", west["Vũ Văn Nam"], "KHTNV", "Đảng ủy kết luận")
    assert office.by_role == "office"
    rating = svc.compute("cli", org_id=org.org_id)
    # The engine's output is untouched: the override is reported beside it.
    assert rating.output == before
    row = next(r for r in rating.rows if r.member_id == cuong)
    assert row.result["final"] == "HTTNV" and row.decided == "HTNV"
    assert row.override is not None and row.override.reason == "Chi ủy xét: chưa gương mẫu"
    with db.session() as s:
        audit = (
            s.execute(
                select(AuditEntry).where(AuditEntry.entity == "override").order_by(AuditEntry.id)
            )
            .scalars()
            .first()
        )
        assert audit is not None and audit.actor == f"member:{cuong}"
        assert audit.new["level"] == "HTNV" and audit.new["reason"].startswith("Chi ủy xét")
        assert audit.new["final"] == "HTTNV"
    with pytest.raises(UserError):
        svc.withdraw_override(secretary, cuong, "")
    svc.withdraw_override(secretary, cuong, "Chi ủy thống nhất lại")
    assert (
        next(r for r in svc.compute("cli", org_id=org.org_id).rows if r.member_id == cuong).override
        is None
    )


def test_the_office_sees_the_allocation_between_cells(db: Database) -> None:
    org, _east, _west = _voted(db)
    rating = ResultsService(db).compute("cli", org_id=org.org_id)
    alloc = rating.allocation
    assert alloc is not None and alloc.total == 3
    east, west = alloc.cells
    # East: all five HTTNV or higher -> HTXSNV (weight 3), claim 3 × 5 = 15; West: one HTNV of
    # three -> HTTNV (weight 2), claim 2 × 2 = 4. First shares 3 × 15/19 = 45/19 and 12/19;
    # East's reaches its 2 candidates: 2 places; the 1 left goes to West (share 1, 1 candidate).
    assert (east.level, east.weight, east.good, east.candidates) == ("HTXSNV", 3, 5, 2)
    assert (west.level, west.weight, west.good, west.candidates) == ("HTTNV", 2, 2, 1)
    assert (east.share, west.share) == (Fraction(45, 19), Fraction(1))
    assert (east.places, west.places, alloc.unused) == (2, 1, 0)
    text = ResultsService(db).org_outcome("cli", org.org_id).replies[0].text
    assert "phần chia 2,37 → 2 chỗ" in text and "phần chia 1 → 1 chỗ" in text
    secretary_view = ResultsService(db).cell_outcome("cli", org.other_cell_id).replies[0].text
    assert "phần chia 1 → 1 chỗ" in secretary_view and "2,37" not in secretary_view


def test_cap_groups_by_kind_is_a_plan_option(db: Database) -> None:
    org = make_org(
        db,
        [member_line("Nguyễn Văn An"), member_line("Trần Thị Bình", kind="lãnh đạo, quản lý")],
        rulebook="2019",
        year=2021,
        plan={"cap_groups": "kind"},
    )
    rating = ResultsService(db).compute("cli", org_id=org.org_id)
    assert [g["group"] for g in rating.output["cap_groups"]] == ["non_leader", "leader"]
    assert rating.allocation is None  # the allocation is of the organisation-wide cap only
    OrgService(db).open_period(org.org_id, 2021, rulebook="2019", plan={"cap_groups": "cell"})
    with pytest.raises(UserError) as e:
        ResultsService(db).compute("cli", org_id=org.org_id)
    assert e.value.code == "bad_cap_groups_option"


# --- the allocation rule, exactly -----------------------------------------------------------


def test_higher_rated_cells_get_a_higher_rate() -> None:
    claims = [
        CellClaim(1, "A", "HTXSNV", 10, 9),  # claim 3 × 10 = 30
        CellClaim(2, "B", "HTTNV", 10, 9),  # 2 × 10 = 20
        CellClaim(3, "C", "HTNV", 10, 9),  # 1 × 10 = 10
        CellClaim(4, "D", "KHTNV", 10, 9),  # 0
    ]
    a = allocate_places(6, claims)
    assert [c.share for c in a.cells] == [Fraction(3), Fraction(2), Fraction(1), Fraction(0)]
    assert [c.places for c in a.cells] == [3, 2, 1, 0] and a.unused == 0


def test_largest_remainders_then_level_break_ties() -> None:
    claims = [CellClaim(1, "A", "HTTNV", 3, 5), CellClaim(2, "B", "HTTNV", 3, 5),
              CellClaim(3, "C", "HTXSNV", 2, 5)]  # fmt: skip
    a = allocate_places(4, claims)  # claims 6, 6, 6: shares 4/3 each, one place left over
    assert [c.share for c in a.cells] == [Fraction(4, 3)] * 3
    assert [c.places for c in a.cells] == [1, 1, 2]  # equal remainders: the higher level


def test_a_cell_never_gets_more_than_its_candidates_and_the_rest_is_shared_again() -> None:
    claims = [CellClaim(1, "A", "HTXSNV", 10, 1), CellClaim(2, "B", "HTNV", 10, 9)]
    a = allocate_places(4, claims)  # A's share 3 > 1 candidate: A 1, B gets the other 3
    assert [(c.places, c.capped) for c in a.cells] == [(1, True), (3, False)]
    assert sum(c.places for c in a.cells) == 4
    few = allocate_places(5, [CellClaim(1, "A", "HTTNV", 4, 1), CellClaim(2, "B", None, 0, 0)])
    assert [c.places for c in few.cells] == [1, 0] and few.unused == 4


@pytest.mark.parametrize("total", range(0, 12))
def test_places_never_exceed_the_total_or_the_candidates(total: int) -> None:
    claims = [
        CellClaim(i, str(i), lvl, good, cand)
        for i, (lvl, good, cand) in enumerate(
            [
                ("HTXSNV", 7, 3),
                ("HTTNV", 5, 2),
                ("HTNV", 9, 4),
                ("UNDETERMINED", 3, 3),
                ("HTTNV", 1, 1),
                ("KHTNV", 4, 2),
            ]
        )
    ]
    a = allocate_places(total, claims)
    assert a.allocated <= total
    assert all(c.places <= c.candidates for c in a.cells)
    assert all(c.places == 0 for c in a.cells if c.weight == 0)
    usable = sum(c.candidates for c in claims if c.level not in ("KHTNV", "UNDETERMINED"))
    assert a.allocated == min(total, usable)
