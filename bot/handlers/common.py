"""Sending a service's `Outcome` to Telegram: split long texts, keyboards, documents, edits."""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import ContextTypes

from bot.services.errors import UserError
from bot.services.replies import Outcome, Reply, split_text

log = logging.getLogger(__name__)
_TAG = re.compile(r"<[^>]+>")


def markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in reply.buttons
        ]
    )


def _split_html(text: str) -> list[tuple[str, bool]]:
    """Parts of at most 4096 characters, each with whether it is still valid HTML."""
    parts = split_text(text)
    if len(parts) == 1:
        return [(text, True)]
    # A cut may fall inside <b>…</b>; such a part is sent as plain text instead.
    return [(p, True) if _balanced(p) else (html.unescape(_TAG.sub("", p)), False) for p in parts]


def _balanced(text: str) -> bool:
    stack: list[str] = []
    for tag in _TAG.findall(text):
        name = tag.strip("</>").split()[0] if tag.strip("</>") else ""
        if tag.startswith("</"):
            if not stack or stack.pop() != name:
                return False
        elif not tag.endswith("/>"):
            stack.append(name)
    return not stack


async def deliver(update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(outcome.toast[:200] or None, show_alert=outcome.alert)
        except BadRequest:
            log.info("callback query too old to answer")
        except NetworkError as exc:  # still failing after the retries: send the reply anyway
            log.warning("could not answer a callback query: %s", type(exc).__name__)
    for reply in outcome.replies:
        if reply.chat_id is not None:
            await _notify(context, reply)
            continue
        if reply.document is not None:
            doc = reply.document
            await context.bot.send_document(
                chat.id,
                InputFile(doc.data, filename=doc.filename),
                caption=doc.caption or None,
                protect_content=doc.protect,
            )
            continue
        if reply.edit and query is not None and query.message is not None:
            try:
                await query.edit_message_text(reply.text, reply_markup=markup(reply))
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():
                    raise
            continue
        parts = _split_html(reply.text)
        for i, (part, is_html) in enumerate(parts):
            last = i == len(parts) - 1
            await context.bot.send_message(
                chat.id,
                part,
                reply_markup=markup(reply) if last else None,
                parse_mode=ParseMode.HTML if is_html else None,
            )


async def _notify(context: ContextTypes.DEFAULT_TYPE, reply: Reply) -> None:
    """A message to another person's chat: best effort, their own update is not failed by it
    (they blocked the bot, or never opened it); what it announces also waits in their /cell."""
    assert reply.chat_id is not None
    try:
        await context.bot.send_message(
            reply.chat_id, reply.text[:4096], reply_markup=markup(reply), parse_mode=ParseMode.HTML
        )
    except TelegramError as exc:
        log.info("could not notify chat %s: %s", reply.chat_id, exc)


async def run_service(
    update: Update, context: ContextTypes.DEFAULT_TYPE, fn: Callable[..., Outcome], *args: Any
) -> None:
    """Call a synchronous service off the event loop and deliver what it says.

    A `UserError` (the user's input is wrong, or not allowed) becomes its Vietnamese message and
    changes nothing; anything else propagates to the error handler. The call is the update's
    unit of work (`Services.run`): an update Telegram delivers again after it was handled gets
    no second answer, and a database briefly unavailable is retried or the user asked to resend.
    """
    services = context.application.bot_data["services"]
    try:
        result = await services.run(update.update_id, update_digest(update), fn, *args)
        if result is None:  # handled before: a redelivery changes nothing and says nothing
            return
        outcome = result
    except UserError as exc:
        outcome = Outcome()
        if update.callback_query is not None:
            outcome.toast = exc.message()[:200]
            outcome.alert = True
        else:
            outcome.say(html.escape(exc.message()))
    await deliver(update, context, outcome)


async def allowed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, check: Callable[..., None], *args: Any
) -> bool:
    """A service's permission check before the handler does work of its own (downloading a
    file): True, or False once the refusal is delivered."""
    try:  # not the update's unit of work (that comes after), but retried the same way
        await context.application.bot_data["services"].run(None, "", check, *args)
    except UserError as exc:
        await deliver(update, context, Outcome().say(html.escape(exc.message())))
        return False
    return True


def update_digest(update: Update) -> str:
    """What tells a redelivery of an update (the same content) from a new update that reuses
    its id: what Telegram itself keeps unique (a press's id; a message's chat, number and
    edit), else the whole update. Not the whole update every time: serialising it cost more
    than the rest of a questionnaire step's bookkeeping (bench/bench_throughput.py)."""
    query = update.callback_query
    message = update.message or update.edited_message
    if query is not None:
        key = f"c:{query.id}:{query.data}:{query.from_user.id}"
    elif message is not None:
        edit = message.edit_date.timestamp() if message.edit_date else ""
        key = f"m:{message.chat_id}:{message.message_id}:{message.date.timestamp()}:{edit}"
        key += f":{message.text or message.caption or ''}"
    else:
        key = json.dumps(update.to_dict(), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == "private"
