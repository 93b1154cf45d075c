"""The error handler: a failure we cause is logged (never with the token), reported to the admin
chat, and the user gets a calm Vietnamese message; no traceback ever reaches a user."""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, ContextTypes

from bot.texts import render

log = logging.getLogger("kiemdiem.errors")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    err = context.error
    if isinstance(err, (Forbidden, RetryAfter, TimedOut, NetworkError)):
        log.warning("telegram: %s", type(err).__name__)
        return
    log.error("update failed", exc_info=err)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, render("errors/internal.j2"))
        except Exception:  # the user may have blocked us; the log already has the cause
            log.warning("could not tell the user about the error")
    admin = context.application.bot_data["services"].settings.admin_chat_id
    if admin:
        try:
            await context.bot.send_message(
                admin,
                render(
                    "errors/admin_report.j2",
                    kind=type(err).__name__,
                    detail=html.escape(str(err))[:500],
                ),
            )
        except Exception:
            log.warning("could not report to the admin chat")


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_error_handler(on_error)
