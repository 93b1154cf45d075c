"""Webhook mode with two bot processes on one PostgreSQL database (`kiemdiem run --webhook`).

The emulator plays Telegram and `WebhookPusher` plays Telegram's webhook delivery plus a
round-robin load balancer in front of two real `python -m bot run --webhook` processes. Checked:
no update is lost or handled twice while members answer questionnaire steps, only one process
registers the webhook, the secret token is enforced (403 and nothing changes), a double tap
delivered to both processes at once is handled as one process would handle it, and the
settings are checked with a Vietnamese message.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.sandbox import TelegramEmulator
from bot.sandbox.client import SimUser
from bot.sandbox.emulator import ChatMessage
from bot.sandbox.postgres import scratch_schema
from bot.sandbox.scripted import Script, answer_one, prompt
from bot.sandbox.webhook import (
    BotProcess,
    WebhookPusher,
    post_update,
    start_webhook_process,
    stop_processes,
    wait_listening,
)
from bot.services.errors import UserError
from bot.services.invites import InviteService
from bot.settings import Settings
from bot.storage.db import Database, upgrade
from bot.storage.models import Answer, AuditEntry, SelfReview, TelegramAccount
from bot.webhook import ChatLocks, chat_lock_key, libpq_url, reminder_config, webhook_config
from tests.factory import make_org, member_line, vietnamese_names

PUBLIC_URL = "https://kiemdiem.example.vn/telegram"
NUMBER = re.compile(r"Câu (\d+)/\d+")
INTERNAL = "bot gặp trục trặc"  # templates/messages/errors/internal.j2


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """A migrated, empty schema of the test server (as conftest's `db_url` makes them)."""
    with scratch_schema(postgres_server) as url:
        upgrade(url)
        yield url


@dataclass
class Cluster:
    emu: TelegramEmulator
    bots: list[BotProcess]
    pusher: WebhookPusher
    secret: str
    codes: list[str]
    db: Database
    users: list[SimUser] = field(default_factory=list)


@pytest.fixture
async def cluster(
    pg_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Cluster]:
    """Two webhook processes; `indirect` parametrisation gives them extra environment."""
    extra_env: dict[str, str] = getattr(request, "param", {})
    db = Database(pg_url)
    org = make_org(db, [member_line(n) for n in vietnamese_names(10, seed=5)],
                   rulebook="2025", year=2025)  # fmt: skip
    codes = [x.code for x in InviteService(db).for_cell(org.cell_id)]
    secret = secrets.token_urlsafe(24)
    async with TelegramEmulator() as emu:
        bots = [
            start_webhook_process(emu, pg_url, secret=secret, public_url=PUBLIC_URL,
                                  register=i == 0, log_dir=tmp_path, extra_env=extra_env)
            for i in range(2)
        ]  # fmt: skip
        try:
            for b in bots:
                await wait_listening(b)
            async with WebhookPusher(emu, [b.url for b in bots], secret) as pusher:
                yield Cluster(emu, bots, pusher, secret, codes, db)
        finally:
            codes = await stop_processes(bots)
            db.dispose()
        assert codes == [0, 0], [b.output() for b in bots]
        for b in bots:  # nothing went wrong inside: no error, no warning
            assert " ERROR " not in b.output() and " WARNING " not in b.output(), b.output()


async def _settled(c: Cluster) -> None:
    """Every update delivered and answered (the bots' last replies may trail the members)."""
    await c.emu.wait_until(lambda: c.pusher.idle() and not c.emu.unanswered_updates(), timeout=30)


def _answer_rows(db: Database) -> dict[int, int]:
    """Telegram user id -> answer rows of their self-review."""
    with db.session() as s:
        rows = s.execute(
            select(TelegramAccount.telegram_user_id, func.count(Answer.id))
            .join(SelfReview, SelfReview.member_id == TelegramAccount.member_id)
            .join(Answer, Answer.review_id == SelfReview.id)
            .group_by(TelegramAccount.telegram_user_id)
        ).all()
        return {int(u): int(n) for u, n in rows}


async def test_two_processes_lose_nothing_and_handle_nothing_twice(cluster: Cluster) -> None:
    c = cluster
    # One process registered the webhook; the other did not call setWebhook at all.
    assert c.emu.webhook_url == PUBLIC_URL
    assert c.emu.stats.requests["setWebhook"] == 1

    steps: dict[int, set[int]] = {}

    async def member(i: int, code: str) -> None:
        user = c.emu.user(810_000 + i, f"M{i}")
        steps[user.user_id] = set()
        user.send(f"/start {code}")
        msg = await prompt(user, timeout=20)
        script = Script()
        for _ in range(12):
            number = NUMBER.search(msg.text or "")
            assert number is not None, msg.text
            steps[user.user_id].add(int(number.group(1)))
            msg = await answer_one(user, msg, script)

    await asyncio.wait_for(
        asyncio.gather(*(member(i, code) for i, code in enumerate(c.codes))), timeout=120
    )
    await _settled(c)

    records = [r for r in c.emu.updates if not r.discarded]
    assert records and all(r.deliveries == 1 for r in records)
    assert c.pusher.stats.given_up == [] and c.pusher.stats.twice() == []
    assert sorted(c.pusher.stats.delivered) == sorted(r.update_id for r in records)
    assert set(c.pusher.stats.statuses) == {200}
    assert all(c.pusher.stats.per_target[i] > 0 for i in range(2)), c.pusher.stats.per_target
    assert c.emu.unanswered_updates() == []
    # A callback handled twice would be answered twice: the emulator refuses the second answer.
    callbacks = sum(1 for r in records if r.kind == "callback_query")
    assert c.emu.stats.count(method="answerCallbackQuery", status=200) == callbacks
    assert c.emu.stats.errors() == {} and c.emu.stats.duplicates == 0
    # The database has exactly the answers of the steps the members took.
    assert _answer_rows(c.db) == {u: len(s) for u, s in steps.items()}
    for b in c.bots:
        assert b.proc.poll() is None, b.output()


async def _at_first_question(c: Cluster, user_id: int, code: str) -> tuple[SimUser, ChatMessage]:
    user = c.emu.user(user_id, f"U{user_id}")
    user.send(f"/start {code}")
    msg = await prompt(user, timeout=20)
    await _settled(c)
    return user, msg


def _answer_data(msg: ChatMessage) -> str:
    """The callback data of the first answer button of a question (`a:<question>:<option>`)."""
    return next(d for row in msg.callback_data for d in row if d and d.startswith("a:"))


def _state(db: Database, tg_user: int) -> tuple[str, int, int]:
    with db.session() as s:
        member_id = s.execute(
            select(TelegramAccount.member_id).where(TelegramAccount.telegram_user_id == tg_user)
        ).scalar_one()
        review = s.execute(select(SelfReview).where(SelfReview.member_id == member_id)).scalar_one()
        answers = s.execute(
            select(func.count(Answer.id)).where(Answer.review_id == review.id)
        ).scalar_one()
        audit = s.execute(select(func.count(AuditEntry.id))).scalar_one()
        return review.cursor, int(answers), int(audit)


async def test_the_secret_token_is_enforced(cluster: Cluster) -> None:
    c = cluster
    user, first = await _at_first_question(c, 820_001, c.codes[0])
    before = _state(c.db, user.user_id)
    sent = len(c.emu.sent)
    # A real update (the member's answer to the question in front of them), forged by someone
    # who does not know the secret, straight to each process.
    c.pusher.paused = True
    await user.click_data(_answer_data(first), first, wait=False)
    await c.emu.wait_until(lambda: bool(c.emu._pending), timeout=5)
    forged = c.emu._pending[0].payload
    for b in c.bots:
        for secret in (None, "wrong-" + c.secret, c.secret[:-1]):
            answer = await post_update(b.url, forged, secret)
            assert answer.status_code == 403, (secret, answer.status_code)
    assert _state(c.db, user.user_id) == before
    assert len(c.emu.sent) == sent
    # The same update with the secret (Telegram's own delivery) is taken and changes things.
    c.pusher.release()
    await _settled(c)
    assert _state(c.db, user.user_id) != before
    assert c.pusher.stats.given_up == []


async def test_double_taps_on_two_processes_are_handled_once(cluster: Cluster) -> None:
    """Each member taps one answer twice; the two taps reach the two processes at once. The
    outcome is the one a single process gives: one answer, the other tap a stale button."""
    c = cluster
    # Both processes warm (a cold process is slow enough to serialise anything by chance).
    warm, first = await _at_first_question(c, 820_010, c.codes[9])
    await answer_one(warm, first, Script())
    members = [await _at_first_question(c, 820_020 + i, c.codes[2 + i]) for i in range(6)]
    before = {u.user_id: _state(c.db, u.user_id) for u, _ in members}
    c.pusher.paused = True
    for user, msg in members:
        data = _answer_data(msg)
        await user.click_data(data, msg, wait=False)
        await user.click_data(data, msg, wait=False)
    await c.emu.wait_until(lambda: len(c.emu._pending) == 2 * len(members), timeout=5)
    c.pusher.release()

    def finished(user: SimUser) -> bool:  # both taps answered, or the error message instead
        answers = sum(1 for e in c.emu.events(user.user_id) if e.kind == "callback_answer")
        return answers >= 2 or any(INTERNAL in (m.text or "") for m in user.messages())

    await c.emu.wait_until(lambda: all(finished(u) for u, _ in members), timeout=30)
    await _settled(c)
    assert c.emu.stats.errors(method="answerCallbackQuery") == {}
    for user, _ in members:
        texts = [m.text or "" for m in user.messages()]
        assert not any(INTERNAL in t for t in texts), texts[-4:]
        cursor, answers, _audit = _state(c.db, user.user_id)
        assert cursor != before[user.user_id][0] and answers == before[user.user_id][1] + 1
        toasts = [e.answer.text for e in c.emu.events(user.user_id) if e.answer is not None]
        assert len(toasts) == 2 and sum(1 for t in toasts if t) == 1, toasts


async def test_an_update_telegram_delivers_again_is_handled_once(cluster: Cluster) -> None:
    """Telegram resends a webhook update whose 200 it did not get: here the member's typed work
    unit reaches both processes at the same moment (a retry landing on the other process while
    the first still handles it) and then once more. Applied once, answered once; without
    `processed_updates` the second copy would go to the next question (the task list)."""
    c = cluster
    user, header = await _at_first_question(c, 820_100, c.codes[1])
    await answer_one(user, header, Script())  # the header; the work unit is asked next
    await _settled(c)
    before = _state(c.db, user.user_id)
    sent = len(c.emu.sent)
    c.pusher.paused = True
    user.send("Ủy ban nhân dân xã An Bình")
    await c.emu.wait_until(lambda: bool(c.emu._pending), timeout=5)
    record = c.emu._pending[0]
    answers = await asyncio.gather(
        *(post_update(b.url, record.payload, c.secret) for b in c.bots)
    )
    assert [a.status_code for a in answers] == [200, 200]
    c.pusher.release()  # and the pusher's own delivery: a third copy
    await _settled(c)
    await c.emu.wait_until(lambda: len(c.emu.sent) > sent, timeout=10)
    await asyncio.sleep(1.0)  # room for a second answer, if there were one
    cursor, answers_now, _audit = _state(c.db, user.user_id)
    assert answers_now == before[1] + 1 and cursor == "tasks"
    with c.db.session() as s:
        stored = s.execute(select(Answer.question)).scalars().all()
    assert stored.count("unit") == 1 and "tasks" not in stored
    new = [r for r in c.emu.sent[sent:] if r.chat_id == user.user_id]
    assert [r.method for r in new] == ["sendMessage"], [(r.method, r.params) for r in new]


@pytest.mark.parametrize("cluster", [{"WEBHOOK_CHAT_LOCK": "false"}], indirect=True)
async def test_copies_of_one_update_at_once_without_chat_locks(cluster: Cluster) -> None:
    """Without the per-chat lock nothing keeps two copies of one update apart: each member's
    button press reaches both processes at the same moment, and both may write the same answer
    row before either records the update. The one that then fails on the unique key finds the
    update recorded by the other and stays silent: one answer, no error message."""
    c = cluster
    warm, first = await _at_first_question(c, 820_200, c.codes[9])
    await answer_one(warm, first, Script())
    members = [await _at_first_question(c, 820_210 + i, c.codes[2 + i]) for i in range(6)]
    before = {u.user_id: _state(c.db, u.user_id) for u, _ in members}
    c.pusher.paused = True
    for user, msg in members:
        await user.click_data(_answer_data(msg), msg, wait=False)
    await c.emu.wait_until(lambda: len(c.emu._pending) == len(members), timeout=5)
    copies = [r.payload for r in c.emu._pending]
    answers = await asyncio.gather(
        *(post_update(b.url, payload, c.secret) for payload in copies for b in c.bots)
    )
    assert {a.status_code for a in answers} == {200}
    c.pusher.release()
    await _settled(c)
    await asyncio.sleep(1.0)  # room for a late second answer, if there were one
    for user, _ in members:
        texts = [m.text or "" for m in user.messages()]
        assert not any(INTERNAL in t for t in texts), texts[-3:]
        cursor, answers_now, _audit = _state(c.db, user.user_id)
        assert answers_now == before[user.user_id][1] + 1 and cursor != before[user.user_id][0]
        toasts = [e for e in c.emu.events(user.user_id) if e.kind == "callback_answer"]
        assert len(toasts) == 1
    assert c.emu.stats.errors(method="answerCallbackQuery") == {}


async def test_chat_locks_exclude_across_connections(pg_url: str) -> None:
    """Two processes' lock holders (two connections): the second waits for the first."""
    a, b = ChatLocks(libpq_url(pg_url)), ChatLocks(libpq_url(pg_url))
    await a.open()
    await b.open()
    order: list[str] = []
    try:
        async with a.hold(42):
            task = asyncio.create_task(_hold_and_note(b, 42, order))
            await _until(lambda: b.waits > 0)
            order.append("a done")
        await asyncio.wait_for(task, timeout=10)
        assert order == ["a done", "b got it"]
        async with a.hold(43), b.hold(44):  # different chats do not wait
            pass
    finally:
        await a.close()
        await b.close()
    assert chat_lock_key(2**40 + 5) != chat_lock_key(5)
    assert all(-(2**31) <= chat_lock_key(x) < 2**31 for x in (0, -1, -100_123_456_789, 2**52))


async def _hold_and_note(locks: ChatLocks, chat: int, order: list[str]) -> None:
    async with locks.hold(chat):
        order.append("b got it")


async def _until(predicate: object, steps: int = 2000) -> None:
    for _ in range(steps):
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition never held")


def test_webhook_settings_are_checked() -> None:
    def settings(**kw: object) -> Settings:
        return Settings(_env_file=None, telegram_bot_token="1:x", **kw)  # type: ignore[arg-type]

    with pytest.raises(UserError) as missing_url:
        webhook_config(settings(webhook_secret="abc"))
    assert "WEBHOOK_URL" in missing_url.value.message()
    with pytest.raises(UserError) as missing:
        webhook_config(settings(webhook_url=PUBLIC_URL))
    assert "WEBHOOK_SECRET" in missing.value.message()
    with pytest.raises(UserError) as bad:
        webhook_config(settings(webhook_url=PUBLIC_URL, webhook_secret="có dấu"))
    assert "A–Z" in bad.value.message()
    cfg = webhook_config(settings(webhook_url=PUBLIC_URL, webhook_secret="s3cret_-X"))
    assert (cfg.url_path, cfg.listen, cfg.port, cfg.register) == ("/telegram", "127.0.0.1",
                                                                  8080, True)  # fmt: skip
    assert "s3cret" not in repr(cfg)
    assert not webhook_config(
        settings(webhook_url=PUBLIC_URL, webhook_secret="x", webhook_register=False)
    ).register
    assert not webhook_config(settings(webhook_url=PUBLIC_URL, webhook_secret="x"),
                              register=False).register  # fmt: skip


def test_reminders_run_in_the_registering_process_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(_env_file=None, telegram_bot_token="1:x", webhook_url=PUBLIC_URL,
                        webhook_secret="x")  # type: ignore[call-arg]  # fmt: skip
    monkeypatch.delenv("REMINDER_ENABLED", raising=False)
    assert reminder_config(webhook_config(settings)).enabled
    assert not reminder_config(webhook_config(settings, register=False)).enabled
    monkeypatch.setenv("REMINDER_ENABLED", "true")  # a dedicated reminder process, by choice
    assert reminder_config(webhook_config(settings, register=False)).enabled
    monkeypatch.setenv("REMINDER_ENABLED", "false")
    assert not reminder_config(webhook_config(settings)).enabled


def test_run_webhook_without_a_secret_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.cli import kiemdiem

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST")
    monkeypatch.setenv("WEBHOOK_URL", PUBLIC_URL)
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        run = kiemdiem(monkeypatch, "sqlite:///unused.db", "run", "--webhook")
    finally:  # `run` sets up logging on the runner's stream, closed once it returns
        root.handlers[:] = handlers
        root.setLevel(level)
    assert run.code == 2 and "WEBHOOK_SECRET" in run.err and "Traceback" not in run.err

