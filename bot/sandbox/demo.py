"""Demo data: a small organisation built through the services (no SQL), with plausible
Vietnamese names. Used by the tests, the benchmarks and the offline sandbox."""

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


FAMILY = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
)
MIDDLE = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Thu", "Xuân", "Phương")
GIVEN = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đức",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hoa",
    "Hùng",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Minh",
    "Nam",
    "Nga",
    "Phúc",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Thắng",
    "Trang",
    "Tuấn",
    "Uyên",
    "Việt",
    "Xuân",
    "Yến",
)


def vietnamese_names(n: int, seed: int = 1) -> list[str]:
    """n distinct plausible full names, deterministic for a seed."""
    import random

    rng = random.Random(seed)
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        parts = [rng.choice(FAMILY), rng.choice(MIDDLE), rng.choice(GIVEN)]
        if len(seen) > 4000 or rng.random() < 0.3:
            parts.insert(2, rng.choice(MIDDLE))
        name = " ".join(parts)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


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
