"""The paced sender: the one place reminders leave the process, one message at a time.

It owns the order of sends and what happens after each answer from Telegram:
- before a send, the row goes `pending -> sending` in the same commit that marks the previous
  one `sent` (ReminderStore.begin_send), so at most one row per process is ever `sending`:
  a crash resends at most that one;
- pacing: a token from the shared `Pacer` (about 25/s overall, replies first) and at least
  `chat_interval` seconds between two messages to one chat; rows of a chat that is not ready
  wait while other chats go ahead;
- RetryAfter: stop sending for `retry_after` seconds, then retry the same row;
- Forbidden (blocked, or never opened the bot): the row is `unreachable`, the account is
  marked and the cell's secretary is told;
- BadRequest: `failed` at once (the same request would fail again);
- anything else (timeouts, 5xx, network): retried with exponential backoff, `failed` with
  `last_error` after `max_attempts`.

Database work runs in a worker thread (asyncio.to_thread), and the sender has its own `Bot`
and connection pool, so neither the event loop nor interactive replies wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.reminders.compose import Outgoing
from bot.reminders.pacing import Pacer
from bot.reminders.policy import AllowedHours
from bot.reminders.store import Finished, Go, ReminderStore
from bot.storage.types import utcnow

log = logging.getLogger(__name__)


class BotLike(Protocol):
    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class SenderConfig:
    max_attempts: int = 5
    backoff_base: float = 30.0  # seconds before the first retry; doubled each time
    backoff_max: float = 3600.0
    # A RetryAfter longer than this gives the row back (released) instead of sleeping on it.
    max_retry_after: float = 600.0
    idle_wait: float = 0.5  # how often an idle sender looks at the stop flag


@dataclass
class SenderStats:
    sent: int = 0
    cancelled: int = 0
    postponed: int = 0
    retry_after: int = 0
    unreachable: int = 0
    failed: int = 0
    retried: int = 0
    lost: int = 0
    db_errors: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def note(self, reason: str) -> None:
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


def retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22 warns that `retry_after` becomes a timedelta; either form is accepted here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: object = exc.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]


def markup(item: Outgoing) -> InlineKeyboardMarkup | None:
    if not item.buttons:
        return None
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in item.buttons
    ])


class PacedSender:
    def __init__(self, store: ReminderStore, bot: BotLike, pacer: Pacer, *, worker_id: str,
                 tz: tzinfo, allowed: AllowedHours, config: SenderConfig | None = None,
                 now: Callable[[], datetime] = utcnow,
                 refill: Callable[[], Awaitable[None]] | None = None, low_water: int = 0) -> None:
        self.store = store
        self.bot = bot
        self.pacer = pacer
        self.worker_id = worker_id
        self.tz = tz
        self.allowed = allowed
        self.config = config or SenderConfig()
        self.now = now
        self.refill = refill
        # Below this many queued rows, more are claimed in the background while sending goes
        # on, so a long fan-out never stops for a claim.
        self.low_water = low_water
        self._refilling: asyncio.Task[None] | None = None
        self.stats = SenderStats()
        self._queue: deque[Outgoing] = deque()
        self._finished: list[Finished] = []
        self._wake = asyncio.Event()
        self._refill_due = True

    # ---- feeding

    @property
    def queued(self) -> int:
        return len(self._queue)

    def queued_ids(self) -> set[int]:
        return {item.row_id for item in self._queue}

    def submit(self, items: Iterable[Outgoing]) -> None:
        known = self.queued_ids()
        self._queue.extend(i for i in items if i.row_id not in known)
        self._wake.set()

    def wake(self) -> None:
        """New rows may be due (a sweep, a secretary's nudge): look for them now."""
        self._refill_due = True
        self._wake.set()

    # ---- running

    async def run(self, should_stop: Callable[[], bool]) -> None:
        """Send until `should_stop()`; then mark what was sent and give back the rest."""
        try:
            while not should_stop():
                if await self._step(should_stop):
                    continue
                if self._queue:  # only chats that must wait their interval
                    await self._sleep(min(self._earliest_chat_wait(), 0.25), should_stop)
                    continue
                await self._flush()
                if self.refill is not None and (self._refill_due or self._refilling):
                    self._refill_due = False
                    await self._refill_now()
                    if self._queue:
                        continue
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.config.idle_wait)
        finally:
            if self._refilling is not None:
                await asyncio.gather(self._refilling, return_exceptions=True)
            await self._flush()
            leftover = [item.row_id for item in self._queue]
            self._queue.clear()
            if leftover:
                await asyncio.to_thread(self.store.release, leftover, self.worker_id)

    async def _refill(self) -> None:
        assert self.refill is not None
        try:
            await self.refill()
        except Exception:  # the database is busy or gone; the next sweep tries again
            log.exception("could not claim reminders")
        finally:
            self._refilling = None

    async def _refill_now(self) -> None:
        """Claim more now (or wait for the claim already under way)."""
        if self._refilling is None:
            self._refilling = asyncio.create_task(self._refill())
        await asyncio.gather(self._refilling, return_exceptions=True)

    def _prefetch(self) -> None:
        if (self.refill is not None and self._refilling is None and self.low_water
                and len(self._queue) < self.low_water):
            self._refilling = asyncio.create_task(self._refill())

    async def drain(self) -> SenderStats:
        """Send everything queued, then mark it (tests, one-off runs)."""
        while True:
            while self._queue:
                if not await self._step(lambda: False):
                    await asyncio.sleep(self._earliest_chat_wait())
            if self._refilling is None:
                break
            await asyncio.gather(self._refilling, return_exceptions=True)
        await self._flush()
        return self.stats

    async def _flush(self) -> None:
        if self._finished:
            finished, self._finished = self._finished, []
            try:
                await asyncio.to_thread(self.store.finish, finished)
            except Exception:
                log.exception("could not mark sent reminders; will retry")
                self._finished = finished + self._finished
                self.stats.db_errors += 1

    def _earliest_chat_wait(self) -> float:
        now = self.pacer.clock()
        waits = [self.pacer.chat_wait(i.chat_id, now) for i in self._queue if i.chat_id is not None]
        return max(0.01, min(waits, default=0.01))

    def _next_ready(self) -> Outgoing | None:
        now = self.pacer.clock()
        for item in self._queue:
            if item.chat_id is None or self.pacer.chat_wait(item.chat_id, now) <= 0:
                return item
        return None

    async def _sleep(self, seconds: float, should_stop: Callable[[], bool]) -> None:
        """Sleep in short slices so a stop request is seen within a fraction of a second."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while not should_stop():
            remaining = end - loop.time()
            if remaining <= 0:
                return
            await asyncio.sleep(min(remaining, self.config.idle_wait))

    async def _step(self, should_stop: Callable[[], bool]) -> bool:
        """Handle the next ready row; False when no row is ready."""
        item = self._next_ready()
        if item is None:
            return False
        wait = self.pacer.wait_time()
        if wait > 0:
            await self._sleep(wait, should_stop)
            return True
        self._queue.remove(item)
        try:
            decision = await asyncio.to_thread(
                self.store.begin_send, item.row_id, self.worker_id, self.now(), self.tz,
                self.allowed, self._finished)
        except Exception:
            # The database is busy or gone: nothing was marked (one transaction); try again.
            log.exception("could not start sending reminder %s", item.row_id)
            self.stats.db_errors += 1
            self._queue.appendleft(item)
            await self._sleep(1.0, should_stop)
            return True
        self._finished = []
        if not isinstance(decision, Go):
            if decision.reason == "lost":
                self.stats.lost += 1
            elif decision.action == "cancel":
                self.stats.cancelled += 1
            else:
                self.stats.postponed += 1
            self.stats.note(decision.reason)
            return True
        self.pacer.take(decision.chat_id)
        self._refill_due = True
        self._prefetch()
        try:
            await self._send(item, decision.chat_id)
        except Exception:
            # Recording the outcome failed (database): the row stays `sending` under our
            # claim and is taken over after the claim timeout, i.e. sent again at most once.
            log.exception("could not record the outcome of reminder %s", item.row_id)
            self.stats.db_errors += 1
        return True

    async def _send(self, item: Outgoing, chat_id: int) -> None:
        try:
            await self.bot.send_message(chat_id, item.text, parse_mode=ParseMode.HTML,
                                        reply_markup=markup(item))
        except RetryAfter as exc:
            await self._retry_after(item, retry_after_seconds(exc))
        except Forbidden as exc:
            self.stats.unreachable += 1
            await asyncio.to_thread(self.store.unreachable, item.row_id, self.now(), str(exc),
                                    self.tz, self.allowed)
        except BadRequest as exc:
            self.stats.failed += 1
            log.warning("reminder %s refused by Telegram: %s", item.row_id, exc)
            await asyncio.to_thread(self.store.fail, item.row_id, f"BadRequest: {exc}")
        except (TelegramError, OSError) as exc:
            await self._retry(item, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a bug must not stop the other reminders
            log.exception("reminder %s failed", item.row_id)
            await self._retry(item, f"{type(exc).__name__}: {exc}")
        else:
            self._finished.append(Finished(item.row_id, self.now()))
            self.stats.sent += 1

    async def _retry_after(self, item: Outgoing, seconds: float) -> None:
        self.stats.retry_after += 1
        self.pacer.pause(seconds)
        if seconds > self.config.max_retry_after:
            await asyncio.to_thread(
                self.store.retry_later, item.row_id, self.worker_id,
                at=self.now() + timedelta(seconds=seconds), error=f"RetryAfter {seconds:g}s",
                count_attempt=False, max_attempts=self.config.max_attempts)
            return
        # Same row next: back to claimed `pending` (never `sending` during the wait), first
        # in the queue; the pacer's pause holds every send until Telegram allows it again.
        if await asyncio.to_thread(self.store.hold, item.row_id, self.worker_id, self.now()):
            self._queue.appendleft(item)

    async def _retry(self, item: Outgoing, error: str) -> None:
        attempt = item.attempts + 1
        delay = min(self.config.backoff_max, self.config.backoff_base * 2 ** (attempt - 1))
        state = await asyncio.to_thread(
            self.store.retry_later, item.row_id, self.worker_id,
            at=self.now() + timedelta(seconds=delay), error=error,
            max_attempts=self.config.max_attempts)
        if state == "failed":
            self.stats.failed += 1
            log.warning("reminder %s failed after %s attempts: %s", item.row_id, attempt, error)
        else:
            self.stats.retried += 1
