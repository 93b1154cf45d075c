"""Leadership collectives (tập thể lãnh đạo, quản lý) of a period: their review and rating.

Owns, for a chi ủy, a đảng ủy, a ban thường vụ or an agency's leadership:
- the collective and its members (head, deputies, members), made by the office or the cell;
- the report (seed 000 Mẫu 01; 2025: Mẫu 01 with points) drafted section by section by the
  head, sent to every member at least 3 working days before the meeting (seed 000 §1.4.1 a;
  seed 004 mục B.I.4.1; HD 43 §2) through the reminder sender (`collective_draft`), the
  members' comments and the head's acceptance or answer to each, the final report (.docx);
- the collective's ballot (seed 000 Mẫu 07 / 09), rated by `bot.rules.collective` under the
  period's rulebook and plan, stored and audited; its level then feeds the head's
  `head_of.collective_rating` fact (the head rule, DOMAIN.md §5.4), audited;
- its members reviewed at their post (leaders in two places): each one's ballot before the
  collective, with the summary of their cell's review carried over, both levels kept and the
  plan's choice (`options.two_places`, `bot.rules.two_places`) applied;
- the order of the cycle (`bot.rules.cycle_order` via `bot.services.cycle`): a collective waits
  for those under it; a member's post review waits for the collective, for their cell's review,
  and for the head and deputies.

Who may do what: the head of the collective or whoever manages its organisation (the cell's
secretary or deputy for a chi ủy, the office above) leads — drafts, sends, answers, enters the
ballots; every member of the collective reads the draft and comments; the CLI is trusted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.batch import InputErrors, rate_document, reason_text
from bot.reminders import planning
from bot.reminders.calendar import WorkCalendar, draft_deadline
from bot.reminders.planning import Planned
from bot.reminders.store import insert_planned, period_holidays, period_window
from bot.review.questionnaire import format_points, parse_points
from bot.rules.collective import (
    CollectiveFacts,
    CollectiveInput,
    CollectiveKind,
    CollectiveResult,
    CollectiveRole,
    Section,
    SectionKind,
    Sheet,
    collective_vote_reason,
    load_sheet,
    points_of,
    rate_collective,
)
from bot.rules.cycle_order import Step, collective_blocked, post_blocked, post_order
from bot.rules.levels import Grade, Level, Rulebook
from bot.rules.model import Ballot, Round2, Tasks, Votes
from bot.rules.reasons import Reason
from bot.rules.two_places import DEFAULT as TWO_PLACES_DEFAULT
from bot.rules.two_places import TwoPlaces, combine
from bot.rules.votes import ballot_problems, vote_level
from bot.services import audit
from bot.services.access import Actor, can_manage_cell
from bot.services.acting import Who, label, require_cell, resolve
from bot.services.cycle import cell_steps, load_cycle, refuse
from bot.services.errors import UserError
from bot.services.meetings import Counts, one_member_document, period_as_of, period_plan
from bot.services.org import current_period, root_of
from bot.services.problems import translate_all
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import (
    Collective,
    CollectiveBallot,
    CollectiveComment,
    CollectiveMember,
    CollectiveSection,
    Fact,
    Member,
    Organisation,
    Override,
    ReviewPeriod,
    TelegramAccount,
)
from bot.storage.types import utcnow
from bot.vietnamese import clean, fold, nfc

COLLECTIVE = "collective"
FED_BY = "collective:"  # `Fact.set_by` of a head_of fact the collective's rating set
TEXT_LIMIT = 4000
COMMENT_LIMIT = 2000
LEVELS = ("HTXSNV", "HTTNV", "HTNV", "KHTNV")
# Reminder kinds of this feature (sent by the paced reminder sender, bot/reminders/).
DRAFT = planning.COLLECTIVE_DRAFT  # to every member: the draft is out, comment on it
COMMENTED = planning.COLLECTIVE_COMMENT  # to the head: a member commented
ANSWERED = planning.COLLECTIVE_REPLY  # to the commenter: the head accepted or answered
# Collective facts (bot.rules.collective.CollectiveFacts) as the office types them.
FACT_KINDS: dict[str, str] = {
    "disunity": "bool",
    "personnel_violation": "bool",
    "collective_disciplined": "bool",
    "members_disciplined": "int",
    "discipline_self_remedied": "bool",
    "members_declined": "int",
    "subordinate_disciplined": "bool",
    "targets_done_pct": "number",
    "tasks.total": "int",
    "tasks.on_time": "int",
    "tasks.late": "int",
    "tasks.not_done": "int",
    "tasks.exceeded": "int",
    "organisation_rating": "level",
}
_TRUE = frozenset(("true", "co", "yes", "x", "1", "dung", "y"))
_FALSE = frozenset(("false", "khong", "no", "0", "sai", "n"))


# --- what the services return ------------------------------------------------------------------


@dataclass(frozen=True)
class PersonInfo:
    member_id: int
    name: str
    role: str  # head | deputy | member
    cell_id: int
    linked: bool


@dataclass(frozen=True)
class SectionInfo:
    id: str
    heading: str
    title: str
    kind: str  # graded | points | text | proposal
    optional: bool
    task_result: bool
    max_points: int
    text: str
    grade: str  # XS | T | TB | K, or the proposed level for VII
    points: str  # as typed back to the user ("8,5")
    skipped: bool

    @property
    def filled(self) -> bool:
        if self.skipped:
            return True
        if self.kind == SectionKind.PROPOSAL:
            return bool(self.grade)
        if not self.text:
            return False
        if self.kind == SectionKind.GRADED:
            return bool(self.grade)
        if self.kind == SectionKind.POINTS:
            return bool(self.points)
        return True


@dataclass(frozen=True)
class CommentInfo:
    id: int
    author_id: int
    author: str
    section: str
    section_heading: str
    text: str
    created_at: datetime
    response: str  # "" | accepted | answered
    answer: str
    responded_by: str


@dataclass(frozen=True)
class BallotInfo:
    subject: str
    member_id: int | None
    electorate: int
    present: int
    counts: Counts
    level: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class PostInfo:
    """A member of the collective reviewed at their post: both levels and the one taken."""

    member_id: int
    name: str
    role: str
    cell_level: str | None
    post_level: str | None
    taken: str | None
    taken_text: str
    summary: dict[str, Any]  # carried over from the cell's review when the post ballot came in
    ballot: BallotInfo | None


@dataclass(frozen=True)
class CollectiveView:
    id: int
    name: str
    kind: str
    period_id: int
    year: int
    rulebook: str
    organisation_id: int
    organisation_name: str
    root_name: str
    status: str  # drafting | sent | final
    meeting_on: date | None
    draft_deadline: date | None
    sent_at: datetime | None
    finalised_at: datetime | None
    formed_on: date | None
    people: tuple[PersonInfo, ...]
    sections: tuple[SectionInfo, ...]
    comments: tuple[CommentInfo, ...]
    self_level: str | None  # what the report's levels / points support
    self_points: str | None
    ballot: BallotInfo | None
    level: str | None  # the collective's rating, once the ballot is in
    reviewed: bool
    result: dict[str, Any]  # the rules' output (reasons with their texts)
    facts: dict[str, Any]
    posts: tuple[PostInfo, ...] = ()
    order: tuple[Step, ...] = ()
    two_places: str = TWO_PLACES_DEFAULT.value

    @property
    def head(self) -> PersonInfo | None:
        return next((p for p in self.people if p.role == CollectiveRole.HEAD), None)

    @property
    def open_comments(self) -> list[CommentInfo]:
        return [c for c in self.comments if not c.response]

    @property
    def missing(self) -> list[SectionInfo]:
        return [x for x in self.sections if not x.filled and not x.optional]

    def section(self, sid: str) -> SectionInfo | None:
        return next((x for x in self.sections if x.id == sid), None)

    def next_section(self) -> SectionInfo | None:
        return next((x for x in self.sections if not x.filled), None)

    def role_of(self, member_id: int) -> str | None:
        return next((p.role for p in self.people if p.member_id == member_id), None)


@dataclass(frozen=True)
class SendResult:
    view: CollectiveView
    recipients: tuple[str, ...]  # names of the members the draft goes to
    not_linked: tuple[str, ...]  # members without Telegram: hand them a printed copy
    deadline: date


@dataclass
class _Loaded:
    c: Collective
    period: ReviewPeriod
    people: list[tuple[CollectiveMember, Member]] = field(default_factory=list)

    def member_ids(self) -> set[int]:
        return {m.id for _, m in self.people}

    def head_id(self) -> int | None:
        return next((m.id for cm, m in self.people if cm.role == CollectiveRole.HEAD), None)


def _prose(text: str, limit: int) -> str:
    """What a person typed, NFC, lines trimmed, blank lines folded; limited in length."""
    lines = [" ".join(line.split()) for line in nfc(text).replace("\r", "").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    value = "\n".join(out).strip()
    if len(value) > limit:
        raise UserError("collective_text_too_long", limit=limit, length=len(value))
    return value


class CollectiveService:
    def __init__(self, db: Database, settings: Settings | None = None) -> None:
        self.db = db
        if settings is None:
            from bot.settings import get_settings

            settings = get_settings()
        self.settings = settings

    # ---- setting up ------------------------------------------------------------------------------

    def create(
        self,
        who: Who,
        org_id: int,
        kind: str,
        name: str,
        *,
        head: int,
        deputies: Iterable[int] = (),
        members: Iterable[int] = (),
        formed_on: date | None = None,
    ) -> CollectiveView:
        """A collective of the current period with its members (the head first)."""
        if kind not in {k.value for k in CollectiveKind}:
            raise UserError(
                "collective_bad_kind", kind=kind, kinds=", ".join(k.value for k in CollectiveKind)
            )
        name = clean(name)
        if not name:
            raise UserError("name_required")
        roles: list[tuple[int, str]] = [(head, CollectiveRole.HEAD.value)]
        roles += [(d, CollectiveRole.DEPUTY.value) for d in deputies]
        roles += [(m, CollectiveRole.MEMBER.value) for m in members]
        ids = [i for i, _ in roles]
        if len(set(ids)) != len(ids):
            raise UserError("collective_member_twice")
        with self.db.session() as s:
            org = s.get(Organisation, org_id)
            if org is None:
                raise UserError("org_not_found", org_id=org_id)
            require_cell(s, who, org_id)
            period = current_period(s, org_id)
            tree = _tree_ids(s, root_of(s, org_id).id)
            for member_id in ids:
                m = s.get(Member, member_id)
                if m is None or m.removed_at is not None:
                    raise UserError("member_not_found", member_id=member_id)
                if m.cell_id not in tree:
                    raise UserError("collective_member_elsewhere", name=m.full_name)
            existing = s.execute(
                select(Collective).where(
                    Collective.period_id == period.id,
                    Collective.organisation_id == org_id,
                    Collective.kind == kind,
                )
            ).scalar()
            if existing is not None:
                raise UserError("collective_exists", name=existing.name, id=existing.id)
            c = Collective(
                period_id=period.id,
                organisation_id=org_id,
                kind=kind,
                name=name,
                formed_on=formed_on,
                status="drafting",
                facts={},
                payload={},
            )
            s.add(c)
            s.flush()
            for pos, (member_id, role) in enumerate(roles):
                s.add(
                    CollectiveMember(
                        collective_id=c.id, member_id=member_id, role=role, position=pos
                    )
                )
            audit.record(
                s,
                actor=label(s, who),
                entity=COLLECTIVE,
                entity_id=c.id,
                action="create",
                new={
                    "organisation_id": org_id,
                    "kind": kind,
                    "name": name,
                    "members": [{"member_id": i, "role": r} for i, r in roles],
                    "formed_on": formed_on.isoformat() if formed_on else None,
                },
            )
            s.flush()
            return self._view(s, self._load(s, c.id))

    def list_for(self, who: Who, org_id: int | None = None) -> list[CollectiveView]:
        """The collectives of the current period `who` belongs to or manages (the CLI: all of
        the organisation `org_id`)."""
        with self.db.session() as s:
            actor = resolve(s, who)
            if actor is None:
                if org_id is None:
                    raise UserError("scope_required")
                period = current_period(s, org_id)
            else:
                period = current_period(s, actor.cell_id)
            rows = list(
                s.execute(
                    select(Collective)
                    .where(Collective.period_id == period.id)
                    .order_by(Collective.id)
                ).scalars()
            )
            out: list[CollectiveView] = []
            for c in rows:
                loaded = self._load(s, c.id)
                if actor is None or self._may_see(s, actor, loaded):
                    out.append(self._view(s, loaded, light=True))
            return out

    def view(self, who: Who, collective_id: int) -> CollectiveView:
        with self.db.session() as s:
            loaded = self._load(s, collective_id)
            self._see(s, who, loaded)
            return self._view(s, loaded)

    def set_facts(self, who: Who, collective_id: int, values: Mapping[str, str]) -> CollectiveView:
        """The collective's facts (disunity, discipline, targets, the organisation's level…);
        audited; a rated collective is rated again, and its head's fact follows."""
        with self.db.session() as s:
            loaded = self._load(s, collective_id)
            self._lead(s, who, loaded)
            facts = dict(loaded.c.facts or {})
            for key, raw in values.items():
                key = clean(key).lower()
                kind = FACT_KINDS.get(key)
                if kind is None:
                    raise UserError("collective_fact_unknown", key=key, keys=", ".join(FACT_KINDS))
                value = _fact_value(key, kind, raw)
                top, dot, sub = key.partition(".")
                if dot:
                    obj = dict(facts.get(top) or {})
                    if value is None:
                        obj.pop(sub, None)
                    else:
                        obj[sub] = value
                    if obj:
                        facts[top] = obj
                    else:
                        facts.pop(top, None)
                elif value is None:
                    facts.pop(key, None)
                else:
                    facts[key] = value
            _collective_facts(facts, {}, Rulebook(loaded.period.rulebook))  # refuses bad input
            old = dict(loaded.c.facts or {})
            if old != facts:
                loaded.c.facts = facts
                audit.record(
                    s,
                    actor=label(s, who),
                    entity="collective_facts",
                    entity_id=loaded.c.id,
                    action="set",
                    old=old,
                    new=facts,
                )
                if _ballot(s, loaded.c.id, COLLECTIVE) is not None:
                    self._rate(s, loaded, label(s, who))
            s.flush()
            return self._view(s, loaded)

    # ---- drafting the report ---------------------------------------------------------------------

    def save_section(
        self,
        who: Who,
        collective_id: int,
        section_id: str,
        *,
        text: str | None = None,
        grade: str | None = None,
        points: str | None = None,
        skipped: bool | None = None,
    ) -> CollectiveView:
        """Store what the head typed or chose for one section (before the report is final)."""
        with self.db.session() as s:
            loaded = self._load(s, collective_id)
            actor_label = self._lead(s, who, loaded)
            if loaded.c.status == "final":
                raise UserError("collective_report_final", name=loaded.c.name)
            sheet = load_sheet(Rulebook(loaded.period.rulebook))
            section = sheet.section(section_id)
            if section is None:
                raise UserError("stale_button")
            row = _section_row(s, loaded.c.id, section_id)
            if row is None:
                row = CollectiveSection(
                    collective_id=loaded.c.id, section=section_id, text="", grade="", points=""
                )
                s.add(row)
            if text is not None:
                row.text = _prose(text, TEXT_LIMIT)
                if not row.text:
                    raise UserError("collective_text_required")
                row.skipped = False
            if skipped is not None:
                if skipped and not section.optional:
                    raise UserError("stale_button")
                row.skipped = skipped
                if skipped:
                    row.text, row.grade, row.points = "", "", ""
            if grade is not None:
                allowed = LEVELS if section.kind is SectionKind.PROPOSAL else tuple(Grade)
                if section.kind not in (SectionKind.GRADED, SectionKind.PROPOSAL) or (
                    grade not in allowed
                ):
                    raise UserError("stale_button")
                row.grade = grade
            if points is not None:
                if section.kind is not SectionKind.POINTS:
                    raise UserError("stale_button")
                value = parse_points(points, Fraction(section.max_points))
                if value is None:
                    raise UserError(
                        "collective_bad_points", text=clean(points)[:20], max=section.max_points
                    )
                row.points = format_points(value).replace(",", ".")
            row.updated_by = actor_label
            s.flush()
            return self._view(s, loaded)

    def set_meeting_date(self, who: Who, collective_id: int, day: date) -> CollectiveView:
        with self.db.session() as s:
            loaded = self._load(s, collective_id)
            actor_label = self._lead(s, who, loaded)
            old = loaded.c.meeting_on
            loaded.c.meeting_on = day
            audit.record(
                s,
                actor=actor_label,
                entity=COLLECTIVE,
                entity_id=loaded.c.id,
                action="meeting_date",
                old={"meeting_on": old.isoformat() if old else None},
                new={"meeting_on": day.isoformat()},
            )
            s.flush()
            return self._view(s, loaded)

    def send_draft(
        self, who: Who, collective_id: int, *, now: datetime | None = None
    ) -> SendResult:
        """Send the draft to every member: at least 3 working days before the meeting (seed 000
        §1.4.1 a; HD 43 §2), through the reminder sender; refused when too late or incomplete."""
        now = now or utcnow()
        with self.db.session() as s:
            loaded = self._load(s, collective_id)
            actor_label = self._lead(s, who, loaded)
            c = loaded.c
            if c.status == "final":
                raise UserError("collective_report_final", name=c.name)
            if c.status == "sent" and c.sent_at is not None:
                # Sent again only after a change: a second tap sends nothing twice.
                changed = [
                    r for r in _section_rows(s, c.id) if _aware(r.updated_at) > _aware(c.sent_at)
                ]
                if not changed:
                    raise UserError(
                        "collective_already_sent",
                        at=c.sent_at.astimezone(self.settings.tz).strftime("%H:%M %d/%m/%Y"),
                    )
            view = self._view(s, loaded)
            if view.missing:
                raise UserError(
                    "collective_draft_incomplete",
                    sections=", ".join(x.heading for x in view.missing),
                )
            if c.meeting_on is None:
                raise UserError("collective_meeting_date_required")
            holidays = _holidays(loaded.period)
            deadline = draft_deadline(c.meeting_on, WorkCalendar(holidays))
            today = now.astimezone(self.settings.tz).date()
            if today > deadline:
                raise UserError(
                    "collective_draft_too_late",
                    meeting=c.meeting_on.strftime("%d/%m/%Y"),
                    deadline=deadline.strftime("%d/%m/%Y"),
                )
            sender = resolve(s, who)
            head = loaded.head_id()
            recipients: list[str] = []
            not_linked: list[str] = []
            rows: list[Planned] = []
            stamp = int(now.timestamp() * 1000)
            window = _window(loaded.period, self.settings)
            at = window.next_allowed(now, self.settings.tz)
            for _cm, m in loaded.people:
                if m.id == head or (sender is not None and m.id == sender.member_id):
                    continue
                chat = _chat(s, m.id)
                if chat is None:
                    not_linked.append(m.full_name)
                    continue
                recipients.append(m.full_name)
                rows.append(
                    Planned(
                        DRAFT,
                        loaded.period.id,
                        c.organisation_id,
                        m.id,
                        chat,
                        at,
                        f"{DRAFT}:{c.id}:{m.id}:{stamp}",
                        "sent",
                        {
                            "collective_id": c.id,
                            "collective": c.name,
                            "meeting": c.meeting_on.strftime("%d/%m/%Y"),
                            "deadline": deadline.strftime("%d/%m/%Y"),
                        },
                    )
                )
            insert_planned(s, rows)
            c.status = "sent"
            c.sent_at = now
            audit.record(
                s,
                actor=actor_label,
                entity=COLLECTIVE,
                entity_id=c.id,
                action="send",
                new={
                    "meeting_on": c.meeting_on.isoformat(),
                    "deadline": deadline.isoformat(),
                    "recipients": len(recipients),
                    "not_linked": len(not_linked),
                },
            )
            s.flush()
            return SendResult(self._view(s, loaded), tuple(recipients), tuple(not_linked), deadline)

    # ---- comments and answers --------------------------------------------------------------------

    def comment(
        self,
        who: Who,
        collective_id: int,
        section_id: str,
        text: str,
        *,
        now: datetime | None = None,
    ) -> CommentInfo:
        """A member's comment on the draft (after it was sent, before it is final)."""
        now = now or utcnow()
        with self.db.session() as s:
            loaded = self._load(s, collective_id)
            actor = resolve(s, who)
            if actor is None or actor.member_id not in loaded.member_ids():
                raise UserError("not_your_collective")
            c = loaded.c
            if c.status != "sent":
                raise UserError("collective_not_open_for_comments", name=c.name)
            sheet = load_sheet(Rulebook(loaded.period.rulebook))
            if section_id and sheet.section(section_id) is None:
                raise UserError("stale_button")
            body = _prose(text, COMMENT_LIMIT)
            if not body:
                raise UserError("collective_text_required")
            row = CollectiveComment(
                collective_id=c.id,
                author_id=actor.member_id,
                section=section_id,
                text=body,
                created_at=now,
                response="",
                answer="",
            )
            s.add(row)
            s.flush()
            audit.record(
                s,
                actor=actor.label,
                entity="collective_comment",
                entity_id=row.id,
                action="add",
                new={"collective_id": c.id, "section": section_id, "text": body},
            )
            head = loaded.head_id()
            if head is not None and head != actor.member_id:
                self._notify(
                    s,
                    loaded,
                    COMMENTED,
                    head,
                    f"{COMMENTED}:{row.id}",
                    now,
                    {"author": actor.full_name, "comment_id": row.id},
                )
            return _comment_info(s, row, sheet)

    def respond(
        self,
        who: Who,
        comment_id: int,
        *,
        accept: bool,
        answer: str = "",
        now: datetime | None = None,
    ) -> CommentInfo:
        """The head accepts a comment (tiếp thu) or answers it (giải trình); recorded, audited,
        and the commenter is told."""
        now = now or utcnow()
        with self.db.session() as s:
            row = s.get(CollectiveComment, comment_id)
            if row is None:
                raise UserError("stale_button")
            loaded = self._load(s, row.collective_id)
            actor_label = self._lead(s, who, loaded)
            if loaded.c.status == "final":
                raise UserError("collective_report_final", name=loaded.c.name)
            body = _prose(answer, COMMENT_LIMIT)
            if not accept and not body:
                raise UserError("collective_answer_required")
            old = {"response": row.response, "answer": row.answer} if row.response else None
            row.response = "accepted" if accept else "answered"
            row.answer = body
            row.responded_by = actor_label
            row.responded_at = now
            audit.record(
                s,
                actor=actor_label,
                entity="collective_comment",
                entity_id=row.id,
                action="respond",
                old=old,
                new={"response": row.response, "answer": body},
            )
            self._notify(
                s,
                loaded,
                ANSWERED,
                row.author_id,
                f"{ANSWERED}:{row.id}:{int(now.timestamp() * 1000)}",
                now,
                {"comment_id": row.id, "response": row.response},
            )
            return _comment_info(s, row, load_sheet(Rulebook(loaded.period.rulebook)))

    def comment_info(self, who: Who, comment_id: int) -> CommentInfo:
        with self.db.session() as s:
            row = s.get(CollectiveComment, comment_id)
            if row is None:
                raise UserError("stale_button")
            loaded = self._load(s, row.collective_id)
            actor = resolve(s, who)
            if actor is None or actor.member_id != row.author_id:
                self._lead(s, who, loaded)
            return _comment_info(s, row, load_sheet(Rulebook(loaded.period.rulebook)))

    def finalise(
        self, who: Who, collective_id: int, *, now: datetime | None = None
    ) -> CollectiveView:
        """The report is complete: every comment accepted or answered (seed 000 §1.4.3 "người
        đứng đầu tổng hợp, kết luận từng nội dung tiếp thu để hoàn thiện báo cáo")."""
        now = now or utcnow()
        with self.db.session() as s:
            loaded = self._load(s, collective_id)
            actor_label = self._lead(s, who, loaded)
            c = loaded.c
            if c.status == "final":
                raise UserError("collective_report_final", name=c.name)
            if c.status != "sent":
                raise UserError("collective_not_sent", name=c.name)
            view = self._view(s, loaded)
            if view.missing:
                raise UserError(
                    "collective_draft_incomplete",
                    sections=", ".join(x.heading for x in view.missing),
                )
            if view.open_comments:
                names = sorted({x.author for x in view.open_comments})
                raise UserError(
                    "collective_comments_open",
                    count=len(view.open_comments),
                    names=", ".join(names),
                )
            c.status = "final"
            c.finalised_at = now
            if not view.reviewed or not _rated_by_rules(s, loaded):
                c.payload = dict(c.payload or {}) | _not_rated_payload(s, loaded)
            audit.record(
                s,
                actor=actor_label,
                entity=COLLECTIVE,
                entity_id=c.id,
                action="finalise",
                new={"comments": len(view.comments)},
            )
            s.flush()
            return self._view(s, loaded)

    # ---- the collective's ballot and rating ------------------------------------------------------

    def enter_ballot(
        self,
        who: Who,
        collective_id: int,
        present: int,
        counts: Counts,
        *,
        electorate: int | None = None,
        reason: str = "",
    ) -> CollectiveView:
        """The ballot on the collective (seed 000 Mẫu 07 / 09), counted as for a member; then
        the rating, and the head's fact. A second entry is a correction and needs a reason."""
        with self.db.session() as s:
            loaded = self._load(s, collective_id)
            actor_label = self._lead(s, who, loaded)
            c = loaded.c
            if c.status != "final":
                raise UserError("collective_report_not_final", name=c.name)
            if len(loaded.people) < 3:
                raise UserError("collective_not_reviewed", name=c.name, members=len(loaded.people))
            cycle = load_cycle(s, loaded.period)
            why = collective_blocked(cycle, str(c.id))
            if why is not None:
                raise refuse(why)
            n = electorate if electorate is not None else len(loaded.people)
            plan = period_plan(loaded.period)
            ballot = _to_ballot(n, present, counts)
            problems = ballot_problems(ballot, plan)
            if problems:
                lines = [f"{c.id} ballot{'.' + f if f else ''}: {m}" for f, m in problems]
                raise UserError(
                    "collective_ballot_invalid",
                    name=c.name,
                    problems="; ".join(translate_all(lines)),
                )
            row = _ballot(s, c.id, COLLECTIVE)
            old = None
            if row is not None:
                why_text = clean(reason)
                if not why_text:
                    raise UserError("ballot_reason_required", name=c.name)
                old = _ballot_dict(row)
            else:
                row = CollectiveBallot(collective_id=c.id, subject=COLLECTIVE, payload={})
                s.add(row)
            _set_counts(row, n, present, counts)
            row.entered_by = actor_label
            audit.record(
                s,
                actor=actor_label,
                entity="collective_ballot",
                entity_id=f"{c.id}/{COLLECTIVE}",
                action="correct" if old else "enter",
                old=old,
                new=_ballot_dict(row) | ({"reason": clean(reason)} if old else {}),
            )
            s.flush()
            self._rate(s, loaded, actor_label)
            s.flush()
            return self._view(s, loaded)

    def _rate(self, s: Session, loaded: _Loaded, actor_label: str) -> CollectiveResult:
        """Rate the collective from its rows, store and audit the level, feed its head."""
        c = loaded.c
        result = _rate(s, loaded)
        texts = {
            "rated": result.rated,
            "reviewed": result.reviewed,
            "not_rated_reason": result.not_rated_reason.value if result.not_rated_reason else None,
            "self_level": _code(result.self_level),
            "self_points": _num(result.self_points),
            "vote_level": _code(result.vote_level),
            "proposed": _code(result.proposed),
            "caps": [{"level": x.level.value, "rule": x.reason.rule} for x in result.caps],
            "flags": [f.value for f in result.flags],
            "reasons": [_reason(x) for x in result.reasons],
        }
        old = c.level
        new = _code(result.proposed) if result.rated else None
        c.payload = texts
        c.level = new
        c.rated_at = utcnow()
        ballot = _ballot(s, c.id, COLLECTIVE)
        if ballot is not None:
            ballot.level = new
            ballot.payload = {"reasons": texts["reasons"]}
        if old != new:
            audit.record(
                s,
                actor=actor_label,
                entity="collective_result",
                entity_id=c.id,
                action="compute",
                old={"level": old},
                new={"level": new, "vote_level": texts["vote_level"]},
            )
        head = loaded.head_id()
        if head is not None:
            _feed_head(s, loaded.period, head, actor_label)
        return result

    # ---- members reviewed at their post (leaders in two places) ----------------------------------

    def enter_post_ballot(
        self,
        who: Who,
        collective_id: int,
        member_id: int,
        present: int,
        counts: Counts,
        *,
        electorate: int | None = None,
        reason: str = "",
    ) -> PostInfo:
        """A member's review before the collective (their post): the ballot, with the summary of
        their cell's review carried over; both levels kept, the plan's choice applied."""
        with self.db.session() as s:
            loaded = self._load(s, collective_id)
            actor_label = self._lead(s, who, loaded)
            c = loaded.c
            person = next((m for _, m in loaded.people if m.id == member_id), None)
            if person is None:
                raise UserError("stale_button")
            cycle = load_cycle(s, loaded.period)
            why = post_blocked(cycle, str(c.id), str(member_id))
            if why is not None:
                raise refuse(why)
            n = electorate if electorate is not None else len(loaded.people)
            cell = _cell_result(s, loaded.period, person)
            facts = cell.get("facts") or {}
            doc = one_member_document(
                loaded.period,
                person.id,
                ballot=counts.ballot(n, present),
                **({"facts": facts} if facts else {}),
            )
            try:
                out = rate_document(doc)["members"][0]
            except InputErrors as exc:
                raise UserError(
                    "collective_ballot_invalid",
                    name=person.full_name,
                    problems="; ".join(translate_all(exc.problems)),
                ) from None
            subject = f"member:{person.id}"
            row = _ballot(s, c.id, subject)
            old = None
            if row is not None:
                if not clean(reason):
                    raise UserError("ballot_reason_required", name=person.full_name)
                old = _ballot_dict(row)
            else:
                row = CollectiveBallot(
                    collective_id=c.id, subject=subject, member_id=person.id, payload={}
                )
                s.add(row)
            _set_counts(row, n, present, counts)
            row.entered_by = actor_label
            row.level = out["proposed"]
            option = _two_places(loaded.period)
            taken, why_taken = combine(_level(cell.get("level")), _level(row.level), option)
            row.payload = {
                "cell": cell["summary"],
                "cell_level": cell.get("level"),
                "post_level": row.level,
                "taken": _code(taken),
                "taken_rule": why_taken.rule,
                "reasons": _post_reasons(loaded.period, _to_ballot(n, present, counts), out),
            }
            audit.record(
                s,
                actor=actor_label,
                entity="collective_ballot",
                entity_id=f"{c.id}/{subject}",
                action="correct" if old else "enter",
                old=old,
                new=_ballot_dict(row)
                | {
                    "cell_level": cell.get("level"),
                    "post_level": row.level,
                    "taken": _code(taken),
                }
                | ({"reason": clean(reason)} if old else {}),
            )
            s.flush()
            view = self._view(s, loaded)
            return next(p for p in view.posts if p.member_id == person.id)

    # ---- documents -------------------------------------------------------------------------------

    def report_docx(self, who: Who, collective_id: int) -> tuple[str, bytes, CollectiveView]:
        """The report (Mẫu 01) as .docx, with the comments and how each was handled."""
        from bot.services.collective_report import report_bytes

        view = self.view(who, collective_id)
        return f"bao-cao-kiem-diem-tap-the-{view.id}.docx", report_bytes(view), view

    # ---- access ----------------------------------------------------------------------------------

    def _load(self, s: Session, collective_id: int) -> _Loaded:
        c = s.get(Collective, collective_id)
        if c is None:
            raise UserError("collective_not_found", collective_id=collective_id)
        period = s.get(ReviewPeriod, c.period_id)
        assert period is not None
        people = [
            (cm, m)
            for cm, m in s.execute(
                select(CollectiveMember, Member)
                .join(Member, Member.id == CollectiveMember.member_id)
                .where(CollectiveMember.collective_id == c.id, Member.removed_at.is_(None))
                .order_by(CollectiveMember.position, CollectiveMember.id)
            ).all()
        ]
        return _Loaded(c, period, people)

    def _may_see(self, s: Session, actor: Actor, loaded: _Loaded) -> bool:
        return actor.member_id in loaded.member_ids() or can_manage_cell(
            s, actor, loaded.c.organisation_id
        )

    def _see(self, s: Session, who: Who, loaded: _Loaded) -> None:
        actor = resolve(s, who)
        if actor is not None and not self._may_see(s, actor, loaded):
            raise UserError("not_your_collective")

    def _lead(self, s: Session, who: Who, loaded: _Loaded) -> str:
        """`who` is the head, or manages the collective's organisation (or is the CLI)."""
        actor = resolve(s, who)
        if (
            actor is not None
            and actor.member_id != loaded.head_id()
            and not can_manage_cell(s, actor, loaded.c.organisation_id)
        ):
            if actor.member_id in loaded.member_ids():
                raise UserError("collective_head_only")
            raise UserError("not_your_collective")
        return label(s, who)

    def cell_order(self, who: Who, cell_id: int) -> tuple[Step, ...]:
        """The cell's order of the cycle (its collective first, then head, deputies, members)."""
        with self.db.session() as s:
            require_cell(s, who, cell_id)
            return cell_steps(s, cell_id)

    def can_lead(self, who: Who, collective_id: int) -> bool:
        """Whether `who` leads the collective (its head, a manager of its organisation)."""
        with self.db.session() as s:
            loaded = self._load(s, collective_id)
            self._see(s, who, loaded)
            try:
                self._lead(s, who, loaded)
            except UserError:
                return False
            return True

    def post_summary(self, who: Who, collective_id: int, member_id: int) -> dict[str, Any]:
        """Before a member's review at the collective: the order allows it (or the refusal
        says why), and what their cell's review gave, to carry into this one."""
        with self.db.session() as s:
            loaded = self._load(s, collective_id)
            self._lead(s, who, loaded)
            person = next(((cm, m) for cm, m in loaded.people if m.id == member_id), None)
            if person is None:
                raise UserError("stale_button")
            why = post_blocked(load_cycle(s, loaded.period), str(loaded.c.id), str(member_id))
            if why is not None:
                raise refuse(why)
            cell = _cell_result(s, loaded.period, person[1])
            return {
                "collective": loaded.c.name,
                "name": person[1].full_name,
                "role": person[0].role,
                "electorate": len(loaded.people),
                "cell_level": cell.get("level"),
                "summary": cell["summary"],
            }

    def _notify(
        self,
        s: Session,
        loaded: _Loaded,
        kind: str,
        member_id: int,
        key: str,
        now: datetime,
        payload: dict[str, Any],
    ) -> None:
        chat = _chat(s, member_id)
        if chat is None:
            return
        window = _window(loaded.period, self.settings)
        insert_planned(
            s,
            [
                Planned(
                    kind,
                    loaded.period.id,
                    loaded.c.organisation_id,
                    member_id,
                    chat,
                    window.next_allowed(now, self.settings.tz),
                    key,
                    "now",
                    {"collective_id": loaded.c.id, "collective": loaded.c.name} | payload,
                )
            ],
        )

    # ---- the view --------------------------------------------------------------------------------

    def _view(self, s: Session, loaded: _Loaded, *, light: bool = False) -> CollectiveView:
        c, period = loaded.c, loaded.period
        rulebook = Rulebook(period.rulebook)
        sheet = load_sheet(rulebook)
        rows = {r.section: r for r in _section_rows(s, c.id)}
        sections = tuple(_section_info(x, rows.get(x.id)) for x in sheet.sections)
        org = s.get(Organisation, c.organisation_id)
        assert org is not None
        root = root_of(s, c.organisation_id)
        people = tuple(
            PersonInfo(m.id, m.full_name, cm.role, m.cell_id, _chat(s, m.id) is not None)
            for cm, m in loaded.people
        )
        comments = tuple(
            _comment_info(s, x, sheet)
            for x in s.execute(
                select(CollectiveComment)
                .where(CollectiveComment.collective_id == c.id)
                .order_by(CollectiveComment.id)
            ).scalars()
        )
        own = _self_level(sheet, rows, rulebook, c.facts or {})
        deadline = None
        if c.meeting_on is not None:
            deadline = draft_deadline(c.meeting_on, WorkCalendar(_holidays(period)))
        ballot_row = _ballot(s, c.id, COLLECTIVE)
        posts: tuple[PostInfo, ...] = ()
        order: tuple[Step, ...] = ()
        if not light:
            posts = _posts(s, loaded)
            order = post_order(load_cycle(s, period), str(c.id))
        return CollectiveView(
            id=c.id,
            name=c.name,
            kind=c.kind,
            period_id=period.id,
            year=period.year,
            rulebook=period.rulebook,
            organisation_id=c.organisation_id,
            organisation_name=org.name,
            root_name=root.name,
            status=c.status,
            meeting_on=c.meeting_on,
            draft_deadline=deadline,
            sent_at=c.sent_at,
            finalised_at=c.finalised_at,
            formed_on=c.formed_on,
            people=people,
            sections=sections,
            comments=comments,
            self_level=own[0],
            self_points=own[1],
            ballot=_ballot_info(ballot_row) if ballot_row is not None else None,
            level=c.level,
            reviewed=len(loaded.people) >= 3,
            result=dict(c.payload or {}),
            facts=dict(c.facts or {}),
            posts=posts,
            order=order,
            two_places=_two_places(period).value,
        )


# --- helpers --------------------------------------------------------------------------------------


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _tree_ids(s: Session, root_id: int) -> set[int]:
    ids = {root_id}
    frontier = [root_id]
    while frontier:
        children = list(
            s.execute(select(Organisation.id).where(Organisation.parent_id.in_(frontier))).scalars()
        )
        ids.update(children)
        frontier = children
    return ids


def _chat(s: Session, member_id: int) -> int | None:
    acc = s.execute(select(TelegramAccount).where(TelegramAccount.member_id == member_id)).scalar()
    if acc is None or acc.unreachable_at is not None:
        return None
    return int(acc.chat_id)


def _holidays(period: ReviewPeriod) -> frozenset[date]:
    try:
        return period_holidays(period)
    except ValueError as exc:
        raise UserError("bad_reminder_policy", problems=str(exc)) from None


def _window(period: ReviewPeriod, settings: Settings) -> Any:
    from bot.reminders.policy import AllowedHours

    allowed = AllowedHours.from_quiet(settings.quiet_hours_start, settings.quiet_hours_end)
    return period_window(period.options, allowed)


def _two_places(period: ReviewPeriod) -> TwoPlaces:
    raw = (period.options or {}).get("two_places", TWO_PLACES_DEFAULT.value)
    try:
        return TwoPlaces(raw)
    except ValueError:
        raise UserError(
            "bad_two_places_option", value=raw, choices=", ".join(t.value for t in TwoPlaces)
        ) from None


def _section_rows(s: Session, collective_id: int) -> list[CollectiveSection]:
    return list(
        s.execute(
            select(CollectiveSection).where(CollectiveSection.collective_id == collective_id)
        ).scalars()
    )


def _section_row(s: Session, collective_id: int, section: str) -> CollectiveSection | None:
    return s.execute(
        select(CollectiveSection).where(
            CollectiveSection.collective_id == collective_id,
            CollectiveSection.section == section,
        )
    ).scalar()


def _section_info(x: Section, row: CollectiveSection | None) -> SectionInfo:
    points = ""
    if row is not None and row.points:
        points = format_points(Fraction(row.points))
    return SectionInfo(
        id=x.id,
        heading=x.heading,
        title=x.title,
        kind=x.kind.value,
        optional=x.optional,
        task_result=x.task_result,
        max_points=x.max_points,
        text=row.text if row is not None else "",
        grade=row.grade if row is not None else "",
        points=points,
        skipped=bool(row.skipped) if row is not None else False,
    )


def _comment_info(s: Session, row: CollectiveComment, sheet: Sheet) -> CommentInfo:
    author = s.get(Member, row.author_id)
    section = sheet.section(row.section) if row.section else None
    return CommentInfo(
        id=row.id,
        author_id=row.author_id,
        author=author.full_name if author is not None else "",
        section=row.section,
        section_heading=section.heading if section is not None else "",
        text=row.text,
        created_at=row.created_at,
        response=row.response,
        answer=row.answer,
        responded_by=row.responded_by,
    )


def _ballot(s: Session, collective_id: int, subject: str) -> CollectiveBallot | None:
    return s.execute(
        select(CollectiveBallot).where(
            CollectiveBallot.collective_id == collective_id, CollectiveBallot.subject == subject
        )
    ).scalar()


def _counts(row: CollectiveBallot) -> Counts:
    r2 = None
    if row.round2_yes is not None:
        r2 = (row.round2_yes, row.round2_no or 0, row.round2_invalid or 0)
    votes = (row.votes_xs, row.votes_t, row.votes_tb, row.votes_k)
    return Counts(row.issued, row.collected, row.invalid, votes, r2)


def _ballot_info(row: CollectiveBallot) -> BallotInfo:
    return BallotInfo(
        row.subject,
        row.member_id,
        row.electorate,
        row.present,
        _counts(row),
        row.level,
        dict(row.payload or {}),
    )


def _ballot_dict(row: CollectiveBallot) -> dict[str, Any]:
    return _counts(row).ballot(row.electorate, row.present)


def _set_counts(row: CollectiveBallot, electorate: int, present: int, counts: Counts) -> None:
    row.electorate, row.present = electorate, present
    for k, v in counts.columns().items():
        setattr(row, k, v)


def _to_ballot(electorate: int, present: int, counts: Counts) -> Ballot:
    r2 = Round2(*counts.round2) if counts.round2 is not None else None
    return Ballot(
        electorate, present, counts.issued, counts.collected, counts.invalid,
        Votes(*counts.votes), r2,
    )  # fmt: skip


def _code(level: Level | None) -> str | None:
    return None if level is None else level.value


def _level(code: object) -> Level | None:
    return Level(code) if isinstance(code, str) and code in Level.__members__ else None


def _num(x: object) -> int | float | None:
    if x is None:
        return None
    if isinstance(x, Fraction):
        return x.numerator if x.denominator == 1 else float(x)
    return x  # type: ignore[return-value]


def _reason(r: Reason) -> dict[str, str]:
    return {"rule": r.rule, "cite": r.cite.text, "text": reason_text(r)}


def _fact_value(key: str, kind: str, raw: object) -> Any:
    text = fold(str(raw)) if raw is not None else ""
    if text in ("", "null", "none"):
        return None
    if kind == "bool":
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    elif kind == "level":
        code = clean(str(raw)).upper()
        if code in LEVELS:
            return code
    else:
        try:
            value = Fraction(str(raw).replace(",", ".").strip())
        except (ValueError, ZeroDivisionError):
            value = None
        if value is not None and value >= 0:
            if value.denominator == 1:
                return value.numerator
            if kind == "number":
                return float(value)
    raise UserError("collective_fact_bad", key=key, value=clean(str(raw))[:40])


def _collective_facts(
    stored: Mapping[str, Any], derived: Mapping[str, int | bool], rulebook: Rulebook
) -> CollectiveFacts:
    """The rules' facts: what the office set, with the counts the members' own facts give
    (a member disciplined or concluded in decline) when the office set none."""
    t = stored.get("tasks")
    tasks = None
    if isinstance(t, Mapping) and t:
        try:
            tasks = Tasks(
                int(t["total"]),
                int(t.get("on_time", 0)),
                int(t.get("late", 0)),
                int(t.get("not_done", 0)),
                int(t.get("exceeded", 0)),
            )
        except KeyError:
            raise UserError("collective_fact_bad", key="tasks.total", value="") from None
        if tasks.on_time + tasks.late + tasks.not_done != tasks.total:
            raise UserError(
                "collective_tasks_sum",
                total=tasks.total,
                on_time=tasks.on_time,
                late=tasks.late,
                not_done=tasks.not_done,
            )
    pct = stored.get("targets_done_pct")
    org = stored.get("organisation_rating")
    return CollectiveFacts(
        disunity=bool(stored.get("disunity", False)),
        personnel_violation=bool(stored.get("personnel_violation", False)),
        collective_disciplined=bool(stored.get("collective_disciplined", False)),
        members_disciplined=int(
            stored.get("members_disciplined", derived.get("members_disciplined", 0))
        ),
        discipline_self_remedied=bool(
            stored.get("discipline_self_remedied", derived.get("discipline_self_remedied", False))
        ),
        members_declined=int(stored.get("members_declined", derived.get("members_declined", 0))),
        subordinate_disciplined=bool(stored.get("subordinate_disciplined", False)),
        targets_done_pct=Fraction(str(pct)) if pct is not None else None,
        tasks=tasks,
        organisation_rating=Level(org) if org in LEVELS else None,
    )


def _derived(s: Session, loaded: _Loaded) -> dict[str, int | bool]:
    """What the members' own facts say about the collective: how many are disciplined in the
    year (and whether every such violation was self-remedied), how many concluded in decline."""
    ids = list(loaded.member_ids())
    facts: dict[int, dict[str, Any]] = {}
    for f in s.execute(
        select(Fact).where(Fact.period_id == loaded.period.id, Fact.member_id.in_(ids))
    ).scalars():
        facts.setdefault(f.member_id, {})[f.key] = f.value
    disciplined = [f for f in facts.values() if f.get("disciplined") is True]
    return {
        "members_disciplined": len(disciplined),
        "discipline_self_remedied": bool(disciplined)
        and all(f.get("discipline_self_remedied") is True for f in disciplined),
        "members_declined": sum(1 for f in facts.values() if f.get("concluded_decline") is True),
    }


def _grades(sheet: Sheet, rows: Mapping[str, CollectiveSection]) -> tuple[tuple[str, Grade], ...]:
    out: list[tuple[str, Grade]] = []
    for x in sheet.sections:
        row = rows.get(x.id)
        if x.kind is SectionKind.GRADED and row is not None and row.grade and not row.skipped:
            out.append((x.id, Grade(row.grade)))
    return tuple(out)


def _points(sheet: Sheet, rows: Mapping[str, CollectiveSection]) -> Any:
    values = {k: Fraction(r.points) for k, r in rows.items() if r.points and not r.skipped}
    return points_of(values, sheet)


def _self_level(
    sheet: Sheet,
    rows: Mapping[str, CollectiveSection],
    rulebook: Rulebook,
    facts: Mapping[str, Any],
) -> tuple[str | None, str | None]:
    """What the report alone supports (for the head's summary), and the points total."""
    from bot.rules.collective import grades_level
    from bot.rules.model import Facts
    from bot.rules.self_level import points_level

    if rulebook is Rulebook.R2025:
        pts = _points(sheet, rows)
        if pts is None:
            return None, None
        try:
            t = _collective_facts(facts, {}, rulebook).tasks
        except UserError:
            t = None
        return points_level(pts.total, Facts(tasks=t)).level.value, format_points(
            Fraction(pts.total)
        )
    graded = [x for x in sheet.sections if x.kind is SectionKind.GRADED and not x.optional]
    grades = _grades(sheet, rows)
    if len([g for g in grades if g[0] in {x.id for x in graded}]) < len(graded):
        return None, None
    got = grades_level(grades, sheet.task_sections)
    return (got[0].value if got else None), None


def _rate(s: Session, loaded: _Loaded) -> CollectiveResult:
    c = loaded.c
    rulebook = Rulebook(loaded.period.rulebook)
    sheet = load_sheet(rulebook)
    rows = {r.section: r for r in _section_rows(s, c.id)}
    row = _ballot(s, c.id, COLLECTIVE)
    ballot = _to_ballot(row.electorate, row.present, _counts(row)) if row is not None else None
    given = CollectiveInput(
        id=str(c.id),
        members=len(loaded.people),
        formed_on=c.formed_on,
        grades=_grades(sheet, rows),
        task_sections=sheet.task_sections,
        points=_points(sheet, rows) if rulebook is Rulebook.R2025 else None,
        facts=_collective_facts(c.facts or {}, _derived(s, loaded), rulebook),
        ballot=ballot,
    )
    return rate_collective(given, rulebook, period_plan(loaded.period), period_as_of(loaded.period))


def _rated_by_rules(s: Session, loaded: _Loaded) -> bool:
    return _rate(s, loaded).rated


def _not_rated_payload(s: Session, loaded: _Loaded) -> dict[str, Any]:
    r = _rate(s, loaded)
    return {
        "rated": False,
        "reviewed": r.reviewed,
        "not_rated_reason": r.not_rated_reason.value if r.not_rated_reason else None,
        "reasons": [_reason(x) for x in r.reasons],
    }


def _feed_head(s: Session, period: ReviewPeriod, head_id: int, actor_label: str) -> None:
    """The head's `head_of.collective_rating` fact follows the collectives they head (the
    lowest rating when several): the head rule of DOMAIN.md §5.4 then bounds their level.
    An exception the chi ủy set (`head_of.exception`) is kept. Audited."""
    levels = [
        Level(c.level)
        for c in s.execute(
            select(Collective)
            .join(CollectiveMember, CollectiveMember.collective_id == Collective.id)
            .where(
                Collective.period_id == period.id,
                CollectiveMember.member_id == head_id,
                CollectiveMember.role == CollectiveRole.HEAD.value,
            )
        ).scalars()
        if c.level in LEVELS
    ]
    row = s.execute(
        select(Fact).where(
            Fact.period_id == period.id, Fact.member_id == head_id, Fact.key == "head_of"
        )
    ).scalar()
    old = dict(row.value) if row is not None and isinstance(row.value, dict) else None
    ours = row is not None and row.set_by.startswith(FED_BY)
    by = (FED_BY + actor_label)[:100]
    if levels:
        new: dict[str, Any] | None = dict(old or {})
        assert new is not None
        new["collective_rating"] = min(levels, key=lambda lv: lv.rank).value
    elif ours:
        new = None  # the collective is no longer rated: what it fed goes
    else:
        return  # nothing rated, and the fact (if any) was set by people: left as it is
    if new == old and (row is None or ours):
        return
    if row is None and new is not None:
        s.add(Fact(period_id=period.id, member_id=head_id, key="head_of", value=new, set_by=by))
    elif row is not None and new is not None:
        row.value, row.set_by = new, by
    elif row is not None:
        s.delete(row)
    audit.record(
        s,
        actor=actor_label,
        entity="facts",
        entity_id=f"{period.id}/{head_id}",
        action="set",
        old={"head_of": old},
        new={"head_of": new, "source": "collective"},
    )


def _cell_result(s: Session, period: ReviewPeriod, member: Member) -> dict[str, Any]:
    """The member's review at their cell, from the same computation as the cell's results:
    the level the cell gave (a written decision of the chi ủy or đảng ủy when there is one),
    the facts used, and a summary to carry before the collective."""
    from bot.services.results import _load

    root = root_of(s, member.cell_id)
    data = _load(s, period, root)
    try:
        output = rate_document(data.document(period))
    except InputErrors:
        output = {"members": []}
    entry = next((m for m in output["members"] if m["id"] == str(member.id)), None)
    if entry is None:
        return {"level": None, "facts": {}, "summary": {}}
    row = data.row(member, entry)
    override = s.execute(
        select(Override).where(Override.period_id == period.id, Override.member_id == member.id)
    ).scalar()
    level = override.level if override is not None else entry.get("final")
    facts = data.member_entry(member).get("facts", {})
    cell = s.get(Organisation, member.cell_id)
    summary = {
        "cell": cell.name if cell is not None else "",
        "self_proposed": row.self_proposed,
        "self_summary": row.self_summary,
        "vote_level": entry.get("vote_level"),
        "proposed": entry.get("proposed"),
        "final": entry.get("final"),
        "override": override.level if override is not None else None,
        "votes": list(row.counts.votes) if row.counts is not None else None,
    }
    return {"level": level, "facts": facts, "summary": summary}


def _posts(s: Session, loaded: _Loaded) -> tuple[PostInfo, ...]:
    rows = {
        b.member_id: b
        for b in s.execute(
            select(CollectiveBallot).where(
                CollectiveBallot.collective_id == loaded.c.id,
                CollectiveBallot.member_id.is_not(None),
            )
        ).scalars()
    }
    if not rows:
        return tuple(
            PostInfo(m.id, m.full_name, cm.role, None, None, None, "", {}, None)
            for cm, m in loaded.people
        )
    option = _two_places(loaded.period)
    out: list[PostInfo] = []
    for cm, m in loaded.people:
        b = rows.get(m.id)
        cell = _cell_result(s, loaded.period, m) if b is not None else {"level": None}
        post = b.level if b is not None else None
        taken, why = combine(_level(cell.get("level")), _level(post), option)
        out.append(
            PostInfo(
                m.id,
                m.full_name,
                cm.role,
                cell.get("level"),
                post,
                _code(taken),
                reason_text(why) if b is not None else "",
                dict((b.payload or {}).get("cell", {})) if b is not None else {},
                _ballot_info(b) if b is not None else None,
            )
        )
    return tuple(out)


def _post_reasons(
    period: ReviewPeriod, ballot: Ballot, out: Mapping[str, Any]
) -> list[dict[str, str]]:
    """The engine's reasons for a member rated before a collective, the vote said of the
    collective's vote rather than the cell's."""
    _, why = vote_level(ballot, period_plan(period).vote_rule)
    vote = collective_vote_reason(why)
    reasons = [{"rule": vote.rule, "text": reason_text(vote)}]
    reasons += [
        {"rule": r["rule"], "text": r["text"]}
        for r in out["reasons"]
        if not str(r["rule"]).startswith("vote.")
    ]
    return reasons
