"""SIGKILL during a 50-member session: the bot process (`python -m bot run`, long polling the
emulator, SQLite) is killed with `kill -9` at seeded random moments while 50 members answer
their self-review, and restarted each time. Proved at the end:

- every answer a member saw acknowledged (the bot's next question reached them) is in the
  database, with the value they gave, on the question they gave it to;
- nothing else is: an answer lost in the crash is simply not there (the member gives it again),
  none is applied twice or to another question (Telegram redelivers the updates of the batch
  the killed process had not confirmed yet: `processed_updates` must skip them);
- every member who had to ask again (`/review`) resumed at the right question: the one they had
  been answering if their last action was lost, the next one if it had been applied.

A member whose reply does not come within a few seconds does what a person would: sends
`/review`, then `/help` as a barrier (one chat is handled in order, so once the help text is back
nothing older of theirs is still on its way) and reads the question shown just before it.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

from bot.sandbox import TelegramEmulator
from bot.sandbox.scripted import prompt
from bot.services.invites import InviteService
from bot.storage.db import Database, upgrade
from tests.factory import make_org, member_line, vietnamese_names
from tests.faults.members import INTERNAL, Member, Reader, Stage, act, barrier, resync, stage_of

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261122
MEMBERS = 50
STEPS = 16  # applied answers per member (2023 rulebook: header, unit, 4 criteria + notes, …)
KILLS = 3
STEP_TIMEOUT = 4.0  # seconds a member waits for the next question before asking again


def _spawn(emu: TelegramEmulator, url: str, cwd: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("REMINDER_", "TELEGRAM_", "WEBHOOK_", "DATABASE_"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=url, TELEGRAM_BOT_TOKEN=emu.token or "",
               TELEGRAM_BASE_URL=emu.base_url, TELEGRAM_BASE_FILE_URL=emu.base_file_url,
               LOG_LEVEL="WARNING", REMINDER_ENABLED="false", FLOOD_MAX_UPDATES="0")
    # cwd: an empty directory, so no developer's .env leaks into the bot's settings.
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=cwd, env=env,
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


async def run_member(m: Member, reader: Reader) -> None:
    while (msg := await barrier(m, f"/start {m.code}", 2 * STEP_TIMEOUT)) is None:
        pass  # the invite link again, as a person would
    assert stage_of(msg) == Stage(1, ""), msg.text
    while len(m.applied) < STEPS:
        await asyncio.sleep(m.rng.uniform(0, 0.15))  # reading the question
        step = await act(m, msg)
        try:
            msg = await prompt(m.user, timeout=STEP_TIMEOUT)
        except AssertionError:
            msg = await resync(m, step, reader, 2 * STEP_TIMEOUT)
            continue
        got = stage_of(msg)
        assert got == step.then, (m.index, step, got, msg.text[:200])
        m.applied.append(step)
        m.acked += 1


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_sigkill_during_a_50_member_session_loses_no_acknowledged_answer(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    db = Database(url)
    org = make_org(db, [member_line(n) for n in vietnamese_names(MEMBERS, seed=11)],
                   rulebook="2023", year=2023)
    codes = [x.code for x in InviteService(db).for_cell(org.cell_id)]
    db.dispose()
    assert len(codes) == MEMBERS
    rng = random.Random(SEED)
    reader = Reader(url)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    logs: list[Path] = []
    kills: list[int] = []  # messages the bot had sent when it was killed

    emu = TelegramEmulator()
    with emu.start_in_thread():
        members = [Member(i, emu.user(900_000 + i, f"Đảng viên {i}"), codes[i],
                          random.Random(rng.random())) for i in range(MEMBERS)]

        def spawn() -> subprocess.Popen[bytes]:
            logs.append(tmp_path / f"bot-{len(logs)}.log")
            return _spawn(emu, url, workdir, logs[-1].open("wb"))

        proc = spawn()

        async def killer() -> None:
            nonlocal proc
            for _ in range(KILLS):
                # Kill after a seeded number of the bot's messages since it (re)started: always
                # in the middle of the session, at a different moment of it each time.
                target = emu.call(lambda: len(emu.sent)) + rng.randint(60, 260)
                await emu.wait_until(lambda t=target: len(emu.sent) >= t, timeout=60)
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
                kills.append(len(emu.sent))
                await asyncio.sleep(rng.uniform(0.0, 1.0))
                proc = spawn()

        try:
            tasks = [asyncio.create_task(run_member(m, reader)) for m in members]
            await asyncio.wait_for(asyncio.gather(killer(), *tasks), timeout=150)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        output = "\n".join(p.read_text(errors="replace") for p in logs)
        redelivered = emu.call(lambda: sum(1 for r in emu.updates if r.deliveries > 1))
        texts = [m.text or "" for member in members for m in member.user.messages()]

    elapsed = time.monotonic() - started
    assert len(kills) == KILLS
    assert "update failed" not in output and "Traceback" not in output, output[-3000:]
    assert not any(INTERNAL in t for t in texts)
    for m in members:  # every applied step is there, nothing else; each member where they are
        reader.check(m)
    resyncs = sum(m.resyncs for m in members)
    lost = sum(len(m.lost) for m in members)
    unacked = sum(len(m.unacked_applied) for m in members)
    print(f"\n{MEMBERS} members x {STEPS} answers, {KILLS} kills (after {kills} messages): "
          f"{resyncs} resumptions, {lost} answers lost in a crash and given again, {unacked} "
          f"applied but not acknowledged, {redelivered} updates redelivered; {elapsed:.1f} s")
    assert resyncs >= KILLS  # the kills hit members in the middle of a step
    assert elapsed < 120
    reader.dispose()
