"""/proxy, /proxy_end and the member picker (`px:<member id>`), unlock (`ul:<member id>`)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.app import Context
from bot.handlers.common import run_service


async def on_proxy(update: Update, context: Context) -> None:
    assert update.effective_user is not None
    await run_service(update, context, context.services.proxy.choose, update.effective_user.id)


async def on_proxy_end(update: Update, context: Context) -> None:
    assert update.effective_user is not None
    await run_service(update, context, context.services.proxy.stop, update.effective_user.id)


async def on_pick(update: Update, context: Context) -> None:
    assert update.effective_user is not None and update.callback_query is not None
    verb, _, arg = (update.callback_query.data or "").partition(":")
    fn = context.services.proxy.start if verb == "px" else context.services.proxy.unlock
    await run_service(update, context, fn, update.effective_user.id, int(arg))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("proxy", on_proxy, filters=private))
    app.add_handler(CommandHandler("proxy_end", on_proxy_end, filters=private))
    app.add_handler(CallbackQueryHandler(on_pick, pattern=r"^(px|ul):\d{1,12}$"))
