"""A meeting's programme and minutes (biên bản hội nghị), with the chair's conclusions.

Owns: the place, the chair and the minute-taker of a meeting; the members absent with their
reasons; the chair's conclusion on each reviewed member as dictated in chat (free text, stored
encrypted, audited, editable until the minutes are closed); closing (refused, naming who, while
a reviewed member has no conclusion or no final ballot) and reopening; and the two documents:
the programme (seed 000 "Chương trình hội nghị kiểm điểm") and the minutes, both .docx.

The meeting is the unit: everything here hangs on a `Meeting` row (today a cell's rating
meeting), so a collective's meeting can carry the same records. Who is reviewed, and in which
order, comes from `bot.rules.meeting_order` (seed 000 §1.4.3); the ballot results and proposals
in the minutes come from the same computation as every other document (`ResultsService`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.documents.meeting_minutes import MeetingMinutesDocument, MinutesRow
from bot.documents.meeting_minutes import render_docx as minutes_docx
from bot.documents.programme import ProgrammeDocument, ProgrammeRow
from bot.documents.programme import render_docx as programme_docx
from bot.rules.eligibility import rated_from
from bot.rules.meeting_order import Rank, Reviewee, rank_of, review_chair, review_order
from bot.services import audit
from bot.services.acting import Who, label, require_cell
from bot.services.errors import UserError
from bot.services.meetings import meeting_of, period_as_of, period_plan
from bot.services.org import current_period, root_of
from bot.services.replies import Document
from bot.services.reports import _slug, short
from bot.services.results import MemberRow, ResultsService
from bot.storage.db import Database
from bot.storage.models import (
    BallotEntry,
    Meeting,
    MeetingAbsence,
    MeetingConclusion,
    MeetingMinutes,
    Member,
    Organisation,
    ReviewPeriod,
    Role,
)
from bot.storage.types import utcnow
from bot.texts import _fmt_num, _fmt_pct, render_string
from bot.vietnamese import clean, fold, nfc, sort_key

DOCS = "documents.yaml"
REVIEWED = ("official", "probationary")  # exempt and suspended are not reviewed (seed 000 §1.1.2)
CONCLUSION_MAX = 3500  # characters: one Telegram message with the prompt around it
REASON_MAX = 300
PLACE_MAX = 200
# Ids come from callback data (up to 12 digits); PostgreSQL's integer columns stop here, and a
# larger id is no row of ours: refused before it reaches a query (which would fail on it).
MAX_ID = 2**31 - 1


def t(key: str, **params: Any) -> str:
    return render_string(DOCS, key, **params)


def _text(value: str, limit: int) -> str:
    """Typed free text: NFC, each line trimmed, blank lines dropped, line breaks kept."""
    lines = [clean(line) for line in nfc(value).splitlines()]
    return "\n".join(line for line in lines if line)[: limit + 1]


def _posts(m: Member) -> str:
    return "; ".join(p for p in (m.party_post, m.government_post, m.mass_org_post) if p)


# --- what the service returns ----------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    member_id: int
    name: str
    posts: str


@dataclass(frozen=True)
class Reviewed:
    """One member the meeting reviews, in the order of review (seed 000 §1.4.3)."""

    member_id: int
    name: str
    posts: str
    status: str
    rank: Rank
    chair_id: int | None  # who chairs this review: a deputy for the head's (seed 000 §1.4.3)
    conclusion: str
    ballot: str  # none | awaiting_second | locked
    needs_ballot: bool  # rated on the period's date (six full months, DOMAIN.md §5.1)
    absent: bool


@dataclass(frozen=True)
class Absence:
    member_id: int
    name: str
    status: str
    reason: str


@dataclass(frozen=True)
class MinutesState:
    meeting_id: int
    cell_id: int
    cell_name: str
    org_name: str
    year: int
    held_on: date
    place: str
    electorate: int  # official members, as counted when the meeting opened
    present: int  # official members present (the voters)
    quorum_pct: int | Fraction
    roster_total: int  # on the roster, not removed
    probationary: int
    not_reviewed: int  # exempt and suspended
    chair: Person | None
    minute_taker: Person | None
    reviewed: tuple[Reviewed, ...]
    absences: tuple[Absence, ...]
    closed_at: datetime | None
    closed_by: str

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def absent_official(self) -> int:
        """Official members not present, from the meeting's own numbers."""
        return max(self.electorate - self.present, 0)

    @property
    def named_official_absent(self) -> int:
        return sum(a.status == "official" for a in self.absences)

    @property
    def probationary_absent(self) -> int:
        return sum(a.status == "probationary" for a in self.absences)

    @property
    def without_conclusion(self) -> list[Reviewed]:
        return [r for r in self.reviewed if not r.conclusion]

    @property
    def without_ballot(self) -> list[Reviewed]:
        return [r for r in self.reviewed if r.needs_ballot and r.ballot != "locked"]

    def person(self, member_id: int | None) -> Reviewed | None:
        return next((r for r in self.reviewed if r.member_id == member_id), None)

    def problems(self) -> list[str]:
        """Why the minutes cannot be closed yet (worded), empty when they can."""
        out: list[str] = []
        if self.without_conclusion:
            names = ", ".join(r.name for r in self.without_conclusion)
            out.append(render_string("errors.yaml", "minutes_gap_conclusion", names=names))
        if self.without_ballot:
            names = ", ".join(r.name for r in self.without_ballot)
            out.append(render_string("errors.yaml", "minutes_gap_ballot", names=names))
        if self.chair is None:
            out.append(render_string("errors.yaml", "minutes_gap_chair"))
        if self.minute_taker is None:
            out.append(render_string("errors.yaml", "minutes_gap_taker"))
        unnamed = self.absent_official - self.named_official_absent
        if unnamed > 0:
            out.append(render_string("errors.yaml", "minutes_gap_absent", n=unnamed))
        elif unnamed < 0:
            out.append(
                render_string(
                    "errors.yaml",
                    "minutes_gap_absent_over",
                    named=self.named_official_absent,
                    absent=self.absent_official,
                )
            )
        return out


@dataclass(frozen=True)
class ConclusionSaved:
    name: str
    edited: bool  # it replaced an earlier conclusion
    state: MinutesState


# --- the service -----------------------------------------------------------------------------


class MeetingMinutesService:
    def __init__(self, db: Database, results: ResultsService | None = None) -> None:
        self.db = db
        self.results = results or ResultsService(db)

    def meeting_for_cell(self, who: Who, cell_id: int) -> int:
        """The id of the cell's meeting of the current period (UserError if none is open)."""
        with self.db.session() as s:
            require_cell(s, who, cell_id)
            cell = s.get(Organisation, cell_id)
            if cell is None:
                raise UserError("cell_not_found", cell_id=cell_id)
            meeting = meeting_of(s, current_period(s, cell_id), cell_id)
            if meeting is None:
                raise UserError("meeting_not_found", cell=cell.name)
            return meeting.id

    def state(self, who: Who, meeting_id: int) -> MinutesState:
        with self.db.session() as s:
            meeting, period, cell = _open(s, who, meeting_id)
            return _state(s, meeting, period, cell)

    # -- the meeting's people and place ------------------------------------------------------

    def set_place(self, who: Who, meeting_id: int, place: str) -> MinutesState:
        text = _text(place, PLACE_MAX).replace("\n", ", ")
        if not text:
            raise UserError("minutes_place_empty")
        if len(text) > PLACE_MAX:
            raise UserError("minutes_place_too_long", limit=PLACE_MAX)
        with self.db.session() as s:
            meeting, period, cell = _open(s, who, meeting_id)
            record = _writable(s, meeting)
            old = record.place
            record.place = text
            _log(s, who, meeting, "place", {"place": old}, {"place": text})
            return _state(s, meeting, period, cell)

    def set_chair(self, who: Who, meeting_id: int, member_id: int) -> MinutesState:
        return self._set_person(who, meeting_id, member_id, "chair")

    def set_minute_taker(self, who: Who, meeting_id: int, member_id: int) -> MinutesState:
        return self._set_person(who, meeting_id, member_id, "minute_taker")

    def _set_person(self, who: Who, meeting_id: int, member_id: int, role: str) -> MinutesState:
        with self.db.session() as s:
            meeting, period, cell = _open(s, who, meeting_id)
            member = _reviewed_member(s, meeting, member_id)
            record = _writable(s, meeting)
            if _absence(s, meeting, member_id) is not None:
                raise UserError("minutes_person_absent", name=member.full_name)
            column = "chair_member_id" if role == "chair" else "minute_taker_member_id"
            old = getattr(record, column)
            setattr(record, column, member_id)
            _log(s, who, meeting, role, {role: old}, {role: member_id})
            return _state(s, meeting, period, cell)

    # -- attendance --------------------------------------------------------------------------

    def set_absent(self, who: Who, meeting_id: int, member_id: int, reason: str) -> MinutesState:
        """Record a member as absent with the reason typed (or change the reason). Official
        members absent cannot outnumber the electorate less those present."""
        text = _text(reason, REASON_MAX).replace("\n", "; ")
        if not text:
            raise UserError("minutes_reason_empty")
        if len(text) > REASON_MAX:
            raise UserError("minutes_reason_too_long", limit=REASON_MAX)
        with self.db.session() as s:
            meeting, period, cell = _open(s, who, meeting_id)
            member = _reviewed_member(s, meeting, member_id)
            record = _writable(s, meeting)
            if member_id in (record.chair_member_id, record.minute_taker_member_id):
                raise UserError("minutes_absent_is_officer", name=member.full_name)
            row = _absence(s, meeting, member_id)
            if row is None and member.status == "official":
                named = s.execute(
                    select(func.count(MeetingAbsence.id))
                    .join(Member, Member.id == MeetingAbsence.member_id)
                    .where(MeetingAbsence.meeting_id == meeting.id, Member.status == "official")
                ).scalar_one()
                absent = max(meeting.electorate - meeting.present, 0)
                if named >= absent:
                    raise UserError(
                        "minutes_absent_over",
                        name=member.full_name,
                        present=meeting.present,
                        electorate=meeting.electorate,
                        absent=absent,
                    )
            who_label = label(s, who)
            old = {"reason": row.reason} if row is not None else None
            if row is None:
                row = MeetingAbsence(meeting_id=meeting.id, member_id=member_id)
                s.add(row)
            row.reason, row.set_by = text, who_label
            audit.record(
                s,
                actor=who_label,
                entity="absence",
                entity_id=f"{meeting.id}/{member_id}",
                action="set",
                old=old,
                new={"reason": text},
            )
            s.flush()
            return _state(s, meeting, period, cell)

    def clear_absent(self, who: Who, meeting_id: int, member_id: int) -> MinutesState:
        with self.db.session() as s:
            meeting, period, cell = _open(s, who, meeting_id)
            _reviewed_member(s, meeting, member_id)
            _writable(s, meeting)
            row = _absence(s, meeting, member_id)
            if row is not None:
                audit.record(
                    s,
                    actor=label(s, who),
                    entity="absence",
                    entity_id=f"{meeting.id}/{member_id}",
                    action="clear",
                    old={"reason": row.reason},
                    new=None,
                )
                s.delete(row)
                s.flush()
            return _state(s, meeting, period, cell)

    # -- conclusions -------------------------------------------------------------------------

    def set_conclusion(
        self, who: Who, meeting_id: int, member_id: int, text: str
    ) -> ConclusionSaved:
        """The chair's conclusion on a reviewed member (seed 000 §1.4.3: "người chủ trì kết
        luận ưu, khuyết điểm của từng cá nhân"), as typed; replaces an earlier one."""
        body = _text(text, CONCLUSION_MAX)
        if not body:
            raise UserError("conclusion_empty")
        if len(body) > CONCLUSION_MAX:
            raise UserError("conclusion_too_long", limit=CONCLUSION_MAX)
        with self.db.session() as s:
            meeting, period, cell = _open(s, who, meeting_id)
            member = _reviewed_member(s, meeting, member_id)
            _writable(s, meeting)
            row = s.execute(
                select(MeetingConclusion).where(
                    MeetingConclusion.meeting_id == meeting.id,
                    MeetingConclusion.member_id == member_id,
                )
            ).scalar()
            who_label = label(s, who)
            edited = row is not None
            old = {"text": row.text} if row is not None else None
            if row is None:
                row = MeetingConclusion(meeting_id=meeting.id, member_id=member_id)
                s.add(row)
            row.text, row.set_by = body, who_label
            audit.record(
                s,
                actor=who_label,
                entity="conclusion",
                entity_id=f"{meeting.id}/{member_id}",
                action="edit" if edited else "set",
                old=old,
                new={"text": body},
            )
            s.flush()
            return ConclusionSaved(member.full_name, edited, _state(s, meeting, period, cell))

    # -- closing -----------------------------------------------------------------------------

    def close(self, who: Who, meeting_id: int) -> MinutesState:
        """Close the minutes; refused, saying who and what, while a reviewed member has no
        conclusion or no final ballot, the chair or minute-taker is not chosen, or the absent
        official members named do not match the meeting's numbers."""
        with self.db.session() as s:
            meeting, period, cell = _open(s, who, meeting_id)
            record = _writable(s, meeting)
            state = _state(s, meeting, period, cell)
            problems = state.problems()
            if problems:
                raise UserError("minutes_not_ready", problems="; ".join(problems))
            who_label = label(s, who)
            record.closed_at, record.closed_by = utcnow(), who_label
            _log(s, who, meeting, "close", None, {"conclusions": len(state.reviewed)})
            s.flush()
            return _state(s, meeting, period, cell)

    def reopen(self, who: Who, meeting_id: int) -> MinutesState:
        with self.db.session() as s:
            meeting, period, cell = _open(s, who, meeting_id)
            record = _record(s, meeting)
            if record is None or record.closed_at is None:
                raise UserError("minutes_not_closed")
            old = {"closed_at": record.closed_at.isoformat(), "closed_by": record.closed_by}
            record.closed_at, record.closed_by = None, ""
            _log(s, who, meeting, "reopen", old, None)
            s.flush()
            return _state(s, meeting, period, cell)

    # -- the documents -----------------------------------------------------------------------

    def programme(self, who: Who, meeting_id: int) -> Document:
        """The meeting's programme (seed 000 "Chương trình hội nghị kiểm điểm") as .docx."""
        state = self.state(who, meeting_id)
        doc = programme_document(state)
        name = f"chuong-trinh-hoi-nghi-{_slug(state.cell_name)}-{state.year}.docx"
        return Document(name, programme_docx(doc), t("mp_caption", cell=state.cell_name))

    def minutes(self, who: Who, meeting_id: int) -> Document:
        """The minutes of the meeting as .docx (a draft until closed)."""
        state = self.state(who, meeting_id)
        rating = self.results.compute(who, cell_id=state.cell_id)
        rows = {r.member_id: r for r in rating.rows}
        doc = minutes_document(state, rows)
        name = f"bien-ban-hoi-nghi-{_slug(state.cell_name)}-{state.year}.docx"
        return Document(name, minutes_docx(doc), t("mm_caption", cell=state.cell_name))


# --- loading ---------------------------------------------------------------------------------


def _open(s: Session, who: Who, meeting_id: int) -> tuple[Meeting, ReviewPeriod, Organisation]:
    """The meeting, after checking `who` manages its cell; a meeting of an earlier period (an
    old keyboard) is refused as stale."""
    meeting = s.get(Meeting, meeting_id) if 0 < meeting_id <= MAX_ID else None
    if meeting is None:
        raise UserError("stale_button")
    require_cell(s, who, meeting.cell_id)
    cell = s.get(Organisation, meeting.cell_id)
    assert cell is not None
    if current_period(s, meeting.cell_id).id != meeting.period_id:
        raise UserError("stale_button")
    period = s.get(ReviewPeriod, meeting.period_id)
    assert period is not None
    return meeting, period, cell


def _record(s: Session, meeting: Meeting) -> MeetingMinutes | None:
    return s.execute(select(MeetingMinutes).where(MeetingMinutes.meeting_id == meeting.id)).scalar()


def _writable(s: Session, meeting: Meeting) -> MeetingMinutes:
    """The meeting's minutes row (made on first use), refused once the minutes are closed."""
    record = _record(s, meeting)
    if record is None:
        record = MeetingMinutes(meeting_id=meeting.id, place="", closed_by="")
        s.add(record)
        s.flush()
    if record.closed_at is not None:
        raise UserError("minutes_closed")
    return record


def _absence(s: Session, meeting: Meeting, member_id: int) -> MeetingAbsence | None:
    return s.execute(
        select(MeetingAbsence).where(
            MeetingAbsence.meeting_id == meeting.id, MeetingAbsence.member_id == member_id
        )
    ).scalar()


def _reviewed_member(s: Session, meeting: Meeting, member_id: int) -> Member:
    """A member the meeting reviews (its cell's roster, official or probationary)."""
    member = s.get(Member, member_id) if 0 < member_id <= MAX_ID else None
    if (
        member is None
        or member.cell_id != meeting.cell_id
        or member.removed_at is not None
        or member.status not in REVIEWED
    ):
        raise UserError("minutes_member_unknown")
    return member


def _log(
    s: Session,
    who: Who,
    meeting: Meeting,
    action: str,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
) -> None:
    audit.record(
        s,
        actor=label(s, who),
        entity="minutes",
        entity_id=str(meeting.id),
        action=action,
        old=old,
        new=new,
    )


def _state(s: Session, meeting: Meeting, period: ReviewPeriod, cell: Organisation) -> MinutesState:
    members = sorted(
        s.execute(
            select(Member).where(Member.cell_id == meeting.cell_id, Member.removed_at.is_(None))
        ).scalars(),
        key=lambda m: (sort_key(m.full_name), m.id),
    )
    roles: dict[int, set[str]] = {}
    for r in s.execute(
        select(Role).where(
            Role.organisation_id == meeting.cell_id, Role.role.in_(("secretary", "deputy"))
        )
    ).scalars():
        roles.setdefault(r.member_id, set()).add(r.role)
    ballots: dict[int, str] = {}
    for e in s.execute(
        select(BallotEntry).where(BallotEntry.meeting_id == meeting.id, BallotEntry.entry_no == 1)
    ).scalars():
        ballots[e.member_id] = "locked" if e.locked_at is not None else "awaiting_second"
    conclusions = {
        c.member_id: c.text
        for c in s.execute(
            select(MeetingConclusion).where(MeetingConclusion.meeting_id == meeting.id)
        ).scalars()
    }
    absent = {
        a.member_id: a.reason
        for a in s.execute(
            select(MeetingAbsence).where(MeetingAbsence.meeting_id == meeting.id)
        ).scalars()
    }
    record = _record(s, meeting)
    as_of = period_as_of(period)
    by_id = {m.id: m for m in members}
    reviewed = [m for m in members if m.status in REVIEWED]
    ranks = {
        m.id: rank_of(
            folded_party_post=fold(m.party_post),
            head_role="secretary" in roles.get(m.id, set()),
            deputy_role="deputy" in roles.get(m.id, set()),
            leader=m.kind == "leader",
        )
        for m in reviewed
    }
    order = review_order([Reviewee(m.id, ranks[m.id]) for m in reviewed])
    chair_id = record.chair_member_id if record is not None else None
    taker_id = record.minute_taker_member_id if record is not None else None

    def person(member_id: int | None) -> Person | None:
        m = by_id.get(member_id) if member_id is not None else None
        if m is None and member_id is not None:
            m = s.get(Member, member_id)
        return Person(m.id, m.full_name, _posts(m)) if m is not None else None

    rows = tuple(
        Reviewed(
            member_id=p.member_id,
            name=by_id[p.member_id].full_name,
            posts=_posts(by_id[p.member_id]),
            status=by_id[p.member_id].status,
            rank=p.rank,
            chair_id=review_chair(p, chair_id, order),
            conclusion=conclusions.get(p.member_id, ""),
            ballot=ballots.get(p.member_id, "none"),
            needs_ballot=_rated(by_id[p.member_id], as_of),
            absent=p.member_id in absent,
        )
        for p in order
    )
    absences = tuple(
        Absence(m.id, m.full_name, m.status, absent[m.id]) for m in members if m.id in absent
    )
    root = root_of(s, cell.id)
    return MinutesState(
        meeting_id=meeting.id,
        cell_id=cell.id,
        cell_name=cell.name,
        org_name=root.name if root.id != cell.id else "",
        year=period.year,
        held_on=meeting.held_on,
        place=record.place if record is not None else "",
        electorate=meeting.electorate,
        present=meeting.present,
        quorum_pct=period_plan(period).quorum_more_than_pct,
        roster_total=len(members),
        probationary=sum(m.status == "probationary" for m in members),
        not_reviewed=sum(m.status not in REVIEWED for m in members),
        chair=person(chair_id),
        minute_taker=person(taker_id),
        reviewed=rows,
        absences=absences,
        closed_at=record.closed_at if record is not None else None,
        closed_by=record.closed_by if record is not None else "",
    )


def _rated(m: Member, as_of: date) -> bool:
    """Whether the member is rated on the period's date, so needs a ballot (six full months
    since admission, DOMAIN.md §5.1; `bot.rules.eligibility`)."""
    return m.admitted_on is None or rated_from(m.admitted_on) <= as_of


# --- the documents' plain values -------------------------------------------------------------


def _date_line(d: date) -> str:
    return t("date_of", day=f"{d.day:02d}", month=f"{d.month:02d}", year=d.year)


def _blank_or(value: str) -> str:
    return value or t("mp_blank")


def _name_of(state: MinutesState, member_id: int | None) -> str:
    if member_id is None:
        return ""
    r = state.person(member_id)
    if r is not None:
        return r.name
    for p in (state.chair, state.minute_taker):
        if p is not None and p.member_id == member_id:
            return p.name
    return ""


def programme_document(state: MinutesState) -> ProgrammeDocument:
    """The programme of seed 000 ("Chương trình hội nghị kiểm điểm"), its items in order, with
    the members to be reviewed in the order of seed 000 §1.4.3 and who chairs each review."""
    chair = state.chair.name if state.chair is not None else ""
    chair_cell = t("mp_chair_name", name=chair) if chair else ""
    rows: list[ProgrammeRow] = [
        ProgrammeRow("I", t("mp_item_I"), chair_cell, bold=True),
        ProgrammeRow("II", t("mp_item_II"), chair_cell, bold=True),
    ]
    rows += [ProgrammeRow(str(i), t(f"mp_item_II_{i}")) for i in range(1, 7)]
    rows.append(ProgrammeRow("III", t("mp_item_III"), chair_cell, bold=True))
    rows.append(ProgrammeRow("1", t("mp_item_III_1")))
    rows.append(ProgrammeRow("2", t("mp_item_III_2")))
    rows += [ProgrammeRow("", t(f"mp_item_III_2_{x}")) for x in ("a", "b", "c")]
    for n, r in enumerate(state.reviewed, start=1):
        posts = f" — {r.posts}" if r.posts else ""
        who = ""
        if r.rank is Rank.HEAD or r.member_id == (state.chair.member_id if state.chair else None):
            deputy = _name_of(state, r.chair_id)
            who = t("mp_chair_deputy", name=deputy) if deputy else t("mp_chair_deputy_blank")
        rows.append(ProgrammeRow(f"2.{n}", t("mp_reviewee", name=r.name, posts=posts), who))
    rows.append(ProgrammeRow("3", t("mp_item_III_3")))
    rows.append(ProgrammeRow("IV", t("mp_item_IV"), chair_cell, bold=True))
    held = state.held_on
    details = (
        t("mp_time", day=f"{held.day:02d}", month=f"{held.month:02d}", year=held.year),
        t("mp_place", place=_blank_or(state.place)),
        t("mp_chair", name=_blank_or(chair)),
        t(
            "mp_taker",
            name=_blank_or(state.minute_taker.name if state.minute_taker is not None else ""),
        ),
    )
    return ProgrammeDocument(
        org_line=state.org_name.upper(),
        cell_line=state.cell_name.upper(),
        party=t("party"),
        date_line=_date_line(held),
        title=t("mp_title"),
        subtitle=(t("mp_subtitle", year=state.year), state.cell_name.upper()),
        details=details,
        col_number=t("mp_col_number"),
        col_content=t("mp_col_content"),
        col_chair=t("mp_col_chair"),
        rows=tuple(rows),
        footnote=t("mp_footnote"),
    )


def _ballot_cell(row: MemberRow | None, reviewed: Reviewed) -> str:
    if row is None or row.counts is None:
        if not reviewed.needs_ballot:
            return t("mm_ballot_not_needed")
        return t("mm_ballot_pending" if reviewed.ballot == "awaiting_second" else "mm_ballot_none")
    c = row.counts
    vote = row.result.get("vote_level")
    return t(
        "mm_ballot",
        issued=c.issued,
        collected=c.collected,
        valid=c.valid,
        invalid=c.invalid,
        xs=c.votes[0],
        t=c.votes[1],
        tb=c.votes[2],
        k=c.votes[3],
        round2=c.round2,
        level=short(vote) if vote else "",
    )


def _proposal(row: MemberRow | None) -> tuple[str, str]:
    """The cell's proposal as the minutes write it, and the key it counts under."""
    if row is None:
        return "", "none"
    res = row.result
    if not res.get("rated"):
        reason = res.get("not_rated_reason") or ""
        text = t("note_not_rated", reason=t(f"not_rated.{reason}") if reason else "")
        return text, "not_rated"
    o = row.override
    if o is not None and o.by_role == "cell":
        return t("mm_proposal_override", level=o.level), o.level
    proposed = res.get("proposed")
    if row.counts is None:
        return t("mm_proposal_none"), "none"
    return short(proposed), proposed or "UNDETERMINED"


def minutes_document(state: MinutesState, rows: dict[int, MemberRow]) -> MeetingMinutesDocument:
    held = state.held_on
    absent = state.absent_official
    attendance = [
        t(
            "mm_roster",
            total=state.roster_total,
            official=state.roster_total - state.probationary - state.not_reviewed,
            probationary=state.probationary,
            not_reviewed=state.not_reviewed,
        ),
        t(
            "mm_present",
            electorate=state.electorate,
            present=state.present,
            absent=absent,
            probationary=state.probationary,
            probationary_present=state.probationary - state.probationary_absent,
        ),
    ]
    if state.absences:
        names = "; ".join(t("mm_absent_one", name=a.name, reason=a.reason) for a in state.absences)
        attendance.append(t("mm_absent", names=names))
    else:
        attendance.append(t("mm_absent_none"))
    attendance.append(
        t(
            "mm_quorum",
            present=state.present,
            electorate=state.electorate,
            share=_fmt_pct(state.present, state.electorate),
            pct=_fmt_num(state.quorum_pct),
            ok=state.present * 100 > state.quorum_pct * state.electorate,
        )
    )
    chair = state.chair
    taker = state.minute_taker
    attendance.append(
        t(
            "mm_chair",
            name=_blank_or(chair.name if chair else ""),
            posts=chair.posts if chair else "",
        )
    )
    attendance.append(t("mm_taker", name=_blank_or(taker.name if taker else "")))
    lines: list[MinutesRow] = []
    totals = dict.fromkeys(("HTXSNV", "HTTNV", "HTNV", "KHTNV", "UNDETERMINED"), 0)
    others = 0
    for n, r in enumerate(state.reviewed, start=1):
        row = rows.get(r.member_id)
        proposal, key = _proposal(row)
        if key in totals:
            totals[key] += 1
        else:
            others += 1
        person = r.name + (f"\n{r.posts}" if r.posts else "")
        if r.absent:
            person += "\n" + t("mm_absent_mark")
        lines.append(
            MinutesRow(
                number=n,
                person=person,
                conclusion=r.conclusion or t("mm_no_conclusion"),
                ballot=_ballot_cell(row, r),
                proposal=proposal,
            )
        )
    return MeetingMinutesDocument(
        org_line=state.org_name.upper(),
        cell_line=state.cell_name.upper(),
        party=t("party"),
        date_line=_date_line(held),
        title=t("mm_title"),
        subtitle=t("mm_subtitle", year=state.year),
        draft="" if state.closed else t("mm_draft"),
        opening=(
            t(
                "mm_time",
                day=f"{held.day:02d}",
                month=f"{held.month:02d}",
                year=held.year,
                cell=state.cell_name,
            ),
            t("mm_place", place=_blank_or(state.place)),
        ),
        attendance_title=t("mm_attendance_title"),
        attendance=tuple(attendance),
        content_title=t("mm_content_title"),
        content_intro=t("mm_content_intro", n=len(state.reviewed)),
        columns=(
            t("mm_col_number"),
            t("mm_col_person"),
            t("mm_col_conclusion"),
            t("mm_col_ballot"),
            t("mm_col_proposal"),
        ),
        rows=tuple(lines),
        totals=t("mm_totals", total=len(state.reviewed), others=others, **totals),
        closing=(t("mm_closing"),),
        sign_left=t("mm_sign_taker"),
        sign_right=t("mm_sign_chair"),
        sign_hint=t("sign_hint"),
        sign_names=(taker.name if taker else "", chair.name if chair else ""),
    )
