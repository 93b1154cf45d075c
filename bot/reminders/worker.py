"""The reminder worker of one bot process: a repeating sweeper job on PTB's JobQueue that
plans the day's reminders and claims due rows, and the one paced sender it hands them to.

`install(app)` wires it into an `Application` (`kiemdiem run` does this). The sweeper job is
`run_repeating(..., job_kwargs={"misfire_grace_time": None, "coalesce": True})`: a sweep that
starts late still runs (APScheduler's default grace of 1 s would silently drop it when the
loop is busy), and sweeps missed meanwhile collapse into one. Nothing is kept in APScheduler:
the rows in the database are the schedule, so a restart loses nothing.

`python -m bot.reminders.worker` runs the bot (as `kiemdiem run`); with `--no-polling` only
the reminder worker runs (a second process on the same database, or a webhook deployment
where another process answers users). Settings: `REMINDER_*` (ReminderConfig) besides the
bot's own (`DATABASE_URL`, `TELEGRAM_BOT_TOKEN`, `TELEGRAM_BASE_URL`, quiet hours).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import socket
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from telegram import Bot
from telegram.ext import Application, CallbackContext
from telegram.request import HTTPXRequest

from bot.reminders.compose import Outgoing, compose
from bot.reminders.pacing import Pacer, SharingRateLimiter
from bot.reminders.policy import AllowedHours
from bot.reminders.sender import BotLike, PacedSender, SenderConfig
from bot.reminders.store import PlanReport, ReminderStore, cancel_rows, context_for
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.types import utcnow

log = logging.getLogger(__name__)


class ReminderConfig(BaseSettings):
    """`REMINDER_*` environment variables (or `.env`)."""

    model_config = SettingsConfigDict(env_prefix="REMINDER_", env_file=".env",
                                      env_file_encoding="utf-8", extra="ignore")

    enabled: bool = True
    rate: float = 25.0  # messages a second from this process; Telegram's ceiling is ~30
    burst: float = 3.0
    chat_interval: float = 1.0  # seconds between two messages to one chat
    sweep_seconds: float = 10.0
    first_seconds: float = 5.0
    plan_seconds: float = 60.0
    batch: int = 500  # rows claimed at a time (about 20 s of sending at 25/s)
    claim_timeout: float = 120.0  # a claim this old belongs to a dead process
    max_attempts: int = 5
    backoff_base: float = 30.0
    backoff_max: float = 3600.0
    request_timeout: float = 15.0


def new_worker_id() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"


class ReminderWorker:
    def __init__(self, db: Database, settings: Settings, config: ReminderConfig | None = None,
                 *, bot: BotLike | None = None, clock: Callable[[], datetime] = utcnow,
                 pacer: Pacer | None = None, worker_id: str | None = None) -> None:
        self.db = db
        self.settings = settings
        self.config = config or ReminderConfig()
        self.store = ReminderStore(db)
        self.clock = clock
        self.tz = settings.tz
        self.allowed = AllowedHours.from_quiet(settings.quiet_hours_start, settings.quiet_hours_end)
        self.worker_id = worker_id or new_worker_id()
        self.pacer = pacer or Pacer(self.config.rate, burst=self.config.burst,
                                    chat_interval=self.config.chat_interval)
        self._bot = bot
        self.sender = PacedSender(
            self.store, bot or _NoBot(), self.pacer, worker_id=self.worker_id, tz=self.tz,
            allowed=self.allowed, now=clock, refill=self.refill,
            low_water=self.config.batch // 2,
            config=SenderConfig(max_attempts=self.config.max_attempts,
                                backoff_base=self.config.backoff_base,
                                backoff_max=self.config.backoff_max),
        )  # fmt: skip
        self._last_plan: datetime | None = None
        self._problems_logged: set[tuple[int, str]] = set()
        self._task: asyncio.Task[None] | None = None
        self.last_report = PlanReport()

    # ---- the sweep: plan, claim, hand over

    async def plan(self, now: datetime | None = None) -> PlanReport:
        now = now or self.clock()
        report = await asyncio.to_thread(self.store.plan, now, self.tz, self.allowed)
        self._last_plan, self.last_report = now, report
        for problem in report.problems:
            if problem not in self._problems_logged:  # once per process, not every minute
                self._problems_logged.add(problem)
                log.error("reminder policy of period %s is invalid: %s", *problem)
        if report.inserted:
            log.info("planned %s reminders", report.inserted)
        return report

    async def sweep(self, now: datetime | None = None) -> None:
        now = now or self.clock()
        if self._last_plan is None or now - self._last_plan >= timedelta(
                seconds=self.config.plan_seconds) or now < self._last_plan:
            await self.plan(now)
        await self.refill(now)
        self.sender.wake()

    async def refill(self, now: datetime | None = None) -> None:
        """Claim more due rows when the sender's queue runs low."""
        room = self.config.batch - self.sender.queued
        if room < self.config.batch // 2:
            return
        items = await asyncio.to_thread(self._claim_and_compose, now or self.clock(), room)
        if items:
            self.sender.submit(items)

    def _claim_and_compose(self, now: datetime, limit: int) -> list[Outgoing]:
        rows = self.store.claim(self.worker_id, now, limit,
                                timedelta(seconds=self.config.claim_timeout))
        if not rows:
            return []
        out: list[Outgoing] = []
        with self.db.session() as s:
            ctx = context_for(s, rows)
            empty: list[int] = []
            for row in rows:
                item = compose(row, ctx, now, self.tz)
                if item is None:
                    empty.append(row.id)
                else:
                    out.append(item)
            cancel_rows(s, empty, "nothing_to_say")
        return out

    def wake(self) -> None:
        """Something became due now (a nudge): claim and send without waiting for the sweep."""
        self.sender.wake()

    async def run_once(self, now: datetime | None = None) -> None:
        """Plan, claim and send everything due at `now` (tests with a controlled clock)."""
        now = now or self.clock()
        await self.plan(now)
        while True:
            await self.refill(now)
            if not self.sender.queued:
                break
            await self.sender.drain()

    # ---- the sender task

    async def _make_bot(self) -> Bot:
        timeout = self.config.request_timeout
        # Its own pool: reminders never queue in the connection pool of the replies.
        request = HTTPXRequest(connection_pool_size=2, connect_timeout=timeout,
                               read_timeout=timeout, write_timeout=timeout, pool_timeout=timeout)
        token = self.settings.token()
        if not token:
            raise RuntimeError("no bot token")
        bot = Bot(token, base_url=self.settings.telegram_base_url, request=request)
        await bot.initialize()
        return bot

    async def run_sender(self, should_stop: Callable[[], bool]) -> None:
        own = self._bot is None
        # telegram.Bot satisfies BotLike at run time; its long signature does not type-match.
        bot: Any = self._bot if self._bot is not None else await self._make_bot()
        self.sender.bot = bot
        try:
            await self.sender.run(should_stop)
        finally:
            if own and isinstance(bot, Bot):
                await bot.shutdown()

    def ensure_sender(self, start: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]],
                      should_stop: Callable[[], bool]) -> None:
        """Start the sender task, or restart it if it died (e.g. Telegram unreachable at start)."""
        if self._task is not None and self._task.done():
            if not self._task.cancelled() and self._task.exception() is not None:
                log.error("reminder sender stopped", exc_info=self._task.exception())
            self._task = None
        if self._task is None:
            self._task = start(self.run_sender(should_stop))

    async def run_forever(self, should_stop: Callable[[], bool]) -> None:
        """Without an Application: sweep every `sweep_seconds` and send, until `should_stop()`."""
        loop = asyncio.get_running_loop()
        while not should_stop():
            self.ensure_sender(lambda coro: loop.create_task(coro), should_stop)
            try:
                await self.sweep()
            except Exception:
                log.exception("reminder sweep failed")
            end = loop.time() + self.config.sweep_seconds
            while not should_stop() and loop.time() < end:
                await asyncio.sleep(min(0.2, end - loop.time()))
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)


class _NoBot:
    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any:
        raise RuntimeError("the reminder sender has no bot yet")


async def _sweep_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    app = context.application
    assert context.job is not None
    worker: ReminderWorker = context.job.data  # type: ignore[assignment]
    if not app.running:
        return
    worker.ensure_sender(lambda coro: app.create_task(coro, name="reminders.sender"),
                         lambda: not app.running)
    try:
        await worker.sweep()
    except Exception:
        # Logged here rather than raised: the error handler would report a database outage
        # to the admin chat every sweep. The next sweep simply tries again.
        log.exception("reminder sweep failed")


def install(app: Application[Any, Any, Any, Any, Any, Any],
            config: ReminderConfig | None = None) -> ReminderWorker | None:
    """Add the sweeper job to `app` (and the sender it starts); None when disabled."""
    config = config or ReminderConfig()
    if not config.enabled:
        return None
    services = app.bot_data["services"]
    worker = ReminderWorker(services.db, services.settings, config)
    limiter = app.bot.rate_limiter
    if isinstance(limiter, SharingRateLimiter):
        limiter.pacer = worker.pacer  # replies take their share of the budget first
    app.bot_data["reminders"] = worker
    if app.job_queue is None:
        raise RuntimeError("reminders need python-telegram-bot[job-queue]")
    app.job_queue.run_repeating(
        _sweep_job, interval=config.sweep_seconds, first=config.first_seconds,
        name="reminders.sweep", data=worker,
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )  # fmt: skip
    return worker


async def _standalone(settings: Settings, config: ReminderConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    db = Database(settings.database_url)
    try:
        await ReminderWorker(db, settings, config).run_forever(stop.is_set)
    finally:
        db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.reminders.worker",
        description="Run the bot with its reminder sweeper (as `kiemdiem run`).")
    parser.add_argument("--no-polling", action="store_true",
                        help="only the reminder worker; another process answers users")
    args = parser.parse_args(argv)

    from bot import logs
    from bot.services.errors import UserError
    from bot.settings import get_settings
    from bot.storage import crypto
    from bot.storage.db import upgrade
    from bot.texts import render_text

    settings = get_settings()
    logs.setup(settings.log_level, settings.token())
    if not settings.token():
        print(render_text("cli/no_token.j2"), file=sys.stderr)
        return 2
    try:
        crypto.keyring()  # as `kiemdiem run`: no start without the keys of encrypted columns
    except UserError as exc:
        print(exc.message(), file=sys.stderr)
        return 2
    upgrade(settings.database_url)
    if args.no_polling:
        asyncio.run(_standalone(settings, ReminderConfig()))
        return 0
    from bot.app import run_polling

    run_polling(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
