"""Data protection: free text encrypted at rest, key rotation, the refusal to run without keys,
`/mydata`, and `kiemdiem erase` (tombstones that keep the audit chain valid)."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.sandbox import TelegramEmulator
from bot.sandbox.demo import make_org, member_line
from bot.sandbox.scripted import bot
from bot.services import audit
from bot.services.errors import UserError
from bot.services.privacy import PrivacyService, encrypted_columns
from bot.services.results import ResultsService
from bot.services.roster import RosterService
from bot.storage import crypto
from bot.storage.db import Database, upgrade
from bot.storage.models import (
    Answer,
    AuditEntry,
    Invite,
    Member,
    Override,
    SelfReview,
    TelegramAccount,
)
from bot.storage.types import utcnow
from tests.access_world import SECRET, World, barrier, build_world, internal_errors
from tests.cli import kiemdiem

NOTE = "Ghi chú riêng tư: đang điều trị tại bệnh viện K"


@pytest.fixture
def world(tmp_path: Path) -> World:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    w = build_world(url)
    yield w
    w.db.dispose()


@pytest.fixture
def restore_keys(data_key: str) -> object:
    yield
    crypto.configure([data_key])


def _raw_bytes(url: str) -> bytes:
    path = Path(url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_encrypted_columns_are_the_free_text_ones() -> None:
    assert set(encrypted_columns()) == {
        ("members", "phone"),
        ("answers", "value"),
        ("answers", "note"),
        ("overrides", "reason"),
        ("audit_log", "old"),
        ("audit_log", "new"),
        ("collective_sections", "text"),
        ("collective_comments", "text"),
        ("collective_comments", "answer"),
        ("residence_feedback", "other"),  # "Nhận xét khác" of the residence's feedback
        ("meeting_conclusions", "text"),  # the chair's conclusion on a member
        ("meeting_absences", "reason"),  # why a member was absent
    }


def test_free_text_never_reaches_the_disk_in_clear(world: World) -> None:
    ResultsService(world.db).override("cli", world["mem_a"].member_id, "HTNV", NOTE)
    with world.db.session() as s:
        raw = s.execute(text("SELECT value, note FROM answers")).all()
        assert raw and all(v.startswith("gAAAA") and n.startswith("gAAAA") for v, n in raw)
        values = {a.value for a in s.execute(select(Answer)).scalars()}
        assert SECRET in values  # the services still read plain text
        assert s.execute(select(Override.reason)).scalar_one() == NOTE
        assert audit.verify_chain(s) == []
    world.db.dispose()
    disk = _raw_bytes(world.url)
    for secret in (SECRET, NOTE, "điều trị"):
        assert secret.encode("utf-8") not in disk


def test_rotation_re_encrypts_everything(
    db_url: str, monkeypatch: pytest.MonkeyPatch, restore_keys: object
) -> None:
    old, new = crypto.generate_key(), crypto.generate_key()
    crypto.configure([old])
    db = Database(db_url)
    org = make_org(db, [member_line("Lê Văn Một")], rulebook="2025", year=2025)
    with db.session() as s:
        member = s.execute(select(Member)).scalar_one()
        review = SelfReview(period_id=org.period_id, member_id=member.id)
        s.add(review)
        s.flush()
        s.add_all(Answer(review_id=review.id, question=f"s.{i}", value=f"{SECRET} {i}",
                         note=NOTE) for i in range(1, 7))  # fmt: skip
        member_id = member.id
    ResultsService(db).override("cli", member_id, "HTNV", NOTE)
    with db.session() as s:
        before = {c: s.execute(text(f"SELECT {c[1]} FROM {c[0]} ORDER BY id")).scalars().all()
                  for c in encrypted_columns()}  # fmt: skip
    crypto.configure([new, old])  # a new key first: new writes use it, old rows still open
    result = kiemdiem(monkeypatch, db_url, "keys", "rotate", "--json")
    assert result.code == 0, result.err
    counts = json.loads(result.out)
    assert counts["answers.value"] == 6 and counts["overrides.reason"] == 1
    crypto.configure([new])  # the old key dropped: everything still reads
    with db.session() as s:
        for (table, column), tokens in before.items():
            after = s.execute(text(f"SELECT {column} FROM {table} ORDER BY id")).scalars().all()
            assert len(after) == len(tokens)
            assert all(a != b for a, b in zip(after, tokens, strict=True) if b is not None)
        answers = s.execute(select(Answer).order_by(Answer.id)).scalars().all()
        assert [a.value for a in answers] == [f"{SECRET} {i}" for i in range(1, 7)]
        assert audit.verify_chain(s) == []
    crypto.configure([old])  # and the old key alone opens nothing any more
    with pytest.raises(crypto.DataKeysError), db.session() as s:
        s.execute(select(Answer)).scalars().all()
    db.dispose()


def test_run_refuses_to_start_without_keys(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, restore_keys: object
) -> None:
    crypto.configure(None)
    monkeypatch.delenv(crypto.ENV, raising=False)
    # `run` sets up logging on the runner's stderr, which closes when the command ends.
    monkeypatch.setattr("bot.logs.setup", lambda *a, **k: None)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef")
    monkeypatch.chdir(Path(sqlite_url.removeprefix("sqlite:///")).parent)  # no .env here
    result = kiemdiem(monkeypatch, sqlite_url, "run")
    assert result.code == 2
    assert "DATA_KEYS" in result.err and "kiemdiem keys generate" in result.err
    monkeypatch.setenv(crypto.ENV, "not-a-key,also-bad")
    result = kiemdiem(monkeypatch, sqlite_url, "run")
    assert result.code == 2 and "thứ 1" in result.err and "not-a-key" not in result.err


def test_keys_generate_prints_a_usable_key(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = kiemdiem(monkeypatch, sqlite_url, "keys", "generate")
    assert result.code == 0
    crypto.Keyring.parse(result.out.strip())  # a valid Fernet key


def test_erase_refuses_within_retention_then_tombstones(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = world["mem_a2"]
    csv = ("Họ và tên;Ngày sinh;Trạng thái;Ngày vào Đảng;Số điện thoại\n"
           "Phạm Thị Hai;02/01/1965;chính thức;19/05/2005;0912345678\n")  # fmt: skip
    assert RosterService(world.db).import_file(world.cell_a, csv.encode(), "ds.csv").saved
    ResultsService(world.db).override("cli", target.member_id, "HTNV", NOTE)
    with world.db.session() as s:  # a proxy answer: the audit log copies the free text
        review_id = s.execute(select(SelfReview.id).where(
            SelfReview.member_id == target.member_id)).scalar_one()  # fmt: skip
        audit.record(s, actor="member:1", entity="answer", entity_id=f"{review_id}/s.2",
                     action="proxy_answer", new=[SECRET, NOTE], proxy=True)  # fmt: skip
    # Within the retention period: refused, nothing changed.
    result = kiemdiem(monkeypatch, world.url, "erase", str(target.member_id),
                      "--older-than-years", "5")  # fmt: skip
    assert result.code == 2 and "còn trong thời hạn lưu trữ" in result.err
    with world.db.session() as s:
        assert s.get(Member, target.member_id).phone == "0912345678"
    # Six years on, the same command erases.
    later = utcnow() + timedelta(days=6 * 366)
    done = PrivacyService(world.db).erase(target.member_id, 5, now=later)
    assert done.answers == 2 and not done.forced and done.audit_entries >= 3
    with world.db.session() as s:
        m = s.get(Member, target.member_id)
        assert m.erased_at is not None and m.removed_at is not None
        assert m.phone == "" and m.birth_date is None and "Hai" not in m.full_name
        assert s.execute(select(Answer).where(Answer.review_id == review_id)).first() is None
        assert s.execute(select(Override.reason)).scalar_one() != NOTE
        assert s.execute(select(TelegramAccount).where(
            TelegramAccount.member_id == target.member_id)).first() is None  # fmt: skip
        assert s.execute(select(Invite).where(Invite.member_id == target.member_id)).first() is None
        assert audit.verify_chain(s) == []  # tombstones keep every hash
        dump = json.dumps([[e.old, e.new] for e in s.execute(select(AuditEntry)).scalars()],
                          ensure_ascii=False)  # fmt: skip
        for personal in (SECRET, NOTE, "0912345678", "Phạm Thị Hai"):
            assert personal not in dump, personal
        for e in s.execute(select(AuditEntry).where(
                AuditEntry.entity == "member", AuditEntry.entity_id == str(target.member_id),
                AuditEntry.action.in_(("import", "update")))).scalars():  # fmt: skip
            assert audit.is_tombstone(e.new["birth_date"]) and audit.is_tombstone(e.new["phone"])
            assert e.new["status"] == "official"  # what is not personal stays readable
        last = s.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
        assert (last.entity, last.action, last.entity_id) == ("member", "erase",
                                                              str(target.member_id))
    with pytest.raises(UserError) as again:
        PrivacyService(world.db).erase(target.member_id, 5, now=later)
    assert again.value.code == "erase_already"
    # --force erases within the period (another member), and says so.
    result = kiemdiem(monkeypatch, world.url, "erase", str(world["mem_b"].member_id),
                      "--older-than-years", "5", "--force")  # fmt: skip
    assert result.code == 0 and "--force" in result.out
    with world.db.session() as s:
        assert audit.verify_chain(s) == []


async def test_mydata_sends_own_data_protected(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    mem, other = world["mem_a"], world["mem_a2"]
    async with TelegramEmulator() as emu, bot(emu, world.url):
        user = emu.user(mem.tg, "Một")
        user.send("/review")
        await user.expect_reply()
        await barrier(user)
        user.skip_pending()
        user.send("/mydata")
        assert "Dữ liệu của đồng chí" in ((await user.expect_reply()).text or "")
        await emu.wait_until(lambda: bool(user.documents()))
        sent = [r for r in emu.sent_to(mem.tg) if r.method == "sendDocument"]
        assert sent and str(sent[-1].params.get("protect_content")).lower() == "true"
        data = json.loads(user.documents()[-1].data)
        # Secretary's proxy session would not change whose data this is.
        owner = emu.user(other.tg, "Hai")
        owner.send("/mydata")
        await owner.expect_reply()
        await emu.wait_until(lambda: bool(owner.documents()))
        theirs = json.loads(owner.documents()[-1].data)
        assert internal_errors(emu) == []
    assert data["profile"]["member_id"] == mem.member_id
    assert data["profile"]["full_name"] == mem.name
    assert SECRET not in json.dumps(data, ensure_ascii=False)
    assert any(e["action"] == "link_telegram" for e in data["audit"])
    assert theirs["reviews"][0]["answers"][0]["value"] == SECRET
    assert SECRET not in caplog.text  # never logged


def test_opened_tokens_are_remembered_but_never_confused() -> None:
    from bot.storage import crypto

    ring = crypto.Keyring([crypto.generate_key()])
    a, b = ring.encrypt("Trả lời A"), ring.encrypt("Trả lời A")
    assert a != b  # a token is unique per encryption: a remembered one is always its own text
    assert ring.decrypt(a) == ring.decrypt(a) == ring.decrypt(b) == "Trả lời A"
    other = crypto.Keyring([crypto.generate_key()])
    with pytest.raises(crypto.DataKeysError):
        other.decrypt(a)  # what one keyring opened does not open in another
    tampered = a[:-4] + ("AAAA" if not a.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.DataKeysError):
        ring.decrypt(tampered)
