"""Simulated members for the fault tests: they answer the first questions of a 2023 self-review
(header, work unit, the criteria with their notes, the indicators with their remedies) through
the emulator, remember every step they took and what the bot should ask next, and check the
database against it. Every typed answer names the member and the question, so an answer
applied twice or to another question cannot go unnoticed.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from bot.review.questionnaire import build
from bot.rules.catalog import load_catalog
from bot.rules.levels import MemberKind, Rulebook
from bot.sandbox.client import SimUser
from bot.sandbox.emulator import ChatMessage
from bot.storage.models import Answer, SelfReview, TelegramAccount

NUMBER = re.compile(r"Câu (\d+)/\d+")
HELP = "Câu trả lời bằng nút"  # the last line of templates/messages/start/help.j2
INTERNAL = "bot gặp trục trặc"  # templates/messages/errors/internal.j2
QUESTIONS = build(load_catalog(Rulebook("2023"), MemberKind("non_leader")), civil_servant=False)


@dataclass(frozen=True)
class Stage:
    number: int  # "Câu N"
    sub: str  # "" the question itself, "note" / "remedy" its typed sub-step

    @property
    def key(self) -> str:
        return QUESTIONS[self.number - 1].key


@dataclass(frozen=True)
class Step:
    """One action of a member: what they answered where, and what the bot should ask next."""

    at: Stage
    value: str  # the stored value (an option code or typed text) or, in a sub-step, the note
    then: Stage


@dataclass
class Member:
    index: int
    user: SimUser
    code: str
    rng: random.Random
    applied: list[Step] = field(default_factory=list)  # in the database, in order
    acked: int = 0
    lost: list[Step] = field(default_factory=list)  # sent, never applied: answered again
    unacked_applied: list[Step] = field(default_factory=list)
    resyncs: int = 0
    copies: int = 0  # a question received twice (a send retried after its answer was lost)


def stage_of(msg: ChatMessage) -> Stage:
    text = msg.text or ""
    number = NUMBER.search(text)
    assert number is not None, text[:300]
    sub = "note" if "Ghi chú, minh chứng" in text else (
        "remedy" if "biện pháp khắc phục" in text else "")
    return Stage(int(number.group(1)), sub)


async def act(m: Member, msg: ChatMessage) -> Step:
    """Answer the question `msg` shows (as a person would) and say what should follow."""
    at = stage_of(msg)
    q = QUESTIONS[at.number - 1]
    nxt = Stage(at.number + 1, "")
    if at.sub:
        what = "Ghi chú" if at.sub == "note" else "Khắc phục"
        text = f"{what} của đảng viên {m.index}, câu {at.number}"
        m.user.send(text)
        return Step(at, text, nxt)
    if q.kind == "header":
        await m.user.click_data(f"a:{q.key}:ok", msg, wait=False)
        return Step(at, "ok", nxt)
    if q.kind == "unit":
        text = f"Ủy ban nhân dân xã An Bình, tổ {m.index}"
        m.user.send(text)
        return Step(at, text, nxt)
    if q.kind == "grade":
        grade = m.rng.choice(["XS", "T", "TB", "K"])
        await m.user.click_data(f"a:{q.key}:{grade}", msg, wait=False)
        return Step(at, grade, Stage(at.number, "note"))
    if q.kind == "indicator":
        level = m.rng.choice([1, 1, 1, 2])
        await m.user.click_data(f"a:{q.key}:{level}", msg, wait=False)
        return Step(at, str(level), Stage(at.number, "remedy") if level >= 2 else nxt)
    raise AssertionError(f"question {q.key} is beyond this test's script")


def expected_answers(steps: list[Step]) -> dict[str, tuple[str, str]]:
    """The answer rows (question -> value, note) these steps leave."""
    out: dict[str, tuple[str, str]] = {}
    for step in steps:
        value, note = out.get(step.at.key, ("", ""))
        out[step.at.key] = (value, step.value) if step.at.sub else (step.value, note)
    return out


class Reader:
    """Reads the bot's database without taking SQLite's write lock (the bot's own sessions
    begin IMMEDIATE); answers decrypt with the test session's key, the bot's too."""

    def __init__(self, url: str) -> None:
        from bot.storage.db import normalise_url

        self.engine: Engine = create_engine(normalise_url(url))

    def state(self, tg_user: int) -> tuple[str, str, dict[str, tuple[str, str]]]:
        """The member's review cursor, its sub-step, and their answers."""
        with Session(self.engine) as s:
            review = s.execute(
                select(SelfReview)
                .join(TelegramAccount, TelegramAccount.member_id == SelfReview.member_id)
                .where(TelegramAccount.telegram_user_id == tg_user)
            ).scalar_one()
            answers = {a.question: (a.value, a.note) for a in s.execute(
                select(Answer).where(Answer.review_id == review.id)).scalars()}
            return review.cursor, review.awaiting, answers

    def check(self, m: Member) -> None:
        """The database holds exactly the member's applied steps, and they stand where the last
        one led."""
        cursor, awaiting, answers = self.state(m.user.user_id)
        assert answers == expected_answers(m.applied), (m.index, answers)
        if m.applied:
            then = m.applied[-1].then
            assert (cursor, awaiting) == (then.key, then.sub), (m.index, cursor, awaiting)

    def dispose(self) -> None:
        self.engine.dispose()


async def barrier(m: Member, command: str, timeout: float) -> ChatMessage | None:
    """Send `command`, then /help; once the help text is back (one chat is handled in order),
    the question shown last after `command` is where the member stands. None: no answer within
    `timeout` (lost in a crash, or the bot is down)."""
    sent = m.user.send(command)
    m.user.send("/help")
    deadline = time.monotonic() + timeout
    last: ChatMessage | None = None
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = await m.user.expect_reply(timeout=left)
        except TimeoutError:
            return None
        if msg.message_id < sent.message_id:
            continue  # a late answer to something older
        if HELP in (msg.text or ""):
            return last
        if NUMBER.search(msg.text or ""):
            last = msg
    return None


async def resync(m: Member, pending: Step, reader: Reader, timeout: float) -> ChatMessage:
    """No answer in time: ask where one stands (/review) until the bot answers, and check it is
    the right place: the question of `pending` if it was lost (and nothing of it stored), the
    one after it if it was applied (and its answer stored)."""
    m.resyncs += 1
    while (msg := await barrier(m, "/review", timeout)) is None:
        pass
    resumed = stage_of(msg)
    cursor, awaiting, answers = reader.state(m.user.user_id)
    if resumed == pending.at:
        assert answers == expected_answers(m.applied), (m.index, pending, answers)
        m.lost.append(pending)
    else:
        assert resumed == pending.then, (m.index, pending, resumed)
        assert answers == expected_answers([*m.applied, pending]), (m.index, pending, answers)
        m.applied.append(pending)
        m.unacked_applied.append(pending)
    assert (cursor, awaiting) == (resumed.key, resumed.sub), (m.index, resumed, cursor, awaiting)
    return msg


async def next_question(m: Member, step: Step, timeout: float) -> ChatMessage:
    """The bot's next question after `step`. The question `step` answered, received again, is
    a copy (a send retried after its answer was lost): counted and passed over. TimeoutError:
    nothing came."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        msg = await m.user.expect_reply(timeout=left)
        if not NUMBER.search(msg.text or ""):
            continue
        if stage_of(msg) == step.at:
            m.copies += 1
            continue
        return msg
    raise TimeoutError(f"no question after {step} for member {m.index}")
