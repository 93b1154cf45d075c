"""Telegram handlers: thin adapters from an `Update` to a service call and a rendered template.

No business rule and no SQL lives here; wording comes from `templates/messages/`.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    from bot.handlers import (
        cell,
        collective,
        errors,
        facts,
        fallback,
        flood,
        meeting,
        minutes,
        privacy,
        proxy,
        reminders,
        residence,
        review,
        roles,
        start,
    )

    flood.register(app)  # group -2: a flooding user is stopped before anything else runs
    start.register(app)
    reminders.register(app)
    proxy.register(app)
    cell.register(app)
    meeting.register(app)
    facts.register(app)
    residence.register(app)
    roles.register(app)
    minutes.register(app)
    collective.register(app)
    review.register(app)
    privacy.register(app)
    fallback.register(app)  # last of group 0: only button presses no handler above claimed
    errors.register(app)
