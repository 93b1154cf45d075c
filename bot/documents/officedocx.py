"""Word documents in the official typography, built with python-docx: A4, Times New Roman
(Nghị định 30/2020/NĐ-CP, Phụ lục I), the two-column heading of a party document (the issuing
organisation on the left, "ĐẢNG CỘNG SẢN VIỆT NAM" and the date on the right), tables with
thin borders, and signature blocks.

Owns the look only: the summary and the minutes (`summary.py`, `minutes.py`) give it plain
strings. Every string is NFC-normalised and cleared of the control characters XML 1.0
forbids, which Word would refuse to open (see `selfreview.py`).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from typing import cast
from xml.sax.saxutils import escape

from docx import Document as new_document
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

FONT = "Times New Roman"
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def safe(text: object) -> str:
    return _XML_INVALID.sub("", unicodedata.normalize("NFC", "" if text is None else str(text)))


def new(*, landscape: bool, size: float = 13) -> Document:
    """An empty A4 document (landscape for wide tables) whose every style is Times New Roman."""
    doc = new_document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    # Nghị định 30/2020: top and bottom 2 cm, left 3 cm, right 1.5–2 cm (landscape: 2 cm left).
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin = Cm(2 if landscape else 3)
    section.right_margin = Cm(1.5)
    for style in doc.styles:
        if getattr(style, "font", None) is None:
            continue
        style.font.name = FONT
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.append(fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), FONT)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(size)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    return doc


def usable_width(doc: Document) -> int:
    s = doc.sections[0]
    assert s.page_width is not None and s.left_margin is not None and s.right_margin is not None
    return int(s.page_width - s.left_margin - s.right_margin)


def para(
    container: Document | _Cell,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    size: float | None = None,
    align: str = "left",
    space_after: float = 0,
    space_before: float = 0,
) -> Paragraph:
    """A paragraph of one run; in a table cell the cell's empty first paragraph is reused."""
    if isinstance(container, _Cell) and len(container.paragraphs) == 1 and not container.text:
        p = cast(Paragraph, container.paragraphs[0])
    else:
        p = cast(Paragraph, container.add_paragraph())
    p.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }[align]
    p.paragraph_format.space_after = Pt(space_after)
    p.paragraph_format.space_before = Pt(space_before)
    if text:
        run(p, text, bold=bold, italic=italic, underline=underline, size=size)
    return p


def run(
    p: Paragraph,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    size: float | None = None,
) -> None:
    r = p.add_run(safe(text))
    r.bold, r.italic, r.underline = bold, italic, underline
    r.font.name = FONT
    r._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    if size is not None:
        r.font.size = Pt(size)


def _no_borders(table: Table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    table._tbl.tblPr.append(borders)


def heading_block(doc: Document, left: Sequence[str], right_top: str, right_date: str) -> None:
    """The two-column heading: the organisation (bold last line, a star) | the Party, the date."""
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    width = usable_width(doc)
    widths = (int(width * 0.42), width - int(width * 0.42))
    for cell, w in zip(table.rows[0].cells, widths, strict=True):
        cell.width = w
    lcell, rcell = table.rows[0].cells
    for i, line in enumerate(left):
        para(lcell, line, bold=i == len(left) - 1, align="center", size=13)
    para(lcell, "*", align="center", size=13)
    para(rcell, right_top, bold=True, underline=True, align="center", size=13)
    para(rcell, right_date, italic=True, align="center", size=13, space_before=6)


def grid(
    doc: Document,
    rows: int,
    widths: Sequence[float],
) -> Table:
    """A bordered table of `rows` × len(widths) with column widths in cm, centred."""
    table = cast(Table, doc.add_table(rows=rows, cols=len(widths)))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # Word reads the cell widths, LibreOffice the grid columns; a fixed layout makes both keep
    # them instead of sharing the page equally.
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for col, w in zip(table.columns, widths, strict=True):
        col.width = Cm(w)
    for gc, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        gc.set(qn("w:w"), str(int(Cm(w).twips)))
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = Cm(w)
    return table


# One table cell of `append_rows`: its text, alignment (left, center, right, both), bold, and
# how many grid columns it spans.
Cell = tuple[str, str, bool, int]


def append_rows(
    table: Table, widths: Sequence[float], rows: Sequence[Sequence[Cell]], size: float
) -> None:
    """Data rows written as WordprocessingML directly.

    python-docx recomputes a row's cells on every access, so filling a few hundred rows cell by
    cell takes seconds; one parsed `<w:tr>` per row takes milliseconds. The rows carry their
    own run properties (Times New Roman, `size` pt), matching `para`."""
    fonts = "".join(f' w:{a}="{FONT}"' for a in ("ascii", "hAnsi", "eastAsia", "cs"))
    half_points = round(size * 2)
    for row in rows:
        # cantSplit: a member's row is never cut in two by a page break.
        parts = [f"<w:tr {nsdecls('w')}><w:trPr><w:cantSplit/></w:trPr>"]
        col = 0
        for text, align, bold, span in row:
            width = int(Cm(sum(widths[col : col + span])).twips)
            col += span
            spans = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
            lines = safe(text).split("\n")
            runs = "<w:br/>".join(
                f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in lines
            )
            parts.append(
                f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{spans}</w:tcPr>'
                f'<w:p><w:pPr><w:spacing w:before="0" w:after="0"/><w:jc w:val="{align}"/>'
                f"</w:pPr><w:r><w:rPr><w:rFonts{fonts}/>{'<w:b/>' if bold else ''}"
                f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/></w:rPr>'
                f"{runs}</w:r></w:p></w:tc>"
            )
        parts.append("</w:tr>")
        table._tbl.append(parse_xml("".join(parts)))


def repeat_header(table: Table, rows: int = 1) -> None:
    """The first `rows` rows repeat on every page of a long table."""
    for row in table.rows[:rows]:
        trpr = row._tr.get_or_add_trPr()
        el = OxmlElement("w:tblHeader")
        el.set(qn("w:val"), "true")
        trpr.append(el)


def shade(cell: _Cell, fill: str = "E7E6E6") -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    el = OxmlElement("w:shd")
    el.set(qn("w:val"), "clear")
    el.set(qn("w:color"), "auto")
    el.set(qn("w:fill"), fill)
    tcpr.append(el)


def signatures(
    doc: Document,
    blocks: Sequence[tuple[str, str]],
    hint: str,
    names: Sequence[str] = (),
) -> None:
    """Signature blocks side by side: (title, role) each, with the hint and room to sign, and
    under it the signer's name when `names` gives one (same order as `blocks`)."""
    table = doc.add_table(rows=1, cols=len(blocks))
    _no_borders(table)
    keep_together(table)
    width = usable_width(doc) // len(blocks)
    signers = list(names) + [""] * (len(blocks) - len(names))
    for cell, (title, role), name in zip(table.rows[0].cells, blocks, signers, strict=True):
        cell.width = width
        if not title:  # an empty block keeps its place (a signature on the right only)
            continue
        para(cell, title, bold=True, align="center", space_before=12)
        if role:
            para(cell, role, bold=True, align="center")
        para(cell, hint, italic=True, align="center", size=12)
        for _ in range(4):
            para(cell, "", align="center")
        if name:
            para(cell, name, bold=True, align="center")


def keep_together(table: Table) -> None:
    """No row of the table is cut by a page break (a signature block moves whole)."""
    for row in table.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def to_bytes(doc: Document) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
