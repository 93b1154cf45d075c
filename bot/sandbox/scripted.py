"""Scripted members: they read what the bot shows and answer as a person would, by pressing
buttons by their label or typing. Shared by the end-to-end tests, the benchmarks and the sandbox's
demo; `bot()` runs the real bot `Application` against the emulator on a given database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox import TelegramEmulator
from bot.sandbox.client import SimUser
from bot.sandbox.emulator import ChatMessage
from bot.sandbox.runner import running_bot
from bot.settings import Settings

PROMPT = re.compile(
    r"Câu \d+/\d+|Tóm tắt bản kiểm điểm|Đã nộp bản kiểm điểm|đang khóa|Chọn đảng viên"
)


def settings_for(emu: TelegramEmulator, db_url: str, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,
        telegram_bot_token=emu.token,
        telegram_base_url=emu.base_url,  # type: ignore[call-arg]
        telegram_base_file_url=emu.base_file_url,
        database_url=db_url,
        **extra,
    )


@asynccontextmanager
async def bot(emu: TelegramEmulator, db_url: str, **extra: Any) -> AsyncIterator[None]:
    async with running_bot(settings_for(emu, db_url, **extra)):
        yield


async def prompt(user: SimUser, timeout: float = 10.0) -> ChatMessage:
    """The next bot message that asks something (a question, the summary, a confirmation)."""
    skipped: list[str] = []
    while True:
        try:
            msg = await user.expect_reply(timeout=timeout)
        except TimeoutError:
            recent = [(m.text or "")[:200] for m in user.messages()[-4:]]
            raise AssertionError(f"no prompt; skipped {skipped}; chat ends with {recent}") from None
        if PROMPT.search(msg.text or ""):
            return msg
        skipped.append((msg.text or "")[:200])


@dataclass
class Script:
    """What a simulated member answers, by what the question looks like."""

    grade: str = "Tốt"
    indicator: Callable[[int], int] = lambda n: 1
    tasks: str = "Tiếp dân định kỳ\nBáo cáo quý đúng hạn\nVận động thu quỹ khuyến học"
    task_status: str = "Hoàn thành đúng hạn"
    points: Callable[[int], str] = lambda maximum: str(maximum * 8 // 10)
    rating: str | None = None  # None: the level the rules give
    free_text: str = 'Nội dung có ký tự đặc biệt: <điểm> & "trích dẫn"'
    seen: list[str] = field(default_factory=list)


_MAX = re.compile(r"tối đa (\d+(?:,\d+)?) điểm")
_IND = re.compile(r"Biểu hiện (\d+)\.")
_COMPUTED = re.compile(r"quy định cho mức: (.+)")


async def answer_one(user: SimUser, msg: ChatMessage, script: Script) -> ChatMessage:
    """Answer the question `msg` shows, as the script says; returns the next prompt."""
    text = msg.text or ""
    script.seen.append(text.split("\n", 2)[1] if "\n" in text else text)
    labels = [b for row in msg.buttons for b in row]
    if "Tóm tắt bản kiểm điểm" in text:
        await user.click("Nộp bản kiểm điểm", message=msg)
    elif "Kiểm tra thông tin" in text:
        await user.click("Đúng, tiếp tục", message=msg)
    elif "Đơn vị công tác" in text:
        user.send("Ủy ban nhân dân xã An Bình")
    elif "Ghi chú, minh chứng" in text:
        user.send(script.free_text)
    elif "hãy gõ biện pháp khắc phục" in text or "Hãy gõ lý do" in text:
        user.send("Rút kinh nghiệm, khắc phục ngay")
    elif "kết quả thế nào" in text:
        await user.click(script.task_status, message=msg)
    elif "Xong danh sách" in " ".join(labels):
        await user.click("Xong danh sách", message=msg)
    elif "mỗi dòng một việc" in text:
        user.send(script.tasks)
    elif (m := _MAX.search(text)) is not None:
        user.send(script.points(int(m.group(1).replace(",", ""))))
    elif (m := _IND.search(text)) is not None:
        level = script.indicator(int(m.group(1)))
        await user.click(f"{level}.", message=msg)
    elif "Tự xếp loại với tư cách" in text:
        await user.click("Hoàn thành tốt nhiệm vụ", message=msg)
    elif "Tự nhận mức xếp loại" in text:
        computed = _COMPUTED.search(text)
        choice = script.rating or (computed.group(1).strip() if computed else "Hoàn thành nhiệm vụ")
        if choice not in labels:
            choice = "Hoàn thành nhiệm vụ"
        await user.click(choice, message=msg)
    elif "Không có" in labels and "Hãy gõ nội dung" in text:
        await user.click("Không có", message=msg)
    elif "Hãy gõ nội dung" in text:
        user.send(script.free_text)
    elif "Đồng chí tự đánh giá mức nào" in text:
        await user.click(script.grade, message=msg)
    else:
        raise AssertionError(f"unexpected question: {text[:300]}")
    return await prompt(user)


async def complete_review(
    user: SimUser, first: ChatMessage, script: Script, stop_after: int | None = None
) -> ChatMessage:
    msg = first
    steps = 0
    while "Đã nộp bản kiểm điểm" not in (msg.text or ""):
        msg = await answer_one(user, msg, script)
        steps += 1
        if stop_after is not None and steps >= stop_after:
            return msg
        assert steps < 300, "the questionnaire does not end"
    return msg
