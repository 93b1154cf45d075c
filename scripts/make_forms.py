#!/usr/bin/env python3
"""Build the docxtpl templates of the personal self-review (bản kiểm điểm cá nhân).

Owns `templates/forms/selfreview_{2019,2023,2025}.docx`: one template per regime, written here
with python-docx so that the layout is reviewable as code and the files are reproducible (the
same script gives the same bytes, so a regenerated template shows no spurious git diff).
`bot/documents/selfreview.py` fills them; its `build_context` is the schema of the tags used
below. Run from the repository root:

    .venv/bin/python scripts/make_forms.py

Forms followed (DOMAIN.md §4, §6): seed 000 Mẫu 02 (Kế hoạch 61-KH/TU, the local copy of
Mẫu 02-HD KĐ.ĐG 2019), the 2023 Mẫu 02A/02B of Hướng dẫn 25-HD/BTCTW and the 2025 Mẫu 2A/2B/2C
of Hướng dẫn 43-HD/BTCTW. The member kind switches the form's subtitle and the leader-only
content through Jinja conditions inside each template.

docxtpl rules kept here (reference/telegram-and-stack.md §6): every tag is written as ONE run
(`add_run` with the whole tag), `{%p %}` tags sit alone in their paragraph and `{%tr %}` tags
alone in their row, never two of them in one paragraph or row.
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "templates" / "forms"
RULEBOOKS = ("2019", "2023", "2025")

FONT = "Times New Roman"  # Nghị định 30/2020/NĐ-CP; Liberation Serif stands in where absent
BODY_PT = 13
TABLE_PT = 12
# A4 with the margins of Nghị định 30/2020/NĐ-CP, Phụ lục I: top/bottom 20 mm, left 30 mm,
# right 15 mm; the text block is 165 mm wide and every table below adds up to exactly that.
PAGE_W, PAGE_H = Mm(210), Mm(297)
TEXT_W_MM = 165
INDENT = Mm(10)
# Fixed zip timestamp: python-docx stamps entries with the current time, which would make
# every run of this script produce a different file.
ZIP_EPOCH = (2025, 1, 1, 0, 0, 0)

# A segment is plain text or (text, flags) with flags from "b" bold, "i" italic, "u" underline.
Seg = str | tuple[str, str]
Container = DocumentObject | _Cell


# ---------------------------------------------------------------- low-level helpers


def _set_fonts(rpr: BaseOxmlElement) -> None:
    """Times New Roman for every script: Word picks ascii/hAnsi for Latin, cs for complex
    scripts and eastAsia for CJK; a theme attribute would override an explicit one."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        rfonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "cs", "eastAsia"):
        rfonts.set(qn(f"w:{attr}"), FONT)


def _set_lang(rpr: BaseOxmlElement) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "vi-VN")
    lang.set(qn("w:eastAsia"), "vi-VN")


def _new_document() -> DocumentObject:
    doc = Document()
    # docDefaults of python-docx's template point at the theme fonts (Calibri/Cambria);
    # LibreOffice would then fall back to DejaVu for unstyled text.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            _set_fonts(rpr)
            _set_lang(rpr)
    # python-docx's template also carries Word 2010's stylesWithEffects.xml, a stale copy of the
    # styles with theme fonts; Word reads styles.xml, so the copy only misleads. Drop it.
    for rel_id, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            doc.part.drop_rel(rel_id)
    # …and its thumbnail, a picture of some other document that file managers would show.
    package_rels = doc.part.package.rels
    for rel_id, rel in list(package_rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            package_rels.pop(rel_id)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    nrpr = normal.element.get_or_add_rPr()
    _set_fonts(nrpr)
    _set_lang(nrpr)
    pf = normal.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(3)
    pf.line_spacing = 1.1
    # Every other style of python-docx's template (headings, captions, …) names a theme font;
    # pin them all so that nothing a later editor applies can fall back to Calibri.
    for rfonts in list(doc.styles.element.iter(qn("w:rFonts"))):
        _set_fonts(rfonts.getparent())

    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_W, PAGE_H
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = section.footer_distance = Mm(10)
    # Page numbers at the top centre from page 2 on (Nghị định 30/2020/NĐ-CP).
    section.different_first_page_header_footer = True
    hp = section.header.paragraphs[0]
    hp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    hp._p.append(field)

    props = doc.core_properties
    props.author = "Kiểm điểm bot"
    props.last_modified_by = "Kiểm điểm bot"
    props.title = "Bản kiểm điểm cá nhân"
    props.comments = "Sinh bởi scripts/make_forms.py; không sửa tay."
    props.created = props.modified = datetime(2025, 1, 1)
    props.revision = 1
    return doc


def _par(
    container: Container,
    *segs: Seg,
    align: str = "justify",
    bold: bool = False,
    italic: bool = False,
    size: float | None = None,
    first_line: bool = False,
    before: float = 0,
    after: float = 3,
    keep_next: bool = False,
    reuse_first: bool = False,
) -> Paragraph:
    """A paragraph of segments. `reuse_first` fills a table cell's initial empty paragraph."""
    if reuse_first and isinstance(container, _Cell) and not container.paragraphs[0].runs:
        p: Paragraph = container.paragraphs[0]
    else:
        p = container.add_paragraph()
    p.alignment = {
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
    }[align]
    pf = p.paragraph_format
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if first_line:
        pf.first_line_indent = INDENT
    if keep_next:
        pf.keep_with_next = True
    for seg in segs:
        text, flags = (seg, "") if isinstance(seg, str) else seg
        run = p.add_run(text)  # one call per segment: a Jinja tag is never split over runs
        if bold or "b" in flags:
            run.bold = True
        if italic or "i" in flags:
            run.italic = True
        if "u" in flags:
            run.underline = True
        if size is not None:
            run.font.size = Pt(size)
    return p


def _tag(container: Container, tag: str) -> None:
    """A `{%p ... %}` paragraph: docxtpl replaces the whole paragraph with the tag."""
    assert tag.startswith("{%p ") and tag.endswith("%}"), tag
    container.add_paragraph().add_run(tag)


def _dotted(container: Container, *segs: Seg, lines: int = 1, bold: bool = False,
            keep_next: bool = False) -> None:
    """Lines of dots to the right margin, for what someone fills in by hand. A right tab with
    a dot leader keeps the dots exactly one line long at any font size."""
    for n in range(lines):
        p = _par(container, *(segs if n == 0 else ()), align="left", bold=bold, after=2,
                 keep_next=keep_next)
        width = Mm(TEXT_W_MM) if isinstance(container, DocumentObject) else Mm(80)
        p.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        p.add_run().add_tab()


def _no_borders(table: Table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    # Word rejects a tblPr whose children are out of the schema's order.
    table._tbl.tblPr.insert_element_before(
        borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
        "w:tblDescription", "w:tblPrChange")


@dataclass(frozen=True)
class Grid:
    """A table and its column widths (python-docx does not remember them for new rows)."""

    table: Table
    widths_mm: tuple[float, ...]


def _table(doc: DocumentObject, widths_mm: Sequence[float], *, grid: bool = True) -> Grid:
    """A fixed-layout table whose columns add up to the text width (no overflow in LO)."""
    assert abs(sum(widths_mm) - TEXT_W_MM) < 0.01, widths_mm
    table = doc.add_table(rows=0, cols=len(widths_mm))
    if grid:
        table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # w:tblLayout fixed: LibreOffice keeps the widths below
    if not grid:
        _no_borders(table)
    tblw = table._tbl.tblPr.find(qn("w:tblW"))  # python-docx's template always has one
    tblw.set(qn("w:type"), "dxa")
    tblw.set(qn("w:w"), str(_twips(TEXT_W_MM)))
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_mm, strict=True):
        col.set(qn("w:w"), str(_twips(width)))
    return Grid(table, tuple(widths_mm))


def _twips(mm: float) -> int:
    return round(mm / 25.4 * 1440)


def _row(grid: Grid, *, header: bool = False, cant_split: bool = False) -> _Row:
    row: _Row = grid.table.add_row()  # type: ignore[no-untyped-call]
    for cell, width in zip(row.cells, grid.widths_mm, strict=True):
        cell.width = Mm(width)
        cell.vertical_alignment = (WD_CELL_VERTICAL_ALIGNMENT.CENTER if header
                                   else WD_CELL_VERTICAL_ALIGNMENT.TOP)
    trpr = row._tr.get_or_add_trPr()
    if header:
        trpr.append(OxmlElement("w:tblHeader"))  # repeat the header on every page
    if cant_split or header:
        trpr.append(OxmlElement("w:cantSplit"))
    return row


def _cells(grid: Grid, values: Sequence[Seg | None], *, header: bool = False,
           aligns: str | None = None, bold: bool = False, cant_split: bool = False) -> _Row:
    """One row; `aligns` is one letter per column: l(eft), c(enter), j(ustify), r(ight)."""
    row = _row(grid, header=header, cant_split=cant_split)
    names = {"l": "left", "c": "center", "j": "justify", "r": "right"}
    for i, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
        if value is None:
            continue
        align = "center" if header else names[(aligns or "l" * len(values))[i]]
        _par(cell, value, align=align, bold=bold or header, size=TABLE_PT, after=0,
             reuse_first=True)
    return row


def _merged(grid: Grid, value: Seg, *, bold: bool = True, italic: bool = False,
            cant_split: bool = True) -> _Row:
    row = _row(grid, cant_split=cant_split)
    cell = row.cells[0].merge(row.cells[-1])
    _par(cell, value, align="left", bold=bold, italic=italic, size=TABLE_PT, after=0,
         reuse_first=True)
    return row


def _tag_row(grid: Grid, tag: str) -> None:
    """A `{%tr ... %}` row: docxtpl replaces the whole row with the tag."""
    assert tag.startswith("{%tr ") and tag.endswith("%}"), tag
    row: _Row = grid.table.add_row()  # type: ignore[no-untyped-call]
    row.cells[0].paragraphs[0].add_run(tag)


def _spacer(doc: DocumentObject, pt: float = 4) -> None:
    p = doc.add_paragraph()
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.line_spacing = Pt(pt)


# ---------------------------------------------------------------- building blocks


def _heading(doc: DocumentObject, text: str, *, before: float = 6) -> None:
    _par(doc, text, align="justify", bold=True, before=before, after=3, keep_next=True)


def _subheading(doc: DocumentObject, *segs: Seg) -> None:
    _par(doc, *segs, align="justify", bold=True, before=3, after=3, keep_next=True,
         first_line=True)


def _paragraphs(doc: DocumentObject, name: str, *, fallback_lines: int = 2) -> None:
    """The member's free text, one Word paragraph per paragraph they wrote; dotted lines to
    write on by hand when they wrote nothing (the form never invents an answer)."""
    _tag(doc, f"{{%p if {name} %}}")
    _tag(doc, f"{{%p for line in {name} %}}")
    _par(doc, "{{ line }}", first_line=True)
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p else %}")
    _dotted(doc, lines=fallback_lines)
    _tag(doc, "{%p endif %}")


def _form_code(doc: DocumentObject) -> None:
    _par(doc, ("{{ form_code }}", "b"), align="right", size=12, after=4)


def _national_header(doc: DocumentObject) -> None:
    """The party header: the organisations on the left, the party's name and the place and
    date on the right (seed 000 Mẫu 02; Hướng dẫn 36-HD/VPTW layout of party documents)."""
    table = _table(doc, (85, 80), grid=False)
    left, right = _row(table).cells
    _par(left, "{{ org_name|upper }}", align="center", after=0, reuse_first=True)
    _tag(left, "{%p if cell_title %}")
    _par(left, ("{{ cell_title|upper }}", "b"), align="center", after=0)
    _tag(left, "{%p endif %}")
    _par(left, "*", align="center", after=0)
    _par(right, ("ĐẢNG CỘNG SẢN VIỆT NAM", "bu"), align="center", size=14, after=8,
         reuse_first=True)
    _par(right, ("{{ place or '………' }}, {{ date_line or ('ngày …. tháng …. năm ' ~ year) }}",
                 "i"), align="center", after=0)


def _title(doc: DocumentObject, rulebook: str) -> None:
    _par(doc, "BẢN KIỂM ĐIỂM CÁ NHÂN", align="center", bold=True, size=14, before=14, after=0)
    if rulebook == "2023":
        # Hướng dẫn 25-HD/BTCTW: 02A non-leaders, 02B leaders (outside-system members use 02A).
        _tag(doc, '{%p if kind == "leader" %}')
        _par(doc, ("(Dùng cho cá nhân giữ chức vụ lãnh đạo, quản lý)", "i"), align="center",
             after=0)
        _tag(doc, "{%p else %}")
        _par(doc, ("(Dùng cho cá nhân không giữ chức vụ lãnh đạo, quản lý)", "i"),
             align="center", after=0)
        _tag(doc, "{%p endif %}")
    elif rulebook == "2025":
        # Hướng dẫn 43-HD/BTCTW: 2A leaders, 2B non-leaders, 2C outside the political system.
        _tag(doc, '{%p if kind == "leader" %}')
        _par(doc, ("(Dùng cho cá nhân giữ chức vụ lãnh đạo, quản lý)", "i"), align="center",
             after=0)
        _tag(doc, '{%p elif kind == "outside_system" %}')
        _par(doc, ("(Dùng cho đảng viên không làm việc trong hệ thống chính trị)", "i"),
             align="center", after=0)
        _tag(doc, "{%p else %}")
        _par(doc, ("(Dùng cho cá nhân không giữ chức vụ lãnh đạo, quản lý)", "i"),
             align="center", after=0)
        _tag(doc, "{%p endif %}")
    _par(doc, "Năm {{ year }}", align="center", bold=True, after=12)


def _identity(doc: DocumentObject, rulebook: str) -> None:
    p = _par(doc, "Họ và tên: ", ("{{ full_name }}", "b"), "\tNgày sinh: ",
             "{{ birth_date or dots_short }}", align="left")
    p.paragraph_format.tab_stops.add_tab_stop(Mm(108))
    posts = (
        ("Chức vụ Đảng: ", "party_post"),
        ("Chức vụ chính quyền: ", "government_post"),
        ("Chức vụ đoàn thể: ", "mass_org_post"),
    )
    for label, name in posts:
        # The 2025 forms for non-leaders and for members outside the political system have no
        # post lines (reference/national-rules-2025.md §7): print one only if the member has it.
        if rulebook == "2025":
            _tag(doc, f'{{%p if kind == "leader" or {name} %}}')
        _par(doc, label, f"{{{{ {name} or dots }}}}", align="left")
        if rulebook == "2025":
            _tag(doc, "{%p endif %}")
    _par(doc, "Đơn vị công tác: ", "{{ work_unit or dots }}", align="left")
    _par(doc, "Chi bộ: ", "{{ cell_label or dots }}", align="left", after=6)


def _criteria_table(doc: DocumentObject) -> None:
    _tag(doc, "{%p if criteria %}")
    _subheading(doc, ("Tự đánh giá cấp độ thực hiện từng nội dung kiểm điểm ", "bi"),
                ("(Xuất sắc, Tốt, Trung bình, Kém)", "i"))
    table = _table(doc, (12, 58, 66, 29))
    _cells(table, ("TT", "Nội dung kiểm điểm", "Kết quả, minh chứng", "Tự đánh giá"),
           header=True)
    _tag_row(table, "{%tr for c in criteria %}")
    _cells(table, ("{{ c.number or loop.index }}", "{{ c.title }}", "{{ c.note }}",
                   ("{{ c.grade_label }}", "b")), aligns="cllc")
    _tag_row(table, "{%tr endfor %}")
    _spacer(doc)
    _tag(doc, "{%p endif %}")


def _indicator_table(doc: DocumentObject) -> None:
    _tag(doc, "{%p if indicator_groups %}")
    table = _table(doc, (10, 72, 46, 37))
    _cells(table, ("TT", "Biểu hiện", "Mức độ tự nhận diện", "Biện pháp khắc phục, phòng ngừa"),
           header=True)
    _tag_row(table, "{%tr for g in indicator_groups %}")
    _merged(table, "{{ g.code }}. {{ g.title }}")
    _tag_row(table, "{%tr for i in g.lines %}")
    _cells(table, ("{{ i.number }}", "{{ i.text }}", "({{ i.level }}) {{ i.level_label }}",
                   "{{ i.remedy }}"), aligns="clll", cant_split=True)
    _tag_row(table, "{%tr endfor %}")
    _tag_row(table, "{%tr endfor %}")
    _tag(doc, "{%p if indicators_note %}")
    _par(doc, ("{{ indicators_note }}", "i"), size=11, before=2)
    _tag(doc, "{%p endif %}")
    _spacer(doc)
    _tag(doc, "{%p else %}")
    _dotted(doc, lines=2)
    _tag(doc, "{%p endif %}")


def _tasks_table(doc: DocumentObject) -> None:
    _tag(doc, "{%p if tasks %}")
    table = _table(doc, (12, 108, 45))
    _cells(table, ("TT", "Nhiệm vụ, chỉ tiêu được giao trong năm", "Kết quả thực hiện"),
           header=True)
    _tag_row(table, "{%tr for t in tasks %}")
    _cells(table, ("{{ loop.index }}", "{{ t.title }}", "{{ t.status_label }}"), aligns="clc",
           cant_split=True)
    _tag_row(table, "{%tr endfor %}")
    _spacer(doc)
    _tag(doc, "{%p else %}")
    _dotted(doc, lines=2)
    _tag(doc, "{%p endif %}")


def _prior_section(doc: DocumentObject, rulebook: str) -> None:
    if rulebook == "2025":
        _heading(doc, "III. Kết quả khắc phục những hạn chế, khuyết điểm đã được cấp có thẩm "
                      "quyền kết luận hoặc được chỉ ra ở kỳ kiểm điểm trước")
    else:
        _heading(doc, "III. Kết quả khắc phục những hạn chế, khuyết điểm đã được cấp có thẩm "
                      "quyền kết luận hoặc được chỉ ra ở các kỳ kiểm điểm trước")
    _tag(doc, "{%p if prior_remedies or prior_items %}")
    _tag(doc, "{%p for line in prior_remedies %}")
    _par(doc, "{{ line }}", first_line=True)
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p if prior_items %}")
    table = _table(doc, (12, 103, 50))
    _cells(table, ("TT", "Hạn chế, khuyết điểm đã được chỉ ra", "Kết quả khắc phục"), header=True)
    _tag_row(table, "{%tr for x in prior_items %}")
    _cells(table, ("{{ loop.index }}", "{{ x.text }}", "{{ x.status_label }}"), aligns="clc",
           cant_split=True)
    _tag_row(table, "{%tr endfor %}")
    _spacer(doc)
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p else %}")
    _dotted(doc, lines=2)
    _tag(doc, "{%p endif %}")


def _sections_ii_to_vi(doc: DocumentObject, rulebook: str) -> None:
    _heading(doc, "II. Hạn chế, khuyết điểm và nguyên nhân")
    _paragraphs(doc, "limitations")
    _prior_section(doc, rulebook)
    _heading(doc, "IV. Giải trình những vấn đề được gợi ý kiểm điểm (nếu có)")
    _paragraphs(doc, "higher_level_issues", fallback_lines=1)
    _heading(doc, "V. Làm rõ trách nhiệm của cá nhân đối với những hạn chế, khuyết điểm của "
                  "tập thể (nếu có)")
    _paragraphs(doc, "collective_responsibility", fallback_lines=1)
    _heading(doc, "VI. Phương hướng, biện pháp khắc phục hạn chế, khuyết điểm")
    _paragraphs(doc, "direction")


def _proposal(doc: DocumentObject) -> None:
    """What the member proposes (VII of 2019/2023, B.II of 2025): the civil-servant rating if
    they are one, the party rating they chose, the level the rules computed from their own
    answers with the reasons, and their justification when they chose higher."""
    _par(doc, "1. Xếp loại cán bộ, công chức, viên chức: ",
         ("{{ civil_servant_rating_label or 'không áp dụng' }}", "b"), first_line=True)
    _par(doc, "2. Xếp loại đảng viên: ", ("{{ chosen_level_label or dots }}", "b"),
         first_line=True)
    _tag(doc, "{%p if computed_level_label %}")
    _par(doc, ("- Mức tính theo kết quả tự đánh giá: ", "i"), ("{{ computed_level_label }}", "bi"),
         first_line=True, align="left")
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p for reason in computed_reasons %}")
    p = _par(doc, ("+ {{ reason }}", "i"), size=12, align="left", after=1)
    p.paragraph_format.left_indent = INDENT * 2
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p if justification %}")
    _par(doc, ("- Lý do tự nhận mức cao hơn mức tính theo quy định:", "i"), first_line=True,
         align="left", before=2)
    _tag(doc, "{%p for line in justification %}")
    _par(doc, "{{ line }}", first_line=True)
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p endif %}")


def _signature_cell(cell: _Cell, title: str, hint: str, name: str | None = None,
                    blank: int = 3) -> None:
    _par(cell, title, align="center", bold=True, after=0, reuse_first=True)
    _par(cell, (hint, "i"), align="center", size=12, after=0)
    for _ in range(blank):
        _par(cell, "", align="center", after=0)
    if name:
        _par(cell, (name, "b"), align="center", after=0)


def _signature(doc: DocumentObject) -> None:
    _spacer(doc, 8)
    table = _table(doc, (70, 95), grid=False)
    _signature_cell(_row(table, cant_split=True).cells[1], "NGƯỜI TỰ KIỂM ĐIỂM",
                    "(Ký, ghi rõ họ tên)", "{{ full_name }}")
    _tag(doc, "{%p if proxy_by %}")
    _par(doc, ("Nhập hộ: nội dung bản kiểm điểm do đồng chí ", "i"), ("{{ proxy_by }}", "bi"),
         (" nhập thay; người tự kiểm điểm đọc lại và ký xác nhận.", "i"), size=12, before=6)
    _tag(doc, "{%p endif %}")


def _blank_blocks(doc: DocumentObject) -> None:
    """Left blank for the people who rate the member after the meeting (seed 000 Mẫu 02):
    the head of the agency (civil servants only), the chi ủy / chi bộ and the đảng ủy. Each
    block keeps with its signature, so no page starts with a lone signature."""
    _tag(doc, "{%p if civil_servant_rating_label %}")
    _par(doc, "ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC", align="center",
         bold=True, before=14, after=4, keep_next=True)
    _par(doc, "- Nhận xét, đánh giá của người quản lý, sử dụng cán bộ, công chức, viên chức:",
         align="left", keep_next=True)
    _dotted(doc, lines=3, keep_next=True)
    _dotted(doc, "- Mức xếp loại chất lượng cán bộ, công chức, viên chức: ", keep_next=True)
    table = _table(doc, (60, 105), grid=False)
    _signature_cell(_row(table, cant_split=True).cells[1], "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ",
                    "(Xác lập thời điểm, ký, ghi rõ họ tên và đóng dấu)")
    _tag(doc, "{%p endif %}")

    _par(doc, "ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG ĐẢNG VIÊN", align="center", bold=True, before=14,
         after=4, keep_next=True)
    _par(doc, "- Nhận xét, đánh giá của chi ủy (chi bộ):", align="left", keep_next=True)
    _dotted(doc, lines=4, keep_next=True)
    _dotted(doc, "- Chi bộ đề xuất xếp loại mức chất lượng: ", keep_next=True)
    table = _table(doc, (60, 105), grid=False)
    _signature_cell(_row(table, cant_split=True).cells[1], "T/M CHI ỦY (CHI BỘ)",
                    "(Xác lập thời điểm, ký, ghi rõ họ tên)")
    _spacer(doc, 8)
    _dotted(doc, "- Đảng ủy (chi ủy cơ sở) xếp loại mức chất lượng: ", keep_next=True)
    table = _table(doc, (60, 105), grid=False)
    _signature_cell(_row(table, cant_split=True).cells[1], "T/M ĐẢNG ỦY (CHI ỦY)",
                    "(Xác lập thời điểm, ký, ghi rõ họ tên và đóng dấu)")


# ---------------------------------------------------------------- the three forms


def _leader_note(doc: DocumentObject, rulebook: str) -> None:
    """The extra content a leader reviews: seed 000 §1.3.2 b / Mẫu 06 (2019) and seed 002
    §2.2 b (2023, Quy định 124-QĐ/TW Điều 6)."""
    _tag(doc, '{%p if kind == "leader" %}')
    if rulebook == "2019":
        text = ("(Cá nhân giữ chức vụ lãnh đạo, quản lý kiểm điểm thêm: kết quả lãnh đạo, chỉ "
                "đạo, quản lý, điều hành; trách nhiệm của người đứng đầu trong tiếp công dân, "
                "giải quyết khiếu nại, tố cáo, kiến nghị, phản ánh và thu hồi tài sản bị thất "
                "thoát, chiếm đoạt (nếu có).)")
    else:
        text = ("(Cá nhân giữ chức vụ lãnh đạo, quản lý kiểm điểm thêm: kết quả công tác lãnh "
                "đạo, chỉ đạo, quản lý, điều hành, mức độ hoàn thành nhiệm vụ của tổ chức, cơ "
                "quan, đơn vị thuộc quyền quản lý, khả năng quy tụ, xây dựng đoàn kết nội bộ; "
                "tinh thần năng động, đổi mới, sáng tạo, dám nghĩ, dám làm, dám chịu trách "
                "nhiệm; trách nhiệm nêu gương của bản thân và gia đình, đấu tranh phòng, chống "
                "tham nhũng, lãng phí, tiêu cực; sự tín nhiệm của cán bộ, đảng viên.)")
    _par(doc, (text, "i"), first_line=True)
    _tag(doc, "{%p endif %}")


def _body_2019_2023(doc: DocumentObject, rulebook: str) -> None:
    _heading(doc, "I. Ưu điểm, kết quả đạt được")
    _leader_note(doc, rulebook)
    _tag(doc, "{%p for line in strengths %}")
    _par(doc, "{{ line }}", first_line=True)
    _tag(doc, "{%p endfor %}")
    _criteria_table(doc)
    _subheading(doc, ("Liên hệ, tự đối chiếu 27 biểu hiện suy thoái về tư tưởng chính trị, đạo "
                      "đức, lối sống, “tự diễn biến”, “tự chuyển hóa” trong nội bộ", "bi"))
    _indicator_table(doc)
    _tag(doc, "{%p if pledge %}")
    _subheading(doc, ("Việc thực hiện cam kết tu dưỡng, rèn luyện, phấn đấu hằng năm", "bi"))
    _tag(doc, "{%p for line in pledge %}")
    _par(doc, "{{ line }}", first_line=True)
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p endif %}")
    _sections_ii_to_vi(doc, rulebook)
    _heading(doc, "VII. Tự nhận mức xếp loại chất lượng")
    _proposal(doc)


def _points_table(doc: DocumentObject) -> None:
    _tag(doc, "{%p if points_groups %}")
    table = _table(doc, (12, 90, 19, 19, 25))
    _cells(table, ("TT", "Tiêu chí", "Điểm tối đa", "Tự chấm", "Ghi chú"), header=True)
    _tag_row(table, "{%tr for g in points_groups %}")
    _cells(table, ("{{ g.numeral }}", "{{ g.label }}", "{{ g.max_points }}",
                   "{{ g.points }}", ""), aligns="clccl", bold=True, cant_split=True)
    _tag_row(table, "{%tr for p in g.lines %}")
    _cells(table, ("{{ loop.index }}", "{{ p.title }}", "{{ p.max_points }}",
                   ("{{ p.points }}", "b"), "{{ p.note }}"), aligns="clccl", cant_split=True)
    _tag_row(table, "{%tr endfor %}")
    _tag_row(table, "{%tr endfor %}")
    _cells(table, ("", "Tổng cộng", "100", "{{ points_total }}", ""), aligns="ccccc", bold=True,
           cant_split=True)
    _spacer(doc)
    _tag(doc, "{%p else %}")
    _dotted(doc, "Nhóm tiêu chí chung: ", lines=1)
    _dotted(doc, "Nhóm tiêu chí về kết quả thực hiện nhiệm vụ: ", lines=1)
    _dotted(doc, "Tổng điểm: ", lines=1)
    _tag(doc, "{%p endif %}")


def _body_2025(doc: DocumentObject) -> None:
    _heading(doc, "A. NỘI DUNG KIỂM ĐIỂM", before=6)
    _heading(doc, "I. Ưu điểm, kết quả đạt được")
    _tag(doc, "{%p for line in strengths %}")
    _par(doc, "{{ line }}", first_line=True)
    _tag(doc, "{%p endfor %}")
    _subheading(doc, "1. Về phẩm chất chính trị, đạo đức, lối sống; ý thức tổ chức kỷ luật; "
                     "tác phong, lề lối làm việc; liên hệ các biểu hiện suy thoái về tư tưởng "
                     "chính trị, đạo đức, lối sống, “tự diễn biến”, “tự chuyển hóa”")
    _indicator_table(doc)
    _tag(doc, '{%p if kind == "leader" %}')
    _subheading(doc, "2. Kết quả thực hiện chức trách, nhiệm vụ được giao; kết quả lãnh đạo, "
                     "chỉ đạo, quản lý, điều hành lĩnh vực, địa bàn, cơ quan, đơn vị phụ trách")
    _tag(doc, '{%p elif kind == "outside_system" %}')
    _subheading(doc, "2. Thực hiện quyền, nghĩa vụ của đảng viên và nhiệm vụ do cấp ủy, chi bộ "
                     "phân công; tham gia hoạt động ở nơi cư trú")
    _tag(doc, "{%p else %}")
    _subheading(doc, "2. Thực hiện nhiệm vụ, quyền hạn và kết quả thực hiện các chỉ tiêu, "
                     "nhiệm vụ được giao trong năm (sản phẩm, tiến độ, chất lượng)")
    _tag(doc, "{%p endif %}")
    _tasks_table(doc)
    _subheading(doc, "3. Việc thực hiện cam kết tu dưỡng, rèn luyện, phấn đấu hằng năm")
    _paragraphs(doc, "pledge", fallback_lines=1)
    _sections_ii_to_vi(doc, "2025")
    _heading(doc, "B. TỰ ĐÁNH GIÁ, XẾP LOẠI", before=10)
    _heading(doc, "I. Tự chấm điểm theo khung tiêu chí (thang điểm 100)")
    _points_table(doc)
    _heading(doc, "II. Tự nhận mức xếp loại chất lượng")
    _proposal(doc)


def build(rulebook: str) -> DocumentObject:
    doc = _new_document()
    _form_code(doc)
    _national_header(doc)
    _title(doc, rulebook)
    _identity(doc, rulebook)
    if rulebook == "2025":
        _body_2025(doc)
    else:
        _body_2019_2023(doc, rulebook)
    _signature(doc)
    _blank_blocks(doc)
    return doc


def reproducible_bytes(doc: DocumentObject) -> bytes:
    """The .docx with fixed zip timestamps, so that rebuilding gives identical bytes."""
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def main(argv: Sequence[str] = ()) -> int:
    out_dir = Path(argv[0]) if argv else OUT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    for rulebook in RULEBOOKS:
        path = out_dir / f"selfreview_{rulebook}.docx"
        path.write_bytes(reproducible_bytes(build(rulebook)))
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
