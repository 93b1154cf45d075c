"""The services a handler can call, built once per process around one database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from bot.services.invites import InviteService
from bot.services.onboarding import OnboardingService
from bot.services.org import OrgService
from bot.services.proxy import ProxyService
from bot.services.reviews import ReviewService
from bot.services.roster import RosterService
from bot.settings import Settings
from bot.storage.db import Database

P = ParamSpec("P")
R = TypeVar("R")


class Services:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.org = OrgService(db)
        self.roster = RosterService(db)
        self.invites = InviteService(db, settings.invite_ttl_days)
        self.reviews = ReviewService(db)
        self.onboarding = OnboardingService(db, self.invites, self.reviews)
        self.proxy = ProxyService(db, self.reviews)

    async def call(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a (synchronous) service call off the event loop: one unit of work per call."""
        return await asyncio.to_thread(fn, *args, **kwargs)
