"""`kiemdiem backup FILE` / `kiemdiem restore FILE` on SQLite and PostgreSQL: back up, change the
data, restore (refused over data without --force), the data is back; a backup taken while the
bot writes is consistent (its audit chain verifies); wrong files and missing tools are refused
with a Vietnamese message."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.services.errors import UserError
from bot.services.facts import FactService
from bot.storage.backup import has_data, pg_tool
from bot.storage.db import Database
from bot.storage.models import AuditEntry, Fact, Member, Organisation
from tests.cli import Run, kiemdiem
from tests.factory import make_org, member_line
from tests.secretary.helpers import member_ids

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]


def _counts(db: Database) -> tuple[int, int, list[str]]:
    with db.session() as s:
        orgs = s.execute(select(func.count(Organisation.id))).scalar_one()
        audit = s.execute(select(func.count(AuditEntry.id))).scalar_one()
        names = sorted(s.execute(select(Member.full_name)).scalars())
        return int(orgs), int(audit), names


def _empty_again(db_url: str, db: Database, tmp_path: Path) -> str:
    """The URL of an empty database to restore into: a new SQLite file, or the same
    PostgreSQL schema dropped and created again (nothing in it, not even the tables)."""
    if db.dialect == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    with db.engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db.dispose()
    return db_url


def test_backup_change_restore(
    db_url: str, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = make_org(db, [member_line(n) for n in NAMES], rulebook="2019", year=2021)
    ids = member_ids(db, org.cell_id)
    FactService(db).set("cli", ids["Lê Văn Cường"], {"sick_leave_months": 4})
    before = _counts(db)
    file = tmp_path / "kiemdiem.backup"

    def run(*args: str, url: str = db_url) -> Run:
        return kiemdiem(monkeypatch, url, *args)

    done = run("backup", str(file), "--json")
    assert done.code == 0, done.err
    info = json.loads(done.out)
    assert info["bytes"] == file.stat().st_size > 0 and info["dialect"] == db.dialect

    # Changes after the backup: a new organisation, a renamed member, a fact removed.
    assert run("org", "create", "Đảng bộ phường Mới").code == 0
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE members SET full_name = 'Đổi Tên' WHERE id = :i"),
                     {"i": ids["Nguyễn Văn An"]})  # fmt: skip
        conn.execute(text("DELETE FROM facts"))
    assert _counts(db) != before

    refused = run("restore", str(file))
    assert refused.code == 2 and "--force" in refused.err and "Traceback" not in refused.err
    assert _counts(db)[0] == before[0] + 1  # nothing was touched

    restored = run("restore", str(file), "--force")
    assert restored.code == 0, restored.err
    assert "Đã khôi phục" in restored.out
    assert _counts(db) == before
    with db.session() as s:
        assert s.execute(select(Fact.key, Fact.value)).all() == [("sick_leave_months", 4)]
    verified = run("audit", "verify")
    assert verified.code == 0, verified.out
    # The bot carries on where the backup left it: new rows, new ids, the chain goes on.
    assert run("org", "create", "Đảng bộ sau khôi phục").code == 0
    assert run("audit", "verify").code == 0

    # Into an empty database no --force is needed.
    fresh = _empty_again(db_url, db, tmp_path)
    assert not has_data(fresh)
    into_empty = run("restore", str(file), url=fresh)
    assert into_empty.code == 0, into_empty.err
    fresh_db = Database(fresh)
    try:
        assert _counts(fresh_db) == before
    finally:
        fresh_db.dispose()


def test_a_backup_while_the_bot_writes_is_consistent(
    db_url: str, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = make_org(db, [member_line(n) for n in NAMES], rulebook="2019", year=2021)
    member = member_ids(db, org.cell_id)["Trần Thị Bình"]
    facts = FactService(db)
    stop, started = threading.Event(), threading.Event()
    writes = [0]

    def writer() -> None:  # audited changes, one transaction after another
        while not stop.is_set():
            facts.set("cli", member, {"sick_leave_months": writes[0] % 6})
            writes[0] += 1
            if writes[0] >= 3:
                started.set()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        assert started.wait(60)
        file = tmp_path / "live.backup"
        assert kiemdiem(monkeypatch, db_url, "backup", str(file)).code == 0
        during = writes[0]
    finally:
        stop.set()
        thread.join(60)
    assert writes[0] >= during >= 3
    fresh = _empty_again(db_url, db, tmp_path)
    assert kiemdiem(monkeypatch, fresh, "restore", str(file)).code == 0
    verified = kiemdiem(monkeypatch, fresh, "audit", "verify", "--json")
    assert verified.code == 0, verified.out
    report = json.loads(verified.out)
    assert report["entries"] > 3 and report["chain"] == []


def test_what_is_not_a_backup_is_refused(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("không phải bản sao lưu", encoding="utf-8")
    for args, phrase in (
        (("restore", str(junk), "--force"), "không phải bản sao lưu của bot"),
        (("restore", str(tmp_path / "missing.backup")), "Không có tệp sao lưu"),
        (("backup", str(tmp_path / "no" / "such" / "dir.backup")), "Thư mục"),
    ):
        run = kiemdiem(monkeypatch, db_url, *args)
        assert run.code == 2 and phrase in run.err and "Traceback" not in run.err, run.err


def test_a_missing_postgresql_tool_is_named() -> None:
    with pytest.raises(UserError) as missing:
        pg_tool("pg_dump_that_does_not_exist")
    message = missing.value.message()
    assert "pg_dump_that_does_not_exist" in message and "postgresql-client" in message
    assert Path(pg_tool("pg_dump")).name == "pg_dump"
