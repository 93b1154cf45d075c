"""The catalogues a member rates against, as validated data (DOMAIN.md §2, §4, §6).

This module owns reading `bot/rules/catalogs/*.yaml` (package data) and the override files a
deployer or a đảng bộ's plan supplies, validating them, and handing out frozen dataclasses:

- the 27 indicators of Nghị quyết 04-NQ/TW in official order (three groups of nine) with the
  5-level self-identification scale; the texts are our own summaries unless an override file
  loads the official wording (`Indicator.official`);
- the criteria of the 2019 and 2023 rulebooks per member kind (rated XS / T / TB / K);
- the default 2025 points sheets per member kind (general 30 + task results 70);
- the names of the scales, the form sections II–VI and the form code per rulebook and kind.

It is the one place in `bot.rules` that does I/O (reading those files); everything it returns is
immutable and cached. Errors name the file and the key: `CatalogError("x.yaml: kinds.leader...")`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from functools import cache
from importlib import resources
from pathlib import Path
from typing import NoReturn

import yaml

from bot.rules.levels import Grade, Level, MemberKind, Rulebook

__all__ = [
    "GENERAL_MAX_POINTS",
    "INDICATOR_COUNT",
    "TASKS_MAX_POINTS",
    "Catalog",
    "CatalogError",
    "CatalogOverrides",
    "Criterion",
    "Form",
    "Forms",
    "GradeName",
    "Indicator",
    "IndicatorCatalog",
    "IndicatorGroup",
    "IndicatorScaleLevel",
    "KindName",
    "LevelName",
    "PointsGroup",
    "PointsGroupInfo",
    "PointsItem",
    "PointsSheet",
    "Scales",
    "Section",
    "SourceRef",
    "TaskStatus",
    "TaskStatusName",
    "iter_texts",
    "load_catalog",
    "load_forms",
    "load_indicators",
    "load_scales",
]

INDICATOR_COUNT = 27
INDICATOR_GROUPS = ("A", "B", "C")
PER_GROUP = 9
# Quy định 366-QĐ/TW Điều 10: general criteria 30 points, task results 70 points.
GENERAL_MAX_POINTS = 30
TASKS_MAX_POINTS = 70
MAX_ID_LENGTH = 8  # ids go into Telegram callback data (64 bytes in all)
_ID = re.compile(rf"^[a-z][a-z0-9_]{{0,{MAX_ID_LENGTH - 1}}}$")
_CONFIDENCES = ("2+", "2+ partial", "1", "inferred", "official")


class CatalogError(ValueError):
    """A catalogue or override file is missing, unreadable or invalid; the message names it."""


class TaskStatus(StrEnum):
    """How one of the year's tasks ended (2025 rulebook; DOMAIN.md §4)."""

    ON_TIME = "on_time"  # hoàn thành đúng hạn
    LATE = "late"  # hoàn thành chậm
    NOT_DONE = "not_done"  # chưa hoàn thành
    EXCEEDED = "exceeded"  # vượt (hoàn thành đúng hạn và vượt mức yêu cầu)


class PointsGroup(StrEnum):
    """The two groups of a 2025 points sheet (Quy định 366-QĐ/TW Điều 10)."""

    GENERAL = "general"  # Nhóm tiêu chí chung, 30 điểm
    TASKS = "tasks"  # Nhóm tiêu chí về kết quả thực hiện nhiệm vụ, 70 điểm

    @property
    def max_points(self) -> int:
        return GENERAL_MAX_POINTS if self is PointsGroup.GENERAL else TASKS_MAX_POINTS


# --------------------------------------------------------------------------------------------
# The data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRef:
    """Where a catalogue entry comes from: a document and the article or point in it."""

    document: str
    article: str

    def __str__(self) -> str:
        return f"{self.document}, {self.article}"


@dataclass(frozen=True)
class IndicatorScaleLevel:
    """One step of the 5-level self-identification scale (1 = không có biểu hiện)."""

    value: int
    label: str


@dataclass(frozen=True)
class Indicator:
    """One of the 27 indicators. `text` is our summary unless `official` (loaded wording)."""

    number: int  # 1..27, the official order
    group: str  # "A", "B" or "C"
    label: str  # a few words, for lists and buttons
    text: str
    verified: bool  # the whole text is confirmed by two or more sources (or is official)
    confidence: str  # "2+", "2+ partial", "1", "inferred" or "official"
    official: bool  # the text was loaded from a file that declares it the official wording

    @property
    def code(self) -> str:
        """Group letter and position in the group: "A1" .. "C9"."""
        return f"{self.group}{(self.number - 1) % PER_GROUP + 1}"


@dataclass(frozen=True)
class IndicatorGroup:
    code: str  # "A", "B", "C"
    title: str
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class IndicatorCatalog:
    """The 27 indicators, grouped, with the scale each is self-rated on."""

    source: str
    cite: SourceRef
    groups: tuple[IndicatorGroup, ...]
    scale: tuple[IndicatorScaleLevel, ...]
    scale_cite: SourceRef

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(ind for group in self.groups for ind in group.indicators)

    def indicator(self, number: int) -> Indicator:
        for ind in self.indicators:
            if ind.number == number:
                return ind
        raise KeyError(number)

    def scale_label(self, value: int) -> str:
        for level in self.scale:
            if level.value == value:
                return level.label
        raise KeyError(value)


@dataclass(frozen=True)
class Criterion:
    """A criterion rated XS / T / TB / K (2019, 2023 rulebooks)."""

    id: str  # short ASCII, stable, fits in callback data
    title: str
    prompts: tuple[str, ...]  # what to write about
    notes: tuple[str, ...]  # emphasis for particular members
    task_result: bool  # a "kết quả thực hiện chức trách, nhiệm vụ" criterion
    optional: bool  # "(nếu có)": only when it applies to the member
    section: str | None  # where the member writes about it in the form, e.g. "I.1"
    cite: SourceRef


@dataclass(frozen=True)
class PointsItem:
    """One scored item of a 2025 points sheet."""

    id: str
    group: PointsGroup
    title: str
    prompts: tuple[str, ...]
    max_points: Fraction
    cite: SourceRef


@dataclass(frozen=True)
class PointsGroupInfo:
    group: PointsGroup
    title: str
    max_points: Fraction


@dataclass(frozen=True)
class PointsSheet:
    """A member kind's 2025 points sheet: items summing to 30 (general) + 70 (task results)."""

    kind: MemberKind
    appendix: str  # "Phụ lục 3" / "Phụ lục 4" / "Phụ lục 5" of Quy định 366-QĐ/TW
    source: str  # who set the split of points (the default, or a đảng bộ's file)
    cite: SourceRef
    groups: tuple[PointsGroupInfo, ...]
    items: tuple[PointsItem, ...]

    def items_in(self, group: PointsGroup) -> tuple[PointsItem, ...]:
        return tuple(item for item in self.items if item.group is group)

    def group_max(self, group: PointsGroup) -> Fraction:
        return sum((item.max_points for item in self.items_in(group)), Fraction(0))

    def group_title(self, group: PointsGroup) -> str:
        for info in self.groups:
            if info.group is group:
                return info.title
        raise KeyError(group)

    @property
    def total_max(self) -> Fraction:
        return sum((item.max_points for item in self.items), Fraction(0))

    def item(self, item_id: str) -> PointsItem:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)


@dataclass(frozen=True)
class GradeName:
    grade: Grade
    name: str


@dataclass(frozen=True)
class LevelName:
    level: Level
    name: str


@dataclass(frozen=True)
class TaskStatusName:
    status: TaskStatus
    name: str
    description: str


@dataclass(frozen=True)
class KindName:
    kind: MemberKind
    name: str


@dataclass(frozen=True)
class Scales:
    """Vietnamese names of the codes: grades, levels, task statuses, member kinds."""

    grades: tuple[GradeName, ...]
    grades_cite: SourceRef
    levels: tuple[LevelName, ...]
    task_statuses: tuple[TaskStatusName, ...]
    kinds: tuple[KindName, ...]

    def grade_name(self, grade: Grade) -> str:
        return next(g.name for g in self.grades if g.grade is grade)

    def level_name(self, level: Level) -> str:
        for entry in self.levels:
            if entry.level is level:
                return entry.name
        raise KeyError(level)

    def task_status_name(self, status: TaskStatus) -> str:
        return next(s.name for s in self.task_statuses if s.status is status)

    def kind_name(self, kind: MemberKind) -> str:
        return next(k.name for k in self.kinds if k.kind is kind)


@dataclass(frozen=True)
class Section:
    """One of the form's sections II–VI, with short guidance for the member."""

    number: str  # "II" .. "VI"
    id: str
    title: str
    guidance: str
    optional: bool  # "(nếu có)"


@dataclass(frozen=True)
class Form:
    code: str  # "Mẫu 02", "Mẫu 02A", "Mẫu 2B", ...
    title: str
    cite: SourceRef


@dataclass(frozen=True)
class Forms:
    sections: tuple[Section, ...]
    sections_cite: SourceRef
    forms: Mapping[tuple[Rulebook, MemberKind], tuple[Form, ...]]  # main form first

    def for_(self, rulebook: Rulebook, kind: MemberKind) -> tuple[Form, ...]:
        return self.forms[(rulebook, kind)]


@dataclass(frozen=True)
class Catalog:
    """Everything a member of one kind rates against under one rulebook."""

    rulebook: Rulebook
    kind: MemberKind
    basis: str  # the national documents of the rulebook
    form: Form
    extra_forms: tuple[Form, ...]
    criteria: tuple[Criterion, ...]  # 2019, 2023; empty for 2025
    points: PointsSheet | None  # 2025; None for 2019, 2023
    indicators: IndicatorCatalog
    scales: Scales
    sections: tuple[Section, ...]

    @property
    def kind_name(self) -> str:
        return self.scales.kind_name(self.kind)

    @property
    def task_criterion_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.criteria if c.task_result)

    def criterion(self, criterion_id: str) -> Criterion:
        for crit in self.criteria:
            if crit.id == criterion_id:
                return crit
        raise KeyError(criterion_id)


@dataclass(frozen=True)
class CatalogOverrides:
    """Replacement files, each of the same schema as the packaged file it overrides.

    - `indicators_file`: replaces indicator texts (and optionally labels) by number;
    - `criteria_file`: replaces the criteria of the member kinds it lists (2019, 2023);
    - `points_file`: replaces the points sheets of the member kinds it lists (2025).
    """

    indicators_file: Path | None = None
    criteria_file: Path | None = None
    points_file: Path | None = None


# --------------------------------------------------------------------------------------------
# Reading and validating
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    """A value read from a YAML file, with where it came from (for error messages)."""

    value: object
    file: str
    path: str = ""

    def fail(self, problem: str) -> NoReturn:
        raise CatalogError(f"{self.file}: {self.path or '(top level)'}: {problem}")

    def at(self, key: str | int, value: object) -> _Node:
        if isinstance(key, int):
            path = f"{self.path}[{key}]"
        else:
            path = f"{self.path}.{key}" if self.path else key
        return _Node(value, self.file, path)

    def mapping(self, required: Sequence[str], optional: Sequence[str] = ()) -> dict[str, _Node]:
        if not isinstance(self.value, dict):
            self.fail(f"expected a mapping, got {_kind_of(self.value)}")
        out: dict[str, _Node] = {}
        for key, value in self.value.items():
            if not isinstance(key, str):
                self.fail(f"key {key!r} is not a string")
            if key not in required and key not in optional:
                allowed = ", ".join([*required, *optional])
                self.fail(f"unknown key '{key}' (allowed: {allowed})")
            out[key] = self.at(key, value)
        for key in required:
            if key not in out:
                self.fail(f"missing key '{key}'")
        return out

    def items(self, *, non_empty: bool = True) -> list[_Node]:
        if not isinstance(self.value, list):
            self.fail(f"expected a list, got {_kind_of(self.value)}")
        if non_empty and not self.value:
            self.fail("expected a non-empty list")
        return [self.at(i, v) for i, v in enumerate(self.value)]

    def string(self) -> str:
        if not isinstance(self.value, str) or not self.value.strip():
            self.fail(f"expected a non-empty string, got {_kind_of(self.value)}")
        return " ".join(unicodedata.normalize("NFC", self.value).split())

    def text(self) -> str:
        """Vietnamese text: non-empty, NFC, with at least one Vietnamese letter."""
        value = self.string()
        if not any(ord(ch) > 127 and ch.isalpha() for ch in value):
            self.fail(f"expected Vietnamese text with diacritics, got {value!r}")
        return value

    def texts(self, *, non_empty: bool = True) -> tuple[str, ...]:
        return tuple(node.text() for node in self.items(non_empty=non_empty))

    def ident(self) -> str:
        value = self.value
        if not isinstance(value, str) or not _ID.fullmatch(value):
            self.fail(
                f"id {value!r} must be short ASCII: a lower-case letter, then letters, digits "
                f"or '_', at most {MAX_ID_LENGTH} characters"
            )
        return value

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            self.fail(f"expected true or false, got {_kind_of(self.value)}")
        return self.value

    def integer(self) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            self.fail(f"expected a whole number, got {_kind_of(self.value)}")
        return self.value

    def points(self) -> Fraction:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(f"expected a number of points, got {_kind_of(value)}")
        try:
            points = Fraction(Decimal(str(value).strip().replace(",", ".")))
        except (InvalidOperation, ValueError, OverflowError):
            self.fail(f"expected a number of points, got {value!r}")
        if points <= 0:
            self.fail(f"points must be more than 0, got {value!r}")
        return points

    def citation(self) -> SourceRef:
        fields = self.mapping(["document", "article"])
        return SourceRef(fields["document"].string(), fields["article"].string())


def _kind_of(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, str):
        return f"the string {value!r}" if value.strip() else "an empty string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _parse(text: str, name: str) -> _Node:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogError(f"{name}: not valid YAML{where}: {problem}") from None
    node = _Node(data, name)
    if not isinstance(data, dict):
        node.fail(f"expected a mapping at the top of the file, got {_kind_of(data)}")
    return node


@cache
def _package_file(name: str) -> _Node:
    try:
        text = resources.files("bot.rules.catalogs").joinpath(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"{name}: cannot read the packaged catalogue: {exc}") from None
    return _parse(text, name)


_FileKey = tuple[str, int, int]


def _file_key(path: Path | None) -> _FileKey | None:
    """Identity of a file's current content (path, mtime, size), so edits are picked up."""
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    if not path.is_file():
        raise CatalogError(f"{path}: not a file")
    return (str(path), stat.st_mtime_ns, stat.st_size)


@cache
def _user_file(key: _FileKey) -> _Node:
    path = Path(key[0])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CatalogError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    return _parse(text, str(path))


# ---- indicators ------------------------------------------------------------------------------

_INDICATOR_TOP = ("source", "official", "cite", "groups", "scale", "indicators")
_INDICATOR_KEYS = ("number", "group", "label", "text", "confidence", "verified")


def _indicator_groups(node: _Node) -> dict[str, str]:
    titles: dict[str, str] = {}
    items = node.items()
    for i, item in enumerate(items):
        fields = item.mapping(["code", "title"])
        code = fields["code"].string()
        if i >= len(INDICATOR_GROUPS) or code != INDICATOR_GROUPS[i]:
            expected = INDICATOR_GROUPS[i] if i < len(INDICATOR_GROUPS) else "nothing more"
            fields["code"].fail(f"expected group {expected}, got {code!r}")
        titles[code] = fields["title"].text()
    if len(titles) != len(INDICATOR_GROUPS):
        node.fail(f"expected the groups {', '.join(INDICATOR_GROUPS)}, got {len(titles)}")
    return titles


def _indicator_scale(node: _Node) -> tuple[tuple[IndicatorScaleLevel, ...], SourceRef | None]:
    fields = node.mapping(["levels"], ["cite"])
    cite = fields["cite"].citation() if "cite" in fields else None
    levels: list[IndicatorScaleLevel] = []
    for i, item in enumerate(fields["levels"].items()):
        entry = item.mapping(["value", "label"])
        value = entry["value"].integer()
        if value != i + 1:
            entry["value"].fail(f"expected level {i + 1}, got {value}")
        levels.append(IndicatorScaleLevel(value, entry["label"].text()))
    if len(levels) != 5:
        fields["levels"].fail(f"expected 5 levels (1..5), got {len(levels)}")
    return tuple(levels), cite


def _expected_group(number: int) -> str:
    return INDICATOR_GROUPS[(number - 1) // PER_GROUP]


def _check_confidence(entry: dict[str, _Node], default: str) -> tuple[str, bool]:
    confidence = entry["confidence"].string() if "confidence" in entry else default
    if confidence not in _CONFIDENCES:
        entry["confidence"].fail(
            f"unknown confidence {confidence!r} (allowed: {', '.join(_CONFIDENCES)})"
        )
    verified = entry["verified"].boolean() if "verified" in entry else confidence == "official"
    if verified and confidence not in ("2+", "official"):
        entry["verified"].fail(
            f"verified is true but confidence is {confidence!r}: only '2+' or 'official' texts "
            "are verified"
        )
    return confidence, verified


def _base_indicators(node: _Node) -> IndicatorCatalog:
    top = node.mapping(_INDICATOR_TOP)
    official = top["official"].boolean()
    titles = _indicator_groups(top["groups"])
    scale, scale_cite = _indicator_scale(top["scale"])
    if scale_cite is None:
        top["scale"].fail("missing key 'cite'")
    items = top["indicators"].items()
    if len(items) != INDICATOR_COUNT:
        top["indicators"].fail(f"expected {INDICATOR_COUNT} indicators, got {len(items)}")
    indicators: list[Indicator] = []
    for i, item in enumerate(items):
        entry = item.mapping(_INDICATOR_KEYS, ())
        number = entry["number"].integer()
        if number != i + 1:
            entry["number"].fail(f"expected indicator {i + 1} here (official order), got {number}")
        group = entry["group"].string()
        if group != _expected_group(number):
            entry["group"].fail(
                f"indicator {number} belongs to group {_expected_group(number)}, got {group!r}"
            )
        confidence, verified = _check_confidence(entry, "inferred")
        indicators.append(
            Indicator(
                number=number,
                group=group,
                label=entry["label"].text(),
                text=entry["text"].text(),
                verified=verified,
                confidence=confidence,
                official=official,
            )
        )
    return _assemble(
        top["source"].text(), top["cite"].citation(), titles, indicators, scale, scale_cite
    )


def _assemble(
    source: str,
    cite: SourceRef,
    titles: Mapping[str, str],
    indicators: Sequence[Indicator],
    scale: tuple[IndicatorScaleLevel, ...],
    scale_cite: SourceRef,
) -> IndicatorCatalog:
    groups = tuple(
        IndicatorGroup(code, titles[code], tuple(i for i in indicators if i.group == code))
        for code in INDICATOR_GROUPS
    )
    return IndicatorCatalog(source, cite, groups, scale, scale_cite)


def _apply_indicator_override(base: IndicatorCatalog, node: _Node) -> IndicatorCatalog:
    top = node.mapping(["indicators"], [k for k in _INDICATOR_TOP if k != "indicators"])
    official = top["official"].boolean() if "official" in top else True
    source = top["source"].text() if "source" in top else node.file
    cite = top["cite"].citation() if "cite" in top else base.cite
    titles = {g.code: g.title for g in base.groups}
    if "groups" in top:
        titles = _indicator_groups(top["groups"])
    scale, scale_cite = base.scale, base.scale_cite
    if "scale" in top:
        new_scale, new_cite = _indicator_scale(top["scale"])
        scale, scale_cite = new_scale, new_cite or base.scale_cite
    by_number = {ind.number: ind for ind in base.indicators}
    seen: set[int] = set()
    for item in top["indicators"].items():
        entry = item.mapping(["number", "text"], [k for k in _INDICATOR_KEYS if k != "text"])
        number = entry["number"].integer()
        if not 1 <= number <= INDICATOR_COUNT:
            entry["number"].fail(f"indicator numbers run from 1 to {INDICATOR_COUNT}, got {number}")
        if number in seen:
            entry["number"].fail(f"indicator {number} is given twice")
        seen.add(number)
        if "group" in entry and entry["group"].string() != _expected_group(number):
            entry["group"].fail(
                f"indicator {number} belongs to group {_expected_group(number)}, "
                f"got {entry['group'].string()!r}"
            )
        confidence, verified = _check_confidence(entry, "official" if official else "inferred")
        old = by_number[number]
        by_number[number] = Indicator(
            number=number,
            group=old.group,
            label=entry["label"].text() if "label" in entry else old.label,
            text=entry["text"].text(),
            verified=verified,
            confidence=confidence,
            official=official,
        )
    indicators = [by_number[n] for n in range(1, INDICATOR_COUNT + 1)]
    return _assemble(source, cite, titles, indicators, scale, scale_cite)


@cache
def _indicators(key: _FileKey | None) -> IndicatorCatalog:
    base = _base_indicators(_package_file("indicators.yaml"))
    if key is None:
        return base
    return _apply_indicator_override(base, _user_file(key))


def load_indicators(path: Path | None = None) -> IndicatorCatalog:
    """The 27 indicators; with `path`, texts replaced by number from that override file."""
    return _indicators(_file_key(path))


# ---- scales and forms ------------------------------------------------------------------------


def _named_codes(
    node: _Node, expected: Sequence[str], extra: Sequence[str] = ()
) -> list[dict[str, _Node]]:
    items = node.items()
    codes = []
    entries = []
    for item in items:
        entry = item.mapping(["code", "name", *extra])
        code = entry["code"].string()
        codes.append(code)
        entries.append(entry)
    if codes != list(expected):
        node.fail(f"expected the codes {', '.join(expected)} in this order, got {', '.join(codes)}")
    return entries


@cache
def load_scales() -> Scales:
    """Vietnamese names of grades, levels, task statuses and member kinds."""
    top = _package_file("scales.yaml").mapping(["grades", "levels", "task_statuses", "kinds"])
    grades_top = top["grades"].mapping(["items", "cite"])
    grades = tuple(
        GradeName(Grade(e["code"].string()), e["name"].text())
        for e in _named_codes(grades_top["items"], [g.value for g in Grade])
    )
    levels = tuple(
        LevelName(Level(e["code"].string()), e["name"].text())
        for e in _named_codes(top["levels"], [lv.value for lv in Level.determined()])
    )
    statuses = tuple(
        TaskStatusName(TaskStatus(e["code"].string()), e["name"].text(), e["description"].text())
        for e in _named_codes(
            top["task_statuses"], [s.value for s in TaskStatus], extra=["description"]
        )
    )
    kinds = tuple(
        KindName(MemberKind(e["code"].string()), e["name"].text())
        for e in _named_codes(top["kinds"], [k.value for k in MemberKind])
    )
    return Scales(grades, grades_top["cite"].citation(), levels, statuses, kinds)


def _form(node: _Node, *, allow_extra: bool) -> tuple[Form, ...]:
    fields = node.mapping(["code", "title", "cite"], ["extra"] if allow_extra else ())
    main = Form(fields["code"].text(), fields["title"].text(), fields["cite"].citation())
    extra: list[Form] = []
    if "extra" in fields:
        for item in fields["extra"].items():
            extra.extend(_form(item, allow_extra=False))
    return (main, *extra)


@cache
def load_forms() -> Forms:
    """The form sections II–VI and the self-review form(s) of each rulebook and member kind."""
    top = _package_file("forms.yaml").mapping(["sections", "forms"])
    sections_top = top["sections"].mapping(["cite", "items"])
    expected = ("II", "III", "IV", "V", "VI")
    items = sections_top["items"].items()
    if len(items) != len(expected):
        sections_top["items"].fail(
            f"expected the sections {', '.join(expected)}, got {len(items)} sections"
        )
    sections: list[Section] = []
    for number, item in zip(expected, items, strict=True):
        entry = item.mapping(["number", "id", "title", "guidance", "optional"])
        if entry["number"].string() != number:
            entry["number"].fail(f"expected section {number}, got {entry['number'].value!r}")
        sections.append(
            Section(
                number=number,
                id=entry["id"].ident(),
                title=entry["title"].text(),
                guidance=entry["guidance"].text(),
                optional=entry["optional"].boolean(),
            )
        )
    _no_duplicates([(s.id, items[i]) for i, s in enumerate(sections)])
    forms: dict[tuple[Rulebook, MemberKind], tuple[Form, ...]] = {}
    per_rulebook = top["forms"].mapping([rb.value for rb in Rulebook])
    for rulebook in Rulebook:
        per_kind = per_rulebook[rulebook.value].mapping([k.value for k in MemberKind])
        for kind in MemberKind:
            forms[(rulebook, kind)] = _form(per_kind[kind.value], allow_extra=True)
    return Forms(tuple(sections), sections_top["cite"].citation(), forms)


def _no_duplicates(ids: Sequence[tuple[str, _Node]]) -> None:
    seen: set[str] = set()
    for item_id, node in ids:
        if item_id in seen:
            node.fail(f"duplicate id {item_id!r}")
        seen.add(item_id)


# ---- criteria (2019, 2023) ---------------------------------------------------------------------


def _criterion(node: _Node) -> Criterion:
    entry = node.mapping(
        ["id", "title", "task_result", "prompts", "cite"], ["section", "notes", "optional"]
    )
    return Criterion(
        id=entry["id"].ident(),
        title=entry["title"].text(),
        prompts=entry["prompts"].texts(),
        notes=entry["notes"].texts(non_empty=False) if "notes" in entry else (),
        task_result=entry["task_result"].boolean(),
        optional=entry["optional"].boolean() if "optional" in entry else False,
        section=entry["section"].string() if "section" in entry else None,
        cite=entry["cite"].citation(),
    )


def _criteria_list(node: _Node) -> tuple[Criterion, ...]:
    items = node.items()
    criteria = tuple(_criterion(item) for item in items)
    _no_duplicates([(c.id, items[i].at("id", c.id)) for i, c in enumerate(criteria)])
    if not any(c.task_result for c in criteria):
        node.fail("no criterion has task_result: true (the standards need at least one)")
    if all(c.task_result for c in criteria):
        node.fail("every criterion has task_result: true (the standards need other criteria too)")
    return criteria


@dataclass(frozen=True)
class _KindSpec:
    node: _Node
    same_as: MemberKind | None
    criteria: tuple[Criterion, ...]


def _criteria_file(
    node: _Node, rulebook: Rulebook, *, complete: bool
) -> tuple[str | None, dict[MemberKind, _KindSpec]]:
    top = node.mapping(["rulebook", "kinds"], ["basis"])
    declared = top["rulebook"].value
    if str(declared) != rulebook.value:
        top["rulebook"].fail(f"this file is for rulebook {declared!r}, not {rulebook.value!r}")
    kinds_node = top["kinds"]
    kind_values = [k.value for k in MemberKind]
    kinds = kinds_node.mapping(kind_values if complete else [], [] if complete else kind_values)
    if not kinds:
        kinds_node.fail("expected at least one member kind")
    specs: dict[MemberKind, _KindSpec] = {}
    for value, kind_node in kinds.items():
        entry = kind_node.mapping([], ["criteria", "same_as"])
        if ("criteria" in entry) == ("same_as" in entry):
            kind_node.fail("give exactly one of 'criteria' or 'same_as'")
        if "same_as" in entry:
            target = entry["same_as"].string()
            if target not in kind_values or target == value:
                entry["same_as"].fail(
                    f"same_as must name another member kind ({', '.join(kind_values)})"
                )
            specs[MemberKind(value)] = _KindSpec(kind_node, MemberKind(target), ())
        else:
            specs[MemberKind(value)] = _KindSpec(kind_node, None, _criteria_list(entry["criteria"]))
    basis = top["basis"].text() if "basis" in top else None
    return basis, specs


@cache
def _criteria(
    rulebook: Rulebook, key: _FileKey | None
) -> tuple[str, Mapping[MemberKind, tuple[Criterion, ...]]]:
    name = f"criteria_{rulebook.value}.yaml"
    base_basis, specs = _criteria_file(_package_file(name), rulebook, complete=True)
    if base_basis is None:
        _package_file(name).fail("missing key 'basis'")
    basis = base_basis
    if key is not None:
        override_basis, override = _criteria_file(_user_file(key), rulebook, complete=False)
        specs = {**specs, **override}
        basis = override_basis or basis
    resolved: dict[MemberKind, tuple[Criterion, ...]] = {}
    for kind, spec in specs.items():
        if spec.same_as is None:
            resolved[kind] = spec.criteria
            continue
        target = specs[spec.same_as]
        if target.same_as is not None:
            spec.node.fail(f"same_as {spec.same_as.value!r} points to another same_as")
        resolved[kind] = target.criteria
    return basis, resolved


# ---- points sheets (2025) ----------------------------------------------------------------------


def _points_sheet(
    node: _Node,
    kind: MemberKind,
    groups: tuple[PointsGroupInfo, ...],
    source: str,
) -> PointsSheet:
    fields = node.mapping(["appendix", "cite", "items"])
    sheet_cite = fields["cite"].citation()
    items_node = fields["items"]
    items: list[PointsItem] = []
    nodes = items_node.items()
    for item in nodes:
        entry = item.mapping(["id", "group", "title", "max_points", "prompts"], ["cite"])
        group_value = entry["group"].value
        if group_value not in [g.value for g in PointsGroup]:
            entry["group"].fail(
                f"group must be {' or '.join(g.value for g in PointsGroup)}, got {group_value!r}"
            )
        items.append(
            PointsItem(
                id=entry["id"].ident(),
                group=PointsGroup(str(group_value)),
                title=entry["title"].text(),
                prompts=entry["prompts"].texts(),
                max_points=entry["max_points"].points(),
                cite=entry["cite"].citation() if "cite" in entry else sheet_cite,
            )
        )
    _no_duplicates([(it.id, nodes[i].at("id", it.id)) for i, it in enumerate(items)])
    sheet = PointsSheet(kind, fields["appendix"].text(), source, sheet_cite, groups, tuple(items))
    for group in PointsGroup:
        got = sheet.group_max(group)
        if got != group.max_points:
            items_node.fail(
                f"the {group.value} items sum to {_show(got)} points, expected {group.max_points} "
                "(Quy định 366-QĐ/TW Điều 10: general 30 + task results 70)"
            )
    return sheet


def _show(points: Fraction) -> str:
    if points.denominator == 1:
        return str(points.numerator)
    return str(float(points))


def _points_groups(node: _Node) -> tuple[PointsGroupInfo, ...]:
    fields = node.mapping([g.value for g in PointsGroup])
    infos: list[PointsGroupInfo] = []
    for group in PointsGroup:
        entry = fields[group.value].mapping(["title", "max_points"])
        max_points = entry["max_points"].points()
        if max_points != group.max_points:
            entry["max_points"].fail(
                f"the {group.value} group has {group.max_points} points "
                f"(Quy định 366-QĐ/TW Điều 10), got {_show(max_points)}"
            )
        infos.append(PointsGroupInfo(group, entry["title"].text(), max_points))
    return tuple(infos)


def _points_file(
    node: _Node, *, complete: bool, groups: tuple[PointsGroupInfo, ...] | None
) -> tuple[str | None, tuple[PointsGroupInfo, ...], dict[MemberKind, PointsSheet]]:
    required = ["rulebook", "sheets"] + (["basis", "source", "groups"] if complete else [])
    optional = [] if complete else ["basis", "source", "groups"]
    top = node.mapping(required, optional)
    declared = top["rulebook"].value
    if str(declared) != Rulebook.R2025.value:
        top["rulebook"].fail(f"points sheets belong to rulebook '2025', got {declared!r}")
    if "groups" in top:
        groups = _points_groups(top["groups"])
    if groups is None:  # pragma: no cover - the packaged file always has them
        top["sheets"].fail("missing key 'groups'")
    source = top["source"].text() if "source" in top else node.file
    kind_values = [k.value for k in MemberKind]
    sheets_node = top["sheets"].mapping(
        kind_values if complete else [], [] if complete else kind_values
    )
    if not sheets_node:
        top["sheets"].fail("expected at least one member kind")
    sheets = {
        MemberKind(value): _points_sheet(sheet_node, MemberKind(value), groups, source)
        for value, sheet_node in sheets_node.items()
    }
    basis = top["basis"].text() if "basis" in top else None
    return basis, groups, sheets


@cache
def _points(key: _FileKey | None) -> tuple[str, Mapping[MemberKind, PointsSheet]]:
    basis, groups, sheets = _points_file(
        _package_file("points_2025.yaml"), complete=True, groups=None
    )
    if basis is None:  # pragma: no cover - required above
        raise CatalogError("points_2025.yaml: missing key 'basis'")
    if key is not None:
        override_basis, _, override = _points_file(_user_file(key), complete=False, groups=groups)
        sheets = {**sheets, **override}
        basis = override_basis or basis
    return basis, sheets


# ---- the catalogue ---------------------------------------------------------------------------


def load_catalog(
    rulebook: Rulebook, kind: MemberKind, *, overrides: CatalogOverrides | None = None
) -> Catalog:
    """Everything a member of `kind` rates against under `rulebook`, validated and cached.

    Raises `CatalogError` (a `ValueError`) naming the file and key when a file is invalid.
    """
    overrides = overrides or CatalogOverrides()
    rulebook = Rulebook(rulebook)
    kind = MemberKind(kind)
    if rulebook is Rulebook.R2025 and overrides.criteria_file is not None:
        raise CatalogError(
            f"{overrides.criteria_file}: rulebook 2025 rates points, not criteria: "
            "give a points sheet file (points_file) instead"
        )
    if rulebook is not Rulebook.R2025 and overrides.points_file is not None:
        raise CatalogError(
            f"{overrides.points_file}: points sheets belong to rulebook 2025, not "
            f"{rulebook.value}: give a criteria file (criteria_file) instead"
        )
    return _catalog(
        rulebook,
        kind,
        _file_key(overrides.indicators_file),
        _file_key(overrides.criteria_file),
        _file_key(overrides.points_file),
    )


@cache
def _catalog(
    rulebook: Rulebook,
    kind: MemberKind,
    indicators_key: _FileKey | None,
    criteria_key: _FileKey | None,
    points_key: _FileKey | None,
) -> Catalog:
    forms = load_forms().for_(rulebook, kind)
    criteria: tuple[Criterion, ...] = ()
    points: PointsSheet | None = None
    if rulebook is Rulebook.R2025:
        basis, sheets = _points(points_key)
        points = sheets[kind]
    else:
        basis, per_kind = _criteria(rulebook, criteria_key)
        criteria = per_kind[kind]
    return Catalog(
        rulebook=rulebook,
        kind=kind,
        basis=basis,
        form=forms[0],
        extra_forms=forms[1:],
        criteria=criteria,
        points=points,
        indicators=_indicators(indicators_key),
        scales=load_scales(),
        sections=load_forms().sections,
    )


def iter_texts(catalog: Catalog) -> Iterator[str]:
    """Every user-facing string of a catalogue (for checks such as NFC normalisation)."""
    yield catalog.basis
    for form in (catalog.form, *catalog.extra_forms):
        yield from (form.code, form.title, form.cite.document, form.cite.article)
    for crit in catalog.criteria:
        yield from (crit.title, *crit.prompts, *crit.notes, crit.cite.document, crit.cite.article)
    if catalog.points is not None:
        yield from (catalog.points.appendix, catalog.points.source)
        yield from (g.title for g in catalog.points.groups)
        for item in catalog.points.items:
            yield from (item.title, *item.prompts, item.cite.document, item.cite.article)
    ind = catalog.indicators
    yield from (ind.source, ind.cite.document, ind.cite.article)
    for group in ind.groups:
        yield group.title
        for indicator in group.indicators:
            yield from (indicator.label, indicator.text)
    yield from (level.label for level in ind.scale)
    scales = catalog.scales
    yield from (g.name for g in scales.grades)
    yield from (lv.name for lv in scales.levels)
    for status in scales.task_statuses:
        yield from (status.name, status.description)
    yield from (k.name for k in scales.kinds)
    for section in catalog.sections:
        yield from (section.title, section.guidance)
