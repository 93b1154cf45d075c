"""Commendation proposals from the database: five years of real periods, meetings and ballots,
one member with a gap year; the office's list as .xlsx."""

from __future__ import annotations

import io
from datetime import date

import openpyxl

from bot.sandbox.demo import make_org, member_line, vietnamese_names
from bot.services.commendations import CommendationService
from bot.services.meetings import Counts, MeetingService
from bot.services.org import OrgService
from bot.services.results import ResultsService
from bot.services.roster import RosterService
from bot.storage.db import Database

PLAN = {"excellent_cap": {"pct": 100}}  # let the ballots decide, so the history is ours to set


def _year(
    db: Database, org_id: int, cell_id: int, year: int, excellent: set[int], ids: list[int]
) -> None:
    OrgService(db).open_period(
        org_id, year, rulebook="2019", plan=dict(PLAN, as_of=date(year, 12, 20))
    )
    meetings = MeetingService(db)
    meetings.open("cli", cell_id, date(year, 12, 15), len(ids))
    for i, member_id in enumerate(ids):
        votes = (len(ids), 0, 0, 0) if i in excellent else (0, len(ids), 0, 0)
        meetings.enter_ballot("cli", cell_id, member_id, Counts(len(ids), len(ids), 0, votes))
    ResultsService(db).compute("cli", org_id=org_id)


def test_five_years_with_a_gap_and_the_xlsx(db: Database) -> None:
    names = vietnamese_names(10, seed=5)
    org = make_org(
        db,
        [member_line(n, admitted="01/01/2000") for n in names],
        year=2016,
        rulebook="2019",
        plan=PLAN,
    )
    ids = [m.id for m in sorted(RosterService(db).members(org.cell_id), key=lambda m: m.id)]
    # 2017..2021: member 0 excellent every year; member 1 every year but 2019 (a gap year)
    for year in range(2017, 2022):
        excellent = {0, 2, 3, 4, 5, 6} if year < 2021 else {0, 1, 2, 3, 4, 5, 6, 7}
        if year != 2019:
            excellent.add(1)
        _year(db, org.org_id, org.cell_id, year, excellent, ids)
    service = CommendationService(db, ResultsService(db))
    view = service.members("cli", org.org_id, organisation_excellent=False)
    p = view.proposal
    assert view.year == 2021 and len(p.ranked) == 8 and p.places == 1  # floor(20% of 8)
    # 0, 2..6 were excellent every year (five in a row); 1 has the gap; 7 only this year
    assert set(p.five_years) == {str(ids[i]) for i in (0, 2, 3, 4, 5, 6)}
    assert str(ids[1]) not in p.five_years
    # six equal five-year candidates for one place: a tie left to the committee
    assert p.selected == () and len(p.ties) == 6 and p.free_places == 1
    wider = service.members("cli", org.org_id, organisation_excellent=True)
    assert wider.proposal.places == 2  # floor(30% of 8)
    wb = openpyxl.load_workbook(io.BytesIO(service.xlsx(view)))
    cells = [str(c.value) for row in wb.active.iter_rows() for c in row if c.value is not None]
    assert any("2017, 2018, 2019, 2020, 2021" in c for c in cells)
    assert any("2017, 2018, 2020, 2021" in c for c in cells)  # the gap year shows
    assert sum(c == "ngang nhau — cấp ủy chọn" for c in cells) == 6
