"""Storage on a real SQLite file and a real PostgreSQL server: migrations, UTC instants,
constraints, the SQLite pragmas, and the audit chain."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from bot.services import audit
from bot.storage.db import Database, normalise_url
from bot.storage.models import (
    Answer,
    AuditEntry,
    Member,
    Organisation,
    ReviewPeriod,
    SelfReview,
    TelegramAccount,
)


def _cell(db: Database) -> int:
    with db.session() as s:
        root = Organisation(kind="grassroots", name="Đảng bộ xã An Bình")
        s.add(root)
        s.flush()
        cell = Organisation(kind="cell", name="Chi bộ thôn 1", parent_id=root.id)
        s.add(cell)
        s.flush()
        return cell.id


def _member(db: Database, cell_id: int, name: str = "Nguyễn Văn An") -> int:
    with db.session() as s:
        m = Member(
            cell_id=cell_id,
            full_name=name,
            name_key=name.lower(),
            status="official",
            admitted_on=date(2010, 5, 19),
            birth_date=date(1960, 1, 2),
        )
        s.add(m)
        s.flush()
        return m.id


def test_datetimes_come_back_aware_utc(db: Database) -> None:
    cell = _cell(db)
    member = _member(db, cell)
    hanoi = timezone(timedelta(hours=7))
    with db.session() as s:
        s.add(
            TelegramAccount(
                member_id=member,
                telegram_user_id=2**40 + 7,
                chat_id=2**40 + 7,
                linked_at=datetime(2026, 11, 22, 8, 30, tzinfo=hanoi),
            )
        )
    with db.session() as s:
        acc = s.execute(select(TelegramAccount)).scalar_one()
        assert acc.linked_at == datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
        assert acc.linked_at.tzinfo is not None and acc.linked_at.utcoffset() == timedelta(0)
        assert acc.telegram_user_id == 2**40 + 7  # beyond 32 bits: BigInteger


def test_naive_datetime_is_refused(db: Database) -> None:
    cell = _cell(db)
    member = _member(db, cell)
    with pytest.raises(StatementError), db.session() as s:
        s.add(
            TelegramAccount(
                member_id=member, telegram_user_id=1, chat_id=1, linked_at=datetime(2026, 1, 1)
            )
        )


def test_answers_are_unique_per_question_and_rolled_back_on_error(db: Database) -> None:
    cell = _cell(db)
    member = _member(db, cell)
    with db.session() as s:
        p = ReviewPeriod(organisation_id=cell, year=2026, rulebook="2025", plan={})
        s.add(p)
        s.flush()
        r = SelfReview(period_id=p.id, member_id=member)
        s.add(r)
        s.flush()
        s.add(Answer(review_id=r.id, question="c1", value="T"))
        review_id = r.id
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(Answer(review_id=review_id, question="note", value="kept?"))
        s.flush()
        s.add(Answer(review_id=review_id, question="c1", value="XS"))
        s.flush()
    with db.session() as s:
        rows = s.execute(select(Answer.question, Answer.value)).all()
    assert rows == [("c1", "T")]  # the whole failed unit of work left nothing behind


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(Member(cell_id=9999, full_name="X", name_key="x", status="official"))
        s.flush()


def test_one_telegram_account_per_member(db: Database) -> None:
    cell = _cell(db)
    member = _member(db, cell)
    with db.session() as s:
        s.add(TelegramAccount(member_id=member, telegram_user_id=11, chat_id=11))
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(TelegramAccount(member_id=member, telegram_user_id=12, chat_id=12))


def test_audit_chain_detects_tampering(db: Database) -> None:
    with db.session() as s:
        for i in range(3):
            audit.record(
                s,
                actor="cli",
                entity="fact",
                entity_id=i,
                action="set",
                old=None,
                new={"sick_leave_months": i, "name": "Trần Văn Đức"},
            )
    with db.session() as s:
        assert audit.verify_chain(s) == []
        second = s.execute(
            select(AuditEntry).order_by(AuditEntry.id).offset(1).limit(1)
        ).scalar_one()
        second.new = {"sick_leave_months": 99}
        bad_id = second.id
    with db.session() as s:
        assert audit.verify_chain(s) == [bad_id]


def test_sqlite_pragmas(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    db.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///a.db", "sqlite:///a.db"),
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql+psycopg://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("sqlite+aiosqlite:///a.db", "sqlite:///a.db"),
    ],
)
def test_plain_urls_get_our_driver(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


def test_migrations_reach_every_table(db: Database) -> None:
    from bot.storage.models import Base

    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            names = {
                r[0]
                for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            }
        else:
            names = {
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT table_name FROM information_schema.tables"
                        " WHERE table_schema = current_schema()"
                    )
                )
            }
    assert set(Base.metadata.tables) <= names
    assert "alembic_version" in names
