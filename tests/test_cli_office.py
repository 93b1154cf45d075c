"""The office CLI on a real database: organisations, periods, roles and the roster import with
its per-row report (good, bad, empty, not a spreadsheet, re-import, export)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from bot.storage.db import Database
from bot.storage.models import AuditEntry, Member, ReviewPeriod, Role
from tests.cli import kiemdiem

HEADER = [
    "Họ và tên",
    "Ngày sinh",
    "Trạng thái",
    "Ngày vào Đảng",
    "Đối tượng",
    "Chức vụ Đảng",
    "Chức vụ chính quyền",
    "Chức vụ đoàn thể",
    "Công chức, viên chức",
    "Số điện thoại",
]
ROWS = [
    [
        "Nguyễn Văn An",
        "02/01/1960",
        "chính thức",
        "19/05/1985",
        "không giữ chức vụ",
        "",
        "",
        "",
        "không",
        "",
    ],
    [
        "Trần Thị Bình",
        "1975-03-04",
        "Chính Thức",
        "01/02/2000",
        "lãnh đạo, quản lý",
        "Bí thư chi bộ",
        "Trưởng thôn",
        "",
        "có",
        "0912345678",
    ],
    [
        "Lê Văn Cường",
        "12/12/1990",
        "dự bị",
        "01/06/2026",
        "ngoài hệ thống chính trị",
        "",
        "",
        "",
        "",
        "",
    ],
]


def xlsx(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def cell(db_url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    org = kiemdiem(monkeypatch, db_url, "org", "create", "Đảng bộ xã An Bình")
    assert org.code == 0, org.err
    cell = kiemdiem(monkeypatch, db_url, "cell", "create", org.out.strip(), "Chi bộ thôn 1")
    assert cell.code == 0, cell.err
    return int(cell.out.strip())


def test_good_import_then_reimport_updates(
    db_url: str, cell: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "ds.xlsx"
    f.write_bytes(xlsx(ROWS))
    r = kiemdiem(monkeypatch, db_url, "roster", "import", str(f), "--cell", str(cell))
    assert r.code == 0, r.err
    assert "3 đảng viên mới" in r.out
    changed = [row[:] for row in ROWS]
    changed[0][5] = "Chi ủy viên"
    f.write_bytes(xlsx(changed))
    r = kiemdiem(monkeypatch, db_url, "roster", "import", str(f), "--cell", str(cell))
    assert r.code == 0, r.err
    assert "0 đảng viên mới, 1 cập nhật, 2 không đổi" in r.out
    db = Database(db_url)
    with db.session() as s:
        members = s.execute(select(Member).order_by(Member.id)).scalars().all()
        assert len(members) == 3
        assert members[0].party_post == "Chi ủy viên"
        assert members[1].birth_date == date(1975, 3, 4) and members[1].civil_servant is True
        assert members[1].kind == "leader" and members[2].status == "probationary"
        assert (
            s.execute(
                select(func.count(AuditEntry.id)).where(AuditEntry.entity == "member")
            ).scalar()
            == 4
        )
    db.dispose()


def test_csv_import_with_english_headers(
    db_url: str, cell: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "ds.csv"
    f.write_text(
        "name;birth_date;status;admitted_on;kind;civil_servant\n"
        "Phạm Văn Dũng;1/2/1970;official;2001-01-01;non_leader;no\n",
        encoding="utf-8-sig",
    )
    r = kiemdiem(monkeypatch, db_url, "roster", "import", str(f), "--cell", str(cell))
    assert r.code == 0, r.err + r.out


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [["Nguyễn Văn An", "31/02/1960", "chính thức", "19/05/1985", "", "", "", "", "", ""]],
            ["Dòng 2: ngày «31/02/1960» không hợp lệ"],
        ),
        (
            [
                [
                    "Nguyễn Văn An",
                    "02/01/1960",
                    "đang công tác",
                    "19/05/1985",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            ],
            ["Dòng 2, cột Trạng thái: «đang công tác» không hợp lệ"],
        ),
        (
            [
                ROWS[0],
                ROWS[1],
                [
                    "nguyễn văn  AN",
                    "02/01/1960",
                    "chính thức",
                    "19/05/1985",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
            ],
            ["Dòng 4: «nguyễn văn AN» trùng với dòng 2"],
        ),
        (
            [["", "02/01/1960", "chính thức", "19/05/1985", "", "", "", "", "", ""]],
            ["Dòng 2, cột Họ và tên: còn trống"],
        ),
        (
            [["Nguyễn Văn An", "02/01/1960", "chính thức", "", "", "", "", "", "", ""]],
            ["Dòng 2, cột Ngày vào Đảng: còn trống"],
        ),
        (
            [
                [
                    "Nguyễn Văn An",
                    "02/01/1960",
                    "chính thức",
                    "19/05/1985",
                    "",
                    "",
                    "",
                    "",
                    "có lẽ",
                    "",
                ]
            ],
            ["Dòng 2, cột Công chức, viên chức: «có lẽ» không hợp lệ"],
        ),
        (
            [["Nguyễn Văn An", "02/01/1960", "chính thức", "=TODAY()", "", "", "", "", "", ""]],
            ["Dòng 2: ô có công thức"],
        ),
    ],
)
def test_bad_rows_are_reported_and_nothing_saved(
    db_url: str,
    cell: int,
    tmp_path: Path,
    rows: list[list[object]],
    expected: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    f = tmp_path / "ds.xlsx"
    f.write_bytes(xlsx([ROWS[2], *rows]) if rows[0] is not ROWS[0] else xlsx(rows))
    r = kiemdiem(monkeypatch, db_url, "roster", "import", str(f), "--cell", str(cell))
    assert r.code == 2
    assert "Chưa lưu gì" in r.out
    for text in expected:
        assert any(
            text.replace("Dòng 2", f"Dòng {2 if rows[0] is ROWS[0] else 3}") in line or text in line
            for line in r.out.splitlines()
        ), r.out
    db = Database(db_url)
    with db.session() as s:
        assert s.execute(select(func.count(Member.id))).scalar() == 0
    db.dispose()


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"", "ds.xlsx", "Tệp không có dữ liệu"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "anh.png", "không phải bảng tính"),
        (b"PK\x03\x04garbage-not-a-zip", "ds.xlsx", "không phải bảng tính"),
        ("Tên;Tuổi\nAn;60\n".encode(), "ds.csv", "thiếu cột «Họ và tên»"),
        ("Họ và tên;Trạng thái\n".encode(), "ds.csv", "chưa có đảng viên nào"),
        (
            "Họ và tên,Trạng thái\nAn,chính thức\n".encode("utf-16"),
            "ds.csv",
            "không phải bảng tính",
        ),
    ],
)
def test_broken_files_get_a_clear_message(
    db_url: str,
    cell: int,
    tmp_path: Path,
    content: bytes,
    name: str,
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    f = tmp_path / name
    f.write_bytes(content)
    r = kiemdiem(monkeypatch, db_url, "roster", "import", str(f), "--cell", str(cell))
    assert r.code == 2
    assert expected in r.out, r.out
    assert "Traceback" not in r.out + r.err


def test_export_round_trip(
    db_url: str, cell: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "ds.xlsx"
    f.write_bytes(xlsx(ROWS))
    assert kiemdiem(monkeypatch, db_url, "roster", "import", str(f), "--cell", str(cell)).code == 0
    out = tmp_path / "out.xlsx"
    r = kiemdiem(monkeypatch, db_url, "roster", "export", "--cell", str(cell), str(out))
    assert r.code == 0, r.err
    ws = openpyxl.load_workbook(out).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == HEADER
    # Vietnamese order by given name: An, Bình, Cường
    assert [v[0] for v in values[1:]] == ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]
    assert ws["A2"].font.name == "Times New Roman"
    assert not any(isinstance(v, str) and v.startswith("=") for row in values for v in row)
    # the export imports back unchanged
    r = kiemdiem(monkeypatch, db_url, "roster", "import", str(out), "--cell", str(cell))
    assert r.code == 0 and "3 không đổi" in r.out, r.out


def test_period_and_roles(
    db_url: str, cell: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "ds.xlsx"
    f.write_bytes(xlsx(ROWS))
    assert kiemdiem(monkeypatch, db_url, "roster", "import", str(f), "--cell", str(cell)).code == 0
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "vote_rule: hd07-2011\nexcellent_cap: {pct: 25}\ndeadlines: {self_review_due: 2026-12-05}\n"
    )
    r = kiemdiem(monkeypatch, db_url, "period", "open", "1", "--year", "2026", "--plan", str(plan))
    assert r.code == 0, r.err
    bad = tmp_path / "bad.yaml"
    bad.write_text("vote_rul: hd07-2011\n")
    r = kiemdiem(monkeypatch, db_url, "period", "open", "1", "--year", "2026", "--plan", str(bad))
    assert r.code == 2 and "vote_rul" in r.err
    r = kiemdiem(monkeypatch, db_url, "period", "open", str(cell), "--year", "2026")
    assert r.code == 2 and "đảng bộ cơ sở" in r.err
    assert kiemdiem(monkeypatch, db_url, "role", "grant", "2", "secretary").code == 0
    assert kiemdiem(monkeypatch, db_url, "role", "grant", "1", "office").code == 0
    r = kiemdiem(monkeypatch, db_url, "role", "grant", "2", "president")
    assert r.code == 2 and "president" in r.err
    r = kiemdiem(monkeypatch, db_url, "role", "grant", "99", "deputy")
    assert r.code == 2 and "99" in r.err
    db = Database(db_url)
    with db.session() as s:
        period = s.execute(select(ReviewPeriod)).scalar_one()
        assert period.rulebook == "2025" and period.plan == {
            "vote_rule": "hd07-2011",
            "excellent_cap": {"pct": 25},
        }
        roles = {
            (r.member_id, r.role, r.organisation_id) for r in s.execute(select(Role)).scalars()
        }
        assert roles == {(2, "secretary", cell), (1, "office", 1)}
    db.dispose()
