"""The Bot API emulator, exercised through a real python-telegram-bot Application.

A tiny bot defined here (/start with a deep-link payload, an inline keyboard, echo, document
round trips) polls the emulator over loopback HTTP exactly as the production bot would.
No test looks at the wall clock; every wait has a timeout so a failure cannot hang the run.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import hashlib
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.sandbox import RateLimits, TelegramEmulator
from bot.sandbox.emulator import Faults, parse_html

TOKEN = "123456:TEST"
DOC_BYTES = bytes(range(256)) * 40
DOC_NAME = "Bảng điểm 2025.xlsx"
# A 3x2 PNG: only the header matters for the photo size the emulator reports.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x03\x00\x00\x00\x02" + b"\x00" * 32

pytestmark = pytest.mark.filterwarnings(
    "error::ResourceWarning", "error::pytest.PytestUnraisableExceptionWarning"
)


# --------------------------------------------------------------------------- the bot under test


def keyboard(question: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes", callback_data=f"v:{question}:yes"),
                InlineKeyboardButton("No", callback_data=f"v:{question}:no"),
            ]
        ]
    )


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    payload = context.args[0] if context.args else "-"
    context.user_data["question"] = 1  # type: ignore[index]
    await update.effective_message.reply_html(
        f"<b>Welcome</b> {payload} &amp; co", reply_markup=keyboard(1)
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    _, question, option = query.data.split(":")
    if int(question) != context.user_data.get("question"):  # type: ignore[union-attr]
        await query.answer("stale", show_alert=True)
        return
    context.user_data["question"] = int(question) + 1  # type: ignore[index]
    await query.answer(f"got {option}")
    await query.edit_message_text(f"You chose <b>{option}</b>", parse_mode=ParseMode.HTML)


async def on_doc_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_document(DOC_BYTES, filename=DOC_NAME, caption="đây")
    await update.effective_message.reply_photo(PNG)


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.document is not None
    data = await (await message.document.get_file()).download_as_bytearray()
    digest = hashlib.sha256(data).hexdigest()
    await message.reply_text(f"{message.document.file_name} {len(data)} {digest}")


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(update.effective_message.text)


def build_app(
    emu: TelegramEmulator,
    *,
    seen: list[int] | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    read_timeout: float | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    builder = ApplicationBuilder().token(TOKEN).base_url(emu.base_url)
    builder = builder.base_file_url(emu.base_file_url)
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    if read_timeout is not None:
        builder = builder.read_timeout(read_timeout)
    app = builder.build()
    if seen is not None:

        async def record(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
            seen.append(update.update_id)

        app.add_handler(TypeHandler(Update, record), group=-1)
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CommandHandler("doc", on_doc_command))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    return app


@asynccontextmanager
async def running(
    app: Application[Any, Any, Any, Any, Any, Any],
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=5)
    await app.start()
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture(autouse=True)
async def no_leaks() -> AsyncIterator[None]:
    """Every test leaves no task, thread or socket behind (set up first, torn down last)."""
    threads = set(threading.enumerate())
    fds = _open_fds()
    yield
    for _ in range(5):
        await asyncio.sleep(0)
    current = asyncio.current_task()
    assert [t for t in asyncio.all_tasks() if t is not current] == []
    assert set(threading.enumerate()) <= threads
    assert _open_fds() <= fds


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(TOKEN) as emulator:
        yield emulator


# --------------------------------------------------------------------------- conversations


async def test_start_deep_link_echo_and_latency_records(emu: TelegramEmulator) -> None:
    user = emu.user(42, "Lan", username="lan_nguyen")
    async with running(build_app(emu)):
        sent = user.send("/start invite-7f3a")
        reply = await user.expect_reply()
        user.send("/start")
        plain_start = await user.expect_reply()
        user.send("xin chào <b>")
        echo = await user.expect_reply()

    assert sent.entities == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert reply.text == "Welcome invite-7f3a & co"
    assert reply.html == "<b>Welcome</b> invite-7f3a &amp; co"
    assert reply.entities == [{"type": "bold", "offset": 0, "length": 7}]
    assert reply.buttons == [["Yes", "No"]]
    assert reply.callback_data == [["v:1:yes", "v:1:no"]]
    assert plain_start.text == "Welcome - & co"
    assert echo.text == "xin chào <b>"
    assert echo.html == "xin chào &lt;b&gt;"
    record = user.last_update
    assert record is not None and record.delivered_at is not None
    assert record.replied_at is not None
    assert record.created_at <= record.delivered_at <= record.replied_at
    assert len(emu.latencies()) == 3
    assert emu.unanswered_updates() == []


async def test_click_answers_and_edits_the_message_in_place(emu: TelegramEmulator) -> None:
    user = emu.user(43, "Minh")
    async with running(build_app(emu)):
        user.send("/start")
        question = await user.expect_reply()
        answer = await user.click("Ye")  # unique substring of "Yes"
        edited = await user.expect_edit()

    assert answer is not None and answer.text == "got yes" and not answer.show_alert
    assert edited is question  # the user sees the current state of the same message
    assert question.text == "You chose yes"
    assert question.html == "You chose <b>yes</b>"
    assert question.buttons == []  # an edit without reply_markup drops the keyboard
    assert question.edit_count == 1
    assert [m.text for m in user.replies()] == ["You chose yes"]
    with pytest.raises(LookupError):
        question.button("Maybe")


async def test_stale_and_forged_buttons_reach_the_bot(emu: TelegramEmulator) -> None:
    user = emu.user(44)
    async with running(build_app(emu)):
        user.send("/start")
        first = await user.expect_reply()
        await user.click("Yes")
        await user.expect_edit()
        stale = await user.click_data("v:1:no", first)  # an old keyboard's payload
        forged = await user.click_data("v:99:yes")

    for answer in (stale, forged):
        assert answer is not None and answer.text == "stale" and answer.show_alert
    assert first.text == "You chose yes"  # the stale press changed nothing


async def test_message_not_modified_and_bad_html_are_bad_requests(emu: TelegramEmulator) -> None:
    emu.user(45)
    async with running(build_app(emu)) as app:
        message = await app.bot.send_message(45, "same", reply_markup=keyboard(1))
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await app.bot.edit_message_text(
                "same", 45, message.message_id, reply_markup=keyboard(1)
            )
        await app.bot.edit_message_text("same", 45, message.message_id)  # markup differs: ok
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await app.bot.send_message(45, "line<br>break", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="đ" * 33)]])
            await app.bot.send_message(45, "too long data", reply_markup=markup)
    assert emu.stats.count(400) == 3


async def test_group_command_with_bot_username(emu: TelegramEmulator) -> None:
    group = emu.group(-1001234567890, "Chi bộ 3")
    user = emu.user(46, "Hà")
    async with running(build_app(emu)):
        sent = user.send_in_group(group, "/start@kiemdiem_test_bot grp")
        reply = await group.expect_reply()
    assert sent.entities[0]["length"] == len("/start@kiemdiem_test_bot")
    assert reply.text == "Welcome grp & co"
    assert reply.chat["type"] == "supergroup"
    assert user.replies() == []


# --------------------------------------------------------------------------- files


async def test_documents_and_photos_sent_by_the_bot_can_be_read(emu: TelegramEmulator) -> None:
    user = emu.user(47)
    async with running(build_app(emu)):
        user.send("/doc")
        document = await user.expect_reply()
        photo = await user.expect_reply()

    assert document.document is not None
    assert document.document.file_name == DOC_NAME
    assert document.document.mime_type is not None
    assert document.caption == "đây"
    assert photo.photo is not None and (photo.photo.width, photo.photo.height) == (3, 2)
    assert [f.data for f in user.documents()] == [DOC_BYTES, PNG]


async def test_user_upload_is_downloaded_by_the_bot(emu: TelegramEmulator) -> None:
    user = emu.user(48)
    data = os.urandom(300_000)
    async with running(build_app(emu)):
        await user.upload(data, "Hồ sơ.pdf", "application/pdf", caption="bản khai")
        reply = await user.expect_reply()
    assert reply.text == f"Hồ sơ.pdf {len(data)} {hashlib.sha256(data).hexdigest()}"


# --------------------------------------------------------------------------- limits and faults


async def test_flood_limit_surfaces_as_retry_after(
    emu: TelegramEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # PTB 22 warns on int retry_after otherwise
    emu.set_limits(RateLimits(private_burst=2, group_per_minute=3))
    user = emu.user(49)
    group = emu.group(-500, "Tổ 1")
    async with running(build_app(emu)) as app:
        await app.bot.send_message(49, "1")
        await app.bot.send_message(49, "2")
        with pytest.raises(RetryAfter) as private_error:
            await app.bot.send_message(49, "3")
        for n in range(3):
            await app.bot.send_message(-500, f"g{n}")
        with pytest.raises(RetryAfter) as group_error:
            await app.bot.send_message(-500, "g3")

    assert private_error.value.retry_after == dtm.timedelta(seconds=1)
    group_wait = group_error.value.retry_after
    assert isinstance(group_wait, dtm.timedelta)
    assert dtm.timedelta(seconds=1) <= group_wait <= dtm.timedelta(seconds=60)
    assert [m.text for m in user.replies()] == ["1", "2"]
    assert len(group.replies()) == 3
    assert emu.stats.count(429) == 2
    assert emu.stats.count(429, method="sendMessage", chat_id=49) == 1
    assert emu.stats.unretried_429 == 2


async def test_aio_rate_limiter_retries_through_429(
    emu: TelegramEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # AIORateLimiter logs retry_after
    emu.set_limits(RateLimits(private_burst=2))
    user = emu.user(50)
    app = build_app(emu, rate_limiter=AIORateLimiter(max_retries=3))
    async with running(app):
        for n in range(3):
            await app.bot.send_message(50, f"m{n}")
    assert [m.text for m in user.replies()] == ["m0", "m1", "m2"]
    assert emu.stats.count(429) >= 1
    assert emu.stats.retried_429 == emu.stats.count(429)
    assert emu.stats.unretried_429 == 0
    assert emu.stats.duplicates == 0


async def test_blocked_unstarted_and_unknown_chats(emu: TelegramEmulator) -> None:
    blocker = emu.user(51)
    emu.user(52, started=False)
    async with running(build_app(emu)) as app:
        blocker.block_bot()
        with pytest.raises(Forbidden, match="blocked by the user"):
            await app.bot.send_message(51, "hi")
        with pytest.raises(Forbidden, match="initiate conversation"):
            await app.bot.send_message(52, "hi")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await app.bot.send_message(999, "hi")
        blocker.unblock_bot()
        await app.bot.send_message(51, "welcome back")
    assert emu.stats.count(403) == 2
    assert emu.stats.errors(chat_id=51) == {403: 1}
    assert [u.kind for u in emu.updates] == ["my_chat_member", "my_chat_member"]


async def test_server_errors_and_hangs_with_duplicate_counting(emu: TelegramEmulator) -> None:
    user = emu.user(53)
    async with running(build_app(emu, read_timeout=0.3)) as app:
        emu.faults.fail_next(1, status=502, methods=["sendMessage"])
        with pytest.raises(NetworkError):
            await app.bot.send_message(53, "a")
        await app.bot.send_message(53, "a")
        emu.faults.hang_next(1, deliver=True, methods=["sendMessage"])
        with pytest.raises(TimedOut):
            await app.bot.send_message(53, "b")
        await app.bot.send_message(53, "b")  # the retry a careless sender makes
        emu.faults.hang_next(1, methods=["sendMessage"])
        with pytest.raises(TimedOut):
            await app.bot.send_message(53, "c")

    assert [m.text for m in user.replies()] == ["a", "b", "b"]
    assert emu.stats.count(502, method="sendMessage") == 1
    assert emu.stats.duplicates == 1
    assert emu.faults.rules == []


def test_fault_fractions_are_seeded() -> None:
    def pattern() -> list[bool]:
        faults = Faults()
        faults.fail_fraction(0.3, seed=7)
        return [faults.check("sendMessage", 1) is not None for _ in range(200)]

    first = pattern()
    assert first == pattern()
    assert 0 < sum(first) < 200
    assert Faults().check("getUpdates", None) is None


# --------------------------------------------------------------------------- polling semantics


async def test_updates_are_acknowledged_across_a_restart(emu: TelegramEmulator) -> None:
    users = [emu.user(100 + n) for n in range(5)]
    seen: list[int] = []
    async with running(build_app(emu, seen=seen)):
        for user in users:
            user.send("one")
        for user in users:
            assert (await user.expect_reply()).text == "one"
    for user in users:  # arrive while the bot is down
        user.send("two")
    async with running(build_app(emu, seen=seen)):
        for user in users:
            assert (await user.expect_reply()).text == "two"

    assert sorted(seen) == [u.update_id for u in emu.updates]
    assert emu.pending_updates() == 0
    assert emu.stats.count(409) == 0


async def test_many_users_concurrently(emu: TelegramEmulator) -> None:
    users = [emu.user(1000 + n, f"U{n}") for n in range(40)]

    async def conversation(n: int) -> str | None:
        user = users[n]
        user.send(f"/start p{n}")
        await user.expect_reply()
        await user.click("No" if n % 2 else "Yes")
        return (await user.expect_edit()).text

    async with running(build_app(emu)):
        results = await asyncio.gather(*(conversation(n) for n in range(len(users))))

    assert results == [f"You chose {'no' if n % 2 else 'yes'}" for n in range(len(users))]
    assert len(emu.latencies(kinds=["callback_query"])) == len(users)
    assert set(emu.stats.errors()) <= {499}  # 499: the poll cancelled at shutdown


async def test_raw_protocol_forms_json_multipart_and_polling(emu: TelegramEmulator) -> None:
    user = emu.user(60)
    async with httpx.AsyncClient(base_url=emu.api_url) as http:
        me = (await http.get("/getMe")).json()
        assert me["ok"] and me["result"]["id"] == 123456
        bad = await http.post("/fooBar")
        assert bad.status_code == 404
        assert bad.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }
        wrong_token = await http.post(f"{emu.base_url}1:other/getMe")
        assert wrong_token.status_code == 401

        sent = await http.post(
            "/sendMessage", json={"chat_id": 60, "text": "<i>hi</i>", "parse_mode": "HTML"}
        )
        assert sent.json()["result"]["text"] == "hi"
        upload = await http.post(
            "/sendDocument",
            data={"chat_id": "60", "document": "attach://part1"},
            files={"part1": ("notes.txt", b"abc", "text/plain")},
        )
        file_id = upload.json()["result"]["document"]["file_id"]
        path = (await http.post("/getFile", data={"file_id": file_id})).json()["result"]
        download = await http.get(f"{emu.base_file_url}{TOKEN}/{path['file_path']}")
        assert download.content == b"abc"

        # Long polling wakes as soon as an update is queued.
        poll = asyncio.create_task(http.post("/getUpdates", data={"timeout": "30"}))
        await asyncio.sleep(0.05)
        user.send("one")
        first = (await asyncio.wait_for(poll, 5)).json()["result"]
        assert [u["message"]["text"] for u in first] == ["one"]

        user.send("two")
        message = user.messages()[-1]
        await user.click_data("x", message, wait=False)
        limited = (await http.post("/getUpdates", data={"limit": "1"})).json()["result"]
        assert limited[0]["update_id"] == first[0]["update_id"]  # not acknowledged yet
        offset = first[0]["update_id"] + 1
        # allowed_updates only filters updates created after the call, as on Telegram.
        narrowed = await http.post(
            "/getUpdates", data={"offset": str(offset), "allowed_updates": '["callback_query"]'}
        )
        assert [list(u)[1] for u in narrowed.json()["result"]] == ["message", "callback_query"]
        user.send("dropped")
        await user.click_data("y", message, wait=False)
        offset = narrowed.json()["result"][-1]["update_id"] + 1
        later = (await http.post("/getUpdates", data={"offset": str(offset)})).json()["result"]
        assert [u["callback_query"]["data"] for u in later] == ["y"]
        offset = later[-1]["update_id"] + 1
        await http.post("/getUpdates", data={"offset": str(offset), "allowed_updates": "[]"})
        user.send("kept")
        rest = (await http.post("/getUpdates", data={"offset": str(offset)})).json()["result"]
        assert [u["message"]["text"] for u in rest] == ["kept"]
        assert [u.discarded for u in emu.updates].count(True) == 1

        # A second long poll ends the first with 409, as Telegram does.
        drained = str(emu.updates[-1].update_id + 1)
        older = asyncio.create_task(
            http.post("/getUpdates", data={"timeout": "30", "offset": drained})
        )
        await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=emu.api_url) as other:
            newer = asyncio.create_task(other.post("/getUpdates", data={"timeout": "0"}))
            assert (await asyncio.wait_for(older, 5)).status_code == 409
            await newer

        # A webhook (recorded, never called) and getUpdates exclude each other.
        await http.post("/setWebhook", data={"url": "https://example.invalid/hook"})
        info = (await http.get("/getWebhookInfo")).json()["result"]
        assert info["url"] == "https://example.invalid/hook"
        assert (await http.post("/getUpdates")).status_code == 409
        await http.post("/deleteWebhook")
        assert (await http.post("/getUpdates")).status_code == 200


async def test_bot_side_helpers(emu: TelegramEmulator) -> None:
    user = emu.user(61)
    async with running(build_app(emu)) as app:
        mark = emu.mark(61)
        await app.bot.set_my_commands([("start", "Bắt đầu")])
        assert [c.command for c in await app.bot.get_my_commands()] == ["start"]
        chat = await app.bot.get_chat(61)
        assert chat.type == "private"
        await app.bot.send_chat_action(61, "typing")
        await app.bot.send_message(61, "*bold* \\. text", parse_mode=ParseMode.MARKDOWN_V2)
        message = await emu.wait_for_message(61, since=mark)
        await app.bot.delete_message(61, message.message_id)
        await emu.wait_for_sent(1)
        with pytest.raises(EndPointNotFound):
            await app.bot.do_api_request("sendHologram", {"chat_id": 61})
    assert message.text == "bold . text"
    assert message.deleted and user.replies() == []
    assert [e.kind for e in emu.events(61)] == ["action", "message", "delete"]


async def test_emulator_in_a_thread_serves_an_app_in_this_loop() -> None:
    emulator = TelegramEmulator(TOKEN)
    with emulator.start_in_thread():
        user = emulator.user(70, "Thread")
        async with running(build_app(emulator)):
            user.send("/start t")
            reply = await user.expect_reply()
            await user.click("Yes")
            await user.expect_edit()
    assert reply.text == "You chose yes"
    assert not emulator.running


def test_parse_html_entities_and_errors() -> None:
    plain, entities = parse_html(
        '😀 <b>Điểm <i>x</i></b> &lt; 5 &amp; <a href="https://t.me">y</a>'
    )
    assert plain == "😀 Điểm x < 5 & y"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 6},
        {"type": "italic", "offset": 8, "length": 1},
        {"type": "text_link", "url": "https://t.me", "offset": 16, "length": 1},
    ]
    assert parse_html('<pre><code class="language-py">x</code></pre>')[1] == [
        {"type": "pre", "language": "py", "offset": 0, "length": 1}
    ]
    for bad in ("a<br>b", "a < b", "<b>open", "<b><i>x</b></i>", "<span>x</span>"):
        with pytest.raises(ValueError):
            parse_html(bad)
