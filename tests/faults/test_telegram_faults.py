"""Telegram answering 5xx, or not answering in time, while members answer their self-review.

Interactive replies (the next question, the edit of the answered one, the answer to a button)
are tried again with a pause (`SharingRateLimiter`). Counted here: every injected failure was
tried again; a 5xx (the request was not carried out) never leads to a duplicate; a timeout after
which Telegram had in fact sent the message leads to exactly one duplicate, the unavoidable one
(the bot cannot know); a repeated edit or button answer is refused by Telegram and ignored.
Telegram failing for longer than the retries loses the reply, never the answer: the member
asks again (/review) and is at the next question.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import TelegramEmulator
from bot.sandbox.runner import running_bot
from bot.sandbox.scripted import prompt, settings_for
from bot.services.invites import InviteService
from bot.storage.db import Database, upgrade
from tests.factory import make_org, member_line, vietnamese_names
from tests.faults.members import (
    INTERNAL,
    NUMBER,
    QUESTIONS,
    Member,
    Reader,
    Stage,
    act,
    next_question,
    stage_of,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]
CLICKS = ("header", "grade", "indicator")


async def _setup(tmp_path: Path, emu: TelegramEmulator, n: int) -> tuple[str, list[Member]]:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    db = Database(url)
    org = make_org(db, [member_line(x) for x in vietnamese_names(n, seed=7)],
                   rulebook="2023", year=2023)  # fmt: skip
    codes = [x.code for x in InviteService(db).for_cell(org.cell_id)]
    db.dispose()
    members = [Member(i, emu.user(770_000 + i, f"Đảng viên {i}"), code, random.Random(40 + i))
               for i, code in enumerate(codes)]  # fmt: skip
    return url, members


async def _join(m: Member) -> Any:
    m.user.send(f"/start {m.code}")
    msg = await prompt(m.user, timeout=20)
    assert stage_of(msg) == Stage(1, "")
    return msg


def _is_click(msg: Any) -> bool:
    stage = stage_of(msg)
    return not stage.sub and QUESTIONS[stage.number - 1].kind in CLICKS


def _no_internal_error(members: list[Member]) -> None:
    for m in members:
        assert not any(INTERNAL in (x.text or "") for x in m.user.messages()), m.index


def _callbacks_answered_once(emu: TelegramEmulator, members: list[Member]) -> None:
    for m in members:
        chat = m.user.user_id
        queries = [u for u in emu.updates if u.kind == "callback_query" and u.chat_id == chat]
        answers = [e for e in emu.events(m.user.user_id) if e.kind == "callback_answer"]
        assert len(answers) == len(queries), (m.index, len(answers), len(queries))


async def test_5xx_replies_are_retried_and_never_duplicated(tmp_path: Path) -> None:
    rng = random.Random(5)
    async with TelegramEmulator() as emu:
        url, members = await _setup(tmp_path, emu, 6)
        reader = Reader(url)
        injected = 0
        async with running_bot(settings_for(emu, url)) as app:

            async def member(m: Member) -> None:
                nonlocal injected
                msg = await _join(m)
                for step_no in range(10):
                    if step_no % 2 == 1:  # every other step, 1-3 failures in a row
                        methods = ["sendMessage"]
                        if _is_click(msg):
                            methods = [rng.choice(["sendMessage", "editMessageText",
                                                   "answerCallbackQuery"])]
                        count = rng.randint(1, 3)
                        emu.faults.fail_next(count, status=rng.choice([500, 502, 503]),
                                             methods=methods, chat_ids=[m.user.user_id])
                        injected += count
                    step = await act(m, msg)
                    msg = await next_question(m, step, 15)
                    assert stage_of(msg) == step.then, (m.index, step, msg.text)
                    m.applied.append(step)

            await asyncio.wait_for(asyncio.gather(*(member(m) for m in members)), 90)
            await emu.wait_until(lambda: not emu.unanswered_updates(), timeout=10)
            retried = app.bot.rate_limiter.network_retries  # type: ignore[union-attr]
        assert emu.faults.rules == []  # every injected failure happened
        assert sum(emu.stats.errors().get(s, 0) for s in (500, 502, 503)) == injected
        assert retried == injected  # ... and was tried again
        assert emu.stats.duplicates == 0  # a 5xx carried nothing out: nothing twice
        assert all(m.copies == 0 for m in members)
        _callbacks_answered_once(emu, members)
        _no_internal_error(members)
        for m in members:
            reader.check(m)
        reader.dispose()


async def test_timeouts_are_retried_with_one_duplicate_only_where_the_answer_was_lost(
    tmp_path: Path,
) -> None:
    """Four members, one timeout each (PTB gives up after its 5 s read timeout): a sendMessage
    Telegram never carried out, a sendMessage it did carry out (its answer lost), an edit and a
    button answer it carried out. Only the second makes a duplicate."""
    cases = [("sendMessage", False), ("sendMessage", True), ("editMessageText", True),
             ("answerCallbackQuery", True)]  # fmt: skip
    async with TelegramEmulator() as emu:
        url, members = await _setup(tmp_path, emu, len(cases))
        reader = Reader(url)
        async with running_bot(settings_for(emu, url)) as app:

            async def member(m: Member, method: str, deliver: bool) -> None:
                msg = await _join(m)  # at the header: a button
                emu.faults.hang_next(1, deliver=deliver, methods=[method],
                                     chat_ids=[m.user.user_id])  # fmt: skip
                for _ in range(4):
                    step = await act(m, msg)
                    msg = await next_question(m, step, 20)
                    assert stage_of(msg) == step.then, (m.index, step, msg.text)
                    m.applied.append(step)

            await asyncio.wait_for(
                asyncio.gather(*(member(m, *c) for m, c in zip(members, cases, strict=True))), 90
            )
            await emu.wait_until(lambda: not emu.unanswered_updates(), timeout=10)
            retried = app.bot.rate_limiter.network_retries  # type: ignore[union-attr]
        assert emu.faults.rules == []
        assert retried == len(cases)
        # The one duplicate: the question Telegram had delivered while the bot timed out.
        assert emu.stats.duplicates == 1
        assert [m.copies for m in members] == [0, 1, 0, 0]
        _callbacks_answered_once(emu, members)
        _no_internal_error(members)
        for m in members:
            reader.check(m)
        reader.dispose()


async def test_telegram_failing_longer_than_the_retries_loses_the_reply_not_the_answer(
    tmp_path: Path,
) -> None:
    async with TelegramEmulator() as emu:
        url, (m,) = await _setup(tmp_path, emu, 1)
        reader = Reader(url)
        async with running_bot(settings_for(emu, url)) as app:
            msg = await _join(m)
            step = await act(m, msg)
            msg = await next_question(m, step, 10)
            m.applied.append(step)  # at the work unit
            emu.faults.fail_next(4, status=502, methods=["sendMessage"], chat_ids=[m.user.user_id])
            step = await act(m, msg)
            with pytest.raises(TimeoutError):
                await next_question(m, step, 6)  # the question never came...
            assert emu.faults.rules == []
            m.applied.append(step)
            reader.check(m)  # ... but the answer is saved
            m.user.send("/review")
            resumed = await prompt(m.user)
            assert NUMBER.search(resumed.text) and stage_of(resumed) == step.then
            assert app.bot.rate_limiter.network_retries == 3  # type: ignore[union-attr]
        reader.check(m)
        reader.dispose()
