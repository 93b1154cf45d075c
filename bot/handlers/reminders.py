"""/reminders, /calendar and the `rm:` buttons (reminders and the cell's dates): each hands the
update to `ReminderService` and delivers what it says."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.app import Context
from bot.handlers.common import run_service

REMINDER_CALLBACKS = r"^rm:[a-z]+(:[-0-9a-z]+){0,2}$"


def _wake_sender(context: Context) -> None:
    """A nudge adds rows due now: let this process's sender claim them at once."""
    worker = context.application.bot_data.get("reminders")
    if worker is not None:
        worker.wake()


async def on_reminders(update: Update, context: Context) -> None:
    assert update.effective_user is not None
    await run_service(update, context, context.services.reminders.command,
                      update.effective_user.id, list(context.args or []))


async def on_calendar(update: Update, context: Context) -> None:
    assert update.effective_user is not None
    await run_service(update, context, context.services.reminders.calendar_command,
                      update.effective_user.id, list(context.args or []))


async def on_button(update: Update, context: Context) -> None:
    assert update.effective_user is not None and update.callback_query is not None
    data = update.callback_query.data or ""
    await run_service(update, context, context.services.reminders.on_button,
                      update.effective_user.id, data)
    if data.startswith("rm:nudge:"):
        _wake_sender(context)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("reminders", on_reminders, filters=private))
    app.add_handler(CommandHandler("calendar", on_calendar, filters=private))
    app.add_handler(CallbackQueryHandler(on_button, pattern=REMINDER_CALLBACKS))
