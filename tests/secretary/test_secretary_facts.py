"""Facts at the service level, on a real database: how typed values are read, nested keys,
unsetting, the audit, and that the service accepts exactly what `rate_document` accepts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.batch import InputErrors, rate_document
from bot.services.errors import UserError
from bot.services.facts import FactService, merge, parse_assignments, parse_value
from bot.storage.db import Database
from bot.storage.models import AuditEntry, Fact
from tests.factory import make_org, member_line
from tests.secretary.helpers import member_ids


def _member(db: Database, rulebook: str) -> int:
    year = {"2019": 2021, "2023": 2023, "2025": 2025}[rulebook]
    org = make_org(db, [member_line("Nguyễn Văn An")], rulebook=rulebook, year=year)
    return member_ids(db, org.cell_id)["Nguyễn Văn An"]


@pytest.mark.parametrize(
    "key,raw,value",
    [
        ("disciplined", "có", True),
        ("disciplined", "Không", False),
        ("maternity", "true", True),
        ("civil_servant_rating", "httnv", "HTTNV"),
        ("civil_servant_rating", "Hoàn thành tốt nhiệm vụ", "HTTNV"),
        ("sick_leave_months", "4", 4),
        ("sick_leave_months", "4,5", 4.5),
        ("targets_done_pct", "27.5", 27.5),
        ("tasks.total", "10", 10),
        ("tasks.total", "2,5", "2,5"),  # not whole: left for the engine to refuse
        ("head_of.exception", "transferred_in", "transferred_in"),
        ("head_of.exception", "không", None),
        ("sick_leave_months", "", None),
        ("disciplined", "maybe", "maybe"),
    ],
)
def test_values_are_read_by_the_keys_type(key: str, raw: str, value: object) -> None:
    assert parse_value(key, raw) == value


def test_assignments_need_key_equals_value() -> None:
    assert parse_assignments(["A=1", " tasks.total = 3 ", "x="]) == {
        "a": "1",
        "tasks.total": "3",
        "x": "",
    }
    with pytest.raises(UserError) as e:
        parse_assignments(["sick_leave_months"])
    assert e.value.code == "fact_bad_assignment"


def test_set_nested_unset_and_audit(db: Database) -> None:
    mid = _member(db, "2019")
    svc = FactService(db)
    view = svc.set(
        "cli",
        mid,
        {
            "civil_servant_rating": "HTTNV",
            "head_of.collective_rating": "HTNV",
            "head_of.exception": "transferred_in",
            "sick_leave_months": "3",
        },
    )
    assert view.facts == {
        "civil_servant_rating": "HTTNV",
        "head_of": {"collective_rating": "HTNV", "exception": "transferred_in"},
        "sick_leave_months": 3,
    }
    view = svc.set("cli", mid, {"head_of.exception": "", "disciplined": "có"})
    assert view.facts["head_of"] == {"collective_rating": "HTNV"}
    assert view.changed == {
        "disciplined": (None, True),
        "head_of": (
            {"collective_rating": "HTNV", "exception": "transferred_in"},
            {"collective_rating": "HTNV"},
        ),
    }
    view = svc.unset("cli", mid, ["sick_leave_months", "head_of"])
    assert view.facts == {"civil_servant_rating": "HTTNV", "disciplined": True}
    assert svc.get("cli", mid).facts == view.facts
    with db.session() as s:
        keys = sorted(f.key for f in s.execute(select(Fact)).scalars())
        assert keys == ["civil_servant_rating", "disciplined"]
        audit = (
            s.execute(
                select(AuditEntry).where(AuditEntry.entity == "facts").order_by(AuditEntry.id)
            )
            .scalars()
            .all()
        )
        assert len(audit) == 3
        assert audit[-1].old == {"head_of": {"collective_rating": "HTNV"}, "sick_leave_months": 3}
        assert audit[-1].new == {"head_of": None, "sick_leave_months": None}
    assert svc.set("cli", mid, {"disciplined": "có"}).changed == {}  # nothing new: no entry


@pytest.mark.parametrize(
    "rulebook,values,phrase",
    [
        ("2019", {"tasks.total": "10"}, "chỉ dùng với bộ quy định 2025"),
        ("2025", {"tasks.total": "10"}, "còn thiếu số nhiệm vụ hoàn thành đúng hạn"),
        (
            "2025",
            {"tasks.total": "10", "tasks.on_time": "8", "tasks.late": "1", "tasks.not_done": "0"},
            "đúng hạn 8 + chậm 1 + chưa hoàn thành 0 phải bằng tổng số 10",
        ),
        (
            "2025",
            {"prior_shortcomings.total": "2", "prior_shortcomings.fixed": "3"},
            "số hạn chế đã khắc phục (3) nhiều hơn tổng số hạn chế (2)",
        ),
        ("2019", {"sick_leave_months": "13"}, "số tháng nghỉ ốm phải từ 0 đến 12, đã nhập «13»"),
        ("2019", {"disciplined": "maybe"}, "chỉ nhận có hoặc không, đã nhập «maybe»"),
        ("2019", {"civil_servant_rating": "giỏi"}, "không nhận giá trị «giỏi»"),
        ("2019", {"head_of.exception": "transferred_in"}, "còn thiếu mức xếp loại của tập thể"),
        ("2023", {"targets_exceeded_pct": "abc"}, "phải là một số, đã nhập «abc»"),
    ],
)
def test_facts_the_engine_refuses_are_refused_and_nothing_stored(
    db: Database, rulebook: str, values: dict[str, str], phrase: str
) -> None:
    mid = _member(db, rulebook)
    with pytest.raises(UserError) as e:
        FactService(db).set("cli", mid, values)
    assert e.value.code == "facts_invalid"
    assert phrase in e.value.message(), e.value.message()
    with db.session() as s:
        assert s.execute(select(Fact)).first() is None


def test_unknown_keys_list_the_known_ones(db: Database) -> None:
    mid = _member(db, "2019")
    for key in ("sick_leave", "tasks.done", "head.of"):
        with pytest.raises(UserError) as e:
            FactService(db).set("cli", mid, {key: "1"})
        assert e.value.code == "fact_unknown_key"
        assert "sick_leave_months" in e.value.message() and "tasks.on_time" in e.value.message()


SAMPLES: list[dict[str, Any]] = [
    {"sick_leave_months": 2.5},
    {"sick_leave_months": 12.5},
    {"tasks": {"total": 4, "on_time": 2, "late": 1, "not_done": 1, "exceeded": 3}},
    {"tasks": {"total": 4, "on_time": 2, "late": 1, "not_done": 1, "exceeded": 1}},
    {"head_of": {"collective_rating": "HTTNV", "exception": "new_head_under_3_months"}},
    {"head_of": {"exception": "new_head_under_3_months"}},
    {"violated_prohibitions": True, "discipline_self_remedied": True},
    {"targets_done_pct": 101},
    {"prior_shortcomings": {"total": 0, "fixed": 0}},
]


@pytest.mark.parametrize("facts", SAMPLES)
@pytest.mark.parametrize("rulebook", ["2019", "2025"])
def test_the_service_accepts_exactly_what_the_batch_accepts(
    db: Database, rulebook: str, facts: dict[str, Any]
) -> None:
    doc = {
        "rulebook": rulebook,
        "as_of": "2025-12-20",
        "members": [{"id": "m", "status": "official", "admitted_on": "2000-01-01", "facts": facts}],
    }
    try:
        rate_document(doc)
        batch_ok = True
    except InputErrors:
        batch_ok = False
    mid = _member(db, rulebook)
    flat = {}
    for k, v in facts.items():
        if isinstance(v, dict):
            flat.update({f"{k}.{sub}": x for sub, x in v.items()})
        else:
            flat[k] = v
    try:
        FactService(db).set("cli", mid, flat)
        service_ok = True
    except UserError:
        service_ok = False
    assert service_ok == batch_ok
    assert merge({}, {k: v for k, v in flat.items()}) == facts
