"""A cell's roster: import from a spreadsheet with a per-row report, and export to `.xlsx`.

An import is all or nothing: every row is checked first, and nothing is saved while any row is
wrong (unless the office asks to skip bad rows). A member already on the roster (same name and
date of birth, accents and case ignored) is updated, never duplicated.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from bot.services import audit
from bot.services.errors import UserError
from bot.services.spreadsheet import Sheet, parse_date, read_table
from bot.storage.db import Database
from bot.storage.models import Member, Organisation
from bot.texts import render_string
from bot.vietnamese import clean, fold, sort_key

# field -> accepted header spellings, folded (no accents, lower case)
COLUMNS: dict[str, tuple[str, ...]] = {
    "full_name": ("ho va ten", "ho ten", "name", "full_name"),
    "birth_date": ("ngay sinh", "birth_date", "date_of_birth"),
    "status": ("trang thai", "status"),
    "admitted_on": ("ngay vao dang", "admitted_on", "ngay ket nap"),
    "kind": ("doi tuong", "kind"),
    "party_post": ("chuc vu dang", "party_post"),
    "government_post": ("chuc vu chinh quyen", "government_post"),
    "mass_org_post": ("chuc vu doan the", "mass_org_post"),
    "civil_servant": ("cong chuc, vien chuc", "cong chuc vien chuc", "cong chuc", "civil_servant"),
    "phone": ("so dien thoai", "dien thoai", "phone"),
}
REQUIRED = ("full_name", "status")

STATUS = {
    "chinh thuc": "official",
    "official": "official",
    "du bi": "probationary",
    "probationary": "probationary",
    "mien sinh hoat": "exempt",
    "mien cong tac va sinh hoat": "exempt",
    "mien cong tac va sinh hoat dang": "exempt",
    "mien": "exempt",
    "exempt": "exempt",
    "dinh chi": "suspended",
    "dinh chi sinh hoat": "suspended",
    "dinh chi sinh hoat dang": "suspended",
    "suspended": "suspended",
}
KIND = {
    "": "non_leader",
    "khong giu chuc vu": "non_leader",
    "khong giu chuc vu lanh dao, quan ly": "non_leader",
    "non_leader": "non_leader",
    "lanh dao, quan ly": "leader",
    "lanh dao quan ly": "leader",
    "lanh dao": "leader",
    "giu chuc vu lanh dao, quan ly": "leader",
    "leader": "leader",
    "ngoai he thong chinh tri": "outside_system",
    "khong lam viec trong he thong chinh tri": "outside_system",
    "outside_system": "outside_system",
}
YES_NO = {
    "": False,
    "co": True,
    "x": True,
    "yes": True,
    "1": True,
    "true": True,
    "khong": False,
    "no": False,
    "0": False,
    "false": False,
}

EXPORT_FIELDS = (
    "full_name",
    "birth_date",
    "status",
    "admitted_on",
    "kind",
    "party_post",
    "government_post",
    "mass_org_post",
    "civil_servant",
    "phone",
)


@dataclass(frozen=True)
class Problem:
    row: int  # 0 for the file as a whole
    field: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return render_string("errors.yaml", "roster_" + self.code, row=self.row, **self.params)


@dataclass
class RosterRow:
    row: int
    full_name: str
    birth_date: date | None
    status: str
    admitted_on: date | None
    kind: str
    party_post: str
    government_post: str
    mass_org_post: str
    civil_servant: bool
    phone: str

    def values(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in EXPORT_FIELDS}


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    saved: bool = False
    problems: list[Problem] = field(default_factory=list)
    bad_rows: int = 0


def _map_header(header: list[str]) -> tuple[dict[str, int], list[Problem]]:
    problems: list[Problem] = []
    index: dict[str, int] = {}
    for col, name in enumerate(header):
        key = fold(str(name)).strip(" :*")
        if not key:
            continue
        for field_name, spellings in COLUMNS.items():
            if key in spellings:
                if field_name in index:
                    problems.append(Problem(1, field_name, "duplicate_column", {"column": name}))
                index[field_name] = col
                break
        else:
            problems.append(Problem(1, str(name), "unknown_column", {"column": clean(str(name))}))
    for required in REQUIRED:
        if required not in index:
            problems.append(
                Problem(
                    1,
                    required,
                    "missing_column",
                    {"column": render_string("errors.yaml", "col_" + required)},
                )
            )
    return index, problems


def parse_roster(sheet: Sheet) -> tuple[list[RosterRow], list[Problem]]:
    index, problems = _map_header(sheet.header)
    if any(p.code in ("missing_column", "duplicate_column") for p in problems):
        return [], problems
    rows: list[RosterRow] = []
    seen: dict[tuple[str, date | None], int] = {}

    def cell(values: list[object], name: str) -> object:
        col = index.get(name)
        return values[col] if col is not None and col < len(values) else None

    for number, values in sheet.rows:
        row_problems: list[Problem] = []
        for r, col in sheet.formula_cells:
            if r == number:
                fname = next((f for f, c in index.items() if c == col), str(col + 1))
                row_problems.append(Problem(number, fname, "formula"))
        text = {f: clean(str(cell(values, f) or "")) for f in COLUMNS}
        name = text["full_name"]
        if not name:
            row_problems.append(Problem(number, "full_name", "name_required"))
        elif len(name) > 120 or any(ch.isdigit() for ch in name):
            row_problems.append(Problem(number, "full_name", "bad_name", {"value": name[:60]}))
        dates: dict[str, date | None] = {}
        for f in ("birth_date", "admitted_on"):
            try:
                dates[f] = parse_date(cell(values, f))
            except ValueError:
                row_problems.append(Problem(number, f, "bad_date", {"value": text[f]}))
                dates[f] = None
        status = STATUS.get(fold(text["status"]))
        if status is None:
            row_problems.append(Problem(number, "status", "bad_status", {"value": text["status"]}))
        kind = KIND.get(fold(text["kind"]))
        if kind is None:
            row_problems.append(Problem(number, "kind", "bad_kind", {"value": text["kind"]}))
        cs = YES_NO.get(fold(text["civil_servant"]))
        if cs is None:
            row_problems.append(
                Problem(number, "civil_servant", "bad_yes_no", {"value": text["civil_servant"]})
            )
        if (
            status in ("official", "probationary")
            and dates["admitted_on"] is None
            and not any(p.field == "admitted_on" for p in row_problems)
        ):
            row_problems.append(Problem(number, "admitted_on", "admitted_required"))
        birth, admitted = dates["birth_date"], dates["admitted_on"]
        if birth and admitted and admitted <= birth:
            row_problems.append(Problem(number, "admitted_on", "admitted_before_birth"))
        for f in ("party_post", "government_post", "mass_org_post", "phone"):
            if len(text[f]) > 200:
                row_problems.append(Problem(number, f, "too_long", {"limit": 200}))
        if name:
            key = (fold(name), birth)
            if key in seen:
                row_problems.append(
                    Problem(
                        number, "full_name", "duplicate_row", {"name": name, "other": seen[key]}
                    )
                )
            else:
                seen[key] = number
        if row_problems:
            problems.extend(row_problems)
            continue
        assert status is not None and kind is not None and cs is not None
        rows.append(
            RosterRow(
                number,
                name,
                birth,
                status,
                admitted,
                kind,
                text["party_post"],
                text["government_post"],
                text["mass_org_post"],
                cs,
                text["phone"],
            )
        )
    if not sheet.rows:
        problems.append(Problem(0, "", "no_rows"))
    return rows, problems


class RosterService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def import_file(
        self,
        cell_id: int,
        data: bytes,
        filename: str = "",
        *,
        actor: str = "cli",
        skip_bad: bool = False,
    ) -> ImportReport:
        report = ImportReport()
        try:
            sheet = read_table(data, filename)
        except UserError as exc:
            report.problems.append(Problem(0, "", "file", {"text": exc.message()}))
            return report
        rows, problems = parse_roster(sheet)
        report.rows = len(sheet.rows)
        report.problems = problems
        report.bad_rows = len({p.row for p in problems if p.row > 1})
        header_broken = any(p.row <= 1 and p.code != "unknown_column" for p in problems)
        if header_broken or (
            problems and not skip_bad and any(p.code != "unknown_column" for p in problems)
        ):
            return report
        self._save(cell_id, rows, report, actor)
        return report

    def _save(self, cell_id: int, rows: list[RosterRow], report: ImportReport, actor: str) -> None:
        with self.db.session() as s:
            cell = s.get(Organisation, cell_id)
            if cell is None or (cell.parent_id is None and cell.kind != "grassroots"):
                raise UserError("cell_not_found", cell_id=cell_id)
            existing = {
                (m.name_key, m.birth_date): m
                for m in s.execute(select(Member).where(Member.cell_id == cell_id)).scalars()
            }
            for r in rows:
                m = existing.get((fold(r.full_name), r.birth_date))
                new = r.values()
                if m is None:
                    m = Member(cell_id=cell_id, name_key=fold(r.full_name), **new)
                    s.add(m)
                    s.flush()
                    report.created += 1
                    audit.record(
                        s, actor=actor, entity="member", entity_id=m.id, action="import", new=new
                    )
                    continue
                old = {f: getattr(m, f) for f in EXPORT_FIELDS}
                if old == new and m.removed_at is None:
                    report.unchanged += 1
                    continue
                for f, v in new.items():
                    setattr(m, f, v)
                m.removed_at = None
                report.updated += 1
                audit.record(
                    s,
                    actor=actor,
                    entity="member",
                    entity_id=m.id,
                    action="update",
                    old=old,
                    new=new,
                )
        report.saved = True

    def members(self, cell_id: int) -> list[Member]:
        with self.db.session() as s:
            if s.get(Organisation, cell_id) is None:
                raise UserError("cell_not_found", cell_id=cell_id)
            rows = list(
                s.execute(
                    select(Member).where(Member.cell_id == cell_id, Member.removed_at.is_(None))
                ).scalars()
            )
        return sorted(rows, key=lambda m: sort_key(m.full_name))

    def export_xlsx(self, cell_id: int) -> bytes:
        from bot.documents.xlsx import write_table

        members = self.members(cell_id)
        headers = [render_string("errors.yaml", "col_" + f) for f in EXPORT_FIELDS]
        labels = {
            "status": {
                v: render_string("errors.yaml", "status_" + v) for v in set(STATUS.values())
            },
            "kind": {v: render_string("errors.yaml", "kind_" + v) for v in set(KIND.values())},
        }
        yes, no = render_string("errors.yaml", "yes"), render_string("errors.yaml", "no")
        table: list[list[object]] = []
        for m in members:
            row: list[object] = []
            for f in EXPORT_FIELDS:
                v = getattr(m, f)
                if f in labels:
                    v = labels[f][v]
                elif f == "civil_servant":
                    v = yes if v else no
                elif isinstance(v, date):
                    v = v.strftime("%d/%m/%Y")
                row.append(v)
            table.append(row)
        return write_table(headers, table, sheet_title="Danh sach")


def report_lines(report: ImportReport) -> list[str]:
    return [p.text() for p in sorted(report.problems, key=lambda p: (p.row, p.field))]


def to_bytes(data: bytes | io.BytesIO) -> bytes:
    return data if isinstance(data, bytes) else data.getvalue()
