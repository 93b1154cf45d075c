"""Telegram handlers: thin adapters from an `Update` to a service call and a rendered template.

No business rule and no SQL lives here; wording comes from `templates/messages/`.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    from bot.handlers import errors, proxy, review, start

    start.register(app)
    proxy.register(app)
    review.register(app)
    errors.register(app)
