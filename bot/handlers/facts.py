"""A member's facts entered in chat from the /cell hub (`fa:`); typed values reach `FactChat`
through the text router (`Services.on_text`)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.app import Context
from bot.handlers.common import run_service

PATTERN = r"^fa:[lbmkv](:[0-9A-Za-z-]{1,12}){1,3}$"


async def on_button(update: Update, context: Context) -> None:
    assert update.effective_user is not None and update.callback_query is not None
    await run_service(
        update,
        context,
        context.services.fact_chat.on_button,
        update.effective_user.id,
        update.callback_query.data or "",
    )


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=PATTERN))
