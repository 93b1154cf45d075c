"""The member's self-review in a private chat: commands, typed answers and button presses,
each handed to `ReviewService`; every sentence comes back rendered from templates."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.app import Context
from bot.handlers.common import run_service

# Callback data of the questionnaire: a(nswer), n(ote skip), t(ask status), e(dit), r(ule),
# sub(mit), sum(mary).
REVIEW_CALLBACKS = r"^(a|n|t|e|r):[^:]+(:[^:]+){0,2}$|^(sub|sum)$"


async def on_review(update: Update, context: Context) -> None:
    assert update.effective_user is not None
    await run_service(update, context, context.services.reviews.open, update.effective_user.id)


async def on_back(update: Update, context: Context) -> None:
    assert update.effective_user is not None
    await run_service(update, context, context.services.reviews.back, update.effective_user.id)


async def on_summary(update: Update, context: Context) -> None:
    assert update.effective_user is not None
    await run_service(update, context, context.services.reviews.summary, update.effective_user.id)


async def on_cancel(update: Update, context: Context) -> None:
    assert update.effective_user is not None
    await run_service(update, context, context.services.cancel, update.effective_user.id)


async def on_text(update: Update, context: Context) -> None:
    assert update.effective_user is not None and update.effective_message is not None
    text = update.effective_message.text or ""
    await run_service(
        update, context, context.services.on_text, update.effective_user.id, text
    )


async def on_button(update: Update, context: Context) -> None:
    assert update.effective_user is not None and update.callback_query is not None
    data = update.callback_query.data or ""
    await run_service(
        update, context, context.services.reviews.on_button, update.effective_user.id, data
    )


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("review", on_review, filters=private))
    app.add_handler(CommandHandler("back", on_back, filters=private))
    app.add_handler(CommandHandler("summary", on_summary, filters=private))
    app.add_handler(CommandHandler("cancel", on_cancel, filters=private))
    app.add_handler(CallbackQueryHandler(on_button, pattern=REVIEW_CALLBACKS))
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text))
