"""The services a handler can call, built once per process around one database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from bot.services.cell import CellService
from bot.services.facts import FactService
from bot.services.invites import InviteService
from bot.services.meeting_chat import MeetingChat
from bot.services.meetings import MeetingService
from bot.services.onboarding import OnboardingService
from bot.services.org import OrgService
from bot.services.privacy import PrivacyService
from bot.services.proxy import ProxyService
from bot.services.reminders import ReminderService
from bot.services.replies import Outcome
from bot.services.reports import ReportService
from bot.services.results import ResultsService
from bot.services.reviews import ReviewService
from bot.services.roster import RosterService
from bot.settings import Settings
from bot.storage.db import Database
from bot.texts import render

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
        self.cell = CellService(db, self.invites, self.roster)
        self.meetings = MeetingService(db)
        self.facts = FactService(db)
        self.results = ResultsService(db)
        self.reports = ReportService(db, self.results)
        self.reminders = ReminderService(db, settings, self.reviews)
        self.meeting_chat = MeetingChat(db, self.meetings, self.results, self.reports)
        self.privacy = PrivacyService(db)

    def on_text(self, tg_user: int, text: str) -> Outcome:
        """A typed message: a secretary's pending input (a count, a reason) or a review answer."""
        if self.meeting_chat.awaiting(tg_user):
            return self.meeting_chat.on_text(tg_user, text)
        return self.reviews.on_text(tg_user, text)

    def cancel(self, tg_user: int) -> Outcome:
        if self.meeting_chat.cancel(tg_user):
            return Outcome().say(render("meeting/cancelled.j2"))
        return self.reviews.cancel(tg_user)

    async def call(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a (synchronous) service call off the event loop: one unit of work per call."""
        return await asyncio.to_thread(fn, *args, **kwargs)
