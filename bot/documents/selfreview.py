"""The member's personal self-review (bản kiểm điểm cá nhân) as an official-looking Word file.

Owns:
- `SelfReviewDocument` and its line types: one filled-in form as plain values, every string
  already a human-readable Vietnamese label and every date already dd/mm/yyyy. A service
  builds it from the stored answers and the rating engine's result; this module knows
  nothing of the database, Telegram or the rules.
- `form_code`: the official form code of each regime and member kind (DOMAIN.md §6).
- `render_docx`: docxtpl rendering of `templates/forms/selfreview_<rulebook>.docx`, which
  `scripts/make_forms.py` builds; `build_context` is the exact set of names those templates
  use.

Rendering always runs with `autoescape=True`: without it a member's `<` or `&` silently
disappears from the document (reference/telegram-and-stack.md §6). Every string is also
NFC-normalised (some Vietnamese keyboards send combining marks) and cleared of the control
characters XML 1.0 forbids, which Word would refuse to open.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "forms"

# Official form codes. 2019: Mẫu 02-HD KĐ.ĐG 2019 of Hướng dẫn 21-HD/BTCTW, one form for all
# (seed 000 Mẫu 02 is its local copy; a leader additionally fills seed 000 Mẫu 06, a separate
# sheet). 2023 (Hướng dẫn 25-HD/BTCTW): 02A non-leaders, 02B leaders. 2025 (Hướng dẫn
# 43-HD/BTCTW): 2A leaders, 2B non-leaders, 2C outside the political system. The letters of the
# leader and non-leader forms swap between 2023 and 2025 (DOMAIN.md §6).
_FORM_CODES: dict[tuple[str, str], str] = {
    ("2019", "non_leader"): "Mẫu 02-HD KĐ.ĐG 2019",
    ("2019", "leader"): "Mẫu 02-HD KĐ.ĐG 2019",
    ("2019", "outside_system"): "Mẫu 02-HD KĐ.ĐG 2019",
    ("2023", "non_leader"): "Mẫu 02A-HD KĐ.ĐG 2023",
    ("2023", "leader"): "Mẫu 02B-HD KĐ.ĐG 2023",
    # 2023 has no form of its own for members outside the political system: they use 02A.
    ("2023", "outside_system"): "Mẫu 02A-HD KĐ.ĐG 2023",
    ("2025", "leader"): "Mẫu 2A-HD KĐ.ĐG 2025",
    ("2025", "non_leader"): "Mẫu 2B-HD KĐ.ĐG 2025",
    ("2025", "outside_system"): "Mẫu 2C-HD KĐ.ĐG 2025",
}

# The three groups of the 27 indicators, Nghị quyết 04-NQ/TW (bot/rules/catalogs/indicators.yaml).
INDICATOR_GROUP_TITLES: dict[str, str] = {
    "A": "Suy thoái về tư tưởng chính trị",
    "B": "Suy thoái về đạo đức, lối sống",
    "C": "Biểu hiện “tự diễn biến”, “tự chuyển hóa” trong nội bộ",
}

# QĐ 366-QĐ/TW Điều 10: the general group is worth 30 points and the task-result group 70.
POINTS_GROUP_MAX = ("30", "70")
_ROMAN = ("I", "II", "III", "IV", "V")

DOTS = "…………………………………"
DOTS_SHORT = "…………………"

# XML 1.0 allows tab, LF and CR among the C0 controls. docxtpl also turns \a and \f into new
# paragraphs and page breaks, so a stray one from a phone keyboard must never reach it.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class CriterionLine:
    """2019 / 2023: one criterion and the member's grade (Xuất sắc, Tốt, Trung bình, Kém)."""

    title: str
    grade_label: str
    note: str = ""  # the member's results and evidence; newlines become line breaks
    number: str = ""  # the form's item, e.g. "I.1"; the row number when empty


@dataclass(frozen=True, slots=True)
class PointsLine:
    """2025: one item of the points sheet. Numbers are already formatted ("12,5")."""

    group_label: str  # e.g. "Nhóm tiêu chí chung"
    title: str
    max_points: str
    points: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class TaskLine:
    """2025: one of the year's tasks and how it ended (e.g. "Hoàn thành đúng hạn")."""

    title: str
    status_label: str


@dataclass(frozen=True, slots=True)
class IndicatorLine:
    """One of the 27 indicators, self-rated on the 5-level scale."""

    number: int  # 1..27
    group: str  # "A", "B" or "C"
    text: str
    level: int  # 1..5
    level_label: str  # e.g. "Không có biểu hiện"
    remedy: str = ""


@dataclass(frozen=True, slots=True)
class PriorLine:
    """A shortcoming named at the previous review and where its remedy stands."""

    text: str
    status_label: str  # "Đã khắc phục", "Đang khắc phục", "Chưa khắc phục"


@dataclass(frozen=True, slots=True)
class SelfReviewDocument:
    """One member's filled-in self-review, ready to print.

    `rulebook` ("2019" | "2023" | "2025") and `kind` ("non_leader" | "leader" |
    "outside_system") are codes: they choose the template and its conditional parts. All other
    strings are printed as given. An empty header field or free text prints as dots to fill
    in by hand; the optional parts (the proxy note, the civil-servant block, the computed level,
    the justification) are left out when empty. Free texts may hold several paragraphs
    separated by newlines.

    `org_name` is the grassroots organisation's full name ("Đảng bộ xã Tiên Thắng");
    `cell_name` the cell's name with or without "Chi bộ" ("Chi bộ Thôn Đông" or "Thôn Đông").
    `points` lists the general group's items first, then the task-result group's (QĐ 366
    Điều 10); `points_general` and `points_tasks` are their subtotals.
    `date_line` is the text after the place, e.g. "ngày 05 tháng 12 năm 2025" (see `date_line`).
    """

    rulebook: str
    kind: str
    year: int
    org_name: str
    cell_name: str
    full_name: str
    form_code: str = ""  # empty: `form_code(rulebook, kind)`
    birth_date: str = ""  # dd/mm/yyyy
    party_post: str = ""
    government_post: str = ""
    mass_org_post: str = ""
    work_unit: str = ""
    strengths: str = ""  # I: the member's own account of strengths and results, if any
    criteria: tuple[CriterionLine, ...] = ()
    points: tuple[PointsLine, ...] = ()
    points_general: str = ""
    points_tasks: str = ""
    points_total: str = ""
    tasks: tuple[TaskLine, ...] = ()
    indicators: tuple[IndicatorLine, ...] = ()
    indicators_note: str = ""  # e.g. "summaries, not the resolution's wording"
    pledge: str = ""  # keeping the yearly self-improvement pledge
    limitations: str = ""  # II
    prior_remedies: str = ""  # III, free text
    prior_items: tuple[PriorLine, ...] = ()  # III, item by item
    higher_level_issues: str = ""  # IV
    collective_responsibility: str = ""  # V
    direction: str = ""  # VI
    civil_servant_rating_label: str = ""  # empty: not a civil servant
    computed_level_label: str = ""  # the level the rules give for the member's own answers
    chosen_level_label: str = ""  # the level the member proposes
    computed_reasons: tuple[str, ...] = ()
    justification: str = ""  # why the member chose higher than computed
    proxy_by: str = ""  # who entered the answers for the member ("" if the member did)
    place: str = ""
    date_line: str = ""


def _code(value: object) -> str:
    """Accept the rules' str enums (Rulebook, MemberKind) as well as plain strings."""
    return str(getattr(value, "value", value))


def form_code(rulebook: str, kind: str) -> str:
    """The official code printed at the top of the form, e.g. "Mẫu 2B-HD KĐ.ĐG 2025"."""
    key = (_code(rulebook), _code(kind))
    try:
        return _FORM_CODES[key]
    except KeyError:
        raise ValueError(f"no self-review form for rulebook={key[0]!r}, kind={key[1]!r}") from None


def template_path(rulebook: str) -> Path:
    path = TEMPLATES_DIR / f"selfreview_{_code(rulebook)}.docx"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run scripts/make_forms.py")
    return path


def date_line(day: date) -> str:
    """ "ngày 05 tháng 12 năm 2025": days under 10 and the months 1 and 2 take a leading zero
    (Nghị định 30/2020/NĐ-CP, Phụ lục I)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def clean(text: str) -> str:
    """NFC, no XML-forbidden control characters, Windows/Mac line ends as "\\n"."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _XML_INVALID.sub("", unicodedata.normalize("NFC", text))


def _paragraphs(text: str) -> list[str]:
    """Free text as the paragraphs the member wrote (blank lines and padding dropped)."""
    return [line.strip() for line in clean(text).split("\n") if line.strip()]


def _plain(value: Any) -> Any:
    """Dataclasses to dicts, strings cleaned, sequences to lists: what Jinja reads."""
    if isinstance(value, str):
        return clean(value).strip()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _cell_names(cell_name: str) -> tuple[str, str]:
    """("Chi bộ Thôn Đông", "Thôn Đông") whether or not the stored name starts with "Chi bộ",
    so the header never prints "CHI BỘ CHI BỘ …" and the field never "Chi bộ: Chi bộ …"."""
    name = cell_name.strip()
    if not name:
        return "", ""
    prefix = "chi bộ"
    if name.casefold().startswith(prefix):
        short = name[len(prefix) :].strip(" :-")
        return name, short or name
    return f"Chi bộ {name}", name


def _indicator_groups(lines: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for line in sorted(lines, key=lambda i: (i["group"], i["number"])):
        code = line["group"]
        group = groups.setdefault(
            code, {"code": code, "title": INDICATOR_GROUP_TITLES.get(code, code), "lines": []}
        )
        group["lines"].append(line)
    return list(groups.values())


def _points_groups(
    lines: Sequence[dict[str, Any]], subtotals: Sequence[str]
) -> list[dict[str, Any]]:
    """Consecutive items with the same group label form a group, in sheet order."""
    groups: list[dict[str, Any]] = []
    for line in lines:
        if not groups or groups[-1]["label"] != line["group_label"]:
            n = len(groups)
            groups.append(
                {
                    "numeral": _ROMAN[n] if n < len(_ROMAN) else str(n + 1),
                    "label": line["group_label"],
                    "max_points": POINTS_GROUP_MAX[n] if n < len(POINTS_GROUP_MAX) else "",
                    "points": subtotals[n] if n < len(subtotals) else "",
                    "lines": [],
                }
            )
        groups[-1]["lines"].append(line)
    return groups


def build_context(doc: SelfReviewDocument) -> dict[str, Any]:
    """The names the templates use. Free texts become lists of paragraphs."""
    plain: dict[str, Any] = _plain(doc)
    cell_title, cell_label = _cell_names(plain["cell_name"])
    for name in (
        "strengths",
        "pledge",
        "limitations",
        "prior_remedies",
        "higher_level_issues",
        "collective_responsibility",
        "direction",
        "justification",
    ):
        plain[name] = _paragraphs(getattr(doc, name))
    plain.update(
        rulebook=_code(doc.rulebook),
        kind=_code(doc.kind),
        form_code=plain["form_code"] or form_code(doc.rulebook, doc.kind),
        cell_title=cell_title,
        cell_label=cell_label,
        indicator_groups=_indicator_groups(plain.pop("indicators")),
        points_groups=_points_groups(
            plain.pop("points"), (plain["points_general"], plain["points_tasks"])
        ),
        dots=DOTS,
        dots_short=DOTS_SHORT,
    )
    return plain


class _CompileOnce(jinja2.Environment):
    """docxtpl hands the form's XML to `from_string` on every render; the XML of a form is the
    same each time, so it is compiled once per process (half the time of a render, measured
    with bench/bench_step.py)."""

    def __init__(self) -> None:
        super().__init__(autoescape=True)
        self._compiled: dict[str, jinja2.Template] = {}

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        template = self._compiled.get(source)
        if template is None:
            if len(self._compiled) >= 64:  # a handful of forms × body, header, footer
                self._compiled.clear()
            template = self._compiled[source] = super().from_string(source)
        return template


_ENV = _CompileOnce()


def render_docx(doc: SelfReviewDocument) -> bytes:
    """The filled-in form as .docx bytes."""
    template = DocxTemplate(template_path(doc.rulebook))
    template.render(build_context(doc), jinja_env=_ENV, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()
