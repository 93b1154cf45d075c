"""The summary of proposed levels (seed 000 Mẫu 03 "Tổng hợp đề xuất mức chất lượng đảng viên")
of a cell or of the whole organisation, as .xlsx and as .docx.

Owns the layout only: `SummaryDocument` holds plain strings (levels already abbreviated, notes
already worded, names already in Vietnamese order); `bot.services.reports` fills it from the
results. The eleven columns are those of Mẫu 03, numbered (1)–(11) as on the form. The .xlsx
holds values, never formulas, in Times New Roman, landscape A4 fitted to the page width.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from bot.documents import officedocx as ox
from bot.documents.xlsx import BORDER, FONT

# Column widths: .xlsx in characters (a Vietnamese full name needs about 26), .docx in cm
# (landscape A4 leaves 26.2 cm between the margins; at 11 pt 4.9 cm holds a name such as
# "Nguyễn Thị Phương Thảo" on one line, and a level's code "HTXSNV" needs 2.0 cm, with
# 2.1 for "HTXSNV*"). The residence column (5) holds a short summary of the Mẫu 04 answers
# ("Biểu dương; 5/5 nội dung mức cao nhất"): about 20 characters a line keeps it to two or
# three lines.
XLSX_WIDTHS = (5, 27, 22, 11, 20, 13, 13, 12, 11, 11, 32)
DOCX_WIDTHS = (0.9, 4.9, 2.2, 2.0, 2.9, 2.0, 2.1, 1.7, 2.0, 2.0, 3.5)
# Columns of codes and numbers, centred; the others (names, posts, the residence's summary,
# notes) are text, left-aligned from the top. 1-based, as openpyxl counts.
CENTRED = (1, 4, 6, 7, 8, 9, 10)


@dataclass(frozen=True)
class SummaryLine:
    """One row: a member (`number` set) or a cell's heading in the organisation's summary."""

    number: int | None
    name: str
    posts: str = ""
    self_rating: str = ""  # (4)
    residence: str = ""  # (5) the residence's feedback (Mẫu 04) in short, once answered
    civil_servant: str = ""  # (6)
    committee: str = ""  # (7) the chi ủy's own level, when it decided one
    mass_org: str = ""  # (8) filled by hand
    cell: str = ""  # (9) the cell's proposal: the vote, lowered by the caps
    party_committee: str = ""  # (10) after the cap on the top level, or the đảng ủy's decision
    notes: str = ""  # (11)

    def values(self) -> list[object]:
        return [
            self.number if self.number is not None else "",
            self.name,
            self.posts,
            self.self_rating,
            self.residence,
            self.civil_servant,
            self.committee,
            self.mass_org,
            self.cell,
            self.party_committee,
            self.notes,
        ]

    @property
    def heading(self) -> bool:
        return self.number is None


@dataclass(frozen=True)
class SummaryDocument:
    org_line: str
    cell_line: str  # empty for the organisation's summary
    party: str
    date_line: str
    title: str
    subtitle: str
    headers: tuple[str, ...]  # the 11 column titles
    numbers: tuple[str, ...]  # "(1)" … "(11)"
    lines: tuple[SummaryLine, ...]
    footer: tuple[str, ...]  # legend, totals, the cap, the allocation
    sign_title: str
    sign_role: str
    sign_hint: str
    sheet_title: str = "Tong hop"


def render_xlsx(doc: SummaryDocument) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = doc.sheet_title[:31]
    ncol = len(doc.headers)
    normal = Font(name=FONT, size=12)
    bold = Font(name=FONT, size=12, bold=True)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    top = Alignment(vertical="top", wrap_text=True)

    def merged(row: int, first: int, last: int, text: str, font: Font, align: Alignment) -> None:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
        c = ws.cell(row=row, column=first, value=text)
        c.font, c.alignment = font, align

    merged(1, 1, 3, doc.org_line, normal, centre)
    merged(1, 7, ncol, doc.party, Font(name=FONT, size=12, bold=True, underline="single"), centre)
    merged(2, 1, 3, doc.cell_line, bold, centre)
    merged(2, 7, ncol, doc.date_line, Font(name=FONT, size=12, italic=True), centre)
    merged(4, 1, ncol, doc.title, Font(name=FONT, size=14, bold=True), centre)
    merged(5, 1, ncol, doc.subtitle, Font(name=FONT, size=12, italic=True), centre)
    head = 7
    for col, (title, number) in enumerate(zip(doc.headers, doc.numbers, strict=True), start=1):
        for r, text in ((head, title), (head + 1, number)):
            c = ws.cell(row=r, column=col, value=text)
            c.font = bold if r == head else normal
            c.alignment, c.border = centre, BORDER
    ws.row_dimensions[head].height = 80  # the long Mẫu 03 titles wrap over several lines
    row = head + 2
    for line in doc.lines:
        values = line.values()
        for col, value in enumerate(values, start=1):
            c = ws.cell(row=row, column=col, value=value)
            c.font = bold if line.heading else normal
            c.border = BORDER
            c.alignment = centre if col in CENTRED else top
        if line.heading:
            ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=ncol)
        else:
            # Spreadsheet programs do not grow a row for wrapped text written by a library:
            # give it the height of its longest cell.
            ws.row_dimensions[row].height = 15 * _lines(values, XLSX_WIDTHS) + 3
        row += 1
    row += 1
    for text in doc.footer:
        merged(row, 1, ncol, text, Font(name=FONT, size=11, italic=True), top)
        ws.row_dimensions[row].height = 15 * (1 + len(text) // 160)
        row += 1
    row += 1
    for text, font in ((doc.sign_title, bold), (doc.sign_role, bold), (doc.sign_hint, normal)):
        if text:
            merged(row, 8, ncol, text, font, centre)
            row += 1
    for col, width in enumerate(XLSX_WIDTHS[:ncol], start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = f"C{head + 2}"  # a coordinate: the cell may be part of a merged row
    ws.print_title_rows = f"{head}:{head + 1}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _lines(values: list[object], widths: tuple[int, ...]) -> int:
    """How many lines the tallest cell of a row wraps to: words wrapped greedily at about 1.2
    characters per width unit (Times New Roman 12 with Vietnamese marks, as LibreOffice and
    Excel lay it out)."""
    most = 1
    for value, width in zip(values, widths, strict=False):
        text = "" if value is None else str(value)
        per_line = max(int(width * 1.2), 1)
        most = max(most, sum(_wrapped(part, per_line) for part in text.split("\n")))
    return most


def _wrapped(text: str, per_line: int) -> int:
    """Lines of `text` wrapped at word boundaries (a word longer than a line is cut)."""
    lines, used = 1, 0
    for word in text.split():
        size = len(word)
        if used and used + 1 + size > per_line:
            lines, used = lines + 1, 0
        while size > per_line:
            lines, size = lines + 1, size - per_line
        used = size if not used else used + 1 + size
    return lines


def render_docx(doc: SummaryDocument) -> bytes:
    d = ox.new(landscape=True, size=13)
    ox.heading_block(d, [x for x in (doc.org_line, doc.cell_line) if x], doc.party, doc.date_line)
    ox.para(d, doc.title, bold=True, align="center", size=14, space_before=12)
    ox.para(d, doc.subtitle, italic=True, align="center", space_after=8)
    widths = DOCX_WIDTHS[: len(doc.headers)]
    table = ox.grid(d, 2, widths)
    ox.repeat_header(table, 2)
    for col, (title, number) in enumerate(zip(doc.headers, doc.numbers, strict=True)):
        ox.para(table.cell(0, col), title, bold=True, align="center", size=10)
        ox.para(table.cell(1, col), number, italic=True, align="center", size=10)
        ox.shade(table.cell(0, col))
        table.cell(0, col).vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    rows: list[list[ox.Cell]] = []
    for line in doc.lines:
        if line.heading:
            rows.append([("", "center", True, 1), (line.name, "left", True, len(widths) - 1)])
            continue
        rows.append(
            [
                (str(value), "center" if col + 1 in CENTRED else "left", False, 1)
                for col, value in enumerate(line.values())
            ]
        )
    ox.append_rows(table, widths, rows, size=11)
    for text in doc.footer:
        ox.para(d, text, italic=True, size=11, space_before=4, align="justify")
    ox.signatures(d, [("", ""), (doc.sign_title, doc.sign_role)], doc.sign_hint)
    return ox.to_bytes(d)
