"""Proxy entry: a secretary fills in the review of a member who has no smartphone, and unlocks a
submitted review. Everything entered so is marked as proxy (answers, audit log, document)."""

from __future__ import annotations

from sqlalchemy import select

from bot.services import audit
from bot.services.access import can_manage_cell, managed_cells, require_actor, require_cell_manager
from bot.services.errors import UserError
from bot.services.org import current_period
from bot.services.replies import Button, Outcome
from bot.services.reviews import ReviewService
from bot.storage.db import Database
from bot.storage.models import Member, Organisation, SelfReview, TelegramAccount
from bot.texts import render, render_string
from bot.vietnamese import sort_key


class ProxyService:
    def __init__(self, db: Database, reviews: ReviewService) -> None:
        self.db = db
        self.reviews = reviews

    def choose(self, tg_user: int) -> Outcome:
        with self.db.session() as s:
            actor = require_actor(s, tg_user)
            cells = managed_cells(s, actor)
            if not cells:
                raise UserError("not_a_manager")
            members = [
                m
                for m in s.execute(
                    select(Member).where(
                        Member.cell_id.in_(cells),
                        Member.removed_at.is_(None),
                        Member.status.in_(("official", "probationary")),
                    )
                ).scalars()
            ]
            members.sort(key=lambda m: (cells.index(m.cell_id), sort_key(m.full_name)))
            names = {
                c: (s.get(Organisation, c).name if s.get(Organisation, c) else "") for c in cells
            }
            rows = [
                (
                    Button(
                        m.full_name if len(cells) == 1 else f"{m.full_name} · {names[m.cell_id]}",
                        f"px:{m.id}",
                    ),
                )
                for m in members[:90]
            ]
            return Outcome().say(render("proxy/choose.j2", count=len(members)), *rows)

    def start(self, tg_user: int, member_id: int) -> Outcome:
        with self.db.session() as s:
            actor = require_actor(s, tg_user)
            member = s.get(Member, member_id)
            if member is None or member.removed_at is not None:
                raise UserError("member_not_found", member_id=member_id)
            require_cell_manager(s, actor, member.cell_id)
            account = s.execute(
                select(TelegramAccount).where(TelegramAccount.telegram_user_id == tg_user)
            ).scalar_one()
            account.acting_for_member_id = None if member_id == actor.member_id else member_id
            audit.record(
                s,
                actor=actor.label,
                entity="proxy",
                entity_id=member_id,
                action="start",
                proxy=True,
            )
        out = Outcome().say(render("proxy/started.j2", name=member.full_name))
        out.replies.extend(self.reviews.open(tg_user).replies)
        return out

    def stop(self, tg_user: int) -> Outcome:
        with self.db.session() as s:
            require_actor(s, tg_user)
            account = s.execute(
                select(TelegramAccount).where(TelegramAccount.telegram_user_id == tg_user)
            ).scalar_one()
            was = account.acting_for_member_id
            account.acting_for_member_id = None
            name = s.get(Member, was).full_name if was else ""
        return Outcome().say(render("proxy/stopped.j2", name=name))

    def unlock(self, tg_user: int, member_id: int) -> Outcome:
        with self.db.session() as s:
            actor = require_actor(s, tg_user)
            member = s.get(Member, member_id)
            if member is None:
                raise UserError("member_not_found", member_id=member_id)
            if not can_manage_cell(s, actor, member.cell_id):
                raise UserError("not_your_cell")
            period = current_period(s, member.cell_id)
            review = s.execute(
                select(SelfReview).where(
                    SelfReview.period_id == period.id, SelfReview.member_id == member_id
                )
            ).scalar()
            if review is None or review.status != "submitted":
                raise UserError("review_not_submitted", name=member.full_name)
            review.status, review.cursor, review.awaiting = "in_progress", "summary", ""
            review.submitted_at = None
            audit.record(
                s,
                actor=actor.label,
                entity="self_review",
                entity_id=review.id,
                action="unlock",
                new={"member_id": member_id},
            )
            return Outcome().say(
                render_string("errors.yaml", "review_unlocked", name=member.full_name)
            )
