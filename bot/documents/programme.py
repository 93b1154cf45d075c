"""The meeting's programme (seed 000 "Chương trình hội nghị kiểm điểm"), as .docx.

Owns the layout only: the party heading, the title, the meeting's time, place, chair and
minute-taker, then the programme's three-column table (TT, content, who chairs) in the order of
the seed's items. `ProgrammeDocument` holds plain strings; `bot.services.meeting_minutes` fills
it from the meeting and the templates of `templates/documents.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT

from bot.documents import officedocx as ox


@dataclass(frozen=True)
class ProgrammeRow:
    number: str  # "I", "1", "2.1" or "" for a bullet under the row above
    content: str
    chair: str = ""
    bold: bool = False  # a part of the programme (I, II, …)


@dataclass(frozen=True)
class ProgrammeDocument:
    org_line: str
    cell_line: str
    party: str
    date_line: str
    title: str
    subtitle: tuple[str, ...]
    details: tuple[str, ...]  # time, place, chair, minute-taker
    col_number: str
    col_content: str
    col_chair: str
    rows: tuple[ProgrammeRow, ...]
    footnote: str


# Column widths in cm within the 16.5 cm between the margins of a portrait A4 page.
WIDTHS = (1.3, 10.2, 5.0)


def render_docx(doc: ProgrammeDocument) -> bytes:
    d = ox.new(landscape=False, size=13)
    ox.heading_block(d, [doc.org_line, doc.cell_line], doc.party, doc.date_line)
    ox.para(d, doc.title, bold=True, align="center", size=14, space_before=12)
    for line in doc.subtitle:
        ox.para(d, line, bold=True, align="center")
    ox.para(d, "", space_after=4)
    for i, line in enumerate(doc.details):
        ox.para(d, line, align="left", space_after=8 if i == len(doc.details) - 1 else 2)
    table = ox.grid(d, 1, WIDTHS)
    ox.repeat_header(table, 1)
    for cell, title in zip(
        table.rows[0].cells, (doc.col_number, doc.col_content, doc.col_chair), strict=True
    ):
        ox.para(cell, title, bold=True, align="center", size=12)
        ox.shade(cell)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    rows = [
        [
            (r.number, "center", r.bold, 1),
            (r.content, "left", r.bold, 1),
            (r.chair, "center", False, 1),
        ]
        for r in doc.rows
    ]
    ox.append_rows(table, WIDTHS, rows, size=12)
    if doc.footnote:
        ox.para(d, doc.footnote, italic=True, size=11, space_before=6, align="justify")
    return ox.to_bytes(d)
