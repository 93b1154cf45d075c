"""/start and /help: link a Telegram account by invite code, greet, and show what one can do."""

from __future__ import annotations

from bot.services.access import actor_for
from bot.services.errors import UserError
from bot.services.invites import InviteService, looks_like_code
from bot.services.replies import Outcome
from bot.services.reviews import ReviewService
from bot.storage.db import Database
from bot.texts import render


class OnboardingService:
    def __init__(self, db: Database, invites: InviteService, reviews: ReviewService) -> None:
        self.db = db
        self.invites = invites
        self.reviews = reviews

    def start(self, tg_user: int, chat_id: int, username: str, code: str) -> Outcome:
        if code:
            if not looks_like_code(code):
                raise UserError("invite_unknown")
            linked = self.invites.redeem(code, tg_user, chat_id, username)
            out = Outcome().say(render("start/linked.j2", linked=linked))
            try:
                more = self.reviews.open(tg_user)
            except UserError as exc:  # e.g. no open period yet: linking still succeeded
                return out.say(render("start/no_review_yet.j2", reason=exc.message()))
            out.replies.extend(more.replies)
            return out
        with self.db.session() as s:
            actor = actor_for(s, tg_user)
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
