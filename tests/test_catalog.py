"""The catalogues (bot/rules/catalog.py, bot/rules/catalogs/*.yaml) and `kiemdiem catalog`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from fractions import Fraction
from importlib import resources
from pathlib import Path

import pytest
import yaml

from bot.rules import catalog as cat
from bot.rules.catalog import (
    Catalog,
    CatalogError,
    CatalogOverrides,
    PointsGroup,
    TaskStatus,
    iter_texts,
    load_catalog,
    load_forms,
    load_indicators,
    load_scales,
)
from bot.rules.levels import Grade, Level, MemberKind, Rulebook

ROOT = Path(__file__).resolve().parent.parent
ALL = [(rb, kind) for rb in Rulebook for kind in MemberKind]
CALLBACK_SAFE = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def callback_safe(ident: str) -> bool:
    return 1 <= len(ident) <= 8 and ident.isascii() and set(ident) <= CALLBACK_SAFE


# ---- every rulebook and kind -----------------------------------------------------------------


@pytest.mark.parametrize(("rulebook", "kind"), ALL)
def test_every_rulebook_and_kind_loads(rulebook: Rulebook, kind: MemberKind) -> None:
    c = load_catalog(rulebook, kind)
    assert (c.rulebook, c.kind) == (rulebook, kind)
    assert c.basis and c.kind_name and c.form.code.startswith("Mẫu ")
    assert len(c.indicators.indicators) == 27
    assert [s.number for s in c.sections] == ["II", "III", "IV", "V", "VI"]
    if rulebook is Rulebook.R2025:
        assert c.points is not None and c.criteria == ()
    else:
        assert c.points is None and c.criteria
        assert c.task_criterion_ids, "the standards need task-result criteria"
        assert c.task_criterion_ids < {cr.id for cr in c.criteria}, "and other criteria"


@pytest.mark.parametrize(("rulebook", "kind"), ALL)
def test_all_text_is_nfc_vietnamese(rulebook: Rulebook, kind: MemberKind) -> None:
    texts = list(iter_texts(load_catalog(rulebook, kind)))
    assert len(texts) > 60
    for text in texts:
        assert text.strip() == text and text
        assert unicodedata.is_normalized("NFC", text), text


@pytest.mark.parametrize(("rulebook", "kind"), ALL)
def test_ids_fit_in_callback_data(rulebook: Rulebook, kind: MemberKind) -> None:
    c = load_catalog(rulebook, kind)
    ids = [cr.id for cr in c.criteria]
    if c.points is not None:
        ids += [item.id for item in c.points.items]
    ids += [s.id for s in c.sections]
    for ident in ids:
        assert callback_safe(ident), ident
    item_ids = [cr.id for cr in c.criteria] + [i.id for i in (c.points.items if c.points else ())]
    assert len(item_ids) == len(set(item_ids))
    # a realistic answer fits Telegram's 64 bytes: "a:<id>:<option>"
    assert all(len(f"a:{i}:TB".encode()) <= 64 for i in ids)


def test_criteria_ids_per_rulebook_and_kind() -> None:
    def ids(rb: Rulebook, kind: MemberKind) -> list[str]:
        return [c.id for c in load_catalog(rb, kind).criteria]

    assert ids(Rulebook.R2019, MemberKind.NON_LEADER) == ["c1", "c2", "c3"]
    assert ids(Rulebook.R2019, MemberKind.LEADER) == ["c1", "c2", "c3", "c4", "c5"]
    assert ids(Rulebook.R2023, MemberKind.NON_LEADER) == ["c1", "c2", "c3", "c4"]
    assert ids(Rulebook.R2023, MemberKind.LEADER) == ["c1", "c2", "c3", "c4", "c5", "c6", "c7"]
    # DOMAIN.md §4: task-result criteria
    assert load_catalog(Rulebook.R2019, MemberKind.LEADER).task_criterion_ids == {"c2", "c4", "c5"}
    assert load_catalog(Rulebook.R2023, MemberKind.LEADER).task_criterion_ids == {"c2", "c5"}
    assert load_catalog(Rulebook.R2023, MemberKind.NON_LEADER).task_criterion_ids == {"c2"}


@pytest.mark.parametrize("rulebook", [Rulebook.R2019, Rulebook.R2023])
def test_outside_system_uses_the_non_leader_list(rulebook: Rulebook) -> None:
    outside = load_catalog(rulebook, MemberKind.OUTSIDE_SYSTEM)
    assert outside.criteria == load_catalog(rulebook, MemberKind.NON_LEADER).criteria


def test_leaders_keep_the_non_leader_criteria_first() -> None:
    for rb in (Rulebook.R2019, Rulebook.R2023):
        base = load_catalog(rb, MemberKind.NON_LEADER).criteria
        assert load_catalog(rb, MemberKind.LEADER).criteria[: len(base)] == base


def test_every_criterion_is_cited_and_has_prompts() -> None:
    for rb in (Rulebook.R2019, Rulebook.R2023):
        for kind in MemberKind:
            for crit in load_catalog(rb, kind).criteria:
                assert crit.prompts and crit.cite.document and crit.cite.article


# ---- 2025 points sheets ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(MemberKind))
def test_2025_sheets_sum_to_30_and_70(kind: MemberKind) -> None:
    sheet = load_catalog(Rulebook.R2025, kind).points
    assert sheet is not None
    assert sheet.group_max(PointsGroup.GENERAL) == 30
    assert sheet.group_max(PointsGroup.TASKS) == 70
    assert sheet.total_max == 100
    assert all(item.max_points > 0 for item in sheet.items)
    assert sheet.group_title(PointsGroup.GENERAL) == "Nhóm tiêu chí chung"


def test_2025_default_split_follows_domain() -> None:
    def split(kind: MemberKind) -> dict[str, Fraction]:
        sheet = load_catalog(Rulebook.R2025, kind).points
        assert sheet is not None
        return {item.id: item.max_points for item in sheet.items}

    assert split(MemberKind.NON_LEADER) == {"g1": 15, "g2": 10, "g3": 5, "t1": 70}
    assert split(MemberKind.LEADER) == {
        "g1": 6,
        "g2": 6,
        "g3": 10,
        "g4": 4,
        "g5": 4,
        "t1": 30,
        "t2": 25,
        "t3": 15,
    }
    assert split(MemberKind.OUTSIDE_SYSTEM) == {"g1": 20, "g2": 10, "t1": 30, "t2": 20, "t3": 20}
    sheets = {k: load_catalog(Rulebook.R2025, k).points for k in MemberKind}
    assert {k: s.appendix for k, s in sheets.items() if s is not None} == {
        MemberKind.LEADER: "Phụ lục 3",
        MemberKind.NON_LEADER: "Phụ lục 4",
        MemberKind.OUTSIDE_SYSTEM: "Phụ lục 5",
    }


# ---- indicators ------------------------------------------------------------------------------


def test_27_indicators_in_order_nine_per_group() -> None:
    ind = load_indicators()
    assert [i.number for i in ind.indicators] == list(range(1, 28))
    assert [g.code for g in ind.groups] == ["A", "B", "C"]
    for g, group in enumerate(ind.groups):
        assert [i.number for i in group.indicators] == list(range(9 * g + 1, 9 * g + 10))
        assert all(i.group == group.code for i in group.indicators)
    assert [i.code for i in ind.indicators[:3]] == ["A1", "A2", "A3"]
    assert ind.indicator(10).code == "B1" and ind.indicator(27).code == "C9"
    assert ind.groups[0].title == "Suy thoái về tư tưởng chính trị"
    assert ind.groups[1].title == "Suy thoái về đạo đức, lối sống"


def test_verified_only_where_confirmed_by_two_sources() -> None:
    ind = load_indicators()
    verified = {i.number for i in ind.indicators if i.verified}
    # reference/indicators-27.md: A1–A6, B1, C1–C5, C8, C9 fully confirmed (2+)
    assert verified == {1, 2, 3, 4, 5, 6, 10, 19, 20, 21, 22, 23, 26, 27}
    assert all(i.confidence == "2+" for i in ind.indicators if i.verified)
    assert {i.number for i in ind.indicators if i.confidence == "inferred"} == {
        7,
        8,
        9,
        11,
        15,
        17,
        18,
        25,
    }
    assert not any(i.official for i in ind.indicators)
    assert "không phải nguyên văn" in ind.source


def test_indicator_scale_labels() -> None:
    ind = load_indicators()
    assert [(lv.value, lv.label) for lv in ind.scale] == [
        (1, "Không có biểu hiện"),
        (2, "Có biểu hiện nhưng chưa rõ"),
        (3, "Có biểu hiện nhưng không thường xuyên"),
        (4, "Có biểu hiện thường xuyên"),
        (5, "Vi phạm nghiêm trọng, rất nghiêm trọng"),
    ]
    assert ind.scale_label(4) == "Có biểu hiện thường xuyên"


def test_indicator_override_replaces_text_by_number(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "nq04.yaml",
        {
            "source": "Nguyên văn Nghị quyết 04-NQ/TW",
            "indicators": [
                {"number": 7, "text": "Nội dung chính thức của biểu hiện số bảy."},
                {"number": 25, "text": "Nội dung chính thức số 25.", "label": "Đối ngoại"},
            ],
        },
    )
    base = load_indicators()
    ind = load_indicators(path)
    assert ind.indicator(7).text == "Nội dung chính thức của biểu hiện số bảy."
    assert ind.indicator(7).label == base.indicator(7).label
    assert ind.indicator(7).verified and ind.indicator(7).official
    assert ind.indicator(7).confidence == "official"
    assert ind.indicator(25).label == "Đối ngoại"
    assert ind.indicator(8) == base.indicator(8)
    assert [i.number for i in ind.indicators] == list(range(1, 28))
    assert ind.source == "Nguyên văn Nghị quyết 04-NQ/TW"
    # the catalogue picks the override up too
    c = load_catalog(
        Rulebook.R2025, MemberKind.NON_LEADER, overrides=CatalogOverrides(indicators_file=path)
    )
    assert c.indicators.indicator(7).official


def test_override_text_is_normalised_to_nfc(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Bảo thủ, áp đặt ý kiến cá nhân.")
    assert not unicodedata.is_normalized("NFC", nfd)
    path = write(tmp_path, "nfd.yaml", {"indicators": [{"number": 7, "text": nfd}]})
    text = load_indicators(path).indicator(7).text
    assert text == unicodedata.normalize("NFC", nfd)
    assert unicodedata.is_normalized("NFC", text)


def test_full_copy_of_the_packaged_file_is_a_valid_override(tmp_path: Path) -> None:
    text = resources.files("bot.rules.catalogs").joinpath("indicators.yaml").read_text("utf-8")
    ind = load_indicators(write(tmp_path, "copy.yaml", text))
    assert [i.text for i in ind.indicators] == [i.text for i in load_indicators().indicators]
    assert not any(i.official for i in ind.indicators)  # the copy says official: false


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ({"indicators": [{"number": 28, "text": "Văn bản"}]}, ["indicators[0].number", "28"]),
        ({"indicators": [{"number": 0, "text": "Văn bản"}]}, ["indicators[0].number"]),
        (
            {"indicators": [{"number": 3, "text": "Một"}, {"number": 3, "text": "Hai"}]},
            ["indicators[1].number", "twice"],
        ),
        ({"indicators": [{"number": 3, "text": ""}]}, ["indicators[0].text", "non-empty"]),
        ({"indicators": [{"number": 3}]}, ["indicators[0]", "missing key 'text'"]),
        (
            {"indicators": [{"number": 3, "text": "Plain English only"}]},
            ["indicators[0].text", "Vietnamese"],
        ),
        (
            {"indicators": [{"number": 12, "group": "A", "text": "Kê khai"}]},
            ["indicators[0].group", "group B"],
        ),
        (
            {"indicators": [{"number": 3, "txt": "Văn bản", "text": "Văn bản"}]},
            ["unknown key 'txt'"],
        ),
        (
            {
                "indicators": [
                    {"number": 3, "text": "Văn bản", "confidence": "inferred", "verified": True}
                ]
            },
            ["verified", "inferred"],
        ),
        ({"indicators": []}, ["indicators", "non-empty"]),
        ({"indicators": "Văn bản"}, ["indicators", "expected a list"]),
        ({"source": "Nguồn khác"}, ["missing key 'indicators'"]),
        ("- just\n- a list\n", ["top of the file"]),
        ("indicators: [\n", ["not valid YAML", "line"]),
    ],
)
def test_bad_indicator_overrides_are_rejected(
    tmp_path: Path, content: object, fragments: list[str]
) -> None:
    path = write(tmp_path, "bad.yaml", content)
    with pytest.raises(CatalogError) as err:
        load_indicators(path)
    message = str(err.value)
    assert message.startswith(str(path)), message
    for fragment in fragments:
        assert fragment in message, message


def test_missing_override_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read"):
        load_indicators(tmp_path / "nope.yaml")


def test_packaged_indicators_must_keep_official_order() -> None:
    text = resources.files("bot.rules.catalogs").joinpath("indicators.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    data["indicators"][2], data["indicators"][3] = data["indicators"][3], data["indicators"][2]
    node = cat._parse(yaml.safe_dump(data, allow_unicode=True), "indicators.yaml")
    with pytest.raises(CatalogError, match=r"indicators\[2\]\.number: expected indicator 3"):
        cat._base_indicators(node)
    data = yaml.safe_load(text)
    del data["indicators"][26]
    node = cat._parse(yaml.safe_dump(data, allow_unicode=True), "indicators.yaml")
    with pytest.raises(CatalogError, match="expected 27 indicators, got 26"):
        cat._base_indicators(node)


# ---- criteria overrides (2019, 2023) ---------------------------------------------------------


def criterion(ident: str, task: bool) -> dict[str, object]:
    return {
        "id": ident,
        "title": f"Tiêu chí {ident}",
        "task_result": task,
        "prompts": ["Nội dung cần viết."],
        "cite": {"document": "Kế hoạch của Đảng ủy", "article": "mục 2"},
    }


def test_criteria_override_replaces_the_kinds_it_lists(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "plan.yaml",
        {
            "rulebook": "2023",
            "kinds": {"non_leader": {"criteria": [criterion("pc", False), criterion("kq", True)]}},
        },
    )
    overrides = CatalogOverrides(criteria_file=path)
    nl = load_catalog(Rulebook.R2023, MemberKind.NON_LEADER, overrides=overrides)
    assert [c.id for c in nl.criteria] == ["pc", "kq"] and nl.task_criterion_ids == {"kq"}
    # outside_system is `same_as: non_leader`: it follows the plan's list
    out = load_catalog(Rulebook.R2023, MemberKind.OUTSIDE_SYSTEM, overrides=overrides)
    assert out.criteria == nl.criteria
    # leaders are not in the file: defaults stay
    leader = load_catalog(Rulebook.R2023, MemberKind.LEADER, overrides=overrides)
    assert leader.criteria == load_catalog(Rulebook.R2023, MemberKind.LEADER).criteria


@pytest.mark.parametrize(
    ("criteria", "fragments"),
    [
        ([criterion("c1", False), criterion("c1", True)], ["criteria[1].id", "duplicate id 'c1'"]),
        ([criterion("toolongid", True), criterion("c2", False)], ["criteria[0].id", "at most 8"]),
        ([criterion("tiêu", True), criterion("c2", False)], ["criteria[0].id", "ASCII"]),
        ([criterion("C1", True), criterion("c2", False)], ["criteria[0].id"]),
        ([criterion("c1", False), criterion("c2", False)], ["no criterion has task_result"]),
        ([criterion("c1", True)], ["every criterion has task_result"]),
        ([{**criterion("c1", True), "title": ""}], ["criteria[0].title"]),
        ([{**criterion("c1", True), "task_result": "yes"}], ["criteria[0].task_result"]),
        ([{**criterion("c1", True), "prompts": []}], ["criteria[0].prompts", "non-empty"]),
        ([{**criterion("c1", True), "cite": {"document": "X"}}], ["missing key 'article'"]),
    ],
)
def test_bad_criteria_overrides_are_rejected(
    tmp_path: Path, criteria: list[dict[str, object]], fragments: list[str]
) -> None:
    path = write(
        tmp_path, "plan.yaml", {"rulebook": "2019", "kinds": {"leader": {"criteria": criteria}}}
    )
    with pytest.raises(CatalogError) as err:
        load_catalog(
            Rulebook.R2019, MemberKind.LEADER, overrides=CatalogOverrides(criteria_file=path)
        )
    message = str(err.value)
    assert message.startswith(f"{path}: kinds.leader.criteria"), message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (
            {"rulebook": "2023", "kinds": {"leader": {"same_as": "non_leader"}}},
            "for rulebook '2023', not '2019'",
        ),
        ({"rulebook": "2019", "kinds": {}}, "at least one member kind"),
        ({"rulebook": "2019", "kinds": {"boss": {"same_as": "leader"}}}, "unknown key 'boss'"),
        ({"rulebook": "2019", "kinds": {"leader": {"same_as": "leader"}}}, "another member kind"),
        ({"rulebook": "2019", "kinds": {"leader": {}}}, "exactly one of"),
    ],
)
def test_bad_criteria_files_are_rejected(tmp_path: Path, content: object, fragment: str) -> None:
    path = write(tmp_path, "plan.yaml", content)
    with pytest.raises(CatalogError, match=fragment):
        load_catalog(
            Rulebook.R2019, MemberKind.LEADER, overrides=CatalogOverrides(criteria_file=path)
        )


def test_override_files_must_match_the_rulebook(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", {"rulebook": "2025", "sheets": {}})
    with pytest.raises(CatalogError, match="rates points, not criteria"):
        load_catalog(
            Rulebook.R2025, MemberKind.LEADER, overrides=CatalogOverrides(criteria_file=path)
        )
    with pytest.raises(CatalogError, match="belong to rulebook 2025"):
        load_catalog(
            Rulebook.R2019, MemberKind.LEADER, overrides=CatalogOverrides(points_file=path)
        )


# ---- points sheet overrides (2025) -----------------------------------------------------------


def sheet(*items: tuple[str, str, object]) -> dict[str, object]:
    return {
        "appendix": "Phụ lục 4",
        "cite": {"document": "Kế hoạch của Đảng ủy", "article": "Phụ lục"},
        "items": [
            {"id": i, "group": g, "title": f"Mục {i}", "max_points": p, "prompts": ["Nội dung."]}
            for i, g, p in items
        ],
    }


def test_points_override_replaces_a_sheet(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sheet.yaml",
        {
            "rulebook": "2025",
            "source": "Hướng dẫn của Đảng ủy xã",
            "sheets": {
                "non_leader": sheet(
                    ("a", "general", 12.5),
                    ("b", "general", "17,5"),
                    ("t1", "tasks", 40),
                    ("t2", "tasks", 30),
                )
            },
        },
    )
    overrides = CatalogOverrides(points_file=path)
    points = load_catalog(Rulebook.R2025, MemberKind.NON_LEADER, overrides=overrides).points
    assert points is not None
    assert [i.max_points for i in points.items] == [Fraction(25, 2), Fraction(35, 2), 40, 30]
    assert points.group_max(PointsGroup.GENERAL) == 30 and points.total_max == 100
    assert points.source == "Hướng dẫn của Đảng ủy xã"
    leader = load_catalog(Rulebook.R2025, MemberKind.LEADER, overrides=overrides).points
    assert leader == load_catalog(Rulebook.R2025, MemberKind.LEADER).points


@pytest.mark.parametrize(
    ("items", "fragments"),
    [
        ([("a", "general", 20), ("t", "tasks", 70)], ["general items sum to 20", "expected 30"]),
        ([("a", "general", 30), ("t", "tasks", 69.5)], ["tasks items sum to 69.5"]),
        ([("a", "general", 30), ("a", "tasks", 70)], ["items[1].id", "duplicate id 'a'"]),
        ([("a", "general", 30), ("t", "bonus", 70)], ["items[1].group", "general or tasks"]),
        ([("a", "general", 30), ("t", "tasks", 0), ("u", "tasks", 70)], ["more than 0"]),
        ([("a", "general", 30), ("t", "tasks", "bảy mươi")], ["items[1].max_points"]),
        ([("a", "general", 30), ("t", "tasks", True)], ["items[1].max_points"]),
        ([("nhóm_1", "general", 30), ("t", "tasks", 70)], ["items[0].id", "ASCII"]),
    ],
)
def test_bad_points_sheets_are_rejected(
    tmp_path: Path, items: list[tuple[str, str, object]], fragments: list[str]
) -> None:
    path = write(tmp_path, "sheet.yaml", {"rulebook": "2025", "sheets": {"leader": sheet(*items)}})
    with pytest.raises(CatalogError) as err:
        load_catalog(
            Rulebook.R2025, MemberKind.LEADER, overrides=CatalogOverrides(points_file=path)
        )
    message = str(err.value)
    assert message.startswith(f"{path}: sheets.leader.items"), message
    for fragment in fragments:
        assert fragment in message, message


def test_points_group_totals_are_national(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sheet.yaml",
        {
            "rulebook": "2025",
            "groups": {
                "general": {"title": "Nhóm chung", "max_points": 40},
                "tasks": {"title": "Nhóm nhiệm vụ", "max_points": 60},
            },
            "sheets": {"leader": sheet(("a", "general", 40), ("t", "tasks", 60))},
        },
    )
    with pytest.raises(CatalogError, match=r"groups\.general\.max_points.*366"):
        load_catalog(
            Rulebook.R2025, MemberKind.LEADER, overrides=CatalogOverrides(points_file=path)
        )


# ---- scales, forms, caching ------------------------------------------------------------------


def test_scale_names() -> None:
    scales = load_scales()
    assert [scales.grade_name(g) for g in Grade] == ["Xuất sắc", "Tốt", "Trung bình", "Kém"]
    assert scales.level_name(Level.HTXSNV) == "Hoàn thành xuất sắc nhiệm vụ"
    assert scales.level_name(Level.KHTNV) == "Không hoàn thành nhiệm vụ"
    with pytest.raises(KeyError):
        scales.level_name(Level.UNDETERMINED)
    assert {s: scales.task_status_name(s) for s in TaskStatus} == {
        TaskStatus.ON_TIME: "hoàn thành đúng hạn",
        TaskStatus.LATE: "hoàn thành chậm",
        TaskStatus.NOT_DONE: "chưa hoàn thành",
        TaskStatus.EXCEEDED: "vượt",
    }
    assert scales.kind_name(MemberKind.OUTSIDE_SYSTEM) == "Không làm việc trong hệ thống chính trị"


def test_form_codes_and_the_letter_swap() -> None:
    def code(rb: Rulebook, kind: MemberKind) -> str:
        return load_catalog(rb, kind).form.code

    assert {code(Rulebook.R2019, k) for k in MemberKind} == {"Mẫu 02"}
    assert [f.code for f in load_catalog(Rulebook.R2019, MemberKind.LEADER).extra_forms] == [
        "Mẫu 06"
    ]
    assert code(Rulebook.R2023, MemberKind.NON_LEADER) == "Mẫu 02A"
    assert code(Rulebook.R2023, MemberKind.LEADER) == "Mẫu 02B"
    assert code(Rulebook.R2023, MemberKind.OUTSIDE_SYSTEM) == "Mẫu 02A"
    assert code(Rulebook.R2025, MemberKind.LEADER) == "Mẫu 2A"
    assert code(Rulebook.R2025, MemberKind.NON_LEADER) == "Mẫu 2B"
    assert code(Rulebook.R2025, MemberKind.OUTSIDE_SYSTEM) == "Mẫu 2C"


def test_sections_ii_to_vi() -> None:
    sections = load_forms().sections
    assert [(s.number, s.id, s.optional) for s in sections] == [
        ("II", "limits", False),
        ("III", "remedy", False),
        ("IV", "raised", True),
        ("V", "team", True),
        ("VI", "measures", False),
    ]
    assert sections[0].title == "Hạn chế, khuyết điểm và nguyên nhân"


def test_loaded_data_is_cached_and_reloaded_when_the_file_changes(tmp_path: Path) -> None:
    assert load_catalog(Rulebook.R2019, MemberKind.LEADER) is load_catalog(
        Rulebook.R2019, MemberKind.LEADER
    )
    path = write(tmp_path, "w.yaml", {"indicators": [{"number": 1, "text": "Bản thứ nhất."}]})
    assert load_indicators(path) is load_indicators(path)
    write(tmp_path, "w.yaml", {"indicators": [{"number": 1, "text": "Bản thứ hai, dài hơn."}]})
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_indicators(path).indicator(1).text == "Bản thứ hai, dài hơn."


def test_catalog_is_immutable() -> None:
    c: Catalog = load_catalog(Rulebook.R2023, MemberKind.NON_LEADER)
    with pytest.raises(AttributeError):
        c.basis = "x"  # type: ignore[misc]
    assert isinstance(c.criteria, tuple) and isinstance(c.criteria[0].prompts, tuple)
    assert hash(c) == hash(load_catalog(Rulebook.R2023, MemberKind.NON_LEADER))


# ---- the command line ------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "bot", "catalog", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=False,
    )


def test_cli_prints_the_leader_criteria_and_the_indicators() -> None:
    result = run_cli("--rulebook", "2019", "--kind", "leader")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert unicodedata.is_normalized("NFC", out)
    for ident in ("[c1]", "[c2]", "[c3]", "[c4]", "[c5]"):
        assert ident in out
    assert "GIỮ CHỨC VỤ LÃNH ĐẠO, QUẢN LÝ" in out
    assert "Mẫu 06" in out
    assert "Xuất sắc / Tốt / Trung bình / Kém" in out
    assert "27 BIỂU HIỆN" in out
    assert "A. SUY THOÁI VỀ TƯ TƯỞNG CHÍNH TRỊ" in out and "27. " in out
    assert "KHÔNG LÀM VIỆC TRONG HỆ THỐNG CHÍNH TRỊ" not in out  # only the kind asked for


def test_cli_points_sheet_shows_maxima_and_group_sums() -> None:
    result = run_cli("--rulebook", "2025", "--kind", "outside_system")
    assert result.returncode == 0, result.stderr
    assert "Nhóm tiêu chí chung: 30/30 điểm" in result.stdout
    assert "Nhóm tiêu chí về kết quả thực hiện nhiệm vụ: 70/70 điểm" in result.stdout
    assert "tối đa 20 điểm" in result.stdout and "Tổng: 100 điểm" in result.stdout


def test_cli_json() -> None:
    result = run_cli("--rulebook", "2025", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["rulebook"] == "2025"
    assert [c["kind"] for c in data["catalogs"]] == [k.value for k in MemberKind]
    leader = data["catalogs"][1]
    assert leader["form"]["code"] == "Mẫu 2A"
    assert [g["items_sum"] for g in leader["points"]["groups"]] == [30, 70]
    assert leader["points"]["total_max"] == 100
    numbers = [i["number"] for g in data["indicators"]["groups"] for i in g["indicators"]]
    assert numbers == list(range(1, 28))
    result = run_cli("--rulebook", "2019", "--kind", "leader", "--json")
    data = json.loads(result.stdout)
    assert data["catalogs"][0]["task_criteria"] == ["c2", "c4", "c5"]


def test_cli_indicators_file(tmp_path: Path) -> None:
    path = write(tmp_path, "nq04.yaml", {"indicators": [{"number": 9, "text": "Văn bản mới."}]})
    result = run_cli("--rulebook", "2023", "--kind", "leader", "--indicators-file", str(path))
    assert result.returncode == 0, result.stderr
    assert "Văn bản mới." in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("--rulebook", "2020"),
        ("--rulebook", "2025", "--kind", "boss"),
        ("--kind", "leader"),
        ("--rulebook", "2025", "--indicators-file", "/nonexistent/nq04.yaml"),
    ],
)
def test_cli_bad_values_exit_2_without_traceback(args: tuple[str, ...]) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip()


def test_cli_bad_override_file_names_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", {"indicators": [{"number": 30, "text": "Văn bản"}]})
    result = run_cli("--rulebook", "2025", "--indicators-file", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Lỗi" in result.stderr
    assert f"{path}: indicators[0].number" in result.stderr
