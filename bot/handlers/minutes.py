"""The meeting's programme and minutes: `mr:<meeting>:<action>[:<member>]` buttons. Typed
conclusions, reasons and the place reach `MinutesChat` through the text router."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.app import Context
from bot.handlers.common import run_service

PATTERN = (
    r"^mr:\d{1,12}:(menu|place|chair|taker|absent|here|concl|prog|doc|close|reopen)"
    r"(:\d{1,12})?$"
)


async def on_button(update: Update, context: Context) -> None:
    assert update.effective_user is not None and update.callback_query is not None
    await run_service(
        update,
        context,
        context.services.minutes_chat.on_button,
        update.effective_user.id,
        update.callback_query.data or "",
    )


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=PATTERN))
