"""The database briefly unavailable while members answer: SQLite locked by another writer for
longer than the bot's busy timeout, PostgreSQL stopped and started again. The update's unit of
work is tried again (`bot/services/units.py`); when the database stays away longer than that,
the member is told in Vietnamese to send it again. Never half-written: the database holds
exactly the steps the members saw answered (answers and review cursors agree), and each member
resumes where they stand.

PostgreSQL: a server of this test's own (`scripts/pg-test-server`), not the suite's shared one.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox import TelegramEmulator
from bot.sandbox.emulator import ChatMessage
from bot.sandbox.runner import running_bot
from bot.sandbox.scripted import prompt, settings_for
from bot.services.container import Services
from bot.services.invites import InviteService
from bot.storage.db import Database, upgrade
from bot.texts import render_string
from tests.factory import make_org, member_line, vietnamese_names
from tests.faults.members import (
    INTERNAL,
    NUMBER,
    Member,
    Reader,
    Stage,
    act,
    next_question,
    stage_of,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BUSY = render_string("errors.yaml", "database_busy")
RETRIED = "database unavailable"  # bot/services/units.py's warning before another attempt


def _org(db: Database, n: int) -> list[str]:
    org = make_org(db, [member_line(x) for x in vietnamese_names(n, seed=3)],
                   rulebook="2023", year=2023)  # fmt: skip
    return [x.code for x in InviteService(db).for_cell(org.cell_id)]


async def _join(emu: TelegramEmulator, codes: list[str], seed: int = 1) -> list[Member]:
    members = []
    for i, code in enumerate(codes):
        m = Member(i, emu.user(760_000 + i, f"Đảng viên {i}"), code, random.Random(seed + i))
        m.user.send(f"/start {code}")
        assert stage_of(await prompt(m.user)) == Stage(1, "")
        members.append(m)
    return members


async def _walk(m: Member, steps: int, timeout: float = 20.0, pause: float = 0.0) -> None:
    """`steps` answers, each acknowledged by the question that should follow it."""
    msg = _current(m)
    for _ in range(steps):
        await asyncio.sleep(m.rng.uniform(0, pause))
        step = await act(m, msg)
        msg = await next_question(m, step, timeout)
        assert stage_of(msg) == step.then, (m.index, step, msg.text)
        m.applied.append(step)
        m.acked += 1


def _current(m: Member) -> ChatMessage:
    """The question in front of the member: the bot's last question message."""
    for msg in reversed(m.user.replies()):
        if NUMBER.search(msg.text or ""):
            return msg
    raise AssertionError(f"member {m.index} has no question")


def _no_errors_seen(members: list[Member]) -> None:
    for m in members:
        texts = [x.text or "" for x in m.user.messages()]
        assert not any(INTERNAL in t or BUSY in t for t in texts), (m.index, texts[-3:])


# --- SQLite ---------------------------------------------------------------------------------


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    path = tmp_path / "bot.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    yield url, path


def _fast_db(url: str) -> Database:
    """The bot's database with a short busy timeout and short pauses (the defaults, 5 s and one
    retry, behave the same, only slower)."""
    return Database(url, busy_timeout_ms=200, retry_delays=(0.2, 0.4, 0.8))


class Blocker:
    """Another process's long write transaction (a `kiemdiem` command, a key rotation)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)

    def __enter__(self) -> Blocker:
        self.conn.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()


async def test_sqlite_locked_longer_than_the_busy_timeout_is_retried(
    sqlite_file: tuple[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    url, path = sqlite_file
    db = _fast_db(url)
    codes = _org(db, 4)
    reader = Reader(url)
    async with TelegramEmulator() as emu:
        settings = settings_for(emu, url)
        async with running_bot(settings, Services(db, settings)):
            members = await _join(emu, codes)
            await asyncio.gather(*(_walk(m, 2) for m in members))
            caplog.clear()
            with caplog.at_level(logging.WARNING, logger="bot.services.units"), Blocker(path):
                # Each member answers (two buttons, two typed notes) while the file is locked.
                steps = [await act(m, _current(m)) for m in members]
                for _ in range(100):  # until attempts failed and are being tried again
                    if sum(RETRIED in r.message for r in caplog.records) >= 2:
                        break
                    await asyncio.sleep(0.05)
                else:
                    raise AssertionError("the lock was never met")
                for m in members:
                    reader.check(m)  # nothing of the pending answers is there yet
            for m, step in zip(members, steps, strict=True):
                msg = await next_question(m, step, 10)
                assert stage_of(msg) == step.then
                m.applied.append(step)
            await asyncio.gather(*(_walk(m, 2) for m in members))
    _no_errors_seen(members)
    for m in members:
        reader.check(m)
    reader.dispose()
    db.dispose()


async def test_sqlite_locked_for_too_long_the_member_is_asked_to_resend(
    sqlite_file: tuple[str, Path],
) -> None:
    url, path = sqlite_file
    db = _fast_db(url)
    codes = _org(db, 2)
    reader = Reader(url)
    async with TelegramEmulator() as emu:
        settings = settings_for(emu, url)
        async with running_bot(settings, Services(db, settings)):
            clicker, typist = await _join(emu, codes)
            await _walk(typist, 1)  # at the work unit: a typed answer
            with Blocker(path):
                question = _current(clicker)
                answer = await clicker.user.click_data("a:hdr:ok", question, timeout=15)
                assert answer is not None and answer.text == BUSY[:200] and answer.show_alert
                unit = _current(typist)
                typist.user.send("Ủy ban nhân dân xã An Bình")
                told = await typist.user.expect_reply(timeout=15)
                assert told.text == BUSY
                for m in (clicker, typist):
                    reader.check(m)  # nothing written, the cursor where it was
                assert clicker.applied == [] and reader.state(clicker.user.user_id)[0] == "hdr"
            # The lock is gone: the same button and the same text again, as they were told.
            step = await act(clicker, question)
            assert stage_of(await next_question(clicker, step, 10)) == step.then
            clicker.applied.append(step)
            step = await act(typist, unit)
            assert stage_of(await next_question(typist, step, 10)) == step.then
            typist.applied.append(step)
    for m in (clicker, typist):
        reader.check(m)
    reader.dispose()
    db.dispose()


# --- PostgreSQL -----------------------------------------------------------------------------

SCRIPT = ROOT / "scripts" / "pg-test-server"


@pytest.fixture
def own_postgres() -> Iterator[tuple[str, str]]:
    """A throwaway PostgreSQL server for this test alone (it is stopped and started)."""
    workdir = tempfile.mkdtemp(prefix="kiemdiem-pgfault-")
    proc = subprocess.run([str(SCRIPT), "start", workdir], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"could not start PostgreSQL: {proc.stderr.strip()}")
    url = proc.stdout.strip()
    try:
        upgrade(url)
        yield url, workdir
    finally:
        subprocess.run([str(SCRIPT), "stop", workdir], capture_output=True)


async def _server(action: str, workdir: str) -> None:
    proc = await asyncio.to_thread(
        subprocess.run, [str(SCRIPT), action, workdir], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


async def test_postgres_restarted_while_members_answer(
    own_postgres: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    url, workdir = own_postgres
    db = Database(url)  # the default pauses: about 8 s in all
    codes = _org(db, 6)
    reader = Reader(url)
    async with TelegramEmulator() as emu:
        settings = settings_for(emu, url)
        async with running_bot(settings, Services(db, settings)):
            members = await _join(emu, codes)
            with caplog.at_level(logging.WARNING, logger="bot.services.units"):
                walks = asyncio.gather(*(_walk(m, 12, pause=0.3) for m in members))
                await asyncio.sleep(1.0)
                # Stopped (fast: open transactions are aborted, connections closed) for 1.5 s.
                await _server("down", workdir)
                await asyncio.sleep(1.5)
                await _server("up", workdir)
                await asyncio.wait_for(walks, timeout=60)
            assert any(RETRIED in r.message for r in caplog.records)
    _no_errors_seen(members)
    for m in members:
        assert m.acked == 12
        reader.check(m)
    reader.dispose()
    db.dispose()


async def test_postgres_down_for_too_long_the_member_is_asked_to_resend(
    own_postgres: tuple[str, str],
) -> None:
    url, workdir = own_postgres
    db = Database(url, retry_delays=(0.2, 0.4))
    codes = _org(db, 1)
    reader = Reader(url)
    async with TelegramEmulator() as emu:
        settings = settings_for(emu, url)
        async with running_bot(settings, Services(db, settings)):
            (m,) = await _join(emu, codes)
            await _walk(m, 1)
            unit = _current(m)
            await _server("down", workdir)
            try:
                m.user.send("Ủy ban nhân dân xã An Bình")
                told = await m.user.expect_reply(timeout=15)
                assert told.text == BUSY
            finally:
                await _server("up", workdir)
            reader.check(m)
            step = await act(m, unit)  # sent again, as asked
            assert stage_of(await next_question(m, step, 10)) == step.then
            m.applied.append(step)
            await _walk(m, 3)
    reader.check(m)
    reader.dispose()
    db.dispose()


# --- PostgreSQL: the connection lost in COMMIT ----------------------------------------------


class CommitCutter:
    """A TCP proxy in front of PostgreSQL (its own thread and loop, so that the test's blocking
    database calls do not stall it) that, once armed, cuts the connection at the COMMIT of the
    next transaction recording an update (`INSERT INTO processed_updates`): either before
    passing the COMMIT on (the server rolls back) or after (the server commits; the bot never
    hears so). Either way the bot sees its connection fail in COMMIT, not knowing the outcome."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mode: str | None = None  # "before" | "after" | None (disarmed)
        self.cuts = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> int:
        self.thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self.loop)
        self.server = future.result(10)
        return int(self.server.sockets[0].getsockname()[1])

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.port)
        recording = muted = False

        async def upstream() -> None:
            nonlocal recording, muted
            while data := await client_r.read(65536):
                if self.mode and b"INSERT INTO processed_updates" in data:
                    recording = True
                if recording and self.mode and b"COMMIT\x00" in data:
                    mode, self.mode = self.mode, None
                    self.cuts += 1
                    muted = True  # the bot hears nothing more on this connection
                    if mode == "after":
                        server_w.write(data)
                        await server_w.drain()
                        await asyncio.sleep(0.3)  # the server commits meanwhile
                    break
                server_w.write(data)
                await server_w.drain()
            for w in (server_w, client_w):
                w.close()

        async def downstream() -> None:
            while data := await server_r.read(65536):
                if muted:
                    break
                client_w.write(data)
                await client_w.drain()
            client_w.close()

        await asyncio.gather(upstream(), downstream(), return_exceptions=True)


@pytest.mark.parametrize("cut", ["before", "after"])
async def test_connection_lost_in_commit_is_resolved_without_applying_twice(
    postgres_server: str, cut: str
) -> None:
    from sqlalchemy.engine import make_url

    from bot.sandbox.postgres import scratch_schema

    with scratch_schema(postgres_server) as direct:
        upgrade(direct)
        real = make_url(direct)
        cutter = CommitCutter(int(real.port or 5432))
        proxied = direct.replace(f":{real.port}/", f":{cutter.start()}/")
        db = Database(proxied, retry_delays=(0.2, 0.4))
        codes = _org(db, 1)
        reader = Reader(direct)
        try:
            async with TelegramEmulator() as emu:
                settings = settings_for(emu, proxied)
                async with running_bot(settings, Services(db, settings)):
                    (m,) = await _join(emu, codes)
                    await _walk(m, 1)
                    unit = _current(m)
                    cutter.mode = cut
                    step = await act(m, unit)  # the work unit, typed
                    reply = await m.user.expect_reply(timeout=10)
                    assert cutter.cuts == 1
                    if cut == "before":  # not applied: tried again, answered as usual
                        assert stage_of(reply) == step.then, reply.text
                    else:  # applied: found recorded on the next attempt, the member told so
                        assert reply.text == render_string("errors.yaml", "update_saved_reply_lost")
                    m.applied.append(step)
                    reader.check(m)  # applied exactly once either way
                    if cut == "after":  # the member looks where they are, and goes on
                        m.user.send("/review")
                        assert stage_of(await prompt(m.user)) == step.then
                    await _walk(m, 2)
            reader.check(m)
        finally:
            reader.dispose()
            db.dispose()
            cutter.stop()
