"""Webhook mode, the scale-out deployment (`kiemdiem run --webhook`, docs/deploy.md).

Owns:
- reading and checking the `WEBHOOK_*` settings (`webhook_config`): the public URL, where to
  listen, the secret token Telegram sends back in `X-Telegram-Bot-Api-Secret-Token` (PTB's
  webhook server answers 403 to a request without it or with another one), and whether this
  process registers the webhook with `setWebhook` (only one of several should);
- `ClusterUpdateProcessor`: the per-chat ordering of `bot.app.PerChatUpdateProcessor` plus,
  on PostgreSQL, an advisory lock per chat held while an update is handled, so that two
  processes behind a load balancer never handle two updates of one chat at the same time;
- the migrations at start: `bot.storage.db.upgrade`, one process at a time on PostgreSQL;
- `run_webhook`: the process itself (PTB's `Application.run_webhook`, tornado), with the
  reminder worker only in the process that registers the webhook unless REMINDER_ENABLED says
  otherwise.

Several processes can answer the same bot because nothing of a conversation lives in memory
(docs/architecture.md, "State"): a member's place in the questionnaire is the `cursor` of their
`self_reviews` row and every update is handled in one transaction. What the database alone does
not give is mutual exclusion between two updates of one chat arriving at two processes at the
same moment (a double tap): the advisory lock gives it without sticky routing.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from telegram import Update
from telegram.ext import Application, Updater

from bot.app import PerChatUpdateProcessor, _chat_key, build_application
from bot.reminders.worker import ReminderConfig
from bot.reminders.worker import install as install_reminders
from bot.services.errors import UserError
from bot.settings import Settings
from bot.storage.db import normalise_url, upgrade

log = logging.getLogger(__name__)

# Telegram's rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Advisory lock keys. The two-int form (chats) and the one-bigint form (the migration lock in
# bot.storage.db, the audit chain's lock in bot.services.audit) are separate key spaces.
_CHAT_LOCK_CLASS = 0x6B64_6368  # "kdch"


@dataclass(frozen=True)
class WebhookConfig:
    url: str  # what Telegram calls (setWebhook), e.g. https://bot.example.vn/telegram
    url_path: str  # the path this process serves, the URL's path
    listen: str
    port: int
    secret: str
    register: bool

    def __repr__(self) -> str:  # never print the secret
        return f"WebhookConfig(url={self.url!r}, listen={self.listen}:{self.port})"


def webhook_config(settings: Settings, *, register: bool | None = None) -> WebhookConfig:
    """The checked `WEBHOOK_*` settings; `register=False` overrides WEBHOOK_REGISTER."""
    url = settings.webhook_url.strip()
    parts = urlsplit(url)
    if not url or parts.scheme not in ("http", "https") or not parts.netloc:
        raise UserError("webhook_url_missing")
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not secret:
        raise UserError("webhook_secret_missing")
    if not _SECRET.fullmatch(secret):
        raise UserError("webhook_secret_invalid")
    if not 0 < settings.webhook_port < 65536:
        raise UserError("webhook_port_invalid", port=settings.webhook_port)
    return WebhookConfig(
        url=url,
        url_path=parts.path or "/",
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        secret=secret,
        register=settings.webhook_register if register is None else register,
    )


# --- one chat at a time across processes --------------------------------------------------------


def chat_lock_key(chat_id: int) -> int:
    """A chat id (up to 52 bits) folded to PostgreSQL's signed 32-bit lock key. Two chats that
    share a key only wait for each other needlessly."""
    folded = (chat_id ^ (chat_id >> 32)) & 0xFFFF_FFFF
    return folded - (1 << 32) if folded >= 1 << 31 else folded


def libpq_url(url: str) -> str:
    """The database URL as libpq and psycopg take it (no SQLAlchemy driver name)."""
    return make_url(normalise_url(url)).set(drivername="postgresql").render_as_string(
        hide_password=False
    )


class ChatLocks:
    """Advisory locks per chat, held on one dedicated connection of this process.

    `hold(chat_id)` waits (polling `pg_try_advisory_lock`, never blocking the event loop) until
    no other process handles that chat, and releases when the block ends. A process that dies
    loses its connection and with it its locks, so nothing stays locked. If the database cannot
    be reached, or a lock is still taken after `give_up_after` seconds, the update goes ahead
    without it: each update is still one transaction, so the worst case is the behaviour without
    the lock (a concurrent double tap answered as a stale button or an error), never lost data.
    Within the process the caller already runs one update per chat at a time, so the lock is
    never taken twice on the shared connection for one chat.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        first_wait: float = 0.002,
        max_wait: float = 0.05,
        give_up_after: float = 30.0,
    ) -> None:
        self.conninfo = conninfo
        self.first_wait = first_wait
        self.max_wait = max_wait
        self.give_up_after = give_up_after
        self._conn: Any = None  # psycopg.AsyncConnection
        self._generation = 0
        self._connecting = asyncio.Lock()
        self.waits = 0  # times a lock was found taken (another process had the chat)

    async def open(self) -> None:
        await self._connect()

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def _connect(self) -> int:
        import psycopg

        async with self._connecting:
            if self._conn is None or self._conn.closed:
                self._conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
                self._generation += 1
            return self._generation

    async def _query(self, sql: str, key: int) -> tuple[bool, int]:
        """Run `sql` (a lock function of (class, key)) and return its result and the connection
        generation it ran on, reconnecting once if the connection broke."""
        import psycopg

        for attempt in (1, 2):
            generation = await self._connect()
            try:
                cur = await self._conn.execute(sql, (_CHAT_LOCK_CLASS, key))
                row = await cur.fetchone()
                return bool(row[0]) if row is not None else False, generation
            except psycopg.OperationalError:
                if attempt == 2:
                    raise
                await self.close()
        raise AssertionError("unreachable")

    async def _acquire(self, key: int) -> int | None:
        """The connection generation holding the lock, or None when going ahead without it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.give_up_after
        wait = self.first_wait
        try:
            while True:
                taken, generation = await self._query("SELECT pg_try_advisory_lock(%s, %s)", key)
                if taken:
                    return generation
                self.waits += 1
                if loop.time() >= deadline:
                    log.warning("chat lock %s still taken after %ss; going ahead", key,
                                self.give_up_after)  # fmt: skip
                    return None
                await asyncio.sleep(wait)
                wait = min(wait * 2, self.max_wait)
        except Exception:
            log.warning("chat lock unavailable; handling the update without it", exc_info=True)
            return None

    async def _release(self, key: int, generation: int) -> None:
        if generation != self._generation or self._conn is None or self._conn.closed:
            return  # that connection is gone, and its locks with it
        try:
            await self._query("SELECT pg_advisory_unlock(%s, %s)", key)
        except Exception:
            log.warning("could not release chat lock %s; dropping the connection", key)
            await self.close()  # closing the session releases every lock it held

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        key = chat_lock_key(chat_id)
        generation = await self._acquire(key)
        try:
            yield
        finally:
            if generation is not None:
                await self._release(key, generation)


class ClusterUpdateProcessor(PerChatUpdateProcessor):
    """Per-chat order inside the process (the parent class), and one process at a time per chat
    across processes (`ChatLocks`). Updates without a chat run unlocked, as before."""

    def __init__(self, locks: ChatLocks, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self.locks = locks

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        if key is None:
            await coroutine
            return
        await super().do_process_update(update, self._locked(key, coroutine))

    async def _locked(self, chat_id: int, coroutine: Awaitable[Any]) -> None:
        async with self.locks.hold(chat_id):
            await coroutine

    async def initialize(self) -> None:
        try:
            await self.locks.open()
        except Exception:  # the bot still answers; each hold() tries to reconnect
            log.warning("chat locks: cannot reach PostgreSQL yet", exc_info=True)

    async def shutdown(self) -> None:
        await self.locks.close()


# --- the process -------------------------------------------------------------------------------


def migrate_exclusively(url: str) -> None:
    """The migrations at start; `upgrade` itself takes turns with other processes on
    PostgreSQL (an advisory lock), so processes started together do not race."""
    upgrade(url)


class _NoRegisterUpdater(Updater):
    """PTB's updater without the bootstrap step (setWebhook/deleteWebhook): another process
    registers the webhook; this one only serves it."""

    async def _bootstrap(self, *args: Any, **kwargs: Any) -> None:
        log.info("webhook not registered by this process (WEBHOOK_REGISTER=false)")


def build_webhook_application(
    settings: Settings, config: WebhookConfig
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot of `build_application`, with the cross-process chat lock on PostgreSQL (unless
    WEBHOOK_CHAT_LOCK=false) and without setWebhook when this process does not register."""
    processor: PerChatUpdateProcessor | None = None
    backend = make_url(normalise_url(settings.database_url)).get_backend_name()
    if backend == "postgresql" and settings.webhook_chat_lock:
        processor = ClusterUpdateProcessor(ChatLocks(libpq_url(settings.database_url)), 64)
    app = build_application(settings, update_processor=processor)
    if not config.register:
        app.updater = _NoRegisterUpdater(bot=app.bot, update_queue=app.update_queue)
    return app


def reminder_config(config: WebhookConfig) -> ReminderConfig:
    """REMINDER_* as set; when REMINDER_ENABLED is not set, reminders run in the process that
    registers the webhook only. Each sender paces itself to Telegram's limit for the whole bot,
    so two senders would together exceed it (docs/deploy.md)."""
    reminders = ReminderConfig()
    if "enabled" not in reminders.model_fields_set and not config.register:
        reminders = reminders.model_copy(update={"enabled": False})
    return reminders


def run_webhook(settings: Settings, *, register: bool | None = None) -> None:
    """Serve the webhook until SIGTERM/SIGINT; then stop taking requests, finish the updates
    already received, and exit. Migrates first (one process at a time)."""
    config = webhook_config(settings, register=register)
    migrate_exclusively(settings.database_url)
    app = build_webhook_application(settings, config)
    install_reminders(app, reminder_config(config))
    log.info("webhook mode: %r, registers: %s", config, config.register)
    app.run_webhook(
        listen=config.listen,
        port=config.port,
        url_path=config.url_path,
        webhook_url=config.url,
        secret_token=config.secret,
        allowed_updates=Update.ALL_TYPES,
        drop_pending_updates=False,
        bootstrap_retries=3,
    )
