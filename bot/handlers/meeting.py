"""The cell meeting's buttons: `mt:` meeting, `bl:` a member's ballot, `rs:` results and
documents, `ov:`/`ol:` an override. Typed counts reach `MeetingChat` through the text router."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.app import Context
from bot.handlers.common import run_service

PATTERN = (
    r"^(mt:\d{1,12}:(menu|edit)|bl:\d{1,12}:\d{1,12}|rs:\d{1,12}:(view|docs|ovr)"
    r"|ov:\d{1,12}|ol:\d{1,12}:[A-Z]{4,6})$"
)


async def on_button(update: Update, context: Context) -> None:
    assert update.effective_user is not None and update.callback_query is not None
    await run_service(
        update,
        context,
        context.services.meeting_chat.on_button,
        update.effective_user.id,
        update.callback_query.data or "",
    )


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=PATTERN))
