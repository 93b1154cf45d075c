"""/start and /help: link a Telegram account by invite code, greet, and show what one can do."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services.access import actor_for
from bot.services.errors import UserError
from bot.services.invites import InviteService, looks_like_code
from bot.services.replies import Outcome
from bot.services.reviews import ReviewService
from bot.storage.db import Database
from bot.storage.models import TelegramAccount
from bot.texts import label, render


class OnboardingService:
    def __init__(self, db: Database, invites: InviteService, reviews: ReviewService) -> None:
        self.db = db
        self.invites = invites
        self.reviews = reviews

    def start(self, tg_user: int, chat_id: int, username: str, code: str) -> Outcome:
        with self.db.session() as s:
            _reachable_again(s, tg_user)
            actor = actor_for(s, tg_user)
        if code:
            if not looks_like_code(code):
                raise UserError("invite_unknown")
            linked = self.invites.redeem(code, tg_user, chat_id, username)
            role = label(f"role_{linked.role}") if linked.role else ""
            out = Outcome().say(render("start/linked.j2", linked=linked, role=role))
            try:
                more = self.reviews.open(tg_user)
            except UserError as exc:  # e.g. no open period yet: linking still succeeded
                return out.say(render("start/no_review_yet.j2", reason=exc.message()))
            out.replies.extend(more.replies)
            return out
        if actor is None:
            return Outcome().say(render("start/no_code.j2"))
        return Outcome().say(
            render(
                "start/menu.j2",
                actor=actor,
                manager=actor.has("secretary") or actor.has("deputy"),
                office=actor.has("office"),
            )
        )

    def help(self, tg_user: int) -> Outcome:
        with self.db.session() as s:
            actor = actor_for(s, tg_user)
        return Outcome().say(
            render(
                "start/help.j2",
                actor=actor,
                manager=bool(actor and (actor.has("secretary") or actor.has("deputy"))),
                office=bool(actor and actor.has("office")),
            )
        )


def _reachable_again(s: Session, tg_user: int) -> None:
    """/start from someone marked unreachable (Telegram answered 403: they had blocked the bot)
    means they unblocked it: reminders reach them again (bot/reminders/planning.py)."""
    account = s.execute(
        select(TelegramAccount).where(TelegramAccount.telegram_user_id == tg_user)
    ).scalar()
    if account is not None and account.unreachable_at is not None:
        account.unreachable_at = None
