"""Sending a service's `Outcome` to Telegram: split long texts, keyboards, documents, edits."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
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
    for reply in outcome.replies:
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


async def run_service(
    update: Update, context: ContextTypes.DEFAULT_TYPE, fn: Callable[..., Outcome], *args: Any
) -> None:
    """Call a synchronous service off the event loop and deliver what it says.

    A `UserError` (the user's input is wrong, or not allowed) becomes its Vietnamese message and
    changes nothing; anything else propagates to the error handler.
    """
    services = context.application.bot_data["services"]
    try:
        outcome = await services.call(fn, *args)
    except UserError as exc:
        outcome = Outcome()
        if update.callback_query is not None:
            outcome.toast = exc.message()[:200]
            outcome.alert = True
        else:
            outcome.say(html.escape(exc.message()))
    await deliver(update, context, outcome)


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == "private"
