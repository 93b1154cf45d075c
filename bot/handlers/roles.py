"""Secretaries and deputies granted, revoked and invited in chat by the office (`ro:`)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.app import Context
from bot.handlers.common import run_service

PATTERN = r"^ro:[vbmipcgqxjk](:\d{1,12}){1,2}(:[sd])?$"


async def on_button(update: Update, context: Context) -> None:
    assert update.effective_user is not None and update.callback_query is not None
    await run_service(
        update,
        context,
        context.services.roles.on_button,
        update.effective_user.id,
        update.callback_query.data or "",
        context.bot.username or "",
    )


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=PATTERN))
