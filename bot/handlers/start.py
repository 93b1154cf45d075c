"""/start (with or without an invite code), /help, and the refusal to work in groups."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, TypeHandler

from bot.app import Context
from bot.handlers.common import deliver, is_private, run_service
from bot.services.errors import UserError
from bot.services.replies import Outcome
from bot.texts import render


async def on_start(update: Update, context: Context) -> None:
    assert update.effective_user is not None and update.effective_chat is not None
    user = update.effective_user
    code = context.args[0] if context.args else ""
    await run_service(
        update,
        context,
        context.services.onboarding.start,
        user.id,
        update.effective_chat.id,
        user.username or "",
        code,
    )


async def on_help(update: Update, context: Context) -> None:
    assert update.effective_user is not None
    await run_service(update, context, context.services.onboarding.help, update.effective_user.id)


async def refuse_groups(update: Update, context: Context) -> None:
    """Anything addressed to the bot outside a private chat gets one polite refusal."""
    if is_private(update) or update.effective_chat is None:
        return
    message = update.effective_message
    wants_bot = update.callback_query is not None or (
        message is not None and (message.text or "").startswith("/")
    )
    if wants_bot:
        bot_name = context.bot.username or ""
        out = Outcome()
        text = render("start/private_only.j2", bot=bot_name)
        if update.callback_query is not None:
            out.toast, out.alert = UserError("private_only").message()[:200], True
        else:
            out.say(text)
        await deliver(update, context, out)
    raise ApplicationHandlerStop


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(TypeHandler(Update, refuse_groups), group=-1)
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CommandHandler("help", on_help))
