"""Building a small organisation in a real database through the services (no SQL in tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.services.org import OrgService
from bot.services.roster import RosterService
from bot.storage.db import Database

CSV_HEADER = (
    "Họ và tên;Ngày sinh;Trạng thái;Ngày vào Đảng;Đối tượng;Chức vụ Đảng;Công chức, viên chức\n"
)


@dataclass
class Org:
    org_id: int
    cell_id: int
    other_cell_id: int
    period_id: int


def member_line(
    name: str,
    *,
    kind: str = "không giữ chức vụ",
    status: str = "chính thức",
    admitted: str = "19/05/2005",
    born: str = "02/01/1965",
    post: str = "",
    civil_servant: bool = False,
) -> str:
    return f"{name};{born};{status};{admitted};{kind};{post};{'có' if civil_servant else 'không'}\n"


def make_org(
    db: Database,
    lines: list[str],
    *,
    year: int = 2026,
    rulebook: str | None = None,
    plan: dict[str, object] | None = None,
    other_lines: list[str] | None = None,
) -> Org:
    orgs = OrgService(db)
    org = orgs.create_org("Đảng bộ xã An Bình")
    cell = orgs.create_cell(org, "Chi bộ thôn Đông")
    other = orgs.create_cell(org, "Chi bộ thôn Tây")
    roster = RosterService(db)
    report = roster.import_file(cell, (CSV_HEADER + "".join(lines)).encode(), "ds.csv")
    assert report.saved, [p.text() for p in report.problems]
    if other_lines:
        report = roster.import_file(other, (CSV_HEADER + "".join(other_lines)).encode(), "ds.csv")
        assert report.saved, [p.text() for p in report.problems]
    period = orgs.open_period(
        org, year, rulebook=rulebook, plan=dict(plan or {}, as_of=date(year, 12, 20))
    )
    return Org(org, cell, other, period)
