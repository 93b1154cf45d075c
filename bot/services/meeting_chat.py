"""The cell meeting in chat: open it, enter each member's secret-ballot count by typing
(`9 2 1 0`), see the proposals with their reasons, override with a written reason, and get the
cell's documents. What a typed message is for lives in the database (`TelegramAccount.awaiting`),
so a restart in the middle of a meeting loses nothing."""

from __future__ import annotations

import html

from bot.services.access import require_actor, require_cell_manager
from bot.services.awaiting import AwaitingInput
from bot.services.errors import UserError
from bot.services.meetings import MeetingService, Round2Counts, parse_counts
from bot.services.replies import Button, Outcome
from bot.services.reports import ReportService
from bot.services.results import ResultsService
from bot.services.spreadsheet import parse_date
from bot.storage.db import Database
from bot.storage.models import Member
from bot.texts import label, render, render_string

LEVELS = ("HTXSNV", "HTTNV", "HTNV", "KHTNV")
# Refusals that mean the pending input can never succeed for this user any more.
_ACCESS_LOST = frozenset({"not_your_cell", "not_linked", "member_removed", "not_a_manager"})


class MeetingChat(AwaitingInput):
    access_lost = _ACCESS_LOST

    def __init__(
        self,
        db: Database,
        meetings: MeetingService,
        results: ResultsService,
        reports: ReportService,
    ) -> None:
        self.db = db
        self.meetings = meetings
        self.results = results
        self.reports = reports

    # ---- what a typed message is for ---------------------------------------------------------

    def _on_text(self, tg_user: int, text: str) -> Outcome:
        what = self.awaiting(tg_user)
        kind, _, rest = what.partition(":")
        if kind == "meeting":
            return self._meeting_text(tg_user, int(rest), text)
        if kind == "ballot":
            cell, _, member = rest.partition(":")
            return self._ballot_text(tg_user, int(cell), int(member), text)
        if kind == "override":
            member, _, level = rest.partition(":")
            return self._override_text(tg_user, int(member), level, text)
        raise UserError("stale_button")

    def cancel(self, tg_user: int) -> bool:
        """Forget a pending secretary input; True if there was one."""
        had = bool(self.awaiting(tg_user))
        if had:
            self._set(tg_user, "")
        return had

    # ---- buttons -------------------------------------------------------------------------------

    def on_button(self, tg_user: int, data: str) -> Outcome:
        parts = data.split(":")
        verb = parts[0]
        if verb == "mt" and len(parts) == 3:
            cell = int(parts[1])
            if parts[2] == "menu":
                return self.meeting_menu(tg_user, cell)
            if parts[2] == "edit":
                return self._ask_meeting(tg_user, cell)
        if verb == "bl" and len(parts) == 3:
            return self._ask_ballot(tg_user, int(parts[1]), int(parts[2]))
        if verb == "rs" and len(parts) == 3:
            cell = int(parts[1])
            if parts[2] == "view":
                return self.results_view(tg_user, cell)
            if parts[2] == "docs":
                return self.documents(tg_user, cell)
            if parts[2] == "ovr":
                return self._override_pick(tg_user, cell)
        if verb == "ov" and len(parts) == 2:
            return self._override_levels(tg_user, int(parts[1]))
        if verb == "ol" and len(parts) == 3 and parts[2] in LEVELS:
            return self._ask_override_reason(tg_user, int(parts[1]), parts[2])
        raise UserError("stale_button")

    # ---- the meeting -------------------------------------------------------------------------

    def meeting_menu(self, tg_user: int, cell_id: int) -> Outcome:
        info = self.meetings.get(tg_user, cell_id)
        if info is None:
            return self._ask_meeting(tg_user, cell_id)
        ballots = self.meetings.ballots(tg_user, cell_id)
        icons = {"locked": "✅", "awaiting_second": "⏳", "none": "▫️"}
        rows: list[tuple[Button, ...]] = [
            (Button(f"{icons[b.state]} {b.name}", f"bl:{cell_id}:{b.member_id}"),)
            for b in ballots
            if b.status in ("official", "probationary")
        ]
        total = len(rows)
        rows.append(
            (
                Button(label("btn_meeting_edit"), f"mt:{cell_id}:edit"),
                Button(label("btn_cell_results"), f"rs:{cell_id}:view"),
            )
        )
        # The programme and the minutes with the chair's conclusions (bot/services/minutes_chat.py).
        rows.append(
            (
                Button(label("btn_minutes_conclusions"), f"mr:{info.meeting_id}:concl"),
                Button(label("btn_meeting_minutes"), f"mr:{info.meeting_id}:menu"),
            )
        )
        rows.append((Button(label("btn_minutes_programme"), f"mr:{info.meeting_id}:prog"),))
        done = sum(b.state == "locked" for b in ballots)
        return Outcome().say(render("meeting/menu.j2", info=info, done=done, total=total), *rows)

    def _ask_meeting(self, tg_user: int, cell_id: int) -> Outcome:
        with self.db.session() as s:
            actor = require_actor(s, tg_user)
            require_cell_manager(s, actor, cell_id)
        self._set(tg_user, f"meeting:{cell_id}")
        return Outcome().say(render("meeting/ask_open.j2"))

    def _meeting_text(self, tg_user: int, cell_id: int, text: str) -> Outcome:
        parts = text.replace(",", " ").split()
        double = any(p.lower() in ("x2", "2lan", "hai") for p in parts[2:])
        try:
            held_on = parse_date(parts[0]) if parts else None
            present = int(parts[1]) if len(parts) > 1 else -1
        except (ValueError, IndexError):
            held_on, present = None, -1
        if held_on is None or present < 0:
            return Outcome().say(render("meeting/bad_open.j2", text=text))
        self.meetings.open(tg_user, cell_id, held_on, present, double_entry=double or None)
        self._set(tg_user, "")
        return self.meeting_menu(tg_user, cell_id)

    # ---- ballots -----------------------------------------------------------------------------

    def _ask_ballot(self, tg_user: int, cell_id: int, member_id: int) -> Outcome:
        ballots = {b.member_id: b for b in self.meetings.ballots(tg_user, cell_id)}
        if member_id not in ballots:
            raise UserError("stale_button")
        self._set(tg_user, f"ballot:{cell_id}:{member_id}")
        return Outcome().say(render("meeting/ask_ballot.j2", ballot=ballots[member_id]))

    def _ballot_text(self, tg_user: int, cell_id: int, member_id: int, text: str) -> Outcome:
        lines = [x.strip() for x in text.split("\n") if x.strip()]
        counts = parse_counts(lines[0] if lines else "")
        reason = " ".join(lines[1:])
        name = self._actor_name(tg_user)
        if isinstance(counts, Round2Counts):
            outcome = self.meetings.add_round2(
                tg_user, cell_id, member_id, counts, counter=name, reason=reason
            )
        else:
            outcome = self.meetings.enter_ballot(
                tg_user, cell_id, member_id, counts, counter=name, reason=reason
            )
        self._set(tg_user, "")
        out = Outcome().say(render("meeting/ballot_done.j2", outcome=outcome))
        nxt = next(
            (
                b
                for b in self.meetings.ballots(tg_user, cell_id)
                if b.state == "none" and b.status in ("official", "probationary")
            ),
            None,
        )
        if nxt is not None:
            return out.say(
                render("meeting/next_ballot.j2", name=nxt.name),
                (Button(nxt.name, f"bl:{cell_id}:{nxt.member_id}"),),
                (Button(label("btn_meeting_list"), f"mt:{cell_id}:menu"),),
            )
        return out.say(
            render("meeting/all_entered.j2"),
            (Button(label("btn_cell_results"), f"rs:{cell_id}:view"),),
        )

    # ---- results, overrides, documents -------------------------------------------------------

    def results_view(self, tg_user: int, cell_id: int) -> Outcome:
        out = self.results.cell_outcome(tg_user, cell_id)
        rows = (
            (Button(label("btn_results_docs"), f"rs:{cell_id}:docs"),),
            (Button(label("btn_results_override"), f"rs:{cell_id}:ovr"),),
            (Button(label("btn_back_to_cell"), f"cm:{cell_id}:menu"),),
        )
        last = out.replies[-1]
        out.replies[-1] = type(last)(text=last.text, buttons=rows)
        return out

    def documents(self, tg_user: int, cell_id: int) -> Outcome:
        out = Outcome().say(render("meeting/documents.j2"))
        out.send_document(self.reports.summary(tg_user, cell_id=cell_id, fmt="xlsx"))
        out.send_document(self.reports.summary(tg_user, cell_id=cell_id, fmt="docx"))
        if self.meetings.get(tg_user, cell_id) is not None:
            out.send_document(self.reports.minutes(tg_user, cell_id))
        out.send_document(self.reports.results_chart(tg_user, cell_id=cell_id))
        out.send_document(self.reports.indicators_chart(tg_user, cell_id=cell_id))
        out.send_document(self.reports.export_csv(tg_user, cell_id=cell_id))
        return out

    def _override_pick(self, tg_user: int, cell_id: int) -> Outcome:
        ballots = self.meetings.ballots(tg_user, cell_id)
        rows = [
            (Button(b.name, f"ov:{b.member_id}"),)
            for b in ballots
            if b.status in ("official", "probationary")
        ]
        return Outcome().say(render("meeting/override_pick.j2"), *rows)

    def _override_levels(self, tg_user: int, member_id: int) -> Outcome:
        name = self._member_name(tg_user, member_id)
        rows = [
            (Button(render_string("labels.yaml", f"level_{lv}"), f"ol:{member_id}:{lv}"),)
            for lv in LEVELS
        ]
        return Outcome().say(render("meeting/override_level.j2", name=name), *rows)

    def _ask_override_reason(self, tg_user: int, member_id: int, level: str) -> Outcome:
        name = self._member_name(tg_user, member_id)
        self._set(tg_user, f"override:{member_id}:{level}")
        return Outcome().say(
            render(
                "meeting/override_reason.j2",
                name=name,
                level=render_string("labels.yaml", f"level_{level}"),
            )
        )

    def _override_text(self, tg_user: int, member_id: int, level: str, text: str) -> Outcome:
        info = self.results.override(tg_user, member_id, level, text)
        self._set(tg_user, "")
        return Outcome().say(
            render(
                "meeting/override_done.j2",
                info=info,
                level=render_string("labels.yaml", f"level_{level}"),
                reason=html.escape(text),
            )
        )

    # ---- helpers -----------------------------------------------------------------------------

    def _actor_name(self, tg_user: int) -> str:
        with self.db.session() as s:
            return require_actor(s, tg_user).full_name

    def _member_name(self, tg_user: int, member_id: int) -> str:
        with self.db.session() as s:
            actor = require_actor(s, tg_user)
            member = s.get(Member, member_id)
            if member is None or member.removed_at is not None:
                raise UserError("member_not_found", member_id=member_id)
            require_cell_manager(s, actor, member.cell_id)
            return member.full_name
