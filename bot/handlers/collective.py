"""Leadership collectives: `/collective` and the `cv:<collective>:<verb>[:<arg>…]` buttons. What
the head or a member types in the middle of a step reaches `CollectiveChat` through the text
router (`Services.on_text`)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.app import Context
from bot.handlers.common import run_service

PATTERN = r"^cv:\d{1,12}:[a-z]{1,6}(:[A-Za-z0-9_]{1,12}){0,2}$"


async def on_command(update: Update, context: Context) -> None:
    assert update.effective_user is not None
    await run_service(
        update, context, context.services.collective_chat.menu, update.effective_user.id
    )


async def on_button(update: Update, context: Context) -> None:
    assert update.effective_user is not None and update.callback_query is not None
    await run_service(
        update,
        context,
        context.services.collective_chat.on_button,
        update.effective_user.id,
        update.callback_query.data or "",
    )


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("collective", on_command, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=PATTERN))
