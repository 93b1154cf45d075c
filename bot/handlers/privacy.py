"""/mydata: the member receives everything the bot holds about them, as a protected file."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.app import Context
from bot.handlers.common import run_service


async def on_mydata(update: Update, context: Context) -> None:
    assert update.effective_user is not None
    await run_service(update, context, context.services.privacy.my_data, update.effective_user.id)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("mydata", on_mydata, filters=filters.ChatType.PRIVATE))
