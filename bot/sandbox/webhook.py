"""Telegram's side of a webhook, for the emulator, and bot processes in webhook mode (for the
tests and bench/bench_webhook.py).

The emulator records setWebhook but never calls the webhook (docs/emulator.md). `WebhookPusher`
does what Telegram does with one: it takes each update the simulated users make and POSTs it as
JSON, with the `X-Telegram-Bot-Api-Secret-Token` header, retrying a delivery that failed or was
refused. It is also the load balancer in front of several bot processes: round-robin by default,
or whatever `choose` says.

It runs on the emulator's event loop and takes updates from the emulator's queue of pending
updates (while a webhook is set the emulator answers getUpdates with 409, as Telegram does). A
delivery stamps `delivered_at` and queues the update for reply attribution exactly as getUpdates
does, so `emu.latencies()` and `emu.unanswered_updates()` work unchanged.

`start_webhook_process` starts `python -m bot run --webhook` against the emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from bot.sandbox.emulator import TelegramEmulator, UpdateRecord

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class PushStats:
    """What the pusher did: successful deliveries per update id, answers by status, and
    deliveries per target."""

    delivered: Counter[int] = field(default_factory=Counter)  # update_id -> 2xx answers
    statuses: Counter[int] = field(default_factory=Counter)  # HTTP status (0: no answer)
    per_target: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    given_up: list[int] = field(default_factory=list)  # update ids never delivered

    def twice(self) -> list[int]:
        return [u for u, n in self.delivered.items() if n > 1]


class WebhookPusher:
    """POST every pending update of `emu` to one of `targets` (full URLs), like Telegram."""

    def __init__(
        self,
        emu: TelegramEmulator,
        targets: Sequence[str],
        secret: str | None,
        *,
        choose: Callable[[UpdateRecord, int], int] | None = None,
        max_connections: int = 40,
        retry_delay: float = 0.2,
        max_attempts: int = 25,
        timeout: float = 10.0,
    ) -> None:
        if not targets:
            raise ValueError("no webhook targets")
        self.emu = emu
        self.targets = list(targets)
        self.secret = secret
        self.stats = PushStats()
        self.paused = False  # hold updates in the emulator's queue (tests)
        self._rr = itertools.count()
        self._choose = choose or (lambda _record, n: next(self._rr) % n)
        self._sem = asyncio.Semaphore(max_connections)  # Telegram's max_connections (40)
        self._retry_delay = retry_delay
        self._max_attempts = max_attempts
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def __aenter__(self) -> WebhookPusher:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        if not self.emu._on_loop():
            raise RuntimeError("run the pusher on the emulator's event loop")
        self._client = httpx.AsyncClient(
            timeout=self._timeout,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
        )
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stopping = True
        self.emu._wake(self.emu._update_waiters)
        if self._task is not None:
            await self._task
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    def release(self) -> None:
        """Resume after `paused`: deliver what waited."""
        self.paused = False
        self.emu._wake(self.emu._update_waiters)

    def idle(self) -> bool:
        """Nothing waiting in the emulator and nothing on its way."""
        return not self.emu._pending and not self._inflight

    async def _run(self) -> None:
        pending = self.emu._pending
        while not self._stopping:
            while pending and not self.paused:
                record = pending.popleft()
                self._stamp(record)
                task = asyncio.get_running_loop().create_task(self._deliver(record))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
            await self.emu._park(self.emu._update_waiters, 0.5)

    def _stamp(self, record: UpdateRecord) -> None:
        """What getUpdates does when it hands an update to the bot (emulator._get_updates)."""
        record.deliveries += 1
        if record.delivered_at is None:
            record.delivered_at = time.monotonic()
            chat = self.emu._chats.get(record.chat_id) if record.chat_id is not None else None
            if chat is not None:
                chat.awaiting_reply.append(record)

    async def _deliver(self, record: UpdateRecord) -> None:
        assert self._client is not None
        index = self._choose(record, len(self.targets))
        body = json.dumps(record.payload, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.secret is not None:
            headers[SECRET_HEADER] = self.secret
        for attempt in range(self._max_attempts):
            if attempt:
                self.stats.retries += 1
                await asyncio.sleep(self._retry_delay)
                index = (index + 1) % len(self.targets)  # as a load balancer fails over
            async with self._sem:
                try:
                    answer = await self._client.post(self.targets[index], content=body,
                                                     headers=headers)  # fmt: skip
                    status = answer.status_code
                except httpx.HTTPError:
                    status = 0
            self.stats.statuses[status] += 1
            if 200 <= status < 300:
                self.stats.delivered[record.update_id] += 1
                self.stats.per_target[index] += 1
                return
            if self._stopping:
                break
        self.stats.given_up.append(record.update_id)


# --- bot processes ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class BotProcess:
    proc: subprocess.Popen[bytes]
    port: int
    url: str  # where it serves the webhook
    log: Path
    _log_file: IO[bytes] | None = None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


def start_webhook_process(
    emu: TelegramEmulator,
    db_url: str,
    *,
    secret: str,
    public_url: str,
    register: bool,
    log_dir: Path,
    port: int | None = None,
    extra_env: dict[str, str] | None = None,
) -> BotProcess:
    """`python -m bot run --webhook` on `port` (a free one by default), serving the path of
    `public_url`; it registers the webhook with the emulator only when `register` (otherwise it
    runs with `--no-set-webhook`, the command-line way; WEBHOOK_REGISTER=false is the other)."""
    from urllib.parse import urlsplit

    port = port or free_port()
    path = urlsplit(public_url).path or "/"
    env = dict(
        os.environ,
        TELEGRAM_BOT_TOKEN=emu.token or "",
        TELEGRAM_BASE_URL=emu.base_url,
        TELEGRAM_BASE_FILE_URL=emu.base_file_url,
        DATABASE_URL=db_url,
        LOG_LEVEL="WARNING",
        WEBHOOK_URL=public_url,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET=secret,
        WEBHOOK_REGISTER="true",
        **(extra_env or {}),
    )
    flags = [] if register else ["--no-set-webhook"]  # it wins over WEBHOOK_REGISTER=true
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"bot-{port}.log"
    log_file = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--webhook", *flags],
        cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return BotProcess(proc, port, f"http://127.0.0.1:{port}{path}", log, log_file)


async def wait_listening(bot: BotProcess, timeout: float = 60.0) -> None:
    """Until the process accepts connections on its port (it has initialised: getMe, and
    setWebhook when it registers); fails early with its output if it exits."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if bot.proc.poll() is not None:
            raise RuntimeError(f"bot process exited ({bot.proc.returncode}):\n{bot.output()}")
        with contextlib.suppress(OSError):
            _reader, writer = await asyncio.open_connection("127.0.0.1", bot.port)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
        if loop.time() > deadline:
            raise TimeoutError(f"bot process not listening on {bot.port}:\n{bot.output()}")
        await asyncio.sleep(0.1)


async def stop_processes(bots: Sequence[BotProcess], timeout: float = 20.0) -> list[int | None]:
    """SIGTERM to each (PTB stops taking requests and finishes the updates it has), waiting
    without blocking the loop, so the emulator on it answers their last calls; then kill."""
    for bot in bots:
        if bot.proc.poll() is None:
            bot.proc.terminate()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while any(b.proc.poll() is None for b in bots) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    for bot in bots:
        if bot.proc.poll() is None:
            bot.proc.kill()
            bot.proc.wait()
        if bot._log_file is not None:
            bot._log_file.close()
    return [b.proc.returncode for b in bots]


async def post_update(url: str, payload: dict[str, Any], secret: str | None) -> httpx.Response:
    """One raw webhook request, as Telegram (or anybody else) would send it."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url, content=json.dumps(payload).encode(), headers=headers)
