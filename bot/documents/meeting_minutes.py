"""The minutes of the meeting (biên bản hội nghị), as .docx: distinct from the ballot count
minutes (`minutes.py`, biên bản kiểm phiếu).

Owns the layout only: the party heading, the title, the time and place, the attendance
paragraphs (electorate, present, absent with reasons, quorum, chair, minute-taker), then one
table row per reviewed member in the order they were reviewed — name and posts, the chair's
conclusion, the ballot result, the cell's proposal — the totals, the closing sentence and the
two signatures. `MeetingMinutesDocument` holds plain strings; `bot.services.meeting_minutes`
fills it.
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.oxml import OxmlElement

from bot.documents import officedocx as ox


@dataclass(frozen=True)
class MinutesRow:
    number: int
    person: str  # name, then the posts on the next line
    conclusion: str
    ballot: str
    proposal: str


@dataclass(frozen=True)
class MeetingMinutesDocument:
    org_line: str
    cell_line: str
    party: str
    date_line: str
    title: str
    subtitle: str
    draft: str  # "" once the minutes are closed
    opening: tuple[str, ...]  # time, place
    attendance_title: str
    attendance: tuple[str, ...]
    content_title: str
    content_intro: str
    columns: tuple[str, str, str, str, str]
    rows: tuple[MinutesRow, ...]
    totals: str
    closing: tuple[str, ...]
    sign_left: str
    sign_right: str
    sign_hint: str
    sign_names: tuple[str, str]


# Column widths in cm within the 16.5 cm between the margins of a portrait A4 page.
WIDTHS = (1.0, 3.4, 6.4, 3.5, 2.2)


def render_docx(doc: MeetingMinutesDocument) -> bytes:
    d = ox.new(landscape=False, size=13)
    ox.heading_block(d, [doc.org_line, doc.cell_line], doc.party, doc.date_line)
    ox.para(d, doc.title, bold=True, align="center", size=14, space_before=12)
    ox.para(d, doc.subtitle, bold=True, align="center")
    if doc.draft:
        ox.para(d, doc.draft, italic=True, align="center", size=12)
    ox.para(d, "", space_after=4)
    for line in doc.opening:
        ox.para(d, line, align="justify", space_after=2)
    ox.para(d, doc.attendance_title, bold=True, space_before=6, space_after=2)
    for line in doc.attendance:
        ox.para(d, line, align="justify", space_after=2)
    ox.para(d, doc.content_title, bold=True, space_before=6, space_after=2)
    ox.para(d, doc.content_intro, align="justify", space_after=4)
    table = ox.grid(d, 1, WIDTHS)
    ox.repeat_header(table, 1)
    for cell, title in zip(table.rows[0].cells, doc.columns, strict=True):
        ox.para(cell, title, bold=True, align="center", size=11)
        ox.shade(cell)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    rows = [
        [
            (str(r.number), "center", False, 1),
            (r.person, "left", False, 1),
            (r.conclusion, "left", False, 1),
            (r.ballot, "left", False, 1),
            (r.proposal, "center", False, 1),
        ]
        for r in doc.rows
    ]
    ox.append_rows(table, WIDTHS, rows, size=11)
    for row in table.rows[1:]:  # a member's row stays on one page
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    ox.para(d, doc.totals, space_before=6, align="justify")
    for line in doc.closing:
        ox.para(d, line, space_before=4, align="justify")
    ox.signatures(
        d, [(doc.sign_left, ""), (doc.sign_right, "")], doc.sign_hint, names=doc.sign_names
    )
    return ox.to_bytes(d)
