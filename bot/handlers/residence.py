"""The residence's feedback (Mẫu 04): the member's cell (`rf:`) and whoever answers the form
(`ra:`); the typed "other remarks" reach `ResidenceService` through the text router."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.app import Context
from bot.handlers.common import run_service

PATTERN = r"^(rf:[lbmaesrdp](:\d{1,12}){1,2}|ra:\d{1,12}(:\d{1,2}:\d{1,2})?)$"


async def on_button(update: Update, context: Context) -> None:
    assert update.effective_user is not None and update.callback_query is not None
    await run_service(
        update,
        context,
        context.services.residence.on_button,
        update.effective_user.id,
        update.callback_query.data or "",
    )


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=PATTERN))
