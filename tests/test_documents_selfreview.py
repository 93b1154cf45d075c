"""The self-review as a Word form (bot/documents/selfreview.py, templates/forms/) and its PDF
(bot/documents/pdf.py): a realistic member in every regime and member kind, read back with
python-docx the way a secretary's Word would show it.

The PDF test needs LibreOffice. Without it the test is skipped with the reason shown, unless
KIEMDIEM_REQUIRE_LIBREOFFICE is set (CI sets it and installs LibreOffice): then it fails.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.shared import Mm
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate

from bot.documents import pdf as pdf_module
from bot.documents.pdf import PdfConversionError, pdf_to_pngs, to_pdf
from bot.documents.selfreview import (
    CriterionLine,
    IndicatorLine,
    PointsLine,
    PriorLine,
    SelfReviewDocument,
    TaskLine,
    build_context,
    date_line,
    form_code,
    render_docx,
    template_path,
)

ROOT = Path(__file__).resolve().parent.parent
TNR = "Times New Roman"
NAME = "Nguyễn Thị Phương Thảo"
TRICKY = 'Điểm < 5 & > 3 "trích dẫn"'
CASES = [(rb, kind) for rb in ("2019", "2023", "2025")
         for kind in ("non_leader", "leader", "outside_system")]

INDICATOR_SUMMARIES = (
    "Phai nhạt lý tưởng cách mạng",
    "Rời xa tôn chỉ, mục đích của Đảng",
    "Xem nhẹ, lười học lý luận chính trị",
    "Sa sút ý chí phấn đấu, làm việc qua loa",
    "Tự phê bình, phê bình nể nang, né tránh",
    "Nói không đi đôi với làm",
    "Bảo thủ, áp đặt ý kiến cá nhân",
    "Ham chức quyền, vận động phiếu bầu",
    "Đưa người thân, người quen vào vị trí không đúng quy trình",
    "Chủ nghĩa cá nhân, ganh ghét, đố kỵ",
    "Tranh giành quyền lực, cục bộ, gia trưởng",
    "Kê khai tài sản, thu nhập không trung thực",
    "Bệnh thành tích, chạy khen thưởng",
    "Quan liêu, thờ ơ, vô cảm với Nhân dân",
    "Gây thất thoát, lãng phí của công",
    "Tham ô, tham nhũng, lợi dụng chức quyền",
    "Thao túng công tác cán bộ, chạy chức, chạy quyền",
    "Lối sống xa hoa, sa đọa, vi phạm đạo đức gia đình",
    "Phủ nhận chủ nghĩa Mác - Lênin, đòi “đa nguyên, đa đảng”",
    "Đòi “tam quyền phân lập”, “xã hội dân sự”",
    "Nói, viết, làm trái đường lối; xuyên tạc lịch sử",
    "Kích động bất mãn, bôi nhọ trên mạng xã hội",
    "Đòi “phi chính trị hóa” quân đội, công an",
    "Móc nối, cấu kết với thế lực thù địch",
    "Sai phạm về thông tin đối ngoại",
    "Lái dư luận, tác phẩm lệch lạc trên báo chí, văn nghệ",
    "“Dân tộc hẹp hòi”, “tôn giáo cực đoan”, gây chia rẽ",
)
LEVEL_LABELS = {
    1: "Không có biểu hiện",
    2: "Có biểu hiện nhưng chưa rõ",
    3: "Có biểu hiện nhưng không thường xuyên",
}

CRITERIA = {
    "2019": [
        ("I.1", "Tư tưởng chính trị; phẩm chất đạo đức, lối sống; ý thức tổ chức kỷ luật; tác "
                "phong, lề lối làm việc", "Tốt"),
        ("I.2", "Thực hiện chức trách, nhiệm vụ được giao", "Xuất sắc"),
        ("III", "Kết quả khắc phục hạn chế, khuyết điểm đã được chỉ ra ở các kỳ kiểm điểm trước",
         "Tốt"),
    ],
    "2023": [
        ("I.1", "Phẩm chất chính trị, đạo đức, lối sống; đoàn kết; ý thức tổ chức kỷ luật; tác "
                "phong, lề lối làm việc", "Tốt"),
        ("I.2", "Thực hiện nhiệm vụ, quyền hạn và các chỉ tiêu, nhiệm vụ được giao trong năm",
         "Xuất sắc"),
        ("I.3", "Thực hiện cam kết tu dưỡng, rèn luyện, phấn đấu hằng năm", "Tốt"),
        ("I.4", "Vấn đề được gợi ý kiểm điểm; khắc phục hạn chế, khuyết điểm kỳ trước", "Tốt"),
    ],
}
LEADER_CRITERIA = {
    "2019": [("", "Kết quả lãnh đạo, quản lý, điều hành", "Tốt")],
    "2023": [("", "Kết quả lãnh đạo, chỉ đạo, quản lý, điều hành; mức độ hoàn thành nhiệm vụ "
                  "của đơn vị", "Tốt"),
             ("", "Nêu gương của bản thân và gia đình; phòng, chống tham nhũng; sự tín nhiệm",
              "Tốt")],
}
POINTS = {
    "non_leader": [
        ("Nhóm tiêu chí chung", "Chính trị, phẩm chất đạo đức và ý thức tổ chức kỷ luật", "15",
         "14"),
        ("Nhóm tiêu chí chung", "Năng lực chuyên môn, thái độ công tác, tinh thần đổi mới, "
                                "sáng tạo", "10", "9"),
        ("Nhóm tiêu chí chung", "Tự phê bình và phê bình, khắc phục hạn chế, khuyết điểm", "5",
         "4,5"),
        ("Nhóm tiêu chí về kết quả thực hiện nhiệm vụ", "Kết quả thực hiện nhiệm vụ được giao "
         "theo sản phẩm, tiến độ, chất lượng", "70", "64"),
    ],
    "leader": [
        ("Nhóm tiêu chí chung", "Chính trị, tư tưởng", "6", "6"),
        ("Nhóm tiêu chí chung", "Phẩm chất đạo đức và ý thức tổ chức kỷ luật", "6", "6"),
        ("Nhóm tiêu chí chung", "Năng lực lãnh đạo, quản lý, chuyên môn; thái độ công tác; đổi "
                                "mới, sáng tạo", "10", "9"),
        ("Nhóm tiêu chí chung", "Mức độ tín nhiệm, uy tín, khả năng quy tụ, đoàn kết", "4", "4"),
        ("Nhóm tiêu chí chung", "Tự phê bình và phê bình, khắc phục hạn chế, khuyết điểm", "4",
         "3,5"),
        ("Nhóm tiêu chí về kết quả thực hiện nhiệm vụ", "Kết quả thực hiện chức trách, nhiệm vụ",
         "30", "28"),
        ("Nhóm tiêu chí về kết quả thực hiện nhiệm vụ", "Kết quả lãnh đạo, chỉ đạo, điều hành "
         "trong phạm vi phụ trách", "25", "23"),
        ("Nhóm tiêu chí về kết quả thực hiện nhiệm vụ", "Kết quả xếp loại của tập thể và cán "
         "bộ, đảng viên thuộc quyền quản lý trực tiếp (nếu có)", "15", "13"),
    ],
    "outside_system": [
        ("Nhóm tiêu chí chung", "Phẩm chất chính trị, đạo đức, lối sống và ý thức tổ chức kỷ "
                                "luật", "20", "19"),
        ("Nhóm tiêu chí chung", "Tự phê bình và phê bình, khắc phục hạn chế, khuyết điểm", "10",
         "9"),
        ("Nhóm tiêu chí về kết quả thực hiện nhiệm vụ", "Thực hiện quyền, nghĩa vụ đảng viên và "
         "nhiệm vụ cấp ủy, chi bộ phân công", "30", "28"),
        ("Nhóm tiêu chí về kết quả thực hiện nhiệm vụ", "Học tập nghị quyết, đóng góp xây dựng "
         "chi bộ", "20", "18"),
        ("Nhóm tiêu chí về kết quả thực hiện nhiệm vụ", "Nhiệm vụ đột xuất; tham gia hoạt động "
         "ở địa phương phù hợp sức khỏe, độ tuổi", "20", "18"),
    ],
}
TOTALS = {"non_leader": ("27,5", "64", "91,5"), "leader": ("28,5", "64", "92,5"),
          "outside_system": ("28", "64", "92")}

HEADINGS_2019_2023 = (
    "I. Ưu điểm, kết quả đạt được",
    "II. Hạn chế, khuyết điểm và nguyên nhân",
    "III. Kết quả khắc phục những hạn chế, khuyết điểm",
    "IV. Giải trình những vấn đề được gợi ý kiểm điểm (nếu có)",
    "V. Làm rõ trách nhiệm của cá nhân đối với những hạn chế, khuyết điểm của tập thể",
    "VI. Phương hướng, biện pháp khắc phục hạn chế, khuyết điểm",
    "VII. Tự nhận mức xếp loại chất lượng",
)
HEADINGS_2025 = (
    "A. NỘI DUNG KIỂM ĐIỂM",
    *HEADINGS_2019_2023[:6],
    "B. TỰ ĐÁNH GIÁ, XẾP LOẠI",
    "I. Tự chấm điểm theo khung tiêu chí",
    "II. Tự nhận mức xếp loại chất lượng",
)


def sample(rulebook: str, kind: str) -> SelfReviewDocument:
    """A member as a service would hand her over: every label already Vietnamese."""
    leader = kind == "leader"
    outside = kind == "outside_system"
    year = {"2019": 2021, "2023": 2023, "2025": 2025}[rulebook]
    indicators = tuple(
        IndicatorLine(
            number=n, group="ABC"[(n - 1) // 9], text=text,
            level=2 if n == 6 else 1, level_label=LEVEL_LABELS[2 if n == 6 else 1],
            remedy="Giữ đúng lời hứa với học sinh và phụ huynh; báo cáo tiến độ hằng tháng."
            if n == 6 else "")
        for n, text in enumerate(INDICATOR_SUMMARIES, start=1))
    criteria: tuple[CriterionLine, ...] = ()
    if rulebook in CRITERIA:
        lines = CRITERIA[rulebook] + (LEADER_CRITERIA[rulebook] if leader else [])
        criteria = tuple(
            CriterionLine(title=title, grade_label=grade, number=number,
                          note=(f"Hoàn thành 12/12 chỉ tiêu; {TRICKY}.\nĐạt giải Nhì hội giảng "
                                "cấp huyện." if grade == "Xuất sắc" else
                                "Chấp hành nghiêm chủ trương của Đảng, pháp luật của Nhà nước."))
            for number, title, grade in lines)
    points: tuple[PointsLine, ...] = ()
    general = tasks_pts = total = ""
    tasks: tuple[TaskLine, ...] = ()
    if rulebook == "2025":
        points = tuple(PointsLine(group_label=g, title=t, max_points=m, points=p)
                       for g, t, m, p in POINTS[kind])
        general, tasks_pts, total = TOTALS[kind]
        tasks = (
            TaskLine("Giảng dạy môn Ngữ văn lớp 8A, 8B đạt chỉ tiêu chất lượng",
                     "Hoàn thành vượt mức"),
            TaskLine("Bồi dưỡng học sinh giỏi cấp huyện", "Hoàn thành đúng hạn"),
            TaskLine("Xây dựng chuyên đề đổi mới phương pháp dạy học", "Hoàn thành đúng hạn"),
            TaskLine("Cập nhật hồ sơ chuyên môn trên phần mềm", "Hoàn thành chậm hạn"),
        )
    return SelfReviewDocument(
        rulebook=rulebook,
        kind=kind,
        form_code=form_code(rulebook, kind),
        year=year,
        org_name="Đảng bộ xã Tiên Thắng",
        cell_name="Chi bộ Trường Trung học cơ sở" if not outside else "Thôn Đông Hải",
        full_name=NAME,
        birth_date="14/08/1979",
        party_post="Bí thư Chi bộ" if leader else "Đảng viên",
        government_post="Hiệu trưởng" if leader else ("Không" if outside else "Giáo viên"),
        mass_org_post="Ủy viên Ban Chấp hành Công đoàn trường" if leader else "",
        work_unit="Nghỉ hưu, cư trú tại thôn Đông Hải" if outside
        else "Trường Trung học cơ sở Tiên Thắng",
        strengths="Luôn giữ vững lập trường tư tưởng, chấp hành nghiêm sự phân công của tổ chức.",
        criteria=criteria,
        points=points,
        points_general=general,
        points_tasks=tasks_pts,
        points_total=total,
        tasks=tasks,
        indicators=indicators,
        indicators_note="Nội dung biểu hiện là tóm tắt của phần mềm, không phải nguyên văn Nghị "
                        "quyết 04-NQ/TW.",
        pledge="Thực hiện đầy đủ cam kết tu dưỡng, rèn luyện đầu năm.",
        limitations=f"Việc ứng dụng công nghệ thông tin còn chậm; {TRICKY}.\n\n"
                    "Nguyên nhân: khối lượng công việc lớn, thời gian tự học còn ít.",
        prior_remedies="Các hạn chế chỉ ra năm trước đã được tập trung khắc phục.",
        prior_items=(PriorLine("Chậm nộp hồ sơ chuyên môn", "Đã khắc phục"),
                     PriorLine("Ít tham gia sinh hoạt ở nơi cư trú", "Đang khắc phục")),
        higher_level_issues="",
        collective_responsibility="Cùng chịu trách nhiệm về tỷ lệ học sinh yếu của khối 8."
        if leader else "",
        direction="Tự học tin học ứng dụng; hoàn thành hồ sơ đúng hạn.",
        civil_servant_rating_label="" if outside else "Hoàn thành tốt nhiệm vụ",
        computed_level_label="Hoàn thành tốt nhiệm vụ",
        chosen_level_label="Hoàn thành xuất sắc nhiệm vụ",
        computed_reasons=("Mọi tiêu chí về kết quả thực hiện nhiệm vụ đạt mức Tốt trở lên "
                          "(Hướng dẫn 21-HD/BTCTW)",),
        justification="Đạt danh hiệu Chiến sĩ thi đua cơ sở; có sáng kiến được công nhận.",
        proxy_by="Trần Văn Đức" if outside else "",
        place="Tiên Thắng",
        date_line=date_line(date(year, 12, 5)),
    )


# ---------------------------------------------------------------- reading a .docx back


def _open(data: bytes) -> DocumentObject:
    return Document(io.BytesIO(data))


def _paragraphs(doc: DocumentObject) -> list[Paragraph]:
    """Every paragraph of the body, tables included, in document order."""
    return [Paragraph(p, doc) for p in doc.element.body.iter(qn("w:p"))]


def _text(doc: DocumentObject) -> str:
    return "\n".join(p.text for p in _paragraphs(doc))


def _xml_parts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")}


def _is_dotted_line(p: Paragraph) -> bool:
    stops = p._p.findall(f"{qn('w:pPr')}/{qn('w:tabs')}/{qn('w:tab')}")
    return any(t.get(qn("w:leader")) == "dot" for t in stops) and p.text.endswith("\t")


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], bytes]:
    return {case: render_docx(sample(*case)) for case in CASES}


# ---------------------------------------------------------------- form codes and helpers


def test_form_codes_follow_the_regimes_and_the_2025_letter_swap() -> None:
    assert form_code("2019", "non_leader") == "Mẫu 02-HD KĐ.ĐG 2019"
    assert form_code("2019", "leader") == "Mẫu 02-HD KĐ.ĐG 2019"
    assert form_code("2023", "non_leader") == "Mẫu 02A-HD KĐ.ĐG 2023"
    assert form_code("2023", "leader") == "Mẫu 02B-HD KĐ.ĐG 2023"
    assert form_code("2023", "outside_system") == "Mẫu 02A-HD KĐ.ĐG 2023"
    assert form_code("2025", "leader") == "Mẫu 2A-HD KĐ.ĐG 2025"
    assert form_code("2025", "non_leader") == "Mẫu 2B-HD KĐ.ĐG 2025"
    assert form_code("2025", "outside_system") == "Mẫu 2C-HD KĐ.ĐG 2025"


def test_form_code_accepts_the_rules_enums_and_rejects_unknowns() -> None:
    from bot.rules.levels import MemberKind, Rulebook

    assert form_code(Rulebook.R2025, MemberKind.LEADER) == "Mẫu 2A-HD KĐ.ĐG 2025"
    with pytest.raises(ValueError):
        form_code("2018", "leader")


@pytest.mark.parametrize("day,expected", [
    (date(2025, 12, 5), "ngày 05 tháng 12 năm 2025"),
    (date(2026, 1, 15), "ngày 15 tháng 01 năm 2026"),
    (date(2025, 3, 9), "ngày 09 tháng 3 năm 2025"),
])
def test_date_line_pads_days_and_the_first_two_months(day: date, expected: str) -> None:
    assert date_line(day) == expected


# ---------------------------------------------------------------- the rendered forms


@pytest.mark.parametrize("case", CASES, ids=["-".join(c) for c in CASES])
def test_the_form_carries_the_members_answers(rendered: dict, case: tuple[str, str]) -> None:
    rulebook, kind = case
    doc = _open(rendered[case])
    text = _text(doc)
    assert form_code(rulebook, kind) in text
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert "ĐẢNG BỘ XÃ TIÊN THẮNG" in text
    assert "BẢN KIỂM ĐIỂM CÁ NHÂN" in text
    assert "Năm " + str(sample(rulebook, kind).year) in text
    assert f"Họ và tên: {NAME}" in text
    assert "Ngày sinh: 14/08/1979" in text
    assert TRICKY in text  # <, & and quotes survive (autoescape)
    assert "Hoàn thành tốt nhiệm vụ" in text  # computed level
    assert "Xếp loại đảng viên: Hoàn thành xuất sắc nhiệm vụ" in text  # the member's choice
    assert "Đạt danh hiệu Chiến sĩ thi đua cơ sở" in text  # justification for choosing higher
    assert "Chậm nộp hồ sơ chuyên môn" in text and "Đang khắc phục" in text
    assert "Phai nhạt lý tưởng cách mạng" in text and "(2) Có biểu hiện nhưng chưa rõ" in text
    assert "Suy thoái về đạo đức, lối sống" in text  # indicator group row
    assert "Nguyên nhân: khối lượng công việc lớn" in text  # second paragraph of a free text
    headings = HEADINGS_2025 if rulebook == "2025" else HEADINGS_2019_2023
    starts = [p.text for p in _paragraphs(doc)]
    for heading in headings:
        assert any(s.startswith(heading) for s in starts), heading
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)  # in the form's order
    if rulebook == "2025":
        assert f"Tổng cộng\n100\n{TOTALS[kind][2]}" in text
        assert "Hoàn thành chậm hạn" in text
    else:
        assert "Tự đánh giá cấp độ thực hiện từng nội dung kiểm điểm" in text
        assert "Xuất sắc" in text
    leader_note = "Cá nhân giữ chức vụ lãnh đạo, quản lý kiểm điểm thêm"
    assert (leader_note in text) == (kind == "leader" and rulebook != "2025")


@pytest.mark.parametrize("case", CASES, ids=["-".join(c) for c in CASES])
def test_no_tag_is_left_unrendered(rendered: dict, case: tuple[str, str]) -> None:
    for name, xml in _xml_parts(rendered[case]).items():
        for tag in ("{{", "}}", "{%", "%}", "{#"):
            assert tag not in xml, (name, tag)


@pytest.mark.parametrize("case", CASES, ids=["-".join(c) for c in CASES])
def test_blank_blocks_for_the_cell_and_the_party_committee(rendered: dict,
                                                           case: tuple[str, str]) -> None:
    paras = _paragraphs(_open(rendered[case]))
    texts = [p.text for p in paras]
    i = next(n for n, t in enumerate(texts) if t.startswith("- Nhận xét, đánh giá của chi ủy"))
    assert all(_is_dotted_line(p) for p in paras[i + 1:i + 4])
    for label in ("- Chi bộ đề xuất xếp loại mức chất lượng:",
                  "- Đảng ủy (chi ủy cơ sở) xếp loại mức chất lượng:"):
        assert any(t.startswith(label) and _is_dotted_line(p) for t, p in zip(texts, paras,
                                                                             strict=True))
    for signer in ("NGƯỜI TỰ KIỂM ĐIỂM", "T/M CHI ỦY (CHI BỘ)", "T/M ĐẢNG ỦY (CHI ỦY)"):
        assert signer in texts
    # the signer's name is printed under "NGƯỜI TỰ KIỂM ĐIỂM"
    assert texts.index(NAME) > texts.index("NGƯỜI TỰ KIỂM ĐIỂM")
    civil_servant = case[1] != "outside_system"
    assert ("THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ" in texts) == civil_servant
    assert any("nhập thay" in t and "Trần Văn Đức" in t for t in texts) == (not civil_servant)


@pytest.mark.parametrize("case", CASES, ids=["-".join(c) for c in CASES])
def test_a4_and_times_new_roman_everywhere(rendered: dict, case: tuple[str, str]) -> None:
    data = rendered[case]
    doc = _open(data)
    section = doc.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.5)
    assert abs(section.page_height - Mm(297)) < Mm(0.5)
    assert abs(section.left_margin - Mm(30)) < Mm(0.5)
    assert abs(section.right_margin - Mm(15)) < Mm(0.5)
    normal = doc.styles["Normal"]
    assert normal.font.name == TNR
    rfonts = normal.element.rPr.find(qn("w:rFonts"))
    for attr in ("ascii", "hAnsi", "cs", "eastAsia"):
        assert rfonts.get(qn(f"w:{attr}")) == TNR, attr
    assert 13 <= normal.font.size.pt <= 14
    for name, xml in _xml_parts(data).items():
        if re.fullmatch(r"word/(document|styles|header\d*|footer\d*)\.xml", name):
            # no theme font can sneak in, and every explicit font is TNR (numbering.xml keeps
            # its Symbol bullets: they are glyphs, not text)
            assert "Theme=" not in re.sub(r"<w:latentStyles.*?</w:latentStyles>", "", xml,
                                          flags=re.S), name
            for rfonts in re.findall(r"<w:rFonts [^>]*>", xml):
                for face in re.findall(r'w:(?:ascii|hAnsi|cs|eastAsia)="([^"]*)"', rfonts):
                    assert face == TNR, (name, face)
    for p in _paragraphs(doc):
        style = p.style
        while style is not None and style.font.name is None:
            style = style.base_style
        assert style is not None and style.font.name == TNR, p.style.name
        for run in p.runs:
            assert run.font.name in (None, TNR)


def test_leader_and_kind_specific_wording() -> None:
    text_2023 = {k: _text(_open(render_docx(sample("2023", k)))) for k in ("leader", "non_leader")}
    assert "(Dùng cho cá nhân giữ chức vụ lãnh đạo, quản lý)" in text_2023["leader"]
    assert "(Dùng cho cá nhân không giữ chức vụ lãnh đạo, quản lý)" in text_2023["non_leader"]
    text_2c = _text(_open(render_docx(sample("2025", "outside_system"))))
    assert "(Dùng cho đảng viên không làm việc trong hệ thống chính trị)" in text_2c
    assert "2. Thực hiện quyền, nghĩa vụ của đảng viên" in text_2c
    assert "Chức vụ đoàn thể" not in text_2c  # 2C has no post lines unless the member has one


def test_the_cell_name_is_never_doubled() -> None:
    text = _text(_open(render_docx(sample("2025", "outside_system"))))
    assert "CHI BỘ THÔN ĐÔNG HẢI" in text and "Chi bộ: Thôn Đông Hải" in text
    text = _text(_open(render_docx(sample("2023", "leader"))))
    assert "CHI BỘ TRƯỜNG TRUNG HỌC CƠ SỞ" in text and "Chi bộ: Trường Trung học cơ sở" in text
    assert "CHI BỘ CHI BỘ" not in text and "Chi bộ: Chi bộ" not in text


def test_strings_are_nfc_and_xml_safe() -> None:
    decomposed = unicodedata.normalize("NFD", NAME)
    assert decomposed != NAME
    doc = replace(sample("2023", "non_leader"), full_name=decomposed,
                  direction="Bỏ\x0bký tự\x00 điều khiển\x07 và \x0cngắt trang.")
    text = _text(_open(render_docx(doc)))
    assert NAME in text and decomposed not in text
    assert "Bỏký tự điều khiển và ngắt trang." in text


def test_an_empty_form_prints_dots_to_fill_by_hand() -> None:
    for rulebook in ("2019", "2023", "2025"):
        doc = SelfReviewDocument(rulebook=rulebook, kind="non_leader", year=2025,
                                 org_name="Đảng bộ xã Tiên Thắng", cell_name="", full_name=NAME)
        data = render_docx(doc)
        paras = _paragraphs(_open(data))
        texts = [p.text for p in paras]
        assert any(t.startswith("Chức vụ Đảng: …") for t in texts) == (rulebook != "2025")
        i = texts.index("II. Hạn chế, khuyết điểm và nguyên nhân")
        assert _is_dotted_line(paras[i + 1])
        assert all("{{" not in xml for xml in _xml_parts(data).values())


# ---------------------------------------------------------------- templates match their code


@pytest.mark.parametrize("rulebook", ["2019", "2023", "2025"])
def test_templates_use_only_names_the_context_provides(rulebook: str) -> None:
    context = build_context(sample(rulebook, "leader"))
    missing = DocxTemplate(template_path(rulebook)).get_undeclared_template_variables(
        context=context)
    assert missing == set()


def test_committed_templates_are_what_the_script_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("make_forms", ROOT / "scripts" / "make_forms.py")
    assert spec is not None and spec.loader is not None
    make_forms = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_forms", make_forms)  # dataclasses look it up
    spec.loader.exec_module(make_forms)
    for rulebook in make_forms.RULEBOOKS:
        built = make_forms.reproducible_bytes(make_forms.build(rulebook))
        assert built == template_path(rulebook).read_bytes(), (
            f"templates/forms/selfreview_{rulebook}.docx is stale: run scripts/make_forms.py")


# ---------------------------------------------------------------- PDF


async def test_to_pdf_is_none_without_libreoffice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_module, "soffice_path", lambda: None)
    assert await to_pdf(b"PK", ".docx") is None


async def test_to_pdf_rejects_a_bad_suffix() -> None:
    with pytest.raises(ValueError):
        await to_pdf(b"", "docx; rm -rf /")


def _require_libreoffice() -> None:
    if shutil.which("soffice"):
        return
    reason = "LibreOffice (soffice) is not installed: the PDF of the self-review was not checked"
    if os.environ.get("KIEMDIEM_REQUIRE_LIBREOFFICE"):
        pytest.fail(reason + " but KIEMDIEM_REQUIRE_LIBREOFFICE is set")
    pytest.skip(reason + " (set KIEMDIEM_REQUIRE_LIBREOFFICE=1 to make this a failure)")


async def test_pdf_of_two_forms_converted_at_once(rendered: dict, tmp_path: Path) -> None:
    """Two conversions in parallel (each needs its own LibreOffice profile), both exact."""
    _require_libreoffice()
    cases = [("2019", "non_leader"), ("2025", "leader")]
    pdfs = await asyncio.gather(*(to_pdf(rendered[c], ".docx") for c in cases))
    for case, pdf in zip(cases, pdfs, strict=True):
        assert pdf is not None and pdf.startswith(b"%PDF")
        # Times New Roman or its metric twin, never a fallback with other metrics
        assert b"LiberationSerif" in pdf or b"TimesNewRoman" in pdf
        assert b"DejaVu" not in pdf
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                                  check=True).stdout.decode("utf-8")
            assert NAME in text, case
            assert TRICKY in text, case
            assert form_code(*case) in text
        if shutil.which("pdftoppm"):
            pages = pdf_to_pngs(pdf, tmp_path / "-".join(case), resolution=20)
            assert len(pages) >= 2 and all(p.stat().st_size > 0 for p in pages)


@pytest.mark.parametrize("script,message,timeout", [
    ("exit 1", "exited with 1", 30),  # a shared profile fails like this: rc=1, nothing printed
    ("exit 0", "pdf present: False", 30),  # success code but no file is still a failure
    ("sleep 30", "did not finish", 0.3),
])
async def test_a_failed_conversion_is_an_error_not_a_silent_none(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, script: str, message: str,
        timeout: float) -> None:
    fake = tmp_path / "soffice"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    monkeypatch.setattr(pdf_module, "soffice_path", lambda: str(fake))
    with pytest.raises(PdfConversionError, match=message):
        await to_pdf(b"PK", ".docx", timeout=timeout)
