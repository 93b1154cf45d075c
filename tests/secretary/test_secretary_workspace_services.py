"""The workspace's services on a real SQLite file and a real PostgreSQL: the residence's feedback
(its summary, its way into the results and the CSV, the encrypted remark, who may answer), the
role an invite carries, the facts the chat offers, and migration 0002 both ways."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from bot.documents.summary import _wrapped
from bot.rules.levels import Rulebook
from bot.sandbox.postgres import scratch_schema
from bot.services.errors import UserError
from bot.services.facts import ALL_KEYS, NESTED
from bot.services.facts_chat import FACTS, parse_typed
from bot.services.invites import InviteService
from bot.services.org import OrgService
from bot.services.reports import ReportService
from bot.services.residence import ResidenceService, residence_summary
from bot.services.results import ResultsService
from bot.storage.db import Database, alembic_config, upgrade
from bot.storage.models import AuditEntry, Member, ResidenceFeedback, Role
from tests.factory import make_org, member_line


@pytest.mark.parametrize(
    "answers,expected",
    [
        ({str(q): 1 for q in range(1, 7)}, "Biểu dương; 5/5 nội dung mức cao nhất"),
        (
            {"1": 3, "2": 2, "3": 3, "4": 1, "5": 2, "6": 3},
            "Đề nghị xem xét xử lý; 1/5 nội dung mức cao nhất; chưa nêu gương; không tham gia họp",
        ),
        (
            {"1": 2, "2": 2, "3": 2, "4": 2, "5": 2, "6": 2},
            "Không đề nghị; 0/5 nội dung mức cao nhất",
        ),
    ],
)
def test_residence_summary(answers: dict[str, int], expected: str) -> None:
    assert residence_summary(answers) == expected


def test_the_chat_offers_every_fact_the_cli_sets() -> None:
    offered = {f.key for f in FACTS}
    # tasks and last year's shortcomings are typed whole (the engine only accepts them whole)
    expanded = {k for k in ALL_KEYS if k.partition(".")[0] not in ("tasks", "prior_shortcomings")}
    assert offered - {"tasks", "prior_shortcomings"} == expanded
    assert {"tasks", "prior_shortcomings"} <= offered and set(NESTED) >= {"tasks", "head_of"}
    by_key = {f.key: f for f in FACTS}
    assert by_key["tasks"].applies(Rulebook.R2025.value)
    assert not by_key["tasks"].applies(Rulebook.R2023.value)
    assert by_key["targets_exceeded_pct"].applies("2023")
    assert not by_key["targets_exceeded_pct"].applies("2019")
    assert by_key["sick_leave_months"].applies("2019")


def test_typed_fact_values() -> None:
    by_key = {f.key: f for f in FACTS}
    assert parse_typed(by_key["tasks"], "10 8 1 1") == {
        "total": 10,
        "on_time": 8,
        "late": 1,
        "not_done": 1,
    }
    assert parse_typed(by_key["prior_shortcomings"], "2, 1") == {"total": 2, "fixed": 1}
    assert parse_typed(by_key["targets_done_pct"], "95,5 %") == "95,5"
    for key, raw in (("tasks", "10 8"), ("tasks", "a b c d"), ("prior_shortcomings", "1 2 3")):
        with pytest.raises(UserError):
            parse_typed(by_key[key], raw)


def test_wrapping_estimate_of_the_summary_rows() -> None:
    assert _wrapped("Nguyễn Thị Phương Thảo", 32) == 1
    assert _wrapped("Biểu dương; 5/5 nội dung mức cao nhất", 24) == 2
    assert _wrapped("", 10) == 1
    assert _wrapped("abcdefghij", 4) == 3


def _world(db: Database) -> tuple[int, int, int, int, int, int]:
    """Cell A (secretary linked, tg 1) with a member; cell B (secretary linked, tg 2)."""
    org = make_org(
        db,
        [member_line("Hoàng Văn Sơn", post="Bí thư chi bộ"), member_line("Lê Thị Thu")],
        other_lines=[member_line("Đinh Văn Tây", post="Bí thư chi bộ")],
        rulebook="2023",
        year=2023,
    )
    invites = InviteService(db)
    a = {x.full_name: x for x in invites.for_cell(org.cell_id)}
    b = {x.full_name: x for x in invites.for_cell(org.other_cell_id)}
    invites.redeem(a["Hoàng Văn Sơn"].code, 1, 1)
    invites.redeem(b["Đinh Văn Tây"].code, 2, 2)
    OrgService(db).grant_role(a["Hoàng Văn Sơn"].member_id, "secretary")
    OrgService(db).grant_role(b["Đinh Văn Tây"].member_id, "secretary")
    return (
        org.org_id,
        org.cell_id,
        org.other_cell_id,
        a["Lê Thị Thu"].member_id,
        a["Hoàng Văn Sơn"].member_id,
        b["Đinh Văn Tây"].member_id,
    )


def test_residence_request_answer_and_results(db: Database) -> None:
    org_id, cell_a, cell_b, thu, _son, _tay = _world(db)
    svc = ResidenceService(db)
    out = svc.request(1, thu, cell_b)
    assert [r.chat_id for r in out.replies if r.chat_id is not None] == [2]  # Tây is asked
    with db.session() as s:
        fid = s.execute(select(ResidenceFeedback.id)).scalar_one()
    # the requester may not answer in the residence's place; the residence may not read
    with pytest.raises(UserError) as e:
        svc.answer(1, fid, 1, 1)
    assert e.value.code == "residence_not_yours"
    with pytest.raises(UserError) as e:
        svc.card(2, thu)
    assert e.value.code == "not_your_cell"
    for q, choice in ((1, 1), (2, 1), (3, 1), (4, 2), (5, 1), (6, 1)):
        svc.answer(2, fid, q, choice)
    # a choice for a question already passed changes nothing
    stale = svc.answer(2, fid, 2, 3)
    assert stale.alert and "Câu 7/7" in stale.replies[0].text
    with pytest.raises(UserError) as e:  # too long a remark: refused, still waiting for it
        svc.on_text(2, f"residence:{fid}", "dài " * 400)
    assert e.value.code == "residence_too_long"
    with db.session() as s:
        row = s.get(ResidenceFeedback, fid)
        assert row is not None and (row.status, row.cursor, row.other) == ("requested", 7, "")
    done = svc.on_text(2, f"residence:{fid}", "Sinh hoạt đều, gương mẫu ở khu dân cư")
    # the requester is told
    assert [r.chat_id for r in done.replies if r.chat_id is not None] == [1]
    with db.session() as s:
        row = s.get(ResidenceFeedback, fid)
        assert row is not None and row.status == "answered"
        assert row.answers == {"1": 1, "2": 1, "3": 1, "4": 2, "5": 1, "6": 1}
        assert row.other == "Sinh hoạt đều, gương mẫu ở khu dân cư"
        raw = s.execute(text("SELECT other FROM residence_feedback")).scalar_one()
        assert raw.startswith("gAAAA")  # encrypted at rest
        entries = s.execute(select(AuditEntry).where(AuditEntry.entity == "residence")).scalars()
        assert [x.action for x in entries] == ["request", *["answer"] * 6, "complete"]
    # once answered it cannot be answered again
    with pytest.raises(UserError) as e:
        svc.answer(2, fid, 1, 3)
    assert e.value.code == "residence_answered"
    rating = ResultsService(db).compute(1, cell_id=cell_a)
    residence = {r.name: r.residence for r in rating.rows}
    assert residence == {
        "Hoàng Văn Sơn": "",
        "Lê Thị Thu": "Biểu dương; 4/5 nội dung mức cao nhất",
    }
    data = ReportService(db).export_csv("cli", org_id=org_id).data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data), delimiter=";"))
    thu_row = next(r for r in rows if r["Họ và tên"] == "Lê Thị Thu")
    assert thu_row["Nhận xét nơi cư trú"] == "Biểu dương; 4/5 nội dung mức cao nhất"
    # entering again over the answered form asks first, and changes nothing until confirmed
    ask = svc.on_button(1, f"rf:e:{thu}")
    assert "đã trả lời xong" in ask.replies[0].text
    assert [b.data for b in ask.replies[0].buttons[0]] == [f"rf:r:{thu}", f"rf:m:{thu}"]
    with db.session() as s:
        assert s.get(ResidenceFeedback, fid).status == "answered"  # type: ignore[union-attr]
    again = svc.on_button(1, f"rf:r:{thu}")
    assert "Câu 1/7" in again.replies[0].text
    with db.session() as s:
        row = s.get(ResidenceFeedback, fid)
        assert row is not None and (row.status, row.source, row.answers) == ("draft", "cell", {})


def test_a_request_to_a_cell_without_anybody_in_the_bot_stores_nothing(db: Database) -> None:
    org_id, _cell_a, _cell_b, thu, _son, _tay = _world(db)
    empty = OrgService(db).create_cell(org_id, "Chi bộ thôn Nam")
    out = ResidenceService(db).request(1, thu, empty)
    assert "chưa có bí thư hoặc phó bí thư dùng bot" in out.replies[0].text
    assert not any(r.chat_id for r in out.replies)
    with db.session() as s:
        assert s.execute(select(ResidenceFeedback)).first() is None
    # the member's own cell and a cell of another organisation are not residence cells
    other_org = OrgService(db).create_org("Đảng bộ phường Tây Sơn")
    far = OrgService(db).create_cell(other_org, "Chi bộ khu phố 1")
    for cell in (_cell_a, far):
        with pytest.raises(UserError) as e:
            ResidenceService(db).request(1, thu, cell)
        assert e.value.code == "residence_bad_cell"


def test_an_invite_with_a_role_links_and_grants_once(db: Database) -> None:
    _org_id, cell_a, _cell_b, thu, _son, _tay = _world(db)
    invites = InviteService(db)
    with db.session() as s:
        member = s.get(Member, thu)
        assert member is not None
        first = invites.role_invite(s, member, "deputy", actor="member:1")
    with db.session() as s:
        member = s.get(Member, thu)
        assert member is not None
        line = invites.role_invite(s, member, "deputy", actor="member:1")
    with pytest.raises(UserError) as e:
        invites.redeem(first.code, 30, 30)  # only the newest code works
    assert e.value.code == "invite_revoked"
    linked = invites.redeem(line.code, 30, 30)
    assert linked.role == "deputy" and not linked.already
    with db.session() as s:
        roles = [
            (r.role, r.organisation_id)
            for r in s.execute(select(Role).where(Role.member_id == thu)).scalars()
        ]
        assert roles == [("deputy", cell_a)]
    with pytest.raises(UserError) as e:
        invites.redeem(line.code, 31, 31)
    assert e.value.code == "invite_used"
    # the members' own invite list never hands out a code carrying a role
    assert all(x.code not in (first.code, line.code) for x in invites.for_cell(cell_a))


def _tables(url: str) -> set[str]:
    db = Database(url)
    try:
        return set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
    else:
        with scratch_schema(request.getfixturevalue("postgres_server")) as url:
            yield url


def test_migration_0002_up_and_down(empty_url: str) -> None:
    from alembic import command

    upgrade(empty_url, "0002")
    assert "residence_feedback" in _tables(empty_url)
    db = Database(empty_url)
    cols = {c["name"] for c in inspect(db.engine).get_columns("invites")}
    db.dispose()
    assert "role" in cols
    command.downgrade(alembic_config(empty_url), "0001")
    assert "residence_feedback" not in _tables(empty_url)
    upgrade(empty_url, "0002")
    assert "residence_feedback" in _tables(empty_url)
