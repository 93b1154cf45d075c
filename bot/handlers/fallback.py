"""A button press no other handler claims (an old keyboard from a removed feature, or forged
callback data): answered with a short toast, so the user's spinner stops and nothing runs.
Registered after every other handler of group 0, so it only sees what they all passed on."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.app import Context
from bot.handlers.common import deliver
from bot.services.replies import Outcome
from bot.texts import render_string


async def on_unknown_button(update: Update, context: Context) -> None:
    out = Outcome()
    out.toast = render_string("labels.yaml", "toast_unknown_button")
    await deliver(update, context, out)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(on_unknown_button))
