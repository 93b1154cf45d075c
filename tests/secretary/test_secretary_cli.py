"""The office command line for meetings, ballots, facts, results, overrides and exports: exit 0
with the file or the text, exit 2 with a Vietnamese message (never a traceback) on bad input."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from docx import Document as open_docx

from bot.storage.db import Database
from tests.cli import Run, kiemdiem
from tests.factory import make_org, member_line
from tests.secretary.helpers import member_ids


def _refused(run: Run, *phrases: str) -> None:
    assert run.code == 2, run.out + run.err
    assert "Traceback" not in run.err and run.out == ""
    for phrase in phrases:
        assert phrase in run.err, run.err


def test_the_office_path_from_meeting_to_documents(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(db_url)
    org = make_org(db, [member_line(n) for n in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường")],
                   rulebook="2019", year=2021)  # fmt: skip
    ids = member_ids(db, org.cell_id)
    db.dispose()
    cell, an = str(org.cell_id), str(ids["Nguyễn Văn An"])

    def run(*args: str) -> Run:
        return kiemdiem(monkeypatch, db_url, *args)

    _refused(run("meeting", "open", cell, "--present", "3"), "Thiếu --date")
    _refused(run("meeting", "open", cell, "--date", "10/12", "--present", "3"), "«10/12»")
    _refused(run("meeting", "open", cell, "--date", "2021-12-10", "--present", "1"),
             "Không đủ số lượng", "cần ít nhất 2")  # fmt: skip
    opened = run("meeting", "open", cell, "--date", "2021-12-10", "--present", "3")
    assert opened.code == 0 and "có mặt: 3" in opened.out
    ballot = ["ballot", "enter", cell, an, "--issued", "3", "--collected", "3", "--invalid", "0"]
    _refused(run(*ballot), "Thiếu --votes")
    _refused(run(*ballot, "--votes", "3", "1", "0", "0"), "số phiếu các mức (4)")
    ok = run(*ballot, "--votes", "3", "0", "0", "0", "--counter", "Lê Văn Cường")
    assert ok.code == 0 and "Đã chốt" in ok.out
    _refused(run(*ballot, "--votes", "2", "1", "0", "0"), "phải ghi rõ lý do")
    fixed = run(*ballot, "--votes", "2", "1", "0", "0", "--reason", "Kiểm lại")
    assert fixed.code == 0 and "Đã sửa" in fixed.out
    _refused(run("facts", "set", an, "sick_leave_months"), "tên=giá_trị")
    _refused(run("facts", "set", an, "nghi_om=3"), "Không có thông tin «nghi_om»")
    assert run("facts", "set", an, "civil_servant_rating=HTTNV").code == 0
    _refused(run("results"), "--cell")
    _refused(run("override", an, "HTNV"), "phải ghi rõ lý do")
    _refused(run("override", an, "tốt", "--reason", "x"), "Mức «tốt» không có")
    assert run("override", an, "HTNV", "--reason", "Chi ủy xét lại").code == 0
    text = run("results", "--cell", cell)
    assert text.code == 0 and "Đảng ủy quyết định HTNV: Chi ủy xét lại" in text.out
    _refused(run("export", "summary", "--cell", cell, str(tmp_path / "a.pdf")), ".xlsx, .docx")
    xlsx, docx, minutes = tmp_path / "a.xlsx", tmp_path / "a.docx", tmp_path / "m.docx"
    for args in (
        ("export", "summary", "--cell", cell, str(xlsx)),
        ("export", "summary", "--org", str(org.org_id), str(docx)),
        ("export", "minutes", cell, str(minutes)),
        ("export", "chart", "--cell", cell, str(tmp_path / "c.png")),
        ("export", "indicators", "--org", str(org.org_id), str(tmp_path / "i.png")),
        ("export", "csv", "--org", str(org.org_id), str(tmp_path / "d.csv")),
    ):
        done = run(*args)
        assert done.code == 0, done.err
        assert Path(args[-1]).stat().st_size > 0
    ws = openpyxl.load_workbook(xlsx).active
    assert any(
        row[1] == "Nguyễn Văn An" and "HTNV*" in row for row in ws.iter_rows(values_only=True)
    )
    table = open_docx(minutes).tables[1]
    an_row = next(r for r in table.rows if r.cells[1].text == "Nguyễn Văn An")
    assert [c.text for c in an_row.cells][2:] == ["3", "3", "3", "0", "2", "1", "0", "0", "HTTNV"]
