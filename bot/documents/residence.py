"""The residence's feedback form (seed 000 Mẫu 04, "Phiếu nhận xét đảng viên đang công tác
thường xuyên giữ mối liên hệ với tổ chức đảng và nhân dân nơi cư trú") as .docx.

Owns the layout only: portrait A4, Times New Roman, the two-column heading, the six questions
each with its three choices as boxes (the chosen one ticked), "Nhận xét khác", and the two
signature blocks of the form (the commune đảng ủy's confirmation, the residence cell).
`bot.services.residence` fills `ResidenceDocument` with plain strings.
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.shared import Cm, Pt

from bot.documents import officedocx as ox


@dataclass(frozen=True)
class ResidenceQuestion:
    number: int
    text: str
    options: tuple[str, str, str]  # best first, as on the form
    chosen: int  # 1-3; 0 when not answered


@dataclass(frozen=True)
class ResidenceDocument:
    org_line: str
    cell_line: str
    party: str
    date_line: str
    title: str
    subtitle: str
    intro: str
    questions: tuple[ResidenceQuestion, ...]
    other_title: str
    other: str
    checked: str
    unchecked: str
    sign_left: str
    sign_left_hint: str
    sign_right: str
    sign_right_hint: str
    signer: str  # the residence secretary who answered in the bot, or "" (signs on paper)
    source: str  # how the answers came in, in small print above the signatures


def render_docx(doc: ResidenceDocument) -> bytes:
    d = ox.new(landscape=False, size=12)  # 13 pt spills the signatures onto a second page
    ox.heading_block(d, [x for x in (doc.org_line, doc.cell_line) if x], doc.party, doc.date_line)
    ox.para(d, doc.title, bold=True, align="center", size=14, space_before=10)
    ox.para(d, doc.subtitle, italic=True, align="center", space_after=6)
    ox.para(d, doc.intro, align="justify", space_after=3)
    for q in doc.questions:
        ox.para(
            d, f"{q.number}. {q.text}", align="justify", size=11.5, space_before=2, space_after=1
        )
        table = d.add_table(rows=1, cols=len(q.options))
        ox._no_borders(table)
        width = ox.usable_width(d) // len(q.options)
        for i, (cell, option) in enumerate(zip(table.rows[0].cells, q.options, strict=True)):
            cell.width = width
            box = doc.checked if q.chosen == i + 1 else doc.unchecked
            p = ox.para(cell, align="left")  # the boxes line up like the paper form
            ox.run(p, f"{box} ", size=14)
            ox.run(p, option, bold=q.chosen == i + 1)
    ox.para(d, f"{len(doc.questions) + 1}. {doc.other_title}", space_before=4, space_after=1)
    for line in doc.other.split("\n"):
        p = ox.para(d, line, align="justify")
        p.paragraph_format.first_line_indent = Cm(1)
    if doc.source:  # how the answers came in, in small print above the signatures
        ox.para(d, doc.source, italic=True, size=10, space_before=6)
    blocks = (
        (doc.sign_left, doc.sign_left_hint, ""),
        (doc.sign_right, doc.sign_right_hint, doc.signer),
    )
    table = d.add_table(rows=1, cols=2)
    ox._no_borders(table)
    ox.keep_together(table)
    width = ox.usable_width(d) // 2
    for cell, (title, hint, name) in zip(table.rows[0].cells, blocks, strict=True):
        cell.width = width
        ox.para(cell, title, bold=True, align="center", space_before=4)
        ox.para(cell, hint, italic=True, align="center", size=12)
        for _ in range(3):  # room to sign (and stamp): three lines of exactly 12 pt
            ox.para(cell, "", align="center").paragraph_format.line_spacing = Pt(12)
        if name:
            ox.para(cell, name, bold=True, align="center")
    return ox.to_bytes(d)
