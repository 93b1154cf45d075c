"""The report of a leadership collective (báo cáo kiểm điểm tập thể, seed 000 Mẫu 01; 2025:
Mẫu 01 of HD 43 with points) as .docx, with an annex of the members' comments and how the head
handled each (tiếp thu / giải trình), and the result of the ballot when there is one.

Owns the layout only: `ReportDocument` holds plain strings, filled by
`bot.services.collective_report` from the collective and `templates/documents.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.document import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT

from bot.documents import officedocx as ox


@dataclass(frozen=True)
class ReportItem:
    title: str  # "1. Việc quán triệt…" (bold)
    text: str  # what the head wrote, lines kept
    assessment: str = ""  # "Tự đánh giá về cấp độ thực hiện: ☒ Xuất sắc ☐ Tốt …" or points


@dataclass(frozen=True)
class ReportDocument:
    org_line: str
    collective_line: str
    party: str
    date_line: str
    draft_mark: str  # "DỰ THẢO" until the report is final, else ""
    title: str
    year_line: str
    intro: str
    part_one: str  # "I. Ưu điểm, kết quả đạt được"
    items: tuple[ReportItem, ...]  # the items of part I
    later: tuple[ReportItem, ...]  # parts II–VI
    proposal_title: str  # "VII. Đề nghị xếp loại mức chất lượng:"
    proposal: tuple[str, ...]  # one line per level, the chosen one ticked
    points_title: str  # 2025: "Tự đánh giá, xếp loại" (empty otherwise)
    points: tuple[str, ...]
    sign_title: str  # "T/M TẬP THỂ"
    sign_role: str  # "LÃNH ĐẠO, QUẢN LÝ"
    sign_hint: str
    sign_name: str
    comments_title: str
    comments_intro: str
    comments_columns: tuple[str, str, str, str, str]
    comments: tuple[tuple[str, str, str, str, str], ...]
    no_comments: str
    vote_title: str
    vote_lines: tuple[str, ...]


def render_docx(doc: ReportDocument) -> bytes:
    d = ox.new(landscape=False, size=14)
    ox.heading_block(d, [doc.org_line, doc.collective_line], doc.party, doc.date_line)
    if doc.draft_mark:
        ox.para(d, doc.draft_mark, bold=True, align="right", size=13, space_before=6)
    ox.para(d, doc.title, bold=True, align="center", size=15, space_before=12)
    ox.para(d, doc.year_line, bold=True, align="center", space_after=8)
    ox.para(d, doc.intro, align="justify", space_after=6)
    ox.para(d, doc.part_one, bold=True, space_after=3)
    for item in doc.items:
        _item(d, item)
    for item in doc.later:
        _item(d, item)
    ox.para(d, doc.proposal_title, bold=True, space_before=3, space_after=3)
    for line in doc.proposal:
        ox.para(d, line, space_after=2)
    if doc.points_title:
        ox.para(d, doc.points_title, bold=True, space_before=6, space_after=3)
        for line in doc.points:
            ox.para(d, line, space_after=2)
    ox.signatures(d, [("", ""), (doc.sign_title, doc.sign_role)], doc.sign_hint)
    if doc.sign_name:
        table = d.tables[-1]
        ox.para(table.rows[0].cells[1], doc.sign_name, bold=True, align="center")
    # The annex: the comments on the draft and what the head did with each.
    d.add_page_break()  # type: ignore[no-untyped-call]
    ox.para(d, doc.comments_title, bold=True, align="center", size=14, space_after=6)
    ox.para(d, doc.comments_intro, align="justify", space_after=6)
    if doc.comments:
        widths = [1.0, 3.6, 1.6, 5.2, 5.1]
        table = ox.grid(d, 1, widths)
        ox.repeat_header(table, 1)
        for cell, title in zip(table.rows[0].cells, doc.comments_columns, strict=True):
            ox.para(cell, title, bold=True, align="center", size=12)
            ox.shade(cell)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        rows = [
            [
                (value, "center" if col in (0, 2) else "left", False, 1)
                for col, value in enumerate(r)
            ]
            for r in doc.comments
        ]
        ox.append_rows(table, widths, rows, size=12)
    else:
        ox.para(d, doc.no_comments, italic=True)
    if doc.vote_title:
        ox.para(d, doc.vote_title, bold=True, space_before=12, space_after=3)
        for line in doc.vote_lines:
            ox.para(d, line, align="justify", space_after=2)
    return ox.to_bytes(d)


def _item(d: Document, item: ReportItem) -> None:
    ox.para(d, item.title, bold=True, align="justify", space_before=3, space_after=2)
    for line in item.text.split("\n"):
        ox.para(d, line, align="justify", space_after=2)
    if item.assessment:
        ox.para(d, item.assessment, italic=True, space_after=4)
