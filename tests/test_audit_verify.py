"""`kiemdiem audit verify` on SQLite and PostgreSQL: a clean database verifies (exit 0), and
each kind of tampering is reported with exit 1: an audit entry edited (with or without the
encryption key), an entry deleted from the middle, a stored result changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select, text, update

from bot.services.facts import FactService
from bot.services.meetings import MeetingService, parse_counts
from bot.services.results import ResultsService
from bot.storage.db import Database
from bot.storage.models import AuditEntry, Result
from tests.cli import Run, kiemdiem
from tests.factory import make_org, member_line
from tests.secretary.helpers import member_ids

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]
VOTES = ("4 0 0 0", "1 3 0 0", "0 4 0 0", "0 1 3 0")


@dataclass
class Rated:
    url: str
    db: Database
    ids: dict[str, int]
    org_id: int


@pytest.fixture
def rated(db_url: str, db: Database) -> Iterator[Rated]:
    """An organisation voted on, with a fact, and its results computed and stored."""
    org = make_org(db, [member_line(n) for n in NAMES], rulebook="2019", year=2021)
    ids = member_ids(db, org.cell_id)
    meetings = MeetingService(db)
    meetings.open("cli", org.cell_id, date(2021, 12, 10), 4)
    for name, counts in zip(NAMES, VOTES, strict=True):
        meetings.enter_ballot("cli", org.cell_id, ids[name], parse_counts(counts))
    FactService(db).set("cli", ids["Lê Văn Cường"], {"civil_servant_rating": "HTTNV"})
    ResultsService(db).compute("cli", org_id=org.org_id)
    yield Rated(db_url, db, ids, org.org_id)


def _verify(monkeypatch: pytest.MonkeyPatch, r: Rated, *extra: str) -> Run:
    return kiemdiem(monkeypatch, r.url, "audit", "verify", *extra)


def _report(monkeypatch: pytest.MonkeyPatch, r: Rated) -> dict:
    run = _verify(monkeypatch, r, "--json")
    assert run.code in (0, 1) and "Traceback" not in run.err, run.err
    data = json.loads(run.out)
    assert data["ok"] == (run.code == 0)
    return data


def _middle_entry(db: Database) -> int:
    with db.session() as s:
        ids = s.execute(select(AuditEntry.id).order_by(AuditEntry.id)).scalars().all()
    assert len(ids) >= 5
    return ids[len(ids) // 2]


def _sql(db: Database, sql: str, **params: object) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_a_clean_database_verifies(monkeypatch: pytest.MonkeyPatch, rated: Rated) -> None:
    run = _verify(monkeypatch, rated)
    assert run.code == 0, run.out + run.err
    assert "Không thấy sai lệch" in run.out and "đã tính lại 4 kết quả" in run.out
    data = _report(monkeypatch, rated)
    assert data["results_checked"] == 4 and data["periods_checked"] == 1
    assert data["entries"] > 10 and len(data["head"]) == 64
    assert data["chain"] == data["results"] == data["periods"] == []
    # A change of a reason's wording (templates/reasons.yaml) is not a change of result.
    with rated.db.session() as s:
        binh = rated.ids["Trần Thị Bình"]
        row = s.execute(select(Result).where(Result.member_id == binh)).scalar_one()
        payload = json.loads(json.dumps(row.payload))
        payload["reasons"][0]["text"] = "Lời lẽ khác"
        row.payload = payload
    assert _verify(monkeypatch, rated).code == 0


def test_an_edited_entry_is_reported(monkeypatch: pytest.MonkeyPatch, rated: Rated) -> None:
    entry = _middle_entry(rated.db)
    # Someone holding the database (and the key) rewrites what an entry says.
    with rated.db.engine.begin() as conn:
        conn.execute(
            update(AuditEntry.__table__)
            .where(AuditEntry.__table__.c.id == entry)
            .values(new={"votes": {"HTXSNV": 4}})
        )
    data = _report(monkeypatch, rated)
    assert [(p["entry_id"], p["kind"]) for p in data["chain"]] == [(entry, "changed")]
    run = _verify(monkeypatch, rated)
    assert run.code == 1 and f"Mục #{entry}" in run.out and "đã bị sửa" in run.out


def test_an_entry_edited_in_plain_sql_is_reported(
    monkeypatch: pytest.MonkeyPatch, rated: Rated
) -> None:
    first, second = _middle_entry(rated.db), _middle_entry(rated.db) + 1
    _sql(rated.db, "UPDATE audit_log SET actor = 'office' WHERE id = :i", i=first)
    # The stored old/new are encrypted: an edit without the key cannot be read back at all.
    _sql(rated.db, "UPDATE audit_log SET new = :v WHERE id = :i", v='{"x": 1}', i=second)
    data = _report(monkeypatch, rated)
    kinds = {p["entry_id"]: p["kind"] for p in data["chain"]}
    assert kinds[first] == "changed" and kinds[second] in ("unreadable", "changed")
    assert set(kinds) == {first, second}


def test_a_deleted_entry_is_reported(monkeypatch: pytest.MonkeyPatch, rated: Rated) -> None:
    entry = _middle_entry(rated.db)
    _sql(rated.db, "DELETE FROM audit_log WHERE id = :i", i=entry)
    data = _report(monkeypatch, rated)
    assert [(p["entry_id"], p["kind"]) for p in data["chain"]] == [(entry + 1, "unlinked")]
    run = _verify(monkeypatch, rated)
    assert run.code == 1 and "mục trước đã bị xóa" in run.out


def test_a_changed_result_is_reported(monkeypatch: pytest.MonkeyPatch, rated: Rated) -> None:
    binh, dung = rated.ids["Trần Thị Bình"], rated.ids["Phạm Thị Dung"]
    with rated.db.session() as s:
        levels = {
            r.member_id: (r.proposed, r.final) for r in s.execute(select(Result)).scalars()
        }
    assert levels[binh][1] != "KHTNV"
    # The level in the table, behind the services' back.
    _sql(rated.db, "UPDATE results SET proposed = 'KHTNV', final = 'KHTNV' WHERE member_id = :m",
         m=binh)  # fmt: skip
    # Only the stored entry (the reasons shown to people), the levels untouched.
    with rated.db.session() as s:
        row = s.execute(select(Result).where(Result.member_id == dung)).scalar_one()
        row.payload = dict(row.payload, vote_level="HTXSNV", flags=[])
    data = _report(monkeypatch, rated)
    assert data["chain"] == []
    found = {(p["member_id"], p["kind"]): p for p in data["results"]}
    assert set(found) == {(binh, "differs"), (binh, "unaudited"), (dung, "differs")}
    differs = found[(binh, "differs")]
    assert differs["stored"] == {"proposed": "KHTNV", "final": "KHTNV"}
    assert differs["expected"] == {"proposed": levels[binh][0], "final": levels[binh][1]}
    assert {"proposed", "final"} <= set(differs["fields"])
    assert "vote_level" in found[(dung, "differs")]["fields"]
    run = _verify(monkeypatch, rated)
    assert run.code == 1 and "Trần Thị Bình" in run.out and "Phạm Thị Dung" in run.out
    # Recomputing through the services puts the results right again (and audits it).
    ResultsService(rated.db).compute("cli", org_id=rated.org_id)
    assert _verify(monkeypatch, rated).code == 0
