"""The secretary's workspace in chat (`/cell`): pick a cell, then its roster (import by sending a
spreadsheet, export), the members' invite links, and progress with a one-tap nudge.

Meetings, ballots, proposals and documents have their own services; this hub links to them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.review.questionnaire import build
from bot.rules.catalog import load_catalog
from bot.rules.levels import MemberKind, Rulebook
from bot.services.access import Actor, managed_cells, require_actor, require_cell_manager
from bot.services.cycle import cell_steps
from bot.services.errors import UserError
from bot.services.invites import InviteService
from bot.services.org import current_period, root_of
from bot.services.replies import Button, Document, Outcome
from bot.services.roster import RosterService, report_lines
from bot.storage.db import Database
from bot.storage.models import Answer, Member, Organisation, SelfReview, TelegramAccount
from bot.texts import label, render
from bot.vietnamese import sort_key


@dataclass(frozen=True)
class MemberProgress:
    member_id: int
    name: str
    state: str  # not_linked | not_started | in_progress | submitted
    answered: int
    total: int
    unreachable: bool


class CellService:
    def __init__(self, db: Database, invites: InviteService, roster: RosterService) -> None:
        self.db = db
        self.invites = invites
        self.roster = roster

    # ---- the hub ---------------------------------------------------------------------------

    def menu(self, tg_user: int, cell_id: int | None = None) -> Outcome:
        with self.db.session() as s:
            actor = require_actor(s, tg_user)
            cells = managed_cells(s, actor)
            if not cells:
                raise UserError("not_a_manager")
            if cell_id is None and len(cells) > 1:
                choices = [(Button(_name(s, c), f"cm:{c}:menu"),) for c in cells]
                return Outcome().say(render("cell/choose.j2", count=len(cells)), *choices)
            cell = cell_id if cell_id is not None else cells[0]
            require_cell_manager(s, actor, cell)
            name = _name(s, cell)
            office = ("office", root_of(s, cell).id) in actor.roles
        rows: list[tuple[Button, ...]] = [
            (
                Button(label("btn_cell_progress"), f"cm:{cell}:progress"),
                Button(label("btn_cell_invites"), f"cm:{cell}:invites"),
            ),
            (
                Button(label("btn_cell_roster"), f"cm:{cell}:roster"),
                Button(label("btn_cell_reminders"), f"rm:cell:{cell}"),
            ),
            (
                Button(label("btn_cell_meeting"), f"mt:{cell}:menu"),
                Button(label("btn_cell_results"), f"rs:{cell}:view"),
            ),
        ]
        rows.append(
            (
                Button(label("btn_cell_facts"), f"fa:l:{cell}:0"),
                Button(label("btn_cell_residence"), f"rf:l:{cell}:0"),
            )
        )
        if office:  # only the office grants the cell's secretary and deputy
            rows.append((Button(label("btn_cell_roles"), f"ro:v:{cell}"),))
        return Outcome().say(render("cell/menu.j2", name=name, cell_id=cell), *rows)

    def on_button(self, tg_user: int, data: str) -> Outcome:
        parts = data.split(":")
        if len(parts) != 3 or not parts[1].isdigit():
            raise UserError("stale_button")
        cell_id, action = int(parts[1]), parts[2]
        if action == "menu":
            return self.menu(tg_user, cell_id)
        if action == "progress":
            return self.progress(tg_user, cell_id)
        if action == "invites":
            return self.invite_links(tg_user, cell_id)
        if action == "roster":
            return self.roster_info(tg_user, cell_id)
        if action == "export":
            return self.roster_export(tg_user, cell_id)
        raise UserError("stale_button")

    # ---- roster ------------------------------------------------------------------------------

    def roster_info(self, tg_user: int, cell_id: int) -> Outcome:
        with self.db.session() as s:
            self._check(s, tg_user, cell_id)
            count = s.execute(
                select(func.count(Member.id)).where(
                    Member.cell_id == cell_id, Member.removed_at.is_(None)
                )
            ).scalar()
            name = _name(s, cell_id)
        return Outcome().say(
            render("cell/roster.j2", name=name, count=count, cell_id=cell_id),
            (Button(label("btn_roster_export"), f"cm:{cell_id}:export"),),
        )

    def roster_export(self, tg_user: int, cell_id: int) -> Outcome:
        with self.db.session() as s:
            self._check(s, tg_user, cell_id)
            name = _name(s, cell_id)
        data = self.roster.export_xlsx(cell_id)
        return Outcome().send_document(
            Document(f"danh-sach-chi-bo-{cell_id}.xlsx", data, caption=name)
        )

    def check_upload(self, tg_user: int, caption: str) -> None:
        """May `tg_user` send a roster (into the cell their caption names)? Checked before the
        file is fetched from Telegram: nobody else makes the bot download anything."""
        with self.db.session() as s:
            self._upload_cell(s, tg_user, caption)

    def _upload_cell(self, s: Session, tg_user: int, caption: str) -> tuple[Actor, int]:
        actor = require_actor(s, tg_user)
        cells = managed_cells(s, actor)
        if not cells:
            raise UserError("upload_not_expected")
        cell_id = _cell_from_caption(caption, cells)
        require_cell_manager(s, actor, cell_id)
        return actor, cell_id

    def import_upload(self, tg_user: int, data: bytes, filename: str, caption: str) -> Outcome:
        """A spreadsheet sent in chat: into the sender's cell, or the cell named in the caption."""
        with self.db.session() as s:
            actor, cell_id = self._upload_cell(s, tg_user, caption)
            name = _name(s, cell_id)
        report = self.roster.import_file(cell_id, data, filename, actor=actor.label)
        return Outcome().say(
            render(
                "cell/import_report.j2",
                report=report,
                name=name,
                lines=report_lines(report)[:40],
                more=max(0, len(report.problems) - 40),
            )
        )

    # ---- invites -----------------------------------------------------------------------------

    def invite_links(self, tg_user: int, cell_id: int, bot_username: str = "") -> Outcome:
        with self.db.session() as s:
            actor = self._check(s, tg_user, cell_id)
            lines = self.invites.for_cell(cell_id, actor=actor.label, session=s)
            name = _name(s, cell_id)
        bot = bot_username or "<bot>"
        rows = [{"name": x.full_name, "link": x.link(bot), "expires": x.expires_at} for x in lines]
        out = Outcome().say(render("cell/invites.j2", name=name, rows=rows))
        if rows:
            text = render("cell/invites_file.j2", name=name, rows=rows)
            out.send_document(
                Document(f"ma-moi-chi-bo-{cell_id}.txt", text.encode("utf-8"), caption=name)
            )
        return out

    # ---- progress ----------------------------------------------------------------------------

    def progress_rows(self, s: Session, cell_id: int) -> list[MemberProgress]:
        period = current_period(s, cell_id)
        members = (
            s.execute(
                select(Member).where(
                    Member.cell_id == cell_id,
                    Member.removed_at.is_(None),
                    Member.status.in_(("official", "probationary")),
                )
            )
            .scalars()
            .all()
        )
        accounts = {
            a.member_id: a
            for a in s.execute(
                select(TelegramAccount).where(
                    TelegramAccount.member_id.in_([m.id for m in members])
                )
            ).scalars()
        }
        reviews = {
            r.member_id: r
            for r in s.execute(
                select(SelfReview).where(
                    SelfReview.period_id == period.id,
                    SelfReview.member_id.in_([m.id for m in members]),
                )
            ).scalars()
        }
        counts = dict(
            s.execute(
                select(Answer.review_id, func.count(Answer.id))
                .where(Answer.review_id.in_([r.id for r in reviews.values()]))
                .group_by(Answer.review_id)
            ).all()
        )
        rows: list[MemberProgress] = []
        totals: dict[tuple[str, bool], int] = {}
        for m in sorted(members, key=lambda m: sort_key(m.full_name)):
            key = (m.kind, m.civil_servant)
            if key not in totals:
                catalog = load_catalog(Rulebook(period.rulebook), MemberKind(m.kind))
                totals[key] = len(build(catalog, civil_servant=m.civil_servant))
            review = reviews.get(m.id)
            account = accounts.get(m.id)
            answered = counts.get(review.id, 0) if review else 0
            if review is not None and review.status == "submitted":
                state = "submitted"
            elif answered:
                state = "in_progress"
            elif account is None:
                state = "not_linked"
            else:
                state = "not_started"
            rows.append(
                MemberProgress(
                    m.id,
                    m.full_name,
                    state,
                    answered,
                    totals[key],
                    bool(account and account.unreachable_at),
                )
            )
        return rows

    def progress(self, tg_user: int, cell_id: int) -> Outcome:
        with self.db.session() as s:
            self._check(s, tg_user, cell_id)
            rows = self.progress_rows(s, cell_id)
            name = _name(s, cell_id)
            order = cell_steps(s, cell_id)  # the order of the cycle, when the cell has a chi ủy
        groups = {
            state: [r for r in rows if r.state == state]
            for state in ("submitted", "in_progress", "not_started", "not_linked")
        }
        buttons = []
        if groups["in_progress"] or groups["not_started"]:
            buttons.append((Button(label("btn_nudge_late"), f"rm:nudge:{cell_id}"),))
        buttons.append((Button(label("btn_back_to_cell"), f"cm:{cell_id}:menu"),))
        return Outcome().say(
            render("cell/progress.j2", name=name, groups=groups, total=len(rows), order=order),
            *buttons,
        )

    def _check(self, s: Session, tg_user: int, cell_id: int) -> Actor:
        actor = require_actor(s, tg_user)
        require_cell_manager(s, actor, cell_id)
        return actor


def _name(s: Session, cell_id: int) -> str:
    org = s.get(Organisation, cell_id)
    if org is None:
        raise UserError("cell_not_found", cell_id=cell_id)
    return org.name


def _cell_from_caption(caption: str, cells: list[int]) -> int:
    digits = "".join(ch for ch in caption if ch.isdigit())
    if digits:
        return int(digits)
    if len(cells) == 1:
        return cells[0]
    raise UserError("upload_which_cell")
