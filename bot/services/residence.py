"""The residence's feedback on a member (seed 000 Mẫu 04, "phiếu nhận xét nơi cư trú"; seed 000
§1.4: the cell asks the chi ủy where the member lives, and takes its remarks into account).

Per member and period, the member's own cell either
- enters the six answers itself (from the paper form, or what it knows): `rf:e:<member>`
  (`rf:r:<member>` once confirmed over answers already given or awaited), or
  `rf:p:<member>:<cell>` from the paper of a given residence cell; or
- asks the secretary of the residence cell (a cell of the same organisation, chosen by the
  secretary) through the bot: `rf:s:<member>:<cell>`. That secretary gets a message and answers
  in chat: six questions with three choices each (buttons `ra:<id>:<q>:<choice>`), then the
  free-text "other remarks" typed (awaiting marker `residence:<id>`) or skipped
  (`ra:<id>:7:0`). `cursor` keeps the question being answered, so `ra:<id>` resumes where the
  answer stopped, after a restart or days later. If no secretary or deputy of that cell uses
  the bot, nothing is sent and the secretary is offered to enter the paper form instead.

Access: only the member's own cell (its secretary or deputy, or the office above it) may
request, enter or read the feedback; the residence cell's secretary or deputy may only answer
the request addressed to their cell, and sees nothing of the member but the name and cell.
Answers are choice codes; the free text is encrypted (`ResidenceFeedback.other`). Every step is
audited (entity `residence`). The short summary (`residence_summary`) fills the residence column
of the cell's summary (Mẫu 03, column 5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.documents.residence import ResidenceDocument, ResidenceQuestion
from bot.documents.residence import render_docx as residence_docx
from bot.services import audit
from bot.services.access import Actor, can_manage_cell, require_actor, require_cell_manager
from bot.services.awaiting import account_of as _account
from bot.services.errors import UserError
from bot.services.org import current_period, root_of
from bot.services.replies import Button, Document, Outcome
from bot.storage.db import Database
from bot.storage.models import (
    Member,
    Organisation,
    ResidenceFeedback,
    Role,
    TelegramAccount,
)
from bot.storage.types import utcnow
from bot.texts import label, render, render_string
from bot.vietnamese import clean, fold, sort_key

TEXTS = "residence.yaml"
CHOICES = (1, 2, 3, 4, 5, 6)  # the questions answered with a choice
OTHER = 7  # "Nhận xét khác", free text
OPTIONS = (1, 2, 3)
MAX_OTHER = 1500  # characters of the free text
PAGE = 30
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")  # dates shown to people (docs/architecture.md, Time)
_ACCESS_LOST = frozenset({"not_your_cell", "not_linked", "member_removed", "residence_not_yours"})


def t(key: str, **params: Any) -> str:
    return render_string(TEXTS, key, **params)


def residence_summary(answers: Mapping[str, Any]) -> str:
    """The short summary of an answered form, for the summary's residence column: the
    proposal of question 6, how many of questions 1-5 are at their best choice, and those at
    the weakest choice ("Biểu dương; 5/5 nội dung mức cao nhất"). The free-text remark is not
    summarised: it is on the form itself."""
    parts: list[str] = []
    verdict = answers.get("6")
    if verdict in OPTIONS:
        parts.append(t(f"verdict_{verdict}"))
    best = sum(1 for q in range(1, 6) if answers.get(str(q)) == 1)
    parts.append(t("summary_best", n=best))
    parts.extend(t(f"weak_{q}") for q in range(1, 6) if answers.get(str(q)) == 3)
    return "; ".join(parts)


@dataclass(frozen=True)
class Recipient:
    member_id: int
    name: str
    chat_id: int


class ResidenceService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- buttons -------------------------------------------------------------------------------

    def on_button(self, tg_user: int, data: str) -> Outcome:
        parts = data.split(":")
        if len(parts) < 2 or not all(p.isdigit() for p in parts[2 if parts[0] == "rf" else 1 :]):
            raise UserError("stale_button")
        if parts[0] == "ra":
            fid = int(parts[1])
            if len(parts) == 2:
                return self.resume(tg_user, fid)
            if len(parts) == 4:
                return self.answer(tg_user, fid, int(parts[2]), int(parts[3]))
            raise UserError("stale_button")
        if parts[0] != "rf" or len(parts) < 3:
            raise UserError("stale_button")
        verb, target = parts[1], int(parts[2])
        extra = int(parts[3]) if len(parts) == 4 else None
        if verb in ("l", "b") and extra is not None:
            return self.members(tg_user, target, extra, edit=verb == "b")
        if len(parts) == 3:
            if verb == "m":
                return self.card(tg_user, target)
            if verb == "a":
                return self.pick_cell(tg_user, target)
            if verb in ("e", "r"):  # r: confirmed, over answers already given
                return self.enter(tg_user, target, confirmed=verb == "r")
            if verb == "d":
                return Outcome().send_document(self.document(tg_user, target))
        if extra is not None:
            if verb == "s":
                return self.request(tg_user, target, extra)
            if verb == "p":
                return self.enter(tg_user, target, residence_cell_id=extra)
        raise UserError("stale_button")

    # ---- the member's cell: list, card, request, enter -----------------------------------------

    def members(self, tg_user: int, cell_id: int, page: int = 0, *, edit: bool = False) -> Outcome:
        """The cell's members with the state of their feedback, and the requests other cells
        sent to this cell (for its secretary or deputy to answer)."""
        with self.db.session() as s:
            actor = require_actor(s, tg_user)
            require_cell_manager(s, actor, cell_id)
            cell = s.get(Organisation, cell_id)
            if cell is None:
                raise UserError("cell_not_found", cell_id=cell_id)
            period = current_period(s, cell_id)
            members = sorted(
                s.execute(
                    select(Member).where(
                        Member.cell_id == cell_id,
                        Member.removed_at.is_(None),
                        Member.status.in_(("official", "probationary")),
                    )
                ).scalars(),
                key=lambda m: sort_key(m.full_name),
            )
            rows = {
                r.member_id: r
                for r in s.execute(
                    select(ResidenceFeedback).where(
                        ResidenceFeedback.period_id == period.id,
                        ResidenceFeedback.member_id.in_([m.id for m in members]),
                    )
                ).scalars()
            }
            incoming = _incoming(s, actor, cell_id, period.id)
            name = cell.name
        states = {m.id: _state(rows.get(m.id)) for m in members}
        pages = max(1, -(-len(members) // PAGE))
        page = min(max(page, 0), pages - 1)
        icons = {"answered": "✅", "requested": "⏳", "draft": "✍️", "none": "▫️"}
        buttons = [
            Button(f"{icons[states[m.id]]} {m.full_name}", f"rf:m:{m.id}")
            for m in members[page * PAGE : (page + 1) * PAGE]
        ]
        out_rows: list[tuple[Button, ...]] = [
            (Button(label("btn_residence_answer", name=n, cell=c), f"ra:{fid}"),)
            for fid, n, c in incoming
        ]
        out_rows += [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        nav: list[Button] = []
        if page > 0:
            nav.append(Button(label("btn_page_prev"), f"rf:b:{cell_id}:{page - 1}"))
        if page + 1 < pages:
            nav.append(Button(label("btn_page_next"), f"rf:b:{cell_id}:{page + 1}"))
        if nav:
            out_rows.append(tuple(nav))
        out_rows.append((Button(label("btn_back_to_cell"), f"cm:{cell_id}:menu"),))
        counts = {k: sum(1 for v in states.values() if v == k) for k in icons}
        text = render(
            "residence/list.j2",
            cell=name,
            counts=counts,
            total=len(members),
            incoming=len(incoming),
            page=page + 1,
            pages=pages,
        )
        return Outcome().say(text, *out_rows, edit=edit)

    def card(self, tg_user: int, member_id: int, *, edit: bool = True) -> Outcome:
        with self.db.session() as s:
            _actor, member = _own(s, tg_user, member_id)
            period = current_period(s, member.cell_id)
            row = _row(s, period.id, member_id)
            view = _view(s, row) if row is not None else None
            name, cell_id = member.full_name, member.cell_id
        rows: list[tuple[Button, ...]] = []
        if row is not None and row.status == "draft":
            rows.append((Button(label("btn_residence_continue"), f"ra:{row.id}"),))
        rows.append(
            (
                Button(
                    label("btn_residence_enter_again" if row else "btn_residence_enter"),
                    f"rf:e:{member_id}",
                ),
            )
        )
        rows.append((Button(label("btn_residence_request"), f"rf:a:{member_id}"),))
        if row is not None and row.status == "answered":
            rows.append((Button(label("btn_residence_docx"), f"rf:d:{member_id}"),))
        rows.append((Button(label("btn_residence_list"), f"rf:b:{cell_id}:0"),))
        text = render("residence/card.j2", name=name, v=view)
        return Outcome().say(text, *rows, edit=edit)

    def pick_cell(self, tg_user: int, member_id: int) -> Outcome:
        with self.db.session() as s:
            _actor, member = _own(s, tg_user, member_id)
            cells = _residence_cells(s, member)
            name = member.full_name
        rows = [(Button(c.name, f"rf:s:{member_id}:{c.id}"),) for c in cells]
        rows.append((Button(label("btn_back"), f"rf:m:{member_id}"),))
        return Outcome().say(
            render("residence/pick_cell.j2", name=name, count=len(cells)), *rows, edit=True
        )

    def request(self, tg_user: int, member_id: int, cell_id: int) -> Outcome:
        """Ask the residence cell's secretary (or, without one in the bot, its deputy) to answer.
        Nothing is stored when nobody of that cell uses the bot: the paper form is offered."""
        with self.db.session() as s:
            actor, member = _own(s, tg_user, member_id)
            cell = next((c for c in _residence_cells(s, member) if c.id == cell_id), None)
            if cell is None:
                raise UserError("residence_bad_cell")
            to = _recipients(s, cell_id)
            own_cell = s.get(Organisation, member.cell_id)
            assert own_cell is not None
            if not to:
                return Outcome().say(
                    render("residence/no_secretary.j2", cell=cell.name, name=member.full_name),
                    (Button(label("btn_residence_paper"), f"rf:p:{member_id}:{cell_id}"),),
                    (Button(label("btn_back"), f"rf:m:{member_id}"),),
                    edit=True,
                )
            period = current_period(s, member.cell_id)
            row = _row(s, period.id, member_id)
            old = _audit_view(row) if row is not None else None
            if row is None:
                row = ResidenceFeedback(period_id=period.id, member_id=member_id)
                s.add(row)
            _reset(row, source="residence", status="requested", residence_cell_id=cell_id)
            row.requested_by, row.requested_at = actor.label, utcnow()
            s.flush()
            audit.record(
                s,
                actor=actor.label,
                entity="residence",
                entity_id=f"{period.id}/{member_id}",
                action="request",
                old=old,
                new={"residence_cell_id": cell_id, "to": [r.member_id for r in to]},
            )
            fid, year = row.id, period.year
            names = [r.name for r in to]
            message = render(
                "residence/request.j2",
                name=member.full_name,
                born=member.birth_date.year if member.birth_date else None,
                member_cell=own_cell.name,
                cell=cell.name,
                sender=actor.full_name,
                year=year,
            )
        out = Outcome().say(
            render("residence/requested.j2", name=member.full_name, cell=cell.name, names=names),
            (Button(label("btn_residence_list"), f"rf:l:{member.cell_id}:0"),),
            edit=True,
        )
        for r in to:
            out.notify(r.chat_id, message, (Button(label("btn_residence_start"), f"ra:{fid}"),))
        return out

    def enter(
        self,
        tg_user: int,
        member_id: int,
        *,
        residence_cell_id: int | None = None,
        confirmed: bool = False,
    ) -> Outcome:
        """The member's own cell enters (or enters again) the six answers itself. Over a form
        already answered, or still awaiting the residence's answer, only after a confirmation:
        entering starts again from question 1."""
        with self.db.session() as s:
            actor, member = _own(s, tg_user, member_id)
            if residence_cell_id is not None and residence_cell_id not in {
                c.id for c in _residence_cells(s, member)
            }:
                raise UserError("residence_bad_cell")
            period = current_period(s, member.cell_id)
            row = _row(s, period.id, member_id)
            if (
                row is not None
                and row.status in ("answered", "requested")
                and residence_cell_id is None
                and not confirmed
            ):
                return Outcome().say(
                    render("residence/confirm_enter.j2", name=member.full_name, status=row.status),
                    (
                        Button(label("btn_confirm"), f"rf:r:{member_id}"),
                        Button(label("btn_back"), f"rf:m:{member_id}"),
                    ),
                    edit=True,
                )
            old = _audit_view(row) if row is not None else None
            if row is None:
                row = ResidenceFeedback(period_id=period.id, member_id=member_id)
                s.add(row)
            keep = residence_cell_id if residence_cell_id is not None else row.residence_cell_id
            _reset(row, source="cell", status="draft", residence_cell_id=keep)
            row.requested_by, row.requested_at = actor.label, utcnow()
            s.flush()
            audit.record(
                s,
                actor=actor.label,
                entity="residence",
                entity_id=f"{period.id}/{member_id}",
                action="enter",
                old=old,
                new={"residence_cell_id": keep, "source": "cell"},
            )
            fid = row.id
        return self.resume(tg_user, fid, edit=True)

    def document(self, tg_user: int, member_id: int) -> Document:
        """The answered form as a Word file (Mẫu 04), for the member's own cell."""
        with self.db.session() as s:
            _actor, member = _own(s, tg_user, member_id)
            period = current_period(s, member.cell_id)
            row = _row(s, period.id, member_id)
            if row is None or row.status != "answered":
                raise UserError("residence_not_answered", name=member.full_name)
            doc = _document(s, row, member, period.year)
        slug = "-".join(fold(member.full_name).split())
        return Document(f"phieu-nhan-xet-noi-cu-tru-{slug}.docx", residence_docx(doc), doc.title)

    # ---- answering (the residence secretary, or the member's own cell) -------------------------

    def resume(self, tg_user: int, fid: int, *, edit: bool = False) -> Outcome:
        """The question being answered (or the finished form), for whoever may answer."""
        with self.db.session() as s:
            row, member, _actor = self._answering(s, tg_user, fid, finished_ok=True)
            if row.status == "answered":
                return Outcome().say(
                    render(
                        "residence/done.j2",
                        name=member.full_name,
                        summary=residence_summary(row.answers),
                        lines=_answer_lines(row),
                        other=row.other,
                        already=True,
                    )
                )
            cursor = row.cursor
            name = member.full_name
            account = _account(s, tg_user)
            if account is not None:
                account.awaiting = f"residence:{fid}" if cursor == OTHER else ""
        return _question(fid, name, cursor, edit=edit)

    def answer(self, tg_user: int, fid: int, question: int, choice: int) -> Outcome:
        with self.db.session() as s:
            row, member, actor = self._answering(s, tg_user, fid)
            valid = (question in CHOICES and choice in OPTIONS) or (
                question == OTHER and not choice
            )
            if not valid:
                raise UserError("stale_button")
            if question != row.cursor:  # an old keyboard: nothing recorded, the current one again
                out = _question(fid, member.full_name, row.cursor)
                out.toast, out.alert = label("toast_residence_stale"), True
                return out
            if question == OTHER:
                done = self._finish(s, row, member, actor, "", tg_user)
                pressed = render(
                    "residence/answered.j2",
                    number=OTHER,
                    question=t("q7"),
                    choice=label("btn_residence_no_other"),
                )
                done.replies.insert(0, Outcome().say(pressed, edit=True).replies[0])
                return done
            answers = dict(row.answers)
            answers[str(question)] = choice
            row.answers = answers
            row.cursor = question + 1
            audit.record(
                s,
                actor=actor.label,
                entity="residence",
                entity_id=f"{row.period_id}/{row.member_id}",
                action="answer",
                new={"question": question, "choice": choice},
            )
            nxt = row.cursor
            name = member.full_name
            account = _account(s, tg_user)
            if account is not None:
                account.awaiting = f"residence:{fid}" if nxt == OTHER else ""
        out = Outcome().say(
            render(
                "residence/answered.j2",
                number=question,
                question=t(f"q{question}"),
                choice=t(f"q{question}_{choice}"),
            ),
            edit=True,
        )
        out.replies.extend(_question(fid, name, nxt).replies)
        return out

    def on_text(self, tg_user: int, what: str, text: str) -> Outcome:
        """The typed "other remarks" (question 7) for the form named by `residence:<id>`."""
        try:
            fid = int(what.partition(":")[2])
        except ValueError:
            self._set_awaiting(tg_user, "")
            raise UserError("stale_button") from None
        text = clean(text)
        if len(text) > MAX_OTHER:
            raise UserError("residence_too_long", limit=MAX_OTHER, length=len(text))
        try:
            with self.db.session() as s:
                row, member, actor = self._answering(s, tg_user, fid)
                if row.cursor != OTHER:
                    raise UserError("stale_button")
                return self._finish(s, row, member, actor, text, tg_user)
        except UserError as exc:
            if exc.code in _ACCESS_LOST or exc.code in ("stale_button", "residence_answered"):
                self._set_awaiting(tg_user, "")
            raise

    def _finish(
        self,
        s: Session,
        row: ResidenceFeedback,
        member: Member,
        actor: Actor,
        other: str,
        tg_user: int,
    ) -> Outcome:
        now = utcnow()
        row.other, row.status, row.cursor = other, "answered", OTHER + 1
        row.answered_by, row.answered_at = actor.label, now
        audit.record(
            s,
            actor=actor.label,
            entity="residence",
            entity_id=f"{row.period_id}/{row.member_id}",
            action="complete",
            new=_audit_view(row),
        )
        account = _account(s, tg_user)
        if account is not None:
            account.awaiting = ""
        summary = residence_summary(row.answers)
        out = Outcome().say(
            render(
                "residence/done.j2",
                name=member.full_name,
                summary=summary,
                lines=_answer_lines(row),
                other=other,
                already=False,
            )
        )
        if row.source == "residence":
            requester = _requester_chat(s, row.requested_by)
            cell = s.get(Organisation, row.residence_cell_id) if row.residence_cell_id else None
            if requester is not None and requester != _chat_of(account):
                out.notify(
                    requester,
                    render(
                        "residence/arrived.j2",
                        name=member.full_name,
                        cell=cell.name if cell else "",
                        summary=summary,
                    ),
                    (Button(label("btn_residence_view"), f"rf:m:{member.id}"),),
                )
        return out

    def _answering(
        self, s: Session, tg_user: int, fid: int, *, finished_ok: bool = False
    ) -> tuple[ResidenceFeedback, Member, Actor]:
        """The form and its member, after checking `tg_user` may answer it now."""
        actor = require_actor(s, tg_user)
        row = s.get(ResidenceFeedback, fid)
        if row is None:
            raise UserError("stale_button")
        member = s.get(Member, row.member_id)
        if member is None or member.removed_at is not None:
            raise UserError("member_not_found", member_id=row.member_id)
        residence = any(
            role in ("secretary", "deputy") and org == row.residence_cell_id
            for role, org in actor.roles
        )
        if row.status == "requested":
            allowed = residence
        elif row.status == "answered":  # whoever answered it, and the member's own cell
            allowed = (row.source == "residence" and residence) or can_manage_cell(
                s, actor, member.cell_id
            )
        else:  # a draft the member's own cell is entering
            allowed = can_manage_cell(s, actor, member.cell_id)
        if not allowed:
            raise UserError("residence_not_yours")
        if row.status == "answered" and not finished_ok:
            raise UserError("residence_answered", name=member.full_name)
        return row, member, actor

    def _set_awaiting(self, tg_user: int, value: str) -> None:
        with self.db.session() as s:
            account = _account(s, tg_user)
            if account is not None:
                account.awaiting = value


# ---- helpers -----------------------------------------------------------------------------------


def _question(fid: int, name: str, number: int, *, edit: bool = False) -> Outcome:
    if number == OTHER:
        return Outcome().say(
            render("residence/question.j2", name=name, number=OTHER, question=t("q7"), typed=True),
            (Button(label("btn_residence_no_other"), f"ra:{fid}:{OTHER}:0"),),
            edit=edit,
        )
    rows = [
        (Button(t(f"q{number}_{option}"), f"ra:{fid}:{number}:{option}"),) for option in OPTIONS
    ]
    text = render(
        "residence/question.j2", name=name, number=number, question=t(f"q{number}"), typed=False
    )
    return Outcome().say(text, *rows, edit=edit)


def _own(s: Session, tg_user: int, member_id: int) -> tuple[Actor, Member]:
    """The actor, who must manage the member's own cell, and the member."""
    actor = require_actor(s, tg_user)
    member = s.get(Member, member_id)
    if member is None or member.removed_at is not None:
        raise UserError("member_not_found", member_id=member_id)
    require_cell_manager(s, actor, member.cell_id)
    return actor, member


def _row(s: Session, period_id: int, member_id: int) -> ResidenceFeedback | None:
    return s.execute(
        select(ResidenceFeedback).where(
            ResidenceFeedback.period_id == period_id, ResidenceFeedback.member_id == member_id
        )
    ).scalar()


def _state(row: ResidenceFeedback | None) -> str:
    return "none" if row is None else row.status


def _reset(
    row: ResidenceFeedback, *, source: str, status: str, residence_cell_id: int | None
) -> None:
    row.source, row.status, row.residence_cell_id = source, status, residence_cell_id
    row.cursor, row.answers, row.other = 1, {}, ""
    row.answered_by, row.answered_at = "", None


def _audit_view(row: ResidenceFeedback) -> dict[str, Any]:
    return {
        "status": row.status,
        "source": row.source,
        "residence_cell_id": row.residence_cell_id,
        "answers": dict(row.answers),
        "other": row.other,
    }


def _residence_cells(s: Session, member: Member) -> list[Organisation]:
    """The cells a member may live in: every cell of the same organisation but their own."""
    root = root_of(s, member.cell_id)
    out: list[Organisation] = []
    frontier = [root.id]
    while frontier:
        children = list(
            s.execute(
                select(Organisation)
                .where(Organisation.parent_id.in_(frontier))
                .order_by(Organisation.id)
            ).scalars()
        )
        out.extend(c for c in children if c.id != member.cell_id)
        frontier = [c.id for c in children]
    return sorted(out, key=lambda c: sort_key(c.name))


def _recipients(s: Session, cell_id: int) -> list[Recipient]:
    """Who answers for a cell in the bot: its secretaries, else its deputies (linked, active)."""
    rows = s.execute(
        select(Role.role, Member, TelegramAccount)
        .join(Member, Member.id == Role.member_id)
        .join(TelegramAccount, TelegramAccount.member_id == Member.id)
        .where(
            Role.organisation_id == cell_id,
            Role.role.in_(("secretary", "deputy")),
            Member.removed_at.is_(None),
        )
    ).all()
    for wanted in ("secretary", "deputy"):
        found = [Recipient(m.id, m.full_name, a.chat_id) for role, m, a in rows if role == wanted]
        if found:
            return sorted(found, key=lambda r: sort_key(r.name))
    return []


def _incoming(s: Session, actor: Actor, cell_id: int, period_id: int) -> list[tuple[int, str, str]]:
    """(form id, member, their cell) of requests waiting for this cell's answer, when the actor
    is the cell's secretary or deputy (the office above does not answer for a cell)."""
    if not any(r in ("secretary", "deputy") and o == cell_id for r, o in actor.roles):
        return []
    rows = s.execute(
        select(ResidenceFeedback, Member, Organisation)
        .join(Member, Member.id == ResidenceFeedback.member_id)
        .join(Organisation, Organisation.id == Member.cell_id)
        .where(
            ResidenceFeedback.residence_cell_id == cell_id,
            ResidenceFeedback.status == "requested",
            ResidenceFeedback.period_id == period_id,
            Member.removed_at.is_(None),
        )
    ).all()
    out = [(r.id, m.full_name, o.name) for r, m, o in rows]
    return sorted(out, key=lambda x: sort_key(x[1]))


def _view(s: Session, row: ResidenceFeedback) -> dict[str, Any]:
    cell = s.get(Organisation, row.residence_cell_id) if row.residence_cell_id else None
    return {
        "status": row.status,
        "source": row.source,
        "cell": cell.name if cell else "",
        "answered": sum(1 for q in CHOICES if str(q) in row.answers),
        "requested_on": _day(row.requested_at),
        "answered_on": _day(row.answered_at),
        "by": _name_of(s, row.answered_by),
        "summary": residence_summary(row.answers) if row.status == "answered" else "",
        "lines": _answer_lines(row),
        "other": row.other,
    }


def _answer_lines(row: ResidenceFeedback) -> list[tuple[int, str]]:
    return [(q, t(f"q{q}_{row.answers[str(q)]}")) for q in CHOICES if str(q) in row.answers]


def _day(at: datetime | None) -> str:
    return at.astimezone(LOCAL).strftime("%d/%m/%Y") if at is not None else ""


def _name_of(s: Session, who: str) -> str:
    kind, _, ident = who.partition(":")
    if kind == "member" and ident.isdigit():
        m = s.get(Member, int(ident))
        return m.full_name if m is not None else ""
    return ""


def _requester_chat(s: Session, who: str) -> int | None:
    kind, _, ident = who.partition(":")
    if kind != "member" or not ident.isdigit():
        return None
    return s.execute(
        select(TelegramAccount.chat_id).where(TelegramAccount.member_id == int(ident))
    ).scalar()


def _chat_of(account: TelegramAccount | None) -> int | None:
    return account.chat_id if account is not None else None


def _document(s: Session, row: ResidenceFeedback, member: Member, year: int) -> ResidenceDocument:
    own = s.get(Organisation, member.cell_id)
    residence = s.get(Organisation, row.residence_cell_id) if row.residence_cell_id else None
    root = root_of(s, member.cell_id)
    at = row.answered_at.astimezone(LOCAL) if row.answered_at else None
    by = _name_of(s, row.answered_by)
    source = ""
    if at is not None:
        key = "doc_source_residence" if row.source == "residence" else "doc_source_cell"
        source = t(key, day=f"{at.day:02d}", month=f"{at.month:02d}", year=at.year, name=by)
    questions = tuple(
        ResidenceQuestion(
            number=q,
            text=t(f"q{q}"),
            options=(t(f"q{q}_1"), t(f"q{q}_2"), t(f"q{q}_3")),
            chosen=int(row.answers.get(str(q), 0)),
        )
        for q in CHOICES
    )
    cell_name = residence.name if residence is not None else ""
    return ResidenceDocument(
        org_line=root.name.upper(),
        cell_line=cell_name.upper(),
        party=t("doc_party"),
        date_line=t("doc_date", day=f"{at.day:02d}", month=f"{at.month:02d}", year=at.year)
        if at is not None and row.source == "residence"
        else t("doc_date_blank", year=year),
        title=t("doc_title"),
        subtitle=t("doc_subtitle"),
        intro=t(
            "doc_intro",
            cell=cell_name or ".....",
            name=member.full_name,
            member_cell=own.name if own else "",
        ),
        questions=questions,
        other_title=t("q7"),
        other=row.other or t("doc_other_blank"),
        checked=t("doc_checked"),
        unchecked=t("doc_unchecked"),
        sign_left=t("doc_sign_left"),
        sign_left_hint=t("doc_sign_left_hint"),
        sign_right=t("doc_sign_right"),
        sign_right_hint=t("doc_sign_right_hint"),
        signer=by if row.source == "residence" else "",
        source=source,
    )
