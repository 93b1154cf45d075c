"""The cell's and the office's documents from a real database: the summary (Mẫu 03) as .xlsx and
.docx, the ballot count minutes, the charts and the CSV hold the right numbers; the typography
is the official one; the indicator chart is anonymous. With LibreOffice installed the Word and
Excel files are also converted to PDF and rendered to PNG pages."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from docx import Document as open_docx
from docx.enum.section import WD_ORIENT
from docx.shared import Cm
from PIL import Image

from bot.documents.charts import anonymous_cells
from bot.documents.pdf import pdf_to_pngs, to_pdf_sync
from bot.services.facts import FactService
from bot.services.meetings import MeetingService, parse_counts
from bot.services.reports import ReportService, indicator_marks
from bot.services.results import ResultsService
from bot.storage.db import Database
from bot.vietnamese import sort_key
from tests.factory import make_org, member_line
from tests.secretary.helpers import member_ids, submit_review

NAMES = ["Trần Thị Bình", "Nguyễn Văn An", "Đặng Văn Đức", "Lê Thị Ánh", "Phạm Văn Cường"]
DAY = date(2021, 12, 10)


@pytest.fixture
def cell(db: Database) -> tuple[Database, int, int, dict[str, int]]:
    """A 2019 cell: five official members, three submitted reviews, ballots (one pending a
    second count), a fact and an override."""
    lines = [member_line(n, post="Bí thư chi bộ" if n == "Nguyễn Văn An" else "") for n in NAMES]
    lines.append(member_line("Vũ Văn Giang", status="miễn sinh hoạt"))
    org = make_org(db, lines, rulebook="2019", year=2021)
    ids = member_ids(db, org.cell_id)
    for i, (name, ind) in enumerate(
        (("Nguyễn Văn An", {14: 3}), ("Trần Thị Bình", {14: 3, 20: 2}), ("Lê Thị Ánh", {14: 3}))
    ):
        submit_review(db, ids[name], 8_100_000 + i, grades={"c2": "XS"}, indicators=ind,
                      proposed="HTTNV")  # fmt: skip
    meetings = MeetingService(db)
    meetings.open("cli", org.cell_id, DAY, 5)
    votes = {
        "Nguyễn Văn An": "13 13 0 0 0 0 0",
        "Trần Thị Bình": "5 5 0 1 4 0 0",
        "Lê Thị Ánh": "5 5 1 0 1 3 0",
        "Đặng Văn Đức": "5 5 0 0 0 1 4",
    }
    for name, text in votes.items():
        counts = parse_counts(text if name != "Nguyễn Văn An" else "5 5 0 4 1 0 0")
        meetings.enter_ballot("cli", org.cell_id, ids[name], counts, counter="Đặng Văn Đức")
    meetings.open("cli", org.cell_id, DAY, 5, double_entry=True)
    meetings.enter_ballot(
        "cli", org.cell_id, ids["Phạm Văn Cường"], parse_counts("0 5 0 0"), counter="Lê Thị Ánh"
    )
    FactService(db).set("cli", ids["Trần Thị Bình"], {"civil_servant_rating": "HTTNV"})
    ResultsService(db).override("cli", ids["Lê Thị Ánh"], "HTTNV", "Đảng ủy xét thành tích")
    return db, org.cell_id, org.org_id, ids


def _sorted_names() -> list[str]:
    return sorted([*NAMES, "Vũ Văn Giang"], key=sort_key)


def test_summary_xlsx_holds_the_proposals_in_times_new_roman(cell) -> None:
    db, cell_id, _org, _ids = cell
    doc = ReportService(db).summary("cli", cell_id=cell_id, fmt="xlsx")
    assert doc.filename.endswith(".xlsx") and doc.protect
    ws = openpyxl.load_workbook(io.BytesIO(doc.data)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(i for i, r in enumerate(values) if r[1] == "Họ và tên đảng viên")
    assert values[header][10] == "Ghi chú" and values[header + 1][0] == "(1)"
    rows = values[header + 2 : header + 2 + 6]
    assert [r[1] for r in rows] == _sorted_names()
    by_name = {r[1]: r for r in rows}
    assert by_name["Nguyễn Văn An"][:4] == [1, "Nguyễn Văn An", "Bí thư chi bộ", "HTTNV"]
    assert by_name["Nguyễn Văn An"][8:10] == ["HTXSNV", "HTXSNV"]  # 4/5 votes; 1 place
    assert by_name["Trần Thị Bình"][5] == "HTTNV"  # the civil-servant rating, column (6)
    assert by_name["Lê Thị Ánh"][8:10] == ["HTNV", "HTTNV*"]  # the đảng ủy's decision, marked
    assert (
        "Đảng ủy quyết định HTTNV (đề xuất HTNV): Đảng ủy xét thành tích"
        in by_name["Lê Thị Ánh"][10]
    )
    assert by_name["Phạm Văn Cường"][10] == "phiếu chờ nhập lần 2"
    assert "miễn công tác và sinh hoạt đảng" in by_name["Vũ Văn Giang"][10]
    for row in ws.iter_rows():
        for c in row:
            if c.value is not None:
                assert not str(c.value).startswith("="), c.coordinate  # values, not formulas
                assert c.font.name == "Times New Roman", c.coordinate
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.column_dimensions["B"].width >= 25  # a Vietnamese full name fits


def test_summary_docx_is_a4_landscape_with_the_same_numbers(cell) -> None:
    db, _cell, org_id, _ids = cell
    doc = ReportService(db).summary("cli", org_id=org_id, fmt="docx")
    d = open_docx(io.BytesIO(doc.data))
    section = d.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert abs(section.page_width - Cm(29.7)) < Cm(0.1) and abs(section.page_height - Cm(21)) < Cm(
        0.1
    )
    table = next(t for t in d.tables if "Họ và tên đảng viên" in t.cell(0, 1).text)
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[1][0] == "(1)" and rows[1][10] == "(11)"
    assert rows[2][1] == "Chi bộ thôn Đông"  # the organisation's summary: a heading per cell
    names = [r[1] for r in rows[3:]]
    assert names == _sorted_names()
    an = next(r for r in rows if r[1] == "Nguyễn Văn An")
    assert (an[3], an[8], an[9]) == ("HTTNV", "HTXSNV", "HTXSNV")
    text = "\n".join(p.text for p in d.paragraphs)
    assert "TỔNG HỢP ĐỀ XUẤT MỨC CHẤT LƯỢNG ĐẢNG VIÊN" in text
    assert "Phân bổ số HTXSNV giữa các chi bộ" in text
    for p in d.paragraphs:
        for run in p.runs:
            assert run.font.name in (None, "Times New Roman")
    assert d.styles["Normal"].font.name == "Times New Roman"


def test_minutes_hold_every_count(cell) -> None:
    db, cell_id, _org, _ids = cell
    doc = ReportService(db).minutes("cli", cell_id)
    d = open_docx(io.BytesIO(doc.data))
    text = "\n".join(p.text for p in d.paragraphs)
    assert "BIÊN BẢN KIỂM PHIẾU" in text
    assert "Hôm nay, ngày 10 tháng 12 năm 2021" in text
    assert "chính thức của chi bộ (không tính đảng viên dự bị, miễn sinh hoạt, đình chỉ): 5" in text
    assert "có mặt tham gia bỏ phiếu: 5 đồng chí" in text
    assert "Ban kiểm phiếu gồm các đồng chí: Đặng Văn Đức, Lê Thị Ánh." in text
    table = d.tables[1]
    rows = {r.cells[1].text: [c.text for c in r.cells] for r in table.rows[2:]}
    assert list(rows) == [n for n in _sorted_names() if n != "Vũ Văn Giang"]
    # issued, collected, valid, invalid, HTXSNV, HTTNV, HTNV, KHTNV, result
    assert rows["Lê Thị Ánh"][2:] == ["5", "5", "4", "1", "0", "1", "3", "0", "HTNV"]
    assert rows["Đặng Văn Đức"][2:] == ["5", "5", "5", "0", "0", "0", "1", "4", "KHTNV"]
    assert rows["Phạm Văn Cường"][-1] == "chờ nhập lần 2"
    assert "TRƯỞNG BAN KIỂM PHIẾU" in d.tables[2].cell(0, 1).text


def test_csv_has_everything_for_the_office(cell) -> None:
    db, _cell, org_id, ids = cell
    doc = ReportService(db).export_csv("cli", org_id=org_id)
    assert doc.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(doc.data.decode("utf-8-sig")), delimiter=";"))
    head, body = rows[0], rows[1:]
    assert len(body) == 6 and head[2] == "Họ và tên"
    binh = dict(zip(head, next(r for r in body if r[2] == "Trần Thị Bình"), strict=True))
    assert binh["Mã đảng viên"] == str(ids["Trần Thị Bình"])
    assert binh["Bản kiểm điểm"] == "đã nộp" and binh["Tự nhận mức"] == "HTTNV"
    assert "c2=XS" in binh["Tự đánh giá"] and "14:3, 20:2" in binh["Tự đánh giá"]
    assert binh["Phiếu HTTNV"] == "4" and binh["Đề xuất"] == "HTTNV"
    assert '"civil_servant_rating": "HTTNV"' in binh["Thông tin (facts)"]
    anh = dict(zip(head, next(r for r in body if r[2] == "Lê Thị Ánh"), strict=True))
    assert anh["Quyết định khác"] == "HTTNV" and anh["Lý do quyết định khác"]


def test_indicator_counts_below_three_are_never_shown() -> None:
    marks = {14: {1: 5, 3: 2}, 20: {2: 3, 4: 1, 1: 3}}
    cells = anonymous_cells(marks, 7)
    assert cells is not None
    assert cells[14] == ["—", "0", "<3", "0", "0"]
    assert cells[20] == ["—", "3", "0", "<3", "0"]
    assert cells[1] == ["—", "0", "0", "0", "0"]
    assert anonymous_cells(marks, 2) is None  # two reviews: any number would point at someone


def test_charts_are_pngs_and_the_indicator_chart_has_no_names(cell) -> None:
    db, cell_id, _org, _ids = cell
    reports = ReportService(db)
    chart = reports.results_chart("cli", cell_id=cell_id)
    img = Image.open(io.BytesIO(chart.data))
    assert img.format == "PNG" and img.size == (1200, 720)
    rating = ResultsService(db).compute("cli", cell_id=cell_id)
    marks, submitted = indicator_marks(rating.rows)
    assert submitted == 3 and marks[14] == {3: 3} and marks[20] == {1: 2, 2: 1}
    ind = reports.indicators_chart("cli", cell_id=cell_id)
    assert Image.open(io.BytesIO(ind.data)).format == "PNG"
    assert not any(n.encode() in ind.data for n in NAMES)


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
    reason="LibreOffice (soffice) or pdftoppm is not installed: the pages were not rendered",
)
def test_documents_render_to_pages(cell, tmp_path: Path) -> None:
    db, cell_id, org_id, _ids = cell
    reports = ReportService(db)
    docs = [
        (reports.summary("cli", cell_id=cell_id, fmt="xlsx"), ".xlsx"),
        (reports.summary("cli", org_id=org_id, fmt="docx"), ".docx"),
        (reports.minutes("cli", cell_id), ".docx"),
    ]
    for i, (doc, suffix) in enumerate(docs):
        pdf = to_pdf_sync(doc.data, suffix)
        assert pdf is not None and pdf.startswith(b"%PDF")
        pages = pdf_to_pngs(pdf, tmp_path, resolution=30, prefix=f"doc{i}")
        assert pages, doc.filename
        # landscape pages: wider than tall
        width, height = Image.open(pages[0]).size
        assert width > height, doc.filename
