"""The flood guard: a user sending more than `flood_max_updates` updates within
`flood_window_seconds` gets one polite warning, and their updates are dropped until their rate
falls back under the limit (group -2: before anything else reads the database or answers).

The counts live in this process's memory, not in the database. That is deliberate and the one
exception to "the database is the only state": the guard only protects (a restart forgets who
was flooding, which costs at most one more window), while writing a row per update would put the
load of a flood on the database it protects. With several processes each counts its own share.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any, Literal

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.app import Context
from bot.handlers.common import deliver
from bot.services.replies import Outcome
from bot.texts import render, render_string

Verdict = Literal["ok", "warn", "drop"]


class FloodGuard:
    """A sliding window per user: the times of their last `max_updates + 1` updates."""

    # Users idle for longer than the window are forgotten every this many checks.
    PRUNE_EVERY = 1000

    def __init__(
        self, max_updates: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_updates = max_updates
        self.window = window
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}
        self._checks = 0

    def check(self, user_id: int) -> Verdict:
        now = self.clock()
        self._checks += 1
        if self._checks % self.PRUNE_EVERY == 0:
            self._prune(now)
        times = self._seen.get(user_id)
        if times is None:
            times = self._seen[user_id] = deque(maxlen=self.max_updates + 1)
        # Dropped updates count too: a user who keeps flooding stays blocked until they slow down.
        times.append(now)
        if len(times) <= self.max_updates or now - times[0] > self.window:
            return "ok"
        warned = self._warned.get(user_id)
        if warned is not None and now - warned <= self.window:
            return "drop"
        self._warned[user_id] = now
        return "warn"

    def _prune(self, now: float) -> None:
        for user_id in [u for u, t in self._seen.items() if not t or now - t[-1] > self.window]:
            del self._seen[user_id]
            self._warned.pop(user_id, None)

    def __len__(self) -> int:
        return len(self._seen)


async def guard(update: object, context: Context) -> None:
    if not isinstance(update, Update) or update.effective_user is None:
        return
    flood: FloodGuard = context.application.bot_data["flood_guard"]
    verdict = flood.check(update.effective_user.id)
    if verdict == "ok":
        return
    if verdict == "warn":
        out = Outcome()
        if update.callback_query is not None:
            out.toast, out.alert = render_string("labels.yaml", "toast_flood"), True
        elif update.effective_message is not None:
            out.say(render("flood/warning.j2"))
        await deliver(update, context, out)
    raise ApplicationHandlerStop


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    settings = app.bot_data["services"].settings
    if settings.flood_max_updates <= 0:
        return
    app.bot_data["flood_guard"] = FloodGuard(
        settings.flood_max_updates, settings.flood_window_seconds
    )
    app.add_handler(TypeHandler(Update, guard), group=-2)
