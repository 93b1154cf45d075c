"""Builds the python-telegram-bot `Application`: settings, services, handlers, the update
processor, the error handler. Nothing here holds conversation state: the database does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackContext,
    ContextTypes,
    Defaults,
    ExtBot,
)

from bot.reminders.pacing import SharingRateLimiter
from bot.services.container import Services
from bot.settings import Settings
from bot.storage.db import Database

log = logging.getLogger(__name__)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of one chat run one after another, in order; different chats run concurrently.

    PTB's default processes every update sequentially (one slow database call delays everyone),
    and `concurrent_updates=True` lets two taps of one member race. Ordering per chat is what a
    questionnaire needs; nothing else is shared in memory.
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _chat_key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None


class Context(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The handlers' context, with the services at hand."""

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]  # type: ignore[no-any-return]


def build_application(
    settings: Settings,
    services: Services | None = None,
    *,
    rate_limiter: bool = True,
    update_processor: BaseUpdateProcessor | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot. `update_processor` replaces the per-chat one (webhook mode on PostgreSQL adds a
    lock across processes: `bot.webhook.ClusterUpdateProcessor`)."""
    token = settings.token()
    if not token:
        raise ValueError("no bot token")
    services = services or Services(Database(settings.database_url), settings)
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .context_types(ContextTypes(context=Context))
        .concurrent_updates(update_processor or PerChatUpdateProcessor(64))
        .connection_pool_size(64)
        .pool_timeout(10)
    )
    if settings.telegram_base_file_url:
        builder = builder.base_file_url(settings.telegram_base_file_url)
    if rate_limiter:
        # The last line of defence for interactive replies; broadcasts go through the paced
        # reminder sender, which stays under the limits on its own.
        # SharingRateLimiter is AIORateLimiter that also charges each reply to the reminder
        # sender's budget, so replies go first and the sum stays under Telegram's limit.
        # No overall bucket for replies (overall_max_rate=0): a member's answer is an edit plus
        # the next question, so a cell of 50 answering together is >30 calls/s, and a FIFO
        # bucket queued every reply behind the others (p95 0.5 s measured, bench_latency.py).
        # Replies follow user actions; the pacer makes the broadcast yield to them instead.
        builder = builder.rate_limiter(
            SharingRateLimiter(overall_max_rate=0, group_max_rate=20, max_retries=3)
        )
    builder = builder.post_init(_post_init).post_shutdown(_post_shutdown)
    app = builder.build()
    app.bot_data["services"] = services

    from bot import handlers

    handlers.register(app)
    if app.job_queue is not None:  # forget handled update ids once Telegram cannot resend them
        app.job_queue.run_repeating(_prune_updates, interval=3600, first=600,
                                    name="prune_processed_updates")
    return app


async def _prune_updates(context: CallbackContext[Any, Any, Any, Any]) -> None:
    from bot.storage.db import prune_processed_updates

    services: Services = context.application.bot_data["services"]
    removed = await services.call(prune_processed_updates, services.db)
    log.info("processed updates pruned: %d", removed)


COMMANDS = (
    "review", "summary", "back", "cancel", "reminders", "cell", "calendar", "collective", "proxy",
    "mydata", "help",
)  # fmt: skip


async def _post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    from telegram import BotCommand

    from bot.texts import render_string

    commands = [BotCommand(c, render_string("labels.yaml", f"cmd_{c}")) for c in COMMANDS]
    try:
        await app.bot.set_my_commands(commands)
    except Exception:  # a menu is a convenience: never stop the bot over it
        log.warning("could not set the command menu")


async def _post_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    services = app.bot_data.get("services")
    if services is not None:
        services.db.dispose()


def run_polling(settings: Settings) -> None:
    from bot.reminders.worker import install as install_reminders

    app = build_application(settings)
    install_reminders(app)  # the sweeper job and its paced sender (bot/reminders/worker.py)
    app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)

