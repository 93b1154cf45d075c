"""Outbound pacing: one budget shared by reminders and interactive replies.

Telegram allows about 30 messages a second overall and about 1 a second per private chat
(reference §1). The reminder sender takes a token from this bucket before each message,
at `rate` (25/s by default) with a small `burst`; interactive replies *also* take a token,
but never wait for one: they may push the bucket into debt, which the sender then pays by
waiting. So a reply is never queued behind a broadcast, and the sum of both stays near
`rate` while replies are fewer than `rate` a second.

Interactive replies reach the bucket through `SharingRateLimiter`, the application's
rate limiter (PTB's `AIORateLimiter` plus one call to `note_interactive`). The reminder
sender does not use that limiter at all: it has its own `Bot` and its own connection pool,
because AIORateLimiter is a FIFO, and 2,000 reminders in it would delay every reply
behind them (PTB issue #3689). AIORateLimiter stays for replies as their safety net
(RetryAfter retried up to 3 times); its global halt after a 429 only ever halts replies.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

# Methods that put a new message into a chat: the ones flood control counts.
SEND_ENDPOINTS = frozenset({
    "sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "sendAudio", "sendVideo",
    "sendVoice", "sendAnimation", "sendSticker", "sendLocation", "sendContact", "sendPoll",
    "copyMessage", "forwardMessage",
})  # fmt: skip


class Pacer:
    """A token bucket (overall) plus a minimum interval per chat; `rate=None` disables both
    (logic tests). Times are `clock()` seconds (time.monotonic by default)."""

    def __init__(self, rate: float | None = 25.0, *, burst: float = 3.0,
                 chat_interval: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self.chat_interval = chat_interval
        self.clock = clock
        self._tokens = self.burst
        self._at = clock()
        self._paused_until = 0.0
        self._chat_last: dict[int, float] = {}
        self.interactive = 0  # replies noted (for benchmarks and logs)

    def _refill(self, now: float) -> None:
        if self.rate is None:
            return
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def note_interactive(self, chat_id: int | None) -> None:
        """A reply is going out now: it takes a token without waiting (the bucket may go
        into debt, bounded to one second of sending)."""
        now = self.clock()
        self.interactive += 1
        if self.rate is not None:
            self._refill(now)
            self._tokens = max(-self.rate, self._tokens - 1.0)
        if chat_id is not None:
            self._chat_last[chat_id] = now

    def pause(self, seconds: float) -> None:
        """Telegram said RetryAfter: nothing goes out for `seconds`."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def chat_wait(self, chat_id: int, now: float | None = None) -> float:
        now = self.clock() if now is None else now
        last = self._chat_last.get(chat_id)
        return 0.0 if last is None else max(0.0, last + self.chat_interval - now)

    def wait_time(self) -> float:
        """Seconds until the next token (0: one is available)."""
        now = self.clock()
        wait = max(0.0, self._paused_until - now)
        if self.rate is None:
            return wait
        self._refill(now)
        if self._tokens < 1.0:
            wait = max(wait, (1.0 - self._tokens) / self.rate)
        return wait

    def take(self, chat_id: int) -> None:
        now = self.clock()
        if self.rate is not None:
            self._refill(now)
            self._tokens -= 1.0
        self._chat_last[chat_id] = now
        if len(self._chat_last) > 50_000:  # forget chats not written to for a while
            horizon = now - 10 * self.chat_interval
            self._chat_last = {c: t for c, t in self._chat_last.items() if t >= horizon}


class SharingRateLimiter(AIORateLimiter):
    """AIORateLimiter for interactive replies that also tells the reminder pacer about them,
    and tries a reply again when Telegram answers 5xx or does not answer in time.

    `retry_delays`: the pauses before each new attempt after a `NetworkError` (a 5xx, a timeout,
    a broken connection; not a `BadRequest`, which is final). A 5xx means the request was not
    carried out, so trying again is safe. A timeout is not so clear: the request may have been
    carried out and only the answer lost; trying again then sends a message twice, which is the
    one duplicate allowed (no answer, no way to know). A repeated edit fails as "not modified"
    and a repeated answer to a button as "query is too old"; `deliver` ignores both.
    """

    def __init__(self, *args: Any, retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0),
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pacer: Pacer | None = None
        self.retry_delays = retry_delays
        self.network_retries = 0  # attempts made again (for tests and logs)

    async def process_request(self, callback: Any, args: Any, kwargs: Any, endpoint: str,
                              data: dict[str, Any], rate_limit_args: Any) -> Any:
        if self.pacer is not None and endpoint in SEND_ENDPOINTS:
            chat = data.get("chat_id")
            self.pacer.note_interactive(chat if isinstance(chat, int) else None)
        for delay in (*self.retry_delays, None):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data,
                                                      rate_limit_args)
            except BadRequest:
                raise
            except NetworkError as exc:  # TimedOut included
                if delay is None:
                    raise
                self.network_retries += 1
                log.warning("telegram %s: %s; trying again in %ss", endpoint,
                            type(exc).__name__, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")
