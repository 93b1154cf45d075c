"""Run the real bot `Application` inside the current event loop (tests, sandbox, benchmarks).

The same `build_application` as production, polling whatever `TELEGRAM_BASE_URL` names (in
tests: the emulator on loopback). Leaving the context stops polling and shuts down cleanly, so a
"restart" is leaving one context and entering another on the same database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram.ext import Application

from bot.app import build_application
from bot.services.container import Services
from bot.settings import Settings


@asynccontextmanager
async def running_bot(
    settings: Settings, services: Services | None = None, *, rate_limiter: bool = True
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    app = build_application(settings, services, rate_limiter=rate_limiter)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=5, drop_pending_updates=False)
    await app.start()
    try:
        yield app
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
