"""The services a handler can call, built once per process around one database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from bot.services.cell import CellService
from bot.services.collective_chat import PREFIX as COLLECTIVE_AWAITING
from bot.services.collective_chat import CollectiveChat
from bot.services.collectives import CollectiveService
from bot.services.facts import FactService
from bot.services.facts_chat import FactChat
from bot.services.invites import InviteService
from bot.services.meeting_chat import MeetingChat
from bot.services.meeting_minutes import MeetingMinutesService
from bot.services.meetings import MeetingService
from bot.services.minutes_chat import AWAITING as MINUTES_AWAITING
from bot.services.minutes_chat import MinutesChat
from bot.services.onboarding import OnboardingService
from bot.services.org import OrgService
from bot.services.privacy import PrivacyService
from bot.services.proxy import ProxyService
from bot.services.reminders import ReminderService
from bot.services.replies import Outcome
from bot.services.reports import ReportService
from bot.services.residence import ResidenceService
from bot.services.results import ResultsService
from bot.services.reviews import PendingInput, ReviewService
from bot.services.roles_chat import RoleChat
from bot.services.roster import RosterService
from bot.services.units import run_unit
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
        self.minutes = MeetingMinutesService(db, self.results)
        self.minutes_chat = MinutesChat(db, self.minutes)
        self.privacy = PrivacyService(db)
        self.fact_chat = FactChat(db, self.facts, self.results)
        self.residence = ResidenceService(db)
        self.roles = RoleChat(db, self.invites)
        self.collectives = CollectiveService(db, settings)
        self.collective_chat = CollectiveChat(db, self.collectives)

    def on_text(self, tg_user: int, text: str) -> Outcome:
        """A typed message: a secretary's pending input (a count, a reason) or a review answer."""
        try:
            return self.reviews.on_text(tg_user, text)
        except PendingInput as pending:
            awaiting = pending.marker
        if awaiting.startswith("fact:"):
            return self.fact_chat.on_text(tg_user, awaiting, text)
        if awaiting.startswith("residence:"):
            return self.residence.on_text(tg_user, awaiting, text)
        if awaiting.startswith(MINUTES_AWAITING):
            return self.minutes_chat.on_text(tg_user, text)
        if awaiting.startswith(COLLECTIVE_AWAITING):
            return self.collective_chat.on_text(tg_user, text)
        return self.meeting_chat.on_text(tg_user, text)

    def cancel(self, tg_user: int) -> Outcome:
        if self.meeting_chat.cancel(tg_user):
            return Outcome().say(render("meeting/cancelled.j2"))
        return self.reviews.cancel(tg_user)

    async def call(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a (synchronous) service call off the event loop: one unit of work per call."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def run(
        self, update_id: int | None, digest: str, fn: Callable[..., R], /, *args: object
    ) -> R | None:
        """`call` for the handler of a Telegram update: recorded so that a redelivery is skipped
        (None), retried while the database is briefly unavailable (bot/services/units.py)."""
        return await run_unit(self.db, update_id, digest, fn, *args)
